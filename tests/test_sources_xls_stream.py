"""The streaming .xls reader (``xls_stream``, ``ole2``) against python-calamine, the reader before it,
on real files: xlwt's, and hand-built ones (``xls_helpers``) for what xlwt never writes."""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import xlwt
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pii_audit.detector import Detector
from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks, ole2, sheet_rows, xls_biff5, xls_stream, xlsx_book
from pii_audit.sources import spreadsheets
from pii_audit.sources.spreadsheets import read_spreadsheet
from pii_audit.sources.xlsx_book import SheetError
from pii_audit.sources.xlsx_guard import WorkbookRefused
from tests_corpus import mobile, resident_id
from xls_helpers import (
    BOOLERR, BOUNDSHEET, CODEPAGE, CONTINUE, DATE1904, DIMENSIONS, EOF, FILEPASS, FORMAT, FORMULA, LABEL, LABELSST, MULRK, NUMBER,
    RK, RSTRING, SST, STRING, XF, biff5_workbook, bof, cell, cfb, rebuilt, record, records, sst, unicode_string,
    workbook,
)
from scan_helpers import cells_of

FULL = ScanOptions(sample_rows=None)
CJK = ["张三", "北京市海淀区中关村大街27号", "客户备注：已核实", "銀行卡", "𠀋𠮷野家", "é", "ﾃｽﾄ"]


def streamed(source) -> dict:
    """The cells as the streaming reader gives them (``xls_stream`` itself, as ``xls_sheets`` calls it)."""
    with open(source, "rb") if isinstance(source, str) else io.BytesIO(source) as handle:
        book = xls_stream.read_book(ole2.CompoundFile(handle))
        return cells_of((name, xls_stream.sheet_rows(book, offset, end)) for name, offset, end in book.sheets)


def calamine(source) -> dict:
    """The cells as the reader before (python-calamine, whatever the size) gave them."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(source if isinstance(source, bytes) else Path(source).read_bytes()))
    return cells_of((name, sheet_rows._calamine_rows(book, name)) for name in book.sheet_names)


def read(path, calamine_path: bool = False):
    """Return the chunks and coverage of the spreadsheet source on ``path``, by the streaming
    reader or (``calamine_path``) by python-calamine for every .xls, as before."""
    with pytest.MonkeyPatch.context() as patch:
        if calamine_path:  # an Excel 97 workbook, which python-calamine reads with no check of its own
            patch.setattr(sheet_rows, "XLS_MAX_BYTES", 1 << 40)
            patch.setattr(xls_biff5, "check_biff5", lambda compound: None)
            patch.setattr(spreadsheets, "xls_sheets", lambda source, folder="": sheet_rows._biff5_sheets(source))
        coverage = TargetCoverage(str(path))
        return list(as_chunks(read_spreadsheet(str(path), FULL, coverage))), coverage


def lines(coverage) -> list[str]:
    return [f"{p.where}: {p.reason}" for p in coverage.problems]


# --- Random workbooks written by xlwt: the cells python-calamine read, text for text -----------

DATE_STYLES = [xlwt.easyxf(num_format_str=code) for code in
               ("yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", 'yyyy"年"m"月"d"日"', "hh:mm", "[h]:mm:ss", "0.00%")]
VALUES = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(CJK),
    st.from_regex(r"\A\d{17}[\dX]\Z"),  # what an ID looks like, as text
    st.integers(13_000_000_000, 19_999_999_999),  # a mobile stored as a number (a NUMBER record)
    st.integers(-2**29, 2**29 - 1),  # RK integers
    st.integers(-10**20, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(-10**6, 10**6, places=2).map(float),  # RK's "x100" numbers
    st.booleans(),
    st.tuples(st.floats(0, 80_000), st.sampled_from(DATE_STYLES)),  # a number under a format
    st.just("=formula"),
)
SHEETS = st.lists(st.lists(st.lists(VALUES, max_size=8), max_size=12), min_size=1, max_size=3)


def write_xlwt(path: Path, sheets: list[list[list]]) -> Path:
    """Write ``sheets`` (rows of values) with xlwt; a tuple is (number, style), "=formula" a formula."""
    book = xlwt.Workbook(encoding="utf-8")
    for index, rows in enumerate(sheets):
        sheet = book.add_sheet(f"表{index}" if index % 2 else f"Sheet{index}")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, tuple):
                    sheet.write(r, c, *value)
                elif value == "=formula":
                    sheet.write(r, c, xlwt.Formula("1+2"))  # xlwt writes no result: an empty cell
                elif value is not None:
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheets=SHEETS)
# A time at exactly half a millisecond: round() took it to even (.112), python-calamine up (.113).
@example(sheets=[[[(50903.412269820605, DATE_STYLES[1])]]])
def test_random_xlwt_workbooks_read_as_python_calamine_read_them(tmp_path, sheets):
    """Every cell of any workbook xlwt writes (CJK and other text, IDs as text, mobiles, integers,
    fractions, booleans, dates and times under their formats, formulas) reads as the text the
    python-calamine path gave, and the spreadsheet source yields the same chunks and coverage."""
    path = write_xlwt(tmp_path / "随机.xls", sheets)
    assert streamed(str(path)) == calamine(str(path))
    new, new_coverage = read(path)
    old, old_coverage = read(path, calamine_path=True)
    assert new == old and new_coverage.problems == old_coverage.problems == []
    assert new_coverage.cells == old_coverage.cells
    # Rows are counted up to the last one holding a value, as the xlsx reader counts them;
    # python-calamine's count went on over rows holding only empty formula results.
    last_rows = [max((r for r, _ in cells), default=0) for cells in streamed(str(path)).values()]
    assert new_coverage.rows == sum(last_rows) <= old_coverage.rows


def test_a_phone_stored_as_a_number_reads_as_its_digits(tmp_path):
    path = write_xlwt(tmp_path / "号码.xls", [[["手机号", "余额", "开户日期"],
                                             [13812345678, 12.5, (45296.0, DATE_STYLES[0])]]])
    assert streamed(str(path)) == {"Sheet0": {(1, 0): "手机号", (1, 1): "余额", (1, 2): "开户日期",
                                              (2, 0): "13812345678", (2, 1): "12.5", (2, 2): "2024-01-05"}}


def test_many_unique_strings_span_continue_records_as_xlwt_writes_them(tmp_path):
    """A customer export holds a unique string per ID, name and address: the shared strings table
    runs over many CONTINUE records, strings cut across them, compressed (latin-1) and UTF-16."""
    rng = random.Random(7)
    rows = [[resident_id(rng), rng.choice(CJK) * rng.randint(1, 30), "x" * rng.randint(1, 300),
             "客户" + "甲乙丙" * rng.randint(0, 90)] for _ in range(1500)]
    path = write_xlwt(tmp_path / "客户.xls", [rows])
    kinds = [kind for kind, _ in records(_stream_of(path))]
    assert kinds.count(CONTINUE) > 10 and kinds[kinds.index(SST) + 1] == CONTINUE
    cells = streamed(str(path))
    assert cells == calamine(str(path))
    assert cells["Sheet0"][(1500, 0)] == rows[-1][0] and cells["Sheet0"][(1500, 3)] == rows[-1][3]


def _stream_of(source: Path | bytes) -> bytes:
    """Return the Workbook stream of an .xls file or its bytes, read whole (a test's small file)."""
    with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as handle:
        _, stream = ole2.open_stream(handle, ("Workbook",))
        return stream.read(0, stream.size)


# --- Hand-built shared strings: every way Excel may cut a string across records ----------------

def sst_workbook(strings: list[str], **cut) -> bytes:
    """Return an .xls of one sheet holding each string of an SST (``xls_helpers.sst``) in column A."""
    sheet = [cell(LABELSST, row, 0, struct.pack("<I", row)) for row in range(len(strings))]
    return cfb(workbook(sst(strings, **cut), [("串", sheet)]))


def as_read(strings: list[str]) -> dict:
    return {"串": {(row + 1, 0): text for row, text in enumerate(strings) if text}}


@pytest.mark.parametrize("strings, cut", [
    pytest.param(["a" * 300], {"cuts": [100]}, id="compressed-then-compressed"),
    pytest.param(["中文" * 150], {"cuts": [100]}, id="utf16-then-utf16"),
    pytest.param(["a" * 100 + "中" * 100], {"cuts": [50]}, id="compressed-then-utf16"),
    pytest.param(["中" * 100 + "a" * 100], {"cuts": [250]}, id="utf16-then-compressed"),
    pytest.param(["a" * 300], {"cuts": [100], "wide": {0}}, id="ascii-as-utf16-then-compressed"),
    pytest.param(["x" * 9, "𠮷𠮷"], {"cuts": [8 + 12 + 3 + 2]}, id="surrogate-pair-cut-in-two"),
    pytest.param(["ab", "cd"], {"cuts": [8 + 5]}, id="next-string-starts-a-record"),
    pytest.param(["ab", "cd"], {"cuts": [8 + 3]}, id="characters-start-the-next-record"),
    pytest.param(["富文本" * 50, "phonetic 読み", "end"], {"cuts": [40, 330, 345], "runs": {0: 3},
                                                       "ext": {1: 40}}, id="cut-in-runs-and-phonetic-data"),
    pytest.param(["", "a", ""], {"cuts": [9, 11]}, id="empty-strings"),
])
def test_a_string_cut_across_continue_records_reads_whole(strings, cut):
    """A string cut by a CONTINUE goes on after a flags byte of its own, so the rest may be
    compressed where the start was UTF-16 or the other way round; rich text runs and phonetic
    data are skipped, even when cut; a surrogate pair cut in two stays one character."""
    data = sst_workbook(strings, **cut)
    assert CONTINUE in [kind for kind, _ in records(_stream_of(data))]
    assert streamed(data) == as_read(strings)
    if not any(ord(c) > 0xFFFF for text in strings for c in text):
        assert streamed(data) == calamine(data)


@settings(max_examples=80, deadline=None)
@given(strings=st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=120), min_size=1, max_size=30),
       cuts=st.lists(st.integers(1, 4000), max_size=12), wide=st.sets(st.integers(0, 60), max_size=20),
       extra=st.data())
def test_any_cut_of_the_shared_strings_reads_the_strings(strings, cuts, wide, extra):
    """Hand-built tables cut anywhere (headers whole, as Excel writes them), parts compressed or
    UTF-16, with rich text runs and phonetic data: the strings come out whole, as python-calamine
    reads them where it can (it splits a surrogate pair cut in two)."""
    indexes = st.sets(st.integers(0, len(strings) - 1), max_size=len(strings))
    runs = {index: extra.draw(st.integers(1, 40)) for index in extra.draw(indexes)}
    ext = {index: extra.draw(st.integers(1, 300)) for index in extra.draw(indexes)}
    data = sst_workbook(strings, cuts=cuts, wide=wide, runs=runs, ext=ext)
    assert streamed(data) == as_read(strings)
    if not any(ord(c) > 0xFFFF for text in strings for c in text):
        assert streamed(data) == calamine(data)


# --- Hand-built cells: formulas, errors, rich strings, RK forms, order, containers -------------

def xf(format_index: int) -> bytes:
    return record(XF, struct.pack("<HH", 0, format_index) + bytes(16))


def formula(row: int, column: int, result: bytes, xf_index: int = 15) -> bytes:
    return cell(FORMULA, row, column, result + bytes(6) + b"\x00\x00", xf_index)


def special(kind: int, value: int) -> bytes:
    """A formula's result that is no number: string (0), bool (1), error (2), empty (3)."""
    return bytes([kind, 0, value, 0, 0, 0, 0xFF, 0xFF])


def rk(value: int, hundredths: bool = False) -> bytes:
    return struct.pack("<i", (value << 2) | 2 | int(hundredths))


def rk_float(value: float, hundredths: bool = False) -> bytes:
    """An RK of a double's top 30 bits (the rest must be zero), maybe to be divided by 100."""
    return struct.pack("<I", struct.unpack("<Q", struct.pack("<d", value))[0] >> 32 & 0xFFFFFFFC | hundredths)


CELLS = [
    formula(0, 0, struct.pack("<d", 13812345678.0)),
    formula(0, 1, special(0, 0)), record(STRING, unicode_string("公式的文本结果")),
    formula(0, 2, special(1, 1)), formula(0, 3, special(2, 7)), formula(0, 4, special(3, 0)),
    cell(BOOLERR, 1, 0, bytes([0, 0])), cell(BOOLERR, 1, 1, bytes([0x2A, 1])),
    cell(RSTRING, 1, 2, unicode_string("富文本 11010519491231002X") + struct.pack("<H", 1) + bytes(4)),
    cell(LABEL, 1, 3, unicode_string("标签")), cell(LABEL, 1, 4, unicode_string("latin é")),
    cell(RK, 2, 0, rk(123456)), cell(RK, 2, 1, rk(-1234, True)), cell(RK, 2, 2, rk(-500, True)),
    cell(RK, 2, 3, rk_float(0.5)), cell(RK, 2, 4, rk_float(12.5, hundredths=True)),
    record(MULRK, struct.pack("<HH", 3, 1) + b"".join(struct.pack("<H", 15) + rk(v) for v in (7, 8, 9))
           + struct.pack("<H", 3)),
    cell(NUMBER, 4, 255, struct.pack("<d", 1e-7)), cell(NUMBER, 4, 0, struct.pack("<d", 6.22202123456789e18)),
]


@pytest.mark.parametrize("sector_size", [512, 4096])
def test_hand_built_cells_read_as_python_calamine_reads_them(sector_size):
    """What xlwt never writes: formula results (a number, a string in the STRING record after it,
    a bool; an error and an empty string read as nothing), BOOLERR, RSTRING and LABEL text, every
    RK form, MULRK; cells out of column order; in a file of 512- or 4,096-byte sectors."""
    data = cfb(workbook([], [("公式", CELLS)]), sector_size=sector_size)
    assert streamed(data) == calamine(data)
    assert streamed(data)["公式"] == {  # (row number, 0-based column)
        (1, 0): "13812345678", (1, 1): "公式的文本结果", (1, 2): "TRUE", (2, 0): "FALSE",
        (2, 2): "富文本 11010519491231002X", (2, 3): "标签", (2, 4): "latin é",
        (3, 0): "123456", (3, 1): "-12.34", (3, 2): "-5", (3, 3): "0.5", (3, 4): "0.125",
        (4, 1): "7", (4, 2): "8", (4, 3): "9", (5, 255): "0.0000001", (5, 0): "6222021234567890000"}


def test_a_small_workbook_in_the_mini_stream_is_read():
    """A Workbook stream under 4,096 bytes lives in the compound file's mini stream."""
    stream = workbook([], [("小", [cell(NUMBER, 0, 0, struct.pack("<d", 13812345678.0))])])
    assert len(stream) < 4096
    assert streamed(cfb(stream)) == calamine(cfb(stream)) == {"小": {(1, 0): "13812345678"}}


def test_dates_follow_the_cell_format_even_in_a_formula_result():
    """A number under a date format reads as a date, a custom Chinese one too, in the 1904 date
    system when the workbook says so. A formula's cached number under a date format reads as a
    date here, as the xlsx reader reads it; python-calamine gave the bare number."""
    globals_ = [record(FORMAT, struct.pack("<H", 176) + unicode_string('yyyy"年"m"月"d"日"')),
                *[xf(0)] * 15, xf(14), xf(176), xf(22), xf(46)]
    cells = [cell(NUMBER, 0, 0, struct.pack("<d", 45296.0), 15), cell(RK, 0, 1, rk(45296), 16),
             cell(NUMBER, 0, 2, struct.pack("<d", 45296.4375), 17), cell(NUMBER, 0, 3, struct.pack("<d", 1.25), 18),
             formula(0, 4, struct.pack("<d", 45296.0), 15), cell(NUMBER, 0, 5, struct.pack("<d", float("nan")), 15)]
    data = cfb(workbook(globals_, [("日期", cells)]))
    got = streamed(data)["日期"]
    assert got == {(1, 0): "2024-01-05", (1, 1): "2024-01-05", (1, 2): "2024-01-05 10:30:00",
                   (1, 3): "1 day, 6:00:00", (1, 4): "2024-01-05", (1, 5): "nan"}
    # python-calamine read the NaN (a damaged cell) as 1899-12-30.
    assert {k: v for k, v in calamine(data)["日期"].items() if k[1] < 4} == {k: v for k, v in got.items() if k[1] < 4}
    in1904 = cfb(workbook([record(DATE1904, struct.pack("<H", 1)), *globals_], [("日期", cells[:1])]))
    assert streamed(in1904)["日期"] == {(1, 0): "2028-01-06"}


def test_a_number_past_any_date_under_a_date_format_reads_as_the_number():
    """A number of 1e305 under a date (or duration) format, a damaged cell's: its milliseconds
    overflowed in excel_date (OverflowError, and the workbook was "unreadable"); it reads as the
    number, as one past 9999-12-31 does, and the rows after it are read."""
    globals_ = [*[xf(0)] * 15, xf(14), xf(46)]
    cells = [cell(NUMBER, 0, 0, struct.pack("<d", 1e305), 15), cell(NUMBER, 0, 1, struct.pack("<d", -1e305), 16),
             cell(NUMBER, 1, 0, struct.pack("<d", 13812345678.0))]
    from pii_audit.sources.cell_text import render

    got = streamed(cfb(workbook(globals_, [("日期", cells)])))["日期"]
    assert got == {(1, 0): render(1e305), (1, 1): render(-1e305), (2, 0): "13812345678"}


def test_cells_out_of_order_and_an_embedded_chart():
    """BIFF stores cells row after row; a cell stored after a later row's comes out in a row of
    its own under its number (nothing is held back). An embedded chart's substream (its own BOF
    and EOF, series data in NUMBER records) holds no cells of the sheet. Only rows holding a
    value are given: ``read_spreadsheet`` counts the empty ones between."""
    chart = [bof(True), cell(NUMBER, 0, 0, struct.pack("<d", 99.0)), record(EOF, b"")]
    sheet = [cell(RK, 2, 1, rk(3)), cell(RK, 2, 0, rk(2)), cell(RK, 0, 0, rk(1)), *chart,
             cell(RK, 4, 0, rk(5))]
    book = xls_stream.read_book(ole2.CompoundFile(io.BytesIO(cfb(workbook([], [("乱", sheet)])))))
    rows = list(xls_stream.sheet_rows(book, *book.sheets[0][1:]))
    assert rows == [(3, 0, ["2", "3"]), (1, 0, ["1"]), (5, 0, ["5"])]


# --- Large workbooks: read end to end in bounded memory ---------------------------------------

@pytest.fixture(scope="module")
def large_xls(tmp_path_factory) -> tuple[Path, list[str]]:
    """A 65,536-row, 5-column export written by xlwt (over 4 MiB, the size python-calamine was
    allowed): IDs and mobiles on every 512th row and on the last."""
    rng = random.Random(65536)
    path = tmp_path_factory.mktemp("large") / "客户导出.xls"
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    for column, text in enumerate(["序号", "证件号码", "手机号", "余额", "备注"]):
        sheet.write(0, column, text)
    ids = []
    for number in range(1, 65536):
        row = sheet.row(number)
        marked = number % 512 == 0 or number == 65535
        if marked:
            ids.append(resident_id(rng))
        row.set_cell_number(0, number)
        row.set_cell_text(1, ids[-1] if marked else "已脱敏")
        row.set_cell_number(2, int("139" + mobile(rng)[3:]) if marked else rng.uniform(0, 1e5))
        row.set_cell_number(3, round(rng.uniform(0, 1e5), 2))
        row.set_cell_text(4, "正常" if number % 3 else "复核")
        if number % 4096 == 0:
            sheet.flush_row_data()
    book.save(str(path))
    return path, ids


def test_a_workbook_over_4_mib_is_read_to_its_last_row(large_xls, key):
    """A typical 65,536-row customer export is 5 to 20 MB: it was refused, now it is read to its
    last row, every ID and mobile in it found, in bounded memory (bench/xls.py measures it)."""
    path, ids = large_xls
    assert path.stat().st_size > 4 << 20
    coverage = TargetCoverage(str(path))
    occurrences = list(Detector(key).detect(read_spreadsheet(str(path), FULL, coverage)))
    assert coverage.problems == [] and coverage.rows == 65536
    cells = {(o.entity_type, o.location["cell"]) for o in occurrences}
    assert len({c for c in cells if c[0] == "CN_RESIDENT_ID"}) == len(ids) == 128
    assert {("CN_RESIDENT_ID", "B65536"), ("CN_MOBILE_PHONE", "C65536"), ("CN_MOBILE_PHONE", "C513")} <= cells
    assert {o.container.split("!", 1)[1] for o in occurrences} == {"客户!证件号码", "客户!手机号"}


def test_a_workbook_past_the_first_109_allocation_sectors_is_read(tmp_path):
    """Past about 7 MB a compound file lists its allocation sectors in DIFAT sectors, chained
    from the header (xlwt's container writer, here around an 8 MB stream)."""
    padding = [record(0x00EC, bytes(8000))] * 1000  # drawing data: no cells, skipped
    stream = workbook([], [("大", [*padding, cell(NUMBER, 0, 0, struct.pack("<d", 13812345678.0))])])
    path = tmp_path / "大.xls"
    with open(path, "wb") as handle:
        xlwt.CompoundDoc.XlsDoc().save(handle, stream)
    with open(path, "rb") as handle:
        assert struct.unpack_from("<I", handle.read(76), 72)[0] > 0  # DIFAT sectors
    assert streamed(str(path)) == {"大": {(1, 0): "13812345678"}}


# --- Damaged and hostile files: one problem line each, never a hang or an exception -----------

def small_book() -> bytes:
    """A Workbook stream of 12 sectors (of 512 bytes; over 4,096 bytes, so not in the mini stream)
    and two sheets."""
    cells = [cell(LABELSST, row, 0, struct.pack("<I", row % 2)) for row in range(400)]
    return workbook(sst(["证件号码", "正常"]), [("客户", cells), ("备注", cells[:3])])


def patched(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def fat_entry(data: bytes, sector: int) -> int:
    """Return the file offset of ``sector``'s entry in the allocation table (its first sector)."""
    first_fat = struct.unpack_from("<I", data, 76)[0]
    return (first_fat + 1) * 512 + 4 * sector


def directory_at(data: bytes, entry: int) -> int:
    return (struct.unpack_from("<I", data, 48)[0] + 1) * 512 + 128 * entry


def minifat_at(data: bytes) -> int:
    return (struct.unpack_from("<I", data, 60)[0] + 1) * 512


GOOD = cfb(small_book())
SMALL = cfb(workbook([], [("小", [cell(RK, 0, 0, rk(1))])]))
CORRUPT = "corrupt .xls workbook: "
HOSTILE = [
    pytest.param(GOOD[:len(GOOD) // 2], f"{CORRUPT}a sector number past the end of the file", id="truncated"),
    pytest.param(patched(GOOD, fat_entry(GOOD, 2), struct.pack("<I", 0)), f"{CORRUPT}a sector chain loops",
                 id="fat-cycle"),
    pytest.param(patched(GOOD, fat_entry(GOOD, 1), struct.pack("<I", 0x00FFFFF0)),
                 f"{CORRUPT}a sector chain ends early or names a sector past the end of the file",
                 id="sector-out-of-range"),
    pytest.param(patched(GOOD, 48, struct.pack("<I", 0x7FFFFFF0)),
                 f"{CORRUPT}a sector chain ends early or names a sector past the end of the file",
                 id="directory-out-of-range"),
    # A directory whose chain is empty (it starts at ENDOFCHAIN) holds not even its root: struct.error escaped.
    pytest.param(patched(GOOD, 48, struct.pack("<I", 0xFFFFFFFE)), f"{CORRUPT}its directory has no root entry",
                 id="directory-empty"),
    pytest.param(patched(GOOD, directory_at(GOOD, 1) + 68, struct.pack("<I", 1)),
                 f"{CORRUPT}its directory names an entry it does not hold, or loops", id="directory-loop"),
    pytest.param(patched(GOOD, 30, struct.pack("<H", 16)),
                 f"{CORRUPT}OLE2 version 3 with sectors of 2^16 bytes is not one Office writes", id="sector-size"),
    pytest.param(patched(GOOD, directory_at(GOOD, 1) + 120, struct.pack("<I", 1 << 30)),
                 f"{CORRUPT}a stream larger than the file", id="stream-size-lies"),
    pytest.param(patched(SMALL, minifat_at(SMALL), struct.pack("<I", 0)),
                 f"{CORRUPT}a mini sector chain loops or names a sector the mini stream lacks", id="mini-chain"),
    pytest.param(cfb(workbook(sst(["a", "b"], count=5), [("客户", [])])),
                 "unreadable: the shared strings table holds fewer strings than it declares (corrupt .xls)",
                 id="sst-count-lies"),
    pytest.param(cfb(workbook([sst(["a"], ext={0: 4})[0].replace(struct.pack("<HBI", 1, 4, 4), struct.pack(
        "<HBI", 1, 4, 0x7FFFFFFF))], [("客户", [])])),
                 "unreadable: the shared strings table holds fewer strings than it declares (corrupt .xls)",
                 id="phonetic-size-lies"),
    pytest.param(cfb(rebuilt([(k, d) for k, d in records(small_book())][:1]
                              + [(FILEPASS, struct.pack("<HHH", 0, 0x1234, 0x5678))]
                              + [(k, d) for k, d in records(small_book())][1:])),
                 "encrypted .xls workbook: not read", id="encrypted-xor"),
    pytest.param(cfb(small_book()[:40]), "unreadable: the workbook stream ends inside a record "
                 "(truncated or corrupt .xls)", id="stream-cut-in-a-record"),
    pytest.param(cfb(record(0x0809, struct.pack("<HH", 0x0600, 5)) + record(XF, b"\x00")),
                 "unreadable: a record too short for its type (corrupt .xls)", id="record-too-short"),
]


@pytest.mark.parametrize("content, reason", HOSTILE)
def test_a_damaged_or_hostile_workbook_is_one_problem_line(tmp_path, content, reason):
    """Each is refused with one line and the scan goes on: no hang, no large allocation (every
    sector number, chain, size and count is checked against what the file holds)."""
    path = tmp_path / "坏.xls"
    path.write_bytes(content)
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: {reason}"]


def test_an_rc4_encrypted_workbook_is_refused_before_its_globals_are_read(tmp_path):
    """python-calamine refused RC4 (but read an XOR-obfuscated workbook as garbage); the streaming
    reader refuses either at the FILEPASS record, before the shared strings."""
    found = records(small_book())
    path = tmp_path / "密.xls"
    path.write_bytes(cfb(rebuilt(found[:1] + [(FILEPASS, struct.pack("<HHH", 1, 1, 1) + bytes(48))] + found[1:])))
    with pytest.raises(WorkbookRefused, match="^encrypted .xls workbook: not read$"):
        xls_stream.read_book(ole2.CompoundFile(io.BytesIO(path.read_bytes())))
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: encrypted .xls workbook: not read"]


@pytest.mark.parametrize("sheet, reason", [
    pytest.param([cell(LABELSST, 0, 0, struct.pack("<I", 9))],
                 xlsx_book.missing_string(1), id="string-index"),
    pytest.param([cell(RK, 0, 0, rk(1)), struct.pack("<HH", RK, 0xFFFF)],
                 "unreadable: the workbook stream ends inside a record (truncated or corrupt .xls)",
                 id="record-length-past-the-end"),
    pytest.param([cell(RK, 0, 0, rk(1)), record(RK, b"\x00\x00")],
                 "unreadable: a record too short for its type (corrupt .xls)", id="short-cell-record"),
])
def test_a_damaged_sheet_is_one_problem_line_and_the_next_sheet_is_read(tmp_path, sheet, reason):
    stream = workbook(sst(["身份证号"]), [("坏", sheet), ("好", [cell(LABELSST, 0, 0, struct.pack("<I", 0))])])
    if sheet[-1].startswith(struct.pack("<HH", RK, 0xFFFF)):
        # The damaged sheet last in the stream, so that its record runs past the stream's end.
        stream = workbook(sst(["身份证号"]), [("好", [cell(LABELSST, 0, 0, struct.pack("<I", 0))]), ("坏", sheet)])
        stream = stream[:-4]  # no EOF: the record's claimed length runs past the end
    path = tmp_path / "坏.xls"
    path.write_bytes(cfb(stream))
    chunks, coverage = read(path)
    assert [c.text for c in chunks] == ["身份证号"] and lines(coverage) == [f"{path}!坏: {reason}"]


def test_a_shared_string_out_of_range_costs_its_cell_not_the_rest_of_the_sheet(tmp_path):
    """A cell naming string 99 of a table of 2 refused the rest of its sheet, every row after it
    lost; it reads as empty, the sheet goes on, with one problem line (as an .xlsx's)."""
    rows = [cell(LABELSST, 0, 0, struct.pack("<I", 0)), cell(LABELSST, 1, 0, struct.pack("<I", 99)),
            cell(RK, 1, 1, rk(7)), cell(LABELSST, 2, 0, struct.pack("<I", 1))]
    path = tmp_path / "坏.xls"
    path.write_bytes(cfb(workbook(sst(["身份证号", "末行"]), [("客户", rows)])))
    chunks, coverage = read(path)
    assert [(c.location["cell"], c.text) for c in chunks if "cell" in c.location] == [
        ("A1", "身份证号"), ("B2", "7"), ("A3", "末行")]
    assert lines(coverage) == [f"{path}!客户: {xlsx_book.missing_string(2)}"]


def test_a_sheet_not_where_the_workbook_says_is_one_problem_line(tmp_path):
    found = records(small_book())
    at = next(n for n, (kind, _) in enumerate(found) if kind == 0x0085)
    found[at] = (0x0085, struct.pack("<I", 1 << 24) + found[at][1][4:])
    path = tmp_path / "坏.xls"
    path.write_bytes(cfb(b"".join(record(kind, data) for kind, data in found)))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!客户: unreadable: the sheet is not where the workbook says (corrupt .xls)"]
    assert {c.location["sheet"] for c in chunks} == {"备注"}


def test_a_sheet_is_never_read_past_the_next_sheet_s_start(tmp_path):
    """A sheet's substream ends (EOF) before the next one starts: one without its EOF is one
    problem line and its reading stops there, so a hostile list of sheets starting one record
    apart cannot make the stream be read over and over (and two starting at one place are
    refused)."""
    stream = workbook(sst(["身份证号"]), [("坏", [cell(LABELSST, 0, 0, struct.pack("<I", 0))]),
                                          ("好", [cell(LABELSST, 0, 0, struct.pack("<I", 0))])])
    found = records(stream)
    eof = max(n for n, (kind, _) in enumerate(found[:-1]) if kind == EOF and found[n + 1][0] == 0x0809)
    path = tmp_path / "坏.xls"
    unended = found[:eof] + [(0x0000, b"")] + found[eof + 1:]  # the first sheet's EOF blanked, offsets kept
    path.write_bytes(cfb(b"".join(record(kind, data) for kind, data in unended)))
    chunks, coverage = read(path)
    assert [(c.location["sheet"], c.text) for c in chunks] == [("好", "身份证号")]
    assert lines(coverage) == [f"{path}!坏: unreadable: the sheet ends without its EOF record (truncated or corrupt .xls)"]

    at = [n for n, (kind, _) in enumerate(found) if kind == 0x0085]
    found[at[1]] = (0x0085, found[at[0]][1][:4] + found[at[1]][1][4:])
    path.write_bytes(cfb(b"".join(record(kind, data) for kind, data in found)))
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: unreadable: two sheets start at the same place (corrupt .xls)"]


def test_shared_strings_past_the_cap_are_refused(tmp_path, monkeypatch):
    """Shared strings are held, as an xlsx's are: past MAX_SST_CHARS the workbook is refused."""
    monkeypatch.setattr(xls_stream, "MAX_SST_CHARS", 1000)
    path = tmp_path / "大.xls"
    path.write_bytes(cfb(workbook(sst(["客户" * 100] * 6), [("客户", [])])))
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: refused: shared strings of more than 1,000 characters, over the cap"]


def test_mutated_workbooks_raise_only_the_documented_refusals():
    """A few hundred workbooks with random bytes changed (fixed seed): reading each either works
    or stops with WorkbookRefused or SheetError, one line naming no cell; nothing else escapes."""
    rng = random.Random(1997)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    for r in range(40):
        for c, value in enumerate([f"张三{r}", 13812345678, 45296.5, True, r]):
            sheet.write(r, c, value)
    written = io.BytesIO()
    book.save(written)
    bases = [GOOD, SMALL, written.getvalue(), cfb(workbook([], [("公式", CELLS)])),
             cfb(workbook(sst(["富文本" * 50, "読み", "end"], cuts=[40, 330], runs={0: 3}, ext={1: 40}),
                          [("串", [cell(LABELSST, r, 0, struct.pack("<I", r)) for r in range(3)])]))]
    outcomes = set()
    for attempt in range(400):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.choice([1, 2, 4, 16])):
            at = rng.randrange(len(data)) if rng.random() < 0.5 else rng.randrange(min(len(data), 600))
            data[at] = rng.randrange(256)
        if rng.random() < 0.1:
            data = data[:rng.randrange(len(data))]
        try:
            for _, rows in sheet_rows.xls_sheets(bytes(data)):
                try:
                    for _ in rows:
                        pass
                except SheetError as error:
                    outcomes.add("sheet")
                    assert "\n" not in str(error)
            outcomes.add("read")
        except WorkbookRefused as error:
            outcomes.add("refused")
            assert "\n" not in str(error)
    assert outcomes == {"read", "refused", "sheet"}


# --- Excel 5.0/95 workbooks: python-calamine, up to the cap -----------------------------------

def biff5(label: bytes, name: bytes = b"Kunden") -> bytes:
    """Return a BIFF5 (Excel 5.0/95) Book stream: strings in code page 1252, one sheet ``name``
    holding ``label``. (python-calamine 0.9.1 misreads a GBK one, code page 936: as before.)"""
    return biff5_workbook([record(CODEPAGE, struct.pack("<H", 1252))], [(name, [label5(0, 0, label)])])


def label5(row: int, column: int, text: bytes) -> bytes:
    """Return a BIFF5 LABEL record: its text in the code page's bytes, after a 2-byte length."""
    return record(LABEL, struct.pack("<HHHH", row, column, 15, len(text)) + text)


def test_an_excel_95_workbook_is_read_by_python_calamine_up_to_the_cap(tmp_path, monkeypatch):
    """Excel 5.0/95 (BIFF5, a "Book" stream, strings in the workbook's code page) is not read by
    the streaming reader: python-calamine reads it, whole, so past XLS_MAX_BYTES it is refused."""
    path = tmp_path / "旧.xls"
    path.write_bytes(cfb(biff5("Personalausweis 110105194912310029 é".encode("cp1252")) + bytes(4096), name="Book"))
    assert cells_of(sheet_rows.xls_sheets(str(path))) == {"Kunden": {(1, 0): "Personalausweis 110105194912310029 é"}}
    monkeypatch.setattr(sheet_rows, "XLS_MAX_BYTES", 4096)
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: Excel 5.0/95 .xls workbook larger than 4,096 bytes, the most read within the memory "
        "bound: save it as .xlsx and scan that"]


SPAN = ("refused: an Excel 5.0/95 workbook whose sheets span {:,} cells from their first to their last, over the "
        "2,000,000 read within the memory bound: save it as .xlsx and scan that")
# A formula at IV10000 whose result is text (in the STRING record after it), with no tokens.
FORMULA5 = record(FORMULA, struct.pack("<HHH", 9_999, 255, 15) + bytes(6) + b"\xff\xff" + bytes(6) + bytes(2))
SHARED_IN_BIFF5 = ("refused: an Excel 5.0/95 workbook holding shared strings, which only Excel 97 and later write "
                   "(damaged or crafted?)")


@pytest.mark.parametrize("globals_, sheets, reason", [
    pytest.param([], [(b"K", [label5(0, 0, b"a"), label5(65_535, 255, b"b")])], SPAN.format(65_536 * 256),
                 id="A1-and-IV65536"),  # python-calamine: 16.8 million cells, 1 GB
    pytest.param([], [(b"K", [label5(0, 0, b"a"), label5(4_000, 255, b"b")]),
                      (b"L", [label5(100, 0, b"a"), label5(4_100, 255, b"b")])],
                 SPAN.format(2 * 4_001 * 256), id="two-sheets-each-under-the-cap"),
    pytest.param([], [(b"K", [record(MULRK, struct.pack("<HH", 7_999, 0) + bytes(6) * 256 + struct.pack("<H", 255))])],
                 None, id="a-mulrk-is-one-row"),
    pytest.param([], [(b"K", [record(DIMENSIONS, struct.pack("<HHHHH", 0, 65_535, 0, 65_535, 0)), label5(0, 0, b"a")])],
                 SPAN.format(65_535 * 65_535), id="dimensions-claimed"),  # python-calamine reserved 160 GiB: abort
    pytest.param([], [(b"K", [FORMULA5, record(STRING, struct.pack("<H", 2) + b"ab")])], None,
                 id="a-formula-and-its-text"),
    pytest.param([], [(b"K", [record(STRING, struct.pack("<H", 2) + b"ab"), label5(9_999, 255, b"b")])],
                 SPAN.format(10_000 * 256), id="a-formula-text-with-no-formula-is-at-A1"),
    pytest.param(sst(["x" * 1000]), [(b"K", [cell(LABELSST, 0, 0, struct.pack("<I", 0))])], SHARED_IN_BIFF5,
                 id="shared-strings"),  # 16,000 cells reading a 65,000-character string: 2,080 M characters, 6 GB
])
def test_an_excel_95_workbook_python_calamine_would_hold_too_much_of_is_refused_first(tmp_path, globals_, sheets,
                                                                                       reason):
    """python-calamine reads an Excel 5.0/95 workbook whole: every sheet a dense grid from its
    first cell to its last (64 bytes a cell), and Excel 97's shared strings, copied into every
    cell reading one, which no Excel 5.0/95 writer writes. Such a workbook is refused in one line
    before python-calamine opens it (``xls_biff5``); one within the bounds is read as before."""
    path = tmp_path / "旧.xls"
    path.write_bytes(cfb(biff5_workbook(globals_, sheets) + bytes(4096), name="Book"))
    chunks, coverage = read(path)
    if reason is None:  # within the bound (one cell, or one row): read
        assert coverage.problems == [] and chunks
    else:
        assert chunks == [] and lines(coverage) == [f"{path}: {reason}"]


def test_an_excel_95_workbook_asking_python_calamine_for_128_gib_does_not_abort_the_scan(tmp_path):
    """Two cells, A1 and the cell at row and column 65,536, in a 2.5 KB file: python-calamine asked
    for 128 GiB for the grid between them and aborted the process (Rust's allocation failure), so
    the whole scan stopped with no summary. It is refused in one line, and the scan goes on."""
    path = tmp_path / "远.xls"
    path.write_bytes(cfb(biff5_workbook([], [(b"K", [label5(0, 0, b"a"), label5(65_535, 65_535, b"b")])]), name="Book"))
    code = ("import sys; from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks\n"
            "from pii_audit.sources.spreadsheets import read_spreadsheet\n"
            "coverage = TargetCoverage(sys.argv[1])\n"
            "list(as_chunks(read_spreadsheet(sys.argv[1], ScanOptions(), coverage)))\n"
            "print(coverage.problems[0].reason)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert (done.returncode, done.stdout.strip()) == (0, SPAN.format(65_536 * 65_536))


def test_sheets_listed_twice_or_not_at_a_bof_refuse_an_excel_95_workbook(tmp_path):
    """python-calamine builds a sheet again for each name listing it (each its own grid): listed
    at one place, or at no substream, the workbook is corrupt, and refused as an Excel 97 one is."""
    stream = biff5_workbook([], [(b"K", [label5(0, 0, b"a")]), (b"L", [label5(0, 0, b"b")])])
    first = stream.index(struct.pack("<HH", BOUNDSHEET, 8))
    second = stream.index(struct.pack("<HH", BOUNDSHEET, 8), first + 1)
    offset = stream[first + 4:first + 8]
    for damaged, reason in [(stream[:second + 4] + offset + stream[second + 8:], "two sheets start at the same place"),
                            (stream[:second + 4] + struct.pack("<I", 3) + stream[second + 8:], "a sheet is not where "
                                                                                                "the workbook says")]:
        path = tmp_path / "坏.xls"
        path.write_bytes(cfb(damaged + bytes(4096), name="Book"))
        chunks, coverage = read(path)
        assert chunks == [] and lines(coverage) == [f"{path}: unreadable: {reason} (corrupt .xls)"]


def test_an_excel_97_workbook_in_a_book_stream_is_streamed_with_the_repeats_cut(tmp_path, monkeypatch):
    """A stream named "Book" (Excel 5.0/95's name) went to python-calamine whatever its version: an
    Excel 97 workbook so named read its shared strings again for every cell, with no allowance.
    The BOF's version decides: it is streamed, and its repeats cut as any Excel 97 workbook's."""
    monkeypatch.setattr(xlsx_book, "MAX_REPEATED_CHARS", 100_000)
    long = "备注" + "x" * 9_998
    rows = [cell(LABELSST, row, 0, struct.pack("<I", 0)) for row in range(1_000)]
    path = tmp_path / "重复.xls"
    path.write_bytes(cfb(workbook(sst([long]), [("长", rows)]), name="Book"))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!长: {xlsx_book.REPEATS_CUT}"]
    assert [chunk.text for chunk in chunks].count(long) <= 11


def test_a_long_shared_string_read_again_and_again_is_cut_in_one_line(tmp_path, monkeypatch):
    """A cell reads a shared string by a 14-byte record however long the string: 16,000 cells
    reading one 65,000-character string (a 290 KB workbook) gave 1,040 million characters to
    scan. As in an .xlsx (xlsx_book.charge), a string's characters past FREE_CHARS count at each
    reading; past the table's own and MAX_REPEATED_CHARS more, its readings are empty, the sheet
    says so in one line and its other cells are read. Short strings, and long ones read once,
    are free."""
    monkeypatch.setattr(xlsx_book, "MAX_REPEATED_CHARS", 100_000)
    long, short = "备注" + "x" * 9_998, "短" * xlsx_book.FREE_CHARS

    def reading(index: int, rows: int) -> list[bytes]:
        return [cell(LABELSST, row, 0, struct.pack("<I", index)) for row in range(rows)]

    stream = workbook(sst([short, long, "身份证号"]), [("短", reading(0, 20_000) + reading(1, 1)),
                                                      ("长", reading(1, 16_000) + [cell(LABEL, 16_000, 0, unicode_string("末行"))]),
                                                      ("后", reading(2, 1))])
    path = tmp_path / "重复.xls"
    path.write_bytes(cfb(stream))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!长: {xlsx_book.REPEATS_CUT}"]
    given = [chunk.text for chunk in chunks if chunk.location["sheet"] == "长"]
    assert given.count(long) <= 11 and given[-1] == "末行"
    assert {chunk.text for chunk in chunks if chunk.location["sheet"] == "后"} == {"身份证号"}
    assert [chunk.text for chunk in chunks if chunk.location["sheet"] == "短"].count(short) == 20_000


def test_sheet_names_holding_line_breaks_are_one_problem_line(tmp_path):
    """A sheet named "客\\n户" put its line break into every problem line about it, which split in
    two, and into its findings' locations. As in an .xlsx, line breaks and control characters in
    a sheet's name read as "?", in an Excel 97-2003 workbook as in an Excel 5.0/95 one."""
    stream = workbook(sst(["身份证号"]), [("客\n户", [cell(LABELSST, 0, 0, struct.pack("<I", 9))]),
                                         ("汇\r\n总", [cell(LABELSST, 0, 0, struct.pack("<I", 0))])])
    path = tmp_path / "名.xls"
    path.write_bytes(cfb(stream))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!客?户: {xlsx_book.missing_string(1)}"]
    assert {c.location["sheet"] for c in chunks} == {"汇??总"}
    path.write_bytes(cfb(biff5(b"Personalausweis", name=b"Kun\nden") + bytes(4096), name="Book"))
    assert cells_of(sheet_rows.xls_sheets(str(path))) == {"Kun?den": {(1, 0): "Personalausweis"}}


def test_a_wps_et_workbook_is_read_as_the_xls_or_xlsx_it_is(tmp_path, key):
    """WPS Office saves .et by default: the Excel 97-2003 format in an OLE2 file, as WPS writes
    it (such a file renamed .xls opens in python-calamine), or an Office Open XML zip. Until now
    each was a problem line, "not read here"; one in neither format still is."""
    import openpyxl

    from pii_audit.scan import scan_targets

    id_number = resident_id(random.Random(3))
    write_xlwt(tmp_path / "客户信息.et", [[["姓名", "身份证号"], ["王建国", id_number]]])
    book = openpyxl.Workbook()
    book.active.append(["手机号"])
    book.active.append([mobile(random.Random(4))])
    book.save(tmp_path / "名单.ett")
    (tmp_path / "坏.et").write_bytes(b"WPS" + bytes(600))
    (result,) = scan_targets([str(tmp_path)], ScanOptions(jobs=1), key)
    assert sorted((f.container.rsplit("/", 1)[1], f.entity_type, f.occurrences) for f in result.findings.values()) \
        == [("名单.ett!Sheet!手机号", "CN_MOBILE_PHONE", 1), ("客户信息.et!Sheet0!姓名", "PERSON", 1),
            ("客户信息.et!Sheet0!身份证号", "CN_RESIDENT_ID", 1)]
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "坏.et"), "a WPS .et workbook in neither the .xls nor the .xlsx format, which is not read "
                                 "here: save it as .xlsx and scan that")]
