"""The workbook streamed from the ledger (``reporting/streamed.py``): the same workbook as the
in-memory report's, part for part, with only a page of items in memory at a time.

The ledgers are real (SQLite, PostgreSQL, MariaDB), filled by real scans of a synthetic corpus and
edited through the ledger's API, so that every status, several owners and due dates, overdue
items and the changes of two scans are in them; pages of 4 items make many pages.
"""

from __future__ import annotations

import datetime
import functools
import gc
import weakref
import zipfile

import openpyxl
import pytest

from ledger_helpers import KEY, T0, backend_params, corpus_streams, ledger_url, record_scan, scan_lines
from pii_audit.ledger import Ledger
from pii_audit.reporting.excel import write_workbook
from pii_audit.reporting.streamed import streamed_report, write_ledger_workbook
from pii_audit.reporting.viewmodel import build_report, select_items

NOW = datetime.datetime(2024, 7, 15, 10, 0)
PAGE = 4
CORE, CRM = "logs/core", "logs/crm"


@functools.cache
def _streams() -> tuple[dict, dict]:
    return corpus_streams(31, 4, 12), corpus_streams(32, 3, 12)


def fill(ledger: Ledger) -> Ledger:
    """Record two scans and people's edits: every status, three owners, due dates, overdue items."""
    core, crm = _streams()
    record_scan(ledger, [scan_lines(CORE, core, owner="王芳", department="零售银行部"),
                         scan_lines(CRM, crm)], T0)
    ids = [i.id for i in ledger.items()]
    day = T0 + datetime.timedelta(days=1)
    ledger.update(ids[0::9] + ids[5::9], "in_progress", "排期整改", by="李娜", now=day)
    for item_id in ids[0::18]:
        ledger.accept_risk(item_id, "张伟", datetime.date(2099, 1, 1), "系统下线前接受", by="张伟", now=day)
    ledger.update(ids[1::9], "fixed", "已脱敏", by="李娜", now=day)
    ledger.update(ids[2::9], "false_positive", "测试数据", by="李娜", now=day)
    for n, item_id in enumerate(ids[3::4]):
        owner = "张伟" if n % 2 else "李娜"
        due = datetime.date(2024, 6, 1) + datetime.timedelta(days=25 * (n % 4))  # some not yet due
        ledger.assign([item_id], owner, "信息科技部", due, by="张伟", now=day)
    # Scan 2 finds the core's fixed items again (reopened), a new core log (new items) and the
    # emptied crm log no more (verified).
    grown = {**core, "logs/new.log": corpus_streams(33, 1, 12)["logs/app0.log"]}
    emptied = {**crm, next(iter(crm)): []}
    record_scan(ledger, [scan_lines(CORE, grown), scan_lines(CRM, emptied)], T0 + datetime.timedelta(days=7))
    still_open = [i.id for i in ledger.items(status="open")]
    ledger.update(still_open[::3], "fixed", "已下线", by="王芳", now=T0 + datetime.timedelta(days=8))
    return ledger


@pytest.fixture(scope="module", params=backend_params())
def ledger(request):
    with ledger_url(request.param) as url:
        with Ledger.open(url, KEY) as opened:
            yield fill(opened)


def parts(path) -> dict[str, bytes]:
    """Return the workbook's parts but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def sheet_values(path) -> dict[str, list[tuple]]:
    """Return every sheet's cell values, row by row: a readable diff when the parts differ."""
    workbook = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def in_memory_workbook(ledger: Ledger, path, lang="zh", scan_id=None, status=None, owner=None):
    """Write the workbook as the report command did before streaming: every item in memory."""
    items = select_items(ledger.items(history=True), scan_id=scan_id, status=status, owner=owner)
    report = build_report(items, ledger.scans(details=True), lang=lang, scan_id=scan_id, now=NOW)
    return write_workbook(report, path), report


@pytest.mark.parametrize("options", [
    pytest.param({}, id="all"),
    pytest.param({"status": "open"}, id="status"),
    pytest.param({"owner": "张伟"}, id="owner"),
    pytest.param({"owner": ""}, id="unassigned"),
    pytest.param({"scan_id": 1}, id="scan-1"),
    pytest.param({"scan_id": 2, "owner": "王芳"}, id="scan-2-owner"),
    pytest.param({"lang": "en"}, id="en"),
])
def test_streamed_workbook_is_the_in_memory_one(ledger, tmp_path, options):
    expected, report = in_memory_workbook(ledger, tmp_path / "memory.xlsx", **options)
    assert len(report.items) > 2 * PAGE or options, "the ledger must fill several pages"
    path, figures = write_ledger_workbook(ledger, tmp_path / "streamed.xlsx", now=NOW, page_size=PAGE,
                                          **options)
    assert figures == report.figures
    assert sheet_values(path) == sheet_values(expected)
    assert parts(path) == parts(expected)  # styles, filter, drop-down, protection, widths too


def test_the_ledger_exercises_the_order_and_the_figures(ledger):
    report = build_report(ledger.items(history=True), ledger.scans(details=True), now=NOW)
    assert len({r.item.status for r in report.items}) == 7 and len({r.item.risk_category for r in report.items}) > 1
    assert len({r.days_overdue for r in report.items}) >= 3 and len({r.item.owner for r in report.items}) >= 3
    assert report.figures.new and report.figures.reopened and report.figures.verified


def test_only_a_page_of_items_is_held_at_once(ledger, tmp_path):
    read, held = [], []

    def watched(pages):  # the real pages, each item watched through a weak reference
        for page in pages:
            read.extend(weakref.ref(item) for item in page)
            gc.collect()
            held.append(sum(ref() is not None for ref in read))
            yield page

    with streamed_report(ledger, now=NOW, page_size=PAGE) as report:
        report.pages = watched(report.pages)
        write_workbook(report, tmp_path / "r.xlsx")
        total = report.figures.items
    assert total == len(read) > 4 * PAGE and len(held) >= total // PAGE
    assert max(held) <= 2 * PAGE  # the page just read and the one being written


def test_figures_are_refused_before_the_rows_are_read(ledger):
    with streamed_report(ledger, now=NOW, page_size=PAGE) as report:
        with pytest.raises(RuntimeError):
            report.figures
