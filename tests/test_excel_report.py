"""The Excel report: four sheets, a ledger sheet made to be worked in, text never run as a formula."""

from __future__ import annotations

import datetime
import io
import re
import stat
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pii_audit.reporting import ledger_sheet
from pii_audit.reporting.excel import cell, write_workbook
from pii_audit.reporting.viewmodel import build_report
from reporting_data import FORMULAS, build_report_data

NOW = datetime.datetime(2024, 7, 15, 10, 0)


@pytest.fixture(scope="module")
def data():
    return build_report_data()


@pytest.fixture(scope="module")
def xlsx(data, tmp_path_factory):
    return write_workbook(build_report(data.items, data.scans, now=NOW),
                          tmp_path_factory.mktemp("x") / "report.xlsx")


def _xml(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("lang, names", [
    pytest.param("zh", ["汇总", "整改台账", "扫描记录", "样本"], id="zh"),
    pytest.param("en", ["Overview", "Ledger", "Scans", "Samples"], id="en"),
])
def test_sheet_names(data, tmp_path, lang, names):
    path = write_workbook(build_report(data.items, data.scans, lang=lang, now=NOW), tmp_path / "r.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == names


def test_ledger_sheet_is_made_to_be_worked_in(data, xlsx):
    ws = openpyxl.load_workbook(xlsx)["整改台账"]
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:P{len(data.items) + 1}"
    assert ws.protection.sheet and not ws.protection.autoFilter
    [validation] = ws.data_validations.dataValidation
    assert validation.type == "list" and "待整改" in validation.formula1 and "误报" in validation.formula1
    assert str(validation.sqref) == f"K2:K{len(data.items) + 1}"
    assert ws.column_dimensions["P"].hidden and ws.cell(1, 16).value == "updated_at"
    assert ws.column_dimensions["C"].width == ledger_sheet.WIDTHS["container"]


def test_only_the_owners_columns_are_unlocked(data, xlsx):
    ws = openpyxl.load_workbook(xlsx)["整改台账"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, max_row=6):
        unlocked = {header[c.column - 1] for c in row if not c.protection.locked}
        assert unlocked == {"状态", "责任人", "责任部门", "整改期限", "整改说明"}


def test_dates_are_dates_and_ids_match(data, xlsx):
    ws = openpyxl.load_workbook(xlsx)["整改台账"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    by_id = {i.id: i for i in data.items}
    assert {r[0] for r in rows} == set(by_id)
    for row in rows:
        item = by_id[row[0]]
        assert row[13] == datetime.datetime.combine(item.due_date, datetime.time())
        assert isinstance(row[8], datetime.datetime) and row[15] == item.updated_at.isoformat()


def test_no_formula_anywhere_and_triggers_stay_text(xlsx):
    parts = _xml(xlsx)
    sheets = {n: x for n, x in parts.items() if n.startswith("xl/worksheets/sheet")}
    assert sheets and not any(re.search(rb"<f[ >]", x) for x in sheets.values())
    ledger = openpyxl.load_workbook(xlsx)["整改台账"]
    containers = [c for c in ledger.iter_rows(min_col=3, max_col=3) for c in c]
    triggers = [c for c in containers if isinstance(c.value, str) and c.value[:1] in "=+-@\t\n"]
    assert len({c.value for c in triggers}) >= len(FORMULAS) - 1  # CR is read back as LF
    assert all(c.data_type == "s" for c in triggers)
    assert all(c.quotePrefix for c in triggers if c.value[0] != "\n")  # CR became LF: no trigger


def test_no_raw_value_in_any_part(data, xlsx):
    text = b"".join(_xml(xlsx).values()).decode("utf-8", "replace")
    leaked = [v for v in data.raw_values if v in text]
    assert not leaked, f"{len(leaked)} raw values in the workbook"


def test_control_characters_are_cleaned(xlsx):
    ws = openpyxl.load_workbook(xlsx)["整改台账"]
    containers = {row[0] for row in ws.iter_rows(min_row=2, min_col=3, max_col=3, values_only=True)}
    assert "\ufffd[31mred\ufffd[0m.log" in containers


def test_workbook_is_0600(xlsx):
    assert stat.S_IMODE(xlsx.stat().st_mode) == 0o600


def _round_trip(text: str) -> tuple[object, bytes]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append([cell(ws, text)])
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet_xml = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/worksheets/sheet1.xml")
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["s"]["A1"].value, sheet_xml


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=()), max_size=40))
def test_any_text_saves_and_reloads(text):
    value, sheet_xml = _round_trip(text)
    assert (value or "") == ledger_sheet.clean_text(text)
    assert b"<f>" not in sheet_xml


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["=", "+", "-", "@", "\t", "\r"]), st.text(max_size=20))
def test_formula_triggers_never_become_formulas(trigger, rest):
    value, sheet_xml = _round_trip(trigger + rest)
    assert b"<f>" not in sheet_xml and value == ledger_sheet.clean_text(trigger + rest)


def test_scan_sheet_says_what_was_read_in_the_reports_language(data, xlsx):
    """The 扫描记录 sheet's coverage rows read ``40 行``, as the HTML page does, not ``40 lines``."""
    amounts = {row[3] for row in openpyxl.load_workbook(xlsx)["扫描记录"].iter_rows(values_only=True)
               if isinstance(row[3], str) and row[3][:1].isdigit()}
    assert amounts == {"40 行"}


def test_samples_sheet_heads_its_columns_as_the_ledger_sheet(xlsx):
    """The 样本 sheet's item columns carry the ledger sheet's headers, each column its own name
    (it said 按信息类型, "by entity", and 位置 twice)."""
    header = next(openpyxl.load_workbook(xlsx)["样本"].iter_rows(max_row=1, values_only=True))
    assert list(header) == ["编号", "信息类型", "扫描目标", "位置", "脱敏样本", "样本位置"]
