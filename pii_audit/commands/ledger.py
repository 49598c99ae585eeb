"""``pii-audit ledger``: list, show and change the items of the remediation ledger."""

from __future__ import annotations

import click

from pii_audit.commands import json_text
from pii_audit.commands.ledger_common import (BY, DATE, FORMAT, LEDGER, echo_json, echo_table,
                                              open_ledger, who)
from pii_audit.distinct import shown_count
from pii_audit.ledger.ids import format_id
from pii_audit.ledger.queries import ITEM_COLUMNS
from pii_audit.views import STATUSES, ItemView


@click.group()
def ledger():
    """Track the remediation of what scans found (问题清单 / 整改台账).

    \b
    Example:
        pii-audit ledger list --overdue
        pii-audit ledger update PI-000012 --status fixed --note "column encrypted"
    """


TABLE_HEADERS = ["ID", "STATUS", "RISK", "ENTITY", "TARGET", "CONTAINER", "OWNER", "DUE",
                 "OCCURRENCES", "DISTINCT"]
TABLE_COLUMNS = ("id", "status", "risk_category", "entity_type", "target", "container", "owner",
                 "due_date", "occurrences", "distinct_values")  # of schema.items, as shown
UNASSIGNED = "(unassigned)"


def _print_items(items: list[ItemView]) -> None:
    echo_table(TABLE_HEADERS, [[i.id, i.status, i.risk_category, i.entity_type, i.target,
                                i.container, i.owner or UNASSIGNED, i.due_date, i.occurrences,
                                shown_count(i.distinct_values)] for i in items])


@ledger.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only items in this status.")
@click.option("--owner", help="Only this owner's items ('-' for unassigned ones).")
@click.option("--target", help="Only items of this target.")
@click.option("--entity", help="Only this entity (e.g. CN_RESIDENT_ID).")
@click.option("--overdue", is_flag=True, help="Only items still to fix whose due date has passed.")
@FORMAT
@LEDGER
def list_items(status, owner, target, entity, overdue, output_format, ledger_url):
    """List ledger items, by ID.

    \b
    Example:
        pii-audit ledger list --owner - --status open --format json
    """
    filters = {"status": status, "owner": owner, "target": target, "entity": entity, "overdue": overdue}
    with open_ledger(ledger_url) as book:
        # Rows, not item views: building 17,000 views took as long as printing them (bench/ledger.py).
        found = book.item_columns(ITEM_COLUMNS if output_format == "json" else TABLE_COLUMNS, **filters)
    if output_format == "json":
        click.echo(json_text.item_rows(found))
        return
    echo_table(TABLE_HEADERS, [(format_id(number), state, risk, kind, where, container,
                                holder or UNASSIGNED, due, count, shown_count(distinct))
                               for number, state, risk, kind, where, container, holder, due, count,
                               distinct in found])


@ledger.command()
@click.argument("item_id")
@FORMAT
@LEDGER
def show(item_id, output_format, ledger_url):
    """Show one item: its fields, masked samples and history.

    \b
    Example:
        pii-audit ledger show PI-000012
    """
    with open_ledger(ledger_url) as book:
        item = book.item(item_id)
    if output_format == "json":
        echo_json(item)
        return
    for name in ("id", "status", "target", "container", "entity_type", "risk_category",
                 "sensitive", "minor", "owner", "department", "due_date", "first_seen",
                 "last_seen", "occurrences", "distinct_values", "masked_occurrences", "note",
                 "approver", "accepted_until"):
        value = getattr(item, name)
        if name == "distinct_values":
            value = shown_count(value)  # "≈" when it is an estimate, as in `ledger list`
        click.echo(f"{name + ':':<20}{'-' if value is None else value}")
    click.echo("samples:")
    from pii_audit.reporting.viewmodel import format_location

    for sample in item.samples:  # located as in the reports: "app.log:7 [3-14]", "a.xlsx 客户!B2"
        click.echo(f"  {sample.masked}  ({format_location(sample.location, 'en')})")
    _print_history(item)


def _print_history(item: ItemView) -> None:
    echo_table(["AT", "BY", "ACTION", "FROM", "TO", "SCAN", "NOTE"],
               [[f"{h.at:%Y-%m-%d %H:%M:%S}", h.by, h.action, h.from_status, h.to_status,
                 h.scan_id, h.note] for h in item.history])


@ledger.command()
@click.argument("item_id")
@FORMAT
@LEDGER
def history(item_id, output_format, ledger_url):
    """Show every change of an item: who, when, what and why (times in UTC).

    \b
    Example:
        pii-audit ledger history PI-000012
    """
    with open_ledger(ledger_url) as book:
        item = book.item(item_id)
    if output_format == "json":
        echo_json(list(item.history))
        return
    _print_history(item)


@ledger.command()
@click.argument("item_ids", nargs=-1, required=True)
@click.option("--status", required=True, type=click.Choice(STATUSES), help="The new status.")
@click.option("--note", required=True, help="Why (kept in the history).")
@BY
@LEDGER
def update(item_ids, status, note, by, ledger_url):
    """Change the status of items; refused with the reason when the lifecycle forbids it.

    \b
    Example:
        pii-audit ledger update PI-000012 PI-000013 --status in_progress --note "ticket CHG-881"
    """
    with open_ledger(ledger_url) as book:
        items = book.update(item_ids, status, note, who(by))
    _print_items(items)


@ledger.command()
@click.argument("item_ids", nargs=-1, required=True)
@click.option("--owner", required=True, help="Who fixes it (谁的系统谁负责).")
@click.option("--department", help="The owner's department.")
@click.option("--due", type=DATE, help="Due date (YYYY-MM-DD); scans never change it afterwards.")
@BY
@LEDGER
def assign(item_ids, owner, department, due, by, ledger_url):
    """Give items an owner, and optionally a department and a due date.

    \b
    Example:
        pii-audit ledger assign PI-000012 --owner 王工 --department 信息科技部 --due 2025-03-31
    """
    with open_ledger(ledger_url) as book:
        items = book.assign(item_ids, owner, department, due.date() if due else None, who(by))
    _print_items(items)


@ledger.command("accept-risk")
@click.argument("item_id")
@click.option("--approver", required=True, help="Who approved accepting the risk.")
@click.option("--until", required=True, type=DATE, help="Last day of the acceptance (YYYY-MM-DD).")
@click.option("--note", required=True, help="Why the risk is accepted.")
@BY
@LEDGER
def accept_risk(item_id, approver, until, note, by, ledger_url):
    """Accept an item's risk until a date; it returns to open the day after.

    \b
    Example:
        pii-audit ledger accept-risk PI-000012 --approver 李总 --until 2025-06-30 --note "legacy system, retiring"
    """
    with open_ledger(ledger_url) as book:
        item = book.accept_risk(item_id, approver, until.date(), note, who(by))
    _print_items([item])


def _attach_import() -> None:
    # The import lives with the reports (it reads their workbook); it is a ledger subcommand.
    from pii_audit.commands.ledger_import import import_command

    ledger.add_command(import_command)


_attach_import()
