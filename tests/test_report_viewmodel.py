"""The report view model: counts, overdue items, changes since the previous scan, filters."""

from __future__ import annotations

import datetime
import re

import pytest

from pii_audit.errors import ConfigError
from pii_audit.reporting.viewmodel import build_report, format_location, select_items
from reporting_data import build_report_data

NOW = datetime.datetime(2024, 7, 15, 10, 0)


@pytest.fixture(scope="module")
def data():
    return build_report_data(lines_per=20)


def test_counts_add_up_to_the_items(data):
    report = build_report(data.items, data.scans, now=NOW)
    for bars in (report.by_status, report.by_risk, report.by_entity, report.by_owner):
        assert sum(b.value for b in bars) == len(data.items)
    assert {b.key for b in report.by_status} <= {i.status for i in data.items}


def test_overdue_are_active_items_past_due(data):
    report = build_report(data.items, data.scans, now=NOW)
    expected = {i.id for i in data.items if i.status in ("open", "in_progress", "reopened")
                and i.due_date < NOW.date()}
    assert {r.item.id for r in report.overdue} == expected
    assert all(r.days_overdue == (NOW.date() - r.item.due_date).days for r in report.overdue)


def test_changes_come_from_the_latest_scans_history(data):
    report = build_report(data.items, data.scans, now=NOW)
    assert report.scan.id == 4 and report.previous.id == 3
    assert set(report.changes.reopened) == {i.id for i in data.items if i.status == "reopened"}
    assert set(report.changes.new) == {i.id for i in data.items
                                       if any(h.action == "created" and h.scan_id == 4 for h in i.history)}


def test_trend_has_one_point_per_scan_in_order(data):
    """Every scan of the synthetic ledger read every target: the occurrences are its own, and
    after the last one the open items are those the overview counts."""
    report = build_report(data.items, data.scans, now=NOW)
    open_items, occurrences = report.trend
    assert [p.label for p in open_items.points] == [f"#{s.id}" for s in data.scans]
    assert [p.value for p in occurrences.points] == [s.occurrences for s in data.scans]
    assert occurrences.points[0].y < occurrences.points[-1].y  # SVG y grows down: fewer, lower
    active = sum(b.value for b in report.by_status if b.key in ("open", "in_progress", "reopened"))
    assert open_items.points[-1].value == active > 0


def test_scan_option_reports_as_of_that_scan(data):
    items = select_items(data.items, scan_id=3)
    report = build_report(items, data.scans, scan_id=3, now=NOW)
    assert report.scan.id == 3 and [s.id for s in report.scans] == [3, 2, 1]
    assert items and all(any(h.scan_id == 3 for h in i.history) for i in items)


@pytest.mark.parametrize("kwargs, check", [
    pytest.param({"status": "open"}, lambda i: i.status == "open", id="status"),
    pytest.param({"owner": "张伟"}, lambda i: i.owner == "张伟", id="owner"),
    pytest.param({"owner": "张伟", "status": "fixed"}, lambda i: i.owner == "张伟" and i.status == "fixed",
                 id="both"),
])
def test_select_items_filters(data, kwargs, check):
    chosen = select_items(data.items, **kwargs)
    assert chosen and chosen == [i for i in data.items if check(i)]


@pytest.mark.parametrize("call", [
    pytest.param(lambda d: select_items(d.items, status="done"), id="unknown-status"),
    pytest.param(lambda d: build_report(d.items, d.scans, scan_id=99), id="unknown-scan"),
    pytest.param(lambda d: build_report(d.items, d.scans, lang="fr"), id="unknown-language"),
])
def test_bad_options_are_one_line_errors(data, call):
    with pytest.raises(ConfigError) as error:
        call(data)
    assert "\n" not in str(error.value)


def test_no_scans_and_no_items_still_build():
    report = build_report([], [], now=NOW)
    assert report.scan is None and report.items == () and report.trend[0].points == ()


@pytest.mark.parametrize("location, text", [
    pytest.param({"path": "a.xlsx", "sheet": "客户", "cell": "C7", "start": 0, "end": 18},
                 "a.xlsx 客户!C7 [0-18]", id="sheet"),
    pytest.param({"path": "app.log", "line": 3}, "app.log:3", id="log-no-span"),
    pytest.param({"url": "postgresql://u@h/db", "table": "kh", "column": "sjhm", "row": {"id": 5},
                  "start": 0, "end": 11}, 'postgresql://u@h/db kh.sjhm {"id": 5} [0-11]', id="database"),
])
def test_format_location(location, text):
    assert format_location(location) == text


@pytest.mark.parametrize("location, zh, en", [
    pytest.param({"url": "sqlite:///a.db", "table": "rz", "column": "nr", "row": 3, "start": 0, "end": 11},
                 "sqlite:///a.db rz.nr 第3行 [0-11]", "sqlite:///a.db rz.nr row 3 [0-11]", id="no-primary-key"),
    pytest.param({"path": "a.xlsx", "sheet": "S", "cell": "B2", "comment": True},
                 "a.xlsx S!B2 批注", "a.xlsx S!B2 comment", id="comment"),
    pytest.param({"path": "a.ppt", "part": "PowerPoint Document", "slide": 3, "line": 6},
                 "a.ppt 幻灯片3 PowerPoint Document:6", "a.ppt slide 3 PowerPoint Document:6", id="slide"),
])
def test_locations_are_in_the_reports_language(location, zh, en):
    """A row of a table without a primary key was a bare number, and the English report said
    批注, 第2页 and 幻灯片3."""
    assert (format_location(location, "zh"), format_location(location, "en")) == (zh, en)


def test_trend_adds_up_the_targets_a_run_scans_one_by_one(tmp_path, key):
    """A scheduled run records one scan per target. Each point of the trend is everything the
    report covers once that scan was recorded, not that scan's own target: after scanning
    ``logs/crm`` the line holds ``logs/core``'s items and occurrences too, a person's decision
    between scans counts from the next point, and a rescan that verifies items lowers it."""
    from ledger_helpers import corpus_streams, record_scan, scan_lines

    from pii_audit.ledger import Ledger

    core, crm = corpus_streams(21, 2, 12), corpus_streams(22, 2, 12)
    t0 = datetime.datetime(2024, 5, 1, 9, 30)
    ledger = Ledger.open(f"sqlite:///{tmp_path}/ledger.db", key)
    record_scan(ledger, [scan_lines("logs/core", core, key)], t0)
    after_core = len(ledger.items())
    record_scan(ledger, [scan_lines("logs/crm", crm, key)], t0 + datetime.timedelta(hours=1))
    after_crm = len(ledger.items())
    dismissed = ledger.items(target="logs/crm")[0].id
    ledger.update([dismissed], "false_positive", "测试数据", by="李娜", now=t0 + datetime.timedelta(days=1))
    record_scan(ledger, [scan_lines("logs/core", {**core, "logs/app1.log": []}, key)],
                t0 + datetime.timedelta(days=7))
    items, scans = ledger.items(history=True), sorted(ledger.scans(), key=lambda s: s.id)
    ledger.close()

    open_items, occurrences = build_report(items, scans, now=NOW).trend
    still_active = sum(i.status in ("open", "in_progress", "reopened") for i in items)
    assert any(i.status == "verified" for i in items) and after_core < after_crm
    assert [p.value for p in open_items.points] == [after_core, after_crm, still_active]
    first, second, third = (s.occurrences for s in scans)
    assert [p.value for p in occurrences.points] == [first, first + second, third + second]


def test_history_notes_pii_audit_wrote_are_in_the_reports_language(tmp_path, key):
    """The notes a scan, an expiry or an edit composes (found, found again, verified, acceptance
    expired, approved, reassigned) stay English in the ledger and read in Chinese in a Chinese
    report; a person's own words inside them are kept as written."""
    from ledger_helpers import corpus_streams, record_scan, scan_lines

    from pii_audit.ledger import Ledger
    from pii_audit.ledger.rows import SYSTEM

    core = corpus_streams(23, 2, 12)
    t0 = datetime.datetime(2024, 5, 1, 9, 30)
    ledger = Ledger.open(f"sqlite:///{tmp_path}/ledger.db", key)
    record_scan(ledger, [scan_lines("logs/core", core, key)], t0)
    record_scan(ledger, [scan_lines("logs/core", {**core, "logs/app1.log": []}, key)], t0 + datetime.timedelta(days=1))
    record_scan(ledger, [scan_lines("logs/core", core, key)], t0 + datetime.timedelta(days=2))
    accepted = next(i for i in ledger.items() if i.status == "open").id
    ledger.accept_risk(accepted, "王芳", datetime.date(2024, 5, 10), "系统下线前保留", by="李娜", now=t0)
    ledger.assign([accepted], "张伟", "信息科技部", datetime.date(2024, 7, 1), by="李娜", now=t0)
    ledger.expire_accepted(today=datetime.date(2024, 6, 1), now=t0 + datetime.timedelta(days=31))
    items = ledger.items(history=True)
    ledger.close()

    rows = [h for r in build_report(items, [], now=NOW).items for h in r.history]
    notes = {h.note for h in rows if h.by == SYSTEM}
    assert {"扫描 #1 发现", "扫描 #2 验证：完整读取该位置，未再发现", "扫描 #3 再次发现",
            "王芳 批准的风险接受已于 2024-05-10 到期"} <= notes
    assert not [n for n in notes if re.search("[A-Za-z]{2}", n)]
    assert "王芳 批准接受风险至 2024-05-10：系统下线前保留" in {h.note for h in rows if h.by == "李娜"}
    english = {h.note for r in build_report(items, [], lang="en", now=NOW).items for h in r.history}
    assert "found by scan 1" in english
    assigned = next(h.note for h in rows if h.action == "分配")
    assert assigned.startswith("责任人 未分配 → 张伟；责任部门 - → 信息科技部；整改期限 ") and \
        assigned.endswith(" → 2024-07-01")
