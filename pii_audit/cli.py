"""The ``pii-audit`` command line: a click group whose commands live in ``pii_audit/commands/``.

Commands are thin: they parse options, call the library and print. A ``PiiAuditError`` becomes
one line on stderr and exit code 2; nothing a user can cause ends in a traceback.
"""

from __future__ import annotations

import sys

import click

from pii_audit import __version__
from pii_audit.commands.entities import entities
from pii_audit.commands.export import export
from pii_audit.commands.report import report
from pii_audit.errors import PiiAuditError

EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="pii-audit")
def cli():
    """Find personal information kept where it should not be, and track its remediation.

    \b
    Start with:
        pii-audit entities          what pii-audit recognizes
        pii-audit scan --help       scan files, spreadsheets and databases
    """


cli.add_command(entities)
cli.add_command(report)
cli.add_command(export)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; turn pii-audit's own errors into one line and exit code 2."""
    try:
        cli.main(args=argv, prog_name="pii-audit", standalone_mode=False)
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
