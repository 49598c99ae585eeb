"""Recording scans and editing items on a real ledger (SQLite; the lifecycle also on PostgreSQL
and MariaDB), with the real detector's results."""

from __future__ import annotations

import datetime

import pytest

from ledger_helpers import (KEY, backend_params, corpus_streams, fast_dir, id_line, ledger_url,
                            scan_lines)
from pii_audit.errors import LedgerConflict, LedgerError
from pii_audit.ledger import Ledger
from pii_audit.ledger.ids import format_id, parse_id
from pii_audit.ledger.rows import DEFAULT_DUE_DAYS, due_from

NOW = datetime.datetime(2025, 3, 3, 8, 0)


@pytest.fixture
def ledger():
    with fast_dir() as path, Ledger.open(f"sqlite:///{path}/ledger.db", KEY) as book:
        yield book


def run_scan(ledger, results, now=NOW, by="auditor", options=None):
    scan_id = ledger.begin_scan(by, [r.target for r in results], options or {}, now=now)
    outcomes = [ledger.record_target(scan_id, r, now=now) for r in results]
    return ledger.finish_scan(scan_id, now=now), outcomes


def test_scan_creates_one_item_per_target_container_entity(ledger):
    streams = corpus_streams(5, 3, 150)
    result = scan_lines("srv1:/logs", streams, owner="张三", department="零售部")
    view, (outcome,) = run_scan(ledger, [result])
    items = ledger.items()
    plaintext = {k: f for k, f in result.findings.items() if f.occurrences}
    assert len(items) == outcome.new == view.new_items == len(plaintext) >= 6
    for item in items:
        finding = plaintext[(item.container, item.entity_type)]
        assert (item.occurrences, item.distinct_values, item.masked_occurrences) == (
            finding.occurrences, finding.distinct_values, finding.masked_occurrences)
        assert item.samples and all("*" in s.masked and s.location["path"] == item.container
                                    for s in item.samples)
        assert (item.owner, item.department, item.status) == ("张三", "零售部", "open")
        assert item.first_seen == item.last_seen == NOW
        assert item.history[0].action == "created" if item.history else True
    assert view.occurrences == sum(f.occurrences for f in plaintext.values())
    assert view.open_items == len(items) and view.complete


def test_due_date_follows_risk_level(ledger):
    run_scan(ledger, [scan_lines("t", {"a.log": [id_line()]})])
    items = ledger.items()
    assert {i.risk_category for i in items} == {"C2"}  # today's recognizers are all C2
    assert all(i.due_date == NOW.date() + datetime.timedelta(days=30) for i in items)


@pytest.mark.parametrize("category,days", [pytest.param("C3", 7, id="C3"), pytest.param("C2", 30, id="C2"),
                                           pytest.param("C1", 90, id="C1")])
def test_default_due_days(category, days):
    assert due_from(NOW.date(), category, DEFAULT_DUE_DAYS) == NOW.date() + datetime.timedelta(days=days)


def test_due_days_are_configurable():
    with fast_dir() as path, Ledger.open(f"sqlite:///{path}/l.db", KEY, due_days={"C2": 3}) as book:
        run_scan(book, [scan_lines("t", {"a.log": [id_line()]})])
        ids = book.items(entity="CN_RESIDENT_ID")
        assert ids[0].due_date == NOW.date() + datetime.timedelta(days=3)


def test_unassigned_items_are_listed_as_such(ledger):
    run_scan(ledger, [scan_lines("mine", {"a.log": [id_line()]}, owner="王工"),
                      scan_lines("nobodys", {"a.log": [id_line()]})])
    assert {i.target for i in ledger.items(owner="-")} == {"nobodys"}
    assert {i.target for i in ledger.items(owner="王工")} == {"mine"}


def test_scanning_twice_changes_no_count_of_items(ledger):
    result = scan_lines("t", corpus_streams(9, 2, 100))
    run_scan(ledger, [result])
    before = ledger.items()
    view, _ = run_scan(ledger, [result], now=NOW + datetime.timedelta(days=1))
    after = ledger.items()
    assert [(i.id, i.occurrences, i.distinct_values, i.first_seen) for i in after] == \
        [(i.id, i.occurrences, i.distinct_values, i.first_seen) for i in before]
    assert view.new_items == 0 and all(i.last_seen == NOW + datetime.timedelta(days=1) for i in after)


def test_scan_never_overwrites_owner_due_date_or_note(ledger):
    run_scan(ledger, [scan_lines("t", {"a.log": [id_line()]}, owner="张三")])
    item = ledger.items(entity="CN_RESIDENT_ID")[0]
    due = datetime.date(2030, 1, 1)
    ledger.assign([item.id], "李四", "科技部", due, by="经理")
    ledger.update([item.id], "fixed", "encrypted the column", "李四")
    run_scan(ledger, [scan_lines("t", {"a.log": [id_line()]}, owner="张三", department="零售部")],
             now=NOW + datetime.timedelta(days=3))
    after = ledger.item(item.id)
    assert (after.status, after.owner, after.department, after.due_date, after.note) == (
        "reopened", "李四", "科技部", due, "encrypted the column")


def test_reopened_item_with_default_due_date_gets_a_new_one(ledger):
    line = id_line()
    run_scan(ledger, [scan_lines("t", {"a.log": [line]})])
    item = ledger.items(entity="CN_RESIDENT_ID")[0]
    ledger.update([item.id], "fixed", "done", "me")
    later = NOW + datetime.timedelta(days=40)
    view, _ = run_scan(ledger, [scan_lines("t", {"a.log": [line]})], now=later)
    after = ledger.item(item.id)
    assert after.status == "reopened" and view.reopened_items >= 1
    assert after.due_date == later.date() + datetime.timedelta(days=30)


def test_masked_only_container_counts_as_clean(ledger):
    line = id_line()
    run_scan(ledger, [scan_lines("t", {"a.log": [line]})])
    masked = line[:line.index("：") + 1] + line[line.index("：") + 1:][:6] + "********" + \
        line[line.index("：") + 1:][14:18]
    view, _ = run_scan(ledger, [scan_lines("t", {"a.log": [masked]})], now=NOW + datetime.timedelta(days=1))
    item = ledger.items(entity="CN_RESIDENT_ID")[0]
    assert item.status == "verified" and item.occurrences == 0 and item.masked_occurrences == 1


def test_items_filters(ledger):
    run_scan(ledger, [scan_lines("a", {"x.log": [id_line(1)]}, owner="甲"),
                      scan_lines("b", {"y.log": [id_line(2)]}, owner="乙")])
    first = ledger.items(target="a", entity="CN_RESIDENT_ID")[0]
    ledger.update([first.id], "in_progress", "on it", "甲")
    assert [i.id for i in ledger.items(status="in_progress")] == [first.id]
    assert {i.target for i in ledger.items(entity="CN_MOBILE_PHONE")} == {"a", "b"}
    ledger.assign([first.id], "甲", due=NOW.date() + datetime.timedelta(days=60), by="经理")
    today = NOW.date() + datetime.timedelta(days=31)  # 30 days for C2 have passed
    overdue = ledger.items(overdue=True, today=today)
    assert len(overdue) == 3 and all(i.overdue(today) for i in overdue)
    assert first.id not in {i.id for i in overdue}
    ledger.assign([first.id], "甲", due=NOW.date(), by="经理")
    ledger.update([first.id], "fixed", "done", "甲")
    assert first.id not in {i.id for i in ledger.items(overdue=True, today=today)}
    with pytest.raises(LedgerError, match="unknown status"):
        ledger.items(status="closed")


def test_update_is_all_or_nothing(ledger):
    run_scan(ledger, [scan_lines("a", {"x.log": [id_line()]})])
    one, two = ledger.items()
    ledger.update([two.id], "false_positive", "test data", "me")
    with pytest.raises(LedgerError, match=two.id):
        ledger.update([one.id, two.id], "fixed", "done", "me")  # false_positive -> fixed refused
    assert ledger.item(one.id).status == "open"


def test_apply_edit_refuses_an_item_changed_since_export(ledger):
    run_scan(ledger, [scan_lines("a", {"x.log": [id_line()]})])
    exported = ledger.items()[0]
    edited = ledger.apply_edit(exported.id, "owner-via-excel", status="in_progress", note="ticket 7",
                               owner="王五", due=datetime.date(2025, 4, 1),
                               expected_updated_at=exported.updated_at,
                               now=NOW + datetime.timedelta(hours=1))
    assert (edited.status, edited.owner, edited.due_date) == ("in_progress", "王五", datetime.date(2025, 4, 1))
    assert [h.action for h in edited.history] == ["created", "status", "assign"]
    with pytest.raises(LedgerConflict, match="changed at"):
        ledger.apply_edit(exported.id, "someone", note="stale", expected_updated_at=exported.updated_at)
    with pytest.raises(LedgerError, match="only a scan"):
        ledger.apply_edit(exported.id, "x", status="verified", note="n",
                          expected_updated_at=edited.updated_at)


def test_scan_views_and_last_run(ledger):
    result = scan_lines("db", {"t.c": [id_line()]}, sampled=True)
    result.coverage.problem("t.d", "permission denied", container="t.d")
    view, _ = run_scan(ledger, [result], by="审计员")
    assert view.by == "审计员" and not view.complete and view.finished_at == NOW
    assert {(c.container, c.sampled, c.complete) for c in view.coverage} == {("t.c", True, True),
                                                                              ("t.d", False, False)}
    assert [(p.where, p.reason) for p in view.problems] == [("t.d", "permission denied")]
    assert ledger.last_run("db").id == view.id and ledger.last_run("elsewhere") is None
    assert [s.id for s in ledger.scans()] == [view.id]


def test_database_target_passwords_are_hidden(ledger):
    url = "postgresql://scanner:s3cret@db/crm"
    scan_id = ledger.begin_scan("me", [url], {})
    ledger.record_target(scan_id, scan_lines(url, {"kh.zjhm": [id_line()]}))
    assert "s3cret" not in repr(ledger.scan(scan_id)) + repr(ledger.items())
    assert ledger.items()[0].target == "postgresql://scanner:***@db/crm"


def test_resumed_scan_records_a_target_once(ledger):
    result = scan_lines("t", corpus_streams(3, 1, 80))
    scan_id = ledger.begin_scan("me", ["t"], {})
    first = ledger.record_target(scan_id, result)
    again = ledger.record_target(scan_id, result)
    assert again.already_recorded and (again.new, again.occurrences) == (first.new, first.occurrences)
    assert ledger.scan(scan_id).occurrences == first.occurrences


def test_a_different_key_is_refused():
    with fast_dir() as path:
        Ledger.open(f"sqlite:///{path}/l.db", KEY).close()
        with pytest.raises(LedgerError, match="another fingerprint key") as refused:
            Ledger.open(f"sqlite:///{path}/l.db", b"k" * 32)
        assert KEY.hex() not in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize("text,number", [pytest.param("PI-000123", 123, id="canonical"),
                                         pytest.param("pi-5", 5, id="short"),
                                         pytest.param("77", 77, id="bare")])
def test_item_ids(text, number):
    assert parse_id(text) == number and format_id(number) == f"PI-{number:06d}"


@pytest.mark.parametrize("text", ["PI-", "PX-1", "PI-0", "1; drop table items"])
def test_bad_item_ids(text):
    with pytest.raises(LedgerError, match="not an item ID"):
        parse_id(text)


# Longer than any TEXT prefix MySQL could index (768 utf8mb4 characters), and in Chinese.
LONG_CONTAINER = "客户资料/" + "个人信息明细表" * 130 + ".log"


@pytest.mark.parametrize("backend", backend_params())
def test_record_verify_reopen_on_every_database(backend):
    """A scan records, a clean full rescan verifies, a finding again reopens: same items each time.

    Targets differing only in case or a trailing space are distinct items everywhere (MariaDB's
    default collation would call them equal).
    """
    targets = ["日志服务器:/Logs", "日志服务器:/logs", "日志服务器:/logs "]
    later, last = NOW + datetime.timedelta(days=1), NOW + datetime.timedelta(days=2)
    with ledger_url(backend) as url, Ledger.open(url, KEY) as book:
        view, _ = run_scan(book, [scan_lines(t, {LONG_CONTAINER: [id_line()]}) for t in targets])
        first = book.items()
        assert view.new_items == len(first) == 2 * len(targets)
        assert {(i.target, i.container) for i in first} == {(t, LONG_CONTAINER) for t in targets}
        view, _ = run_scan(book, [scan_lines(targets[0], {LONG_CONTAINER: []})], now=later)
        assert view.verified_items == 2 and view.new_items == 0
        assert {i.id for i in book.items(status="verified")} == \
            {i.id for i in first if i.target == targets[0]}
        view, _ = run_scan(book, [scan_lines(targets[0], {LONG_CONTAINER: [id_line()]})], now=last)
        assert (view.reopened_items, view.new_items) == (2, 0)
        assert [(i.id, i.status) for i in book.items(target=targets[0])] == \
            [(i.id, "reopened") for i in first if i.target == targets[0]]
        assert book.last_run(targets[1]).id == 1 and book.last_run(targets[0]).id == 3
        with Ledger.open(url, KEY) as reopened:  # the ledger reopens with what was recorded
            assert [i.id for i in reopened.items()] == [i.id for i in first]


@pytest.mark.parametrize("backend", backend_params())
def test_item_columns_list_what_items_list(backend):
    """The lean listing (`ledger list`'s table) finds the items, fields and order of the views."""
    with ledger_url(backend) as url, Ledger.open(url, KEY) as book:
        run_scan(book, [scan_lines(t, {"a.log": [id_line(1)], "b.log": [id_line(2)]})
                        for t in ("t1", "t2")])
        book.update(["PI-000002", "PI-000003"], "in_progress", "工单 1", "甲")
        book.assign("PI-000003", "乙", due=datetime.date(2020, 1, 1), by="甲")
        columns = ("id", "status", "owner", "due_date", "occurrences")
        for filters in ({}, {"overdue": True}, {"status": "in_progress"}, {"owner": "-"},
                        {"target": "t2", "entity": "CN_RESIDENT_ID"}):
            views = book.items(**filters)
            assert book.item_columns(columns, **filters) == [
                (int(v.id[3:]), v.status, v.owner, v.due_date, v.occurrences) for v in views]
            assert views, filters
