"""Read the ledger into the views reports and the command line use (``pii_audit.views``)."""

from __future__ import annotations

import datetime
import json
from typing import Iterable

from sqlalchemy import Connection, func, select

from pii_audit.errors import LedgerError
from pii_audit.ledger import lifecycle, schema
from pii_audit.ledger.identity import target_key
from pii_audit.ledger.ids import format_id
from pii_audit.views import CoverageView, HistoryEntry, ItemView, ProblemView, Sample, ScanView

UNASSIGNED = "-"  # `--owner -` lists the items nobody owns yet


def item_filter(status=None, owner=None, target=None, entity=None, overdue=False,
                today: datetime.date | None = None) -> list:
    """Return the WHERE clauses of an item listing."""
    c = schema.items.c
    clauses = []
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        clauses.append(c.status.in_([lifecycle.check_status(s) for s in statuses]))
    if owner == UNASSIGNED:
        clauses.append(c.owner.is_(None))
    elif owner:
        clauses.append(c.owner == owner)
    if target:
        clauses.append(c.target_key == target_key(target))  # exact, indexed, on every database
    if entity:
        clauses.append(c.entity_type == entity)
    if overdue:
        clauses += [c.status.in_(sorted(lifecycle.ACTIVE)), c.due_date < today]
    return clauses


def list_items(conn: Connection, clauses: list, samples: bool = True,
               history: bool = False) -> list[ItemView]:
    """Return the items matching every clause, by ID (with their histories if asked)."""
    rows = conn.execute(item_select().where(*clauses).order_by(schema.items.c.id)).all()
    changes = _histories(conn, clauses) if history else {}
    return [to_item_view(row, samples=samples, history=changes.get(row[0], ())) for row in rows]


def list_columns(conn: Connection, clauses: list, columns: tuple[str, ...]) -> list[tuple]:
    """Return only ``columns`` of the items matching every clause, by ID, as plain rows.

    For listings that show a few fields: building full views of 17,000 items took three times
    as long as the query (bench/ledger.py).
    """
    c = schema.items.c
    query = select(*(c[name] for name in columns)).order_by(c.id)
    if clauses:
        # The IDs first (from an index alone), then the rows in ID order: SQLite read 17,000
        # rows scattered over the file 20-35% faster so than in index order and then sorted.
        query = query.where(c.id.in_(select(c.id).where(*clauses)))
    return conn.execute(query).all()


def _histories(conn: Connection, clauses: list) -> dict[int, tuple[HistoryEntry, ...]]:
    """Return the histories of the items matching every clause, in one query."""
    h = schema.history
    query = select(h).order_by(h.c.item_id, h.c.id)
    if clauses:
        query = query.where(h.c.item_id.in_(select(schema.items.c.id).where(*clauses)))
    grouped: dict[int, list[HistoryEntry]] = {}
    for row in conn.execute(query):
        grouped.setdefault(row.item_id, []).append(_history_entry(row))
    return {item_id: tuple(entries) for item_id, entries in grouped.items()}


def get_item(conn: Connection, item_id: int) -> ItemView:
    """Return one item with its history; LedgerError when there is none."""
    row = conn.execute(item_select().where(schema.items.c.id == item_id)).first()
    if row is None:
        raise LedgerError(f"no item {format_id(item_id)} in this ledger")
    history = conn.execute(select(schema.history).where(schema.history.c.item_id == item_id)
                           .order_by(schema.history.c.id))
    return to_item_view(row, history=tuple(_history_entry(h) for h in history))


ITEM_COLUMNS = ("id", "target", "container", "entity_type", "risk_category", "sensitive", "minor",
                "status", "owner", "department", "due_date", "first_seen", "last_seen",
                "occurrences", "distinct_values", "masked_occurrences", "samples", "note",
                "approver", "accepted_until", "updated_at")


def item_select():
    """Return a SELECT of the item columns ``to_item_view`` takes, in its order."""
    return select(*(schema.items.c[name] for name in ITEM_COLUMNS))


def to_item_view(row, samples: bool = True, history: tuple[HistoryEntry, ...] = ()) -> ItemView:
    """Build the view of an item row selected by ``item_select``."""
    # Unpacking by position: attribute access per field doubled `ledger list` time (bench/ledger.py).
    (number, target, container, entity, category, sensitive, minor, status, owner, department,
     due, first_seen, last_seen, occurrences, distinct, masked, sample_json, note, approver,
     until, updated_at) = row
    return ItemView(
        format_id(number), target, container, entity, category, sensitive, minor, status, owner,
        department, due, first_seen, last_seen, occurrences, distinct, masked,
        tuple(Sample(s["masked"], s["location"]) for s in json.loads(sample_json)) if samples else (),
        note, approver, until, updated_at, history)


def _history_entry(row) -> HistoryEntry:
    return HistoryEntry(at=row.at, by=row.by, action=row.action, from_status=row.from_status,
                        to_status=row.to_status, note=row.note, scan_id=row.scan_id)


def get_scan(conn: Connection, scan_id: int) -> ScanView:
    """Return one scan with its coverage and problems; LedgerError when there is none."""
    row = conn.execute(select(schema.scans).where(schema.scans.c.id == scan_id)).first()
    if row is None:
        raise LedgerError(f"no scan {scan_id} in this ledger")
    cov = conn.execute(select(schema.coverage).where(schema.coverage.c.scan_id == scan_id)
                       .order_by(schema.coverage.c.id))
    probs = conn.execute(select(schema.problems).where(schema.problems.c.scan_id == scan_id)
                         .order_by(schema.problems.c.id))
    coverage = tuple(CoverageView(c.target, c.container, c.unit, c.units, c.bytes, c.sampled,
                                  c.complete) for c in cov)
    problems = tuple(ProblemView(p.target, p.location, p.reason) for p in probs)
    return to_scan_view(row, _completeness(conn, scan_id).get(scan_id), coverage, problems)


def _completeness(conn: Connection, scan_id: int | None = None) -> dict[int, tuple[dict[str, int], bool]]:
    """Return, per scan, the targets it recorded with their occurrences, and whether every one was
    read without a problem."""
    st = schema.scan_targets.c
    query = select(st.scan_id, st.target, st.complete, st.occurrences).order_by(st.id)
    if scan_id is not None:
        query = query.where(st.scan_id == scan_id)
    done: dict[int, tuple[dict[str, int], bool]] = {}
    for sid, target, complete, occurrences in conn.execute(query):
        targets, ok = done.get(sid, ({}, True))
        targets[target] = occurrences
        done[sid] = (targets, ok and bool(complete))
    return done


def to_scan_view(row, recorded: tuple[dict[str, int], bool] | None, coverage=(), problems=()) -> ScanView:
    """Build the view of a scan row; complete = finished, every named target read without a problem."""
    targets = tuple(json.loads(row.targets))
    done, clean = recorded or ({}, False)
    complete = row.finished_at is not None and clean and set(targets) <= done.keys()
    return ScanView(
        id=row.id, started_at=row.started_at, finished_at=row.finished_at, by=row.by,
        targets=targets, complete=complete, occurrences=row.occurrences,
        new_items=row.new_items, reopened_items=row.reopened_items,
        verified_items=row.verified_items, open_items=row.open_items or 0,
        occurrences_by_target=done, coverage=tuple(coverage), problems=tuple(problems))


def list_scans(conn: Connection, details: bool = False) -> list[ScanView]:
    """Return every scan, newest first, with coverage and problems only if ``details``."""
    rows = conn.execute(select(schema.scans).order_by(schema.scans.c.id.desc())).all()
    recorded = _completeness(conn)
    coverage, problems = _details(conn) if details else ({}, {})
    return [to_scan_view(row, recorded.get(row.id), coverage.get(row.id, ()),
                         problems.get(row.id, ())) for row in rows]


def _details(conn: Connection) -> tuple[dict[int, list], dict[int, list]]:
    """Return every scan's coverage and problems, by scan ID, in two queries."""
    coverage: dict[int, list] = {}
    for c in conn.execute(select(schema.coverage).order_by(schema.coverage.c.id)):
        coverage.setdefault(c.scan_id, []).append(
            CoverageView(c.target, c.container, c.unit, c.units, c.bytes, c.sampled, c.complete))
    problems: dict[int, list] = {}
    for p in conn.execute(select(schema.problems).order_by(schema.problems.c.id)):
        problems.setdefault(p.scan_id, []).append(ProblemView(p.target, p.location, p.reason))
    return coverage, problems


def last_scan_of(conn: Connection, target: str) -> int | None:
    """Return the newest scan that recorded ``target``, or None."""
    return conn.execute(select(func.max(schema.scan_targets.c.scan_id)).where(
        schema.scan_targets.c.target_key == target_key(target))).scalar_one()


def count_active(conn: Connection, targets: Iterable[str]) -> int:
    """Return how many items of ``targets`` still wait for remediation."""
    c = schema.items.c
    return conn.execute(select(func.count()).select_from(schema.items).where(
        c.status.in_(sorted(lifecycle.ACTIVE)), c.target_key.in_(sorted({target_key(t) for t in targets})))).scalar_one()
