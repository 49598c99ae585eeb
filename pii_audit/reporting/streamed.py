"""The Excel report streamed from the ledger: items read a page at a time in report order, so the
workbook of any ledger is written within bounded memory (bench/reports.py).

Rows are made by the view model's ``item_row`` and counted by its ``Tally``, in the view model's
order and selection (``report_order`` and ``report_filter`` say them in SQL): the streamed
workbook is the workbook of the in-memory report, cell for cell (tests/test_excel_streamed.py).
"""

from __future__ import annotations

import datetime
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pii_audit.ledger import stream
from pii_audit.ledger.queries import list_scans
from pii_audit.ledger.schema import items
from pii_audit.reporting import labels
from pii_audit.reporting.excel import write_workbook
from pii_audit.reporting.figures import OTHER_RISK, RISK_ORDER, Figures, Tally
from pii_audit.reporting.viewmodel import (OTHER_STATUS, STATUS_ORDER, ItemRow, changes_of,
                                           check_status, item_row, scans_as_of)
from pii_audit.views import ItemView, ScanView

PAGE_SIZE = 2000  # items in memory at once: about 6 MB with three samples each


@dataclass
class StreamedReport:
    """A report whose rows are read from the ledger as the workbook writes them.

    It answers what ``excel.write_workbook`` asks of the in-memory ``Report``; its figures are
    counted as the rows go by, so they are known once ``rows()`` has been read to its end.
    """

    lang: str
    text: dict
    generated_at: datetime.datetime
    today: datetime.date
    scan: ScanView | None
    scans: tuple[ScanView, ...]  # newest first
    pages: Iterator[list[ItemView]]
    tally: Tally
    read: bool = False

    def rows(self) -> Iterator[ItemRow]:
        """Yield the rows in report order, counting each; once only."""
        for page in self.pages:
            for item in page:
                row = item_row(item, self.lang, self.today, {})  # the workbook shows no coverage
                self.tally.add(row)
                yield row
        self.read = True

    @property
    def figures(self) -> Figures:
        """Return the overview's figures; an error before the rows were read to their end."""
        if not self.read:
            raise RuntimeError("a streamed report counts its figures as its rows are read")
        return self.tally.figures()


def report_filter(scan_id: int | None = None, status: str | None = None,
                  owner: str | None = None) -> list:
    """Return the WHERE clauses of ``viewmodel.select_items``'s selection."""
    check_status(status)
    clauses = []
    if status is not None:
        clauses.append(items.c.status == status)
    if owner is not None:
        clauses.append(stream.owner_is(owner))
    if scan_id is not None:
        clauses.append(stream.touched_by(scan_id))
    return clauses


def report_order(today: datetime.date) -> list:
    """Return the ORDER BY terms of ``viewmodel.sort_key`` (the item number comes last)."""
    return [stream.ranked("risk_category", RISK_ORDER, OTHER_RISK),
            stream.ranked("status", STATUS_ORDER, OTHER_STATUS), stream.overdue_first(today)]


@contextmanager
def streamed_report(ledger, *, lang: str = "zh", scan_id: int | None = None,
                    status: str | None = None, owner: str | None = None,
                    now: datetime.datetime | None = None,
                    page_size: int = PAGE_SIZE) -> Iterator[StreamedReport]:
    """Yield the report of ``ledger``'s items (selected as ``select_items`` does) to stream.

    The ledger stays in one read transaction until the block ends: write the workbook inside it.
    """
    labels.check_lang(lang)
    clauses = report_filter(scan_id, status, owner)
    now = now or datetime.datetime.now()
    ledger.expire_accepted()  # as Ledger.items() does before every listing
    with ledger.reading() as conn:
        ordered = scans_as_of(list_scans(conn, details=True), scan_id)
        scan = ordered[-1] if ordered else None
        tally = Tally(lang)
        if scan is not None:
            for entries in stream.scan_histories(conn, clauses, scan.id, page_size):
                tally.add_changes(changes_of(entries, scan.id))
        pages = stream.item_pages(conn, clauses, report_order(now.date()), page_size)
        yield StreamedReport(lang=lang, text=labels.TEXT[lang], generated_at=now, today=now.date(),
                             scan=scan, scans=tuple(reversed(ordered)), pages=pages, tally=tally)


def write_ledger_workbook(ledger, path: str | os.PathLike, **options) -> tuple[Path, Figures]:
    """Write the workbook of ``ledger`` streamed (``options`` as ``streamed_report``'s); return
    the path and the figures."""
    with streamed_report(ledger, **options) as report:
        written = write_workbook(report, path)
        return written, report.figures
