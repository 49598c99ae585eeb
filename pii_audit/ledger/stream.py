"""Read items and history a page at a time, in a given order, for reports too large to hold.

A ledger of 100,000 items with their samples and histories took 370 MB as views in memory
(bench/reports.py); these readers keep one page (``page_size`` rows) at a time. Each query is
consumed to its end before the next one starts: MariaDB's streaming cursor allows no other
statement on its connection while it is open.
"""

from __future__ import annotations

import datetime
import itertools
from typing import Iterator

from sqlalchemy import Connection, Date, and_, case, exists, func, literal, select

from pii_audit.ledger import lifecycle, queries, schema
from pii_audit.views import HistoryEntry, ItemView

items = schema.items.c
history = schema.history.c


def touched_by(scan_id: int):
    """Return the WHERE clause of items that scan ``scan_id`` wrote into the history of."""
    return exists().where(history.item_id == items.id, history.scan_id == scan_id)


def owner_is(owner: str):
    """Return the WHERE clause of items of ``owner``; "" names the items nobody owns."""
    return func.coalesce(items.owner, "") == owner


def ranked(column: str, ranks: dict[str, int], other: int):
    """Return an ORDER BY term: an item column's value by its rank in ``ranks``, else ``other``."""
    return case(ranks, value=items[column], else_=other)


def overdue_first(today: datetime.date):
    """Return an ORDER BY term that puts the items overdue longest first, then the rest, tied.

    An active item past due sorts by its due date; every other item by ``today``, which is later
    than any overdue date: the order of "most days overdue first, 0 for the rest".
    """
    late = and_(items.status.in_(sorted(lifecycle.ACTIVE)), items.due_date < today)
    return case((late, items.due_date), else_=literal(today, Date))


def item_pages(conn: Connection, clauses: list, order_by: list,
               page_size: int) -> Iterator[list[ItemView]]:
    """Yield the items matching every clause, with their samples but no history, in pages.

    The database sorts (``order_by``, then the item number); the rows arrive through a
    server-side cursor where the dialect has one (PostgreSQL, MariaDB) and SQLite's own stepping
    cursor otherwise, so only one page is in memory at a time.
    """
    query = queries.item_select().where(*clauses).order_by(*order_by, items.id)
    result = conn.execute(query.execution_options(yield_per=page_size))
    for rows in result.partitions():
        yield [queries.to_item_view(row) for row in rows]


def scan_histories(conn: Connection, clauses: list, scan_id: int,
                   page_size: int) -> Iterator[tuple[HistoryEntry, ...]]:
    """Yield, one item at a time, what scan ``scan_id`` wrote into the history of each item
    matching every clause."""
    h = schema.history
    query = select(h).where(history.scan_id == scan_id,
                            history.item_id.in_(select(items.id).where(*clauses)))
    result = conn.execute(query.order_by(history.item_id, history.id)
                          .execution_options(yield_per=page_size))
    for _, rows in itertools.groupby(result, key=lambda row: row.item_id):
        yield tuple(queries._history_entry(row) for row in rows)  # the same view as list_items'
