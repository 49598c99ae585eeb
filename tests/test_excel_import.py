"""Import of an edited ledger sheet: parsing and validation, row by row.

These tests run against the real ``pii_audit.ledger.Ledger`` on a SQLite file, filled by real
scans of a synthetic corpus (``ledger_helpers.populated_ledger``).
"""

from __future__ import annotations

import datetime

import openpyxl
import pytest

from ledger_helpers import KEY, PROGRESS_NOTE, populated_ledger
from pii_audit.errors import ConfigError
from pii_audit.ledger import Ledger
from pii_audit.reporting import ledger_sheet
from pii_audit.reporting.excel import write_workbook
from pii_audit.reporting.excel_import import import_workbook
from pii_audit.reporting.viewmodel import build_report

NOW = datetime.datetime(2024, 7, 15, 10, 0)
EDIT_TIME = datetime.datetime(2024, 7, 16, 9, 0)


@pytest.fixture
def setup(tmp_path):
    _, ledger = populated_ledger(tmp_path)
    path = write_workbook(build_report(ledger.items(), ledger.scans(), now=NOW), tmp_path / "ledger.xlsx")
    yield ledger, path
    ledger.close()


def _first(ledger, status):
    return next(i for i in ledger.items() if i.status == status)


def edit(path, changes: dict, sheet="整改台账"):
    """Edit cells of the ledger sheet as an owner would: {item_id: {column key: value}}; return rows."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    rows = {}
    for row in ws.iter_rows(min_row=2):
        item_id = row[0].value
        for key, value in changes.get(item_id, {}).items():
            row[ledger_sheet.COLUMNS.index(key)].value = value
            rows[item_id] = row[0].row
    wb.save(path)
    return rows


def test_unedited_sheet_changes_nothing(setup):
    ledger, path = setup
    outcome = import_workbook(path, ledger, "李娜")
    assert outcome.ok and not outcome.applied and outcome.unchanged == len(ledger.items())


def test_edits_apply_and_are_recorded_with_who(setup):
    ledger, path = setup
    item = _first(ledger, "open")
    rows = edit(path, {item.id: {"status": "整改中", "owner": "赵敏", "department": "信息科技部",
                                 "due": datetime.datetime(2024, 9, 30), "note": "已下线明文列"}})
    outcome = import_workbook(path, ledger, "李娜", now=EDIT_TIME)
    assert outcome.ok and [(e.row, e.item_id) for e in outcome.applied] == [(rows[item.id], item.id)]
    after = ledger.item(item.id)
    assert (after.status, after.owner, after.department, after.due_date, after.note) == (
        "in_progress", "赵敏", "信息科技部", datetime.date(2024, 9, 30), "已下线明文列")
    assert after.history[-1].by == "李娜" and after.history[-1].to_status == "in_progress"


@pytest.mark.parametrize("column, value, reason", [
    pytest.param("id", "PI-999999", "unknown item", id="unknown-item"),
    pytest.param("container", "kh_jbxx.other", "locked column", id="locked-container"),
    pytest.param("occurrences", 0, "locked column", id="locked-count"),
    pytest.param("status", "差不多了", "unknown status", id="unknown-status"),
    pytest.param("due", "下个月", "not a date", id="bad-due-date"),
    pytest.param("status", "已验证", "invalid transition", id="invalid-transition"),
])
def test_bad_row_is_refused_with_row_number_and_the_rest_applies(setup, column, value, reason):
    ledger, path = setup
    bad, good = _first(ledger, "open"), _first(ledger, "in_progress")
    rows = edit(path, {bad.id: {column: value, "note": "x"}, good.id: {"status": "已整改"}})
    outcome = import_workbook(path, ledger, "李娜")
    [refusal] = outcome.refused
    assert refusal.row == rows[bad.id] and reason in refusal.reason
    assert [e.item_id for e in outcome.applied] == [good.id] and ledger.item(good.id).status == "fixed"
    assert ledger.item(bad.id).note is None
    assert any(line.startswith(f"row {rows[bad.id]} ") and "refused" in line for line in outcome.lines())


def test_item_changed_after_export_is_a_conflict_not_overwritten(setup):
    ledger, path = setup
    item = _first(ledger, "open")
    rows = edit(path, {item.id: {"owner": "赵敏"}})
    ledger.assign(item.id, "钱多多", by="钱多多")  # another user, after the export
    outcome = import_workbook(path, ledger, "李娜")
    assert [(c.row, c.item_id) for c in outcome.conflicts] == [(rows[item.id], item.id)]
    assert ledger.item(item.id).owner == "钱多多" and not outcome.applied


def test_dry_run_applies_nothing_and_says_what_would_change(setup):
    ledger, path = setup
    item = _first(ledger, "open")
    edit(path, {item.id: {"status": "整改中", "note": "排期下线"}})
    before = [ledger.item(i.id) for i in ledger.items()]
    outcome = import_workbook(path, ledger, "李娜", dry_run=True)
    assert [e.changes["status"] for e in outcome.applied] == [("open", "in_progress")]
    assert [ledger.item(i.id) for i in ledger.items()] == before
    assert "would change status open -> in_progress" in outcome.lines()[0]


@pytest.mark.parametrize("dry_run", [pytest.param(False, id="apply"), pytest.param(True, id="dry-run")])
def test_status_change_without_a_note_is_refused(setup, dry_run):
    ledger, path = setup
    item = _first(ledger, "open")
    rows = edit(path, {item.id: {"status": "已整改"}})
    outcome = import_workbook(path, ledger, "李娜", dry_run=dry_run)
    assert [(r.row, r.item_id) for r in outcome.refused] == [(rows[item.id], item.id)]
    assert "note is required" in outcome.refused[0].reason and not outcome.applied
    assert ledger.item(item.id).status == "open"


def test_emptied_note_and_department_clear_them(setup):
    ledger, path = setup
    item = next(i for i in ledger.items() if i.note and i.department)
    edit(path, {item.id: {"note": None, "department": None}})
    outcome = import_workbook(path, ledger, "李娜")
    after = ledger.item(item.id)
    assert outcome.ok and (after.note, after.department, after.status) == (None, None, item.status)
    assert after.history[-1].by == "李娜"


def test_emptied_owner_clears_it(setup):
    ledger, path = setup
    item = next(i for i in ledger.items() if i.owner and i.status == "open")
    edit(path, {item.id: {"owner": None}})
    outcome = import_workbook(path, ledger, "李娜")
    assert outcome.ok and ledger.item(item.id).owner is None


def test_english_workbook_imports(tmp_path):
    _, ledger = populated_ledger(tmp_path)
    path = write_workbook(build_report(ledger.items(), ledger.scans(), lang="en", now=NOW), tmp_path / "en.xlsx")
    item = _first(ledger, "open")
    edit(path, {item.id: {"status": "False positive", "note": "test data"}}, sheet="Ledger")
    outcome = import_workbook(path, ledger, "Li Na")
    assert outcome.ok and ledger.item(item.id).status == "false_positive"


@pytest.mark.parametrize("make, message", [
    pytest.param(lambda p: p.write_bytes(b"not a workbook"), "cannot read", id="not-a-zip"),
    pytest.param(lambda p: openpyxl.Workbook().save(p), "no ledger sheet", id="no-ledger-sheet"),
])
def test_unreadable_workbook_is_one_line_error(tmp_path, make, message):
    path = tmp_path / "bad.xlsx"
    make(path)
    with pytest.raises(ConfigError) as error:
        with Ledger.open(f"sqlite:///{tmp_path}/empty.db", KEY) as ledger:
            import_workbook(path, ledger, "李娜")
    assert message in str(error.value) and "\n" not in str(error.value)
