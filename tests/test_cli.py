"""The command line: --version, --help on every command, and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from pii_audit import __version__
from pii_audit.cli import cli


def all_commands(group: click.Group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path", list(all_commands(cli)), ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = cli
    for name in path:
        command = command.get_command(click.Context(command), name)
    assert command.help and command.help.strip(), f"{' '.join(path)} has no docstring"


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_unknown_command_is_a_usage_error_without_traceback():
    run = subprocess.run([sys.executable, "-m", "pii_audit", "no-such-command"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "No such command" in run.stderr


def run_with_command(name: str, body: str) -> subprocess.CompletedProcess:
    """Run ``pii_audit.cli.main([name])`` in a fresh process, with a command ``name`` added whose
    body is the one line ``body`` (its click context is ``ctx``)."""
    source = (f"import click, pii_audit.cli as c\n@c.cli.command({name!r})\n@click.pass_context\n"
              f"def {name.replace('-', '_')}(ctx):\n    {body}\nc.main([{name!r}])")
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)


def test_exit_code_set_by_a_command_reaches_the_shell():
    """main() runs click without standalone mode; ctx.exit(n) must still become the exit code."""
    run = run_with_command("exit-three", "ctx.exit(3)")
    assert run.returncode == 3, run.stderr


def test_a_bug_exits_4_with_its_frames_and_without_its_message():
    """A bug ended in Python's own traceback and exit status 1, which means "personal
    information found" to a scheduler, and its message could quote scanned data (a KeyError
    names its key). It now prints where it happened and its type, and exits 4."""
    run = run_with_command("boom", "{}['11010519491231002X']")
    assert run.returncode == 4, run.stderr
    assert "pii-audit: internal error (KeyError), a bug" in run.stderr
    assert ", in boom" in run.stderr and "11010519491231002X" not in run.stderr


@pytest.mark.parametrize("argv", [["--help"], ["scan", "--help"], ["--version"]], ids=" ".join)
def test_help_does_not_wait_for_presidio(argv):
    """Importing Presidio (and spaCy with it) takes about a second: help and the version come
    without it. `pii-audit --help` took 1.0 s and `scan --help` 1.1 s; now 0.2 and 0.05 s."""
    run = subprocess.run([sys.executable, "-c",
                          "import sys\nfrom pii_audit.cli import main\n"
                          f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
                          "print(sorted(m for m in sys.modules if m.split('.')[0] in ('presidio_analyzer', 'spacy')))"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "[]"


def test_entities_lists_every_recognizer_in_aligned_columns():
    """The longest name (CN_FOREIGN_PERMANENT_RESIDENT_ID) had pushed its row's columns right."""
    from recognizers import ALL_RECOGNIZERS

    lines = CliRunner().invoke(cli, ["entities"]).output.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [cls.ENTITY for cls in ALL_RECOGNIZERS]
    assert len({line.index(" C") + 1 for line in lines[1:]} | {lines[0].index("JR/T")}) == 1
