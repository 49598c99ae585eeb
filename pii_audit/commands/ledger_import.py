"""``pii-audit ledger import``: apply the edits owners made in an exported ledger workbook.

The lead attaches ``import_command`` to the ``ledger`` group (``ledger.add_command(import_command)``).
"""

from __future__ import annotations

import getpass

import click

from pii_audit.commands.ledger_common import LEDGER, open_ledger


@click.command("import")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", default=getpass.getuser, show_default="the login name",
              help="Who made the changes, as recorded in each item's history.")
@click.option("--dry-run", is_flag=True, help="Print what would change and apply nothing.")
@LEDGER
def import_command(workbook, by, dry_run, ledger_url):
    """Apply status, owner, department, due date and note edits from an exported ledger sheet.

    A status change needs a note (the row's note column) saying why. Rows naming an unknown
    item, changing a locked column, asking for a transition the lifecycle forbids, or touching
    an item changed since the export are refused with their row number; the other rows apply.
    An emptied owner, department or note cell clears it. Exits 1 when any row was refused or in conflict.

    \b
    Example:
        pii-audit ledger import 整改台账-零售银行部.xlsx --by 李娜 --dry-run
    """
    from pii_audit.reporting.excel_import import import_workbook

    with open_ledger(ledger_url) as ledger:
        outcome = import_workbook(workbook, ledger, by, dry_run=dry_run)
    for line in outcome.lines():
        click.echo(line)
    if not outcome.ok:
        raise SystemExit(1)
