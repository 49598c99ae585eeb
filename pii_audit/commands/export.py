"""``pii-audit export``: the ledger as JSON lines plus both reports, with a SHA-256 manifest."""

from __future__ import annotations

import click

from pii_audit.commands.ledger_common import LEDGER, open_ledger
from pii_audit.commands.report import lang_option


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Directory to write (created if missing).")
@lang_option
@LEDGER
def export(out_dir, lang, ledger_url):
    """Export items.jsonl, scans.jsonl, report.html, report.xlsx and MANIFEST.sha256 into OUT.

    \b
    Example:
        pii-audit export --out 2024Q3-audit && (cd 2024Q3-audit && sha256sum -c MANIFEST.sha256)
    """
    from pii_audit.reporting.export import export as write_export

    with open_ledger(ledger_url) as ledger:
        items, scans = ledger.items(history=True), ledger.scans(details=True)
    for path in write_export(items, scans, out_dir, lang=lang):
        click.echo(f"wrote {path}")
