"""The ``Ledger``: the remediation ledger's public API, one transaction per operation.

Scans record each target in one transaction together with its checkpoint, so a killed scan
loses nothing it recorded and a resumed one records nothing twice. People's edits are checked
against the lifecycle (``lifecycle.py``) and kept in each item's history.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Iterable, Iterator

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from pii_audit.errors import LedgerError
from pii_audit.keys import key_check_value
from pii_audit.ledger import edits, queries, schema
from pii_audit.ledger.db import (READ_OPTION, display_url, make_engine, named_lock, one_line,
                                 resolve_url, upgrade)
from pii_audit.ledger.ids import parse_id
from pii_audit.ledger.record import Context, RecordOutcome, record, recorded_before
from pii_audit.ledger.rows import DEFAULT_DUE_DAYS, expire_one, expired_filter, to_json, utc_now
from pii_audit.views import ItemView, ScanView

if TYPE_CHECKING:  # importing results at run time would load Presidio (seconds) for `ledger list`
    from pii_audit.results import TargetResult

KEY_CHECK = "key_check_value"
ATTEMPTS = 3  # a write that lost a race for a new item's unique key is retried


class Ledger:
    """The remediation ledger: scans, items, their lifecycle and history, in one database."""

    def __init__(self, engine: Engine, due_days: dict[str, int] | None = None):
        self.engine = engine
        self.due_days = {**DEFAULT_DUE_DAYS, **(due_days or {})}

    @classmethod
    def open(cls, url: str | None, key: bytes, due_days: dict[str, int] | None = None,
             create: bool = True) -> "Ledger":
        """Open (creating or upgrading) the ledger at ``url``, refusing a different key."""
        engine = make_engine(resolve_url(url), create=create)
        try:
            upgrade(engine)
            ledger = cls(engine, due_days)
            ledger._check_key(key_check_value(key))
        except BaseException:
            engine.dispose()
            raise
        return ledger

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as error:
            raise LedgerError(f"ledger write failed ({display_url(str(self.engine.url))}): "
                              f"{one_line(error)}") from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{READ_OPTION: True})
                with conn.begin():
                    yield conn
        except SQLAlchemyError as error:
            raise LedgerError(f"ledger read failed ({display_url(str(self.engine.url))}): "
                              f"{one_line(error)}") from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """Yield a connection in one read-only transaction, for readers that stream (``stream.py``)."""
        with self._read() as conn:
            yield conn

    def _check_key(self, check: str) -> None:
        for attempt in range(ATTEMPTS):
            try:
                with self._write() as conn:
                    stored = conn.execute(select(schema.meta.c.value).where(
                        schema.meta.c.name == KEY_CHECK)).scalar()
                    if stored is None:
                        conn.execute(insert(schema.meta).values(name=KEY_CHECK, value=check))
                        stored = check
                break
            except LedgerError:
                if attempt == ATTEMPTS - 1:  # lost a race with another first run: read again
                    raise
        if stored != check:
            raise LedgerError(
                f"this ledger was built with another fingerprint key (key check value {stored}, "
                f"yours {check}); use the key it was built with ($PII_AUDIT_KEY or the key file)")

    # -- scans ---------------------------------------------------------------------------------

    def begin_scan(self, by: str, targets: list[str], options: dict,
                   now: datetime.datetime | None = None) -> int:
        """Record the start of a scan and return its ID."""
        now = utc_now(now)
        self.expire_accepted(now=now)
        with self._write() as conn:
            return conn.execute(insert(schema.scans).values(
                started_at=now, by=by, targets=to_json([display_target(t) for t in targets]),
                options=to_json(options), occurrences=0, new_items=0, reopened_items=0,
                verified_items=0)).inserted_primary_key[0]

    def record_target(self, scan_id: int, result: TargetResult,
                      now: datetime.datetime | None = None) -> RecordOutcome:
        """Record one target's result in one transaction; a target already recorded is skipped."""
        now = utc_now(now)
        if display_target(result.target) != result.target:  # never store a password
            result = dataclasses.replace(result, target=display_target(result.target))
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._record_once(scan_id, result, now)
            except IntegrityError as error:
                # Another scan may have created the same new item first: read again and retry.
                if attempt == ATTEMPTS or self.engine.dialect.name == "sqlite":
                    raise LedgerError(f"could not record {result.target} in the ledger: "
                                      f"{one_line(error)}") from None
        raise AssertionError("unreachable")

    def _record_once(self, scan_id: int, result: TargetResult, now) -> RecordOutcome:
        try:
            with self.engine.connect() as conn, _target_transaction(conn, result.target):
                done = recorded_before(conn, scan_id, result.target)
                if done is not None:
                    return done
                return record(conn, result, self._context(conn, scan_id, now, result.due_days))
        except IntegrityError:
            raise
        except SQLAlchemyError as error:
            raise LedgerError(f"could not record {result.target} in the ledger: "
                              f"{one_line(error)}") from None

    def _context(self, conn: Connection, scan_id: int, now, due_days: dict | None = None) -> Context:
        options = conn.execute(select(schema.scans.c.options).where(
            schema.scans.c.id == scan_id)).scalar()
        if options is None:
            raise LedgerError(f"no scan {scan_id} in this ledger")
        entities = json.loads(options).get("entities") or ()
        # A target's own due days (audit.toml) override the ledger's for its items.
        return Context(scan_id, now, {**self.due_days, **(due_days or {})}, frozenset(entities))

    def finish_scan(self, scan_id: int, now: datetime.datetime | None = None) -> ScanView:
        """Mark a scan finished, count the items it leaves open, and return its view."""
        now = utc_now(now)
        with self._write() as conn:
            targets = conn.execute(select(schema.scan_targets.c.target).where(
                schema.scan_targets.c.scan_id == scan_id)).scalars().all()
            conn.execute(update(schema.scans).where(schema.scans.c.id == scan_id).values(
                finished_at=now, open_items=queries.count_active(conn, targets)))
        return self.scan(scan_id)

    def scans(self, details: bool = False) -> list[ScanView]:
        """Return every scan, newest first (with coverage and problems only if ``details``)."""
        with self._read() as conn:
            return queries.list_scans(conn, details=details)

    def scan(self, scan_id: int) -> ScanView:
        """Return one scan with its coverage and problems."""
        with self._read() as conn:
            return queries.get_scan(conn, int(scan_id))

    def last_run(self, target: str) -> ScanView | None:
        """Return the newest scan that recorded ``target``, or None."""
        with self._read() as conn:
            scan_id = queries.last_scan_of(conn, display_target(target))
        return None if scan_id is None else self.scan(scan_id)

    # -- items ---------------------------------------------------------------------------------

    def expire_accepted(self, today: datetime.date | None = None,
                        now: datetime.datetime | None = None) -> int:
        """Return accepted risks that expired before ``today`` to open; return how many."""
        now = utc_now(now)
        today = today or datetime.date.today()
        with self._read() as conn:
            if conn.execute(select(schema.items.c.id).where(expired_filter(today)).limit(1)).first() is None:
                return 0
        with self._write() as conn:
            rows = conn.execute(select(schema.items).where(expired_filter(today))).all()
            return sum(expire_one(conn, row, now, self.due_days) for row in rows)

    def items(self, status=None, owner=None, target=None, entity=None, overdue=False,
              today: datetime.date | None = None, samples: bool = True,
              history: bool = False) -> list[ItemView]:
        """Return the items matching the filters, by ID (``owner="-"``: unassigned ones)."""
        clauses = self._item_clauses(status, owner, target, entity, overdue, today)
        with self._read() as conn:
            return queries.list_items(conn, clauses, samples=samples, history=history)

    def item_columns(self, columns: tuple[str, ...], status=None, owner=None, target=None,
                     entity=None, overdue=False, today: datetime.date | None = None) -> list[tuple]:
        """Return only ``columns`` (of schema.items) of the items matching the filters, by ID."""
        clauses = self._item_clauses(status, owner, target, entity, overdue, today)
        with self._read() as conn:
            return queries.list_columns(conn, clauses, columns)

    def _item_clauses(self, status, owner, target, entity, overdue, today) -> list:
        """Expire accepted risks that ran out, and return the WHERE clauses of a listing."""
        today = today or datetime.date.today()
        clauses = queries.item_filter(status, owner, target, entity, overdue, today)
        self.expire_accepted(today)
        return clauses

    def item(self, item_id: str | int) -> ItemView:
        """Return one item with its history."""
        number = parse_id(item_id)
        self.expire_accepted()
        with self._read() as conn:
            return queries.get_item(conn, number)

    def _items_by_id(self, numbers: Iterable[int]) -> list[ItemView]:
        with self._read() as conn:
            return [queries.get_item(conn, n) for n in numbers]

    def update(self, item_ids, status: str, note: str, by: str,
               now: datetime.datetime | None = None) -> list[ItemView]:
        """Change the status of items (all or none), checked against the lifecycle."""
        now, numbers = utc_now(now), _numbers(item_ids)
        self.expire_accepted(now=now)
        with self._write() as conn:
            for number in numbers:
                edits.set_status(conn, number, status, note, by, now)
        return self._items_by_id(numbers)

    def assign(self, item_ids, owner: str, department: str | None = None,
               due: datetime.date | None = None, by: str = "", now=None) -> list[ItemView]:
        """Give items an owner, and optionally a department and a due date (all or none)."""
        if not (owner or "").strip():
            raise LedgerError("an owner is required (--owner NAME)")
        now, numbers = utc_now(now), _numbers(item_ids)
        with self._write() as conn:
            for number in numbers:
                edits.assign(conn, number, owner, department, due, by, now)
        return self._items_by_id(numbers)

    def accept_risk(self, item_id, approver: str, until: datetime.date, note: str, by: str,
                    now: datetime.datetime | None = None) -> ItemView:
        """Accept an item's risk until ``until`` (inclusive), with an approver and a reason."""
        now, number = utc_now(now), parse_id(item_id)
        with self._write() as conn:
            edits.accept_risk(conn, number, approver, until, note, by, now)
        return self._items_by_id([number])[0]

    def apply_edit(self, item_id, by: str, *, status=None, owner=None, department=None, due=None,
                   note=None, expected_updated_at=None, now=None) -> ItemView:
        """Apply one edited row of an exported workbook; LedgerConflict if the item changed since."""
        now, number = utc_now(now), parse_id(item_id)
        expected = utc_now(expected_updated_at) if expected_updated_at else None
        with self._write() as conn:
            edits.apply_edit(conn, number, by, now, status=status, owner=owner,
                             department=department, due=due, note=note,
                             expected_updated_at=expected)
        return self._items_by_id([number])[0]


def _numbers(item_ids) -> list[int]:
    if isinstance(item_ids, (str, int)):
        item_ids = [item_ids]
    numbers = [parse_id(i) for i in item_ids]
    if not numbers:
        raise LedgerError("no item ID given")
    return list(dict.fromkeys(numbers))


def display_target(target: str) -> str:
    """Return a target as it is stored: a database URL with its password hidden."""
    return display_url(target) if "://" in target else target


@contextmanager
def _target_transaction(conn: Connection, target: str) -> Iterator[None]:
    """Run a transaction that no other scan recording ``target`` runs at the same time.

    SQLite: BEGIN IMMEDIATE (db.py); PostgreSQL: an advisory lock until commit; MySQL/MariaDB: a
    named lock taken before the transaction begins, so its snapshot sees the previous writer.
    """
    # A mariadb:// URL names the dialect "mariadb": the same server, the same lock.
    mysql = conn.dialect.name in schema.MYSQL
    with named_lock(conn, f"target\0{target}") if mysql else nullcontext(), conn.begin():
        if conn.dialect.name == "postgresql":
            key = int.from_bytes(hashlib.sha256(target.encode()).digest()[:8], "big", signed=True)
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        yield
