"""Small helpers shared by the ledger's writers: history rows, due dates, JSON, time."""

from __future__ import annotations

import datetime
import json

from sqlalchemy import Connection, insert, update

from pii_audit.ledger import schema
from pii_audit.ledger.lifecycle import ACCEPTED_RISK, OPEN

SYSTEM = "pii-audit"  # the "by" of changes a scan or an expiry makes
# Days to fix an item, by JR/T 0171-2020 category (issue 4's defaults).
DEFAULT_DUE_DAYS = {"C3": 7, "C2": 30, "C1": 90}


def utc_now(now: datetime.datetime | None = None) -> datetime.datetime:
    """Return ``now`` (default: the current time) as naive UTC, as the ledger stores times."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return now


def due_from(day: datetime.date, category: str, due_days: dict[str, int]) -> datetime.date | None:
    """Return the default due date of an item of risk ``category`` that starts on ``day``."""
    days = due_days.get(category)
    return None if days is None else day + datetime.timedelta(days=days)


def to_json(value) -> str:
    """Return compact, sorted JSON (locations may hold dates or decimals: rendered as text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def add_history(conn: Connection, item_id: int, at: datetime.datetime, by: str, action: str,
                from_status: str | None = None, to_status: str | None = None,
                note: str | None = None, scan_id: int | None = None) -> None:
    """Append one change to an item's history."""
    conn.execute(insert(schema.history).values(
        item_id=item_id, at=at, by=by, action=action, from_status=from_status,
        to_status=to_status, note=note, scan_id=scan_id))


def expire_one(conn: Connection, row, now: datetime.datetime, due_days: dict[str, int],
               scan_id: int | None = None) -> bool:
    """Return an expired accepted risk to open (with a fresh default due date); True if done."""
    values = {"status": OPEN, "updated_at": now}
    if not row.due_manual:
        values["due_date"] = due_from(now.date(), row.risk_category, due_days)
    done = conn.execute(update(schema.items).where(
        schema.items.c.id == row.id, schema.items.c.status == ACCEPTED_RISK).values(**values))
    if done.rowcount != 1:  # someone else expired it first
        return False
    add_history(conn, row.id, now, SYSTEM, "expired", ACCEPTED_RISK, OPEN,
                f"risk acceptance by {row.approver} expired after {row.accepted_until}", scan_id)
    return True


def expired_filter(today: datetime.date):
    """Return the WHERE clause of accepted risks that expired before ``today``."""
    items = schema.items.c
    return (items.status == ACCEPTED_RISK) & (items.accepted_until < today)
