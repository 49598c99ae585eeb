"""``pii-audit scans``: the record of every scan run: when, by whom, what it covered."""

from __future__ import annotations

import click

from pii_audit.commands.ledger_common import FORMAT, LEDGER, echo_json, echo_table, open_ledger


@click.group()
def scans():
    """List the scans recorded in the ledger, and show what each covered.

    \b
    Example:
        pii-audit scans list
        pii-audit scans show 12
    """


@scans.command("list")
@FORMAT
@LEDGER
def list_scans(output_format, ledger_url):
    """List every scan, newest first (times in UTC).

    \b
    Example:
        pii-audit scans list --format json
    """
    with open_ledger(ledger_url) as book:
        views = book.scans()
    if output_format == "json":
        echo_json(views)
        return
    echo_table(["ID", "STARTED", "BY", "COMPLETE", "OCCURRENCES", "NEW", "REOPENED", "VERIFIED",
                "OPEN", "TARGETS"],
               [[s.id, f"{s.started_at:%Y-%m-%d %H:%M}", s.by, "yes" if s.complete else "no",
                 s.occurrences, s.new_items, s.reopened_items, s.verified_items, s.open_items,
                 " ".join(s.targets)] for s in views])


@scans.command()
@click.argument("scan_id", type=int)
@FORMAT
@LEDGER
def show(scan_id, output_format, ledger_url):
    """Show one scan: its counts, what it read per container, and what it could not read.

    \b
    Example:
        pii-audit scans show 12
    """
    with open_ledger(ledger_url) as book:
        view = book.scan(scan_id)
    if output_format == "json":
        echo_json(view)
        return
    for name in ("id", "started_at", "finished_at", "by", "complete", "occurrences", "new_items",
                 "reopened_items", "verified_items", "open_items"):
        click.echo(f"{name + ':':<16}{getattr(view, name)}")
    click.echo(f"{'targets:':<16}{' '.join(view.targets)}")
    echo_table(["TARGET", "CONTAINER", "READ", "SAMPLED", "COMPLETE"],
               [[c.target, c.container, f"{c.units} {c.unit}", "yes" if c.sampled else "no",
                 "yes" if c.complete else "no"] for c in view.coverage])
    for problem in view.problems:
        click.echo(f"problem: {problem.target}: {problem.where}: {problem.reason}")
