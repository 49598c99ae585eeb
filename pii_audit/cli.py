"""The ``pii-audit`` command line: a click group whose commands live in ``pii_audit/commands/``.

Commands are thin: they parse options, call the library and print. A ``PiiAuditError`` becomes
one line on stderr and exit code 2; nothing a user can cause ends in a traceback. A bug does: its
frames are printed, not its message (which may quote scanned data), and the exit code is 4.
"""

from __future__ import annotations

import importlib
import sys
import traceback

import click

from pii_audit import __version__
from pii_audit.errors import PiiAuditError

EXIT_USAGE = 2
EXIT_INTERNAL = 4  # summary.EXIT_INTERNAL; not imported from there, which would load more at start

# Command name -> "module:attribute". Commands load when used: importing Presidio takes
# seconds, and `pii-audit --version` or `ledger list` should not pay for it.
COMMANDS = {
    "init": "pii_audit.commands.init:init",
    "config": "pii_audit.commands.config:config",
    "entities": "pii_audit.commands.entities:entities",
    "scan": "pii_audit.commands.scan:scan",
    "scans": "pii_audit.commands.scans:scans",
    "ledger": "pii_audit.commands.ledger:ledger",
    "report": "pii_audit.commands.report:report",
    "export": "pii_audit.commands.export:export",
    "run": "pii_audit.commands.run:run",
    "schedule": "pii_audit.commands.schedule:schedule",
    "demo": "pii_audit.commands.demo:demo",
}


class LazyGroup(click.Group):
    """A click group that imports each command's module only when the command is used."""

    def list_commands(self, ctx):
        """Return every command name, loaded or not."""
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx, name):
        """Return a command, importing its module on first use."""
        if name not in self.commands and name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attribute), name)
        return self.commands.get(name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="pii-audit")
def cli():
    """Find personal information kept where it should not be, and track its remediation.

    \b
    Start with:
        pii-audit init              write audit.toml, a key and an empty ledger
        pii-audit scan --help       scan files, spreadsheets and databases
        pii-audit ledger list       the problem list and remediation progress
    """


def crash_report(error: BaseException) -> str:
    """Return what a bug prints: where it happened, frame by frame, and its type, never its
    message (a KeyError or UnicodeDecodeError quotes the data it met: a scanned value)."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return (f"pii-audit: internal error ({type(error).__name__}), a bug; please report it with these "
            f"lines (the error's message is left out: it may quote scanned data):\n{frames.rstrip()}")


def main(argv: list[str] | None = None) -> None:
    """Run the command line; turn pii-audit's own errors into one line and exit code 2, and a
    bug into its frames and exit code 4 (``crash_report``)."""
    try:
        # Without standalone mode click returns a command's ctx.exit(n) code instead of exiting.
        code = cli.main(args=argv, prog_name="pii-audit", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("pii-audit: aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except PiiAuditError as error:
        click.echo(f"pii-audit: error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("pii-audit: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 -- a bug in pii-audit, whatever its type
        click.echo(crash_report(error), err=True)
        sys.exit(EXIT_INTERNAL)
    if isinstance(code, int) and code:
        sys.exit(code)
