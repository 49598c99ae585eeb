"""Every allowed and refused transition of the lifecycle, by people and by scans, on a real ledger."""

from __future__ import annotations

import datetime
import itertools
import json
import random

import pytest

from ledger_helpers import fast_dir, scan_lines
from pii_audit.errors import LedgerError
from pii_audit.ledger import Ledger, lifecycle
from pii_audit.sources import Problem, TargetCoverage
from pii_audit.views import STATUSES
from tests_corpus import resident_id

TODAY = datetime.date.today()
# Written out here, independently of lifecycle.MANUAL, so that a change to either shows up.
PERSON_ALLOWED = {
    ("open", "in_progress"), ("open", "fixed"), ("open", "false_positive"),
    ("in_progress", "open"), ("in_progress", "fixed"), ("in_progress", "false_positive"),
    ("fixed", "in_progress"), ("fixed", "open"), ("fixed", "false_positive"),
    ("reopened", "in_progress"), ("reopened", "fixed"), ("reopened", "false_positive"),
    ("verified", "reopened"), ("verified", "false_positive"),
    ("accepted_risk", "open"), ("false_positive", "open"),
}
ACCEPT_ALLOWED = {"open", "in_progress", "reopened", "accepted_risk"}
_targets = itertools.count()


@pytest.fixture(scope="module")
def ledger():
    with fast_dir() as path, Ledger.open(f"sqlite:///{path}/ledger.db", bytes(range(32))) as book:
        yield book


def scan(ledger, target, lines, entities=(), **coverage):
    """Record one scan of one log stream ``app.log`` holding ``lines``."""
    scan_id = ledger.begin_scan("tester", [target], {"entities": list(entities)})
    result = scan_lines(target, {"app.log": lines}, **coverage)
    ledger.record_target(scan_id, result)
    ledger.finish_scan(scan_id)
    return scan_id


def item_in(ledger, status: str):
    """Create an item on a fresh target and bring it to ``status`` the way people and scans do."""
    target = f"host{next(_targets)}:/var/log/app"
    line = f"开户 身份证号：{resident_id(random.Random(len(target)))}"
    scan(ledger, target, [line])
    (item,) = ledger.items(target=target)
    steps = {"in_progress": ["in_progress"], "fixed": ["fixed"], "false_positive": ["false_positive"],
             "verified": ["fixed", "scan-empty"], "reopened": ["fixed", "scan-empty", "scan-found"],
             "accepted_risk": ["accept"]}.get(status, [])
    for step in steps:
        if step == "scan-empty":
            scan(ledger, target, ["nothing personal here"])
        elif step == "scan-found":
            scan(ledger, target, [line])
        elif step == "accept":
            ledger.accept_risk(item.id, "李总", TODAY + datetime.timedelta(days=30), "legacy", "t")
        else:
            ledger.update([item.id], step, "because", "tester")
    item = ledger.item(item.id)
    assert item.status == status
    return item, target, line


def test_the_module_table_is_the_documented_one():
    manual = {(a, b) for a, targets in lifecycle.MANUAL.items() for b in targets}
    assert manual == PERSON_ALLOWED
    assert lifecycle.ACCEPTABLE == ACCEPT_ALLOWED


@pytest.mark.parametrize("current,new", [pytest.param(a, b, id=f"{a}->{b}")
                                         for a in STATUSES for b in STATUSES])
def test_person_transition(ledger, current, new):
    item, _, _ = item_in(ledger, current)
    if (current, new) in PERSON_ALLOWED:
        (after,) = ledger.update([item.id], new, "checked with the owner", "王工")
        assert after.status == new and after.note == "checked with the owner"
        last = after.history[-1]
        assert (last.by, last.action, last.from_status, last.to_status) == ("王工", "status", current, new)
    else:
        with pytest.raises(LedgerError) as refused:
            ledger.update([item.id], new, "checked with the owner", "王工")
        assert "\n" not in str(refused.value) and item.id in str(refused.value)
        assert ledger.item(item.id) == item  # nothing changed, not even the history


@pytest.mark.parametrize("current", STATUSES)
def test_accept_risk_from(ledger, current):
    item, _, _ = item_in(ledger, current)
    until = TODAY + datetime.timedelta(days=60)
    if current in ACCEPT_ALLOWED:
        after = ledger.accept_risk(item.id, "李总", until, "system retires in Q3", "王工")
        assert (after.status, after.approver, after.accepted_until) == ("accepted_risk", "李总", until)
        assert after.history[-1].action == "accept_risk"
    else:
        with pytest.raises(LedgerError, match="cannot accept"):
            ledger.accept_risk(item.id, "李总", until, "system retires in Q3", "王工")


@pytest.mark.parametrize("approver,until,note,reason", [
    pytest.param("", 10, "why", "approver", id="no-approver"),
    pytest.param("李总", 10, " ", "note", id="no-note"),
    pytest.param("李总", -1, "why", "past", id="until-in-the-past"),
])
def test_accept_risk_needs_approver_note_and_future_expiry(ledger, approver, until, note, reason):
    item, _, _ = item_in(ledger, "open")
    with pytest.raises(LedgerError, match=reason):
        ledger.accept_risk(item.id, approver, TODAY + datetime.timedelta(days=until), note, "t")


@pytest.mark.parametrize("status", ["false_positive", "in_progress"])
def test_status_change_needs_a_note(ledger, status):
    item, _, _ = item_in(ledger, "open")
    with pytest.raises(LedgerError, match="note is required"):
        ledger.update([item.id], status, "", "t")


FOUND_AGAIN = {"fixed": "reopened", "verified": "reopened"}


@pytest.mark.parametrize("current", STATUSES)
def test_scan_finds_it_again(ledger, current):
    item, target, line = item_in(ledger, current)
    scan(ledger, target, [line, line])
    after = ledger.item(item.id)
    assert after.status == FOUND_AGAIN.get(current, current)
    if current == "false_positive":  # suppressed: the scan leaves it alone
        assert after.occurrences == item.occurrences and after.last_seen == item.last_seen
    else:
        assert after.occurrences == 2 and after.distinct_values == 1
    if current in FOUND_AGAIN:
        assert after.history[-1].action == "status" and after.history[-1].by == "pii-audit"


VERIFIED_BY_FULL_SCAN = {"open", "in_progress", "fixed", "reopened", "verified"}


@pytest.mark.parametrize("current", STATUSES)
def test_full_scan_finding_nothing_verifies(ledger, current):
    item, target, _ = item_in(ledger, current)
    scan_id = scan(ledger, target, ["交易成功 金额 100.00"])
    after = ledger.item(item.id)
    assert after.status == ("verified" if current in VERIFIED_BY_FULL_SCAN else current)
    if current in VERIFIED_BY_FULL_SCAN - {"verified"}:
        assert after.history[-1].scan_id == scan_id and "verified by scan" in after.history[-1].note
        assert after.occurrences == 0


@pytest.mark.parametrize("current", sorted(VERIFIED_BY_FULL_SCAN - {"verified"}))
@pytest.mark.parametrize("how", ["sampled", "incomplete", "problem", "other-container", "other-entity"])
def test_partial_scan_never_verifies(ledger, current, how):
    item, target, _ = item_in(ledger, current)
    entities = ["CN_MOBILE_PHONE"] if how == "other-entity" else []
    scan_id = ledger.begin_scan("t", [target], {"entities": entities})
    container = "other.log" if how == "other-container" else "app.log"
    result = scan_lines(target, {container: ["nothing here"]}, sampled=how == "sampled",
                        complete=how != "incomplete")
    if how == "problem":  # a problem names the container, which the reader still marked complete
        result.coverage.problems.append(Problem("app.log.1.gz", "truncated gzip", "app.log"))
    outcome = ledger.record_target(scan_id, result)
    assert outcome.verified == 0
    assert ledger.item(item.id).status == current


def test_expired_acceptance_returns_to_open_on_read(ledger):
    item, _, _ = item_in(ledger, "accepted_risk")
    until = item.accepted_until
    assert ledger.items(status="accepted_risk", today=until)  # valid through its last day
    assert ledger.item(item.id).status == "accepted_risk"
    ledger.items(today=until + datetime.timedelta(days=1))
    after = ledger.item(item.id)
    assert after.status == "open" and after.approver == "李总"  # who had approved stays visible
    assert after.history[-1].action == "expired" and after.history[-1].by == "pii-audit"
    assert after.due_date is not None


def test_expired_acceptance_returns_to_open_on_scan(ledger):
    item, target, line = item_in(ledger, "accepted_risk")
    later = datetime.datetime.combine(item.accepted_until + datetime.timedelta(days=2),
                                      datetime.time(9))
    scan_id = ledger.begin_scan("t", [target], {}, now=later)
    outcome = ledger.record_target(scan_id, scan_lines(target, {"app.log": [line]}), now=later)
    assert outcome.expired == 1
    after = ledger.item(item.id)
    assert after.status == "open" and [h.action for h in after.history][-1] == "expired"


@pytest.mark.parametrize("container, how, covered", [
    pytest.param("d/a.xlsx!S!证件号码", "full", True, id="gone-from-a-workbook-read-in-full"),
    pytest.param("x.zip!a.xlsx!S!证件号码", "full", True, id="gone-from-a-workbook-in-an-archive"),
    pytest.param("d/a.xlsx!S!证件号码", "sampled", False, id="workbook-sampled"),
    pytest.param("d/a.xlsx!S!证件号码", "problem", False, id="workbook-read-with-a-problem"),
    pytest.param("d/b.xlsx!S!证件号码", "full", False, id="workbook-not-read"),
    pytest.param("d/app.log", "full", False, id="a-log-stream"),
    pytest.param("x.zip!logs/app.log", "full", False, id="a-log-in-an-archive"),
    pytest.param("kh.sfzh", "full", False, id="a-column-of-a-table"),
])
def test_a_container_gone_from_a_workbook_read_in_full_is_covered(container, how, covered):
    """A column, pivot cache or external link deleted from a workbook leaves no container to read;
    the workbook read in full, with no sampling and no problem, covers its absence."""
    from pii_audit.ledger.record import fully_covered

    coverage = TargetCoverage("d")
    for name in ("d/a.xlsx!S!姓名", "d/a.xlsx!S!批注", "x.zip!a.xlsx!S!姓名", "d/other.log"):
        coverage.container(name, "cells", sampled=how == "sampled")
    if how == "problem":
        coverage.problem("d/a.xlsx!透视缓存1", "refused: pivot cache definition of 9 MB, over the 8 MB cap")
    assert fully_covered(coverage, container) is covered


@pytest.mark.parametrize("stream, how, covered", [
    pytest.param("logs/debug/trace.log", "full", True, id="deleted"),
    pytest.param("logs/gone/app.log", "full", True, id="deleted-with-its-folder"),
    pytest.param("logs/app.log", "full", False, id="a-rotation-is-left"),
    pytest.param("logs/debug/trace.log", "problem", False, id="folder-read-with-a-problem"),
    pytest.param("logs/客户110105********002X/app.log", "full", False, id="masked-name"),
    pytest.param("elsewhere/app.log", "full", False, id="outside-the-folder"),
    pytest.param("kh.sfzh", "cwd-walked", False, id="a-table-of-a-sqlite-file-in-the-folder"),
])
def test_a_log_stream_gone_from_a_folder_read_without_a_problem_is_covered(tmp_path, monkeypatch, stream, how,
                                                                           covered):
    """A deleted log leaves no stream to read: the folder read without a problem covers its
    absence, when no file of the stream is left (app.log.1.gz is app.log's) and its name is its
    path (a masked name is no path)."""
    from pii_audit.ledger.record import fully_covered

    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs" / "debug").mkdir(parents=True)
    (tmp_path / "logs" / "app.log.1.gz").write_bytes(b"")
    # A configured target's name, not its folder; "." walked as `pii-audit scan .` walks it.
    coverage = TargetCoverage("应用日志", kind="files", folders=["logs", "."] if how == "cwd-walked" else ["logs"])
    coverage.container("logs/other.log", "lines")
    if how == "problem":
        coverage.problem("logs/debug/locked.log", "permission denied")
    assert fully_covered(coverage, stream) is covered


@pytest.mark.parametrize("container, covered", [
    pytest.param("d/gone.docx!word/embeddings/a.xlsx!S!证件号码", True, id="its-document-deleted"),
    pytest.param("d/gone.pptx!ppt/embeddings/a.xlsx!Sheet1!A", True, id="its-presentation-deleted"),
    pytest.param("d/gone.zip!a.xlsx!S!证件号码", True, id="its-archive-deleted"),
    pytest.param("d/here.docx!word/embeddings/a.xlsx!S!证件号码", False, id="its-document-there-the-workbook-unread"),
])
def test_a_workbook_inside_a_file_deleted_from_a_folder_walked_is_covered(tmp_path, monkeypatch, container, covered):
    """A workbook embedded in a document or a presentation, or kept in an archive, goes with the
    file on disk that held it: that file gone from a folder walked without a problem covers it."""
    from pii_audit.ledger.record import fully_covered

    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "here.docx").write_bytes(b"")
    coverage = TargetCoverage("d", kind="files", folders=["d"])
    assert fully_covered(coverage, container) is covered


CORE = "postgresql+psycopg://reader@db/core"


@pytest.mark.parametrize("container, how, gone", [
    pytest.param("app.kh.sfzh", "full", True, id="column-dropped"),
    pytest.param("app.gone.sfzh", "full", True, id="table-dropped"),
    pytest.param("app.jl.zjhm", "full", False, id="table-left-out"),
    pytest.param("app.kh.photo", "full", False, id="column-there-but-not-read"),
    pytest.param("audit.kh.sfzh", "full", False, id="schema-not-listed-in-full"),
    pytest.param("app.kh.sfzh", "problem", False, id="a-problem-elsewhere"),
    pytest.param("app.kh.sfzh", "read", False, id="read-this-time"),
    pytest.param("app.kh.sfzh", "no-listing", False, id="sampled-no-listing"),
    pytest.param("app.kh.sfzh", "other-database-of-the-target-left-it-out", False, id="other-database-has-it"),
    pytest.param("app.kh.sfzh", "database-not-listed", False, id="its-database-not-listed"),
    pytest.param("app.gone.sfzh", "masked-table-listed", False, id="a-masked-table-may-be-it"),
    pytest.param("app.kh_110105********002X.sfzh", "full", False, id="masked-name"),
    pytest.param("app.kh.a.b", "full", False, id="dotted-name"),
    pytest.param("app/kh.sfzh", "log", False, id="a-log-stream"),
])
def test_a_database_container_gone_from_a_full_listing_is_dropped(container, how, gone):
    """A dropped column or table leaves no container to read: a full scan without a problem that
    listed its schema in full, in every database of the target, proves it gone; what the listing
    cannot prove (a table left out, a masked or ambiguous name, a schema not listed) proves nothing."""
    from pii_audit.ledger.dropped import dropped
    from pii_audit.sources import NAMES_SEPARATOR, Listing

    table, _, column = container.rpartition(".")
    url = "sqlite:////elsewhere.db" if how == "database-not-listed" else CORE
    location = {"path": container, "line": 1} if how == "log" else {"url": url, "table": table, "column": column}
    samples = json.dumps([{"masked": "110105********002X", "location": {**location, "row": {"id": 7}}}])
    coverage = TargetCoverage("核心系统", kind="database")
    if how != "no-listing":
        listed = {"app.kh": NAMES_SEPARATOR.join(["id", "xm", "photo"]), "app.jl": None}
        if how == "masked-table-listed":
            listed["app.kh_110105********002X"] = "id"
        coverage.databases[CORE] = Listing({"app."}, listed)
    if how == "other-database-of-the-target-left-it-out":
        coverage.databases["postgresql+psycopg://reader@db2/core"] = Listing({"app."}, {"app.kh": None})
    if how == "problem":
        coverage.problem("app.dd", "permission denied for table dd")
    if how == "read":
        coverage.container(container, "rows")
    assert dropped(coverage, container, samples) is gone
