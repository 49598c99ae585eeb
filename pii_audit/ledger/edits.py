"""Changes people make to items: status, owner and due date, accepted risks, imported edits.

Each checks the lifecycle, writes the item and appends to its history; the caller owns the
transaction, so a batch of IDs is applied entirely or not at all.
"""

from __future__ import annotations

import datetime

from sqlalchemy import Connection, select, update

from pii_audit.errors import LedgerConflict, LedgerError
from pii_audit.ledger import lifecycle, schema
from pii_audit.ledger.ids import format_id
from pii_audit.ledger.rows import add_history


def load(conn: Connection, item_id: int):
    """Return an item's row for update; LedgerError when there is none."""
    query = select(schema.items).where(schema.items.c.id == item_id)
    if conn.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE already locks the database
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise LedgerError(f"no item {format_id(item_id)} in this ledger")
    return row


def _write(conn: Connection, item_id: int, values: dict) -> None:
    conn.execute(update(schema.items).where(schema.items.c.id == item_id).values(**values))


def _by(by: str | None) -> str:
    if not (by or "").strip():
        raise LedgerError("say who makes the change (--by NAME)")
    return by.strip()


def set_status(conn, item_id: int, status: str, note: str | None, by: str,
               now: datetime.datetime) -> None:
    """Move an item to ``status`` if a person may; record who and why."""
    row = load(conn, item_id)
    try:
        lifecycle.check_manual(row.status, status, note)
    except LedgerError as error:
        raise LedgerError(f"{format_id(item_id)}: {error}") from None
    values = {"status": status, "note": note, "updated_at": now}
    if row.status == lifecycle.ACCEPTED_RISK:
        values.update(approver=None, accepted_until=None)
    _write(conn, item_id, values)
    add_history(conn, item_id, now, _by(by), "status", row.status, status, note)


def assign(conn, item_id: int, owner: str | None, department: str | None,
           due: datetime.date | None, by: str, now: datetime.datetime) -> None:
    """Give an item an owner (None keeps it), department and due date; record it."""
    if owner is not None and not owner.strip():
        raise LedgerError("an owner is required (--owner NAME)")
    row = load(conn, item_id)
    values, parts = {"updated_at": now}, []
    if owner is not None:
        values["owner"] = owner.strip()
        parts.append(f"owner {row.owner or 'unassigned'} -> {owner.strip()}")
    if department is not None:
        values["department"] = department
        parts.append(f"department {row.department or '-'} -> {department}")
    if due is not None:
        values.update(due_date=due, due_manual=True)
        parts.append(f"due {row.due_date or '-'} -> {due}")
    _write(conn, item_id, values)
    add_history(conn, item_id, now, _by(by), "assign", row.status, row.status, "; ".join(parts))


def accept_risk(conn, item_id: int, approver: str, until: datetime.date, note: str, by: str,
                now: datetime.datetime) -> None:
    """Accept an item's risk until a date, with its approver and reason."""
    row = load(conn, item_id)
    try:
        lifecycle.check_accept(row.status, approver, note)
    except LedgerError as error:
        raise LedgerError(f"{format_id(item_id)}: {error}") from None
    if until < now.date():
        raise LedgerError(f"{format_id(item_id)}: the acceptance would end in the past ({until})")
    _write(conn, item_id, {"status": lifecycle.ACCEPTED_RISK, "approver": approver.strip(),
                           "accepted_until": until, "note": note, "updated_at": now})
    add_history(conn, item_id, now, _by(by), "accept_risk", row.status, lifecycle.ACCEPTED_RISK,
                f"approved by {approver.strip()} until {until}: {note}")


def apply_edit(conn, item_id: int, by: str, now: datetime.datetime, *, status=None, owner=None,
               department=None, due=None, note=None, expected_updated_at=None) -> None:
    """Apply one imported row's changes, refusing when the item changed since it was exported.

    None leaves a field as it is; an empty text ("") clears the owner, department or note.
    """
    row = load(conn, item_id)
    if expected_updated_at is not None and row.updated_at != expected_updated_at:
        raise LedgerConflict(f"{format_id(item_id)} changed at {row.updated_at:%Y-%m-%d %H:%M:%S} "
                             "after it was exported; export again and redo the edit")
    if status is not None and status != row.status:
        set_status(conn, item_id, status, note, by, now)
    elif note is not None and (note or None) != row.note:
        _write(conn, item_id, {"note": note or None, "updated_at": now})
        add_history(conn, item_id, now, _by(by), "note", row.status, row.status, note or "(cleared)")
    _clear(conn, row, by, now, owner=owner == "", department=department == "")
    changed_owner = bool(owner) and owner != row.owner
    changed_dept = bool(department) and department != row.department
    changed_due = due is not None and due != row.due_date
    if changed_owner or changed_dept or changed_due:
        assign(conn, item_id, owner if changed_owner else None,
               department if changed_dept else None, due if changed_due else None, by, now)


def _clear(conn, row, by: str, now: datetime.datetime, **fields: bool) -> None:
    """Empty the owner and/or department an imported row cleared; record it."""
    cleared = [name for name, asked in fields.items() if asked and getattr(row, name) is not None]
    if not cleared:
        return
    _write(conn, row.id, {**{name: None for name in cleared}, "updated_at": now})
    add_history(conn, row.id, now, _by(by), "assign", row.status, row.status,
                "; ".join(f"{name} {getattr(row, name)} -> (none)" for name in cleared))
