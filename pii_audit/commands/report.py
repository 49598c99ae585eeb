"""``pii-audit report``: write the HTML or Excel report of the ledger."""

from __future__ import annotations

import click

from pii_audit.commands.ledger_common import LEDGER, open_ledger
from pii_audit.views import STATUSES

lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                           help="Language of the report's labels.")


@click.command()
@click.option("--format", "output_format", type=click.Choice(["html", "xlsx"]), required=True,
              help="html: one self-contained page; xlsx: a workbook owners can edit and import.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write (mode 0600).")
@click.option("--scan", "scan_id", type=int, help="Report as of this scan, on the items it touched.")
@click.option("--status", type=click.Choice(STATUSES), help="Only items in this status.")
@click.option("--owner", help="Only items of this owner.")
@lang_option
@LEDGER
def report(output_format, out_path, scan_id, status, owner, lang, ledger_url):
    """Write the ledger's report: overview, remediation ledger and scan coverage.

    \b
    Example:
        pii-audit report --format html --out 审计报告.html
        pii-audit report --format xlsx --out ledger.xlsx --owner 张伟 --lang en
    """
    from pii_audit.reporting.html import write_html
    from pii_audit.reporting.streamed import write_ledger_workbook
    from pii_audit.reporting.viewmodel import build_report, select_items

    with open_ledger(ledger_url) as ledger:
        if output_format == "xlsx":  # streamed from the ledger: bounded memory at any size
            path, figures = write_ledger_workbook(ledger, out_path, lang=lang, scan_id=scan_id,
                                                  status=status, owner=owner)
        else:
            items = select_items(ledger.items(history=True), scan_id=scan_id, status=status, owner=owner)
            view = build_report(items, ledger.scans(details=True), lang=lang, scan_id=scan_id)
            path, figures = write_html(view, out_path), view.figures
    click.echo(f"wrote {path} ({figures.items} items)")
