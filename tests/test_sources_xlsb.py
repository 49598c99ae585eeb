"""The streaming .xlsb reader (``xlsb_stream``) on workbooks written from the specification
(``xlsb_helpers``), with python-calamine, which reads them too, as the independent oracle."""

from __future__ import annotations

import datetime
import io
import json
import random
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ole2_helpers import compound_file
from pii_audit.cli import cli
from pii_audit.detector import Detector
from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks, read_target, sheet_rows, xlsb_stream, xlsx_book
from pii_audit.sources.spreadsheets import read_spreadsheet
from pii_audit.sources.xlsx_book import SheetError
from pii_audit.sources.xlsx_guard import WorkbookRefused
from tests_corpus import mobile, resident_id
from zip_helpers import garbled
from xlsb_helpers import (
    CELL_REAL, CELL_RK, CELL_ST, CN_DATE_STYLE, DATE_STYLE, DATETIME_STYLE, DURATION_STYLE, PERCENT_STYLE, ROW_HDR,
    Cell, Error, Formula, Inline, PivotField, Real, Rich, Styled, definition_part, external_link_part, grid, record,
    records_part, rels, wide, with_caches, workbook_part, xlsb_book, xlsb_parts, zipped,
)
from scan_helpers import cells_of

FULL = ScanOptions(sample_rows=None)
ID, PHONE = "11010519491231002X", "13812345678"
RNG = random.Random(20240105)
ID2, PHONE2 = resident_id(RNG), mobile(RNG)
RAW = (ID, PHONE, ID2, PHONE2)


def streamed(data: bytes) -> dict:
    """The cells as the streaming reader gives them."""
    return cells_of(xlsb_stream.xlsb_sheets(data))


def calamine(data: bytes) -> dict:
    """The cells as python-calamine reads them, rendered as the spreadsheet source renders values."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return cells_of((name, sheet_rows._calamine_rows(book, name)) for name in book.sheet_names)


def read(path: Path, options: ScanOptions = FULL):
    """Return the chunks and coverage of the spreadsheet source on ``path``."""
    coverage = TargetCoverage(str(path))
    return list(as_chunks(read_spreadsheet(str(path), options, coverage))), coverage


def lines(coverage) -> list[str]:
    return [f"{p.where}: {p.reason}" for p in coverage.problems]


CUSTOMERS = {
    "客户信息": grid([
        ["姓名", "身份证号", "手机号", "开户日期", "余额", "已核实", "备注"],
        ["张三", ID, float(PHONE), Styled(Real(45296.0), DATE_STYLE), 12.34, True, Formula("公式的文本结果")],
        ["李四", ID2, Formula(float(PHONE2)), Styled(Real(45296.4375), DATETIME_STYLE), Real(5.0), Formula(False),
         Inline("内联 文本")],
        [None, None, None, Styled(Real(45296.0), CN_DATE_STYLE), -0.5, Error("#N/A"), Formula(Error("#DIV/0!"))],
    ]),
    "第二页": grid([
        [None, None, "证件号码"],
        [None, None, ID, 123456789, -1234.5, Styled(Real(1.25), DURATION_STYLE), Styled(0.125, PERCENT_STYLE), 0.005],
        [],
        [None] * 5 + ["稀疏"] + [None] * 30 + [Formula(True)],  # a sparse row
    ], first_row=2),
}


# Two sheets, the first to be damaged in the tests of damage.
GOOD_SHEET = grid([["身份证号"], [ID]])
TWO = {"坏": grid([["手机号"], [float(PHONE)]]), "好": GOOD_SHEET}


def test_every_kind_of_cell_reads_as_python_calamine_reads_it():
    """Shared and inline strings, numbers as reals and every RK form, dates and a duration under
    their formats, booleans, formula results (string, number, bool; an error is nothing, as an
    error value is), a sheet starting at C3, an empty and a sparse row, CJK sheet names."""
    data = xlsb_book(CUSTOMERS)
    assert streamed(data) == calamine(data)
    assert streamed(data) == {
        "客户信息": {
            (1, 0): "姓名", (1, 1): "身份证号", (1, 2): "手机号", (1, 3): "开户日期", (1, 4): "余额", (1, 5): "已核实",
            (1, 6): "备注",
            (2, 0): "张三", (2, 1): ID, (2, 2): PHONE, (2, 3): "2024-01-05", (2, 4): "12.34", (2, 5): "TRUE",
            (2, 6): "公式的文本结果",
            (3, 0): "李四", (3, 1): ID2, (3, 2): PHONE2, (3, 3): "2024-01-05 10:30:00", (3, 4): "5", (3, 5): "FALSE",
            (3, 6): "内联 文本",
            (4, 3): "2024-01-05", (4, 4): "-0.5"},
        "第二页": {
            (3, 2): "证件号码", (4, 2): ID, (4, 3): "123456789", (4, 4): "-1234.5", (4, 5): "1 day, 6:00:00",
            (4, 6): "0.125", (4, 7): "0.005", (6, 5): "稀疏", (6, 36): "TRUE"}}


@pytest.mark.parametrize("value, form", [
    (123456789, "integer"), (-1234.5, "integer of hundredths"), (0.125, "double"), (0.005, "double of hundredths"),
    (float(PHONE), "real"),
])
def test_the_writer_stores_numbers_as_excel_does(value, form):
    """An RK where one holds the number exactly (a 30-bit integer, or a double's top 30 bits,
    either maybe of hundredths), else a BrtCellReal: CUSTOMERS holds each form, so the test
    against python-calamine reads every one."""
    part = xlsb_parts({"s": [Cell(0, 0, value)]})["xl/worksheets/sheet1.bin"]
    ((kind, data),) = [(k, d) for k, d in xlsb_stream.records(io.BytesIO(part), len(part)) if k in (CELL_RK, CELL_REAL)]
    forms = {0: "double", 1: "double of hundredths", 2: "integer", 3: "integer of hundredths"}
    assert (forms[data[8] & 3] if kind == CELL_RK else "real") == form


def test_a_date_stored_as_an_rk_integer_reads_as_a_date_and_a_rich_string_is_read():
    """Excel stores a whole date as an RK integer: it reads as a date here, as in an xlsx;
    python-calamine gives the bare serial. A string stored with formatting runs in its cell
    (BrtCellRString) is read here; python-calamine skips it."""
    data = xlsb_book({"日期": [Cell(0, 0, Styled(45296, DATE_STYLE)), Cell(0, 1, Rich(f"富文本{ID}"))]})
    assert streamed(data) == {"日期": {(1, 0): "2024-01-05", (1, 1): f"富文本{ID}"}}
    assert calamine(data) == {"日期": {(1, 0): "45296"}}


def test_the_1904_date_system_is_honoured():
    """A workbook in the 1904 date system (BrtWbProp) counts its dates from 1904-01-01."""
    data = xlsb_book({"s": [Cell(0, 0, Styled(Real(45296.0), DATE_STYLE))]}, date1904=True)
    assert streamed(data) == calamine(data) == {"s": {(1, 0): "2028-01-06"}}


def test_only_worksheets_are_read():
    """A chart sheet holds no cells (its chart's data are a worksheet's): it is listed in the
    workbook, not read."""
    parts = xlsb_parts(TWO)
    parts["xl/workbook.bin"] = workbook_part(["坏", "好", "图表"])
    parts["xl/_rels/workbook.bin.rels"] = rels([
        ("rId1", "worksheet", "worksheets/sheet1.bin"), ("rId2", "worksheet", "worksheets/sheet2.bin"),
        ("rId3", "chartsheet", "chartsheets/sheet1.bin"), ("rId4", "styles", "styles.bin"),
        ("rId5", "sharedStrings", "sharedStrings.bin")])
    parts["xl/chartsheets/sheet1.bin"] = record(129) + record(130)
    assert [name for name, _ in xlsb_stream.xlsb_sheets(zipped(parts))] == ["坏", "好"]


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 20])
def test_records_cut_anywhere_by_the_blocks_read_the_same(monkeypatch, block):
    """A record's header and data may be cut by the blocks the part is inflated in: a 2-byte type
    (the sheet's end), a 2- or 3-byte size (strings of 64 and 10,000 characters) and data."""
    sheets = {**CUSTOMERS, "长": grid([["中" * 64, "x" * 10_000, Inline("长" * 9_000)]])}
    data = xlsb_book(sheets)
    expected = streamed(data)
    monkeypatch.setattr(xlsb_stream, "BLOCK", block)
    assert streamed(data) == expected and expected["长"][(1, 1)] == "x" * 10_000


# --- Random workbooks: every cell as python-calamine reads it --------------------------------

VALUES = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["张三", "北京市海淀区中关村大街27号", "客户备注：已核实", "𠀋𠮷野家", "é", "ﾃｽﾄ"]),
    st.from_regex(r"\A\d{17}[\dX]\Z"),  # what an ID looks like, as text
    st.integers(13_000_000_000, 19_999_999_999).map(float),  # a mobile stored as a number
    st.integers(-2**29, 2**29 - 1),  # RK integers
    st.integers(-10**20, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(-10**6, 10**6, places=2).map(float),  # RK's hundredths
    st.booleans(),
    st.tuples(st.floats(0, 80_000), st.sampled_from([DATE_STYLE, CN_DATE_STYLE, DATETIME_STYLE, DURATION_STYLE,
                                                     PERCENT_STYLE])).map(lambda v: Styled(Real(v[0]), v[1])),
    st.sampled_from([Error("#N/A"), Error("#VALUE!")]),
    st.text(max_size=20).map(Inline),
    st.one_of(st.text(max_size=20), st.floats(allow_nan=False), st.booleans()).map(Formula),
)
SHEETS = st.lists(st.lists(st.lists(VALUES, max_size=8), max_size=12), min_size=1, max_size=3)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheets=SHEETS)
def test_random_workbooks_read_as_python_calamine_reads_them(tmp_path, sheets):
    """Every non-empty cell of any workbook (text, IDs as text, mobiles as numbers, integers,
    fractions, booleans, dates under their formats, errors, inline strings, formula results)
    reads as python-calamine reads it, and the spreadsheet source reads those cells."""
    data = xlsb_book({f"表{n}" if n % 2 else f"Sheet{n}": grid(rows) for n, rows in enumerate(sheets)})
    expected = calamine(data)
    assert streamed(data) == expected
    path = tmp_path / "随机.xlsb"
    path.write_bytes(data)
    chunks, coverage = read(path)
    assert coverage.problems == []
    assert sorted(chunk.text for chunk in chunks) == sorted(v for cells in expected.values() for v in cells.values())


# --- Through the scan: findings, comments, archives, the command ------------------------------

def test_findings_are_located_by_sheet_and_cell_with_the_header_as_context(tmp_path, key):
    path = tmp_path / "客户.xlsb"
    path.write_bytes(xlsb_book(CUSTOMERS))
    coverage = TargetCoverage(str(path))
    found = {(o.entity_type, o.container, o.location["sheet"], o.location["cell"])
             for o in Detector(key).detect(read_target(str(path), FULL, coverage))}
    assert {("CN_RESIDENT_ID", f"{path}!客户信息!身份证号", "客户信息", "B2"),
            ("CN_RESIDENT_ID", f"{path}!客户信息!身份证号", "客户信息", "B3"),
            ("CN_MOBILE_PHONE", f"{path}!客户信息!手机号", "客户信息", "C2"),
            ("CN_MOBILE_PHONE", f"{path}!客户信息!手机号", "客户信息", "C3"),
            ("CN_RESIDENT_ID", f"{path}!第二页!证件号码", "第二页", "C4")} <= found
    assert coverage.problems == [] and coverage.kind == "spreadsheets"
    assert coverage.rows == 4 + 6  # every row up to the last holding a value, as an xlsx's are counted


def test_a_long_shared_string_read_again_and_again_is_cut_in_one_line(tmp_path, monkeypatch):
    """A cell reads a shared string by a 12-byte record however long the string: 16,000 cells
    reading one 65,000-character string (a 35 KB workbook) gave 1,040 million characters to scan.
    As in an .xlsx (xlsx_book.charge), a string's characters past FREE_CHARS count at each
    reading; past the table's own and MAX_REPEATED_CHARS more, its readings are empty, the sheet
    says so in one line and its other cells are read. Short strings, and long ones read once,
    are free."""
    monkeypatch.setattr(xlsx_book, "MAX_REPEATED_CHARS", 100_000)
    long, short = "备注" + "x" * 9_998, "短" * xlsx_book.FREE_CHARS
    path = tmp_path / "重复.xlsb"
    path.write_bytes(xlsb_book({"短": grid([[short]] * 20_000 + [[long]]), "长": grid([[long]] * 16_000 + [["末行"]]),
                                "后": grid([[ID]])}))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!长: {xlsx_book.REPEATS_CUT}"]
    given = [chunk.text for chunk in chunks if chunk.location["sheet"] == "长"]
    assert given.count(long) <= 11 and given[-1] == "末行"
    assert {chunk.text for chunk in chunks if chunk.location["sheet"] == "后"} == {ID}
    assert [chunk.text for chunk in chunks if chunk.location["sheet"] == "短"].count(short) == 20_000


def test_a_long_pivot_item_read_again_and_again_is_cut_in_one_line(tmp_path, monkeypatch):
    """A pivot cache record reads an item by a 4-byte index however long the item: 16,000 records
    reading one 65,000-character item (a 28 KB workbook) gave 1,040 million characters. As in an
    .xlsx, items are charged as shared strings are: past the allowance they read as empty, the
    cache says so in one line and its other values are read."""
    monkeypatch.setattr(xlsx_book, "MAX_REPEATED_CHARS", 100_000)
    long = "备注" + "x" * 9_998
    fields = [PivotField("备注"), PivotField("编号", shared=False)]
    rows = [[long, float(n)] for n in range(16_000)]
    path = tmp_path / "透视.xlsb"
    path.write_bytes(zipped(with_caches(xlsb_parts(SUMMARY), 1, pivots=[(definition_part(fields, rows),
                                                                        records_part(fields, rows))])))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!透视缓存1: {xlsx_book.REPEATS_CUT}"]
    given = [chunk.text for chunk in chunks if chunk.location["sheet"] == "透视缓存1"]
    assert given.count(long) <= 11 and "15999" in given


@pytest.mark.parametrize("dropped", [("xl/_rels/workbook.bin.rels",), ("xl/worksheets/sheet1.bin",)])
def test_a_sheet_whose_part_a_damaged_zip_lost_is_one_problem_line(tmp_path, dropped):
    """A damaged zip directory can lose the workbook's relationships or a sheet's part without an
    error: the workbook read as complete and empty, or without the sheet, and said nothing."""
    parts = {name: data for name, data in xlsb_parts(TWO).items() if name not in dropped}
    path = tmp_path / "坏目录.xlsb"
    path.write_bytes(zipped(parts))
    chunks, coverage = read(path)
    lost = ["坏", "好"] if "rels" in dropped[0] else ["坏"]
    assert lines(coverage) == [f"{path}!{name}: {xlsx_book.UNLINKED}" for name in lost]
    assert any(ID in c.text for c in chunks) == (lost == ["坏"])


def test_sheet_names_holding_line_breaks_are_one_problem_line(tmp_path):
    """A sheet named "客\\n户" (or an external link's sheet so) put its line break into every
    problem line about it, which split in two, and into its findings' locations. As in an .xlsx,
    line breaks and control characters in a sheet's name read as "?"."""
    past_the_last_row = record(ROW_HDR, struct.pack("<I", 2_000_000) + bytes(13))
    parts = with_caches(xlsb_parts({"客\n户": grid([["证件号码"], [ID]]), "汇\r\n总": GOOD_SHEET}), 2,
                        links=[external_link_part(["其\n他"], {0: [["证件号码"], [ID]]})])
    parts["xl/worksheets/sheet2.bin"] = before_the_end(parts["xl/worksheets/sheet2.bin"], past_the_last_row)
    path = tmp_path / "名.xlsb"
    path.write_bytes(zipped(parts))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!汇??总: unreadable: a row past Excel's last row (1,048,576), row 2,000,001"]
    assert {c.location["sheet"] for c in chunks if c.text == ID} == {"客?户", "汇??总", "外部链接1-其?他"}


def test_a_damaged_comments_part_is_one_problem_line_and_the_cells_are_read(tmp_path):
    """A comments part holding a record too short for its type (a comment's cell cut off) made
    the whole workbook "unreadable" in one line about a record, every sheet's cells lost. It is
    one line on the sheet naming the part; the cells and the other sheets' comments are read."""
    parts = xlsb_parts({"甲": grid([["姓名"], ["客户甲"]]), "乙": grid([["备注"]])},
                       comments={"甲": [(1, 0, "批注甲")], "乙": [(0, 0, "批注乙")]})
    parts["xl/comments1.bin"] = parts["xl/comments1.bin"].replace(
        record(635, struct.pack("<IIIII", 0, 1, 1, 0, 0) + bytes(16)), record(635, bytes(6)))
    path = tmp_path / "批注.xlsb"
    path.write_bytes(zipped(parts))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!甲: xl/comments1.bin: unreadable: a record too short for its type (corrupt "
                               ".xlsb); the sheet's cells are read, its comments are not"]
    assert {"客户甲", "备注", "批注乙"} <= {chunk.text for chunk in chunks}


def test_a_comments_part_named_by_several_sheets_is_read_for_the_first():
    """Sheets whose relationships all name one comments part (Excel names each for one sheet) had
    it read again for each, its comments found once a sheet, as an .xlsx's were: 400 sheets
    naming a part of a million characters took 24 s there. It is read for the first sheet only."""
    parts = xlsb_parts({f"S{n}": grid([["备注"]]) for n in range(3)}, comments={"S0": [(0, 0, "批注")]})
    for n in (2, 3):
        parts[f"xl/worksheets/_rels/sheet{n}.bin.rels"] = rels([("rId1", "comments", "../comments1.bin")])
    comments: dict = {}
    assert [name for name, rows in xlsb_stream.xlsb_sheets(zipped(parts), comments) if list(rows)] == ["S0", "S1", "S2"]
    assert comments == {"S0": [("A1", "批注")], "S1": [], "S2": []}


def test_comments_are_read_as_a_container_of_their_sheet(tmp_path, key):
    """A sheet's comments (批注) are read from its comments part, as an xlsx's are: the container
    ``path!sheet!批注``, located on their cell and marked as comments."""
    path = tmp_path / "批注.xlsb"
    text = f"审核员:\n联系手机{PHONE}，已回访"
    path.write_bytes(xlsb_book(CUSTOMERS, comments={"第二页": [(6, 2, text)]}))
    coverage = TargetCoverage(str(path))
    occurrences = list(Detector(key).detect(read_target(str(path), ScanOptions(sample_rows=1), coverage)))
    start = text.index(PHONE)
    assert [(o.entity_type, o.masked, o.container, o.location) for o in occurrences if o.location.get("comment")] == [
        ("CN_MOBILE_PHONE", f"{PHONE[:3]}****{PHONE[-4:]}", f"{path}!第二页!批注",
         {"path": str(path), "sheet": "第二页", "cell": "C7", "comment": True, "start": start, "end": start + 11})]
    assert coverage.problems == []


def test_an_xlsb_inside_a_zip_is_read_as_the_same_file_on_disk(tmp_path, key):
    """Archives hand their members to the reader their suffix names: an .xlsb is read from memory."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "客户.xlsb").write_bytes(xlsb_book(CUSTOMERS))
    with zipfile.ZipFile(tmp_path / "exports.zip", "w") as archive:
        archive.write(folder / "客户.xlsb", "exports/客户.xlsb")

    def findings(target: str) -> list:
        coverage = TargetCoverage(target)
        found = sorted((o.entity_type, o.container.rsplit("!", 2)[1:], o.location["cell"])
                       for o in Detector(key).detect(read_target(target, FULL, coverage)))
        assert coverage.problems == []
        return found

    on_disk = findings(str(folder / "客户.xlsb"))
    assert findings(str(tmp_path / "exports.zip")) == on_disk and len(on_disk) >= 5


def test_a_workbook_embedded_in_an_xlsb_is_read(tmp_path, key):
    """An Excel table pasted into a workbook as an object keeps its whole file in it, in an .xlsb
    as in an .xlsx (``xl/embeddings/``): it is read, located inside the .xlsb; one pasted from an
    .xlsb is an .xlsb."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["手机号"])
    book.active.append([PHONE2])
    embedded = io.BytesIO()
    book.save(embedded)
    path = tmp_path / "报表.xlsb"
    path.write_bytes(zipped({**xlsb_parts(TWO), "xl/embeddings/Microsoft_Excel_Worksheet.xlsx": embedded.getvalue(),
                             "xl/embeddings/Microsoft_Excel_Binary_Worksheet.xlsb": xlsb_book({"表": grid([[ID2]])})}))
    coverage = TargetCoverage(str(path))
    found = {(o.entity_type, o.location["path"], o.location["cell"])
             for o in Detector(key).detect(read_target(str(path), FULL, coverage))}
    assert found == {("CN_MOBILE_PHONE", str(path), "A2"), ("CN_RESIDENT_ID", str(path), "A2"),
                     ("CN_MOBILE_PHONE", f"{path}!xl/embeddings/Microsoft_Excel_Worksheet.xlsx", "A2"),
                     ("CN_RESIDENT_ID", f"{path}!xl/embeddings/Microsoft_Excel_Binary_Worksheet.xlsb", "A1")}
    assert coverage.problems == []


def test_the_scan_command_writes_masked_findings_located_by_cell(tmp_path, monkeypatch):
    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    path = tmp_path / "客户.xlsb"
    path.write_bytes(xlsb_book(CUSTOMERS))
    out = tmp_path / "found.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(path), "--jsonl", str(out), "--full"])
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["entity_type"] for r in records} >= {"CN_RESIDENT_ID", "CN_MOBILE_PHONE"}
    assert all(set(r["location"]) == {"path", "sheet", "cell", "start", "end"} for r in records)
    assert {(r["location"]["sheet"], r["location"]["cell"]) for r in records} >= {("客户信息", "B2"), ("第二页", "C4")}
    assert f"{ID[:6]}********{ID[-4:]}" in {r["masked"] for r in records}
    written = out.read_text(encoding="utf-8") + result.output
    assert [raw for raw in RAW if raw in written] == []


# --- Damaged and hostile files: one problem line each, the rest still read -------------------

def replaced(sheets: dict, parts: dict[str, bytes]) -> bytes:
    """Return a workbook of ``sheets`` with some of its parts (zip members) replaced."""
    return zipped({**xlsb_parts(sheets), **parts})


def damaged(cut) -> bytes:
    """Return TWO with its first sheet's part passed through ``cut``."""
    part = xlsb_parts(TWO)["xl/worksheets/sheet1.bin"]
    return replaced(TWO, {"xl/worksheets/sheet1.bin": cut(part)})


def cell_st(count: int, text: str) -> bytes:
    """A BrtCellSt at A1 whose string declares ``count`` characters and holds ``text``."""
    return record(CELL_ST, struct.pack("<III", 0, 0, count) + text.encode("utf-16-le"))


def before_the_end(part: bytes, data: bytes) -> bytes:
    """Return a sheet's part with ``data`` just before the end of its sheet data."""
    end = part.rindex(record(146))
    return part[:end] + data + part[end:]


def sheet_data(*records_: bytes) -> bytes:
    return record(129) + record(145) + b"".join(records_) + record(146) + record(130)


@pytest.mark.parametrize("cut, reason", [
    pytest.param(lambda part: part[:-9], "unreadable: a record runs past the end of its part (truncated or corrupt "
                 ".xlsb)", id="truncated-in-a-record"),
    pytest.param(lambda part: part[:part.rindex(record(146)) + 1],
                 "unreadable: a part ends inside a record (truncated or corrupt .xlsb)", id="truncated-in-a-header"),
    pytest.param(lambda part: part[:part.rindex(record(146))],
                 "unreadable: the sheet ends inside its cells (truncated or corrupt .xlsb)",
                 id="truncated-at-a-record"),
    pytest.param(lambda part: before_the_end(part, b"\x05\xff\xff\xff\x7f"),
                 "refused: a record of 268,435,455 bytes, over the 16,777,216 cap (corrupt .xlsb)",
                 id="record-over-the-cap"),
    pytest.param(lambda part: part[:part.rindex(record(146))] + b"\x05\xff\xff\x01" + bytes(100),
                 "unreadable: a record runs past the end of its part (truncated or corrupt .xlsb)",
                 id="record-past-the-part"),
    pytest.param(lambda part: before_the_end(part, b"\x05\xff\xff\xff\xff\x01"),
                 "unreadable: a record's size runs over four bytes (corrupt .xlsb)", id="size-over-four-bytes"),
    pytest.param(lambda part: sheet_data(record(ROW_HDR, bytes(17)), cell_st(0x7FFFFFFF, "身份证")),
                 "unreadable: a string runs past the end of its record (corrupt .xlsb)", id="string-past-its-record"),
    pytest.param(lambda part: sheet_data(record(ROW_HDR, bytes(17)), record(CELL_ST, b"\x00\x00")),
                 "unreadable: a record too short for its type (corrupt .xlsb)", id="short-cell-record"),
    pytest.param(lambda part: sheet_data(record(ROW_HDR, struct.pack("<I", 1 << 20) + bytes(13)), cell_st(1, "a")),
                 "unreadable: a row past Excel's last row (1,048,576), row 1,048,577", id="row-past-the-last"),
    pytest.param(lambda part: sheet_data(record(ROW_HDR, bytes(17)),
                                         record(CELL_ST, struct.pack("<III", 16384, 0, 1) + "甲".encode("utf-16-le"))),
                 xlsx_book.NO_COLUMN, id="column-past-the-last"),
    pytest.param(lambda part: sheet_data(record(ROW_HDR, bytes(17)), record(7, struct.pack("<III", 0, 0, 99))),
                 xlsx_book.missing_string(3), id="string-index"),
])
def test_a_damaged_sheet_is_one_problem_line_and_the_next_sheet_is_read(tmp_path, key, cut, reason):
    path = tmp_path / "坏.xlsb"
    path.write_bytes(damaged(cut))
    coverage = TargetCoverage(str(path))
    found = [(o.entity_type, o.location["sheet"], o.location["cell"])
             for o in Detector(key).detect(read_target(str(path), FULL, coverage))]
    assert ("CN_RESIDENT_ID", "好", "A2") in found
    assert lines(coverage) == [f"{path}!坏: {reason}"]


@pytest.mark.parametrize("bad, reason", [
    pytest.param(record(7, struct.pack("<III", 1, 0, 99)), xlsx_book.missing_string(4), id="string-99-of-4"),
    pytest.param(record(7, struct.pack("<III", 16384, 0, 2)), xlsx_book.NO_COLUMN, id="XFE2"),
])
def test_a_damaged_cell_costs_its_cell_not_the_rest_of_the_sheet(tmp_path, bad, reason):
    """A cell naming string 99 of a table of 4, or placed past XFD, refused the rest of its sheet,
    every row after it lost; it reads as empty, the sheet goes on, with one problem line (as an
    .xlsx's)."""
    sheets = {"客户": grid([["手机号", "备注"], [float(PHONE), "甲"], [float(PHONE2), "乙"]])}
    parts = xlsb_parts(sheets)
    part = parts["xl/worksheets/sheet1.bin"]
    good = record(7, struct.pack("<III", 1, 0, 2))  # B2 reads string 2, 甲
    assert part.count(good) == 1
    path = tmp_path / "坏.xlsb"
    path.write_bytes(zipped({**parts, "xl/worksheets/sheet1.bin": part.replace(good, bad)}))
    coverage = TargetCoverage(str(path))
    chunks = list(as_chunks(read_spreadsheet(str(path), FULL, coverage)))
    assert {(c.location["cell"], c.text) for c in chunks if "cell" in c.location} == {
        ("A1", "手机号"), ("B1", "备注"), ("A2", PHONE), ("A3", PHONE2), ("B3", "乙")}
    assert lines(coverage) == [f"{path}!客户: {reason}"]


def bad_crc(data: bytes, member: str) -> bytes:
    """Return the zip ``data`` with the CRC of ``member`` changed, in its local header and the directory."""
    crc = struct.pack("<I", zipfile.ZipFile(io.BytesIO(data)).getinfo(member).CRC)
    assert data.count(crc) == 2
    return data.replace(crc, struct.pack("<I", struct.unpack("<I", crc)[0] ^ 1))


def unknown_method(data: bytes, member: str) -> bytes:
    """Return the zip ``data`` with the compression method of ``member`` one zipfile does not know."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(member.encode()))  # its entry in the directory
    for at in (info.header_offset + 8, central + 10):  # the method, in the local header and the directory
        data = data[:at] + struct.pack("<H", 77) + data[at + 2:]
    return data


def no_directory(data: bytes, member: str) -> bytes:
    return data[:data.rindex(b"PK\x05\x06")]


PART_DAMAGED = "unreadable: a part's compressed data is damaged or fails its CRC (corrupt .xlsb)"
ZIP_DAMAGED = "unreadable: the zip is damaged (a bad header, CRC or compressed data; corrupt .xlsb)"


@pytest.mark.parametrize("member, change, where, reason", [
    pytest.param("xl/worksheets/sheet1.bin", garbled, "!坏", PART_DAMAGED, id="bad-deflate"),
    pytest.param("xl/worksheets/sheet1.bin", bad_crc, "!坏", PART_DAMAGED, id="bad-crc"),
    pytest.param("xl/worksheets/sheet1.bin", unknown_method, "!坏", PART_DAMAGED, id="unknown-method"),
    pytest.param("xl/workbook.bin", garbled, "", PART_DAMAGED, id="workbook-part"),
    pytest.param("xl/_rels/workbook.bin.rels", bad_crc, "", ZIP_DAMAGED, id="relationships-crc"),
    pytest.param("", no_directory, "", ZIP_DAMAGED, id="no-directory"),
])
def test_damaged_compressed_data_is_one_problem_line_naming_it(tmp_path, member, change, where, reason):
    """A part whose deflate stream is damaged, whose CRC fails or whose compression method is
    unknown, a damaged relationships part or zip directory, was "unreadable (error): corrupt or
    not a spreadsheet" (zlib.error's name), "(BadZipFile)" or "(NotImplementedError)", the
    spreadsheet source's generic catch; now it is the reader's own line naming the damage, and
    the next sheet is still read."""
    path = tmp_path / "坏.xlsb"
    path.write_bytes(change(xlsb_book(TWO), member))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}{where}: {reason}"]
    assert (ID in {c.text for c in chunks}) == bool(where)


def test_rows_before_the_damage_are_still_scanned(tmp_path, key):
    """A sheet cut short is read up to the row where it is cut: its problem line, and what came before."""
    sheets = {"坏": grid([["手机号"], [float(PHONE)], ["备注"]]), "好": GOOD_SHEET}
    path = tmp_path / "截断.xlsb"
    member = "xl/worksheets/sheet1.bin"
    path.write_bytes(replaced(sheets, {member: xlsb_parts(sheets)[member][:-9]}))
    coverage = TargetCoverage(str(path))
    found = {(o.entity_type, o.location["sheet"]) for o in Detector(key).detect(read_target(str(path), FULL, coverage))}
    assert found == {("CN_MOBILE_PHONE", "坏"), ("CN_RESIDENT_ID", "好")}
    assert lines(coverage) == [f"{path}!坏: unreadable: a record runs past the end of its part (truncated or corrupt "
                               ".xlsb)"]


def encrypted() -> bytes:
    """An OLE2 file as Excel writes a password-protected workbook: EncryptionInfo, EncryptedPackage."""
    return compound_file({"EncryptionInfo": bytes(200), "EncryptedPackage": bytes(5000)})


def with_dtd(part: bytes) -> bytes:
    head, sep, rest = part.partition(b"?>")
    return head + sep + b'<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + rest


RELS = xlsb_parts(TWO)["xl/_rels/workbook.bin.rels"]


@pytest.mark.parametrize("content, reason", [
    pytest.param(encrypted(), "encrypted .xlsb workbook (password-protected): not read", id="encrypted"),
    pytest.param(compound_file({"Workbook": bytes(5000)}),
                 "not an .xlsb workbook: an OLE2 file (a legacy .xls renamed?)", id="xls-renamed"),
    pytest.param(f"身份证号,{ID}\n".encode(), "not an .xlsb workbook: no zip signature (is the extension wrong?)",
                 id="not-a-zip"),
    pytest.param(zipped({"xl/workbook.xml": b"<workbook/>"}),
                 "not an .xlsb workbook: the zip holds no xl/workbook.bin (an .xlsx renamed?)", id="xlsx-renamed"),
    pytest.param(xlsb_book(TWO)[:300], "unreadable: the zip is damaged (a bad header, CRC or compressed data; corrupt "
                                       ".xlsb)", id="truncated-zip"),
    pytest.param(replaced(TWO, {"xl/sharedStrings.bin": record(159, struct.pack("<II", 10**9, 10**9))}),
                 "unreadable: the shared strings table declares more strings than its part can hold (corrupt .xlsb)",
                 id="absurd-string-count"),
    pytest.param(replaced(TWO, {"xl/workbook.bin": record(156, struct.pack("<II", 0, 1) + wide("rId1")
                                                        + struct.pack("<I", 5))}),
                 "unreadable: a string runs past the end of its record (corrupt .xlsb)",
                 id="sheet-name-past-its-record"),
    pytest.param(replaced(TWO, {"xl/styles.bin": record(617) + record(47, b"\x00")}),
                 "unreadable: a record too short for its type (corrupt .xlsb)", id="short-style-record"),
    pytest.param(replaced(TWO, {"xl/_rels/workbook.bin.rels": with_dtd(RELS)}),
                 "refused: xl/_rels/workbook.bin.rels declares a DTD or entities (billion laughs / XXE?)",
                 id="dtd-in-relationships"),
])
def test_a_hostile_or_damaged_workbook_is_one_problem_line(tmp_path, content, reason):
    """Each is refused with one line naming no cell and the scan goes on: no hang, no allocation
    from a declared size."""
    path = tmp_path / "坏.xlsb"
    path.write_bytes(content)
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: {reason}"]


def test_a_zip_bomb_is_refused_from_the_zip_directory(tmp_path, monkeypatch):
    """Before any part is inflated: a member inflating past the ratio, members past the size cap."""
    from pii_audit.sources import xlsx_guard

    monkeypatch.setattr(xlsx_guard, "MAX_RATIO", 100)
    path = tmp_path / "炸弹.xlsb"
    path.write_bytes(replaced(TWO, {"xl/worksheets/sheet2.bin": sheet_data() + bytes(2 << 20)}))  # ~1000:1
    chunks, coverage = read(path)
    assert chunks == [] and len(coverage.problems) == 1
    assert lines(coverage)[0].startswith(f"{path}: refused: xl/worksheets/sheet2.bin inflates ")
    monkeypatch.setattr(xlsx_guard, "MAX_INFLATED_BYTES", 1 << 20)
    path.write_bytes(replaced(TWO, {"xl/worksheets/sheet2.bin": sheet_data() + bytes(2 << 20)}))
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: refused: would inflate to 2 MB, over the 1 MB cap (zip bomb?)"]


def test_shared_strings_and_comments_past_the_cap_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsb_stream, "MAX_SHARED_STRINGS_BYTES", 40)
    monkeypatch.setattr(xlsx_book, "MAX_SHARED_STRINGS_BYTES", 40)  # comments parts: xlsx_book.comment_parts
    path = tmp_path / "大.xlsb"
    path.write_bytes(xlsb_book({"s": grid([["客户" * 40]])}))
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: refused: shared strings table of 0 MB, over the 0 MB cap"]
    path.write_bytes(xlsb_book({"s": [Cell(0, 0, Inline("a"))]}, comments={"s": [(0, 0, "批注" * 40)]}))
    chunks, coverage = read(path)  # the comments only: the sheet's cells are read (the workbook was refused)
    assert [chunk.text for chunk in chunks] == ["a"] and lines(coverage) == [
        f"{path}!s: refused: comments part of 0 MB, over the 0 MB cap; the sheet's cells are read, its comments are not"]


def mutated(rng: random.Random, data: bytes) -> bytes:
    """Return ``data`` with a few bytes changed, maybe cut short."""
    data = bytearray(data)
    for _ in range(rng.choice([1, 2, 4, 16])):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.1:
        data = data[:rng.randrange(len(data))]
    return bytes(data)


def read_through(data: bytes, outcomes: set, messages: list) -> None:
    """Read every sheet of an .xlsb; a sheet stopped by a ``SheetError`` adds "sheet" and its message."""
    for _, rows in xlsb_stream.xlsb_sheets(data, {}):
        try:
            for _ in rows:
                pass
        except SheetError as error:
            outcomes.add("sheet")
            messages.append(str(error))


def test_mutated_workbooks_give_cells_or_one_line_refusals_in_bounded_memory(tmp_path):
    """Hundreds of workbooks with random bytes changed (fixed seed) in a part and zipped again,
    and hundreds changed anywhere in the file: reading each either works or stops with
    ``WorkbookRefused`` or ``SheetError`` (or, through the spreadsheet source, one problem line),
    a line naming no cell; memory stays small."""
    rng = random.Random(1997)
    commented = {"s": [(0, 0, f"手机{PHONE}")]}
    parts = xlsb_parts(CUSTOMERS, comments={"第二页": commented["s"]})
    binary = [name for name in parts if name.endswith(".bin")]
    outcomes, messages = set(), []
    tracemalloc.start()
    try:
        for _ in range(300):
            member = rng.choice(binary)
            data = zipped({**parts, member: mutated(rng, parts[member])})
            try:
                read_through(data, outcomes, messages)
                outcomes.add("read")
            except (WorkbookRefused, SheetError) as error:  # a damaged comments part: SheetError
                outcomes.add("refused")
                messages.append(str(error))
        whole = xlsb_book(CUSTOMERS)
        path = tmp_path / "变异.xlsb"
        for _ in range(300):
            path.write_bytes(mutated(rng, whole))
            _, coverage = read(path)
            outcomes.add("problem" if coverage.problems else "clean")
            messages += [problem.reason for problem in coverage.problems]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcomes == {"read", "refused", "sheet", "problem", "clean"}
    assert peak < 32 << 20
    assert all("\n" not in message and not any(raw in message for raw in RAW) for message in messages)


def test_a_large_sheet_is_streamed_in_bounded_memory():
    """Memory holds one block of a sheet and one row, not the sheet: reading a part of 20 MB of
    unique inline strings grows the heap far less than the part."""
    cells = [Cell(row, column, Inline(f"{row:06d}客户{column}" * 16)) for row in range(20_000) for column in range(4)]
    data = xlsb_book({"大": cells})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        size = archive.getinfo("xl/worksheets/sheet1.bin").file_size
    tracemalloc.start()
    try:
        rows = sum(1 for _, sheet in xlsb_stream.xlsb_sheets(data) for _ in sheet)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == 20_000 and size > 20 << 20
    assert peak < 6 << 20


# --- Pivot caches and external link caches: read as the xlsx reader reads them ----------------

CACHE_RNG = random.Random(2024)
CACHE_IDS = [resident_id(CACHE_RNG) for _ in range(3)]
CACHE_PHONES = ["139" + mobile(CACHE_RNG)[3:] for _ in range(3)]
CACHE_NAMES = ["王建国", "李秀英", "张伟"]
CUSTOMER_FIELDS = [PivotField("姓名"), PivotField("证件号码"), PivotField("手机", shared=False)]
CUSTOMER_ROWS = [[name, number, float(phone)] for name, number, phone in zip(CACHE_NAMES, CACHE_IDS, CACHE_PHONES)]
SUMMARY = {"汇总": grid([["网点", "笔数"], ["朝阳支行", 3]])}
# Every kind of item, shared and inline: text, numbers, dates (inline and shared), booleans, a
# missing value and an error, the shared strings of one field written as a run of items.
KINDS_FIELDS = [PivotField("备注", run=True), PivotField("开户日期", shared=False), PivotField("余额", shared=False),
                PivotField("到期日"), PivotField("已核实"), PivotField("状态")]
KINDS_ROWS = [
    ["已回访", datetime.datetime(2024, 1, 5), 12.5, datetime.datetime(2025, 1, 5, 10, 30), True, None],
    ["未回访", datetime.datetime(2023, 3, 1, 9, 30), -0.5, datetime.datetime(2025, 1, 5, 10, 30), False, Error("#N/A")],
    ["已回访", datetime.datetime(2024, 1, 5), 1e20, datetime.datetime(2026, 2, 1), True, 7.0],
]
SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xml_item(value) -> str:
    """The xlsx cache item (ECMA-376 part 1, 18.10) of a value."""
    from xml.sax.saxutils import quoteattr

    if value is None:
        return "<m/>"
    if isinstance(value, bool):
        return f'<b v="{int(value)}"/>'
    if isinstance(value, Error):
        return f'<e v="{value.code}"/>'
    if isinstance(value, str):
        return f"<s v={quoteattr(value)}/>"
    if isinstance(value, datetime.datetime):
        return f'<d v="{value.isoformat()}"/>'
    return f'<n v="{value!r}"/>'


def xlsx_with_pivot(tmp_path: Path, fields: list[PivotField], rows: list[list], with_records: bool = True) -> Path:
    """The .xlsx of the same content as ``xlsb_with_pivot``, its cache parts written as Excel writes
    them (as ``test_sources_spreadsheets.with_pivot_cache`` does): shared items and indexes, or
    values inline."""
    from test_sources_spreadsheets import make_xlsx
    from zip_helpers import rewrite

    items = [list(dict.fromkeys(row[n] for row in rows)) for n in range(len(fields))]
    listed = "".join(
        f'<cacheField name="{f.name}" numFmtId="0"><sharedItems>'
        + ("".join(map(xml_item, items[n])) if f.shared or not with_records else "") + "</sharedItems></cacheField>"
        for n, f in enumerate(fields))
    definition = (f'<?xml version="1.0" encoding="UTF-8"?>\n<pivotCacheDefinition xmlns="{SML}" '
                  f'xmlns:r="{OFFICE_REL}" r:id="rId1"{"" if with_records else " saveData=" + chr(34) + "0" + chr(34)}>'
                  '<cacheSource type="worksheet"><worksheetSource ref="A1:C4" sheet="客户信息"/></cacheSource>'
                  f'<cacheFields count="{len(fields)}">{listed}</cacheFields></pivotCacheDefinition>')
    records = (f'<?xml version="1.0" encoding="UTF-8"?>\n<pivotCacheRecords xmlns="{SML}" count="{len(rows)}">'
               + "".join("<r>" + "".join(f'<x v="{items[n].index(v)}"/>' if f.shared else xml_item(v)
                                         for n, (f, v) in enumerate(zip(fields, row))) + "</r>" for row in rows)
               + "</pivotCacheRecords>")
    src = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["网点", "笔数"], ["朝阳支行", 3]]})
    with zipfile.ZipFile(src) as archive:
        book_rels = archive.read("xl/_rels/workbook.xml.rels").decode().replace(
            "</Relationships>", f'<Relationship Id="rIdPivot1" Type="{OFFICE_REL}/pivotCacheDefinition" '
                                'Target="pivotCache/pivotCacheDefinition1.xml"/></Relationships>')
    parts = {"xl/_rels/workbook.xml.rels": book_rels.encode(),
             "xl/pivotCache/pivotCacheDefinition1.xml": definition.encode()}
    if with_records:
        parts["xl/pivotCache/pivotCacheRecords1.xml"] = records.encode()
        parts["xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels"] = rels(
            [("rId1", "pivotCacheRecords", "pivotCacheRecords1.xml")])
    return rewrite(src, tmp_path / "透视.xlsx", parts)


def xlsb_with_pivot(tmp_path: Path, fields: list[PivotField], rows: list[list], with_records: bool = True,
                    dt: bool = False, **replaced_parts) -> Path:
    """A summary workbook whose pivot cache holds ``rows``, its source sheet deleted."""
    definition = definition_part(fields, rows, with_records)
    records = records_part(fields, rows, dt) if with_records else None
    parts = with_caches(xlsb_parts(SUMMARY), 1, pivots=[(definition, records)])
    path = tmp_path / "透视.xlsb"
    path.write_bytes(zipped({**parts, **{member.replace("__", "/"): data for member, data in replaced_parts.items()}}))
    return path


def findings(path: Path, key) -> tuple[list, TargetCoverage]:
    """The findings of the spreadsheet source: entity, container after the path, sheet, cell."""
    coverage = TargetCoverage(str(path))
    found = sorted((o.entity_type, o.container.split("!", 1)[1], o.location["sheet"], o.location["cell"])
                   for o in Detector(key).detect(read_target(str(path), FULL, coverage)))
    return found, coverage


def xlsx_cells(path: Path) -> dict:
    return cells_of(sheet_rows.xlsx_sheets(str(path)))


@pytest.mark.parametrize("with_records, dt", [(True, False), (True, True), (False, False)],
                         ids=["records", "records-dt", "items-only"])
def test_a_pivot_cache_whose_source_sheet_is_gone_is_read_as_in_an_xlsx(tmp_path, key, with_records, dt):
    """A summary .xlsb whose customer sheet was deleted keeps the customers in its pivot cache: read
    as the sheet 透视缓存1 (its field names the header, then a row a record, or without records each
    field's distinct values), the same findings, containers and cells as the same .xlsx gives."""
    fields = CUSTOMER_FIELDS if with_records else [PivotField(f.name) for f in CUSTOMER_FIELDS]
    path = xlsb_with_pivot(tmp_path, fields, CUSTOMER_ROWS, with_records, dt)
    found, coverage = findings(path, key)
    assert coverage.problems == []
    assert found == sorted(
        [("PERSON", "透视缓存1!姓名", "透视缓存1", f"A{n + 2}") for n in range(3)]
        + [("CN_RESIDENT_ID", "透视缓存1!证件号码", "透视缓存1", f"B{n + 2}") for n in range(3)]
        + [("CN_MOBILE_PHONE", "透视缓存1!手机", "透视缓存1", f"C{n + 2}") for n in range(3)])
    xlsx = xlsx_with_pivot(tmp_path, fields, CUSTOMER_ROWS, with_records)
    assert findings(xlsx, key)[0] == found
    assert streamed(path.read_bytes()) == xlsx_cells(xlsx)


@pytest.mark.parametrize("dt", [False, True], ids=["records", "records-dt"])
def test_every_kind_of_cache_item_reads_as_in_an_xlsx(tmp_path, dt):
    """Text (one field's items written as a run), numbers and dates inline in the records (as the
    field's flags say they are stored), shared dates, booleans, a missing value and an error (empty)."""
    path = xlsb_with_pivot(tmp_path, KINDS_FIELDS, KINDS_ROWS, dt=dt)
    cells = streamed(path.read_bytes())
    assert cells == xlsx_cells(xlsx_with_pivot(tmp_path, KINDS_FIELDS, KINDS_ROWS))
    assert cells["透视缓存1"] == {
        (1, 0): "备注", (1, 1): "开户日期", (1, 2): "余额", (1, 3): "到期日", (1, 4): "已核实", (1, 5): "状态",
        (2, 0): "已回访", (2, 1): "2024-01-05", (2, 2): "12.5", (2, 3): "2025-01-05 10:30:00", (2, 4): "TRUE",
        (3, 0): "未回访", (3, 1): "2023-03-01 09:30:00", (3, 2): "-0.5", (3, 3): "2025-01-05 10:30:00",
        (3, 4): "FALSE",
        (4, 0): "已回访", (4, 1): "2024-01-05", (4, 2): "100000000000000000000", (4, 3): "2026-02-01",
        (4, 4): "TRUE", (4, 5): "7"}


def test_an_external_links_cached_cells_are_read_as_in_an_xlsx(tmp_path, key):
    """A formula reading another workbook keeps that workbook's cells: each cached sheet is the
    sheet 外部链接N-name, its cells where they are, as the xlsx reader reads the same cache."""
    from test_sources_spreadsheets import make_xlsx, with_external_link

    ids = CACHE_IDS
    xlsx = with_external_link(make_xlsx(tmp_path / "s.xlsx", {"汇总": [["网点", "笔数"], ["朝阳支行", 3]]}),
                              tmp_path / "链接.xlsx", ids, CACHE_NAMES)
    rows = [["姓名", "证件号码", "金额"]] + [[name, number, 100.5 * (n + 1)]
                                          for n, (name, number) in enumerate(zip(CACHE_NAMES, ids))]
    link = external_link_part(["其他", "客户"], {0: [], 1: rows})
    path = tmp_path / "链接.xlsb"
    path.write_bytes(zipped(with_caches(xlsb_parts(SUMMARY), 1, links=[link])))
    found, coverage = findings(path, key)
    assert coverage.problems == []
    assert found == sorted(
        [("PERSON", "外部链接1-客户!姓名", "外部链接1-客户", f"A{n + 2}") for n in range(3)]
        + [("CN_RESIDENT_ID", "外部链接1-客户!证件号码", "外部链接1-客户", f"B{n + 2}") for n in range(3)])
    assert found == findings(xlsx, key)[0]
    assert streamed(path.read_bytes()) == xlsx_cells(xlsx)


def test_external_cells_of_every_kind_and_sparse_rows():
    """Strings, numbers, booleans; blanks and errors are empty; a row starting past column A and
    rows not next to each other keep their places."""
    link = external_link_part(["表"], {0: [[None, "甲", 1.5, True, Error("#REF!")], [], [], ["乙", None, False]]})
    data = zipped(with_caches(xlsb_parts(SUMMARY), 1, links=[link]))
    assert streamed(data)["外部链接1-表"] == {(1, 1): "甲", (1, 2): "1.5", (1, 3): "TRUE", (4, 0): "乙",
                                          (4, 2): "FALSE"}


def test_a_pivot_cache_past_its_cap_is_one_problem_line_and_the_sheets_are_read(tmp_path, key, monkeypatch):
    """A definition's distinct values are held whole, under the xlsx reader's cap."""
    monkeypatch.setattr("pii_audit.sources.xlsx_caches.MAX_DEFINITION_BYTES", 100)
    path = xlsb_with_pivot(tmp_path, CUSTOMER_FIELDS, CUSTOMER_ROWS)
    _, coverage = findings(path, key)
    assert lines(coverage) == [f"{path}!透视缓存1: refused: pivot cache definition of 0 MB, over the 0 MB cap"]


def definition_with(data: bytes) -> bytes:
    """The customers' definition with ``data`` (records) just before its end."""
    part = definition_part(CUSTOMER_FIELDS, CUSTOMER_ROWS)
    end = part.rindex(record(180))
    return part[:end] + data + part[end:]


def records_with(*written: bytes) -> bytes:
    return record(193, struct.pack("<I", 10**9)) + b"".join(written) + record(194)


HUGE = 0x7FFFFFFF


@pytest.mark.parametrize("member, data, reason", [
    pytest.param("definition", definition_part(CUSTOMER_FIELDS, CUSTOMER_ROWS)[:-9],
                 "unreadable: the part ends before its last record (truncated or corrupt .xlsb)",
                 id="truncated-at-a-record"),
    pytest.param("definition", definition_part(CUSTOMER_FIELDS, CUSTOMER_ROWS)[:-10],
                 "unreadable: a part ends inside a record (truncated or corrupt .xlsb)", id="truncated-in-a-record"),
    pytest.param("records", records_part(CUSTOMER_FIELDS, CUSTOMER_ROWS)[:-3],
                 "unreadable: the part ends before its last record (truncated or corrupt .xlsb)",
                 id="records-truncated"),
    pytest.param("definition", definition_with(record(183, bytes(18) + struct.pack("<I", HUGE) + b"ab")),
                 "unreadable: a string runs past the end of its record (corrupt .xlsb)", id="name-past-its-record"),
    pytest.param("definition", definition_with(record(189, bytes(6)) + record(191, struct.pack("<HI", 2, HUGE))),
                 "unreadable: a run of pivot cache items holds more than its record (corrupt .xlsb)",
                 id="huge-run-count"),
    pytest.param("definition", definition_with(record(183, bytes(4))),
                 "unreadable: a record too short for its type (corrupt .xlsb)", id="short-field"),
    pytest.param("records", records_with(record(33, struct.pack("<II", 0, 0))),
                 "unreadable: a record too short for its type (corrupt .xlsb)", id="short-record"),
    pytest.param("records", records_with(record(33, struct.pack("<IId", 0, 99, 1.0))),
                 xlsx_book.MISSING_ITEM, id="item-index"),
    pytest.param("records", records_with(record(33, struct.pack("<IIdI", 0, 0, 1.0, 7))),
                 "unreadable: a pivot cache record does not match its fields (corrupt .xlsb)", id="record-too-long"),
    pytest.param("records", records_with(record(34), record(26, struct.pack("<I", HUGE))),
                 xlsx_book.MISSING_ITEM, id="dt-item-index"),
    pytest.param("records", records_with(b"\x21\xff\xff\xff\x7f"),
                 "refused: a record of 268,435,455 bytes, over the 16,777,216 cap (corrupt .xlsb)",
                 id="record-over-the-cap"),
])
def test_a_damaged_pivot_cache_is_one_problem_line_and_the_rest_is_read(tmp_path, key, member, data, reason):
    """Lengths past the end, huge claimed counts: one problem line naming the cache, in bounded
    memory; the worksheets and the other caches (an external link) are still read."""
    definition = definition_part(CUSTOMER_FIELDS, CUSTOMER_ROWS)
    records = records_part(CUSTOMER_FIELDS, CUSTOMER_ROWS)
    link = external_link_part(["客户"], {0: [["证件号码"], [ID]]})
    parts = with_caches(xlsb_parts({"汇总": GOOD_SHEET}), 1, links=[link],
                        pivots=[(data, records) if member == "definition" else (definition, data)])
    path = tmp_path / "坏.xlsb"
    path.write_bytes(zipped(parts))
    tracemalloc.start()
    try:
        found, coverage = findings(path, key)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines(coverage) == [f"{path}!透视缓存1: {reason}"]
    assert {("CN_RESIDENT_ID", "汇总"), ("CN_RESIDENT_ID", "外部链接1-客户")} <= {(f[0], f[2]) for f in found}
    assert peak < 32 << 20


@pytest.mark.parametrize("link, reason", [
    pytest.param(record(359, struct.pack("<I", HUGE) + wide("客户")),
                 "unreadable: an external link names more sheets than its record holds (corrupt .xlsb)",
                 id="huge-sheet-count"),
    pytest.param(record(359, struct.pack("<I", 1) + struct.pack("<I", HUGE)),
                 "unreadable: a string runs past the end of its record (corrupt .xlsb)", id="name-past-its-record"),
    pytest.param(record(363, b"\x00"), "unreadable: a record too short for its type (corrupt .xlsb)",
                 id="short-table-start"),
])
def test_a_damaged_external_link_is_one_problem_line_and_the_rest_is_read(tmp_path, key, link, reason):
    parts = with_caches(xlsb_parts({"汇总": GOOD_SHEET}), 1, links=[link],
                        pivots=[(definition_part(CUSTOMER_FIELDS, CUSTOMER_ROWS),
                                 records_part(CUSTOMER_FIELDS, CUSTOMER_ROWS))])
    path = tmp_path / "坏.xlsb"
    path.write_bytes(zipped(parts))
    found, coverage = findings(path, key)
    assert lines(coverage) == [f"{path}!外部链接1: {reason}"]
    assert {("CN_RESIDENT_ID", "汇总"), ("CN_RESIDENT_ID", "透视缓存1")} <= {(f[0], f[2]) for f in found}


@pytest.mark.parametrize("cells, reason", [
    pytest.param(record(366, struct.pack("<I", 1 << 20)) + record(371, struct.pack("<I", 0) + wide("a")),
                 "unreadable: a row past Excel's last row (1,048,576), row 1,048,577", id="row-past-the-last"),
    pytest.param(record(366, struct.pack("<I", 0)) + record(368, struct.pack("<I", 0)),
                 "unreadable: a record too short for its type (corrupt .xlsb)", id="short-cell"),
])
def test_a_damaged_external_sheet_is_one_problem_line(tmp_path, cells, reason):
    link = (record(360, struct.pack("<H", 0) + wide("rId1") + wide(None))
            + record(359, struct.pack("<I", 1) + wide("表"))
            + record(363, struct.pack("<IB", 0, 0)) + cells + record(364) + record(588))
    path = tmp_path / "坏.xlsb"
    path.write_bytes(zipped(with_caches(xlsb_parts({"汇总": GOOD_SHEET}), 1, links=[link])))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!外部链接1-表: {reason}"] and ID in {c.text for c in chunks}


def test_a_linked_cell_past_xfd_is_left_out_and_the_rest_of_its_table_read(tmp_path):
    """A cached cell past column XFD ended its external table: the cells after it were lost, where a
    worksheet's such cell is left out and the sheet read on. It is left out the same way now, one
    problem line for its table, and the next cell of its row and the rows after it are read."""
    cells = (record(366, struct.pack("<I", 0)) + record(371, struct.pack("<I", 16384) + wide("远"))
             + record(371, struct.pack("<I", 1) + wide(ID)) + record(366, struct.pack("<I", 1))
             + record(371, struct.pack("<I", 0) + wide("近")))
    link = (record(360, struct.pack("<H", 0) + wide("rId1") + wide(None))
            + record(359, struct.pack("<I", 1) + wide("表"))
            + record(363, struct.pack("<IB", 0, 0)) + cells + record(364) + record(588))
    path = tmp_path / "远.xlsb"
    path.write_bytes(zipped(with_caches(xlsb_parts({"汇总": grid([["网点"]])}), 1, links=[link])))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!外部链接1-表: {xlsx_book.NO_COLUMN}"]
    linked = {(c.location["cell"], c.text) for c in chunks if c.location.get("sheet") == "外部链接1-表"}
    assert linked >= {("B1", ID), ("A2", "近")} and "远" not in {text for _, text in linked}


def test_mutated_cache_parts_give_rows_or_one_line_refusals_in_bounded_memory():
    """Hundreds of workbooks with random bytes of a pivot cache's or an external link's part
    changed (fixed seed): each cache reads or stops with one ``SheetError`` line naming no value;
    memory stays small."""
    rng = random.Random(2718)
    fields, rows = KINDS_FIELDS + CUSTOMER_FIELDS, [a + b for a, b in zip(KINDS_ROWS, CUSTOMER_ROWS)]
    parts = with_caches(xlsb_parts(SUMMARY), 1, links=[external_link_part(["客户"], {0: [["证件号码"], [ID]]})],
                        pivots=[(definition_part(fields, rows), records_part(fields, rows))])
    members = [name for name in parts if "pivotCache/pivot" in name or name.endswith("externalLink1.bin")]
    outcomes, messages = set(), []
    tracemalloc.start()
    try:
        for _ in range(300):
            member = rng.choice(members)
            read_through(zipped({**parts, member: mutated(rng, parts[member])}), outcomes, messages)
            outcomes.add("read")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcomes == {"read", "sheet"}
    assert peak < 32 << 20
    raw = (*RAW, *CACHE_IDS, *CACHE_PHONES)
    assert all("\n" not in message and not any(r in message for r in raw) for message in messages)


def test_empty_records_of_a_cache_of_many_fields_cost_no_row_each(tmp_path):
    """A 4 KB workbook whose pivot cache has 20,000 fields that are no source's and 50,000 records
    of one empty string took 35 s (and minutes as they grow): each record built a row as wide as
    the fields before it was found empty. Now only a record holding a value makes a row. (What
    it costs is not timed here: this checks the rows read from such a cache.)"""
    head = struct.pack("<HIHIII", 0, 0, 0, 0xFFFFFFFF, 0x7FFF, 0)
    definition = (record(183, head + wide("")) * 20_000 + record(183, struct.pack("<H", 0x04) + head[2:] + wide("备注"))
                  + record(189, bytes(6)) + record(190) + record(180))
    records = records_with(*[record(33, wide(""))] * 50_000, record(33, wide("尾")))
    data = zipped(with_caches(xlsb_parts(SUMMARY), 1, pivots=[(definition, records)]))
    assert len(data) < 8 << 10
    cells = streamed(data)["透视缓存1"]
    assert cells == {(1, 20_000): "备注", (50_002, 20_000): "尾"}


def link_of_tables(*tables: bytes) -> bytes:
    """An external link part naming the sheets 表 and 客户, caching ``tables`` (each its records)."""
    return (record(360, struct.pack("<H", 0) + wide("rId1") + wide(None))
            + record(359, struct.pack("<I", 2) + wide("表") + wide("客户")) + b"".join(tables) + record(588))


def table(tab: int, *rows: list) -> bytes:
    """A cached table of the sheet ``tab``: its rows from row 0, text cells from column A."""
    return (record(363, struct.pack("<IB", tab, 0))
            + b"".join(record(366, struct.pack("<I", r)) + b"".join(record(371, struct.pack("<I", c) + wide(v))
                                                                     for c, v in enumerate(row))
                       for r, row in enumerate(rows)) + record(364))


def test_an_external_link_of_thousands_of_tables_is_read_in_one_pass(monkeypatch):
    """A 2 KB workbook whose external link caches 2,000 empty tables took 39 s: the part was read
    again for each table. The tables are now read in one pass, each as its sheet is read: the
    link part's records are opened once (counted, not timed)."""
    from pii_audit.sources import xlsb_caches

    opened, real = [], xlsb_caches.part_records
    monkeypatch.setattr(xlsb_caches, "part_records", lambda archive, member: opened.append(member) or
                        real(archive, member))
    link = link_of_tables(*[table(0)] * 2_000, table(1, ["证件号码"], [ID]))
    data = zipped(with_caches(xlsb_parts(SUMMARY), 1, links=[link]))
    assert len(data) < 4 << 10
    sheets = [(name, [values for _, _, values in rows]) for name, rows in xlsb_stream.xlsb_sheets(data)]
    assert len(sheets) == 2_002 and sheets[-1] == ("外部链接1-客户", [["证件号码"], [ID]])
    assert len(opened) <= 2  # the link part: named once, then read once


def test_a_linked_table_left_part_read_is_skipped_for_the_next(tmp_path):
    """A sheet sampled (its first rows read), then the next table: read from its own start."""
    link = link_of_tables(table(0, ["手机"], [PHONE], [PHONE2]), table(1, ["证件号码"], [ID], [ID2]))
    path = tmp_path / "链接.xlsb"
    path.write_bytes(zipped(with_caches(xlsb_parts(SUMMARY), 1, links=[link])))
    chunks, coverage = read(path, ScanOptions(sample_rows=1))
    texts = {chunk.text for chunk in chunks}
    assert coverage.problems == [] and {PHONE, ID} <= texts and not {PHONE2, ID2} & texts
    assert streamed(path.read_bytes())["外部链接1-客户"] == {(1, 0): "证件号码", (2, 0): ID, (3, 0): ID2}


def test_a_part_named_many_times_is_read_once():
    """A worksheet listed by several BrtBundleSh, a pivot cache named by several relationships of
    the workbook, a comments part by several of its sheet's: each was read again for each (a 2 KB
    workbook listing a 140 KB sheet of empty cells 100 times took 5 s, and 65,536 are allowed).
    Excel names each part once; each is now read once, under its first name."""
    parts = with_caches(xlsb_parts({"客户": GOOD_SHEET}, comments={"客户": [(1, 0, "批注")]}), 1,
                        pivots=[(definition_part(CUSTOMER_FIELDS, CUSTOMER_ROWS),
                                 records_part(CUSTOMER_FIELDS, CUSTOMER_ROWS))])
    parts["xl/workbook.bin"] = workbook_part(["甲", "乙", "丙"]).replace(wide("rId2"), wide("rId1")).replace(
        wide("rId3"), wide("rId1"))
    parts["xl/_rels/workbook.bin.rels"] = parts["xl/_rels/workbook.bin.rels"].replace(b"</Relationships>", b"".join(
        b'<Relationship Id="rIdAgain%d" Type="%s/pivotCacheDefinition" Target="pivotCache/pivotCacheDefinition1.bin"/>'
        % (n, OFFICE_REL.encode()) for n in range(2)) + b"</Relationships>")
    parts["xl/worksheets/_rels/sheet1.bin.rels"] = rels([(f"rId{n}", "comments", "../comments1.bin") for n in (1, 2)])
    comments: dict = {}
    names = [name for name, rows in xlsb_stream.xlsb_sheets(zipped(parts), comments) if list(rows)]
    assert names == ["甲", "透视缓存1"] and comments == {"甲": [("A2", "批注")]}


@pytest.mark.parametrize("style", [DATE_STYLE, DURATION_STYLE], ids=["date", "duration"])
def test_a_number_too_large_for_a_date_under_a_date_format_is_the_number(style):
    """A real (1e308) or an RK (2**1000) under a date or duration format raised OverflowError in
    xlsx_book.excel_date (its days in milliseconds are infinite), so the sheet was "unreadable
    (OverflowError)" after its first rows (found by fuzz_xlsb_part.py in a sheet part). It is
    rendered as the number, as excel_date gives back any number past the last date."""
    from pii_audit.sources.cell_text import render

    cells = streamed(xlsb_book({"s": grid([["日期"], [Styled(Real(1e308), style)], [Styled(2.0 ** 1000, style)],
                                           [Styled(Real(45296.0), DATE_STYLE)]])}))["s"]
    assert cells == {(1, 0): "日期", (2, 0): render(1e308), (3, 0): render(2.0 ** 1000), (4, 0): "2024-01-05"}


def test_a_value_in_excels_last_row_is_given_without_the_empty_rows_before_it(tmp_path):
    """The .xlsb reader made each empty row before a value (a million before row 1,048,576, each
    sheet of a small workbook); as the .xlsx and .ods readers, it now gives the rows holding a
    value, and ``read_spreadsheet`` counts the rest: the same rows read, the value found there."""
    sheets = {f"S{n}": grid([["证件号码"]]) + grid([[ID]], first_row=1_048_575) for n in range(3)}
    data = xlsb_book(sheets)
    given = [number for _, rows in xlsb_stream.xlsb_sheets(data) for number, _, _ in rows]
    assert given == [1, 1_048_576] * 3
    path = tmp_path / "far.xlsb"
    path.write_bytes(data)
    chunks, coverage = read(path)
    assert {(c.location["sheet"], c.location["cell"]) for c in chunks if c.text == ID} == {
        (f"S{n}", "A1048576") for n in range(3)}
    assert (coverage.rows, coverage.problems) == (3 * 1_048_576, [])
