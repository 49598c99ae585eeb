"""The spreadsheet source reads real xlsx and csv files; the detector finds what they hold."""

from __future__ import annotations

import datetime
import json
import random
import re
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from pii_audit.detector import Detector
from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks, read_target
from pii_audit.sources import xlsx_book, xlsx_guard
from pii_audit.sources.cell_text import render
from pii_audit.sources.spreadsheets import BLOCK_CELLS, BLOCK_ROWS, _block_columns, read_spreadsheet
from tests_corpus import card, mobile, resident_id
from zip_helpers import rewrite, with_empty_entries, with_offset_before_start

FULL = ScanOptions(sample_rows=None)
RNG = random.Random(20240105)
ID1, ID2, ID3 = (resident_id(RNG) for _ in range(3))
PHONE = "139" + mobile(RNG)[3:]
CARD = card(RNG)
RAW = (ID1, ID2, ID3, PHONE, CARD)


def make_xlsx(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    """Write a workbook with openpyxl: one sheet per entry, rows as given."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def customers(path: Path) -> Path:
    """A two-sheet customer workbook, the second sheet hidden; mobile stored as a number."""
    return make_xlsx(path, {
        "客户": [["客户姓名", "证件号码", "手机号", "开户日期", "余额"],
                 ["张三", ID1, int(PHONE), datetime.date(2024, 1, 5), 12.5],
                 ["李四", ID2, None, datetime.datetime(2023, 3, 1, 9, 30), 3.0]],
        "隐藏": [["银行卡号", "备注"], [CARD, f"身份证{ID3}"]],
    }, hidden=("隐藏",))


def read(path, options=FULL):
    """Return the chunks of a workbook's cells (its document properties, test_sources_properties's
    concern, left out) and its coverage."""
    coverage = TargetCoverage(str(path))
    chunks = [c for c in as_chunks(read_spreadsheet(str(path), options, coverage)) if "sheet" in c.location]
    return chunks, coverage


def sheet_containers(coverage):
    """Return the coverage records of a workbook's columns (not the file's, its properties')."""
    return {name: record for name, record in coverage.containers.items() if "!" in name}


def found(path, key, options=FULL):
    coverage = TargetCoverage(str(path))
    occurrences = list(Detector(key).detect(read_spreadsheet(str(path), options, coverage)))
    return occurrences, coverage


def test_xlsx_every_sheet_cell_locations_and_header_context(tmp_path, key):
    path = customers(tmp_path / "客户.xlsx")
    occurrences, coverage = found(path, key)
    got = sorted((o.entity_type, o.location["sheet"], o.location["cell"], o.container)
                 for o in occurrences if not o.already_masked)
    p = str(path)
    assert got == sorted([
        ("PERSON", "客户", "A2", f"{p}!客户!客户姓名"),  # a name column's names are found
        ("PERSON", "客户", "A3", f"{p}!客户!客户姓名"),
        ("CN_RESIDENT_ID", "客户", "B2", f"{p}!客户!证件号码"),
        ("CN_RESIDENT_ID", "客户", "B3", f"{p}!客户!证件号码"),
        ("CN_MOBILE_PHONE", "客户", "C2", f"{p}!客户!手机号"),
        ("CN_BANK_CARD", "隐藏", "A2", f"{p}!隐藏!银行卡号"),
        ("CN_RESIDENT_ID", "隐藏", "B2", f"{p}!隐藏!备注"),
    ])
    b2 = next(o for o in occurrences if o.location["cell"] == "B2" and o.location["sheet"] == "客户")
    assert b2.location == {"path": p, "sheet": "客户", "cell": "B2", "start": 0, "end": 18}
    assert (coverage.rows, coverage.cells, coverage.problems) == (5, 18, [])
    assert coverage.containers[f"{p}!客户!证件号码"].as_dict() == {
        "container": f"{p}!客户!证件号码", "unit": "cells", "units": 3, "bytes": 0,
        "sampled": False, "complete": True}


def test_header_is_context(tmp_path, key):
    # A bare 11-digit number scores below the threshold unless its column names it.
    rows = [["sjhm", "编号"], [PHONE, PHONE]]
    occurrences, _ = found(make_xlsx(tmp_path / "c.xlsx", {"S": rows}), key)
    cells = {o.location["cell"]: o.score for o in occurrences}
    assert "A2" in cells and cells["A2"] > cells.get("B2", 0)


def test_read_target_dispatches_spreadsheets(tmp_path):
    path = customers(tmp_path / "c.xlsx")
    coverage = TargetCoverage(str(path))
    chunks = list(as_chunks(read_target(str(path), FULL, coverage)))
    # 17 cells, and the document's author (openpyxl writes "openpyxl").
    assert coverage.kind == "spreadsheets" and len(chunks) == 18 + 1
    assert chunks[-1].location == {"path": str(path), "part": "docProps/core.xml", "line": 1, "property": "creator"}


@pytest.mark.parametrize("value, text", [
    pytest.param(13812345678.0, "13812345678", id="mobile-as-float"),
    pytest.param(13812345678, "13812345678", id="mobile-as-int"),
    pytest.param(3.0, "3", id="integral-float"),
    pytest.param(12.5, "12.5", id="fraction"),
    pytest.param(6.22202123456789e18, "6222021234567890000", id="card-lost-digits"),
    pytest.param(1.5e-07, "0.00000015", id="tiny"),
    pytest.param(-2.0, "-2", id="negative"),
    pytest.param(True, "TRUE", id="bool"),
    pytest.param(datetime.date(2024, 1, 5), "2024-01-05", id="date"),
    pytest.param(datetime.datetime(2024, 1, 5), "2024-01-05", id="midnight-datetime"),
    pytest.param(datetime.datetime(2024, 1, 5, 10, 30), "2024-01-05 10:30:00", id="datetime"),
    pytest.param(datetime.time(10, 30), "10:30:00", id="time"),
    pytest.param(None, "", id="none"),
])
def test_render_as_a_person_reads_it(value, text):
    assert render(value) == text


def test_numbers_dates_rendered_alike_by_both_readers_and_calamine(tmp_path):
    path = customers(tmp_path / "c.xlsx")
    fast, _ = read(path)
    # A comment in the sheet XML sends the whole sheet through expat instead of the expression.
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        body = archive.read(sheet).replace(b"<sheetData>", b"<sheetData><!-- x -->")
    slow, _ = read(rewrite(path, tmp_path / "s.xlsx", {sheet: body}))
    assert [(c.text, c.location["cell"], c.container, c.context) for c in fast] == \
           [(c.text, c.location["cell"], c.container.replace("s.xlsx", "c.xlsx"), c.context) for c in slow]
    assert {c.text for c in fast} >= {PHONE, "2024-01-05", "2023-03-01 09:30:00", "12.5", "3"}
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    expected = {render(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).iter_rows()
                for v in row} - {""}
    assert {c.text for c in fast} == expected


def test_sheet_starting_at_c3_keeps_cell_references(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "S"
    sheet["C3"], sheet["E3"], sheet["C5"], sheet["E6"] = "证件号码", "手机", ID1, int(PHONE)
    book.save(tmp_path / "o.xlsx")
    chunks, _ = read(tmp_path / "o.xlsx")
    assert [(c.location["cell"], c.container.rsplit("!", 1)[1]) for c in chunks] == [
        ("C3", "证件号码"), ("E3", "手机"), ("C5", "证件号码"), ("E6", "手机")]


def test_data_like_and_duplicate_headers(tmp_path):
    # A headerless export: row 1 is data, so its values must not name containers.
    path = make_xlsx(tmp_path / "h.xlsx", {"S": [[ID1, "备注", "备注"], [ID2, "x", "y"]]})
    chunks, coverage = read(path)
    assert {c.container.rsplit("!", 1)[1] for c in chunks} == {"A", "备注", "备注 (C)"}
    assert not any(ID1 in name for name in coverage.containers)
    assert chunks[0].context == ()


def test_ragged_rows_cell_by_cell_and_columns_in_the_order_first_read(tmp_path):
    """Cells past the header's width, in rows of any length, keep their references; a column
    first read in a later row comes later in coverage, as when cells were read one by one."""
    rows = [[], ["证件号码", "备注"], [ID1], ["", "", "", "", "", "x"], ["", "", "", "y"],
            [ID2, "", "", "z", "", "", "", "w"]]
    rows += [[f"r{n}"] for n in range(BLOCK_ROWS + 5)]  # a second block
    chunks, coverage = read(write_csv(tmp_path / "r.csv", rows))
    assert [(c.location["cell"], c.text) for c in chunks[:7]] == [
        ("A2", "证件号码"), ("B2", "备注"), ("A3", ID1), ("F4", "x"), ("D5", "y"), ("A6", ID2), ("D6", "z")]
    assert chunks[7].location["cell"] == "H6" and chunks[-1].location["cell"] == f"A{len(rows)}"
    assert [name.rsplit("!", 1)[1] for name in coverage.containers] == ["证件号码", "备注", "F", "D", "H"]
    assert coverage.cells == len(chunks) == 8 + BLOCK_ROWS + 5


def test_wide_rows_come_in_blocks_of_bounded_cells(tmp_path):
    """A block is BLOCK_ROWS rows, or fewer when they hold BLOCK_CELLS values: 1,000 rows of 16,384
    filled columns made one block of 16 million cells (about 600 MB)."""
    width = 16_384
    rows = [[f"c{n}" for n in range(width)] for _ in range(20)]  # 327,680 values: over 3 * BLOCK_CELLS
    coverage = TargetCoverage(str(tmp_path / "wide.csv"))
    blocks = read_spreadsheet(str(write_csv(tmp_path / "wide.csv", rows)), FULL, coverage)
    sizes = [sum(len(column.texts) for column in block.columns) for block in blocks]
    assert len(sizes) > 1 and max(sizes) <= BLOCK_CELLS + width
    assert sum(sizes) == coverage.cells == width * len(rows)


def test_rows_of_long_values_come_in_blocks_of_bounded_text(tmp_path, key):
    """A block is BLOCK_ROWS rows, or fewer when they hold BLOCK_CHARS characters: a csv export of
    a service bus's 2,500 messages of 144 KB each made blocks of 1,000 of them (467 MB peak)."""
    from pii_audit.sources.spreadsheets import BLOCK_CHARS

    filler = "正常业务报文内容" * 12_500  # 100,000 characters
    rows = [["id", "报文"]] + [[str(n), f"{filler}手机{PHONE}"] for n in range(300)]
    path = write_csv(tmp_path / "messages.csv", rows)
    sizes = [sum(len(text) for column in block.columns for text in column.texts)
             for block in read_spreadsheet(str(path), FULL, TargetCoverage(str(path)))]
    assert sum(sizes) > 4 * BLOCK_CHARS and max(sizes) <= BLOCK_CHARS + 100_100
    occurrences, coverage = found(path, key)
    assert len(occurrences) == 300 and coverage.complete


def test_block_columns_hold_every_cell_dense_or_sparse():
    rng = random.Random(8)
    for _ in range(300):
        wide = rng.random() < 0.3  # one very wide row: the sparse path
        block = []
        for number in range(1, rng.randint(2, 40)):
            width = rng.choice([3000, 5]) if wide and number == 1 else rng.choice([0, 4, 5])
            values = [rng.choice([None, "", "a", 0, 1.5, False]) for _ in range(width)]
            block.append((number, rng.choice([0, 2]) if wide else 1, values))
        expected = {(index, row): value for row, (_, offset, values) in enumerate(block)
                    for index, value in enumerate(values, offset) if value is not None and value != ""}
        got = {(index, row): value for index, column in _block_columns(block)
               for row, value in enumerate(column) if value is not None and value != ""}
        assert got == expected
        assert all(len(column) == len(block) for _, column in _block_columns(block))


@pytest.mark.parametrize("sample, rows, cells, sampled", [
    pytest.param(2, 3, 6, True, id="sampled"),
    pytest.param(5, 6, 12, False, id="sample-covers-all"),
    pytest.param(None, 6, 12, False, id="full"),
])
def test_sampling(tmp_path, sample, rows, cells, sampled):
    data = [["证件号码", "备注"]] + [[resident_id(RNG), "x"] for _ in range(5)]
    for path in (make_xlsx(tmp_path / "s.xlsx", {"S": data}), write_csv(tmp_path / "s.csv", data)):
        chunks, coverage = read(path, ScanOptions(sample_rows=sample))
        assert (coverage.rows, coverage.cells, len(chunks)) == (rows, cells, cells)
        assert {r.sampled for r in sheet_containers(coverage).values()} == {sampled}
        assert coverage.problems == []


def write_csv(path: Path, rows, encoding="utf-8", delimiter=",") -> Path:
    text = "\r\n".join(delimiter.join(str(v) for v in row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("name, encoding", [
    pytest.param("u.csv", "utf-8", id="utf-8"),
    pytest.param("b.csv", "utf-8-sig", id="utf-8-bom"),
    pytest.param("g.csv", "gb18030", id="gb18030"),
    pytest.param("w.tsv", "utf-16", id="utf-16-bom-tsv"),
])
def test_csv_encodings_find_the_id_once(tmp_path, key, name, encoding):
    delimiter = "\t" if name.endswith(".tsv") else ","
    path = write_csv(tmp_path / name, [["姓名", "身份证号"], ["张三", ID1]], encoding, delimiter)
    occurrences, coverage = found(path, key)
    assert [(o.entity_type, o.location, o.container) for o in occurrences] == [
        ("PERSON", {"path": str(path), "sheet": path.stem, "cell": "A2", "start": 0, "end": 2},
         f"{path}!{path.stem}!姓名"),
        ("CN_RESIDENT_ID", {"path": str(path), "sheet": path.stem, "cell": "B2", "start": 0, "end": 18},
         f"{path}!{path.stem}!身份证号")]
    assert coverage.problems == [] and coverage.cells == 4


def test_undecodable_csv_is_read_with_replacement_and_reported(tmp_path, key):
    path = tmp_path / "bad.csv"
    path.write_bytes("身份证号\n".encode() + ID1.encode() + b",\xff\xfe\x80\x81\n")
    occurrences, coverage = found(path, key)
    assert [o.location["cell"] for o in occurrences] == ["A2"]
    assert [p.reason for p in coverage.problems] == [
        "undecodable bytes replaced (decoded as utf-8)"]


def test_a_long_csv_field_is_read_and_one_past_the_limit_is_a_problem_line(tmp_path, key):
    """csv's own limit is 131,072 characters a field: an export's long remark (a message body, a
    stack trace) made the file "unreadable (Error): corrupt or not a spreadsheet", every row lost.
    A field is now read up to FIELD_LIMIT characters; a longer one (a quote never closed runs on
    over the rows after it) is a problem line naming its row, and the rows after it are read."""
    from pii_audit.sources.sheet_rows import FIELD_LIMIT

    path = tmp_path / "export.csv"
    remark = "正常业务备注" * 50_000  # 300,000 characters
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(f"备注,手机\n\"{remark} 手机{PHONE}\",无\n")  # row 2: the mobile at the long field's end
        handle.write('"此字段的引号没有结束,无\n')  # row 3: a quote never closed
        handle.write("说明,无\n" * (FIELD_LIMIT // 5 + 100))  # 5 characters a line
        handle.write(f"王小明,{PHONE}\n")
    occurrences, coverage = found(path, key)
    found_in = sorted((o.entity_type, o.location["cell"]) for o in occurrences)
    assert [(entity, cell[0]) for entity, cell in found_in] == [("CN_MOBILE_PHONE", "A"), ("CN_MOBILE_PHONE", "B"),
                                                               ("PERSON", "A")]  # the last row's, named by its mobile
    assert found_in[0][1] == "A2" and int(found_in[1][1][1:]) > 3
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (str(path), f"row 3: a field longer than {FIELD_LIMIT:,} characters (a quote never closed?) "
                    "and the rows it ran over were not read")]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_title_and_notes_above_the_header_leave_it_the_header(tmp_path, key, suffix):
    """A bank's export opens with its title and notes; the header below them names the columns.
    The title was taken for the header: no name, landline or 15-digit ID number below was found,
    as each is reported only in its column's context. Rows above the header are still read."""
    rows = [["2024年第三季度客户信息导出（内部资料）"], [],
            ["导出时间：2024-10-01", None, f"导出人电话 {PHONE}"],
            ["姓名", "联系电话", "地址", "证件号码"]]
    rows += [[f"王小{'明红刚强伟'[n]}", f"010-6552{n:04d}", f"北京市朝阳区建国路{n + 1}号", f"11010549123100{n}"]
             for n in range(5)]
    if suffix == ".csv":
        path = write_csv(tmp_path / "export.csv", [[value or "" for value in row] for row in rows])
    else:
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        path = tmp_path / "export.xlsx"
        book.save(path)
    occurrences, coverage = found(path, key)
    by_column = {}
    for o in occurrences:
        by_column.setdefault((o.container.rsplit("!", 1)[1], o.entity_type), []).append(o.location["cell"])
    assert by_column == {("地址", "CN_MOBILE_PHONE"): ["C3"],  # the column it is in
                         ("姓名", "PERSON"): [f"A{n}" for n in range(5, 10)],
                         ("联系电话", "CN_LANDLINE_PHONE"): [f"B{n}" for n in range(5, 10)],
                         ("地址", "CN_ADDRESS"): [f"C{n}" for n in range(5, 10)],
                         ("证件号码", "CN_RESIDENT_ID"): [f"D{n}" for n in range(5, 10)]}
    assert coverage.problems == []


def test_a_header_is_looked_for_in_the_first_rows_only(tmp_path, key):
    """A field's name in a sheet's eleventh non-empty row does not make it the header."""
    path = write_csv(tmp_path / "s.csv", [["说明"]] * 10 + [["姓名"], ["王小明"]])
    occurrences, coverage = found(path, key)
    assert occurrences == [] and list(coverage.containers) == [f"{path}!s!说明"]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_csv_with_a_character_cut_in_half_keeps_its_encoding(tmp_path, key, encoding):
    """An export whose system cut a remark at a byte limit, inside a character: its headers stay
    readable, so each landline number is found by its column's header. A UTF-8 file was read as
    GB18030 there (the headers mojibake, no line saying so), a GBK one as UTF-8."""
    path = tmp_path / "export.csv"
    rows = "".join(f"客户{n},010-6552{n:04d}\n" for n in range(20))
    cut = "备注:客户来电".encode(encoding)[:-2 if encoding == "utf-8" else -1]
    path.write_bytes("姓名,联系电话\n".encode(encoding) + rows.encode(encoding) + cut + b",\n")
    occurrences, coverage = found(path, key)
    assert sum(o.entity_type == "CN_LANDLINE_PHONE" for o in occurrences) == 20
    decoded_as = "utf-8" if encoding == "utf-8" else "gb18030"
    assert [p.reason for p in coverage.problems] == [f"undecodable bytes replaced (decoded as {decoded_as})"]


def lines(coverage):
    return [f"{p.where}: {p.reason}" for p in coverage.problems]


def test_corrupt_xlsx(tmp_path):
    good = customers(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "bad.xlsx"
    path.write_bytes(good[: len(good) // 2])
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: unreadable: a corrupt zip structure or checksum (BadZipFile)"]


def test_encrypted_xlsx_is_named_as_such(tmp_path):
    path = tmp_path / "enc.xlsx"
    path.write_bytes(xlsx_guard.OLE2_MAGIC + bytes(4096))
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: encrypted or legacy .xls workbook (OLE2/CFB file), not an xlsx zip"]


@pytest.mark.parametrize("name, content, reason", [
    pytest.param("t.xlsx", "身份证号\n".encode(), "not an xlsx workbook: no zip signature (is the extension wrong?)",
                 id="text-named-xlsx"),
    pytest.param("z.xlsx", None, "not an xlsx workbook: the zip holds no xl/workbook.xml", id="plain-zip"),
    pytest.param("x.csv", b"PK\x03\x04" + bytes(100), "a zip file (an xlsx renamed?), not csv text",
                 id="xlsx-named-csv"),
    pytest.param("p.csv", b"%PDF-1.4\x00\x01binary", "binary data (NUL bytes), not csv text", id="binary-csv"),
    pytest.param("e.xlsx", b"", "empty file: nothing to read", id="empty-xlsx"),
    pytest.param("e.csv", b"", "empty file: nothing to read", id="empty-csv"),
])
def test_files_that_are_not_what_they_say(tmp_path, name, content, reason):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    else:
        path.write_bytes(content)
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: {reason}"]


def sheet_xml(rows_xml: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{rows_xml}</sheetData></worksheet>').encode()


BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                            for i in range(1, 10)) + "]>")
XXE = '<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("member, prolog, cell", [
    pytest.param("xl/worksheets/sheet1.xml", BILLION_LAUGHS, "&lol9;", id="billion-laughs-sheet"),
    pytest.param("xl/worksheets/sheet1.xml", XXE, "&xxe;", id="xxe-sheet"),
    pytest.param("xl/workbook.xml", XXE, None, id="xxe-workbook"),
])
def test_dtd_workbooks_are_refused(tmp_path, member, prolog, cell):
    src = make_xlsx(tmp_path / "src.xlsx", {"Sheet": [["a"]]})
    with zipfile.ZipFile(src) as archive:
        original = archive.read(member).decode()
    if cell is None:
        head, sep, rest = original.partition("?>")
        body = (head + sep + prolog + rest if sep else prolog + original).encode()
    else:
        body = sheet_xml(f'<row r="1"><c r="A1" t="inlineStr"><is><t>{cell}</t></is></c></row>', prolog)
    path = rewrite(src, tmp_path / "bomb.xlsx", {member: body})
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: refused: {member} declares a DTD or entities (billion laughs / XXE?)"]


def test_zip_bomb_refused_before_inflating(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_guard, "MAX_INFLATED_BYTES", 16 * 2**20)
    src = make_xlsx(tmp_path / "src.xlsx", {"Sheet": [["a"]]})
    padding = " " * (40 * 2**20)  # 40 MB of XML whitespace deflates to about 40 KB
    path = rewrite(src, tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(padding)})
    chunks, coverage = read(path)
    assert chunks == [] and len(coverage.problems) == 1
    assert coverage.problems[0].reason.startswith("refused: would inflate to 40 MB, over the 16 MB cap")


def test_zip_ratio_bomb_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_guard, "MAX_RATIO", 100)
    src = make_xlsx(tmp_path / "src.xlsx", {"Sheet": [["a"]]})
    path = rewrite(src, tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(" " * 2**21)})
    _, coverage = read(path)
    assert lines(coverage)[0].startswith(f"{path}: refused: xl/worksheets/sheet1.xml inflates")


def test_member_lying_about_its_size_is_refused(tmp_path):
    src = make_xlsx(tmp_path / "src.xlsx", {"Sheet": [["a"]]})
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # Halve the uncompressed size recorded in the central directory entry.
    at = bytes(data).rfind(b"PK\x01\x02", 0, bytes(data).find(b"xl/worksheets/sheet1.xml", info.header_offset + 30))
    data[at + 24:at + 28] = (info.file_size // 2).to_bytes(4, "little")
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    chunks, coverage = read(path)
    assert chunks == [] and len(coverage.problems) == 1
    assert "(BadZipFile)" in coverage.problems[0].reason


def test_a_member_put_before_the_files_start_is_one_clear_problem_line(tmp_path):
    """Found by tests/fuzz/fuzz_reader.py on a.eml, in its attached workbook: zipfile seeks
    there, "unreadable (ValueError)" in memory (an attachment, an archive's member) and "cannot
    read: Invalid argument" on disk, as if the disk had failed. As for a .docx (ooxml)."""
    path = with_offset_before_start(make_xlsx(tmp_path / "bad.xlsx", {"Sheet": [["a"]]}), "xl/styles.xml")
    reason = "corrupt xlsx workbook: its zip directory puts xl/styles.xml before the file's start"
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: {reason}"]
    coverage = TargetCoverage("a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.write(path, "bad.xlsx")
    list(read_target(str(tmp_path / "a.zip"), FULL, coverage))
    assert lines(coverage) == [f"{tmp_path / 'a.zip'}!bad.xlsx: {reason}"]


def test_a_dtd_in_a_member_whose_name_holds_a_line_break_is_one_line(tmp_path):
    """The member's name is the zip's own bytes: shown with "?" (xlsx_guard.shown_name), as every
    other refusal of a member shows it (the line break split the problem line)."""
    src = make_xlsx(tmp_path / "src.xlsx", {"Sheet": [["a"]]})
    path = rewrite(src, tmp_path / "dtd.xlsx", {"xl/media/a\nb.xml": XXE.encode()})
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: refused: xl/media/a?b.xml declares a DTD or entities (billion laughs / XXE?)"]


def test_broken_sheet_does_not_stop_the_others(tmp_path, key):
    src = make_xlsx(tmp_path / "src.xlsx", {"好": [["证件号码"], [ID1]], "坏": [["证件号码"], [ID2]]})
    broken = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>')[:-30]
    path = rewrite(src, tmp_path / "half.xlsx", {"xl/worksheets/sheet2.xml": broken})
    occurrences, coverage = found(path, key)
    assert [(o.location["sheet"], o.location["cell"]) for o in occurrences] == [("好", "A2")]
    assert len(coverage.problems) == 1 and coverage.problems[0].where == f"{path}!坏"
    assert "unreadable" in coverage.problems[0].reason


EXTENT_BOMB = f"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks
from pii_audit.sources.spreadsheets import read_spreadsheet
coverage = TargetCoverage(sys.argv[1])
texts = [c.text for c in as_chunks(read_spreadsheet(sys.argv[1], ScanOptions(sample_rows=None), coverage))
         if "sheet" in c.location]
print(texts, [p.reason for p in coverage.problems])
"""


@pytest.mark.parametrize("last, problems", [
    pytest.param("XFD1048576", "[]", id="A1-and-XFD1048576"),
    pytest.param("B1048577", "[\"stopped at Excel's row limit (1,048,576 rows)\"]", id="past-excel-row-limit"),
    # A row number far past the limit (read by expat: the expression takes 7 digits at most): the
    # empty rows before it were made into a list whole, 16 GB and 264 s for 100 million.
    pytest.param("B999999999999", "[\"stopped at Excel's row limit (1,048,576 rows)\"]", id="far-past-row-limit"),
])
def test_sparse_extent_bomb_streams_in_bounded_memory(tmp_path, last, problems):
    # A reader that allocates the sheet's grid (python-calamine) would ask for 17 billion cells.
    src = make_xlsx(tmp_path / "src.xlsx", {"Sheet": [["a"]]})
    row = last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    body = sheet_xml(f'<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>'
                     f'<row r="{row}"><c r="{last}" t="inlineStr"><is><t>v</t></is></c></row>')
    path = rewrite(src, tmp_path / "sparse.xlsx", {"xl/worksheets/sheet1.xml": body})
    done = subprocess.run([sys.executable, "-c", EXTENT_BOMB, str(path)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parent.parent)
    expected = "['h']" if problems != "[]" else "['h', 'v']"
    assert done.stdout.strip() == f"{expected} {problems}", done.stderr[-2000:]


def far_rows_xlsx(path: Path, sheets: int) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for number in range(sheets):
        book.create_sheet(f"S{number}")["A1048576"] = "值"
    book.save(path)
    return path


def far_rows_ods(path: Path, sheets: int) -> Path:
    from ods_helpers import cell, content_xml, row, write_ods

    tables = "".join(f'<table:table table:name="S{number}">{row(cell(), repeat=1_048_575)}{row(cell("值"))}'
                     "</table:table>" for number in range(sheets))
    return write_ods(path, content_xml(tables))


@pytest.mark.parametrize("make", [pytest.param(far_rows_xlsx, id="xlsx"), pytest.param(far_rows_ods, id="ods")])
def test_sheets_of_one_value_in_excels_last_row_are_read_without_their_empty_rows(tmp_path, make, monkeypatch):
    """Thirty sheets each holding one value in row 1,048,576: the readers gave the million empty
    rows before it one by one, about 2 s a sheet (a 7 KB workbook of 20 such sheets took 44 s);
    they are counted now, not made (the rows a reader gives are counted here, not timed), and as
    many rows are read as before."""
    from pii_audit.sources import spreadsheets

    given, real = [], spreadsheets._sheet_chunks

    def counted(sheet, rows, *rest):
        return real(sheet, (given.append(row) or row for row in rows), *rest)

    monkeypatch.setattr(spreadsheets, "_sheet_chunks", counted)
    path = make(tmp_path / f"far.{make.__name__.rsplit('_', 1)[-1]}", 30)
    chunks, coverage = read(path)
    assert len(given) <= 2 * 30  # each sheet's row holding a value (and the one past Excel's last)
    assert [(c.location["sheet"], c.location["cell"], c.text) for c in chunks] == [
        (f"S{number}", "A1048576", "值") for number in range(30)]
    assert (coverage.rows, coverage.problems) == (30 * 1_048_576, [])


def test_a_padded_header_is_analysed_as_the_name_it_gives_its_column(tmp_path, monkeypatch):
    """A header cell of a name and a million spaces names its column by the name: that name is
    analysed, not the raw cell (1.1 s a column), and of each value below its first 1,000
    characters."""
    from pii_audit.sources import spreadsheets

    analysed = []
    entities = spreadsheets.unscored_entities
    monkeypatch.setattr(spreadsheets, "unscored_entities", lambda text: analysed.append(len(text)) or entities(text))
    path = make_xlsx(tmp_path / "padded.xlsx", {"客户": [["张三" + " " * 1_000_000], ["李四" + " " * 5000]]})
    chunks, coverage = read(path)
    assert analysed and max(analysed) <= 1000
    assert [c.text.strip() for c in chunks] == ["张三", "李四"] and coverage.problems == []


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_an_encrypted_members_name_is_quoted_on_one_line(tmp_path, suffix):
    """Found by tests/fuzz/fuzz_reader.py on a.ods: an encrypted member named with newlines (the
    zip's own bytes) made a problem of several lines; its name is now shown printable, cut."""
    path = tmp_path / f"e{suffix}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml" if suffix == ".ods" else "xl/workbook.xml", "<x/>")
        archive.writestr("客户\n" + "x" * 200, "secret")
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the last member's entry: zipfile writes no encrypted one
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))
    chunks, coverage = read(path)
    assert [p.reason for p in coverage.problems] == [f"encrypted zip member 客户?{'x' * 97}"]


def with_member(src: Path, dst: Path, member: str, body: bytes) -> Path:
    """Copy the workbook ``src`` with ``member`` holding ``body``; one under xl/worksheets/ is made
    its sheet (the workbook's relationships name it, a line break written ``&#10;``)."""
    replace = {member: body}
    if member.startswith("xl/worksheets/"):
        with zipfile.ZipFile(src) as archive:
            rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        target = member.removeprefix("xl/").replace("\n", "&#10;")
        replace["xl/_rels/workbook.xml.rels"] = rels.replace("worksheets/sheet1.xml", target).encode()
    return rewrite(src, dst, replace)


@pytest.mark.parametrize("member, body, reason", [
    pytest.param("xl/客户\n名单.xml", XXE.encode() + b"<d/>", "refused: xl/客户?名单.xml declares a DTD or "
                 "entities (billion laughs / XXE?)", id="dtd-seen-by-the-guard"),
    pytest.param("xl/worksheets/客户\n名单.xml", XXE.encode() + b"<d/>", "refused: xl/worksheets/客户?名单.xml "
                 "declares a DTD or entities (billion laughs / XXE?)", id="dtd-in-a-sheet"),
    pytest.param("xl/worksheets/客户\n名单.xml", b"<a>" * 1001, "refused: elements nested over 1,000 deep in "
                 "xl/worksheets/客户?名单.xml", id="nested-in-a-sheet"),
])
def test_a_refused_members_name_is_quoted_on_one_line(tmp_path, member, body, reason):
    """A member named with a line break (the zip's own bytes, or a relationship's ``&#10;``) that
    declares a DTD or nests too deep was quoted raw, splitting the problem line in two; its name
    is shown as the zip's others are (``xlsx_guard.shown_name``: ? for what does not print)."""
    src = make_xlsx(tmp_path / "src.xlsx", {"客户": [["a"]]})
    _, coverage = read(with_member(src, tmp_path / "named.xlsx", member, body))
    assert [p.reason for p in coverage.problems] == [reason]


def small_workbook(path: Path) -> Path:
    """Write a one-cell workbook of ``path``'s format (.xlsx, .xlsb or .ods)."""
    from ods_helpers import cell, content_xml, row, table, write_ods
    from xlsb_helpers import grid, xlsb_book

    if path.suffix == ".xlsb":
        path.write_bytes(xlsb_book({"客户": grid([["a"]])}))
        return path
    if path.suffix == ".ods":
        return write_ods(path, content_xml(table("客户", row(cell("a")))))
    return make_xlsx(path, {"客户": [["a"]]})


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsb", ".ods"])
def test_a_zip_directory_larger_than_an_office_files_is_refused_in_one_line(tmp_path, suffix):
    """zipfile builds an object for each entry of a zip's directory: 200,000 empty entries in an
    .xlsx took 19 s and 120 MB (its zip was opened four times) before it was read. The count its
    end record gives is checked before, past what a zip without Zip64 records lists."""
    path = with_empty_entries(small_workbook(tmp_path / f"w{suffix}"), 70_000)
    chunks, coverage = read(path)
    with zipfile.ZipFile(path) as archive:
        listed = len(archive.infolist())
    assert chunks == [] and [p.reason for p in coverage.problems] == [
        f"refused: its zip directory lists {listed:,} entries, over the 65,535 cap (zip bomb?)"]


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsb", ".ods"])
def test_a_zip_directory_holding_more_entries_than_its_end_record_says_is_refused(tmp_path, suffix):
    """zipfile reads the directory by its size, whatever count the end record gives: 78,000 entries
    behind a classic end record saying 65,535 (no Zip64 record) were read (an .xlsx 5.5 s, each
    entry an object). A directory that could hold more than the cap has its entries counted."""
    path = with_empty_entries(small_workbook(tmp_path / f"w{suffix}"), 70_000, claimed=65_535)
    chunks, coverage = read(path)
    with zipfile.ZipFile(path) as archive:
        held = len(archive.infolist())
    assert held > 70_000 and chunks == [] and [p.reason for p in coverage.problems] == [
        f"refused: its zip directory holds {held:,} entries where its end record says 65,535, over the 65,535 cap "
        "(zip bomb?)"]


def test_no_raw_value_leaves_the_scan(tmp_path, key):
    path = customers(tmp_path / "c.xlsx")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(f"身份证号\n{ID1},\xff".encode("latin-1", "ignore") + b"\xff\n")
    output = []
    for target in (path, bad, write_csv(tmp_path / "g.csv", [[ID2, PHONE], [CARD, ID3]], "gb18030")):
        occurrences, coverage = found(target, key)
        output.append(json.dumps([o.to_json() for o in occurrences], ensure_ascii=False))
        output.append(json.dumps([c.as_dict() for c in coverage.containers.values()], ensure_ascii=False))
        output.append(repr(coverage.problems))
    dumped = "\n".join(output)
    assert "CN_RESIDENT_ID" in dumped and "CN_BANK_CARD" in dumped
    assert [raw for raw in RAW if raw in dumped] == []


def make_xls(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write a legacy .xls workbook with xlwt (dates with a date format, as Excel stores them)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    stamped = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                style = stamped if isinstance(value, datetime.datetime) else \
                    dated if isinstance(value, datetime.date) else xlwt.Style.default_style
                sheet.write(r, c, value, style)
    book.save(str(path))
    return path


def test_a_legacy_xls_workbook_is_read_as_the_same_workbook_in_xlsx(tmp_path, key):
    """Older systems and WPS still export .xls (Excel 97-2003): read as text it was binary,
    skipped, and its ID numbers never seen. It is read now cell for cell as the same workbook
    saved as .xlsx: the same texts (a mobile stored as a number, dates), cell references,
    headers as context, and findings."""
    sheets = {
        "客户": [["客户姓名", "证件号码", "手机号", "开户日期", "余额"],
                 ["张三", ID1, int(PHONE), datetime.date(2024, 1, 5), 12.5],
                 ["李四", ID2, None, datetime.datetime(2023, 3, 1, 9, 30), 3.0]],
        "卡": [[None], [None, None, "银行卡号", "备注"], [None, None, CARD, f"身份证{ID3}"]],
    }
    xls, xlsx = make_xls(tmp_path / "客户.xls", sheets), make_xlsx(tmp_path / "客户.xlsx", sheets)

    def cells(path):
        chunks, coverage = read(path)
        assert coverage.problems == []
        return [(c.location["sheet"], c.location["cell"], c.text, c.container.split("!", 1)[1]) for c in chunks]

    assert cells(xls) == cells(xlsx) and ("客户", "C2", PHONE, "客户!手机号") in cells(xls)
    assert ("卡", "C3", CARD, "卡!银行卡号") in cells(xls)

    def findings(path):
        return sorted((o.entity_type, o.location["sheet"], o.location["cell"], o.location["start"],
                       o.location["end"], o.fingerprint) for o in found(path, key)[0])

    assert findings(xls) == findings(xlsx) and len(findings(xls)) >= 6


def test_a_file_named_xls_that_is_no_workbook_is_one_problem_line(tmp_path):
    """A text file named .xls (a csv export renamed) is refused before any reader sees it. A
    large .xls is read (test_sources_xls_stream), as are its damaged forms, each one line."""
    path = tmp_path / "export.xls"
    path.write_bytes("身份证号\n".encode())
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [
        f"{path}: not an .xls workbook: no OLE2 signature (is the extension wrong?)"]


def commented_workbook(path: Path) -> Path:
    """Write a workbook whose comments (批注) hold an ID and a mobile number, as openpyxl writes
    them (a comments part linked from each sheet, and its VML drawing)."""
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append(["姓名", "备注"])
    sheet.append(["客户甲", "正常"])
    sheet.append(["客户乙", "复核"])
    sheet["B2"].comment = Comment(f"审核员:\n证件号{ID1}", "审核员")
    other = book.create_sheet("台账")
    other["C7"] = "已核对"
    other["C7"].comment = Comment(f"联系手机{PHONE}，已回访", "柜员")
    book.save(path)
    return path


@pytest.mark.parametrize("sample_rows", [None, 1])
def test_comments_are_read_as_a_container_of_their_sheet(tmp_path, key, sample_rows):
    """A number typed into a cell's comment (批注) was never read: the xlsx reader took the cells
    alone, so such a workbook came out clean. Each sheet's comments are read, whatever the sample,
    as the container ``path!sheet!批注``, located on their cell and marked as comments."""
    path = commented_workbook(tmp_path / "批注.xlsx")
    coverage = TargetCoverage(str(path))
    occurrences = list(Detector(key).detect(read_target(str(path), ScanOptions(sample_rows=sample_rows), coverage)))
    comments = sorted((o.entity_type, o.masked, o.container, o.location["sheet"], o.location["cell"],
                       o.location["start"], o.location["end"]) for o in occurrences if o.location.get("comment"))
    assert comments == [
        ("CN_MOBILE_PHONE", f"{PHONE[:3]}****{PHONE[-4:]}", f"{path}!台账!批注", "台账", "C7", 4, 15),
        ("CN_RESIDENT_ID", f"{ID1[:6]}********{ID1[-4:]}", f"{path}!客户!批注", "客户", "B2", 8, 26),
    ]
    assert {name: record.units for name, record in coverage.containers.items() if name.endswith("批注")} == {
        f"{path}!客户!批注": 1, f"{path}!台账!批注": 1}
    assert coverage.problems == []


def test_a_comments_part_past_the_cap_is_refused_and_a_dtd_in_it_too(tmp_path, monkeypatch):
    """A comments part is held whole, as the shared strings are, under the same cap: past it, the
    part is one problem line on its sheet and the cells are read (the whole workbook was refused).
    It is parsed by expat with a DTD refused, as every part (and the workbook with it)."""
    path = commented_workbook(tmp_path / "c.xlsx")
    with zipfile.ZipFile(path) as archive:
        member = next(n for n in archive.namelist() if "comments" in n and n.endswith(".xml"))
        original = archive.read(member).decode()
    head, sep, rest = original.partition("?>")
    dtd = rewrite(path, tmp_path / "dtd.xlsx", {member: (head + sep + XXE + rest).encode()})
    _, coverage = read(dtd)
    assert lines(coverage) == [f"{dtd}: refused: {member} declares a DTD or entities (billion laughs / XXE?)"]

    monkeypatch.setattr("pii_audit.sources.xlsx_book.MAX_SHARED_STRINGS_BYTES", 100)
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!{sheet}: refused: comments part of 0 MB, over the 0 MB cap; the sheet's "
                               "cells are read, its comments are not" for sheet in ("客户", "台账")]
    assert {"客户甲", "已核对"} <= {chunk.text for chunk in chunks}


@pytest.mark.parametrize("damage", [
    pytest.param(lambda part: part[:len(part) // 2], id="cut-short"),
    pytest.param(lambda part: part.replace(b"<comment ", b"<comment <"), id="broken-tag"),
])
def test_a_damaged_comments_part_is_one_problem_line_and_the_cells_are_read(tmp_path, damage):
    """A comments part of damaged XML made the whole workbook "unreadable (ExpatError)": every
    sheet's cells, its document properties and embedded files lost. It is one line on the sheet
    naming it; that sheet's cells, the other sheets and their comments are read."""
    path = commented_workbook(tmp_path / "c.xlsx")
    with zipfile.ZipFile(path) as archive:
        part = archive.read("xl/comments/comment1.xml")
    path = rewrite(path, tmp_path / "damaged.xlsx", {"xl/comments/comment1.xml": damage(part)})
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!客户: xl/comments/comment1.xml is damaged: malformed XML (ExpatError); the sheet's cells "
                               "are read, its comments are not"]
    assert {"客户甲", "复核", "已核对", f"联系手机{PHONE}，已回访"} <= {chunk.text for chunk in chunks}


def test_a_sheet_named_after_a_customer_leaks_no_number(tmp_path, key):
    """A workbook with a sheet per customer, each named by the customer's ID number: containers
    had the name masked, but every location held it raw, so the JSONL, the ledger's samples and
    the summary's examples wrote the ID. Locations now show a sheet's name (and a database's
    table and column names) as containers do."""
    import io

    from openpyxl.comments import Comment

    from pii_audit.scan import scan_targets
    from pii_audit.summary import render_summary

    path = tmp_path / "per-customer.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = ID1
    sheet.append(["手机号"])
    sheet.append([int(PHONE)])
    sheet["A2"].comment = Comment(f"手机{PHONE}", "柜员")
    book.save(path)
    out = io.BytesIO()
    (result,) = scan_targets([str(path)], ScanOptions(jobs=1, sample_rows=None), key, jsonl=out)
    assert sum(f.occurrences for f in result.findings.values()) == 2
    written = out.getvalue() + render_summary([result]).encode() + repr(result.findings).encode()
    masked = f"{ID1[:6]}********{ID1[-4:]}".encode()
    assert ID1.encode() not in written and written.count(masked) >= 6


@pytest.mark.parametrize("ref, cell", [pytest.param(ID2, "", id="an-id-number"),
                                       pytest.param("$B$2:C3", "B2", id="a-range")])
def test_a_comments_cell_reference_is_rebuilt_not_copied(tmp_path, key, ref, cell):
    """A comment's cell is the file's text (its ref attribute), and it went raw into every
    finding's location: a comments part whose ref held an ID number wrote that number into the
    JSONL (and the ledger's samples and the reports). The cell is rebuilt from the reference's
    letters and digits (the first cell of a range), or left empty when it names none."""
    import io

    from pii_audit.scan import scan_targets

    path = commented_workbook(tmp_path / "src.xlsx")
    with zipfile.ZipFile(path) as archive:
        part = archive.read("xl/comments/comment1.xml").decode()
    assert 'ref="B2"' in part
    path = rewrite(path, tmp_path / "ref.xlsx", {"xl/comments/comment1.xml": part.replace('ref="B2"', f'ref="{ref}"')
                                                 .encode()})
    out = io.BytesIO()
    (result,) = scan_targets([str(path)], ScanOptions(jobs=1, sample_rows=None), key, jsonl=out)
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert ID2.encode() not in out.getvalue()
    assert [(w["entity_type"], w["location"]["cell"]) for w in written if w["location"].get("comment")] == [
        ("CN_RESIDENT_ID", cell), ("CN_MOBILE_PHONE", "C7")]


def test_deleting_a_sheets_last_comment_verifies_its_ledger_item(tmp_path, capsys):
    """The remedy for an ID in a comment is to delete the comment; with the last one gone, the
    sheet has no comments part, and a container that is not read was never verified. The
    workbook read in full without it verifies it (ledger.record.fully_covered)."""
    from pii_audit.cli import main

    path = commented_workbook(tmp_path / "客户.xlsx")
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"

    def run(*argv) -> str:
        try:
            main(list(argv))
        except SystemExit as done:
            assert done.code in (0, 1), capsys.readouterr().err  # 1: found
        return capsys.readouterr().out

    run("scan", str(path), "--full", "--quiet", "--ledger", ledger)
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.comment = None
    book.save(path)
    run("scan", str(path), "--full", "--quiet", "--ledger", ledger)
    items = json.loads(run("ledger", "list", "--format", "json", "--ledger", ledger))
    assert sorted((i["container"].rsplit("!", 2)[1], i["status"]) for i in items if i["container"].endswith("!批注")) == [
        ("台账", "verified"), ("客户", "verified")]


def test_a_headerless_exports_first_row_names_no_container(tmp_path):
    """A headerless export's first row is data. A number or e-mail there was already no column's
    name, but a customer's name or address was: "王建国" and "北京市朝阳区建国路88号" became
    containers, written to the ledger's coverage and the reports, and masking could not catch
    them (a bare name or address is reported only in context). A first-row cell that reads as a
    name or an address, as the values below it do, is data now; a field's name (姓名, 地址, 余额)
    and a header unlike its values stay the column's name."""
    headerless = [["王建国", "北京市朝阳区建国路88号", "正常"],
                  ["李秀英", "上海市浦东新区世纪大道100号", "冻结"],
                  ["张伟", "广东省深圳市南山区科技园路1号", "正常"]]
    headed = [["姓名", "地址", "余额", "开户网点"],
              ["李秀英", "上海市浦东新区世纪大道100号", "1200.50", "朝阳支行"],
              ["张伟", "广东省深圳市南山区科技园路1号", "88.00", "黄浦支行"]]
    for path in (make_xlsx(tmp_path / "a.xlsx", {"S": headerless}), write_csv(tmp_path / "S.csv", headerless)):
        _, coverage = read(path)
        assert sorted(name.rsplit("!", 1)[1] for name in sheet_containers(coverage)) == [
            "A", "B", "正常"]  # 正常 is no name nor address: a column's name, harmless
    for path in (make_xlsx(tmp_path / "b.xlsx", {"S": headed}), write_csv(tmp_path / "S2.csv", headed)):
        _, coverage = read(path)
        assert sorted(name.rsplit("!", 1)[1] for name in sheet_containers(coverage)) == [
            "余额", "地址", "姓名", "开户网点"]


@pytest.mark.parametrize("delimiter", ["|", ";", "\t"])
def test_a_csv_delimited_otherwise_than_by_commas_is_read_in_columns(tmp_path, key, delimiter):
    """Banks' batch exports named .csv are often pipe-delimited: each line was one cell, its
    container named after the whole header line. A first line with no comma and a pipe,
    semicolon or tab decides the delimiter; a comma in it keeps the comma (an address may hold a
    pipe, never mind)."""
    rows = [["姓名", "证件号码", "手机号"], ["张三", ID1, PHONE]]
    path = write_csv(tmp_path / "batch.csv", rows, delimiter=delimiter)
    occurrences, coverage = found(path, key)
    assert sorted(name.rsplit("!", 1)[1] for name in sheet_containers(coverage)) == ["姓名", "手机号", "证件号码"]
    assert sorted((o.entity_type, o.location["cell"]) for o in occurrences) == [
        ("CN_MOBILE_PHONE", "C2"), ("CN_RESIDENT_ID", "B2"), ("PERSON", "A2")]
    commas = write_csv(tmp_path / "commas.csv", [["姓名", "备注|说明"], ["张三", "a|b"]])
    _, coverage = read(commas)
    assert sorted(name.rsplit("!", 1)[1] for name in sheet_containers(coverage)) == ["备注|说明", "姓名"]


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_pivot_cache(src: Path, dst: Path, ids: list[str], phones: list[str], names: list[str],
                     save_records: bool = True) -> Path:
    """Add to a workbook the pivot cache Excel keeps of a deleted source sheet (ECMA-376 part 1,
    18.10): its definition, the names and IDs as shared items (the fields the pivot table groups
    by), the mobile numbers inline, the records pointing at the shared items, and the parts'
    relationships and content types."""
    def shared(values):
        return "".join(f'<s v="{v}"/>' for v in values)

    no_data = "" if save_records else ' saveData="0"'
    phone_items = "" if save_records else "".join(f'<n v="{p}"/>' for p in phones)  # kept for want of records
    definition = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheDefinition xmlns="{SML}" '
        f'xmlns:r="{REL}" r:id="rId1" refreshOnLoad="1" recordCount="{len(ids)}"'
        f'{no_data}>'
        '<cacheSource type="worksheet"><worksheetSource ref="A1:D4" sheet="客户明细"/></cacheSource>'
        '<cacheFields count="4">'
        f'<cacheField name="客户姓名" numFmtId="0"><sharedItems count="{len(names)}">{shared(names)}</sharedItems></cacheField>'
        f'<cacheField name="证件号码" numFmtId="0"><sharedItems count="{len(ids)}">{shared(ids)}</sharedItems></cacheField>'
        '<cacheField name="手机号" numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" '
        f'containsNumber="1" containsInteger="1">{phone_items}'
        '</sharedItems></cacheField>'
        '<cacheField name="金额" numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" '
        'containsNumber="1"><fieldGroup base="3"><groupItems count="1"><s v="13700000000"/></groupItems></fieldGroup>'
        '</sharedItems></cacheField></cacheFields></pivotCacheDefinition>')
    records = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheRecords xmlns="{SML}" '
               f'count="{len(ids)}">'
               + "".join(f'<r><x v="{n}"/><x v="{n}"/><n v="{p}"/><n v="{12.5 * (n + 1)}"/></r>'
                         for n, p in enumerate(phones))
               + "</pivotCacheRecords>")
    with zipfile.ZipFile(src) as archive:
        workbook_rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    workbook_rels = workbook_rels.replace(
        "</Relationships>", f'<Relationship Id="rIdPivot1" Type="{REL}/pivotCacheDefinition" '
                            'Target="pivotCache/pivotCacheDefinition1.xml"/></Relationships>')
    types = types.replace("</Types>", (
        '<Override PartName="/xl/pivotCache/pivotCacheDefinition1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml"/>'
        '<Override PartName="/xl/pivotCache/pivotCacheRecords1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheRecords+xml"/></Types>'))
    parts = {"xl/_rels/workbook.xml.rels": workbook_rels.encode(), "[Content_Types].xml": types.encode(),
             "xl/pivotCache/pivotCacheDefinition1.xml": definition.encode()}
    if save_records:
        parts["xl/pivotCache/pivotCacheRecords1.xml"] = records.encode()
        parts["xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/'
            'pivotCacheRecords" Target="pivotCacheRecords1.xml"/></Relationships>').encode()
    return rewrite(src, dst, parts)


@pytest.mark.parametrize("save_records", [True, False], ids=["records", "shared-items-only"])
def test_a_pivot_cache_is_read_as_a_sheet_though_its_source_is_deleted(tmp_path, key, save_records):
    """Excel keeps a pivot table's source rows in the workbook, and they stay when the source
    sheet is deleted: a summary workbook whose customer sheet was deleted came out clean, the
    customers' IDs and mobile numbers still inside. Each pivot cache is read as the sheet
    透视缓存N: its field names the header, a row per record (or each field's distinct values)."""
    rng = random.Random(12)
    ids = [resident_id(rng) for _ in range(3)]
    phones = ["139" + mobile(rng)[3:] for _ in range(3)]
    names = ["王建国", "李秀英", "张伟"]
    summary = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["网点", "笔数"], ["朝阳支行", 3]]})
    path = with_pivot_cache(summary, tmp_path / "pivot.xlsx", ids, phones, names, save_records)
    occurrences, coverage = found(path, key)
    assert coverage.problems == []
    cached = sorted((o.entity_type, o.location["sheet"], o.location["cell"], o.container.rsplit("!", 1)[1])
                    for o in occurrences)
    assert cached == sorted(
        [("PERSON", "透视缓存1", f"A{n + 2}", "客户姓名") for n in range(3)]
        + [("CN_RESIDENT_ID", "透视缓存1", f"B{n + 2}", "证件号码") for n in range(3)]
        + [("CN_MOBILE_PHONE", "透视缓存1", f"C{n + 2}", "手机号") for n in range(3)])
    assert not any("13700000000" in o.masked or o.container.endswith("金额") for o in occurrences)  # groupItems


def test_a_pivot_cache_past_its_cap_is_one_problem_line_and_the_sheets_are_read(tmp_path, key, monkeypatch):
    """A cache's distinct values are held whole: a definition past MAX_DEFINITION_BYTES is
    refused in one problem line, and the workbook's sheets are read as before."""
    monkeypatch.setattr("pii_audit.sources.xlsx_caches.MAX_DEFINITION_BYTES", 100)
    summary = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["证件号码"], [ID1]]})
    path = with_pivot_cache(summary, tmp_path / "pivot.xlsx", [ID2], [PHONE], ["王建国"])
    occurrences, coverage = found(path, key)
    assert [(o.entity_type, o.location["sheet"]) for o in occurrences] == [("CN_RESIDENT_ID", "汇总")]
    assert lines(coverage) == [f"{path}!透视缓存1: refused: pivot cache definition of 0 MB, over the 0 MB cap"]


def with_records(tmp_path: Path, first_name: str, records: str) -> Path:
    """A workbook whose pivot cache (``with_pivot_cache``) names its first customer ``first_name``
    and holds ``records`` (each ``<r>``) instead of its own."""
    summary = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["网点", "笔数"], ["朝阳支行", 3]]})
    path = with_pivot_cache(summary, tmp_path / "pivot.xlsx", [ID1, ID2], [PHONE, PHONE], ["王建国", "李秀英"])
    with zipfile.ZipFile(path) as archive:
        definition = archive.read("xl/pivotCache/pivotCacheDefinition1.xml").decode()
        head = archive.read("xl/pivotCache/pivotCacheRecords1.xml").decode().split("<r>", 1)[0]
    return rewrite(path, tmp_path / "records.xlsx", {
        "xl/pivotCache/pivotCacheDefinition1.xml": definition.replace('<s v="王建国"/>', f'<s v="{first_name}"/>').encode(),
        "xl/pivotCache/pivotCacheRecords1.xml": (head + records + "</pivotCacheRecords>").encode()})


@pytest.mark.parametrize("first_name, records, reason", [
    pytest.param("备注" + "x" * 99_998, '<r><x v="0"/><x v="0"/></r>' * 16_000,
                 f"long shared strings read again up to {33_554_432:,} characters; their further readings read as "
                 "empty (a repetition bomb?)", id="a-long-item-read-16000-times"),
    pytest.param("王建国", '<r><x v="1"/><x v="1"/></r><r><x v="-1"/><x v="0"/></r>',
                 xlsx_book.MISSING_ITEM, id="a-negative-index"),
    pytest.param("王建国", f'<r><x v="1"/><x v="1"/></r><r><x v="{"5" * 5000}"/><x v="0"/></r>',  # int() refuses it
                 xlsx_book.MISSING_ITEM, id="an-index-of-5000-digits"),
])
def test_a_pivot_cache_record_reading_items_past_reason_is_one_problem_line(tmp_path, first_name, records, reason):
    """A record reads a field's item by a 10-byte reference however long the item: 16,000 records
    reading a 100,000-character item gave 1.6 GB of text. Items are counted as shared strings
    are (xlsx_book.charge): past the allowance they read as empty, in one line. An item index of
    -1 read the field's last item; it is damage."""
    path = with_records(tmp_path, first_name, records)
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!透视缓存1: {reason}"]
    assert sum(len(chunk.text) for chunk in chunks) < 40_000_000


def test_a_pivot_cache_record_naming_an_item_out_of_range_costs_its_value(tmp_path):
    """A record naming item 9 of a field of 2 refused the rest of the cache, every record after
    it lost; the value reads as empty, the record's others and the records after it are read."""
    path = with_records(tmp_path, "王建国", '<r><x v="9"/><x v="0"/></r><r><x v="1"/><x v="1"/></r>')
    chunks, coverage = read(path)
    cache = {(c.location["cell"], c.text) for c in chunks if c.location["sheet"] == "透视缓存1"}
    assert {("B2", ID1), ("A3", "李秀英"), ("B3", ID2)} <= cache and not any(cell == "A2" for cell, _ in cache)
    assert lines(coverage) == [f"{path}!透视缓存1: {xlsx_book.MISSING_ITEM}"]


def test_a_records_part_named_by_several_pivot_caches_is_read_for_the_first(tmp_path, monkeypatch):
    """Pivot cache definitions all naming one records part (Excel gives each cache its own) had
    it read again for each: a 109 KB workbook of 101 definitions naming a part of 20,000 records
    took 260 s, each record found 101 times. It is read for the first definition only; a later
    one reads as a cache saved without records, its field items (the part's openings counted)."""
    from pii_audit.sources.sheet_rows import xlsx_sheets

    summary = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["网点", "笔数"], ["朝阳支行", 3]]})
    path = with_pivot_cache(summary, tmp_path / "pivot.xlsx", [ID1, ID2], [PHONE, PHONE], ["王建国", "李秀英"])
    with zipfile.ZipFile(path) as archive:
        workbook_rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        definition = archive.read("xl/pivotCache/pivotCacheDefinition1.xml")
        definition_rels = archive.read("xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels")
    parts = {"xl/_rels/workbook.xml.rels": workbook_rels.replace("</Relationships>", "".join(
        f'<Relationship Id="rIdPivot{n}" Type="{REL}/pivotCacheDefinition" Target="pivotCache/pivotCacheDefinition{n}'
        '.xml"/>' for n in (2, 3)) + "</Relationships>").encode()}
    for n in (2, 3):
        parts[f"xl/pivotCache/pivotCacheDefinition{n}.xml"] = definition
        parts[f"xl/pivotCache/_rels/pivotCacheDefinition{n}.xml.rels"] = definition_rels
    path = rewrite(path, tmp_path / "shared.xlsx", parts)
    opened, real = [], zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda archive, name, *args, **kwargs: opened.append(
        getattr(name, "filename", name)) or real(archive, name, *args, **kwargs))
    sheets = {name: [values for _, _, values in rows] for name, rows in xlsx_sheets(str(path))}
    assert sheets["透视缓存1"][1:] == [["王建国", ID1, PHONE, "12.5"], ["李秀英", ID2, PHONE, "25"]]
    assert sheets["透视缓存2"] == sheets["透视缓存3"]
    assert [row[:3] for row in sheets["透视缓存2"][1:]] == [["王建国", ID1, None], ["李秀英", ID2, None]]
    assert opened.count("xl/pivotCache/pivotCacheRecords1.xml") == 2  # xlsx_guard's check, then one reading


def with_external_link(src: Path, dst: Path, ids: list[str], names: list[str]) -> Path:
    """Add to a workbook the cache Excel keeps of another workbook a formula reads (ECMA-376 part 1,
    18.14): [客户名单.xlsx]客户!A1:C4 cached, header row included, and the parts' relationships."""
    rows = [("姓名", "证件号码", "金额")] + [(name, number, f"{100.5 * (n + 1)}") for n, (name, number)
                                            in enumerate(zip(names, ids))]
    cells = "".join(
        f'<row r="{r}">' + "".join(
            f'<cell r="{letter}{r}"{"" if letter == "C" and r > 1 else " t=" + chr(34) + "str" + chr(34)}>'
            f'<v>{value}</v></cell>' for letter, value in zip("ABC", row)) + "</row>"
        for r, row in enumerate(rows, 1))
    link = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="{SML}" '
            f'xmlns:r="{REL}"><externalBook r:id="rId1"><sheetNames><sheetName val="其他"/><sheetName val="客户"/>'
            f'</sheetNames><sheetDataSet><sheetData sheetId="0"/><sheetData sheetId="1">{cells}</sheetData>'
            '</sheetDataSet></externalBook></externalLink>')
    with zipfile.ZipFile(src) as archive:
        workbook_rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    return rewrite(src, dst, {
        "xl/_rels/workbook.xml.rels": workbook_rels.replace("</Relationships>", (
            f'<Relationship Id="rIdLink1" Type="{REL}/externalLink" Target="externalLinks/externalLink1.xml"/>'
            "</Relationships>")).encode(),
        "[Content_Types].xml": types.replace("</Types>", (
            '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>')).encode(),
        "xl/externalLinks/externalLink1.xml": link.encode(),
        "xl/externalLinks/_rels/externalLink1.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/'
            'externalLinkPath" Target="客户名单.xlsx" TargetMode="External"/></Relationships>').encode(),
    })


def test_an_external_links_cached_cells_are_read_as_a_sheet(tmp_path, key):
    """A formula that reads another workbook (a VLOOKUP over a customer list) makes Excel keep the
    cells it read inside this one: a workbook of a few formulas carried the customers' names and
    IDs and came out clean. Each cached sheet is read as the sheet 外部链接N-name, its cells where
    they are in the other workbook, its first row the header."""
    names, ids = ["王建国", "李秀英", "张伟"], [ID1, ID2, ID3]
    summary = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["网点", "笔数"], ["朝阳支行", 3]]})
    path = with_external_link(summary, tmp_path / "linked.xlsx", ids, names)
    occurrences, coverage = found(path, key)
    assert coverage.problems == []
    assert sorted((o.entity_type, o.location["sheet"], o.location["cell"], o.container.rsplit("!", 1)[1])
                  for o in occurrences) == sorted(
        [("PERSON", "外部链接1-客户", f"A{n + 2}", "姓名") for n in range(3)]
        + [("CN_RESIDENT_ID", "外部链接1-客户", f"B{n + 2}", "证件号码") for n in range(3)])


LINK = "xl/externalLinks/externalLink1.xml"


def with_link_part(tmp_path: Path, edit) -> Path:
    """A workbook linking to 客户名单.xlsx (``with_external_link``: the sheets 其他, empty, and 客户,
    its customers), its external link part's XML text passed through ``edit``."""
    summary = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["网点", "笔数"], ["朝阳支行", 3]]})
    linked = with_external_link(summary, tmp_path / "linked.xlsx", [ID1, ID2], ["王建国", "李秀英"])
    with zipfile.ZipFile(linked) as archive:
        link = archive.read(LINK).decode()
    return rewrite(linked, tmp_path / "edited.xlsx", {LINK: edit(link).encode()})


def test_an_external_link_of_thousands_of_sheets_is_read_in_one_pass(tmp_path, monkeypatch):
    """A 6 KB workbook whose external link part caches 4,000 empty sheets took 33 s (1,000: 1.6 s):
    the part was read once to list its sheets, then again for each. It is now read once, each
    sheet as the pass meets it (the part's openings counted, not timed)."""
    from pii_audit.sources.sheet_rows import xlsx_sheets

    path = with_link_part(tmp_path, lambda link: link.replace(
        '<sheetData sheetId="0"/>', '<sheetData sheetId="0"/>' * 1_000))
    opened, real = [], zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda archive, name, *args, **kwargs: opened.append(
        getattr(name, "filename", name)) or real(archive, name, *args, **kwargs))
    sheets = [(name, [values for _, _, values in rows]) for name, rows in xlsx_sheets(str(path))]
    assert len(sheets) == 1_002 and sheets[1] == ("外部链接1-其他", [])
    assert sheets[-1] == ("外部链接1-客户", [["姓名", "证件号码", "金额"], ["王建国", ID1, "100.5"],
                                             ["李秀英", ID2, "201"]])
    assert opened.count(LINK) == 2  # xlsx_guard's check for a DTD, then the one pass


def test_a_linked_sheet_read_in_part_is_skipped_for_the_next(tmp_path):
    """A cached sheet sampled (its first rows read), then the next one: read from its own start."""
    path = with_link_part(tmp_path, lambda link: link.replace(
        '<sheetData sheetId="0"/>', '<sheetData sheetId="0"><row r="1"><cell r="A1" t="str"><v>手机</v></cell>'
        f'</row><row r="2"><cell r="A2" t="str"><v>{PHONE}</v></cell></row><row r="3"><cell r="A3" t="str">'
        f'<v>{CARD}</v></cell></row></sheetData>'))
    chunks, coverage = read(path, ScanOptions(sample_rows=1))
    texts = {(chunk.location["sheet"], chunk.text) for chunk in chunks}
    assert coverage.problems == [] and not any(text == CARD for _, text in texts)
    assert {("外部链接1-其他", PHONE), ("外部链接1-客户", "王建国"), ("外部链接1-客户", ID1)} <= texts


@pytest.mark.parametrize("edit, sheet", [
    pytest.param(lambda link: link.replace("</sheetData></sheetDataSet>", "</sheetData><sheetData sheetId=\"0\">"
                                           "</sheetDataSet>"), "外部链接1-其他", id="in-a-sheet"),
    pytest.param(lambda link: link.replace("<sheetNames>", "<sheetNames><sheetName>"), "外部链接1", id="before-any"),
])
def test_a_damaged_external_link_part_is_one_problem_line_naming_its_sheet(tmp_path, edit, sheet):
    """An external link part of damaged XML made the whole workbook "unreadable (ExpatError)" once
    its worksheets were read, its document properties and embedded files left unread. Each link
    part is read in one pass now, its damage one problem line on the cached sheet it falls in (or
    on 外部链接N, naming the part, when it falls in none), the sheets before it read."""
    path = with_link_part(tmp_path, edit)
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!{sheet}: unreadable: malformed XML (ExpatError)"]
    found_ids = {chunk.text for chunk in chunks if chunk.location["sheet"].startswith("外部链接")}
    assert found_ids >= ({ID1, ID2} if sheet != "外部链接1" else set())


def test_a_linked_sheets_row_or_id_of_5000_digits_costs_no_more_than_its_row(tmp_path):
    """A row's r= or a sheetData's sheetId= of 5,000 digits in an external link part made the
    cached sheets after it "unreadable (ValueError)": int() refuses it. The row reads as the row
    after the last one, and the id, naming no sheet, as itself."""
    digits = "5" * 5000
    path = with_link_part(tmp_path, lambda link: link.replace('<row r="2">', f'<row r="{digits}">').replace(
        '<sheetData sheetId="0"/>', f'<sheetData sheetId="{digits}"/>'))
    chunks, coverage = read(path)
    assert coverage.problems == []
    assert {c.text for c in chunks if c.location["sheet"] == "外部链接1-客户"} >= {ID1, ID2}


@pytest.mark.parametrize("cell, reason", [
    pytest.param('<cell r="XFE1"><v>1</v></cell>', xlsx_book.NO_COLUMN, id="past-XFD"),
    pytest.param(f'<cell r="A1" t="str"><v>{"x" * (2**20 + 1)}</v></cell>',
                 "unreadable: a cell of more than 1,048,576 characters", id="too-long"),
])
def test_a_damaged_cell_of_a_linked_sheet_leaves_the_next_one_read(tmp_path, cell, reason):
    """Read in one pass, a linked sheet's damaged cell raised inside expat, which stopped the
    pass: the sheets the part caches after it were lost. The damaged sheet is one problem line,
    and the pass goes on to the next."""
    path = with_link_part(tmp_path, lambda link: link.replace(
        '<sheetData sheetId="0"/>', f'<sheetData sheetId="0"><row r="1">{cell}</row></sheetData>'))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!外部链接1-其他: {reason}"]
    assert {c.text for c in chunks if c.location["sheet"] == "外部链接1-客户"} >= {ID1, ID2}


def test_a_linked_cell_past_xfd_is_left_out_and_the_rest_of_its_sheet_read(tmp_path):
    """A cached cell past column XFD ended its linked sheet: the customers after it were lost,
    where a worksheet's such cell is left out and the sheet read on. It is now left out the same
    way, with one problem line on its own sheet: the one-pass parse runs ahead of the sheet being
    read (其他, here), so the cell is counted only when its sheet (客户) reaches it."""
    path = with_link_part(tmp_path, lambda link: link.replace(
        '<cell r="A2" t="str">', '<cell r="XFE2" t="str"><v>远</v></cell><cell r="XFF2"><v>1</v></cell>'
        '<cell r="A2" t="str">'))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!外部链接1-客户: {xlsx_book.NO_COLUMN}"]
    linked = {(c.location["cell"], c.text) for c in chunks if c.location["sheet"] == "外部链接1-客户"}
    assert {("B2", ID1), ("B3", ID2), ("A3", "李秀英")} <= linked
    assert "远" not in {text for _, text in linked}


def test_sheet_names_holding_line_breaks_are_one_problem_line(tmp_path):
    """A sheet named "客&#10;户" in workbook.xml (or an external link's sheetName so) split every
    problem line about it in two. Line breaks and control characters in a sheet's name read as
    "?", in its problem lines, locations and containers alike."""
    def edit(link):
        return link.replace('<sheetName val="其他"/>', '<sheetName val="其&#10;他"/>').replace(
            '<sheetData sheetId="0"/>', '<sheetData sheetId="0"><row r="1"><cell r="XFE1"><v>1</v></cell></row>'
            '</sheetData>')

    path = with_link_part(tmp_path, edit)
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
    assert 'name="汇总"' in workbook
    path = rewrite(path, tmp_path / "names.xlsx", {
        "xl/workbook.xml": workbook.replace('name="汇总"', 'name="汇&#13;&#10;总&#x85;"').encode(),
        "xl/worksheets/sheet1.xml": sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>网点</t></is></c></row>'
                                              '<row r="2"><c r="XFE2"><v>1</v></c></row>')})
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!汇??总?: {xlsx_book.NO_COLUMN}", f"{path}!外部链接1-其?他: {xlsx_book.NO_COLUMN}"]
    # Read past the damaged 其?他, and 汇??总?'s row before its damaged cell.
    assert {c.location["sheet"] for c in chunks} == {"汇??总?", "外部链接1-客户"}


def test_a_cell_reference_that_names_no_column_is_one_problem_line(tmp_path):
    """A cell whose reference is no column's letters ("$1") gave a negative column, and placing
    it filled the row with as many empty values as it was negative: unbounded memory for one
    cell. It is left out, as a cell past Excel's last column is, and the rest of its row read."""
    src = make_xlsx(tmp_path / "src.xlsx", {"Sheet": [["a"]]})
    body = sheet_xml('<row r="1"><c r="B1" t="inlineStr"><is><t>x</t></is></c>'
                     '<c r="@@@@1" t="inlineStr"><is><t>y</t></is></c></row>')
    path = rewrite(src, tmp_path / "bad.xlsx", {"xl/worksheets/sheet1.xml": body})
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!Sheet: {xlsx_book.NO_COLUMN}"]
    assert [(c.location["cell"], c.text) for c in chunks if "cell" in c.location] == [("B1", "x")]


def test_deleting_a_pivot_table_verifies_its_items_once_the_workbook_is_read_in_full(tmp_path, capsys):
    """The remedy for a pivot cache full of IDs is to delete the pivot table; its containers are
    then gone, and a container no scan reads was never verified. A spreadsheet container that a
    workbook read in full no longer holds is verified; a sampled read verifies nothing."""
    from pii_audit.cli import main

    rng = random.Random(13)
    summary = make_xlsx(tmp_path / "summary.xlsx", {"汇总": [["网点", "笔数"]] + [["朝阳支行", n] for n in range(3)]})
    path = with_pivot_cache(summary, tmp_path / "报表.xlsx", [resident_id(rng) for _ in range(2)],
                            ["139" + mobile(rng)[3:] for _ in range(2)], ["王建国", "张伟"])
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"

    def run(*argv) -> str:
        try:
            main(list(argv))
        except SystemExit as done:
            assert done.code in (0, 1), capsys.readouterr().err
        return capsys.readouterr().out

    def statuses() -> set[tuple[str, str]]:
        items = json.loads(run("ledger", "list", "--format", "json", "--ledger", ledger))
        return {(i["container"].rsplit("!", 1)[1], i["status"]) for i in items}

    run("scan", str(path), "--full", "--quiet", "--ledger", ledger)
    assert statuses() == {("客户姓名", "open"), ("证件号码", "open"), ("手机号", "open")}
    path.write_bytes(summary.read_bytes())  # the pivot table deleted, and its cache with it
    run("scan", str(path), "--sample", "1", "--quiet", "--ledger", ledger)
    assert statuses() == {("客户姓名", "open"), ("证件号码", "open"), ("手机号", "open")}
    run("scan", str(path), "--full", "--quiet", "--ledger", ledger)
    assert statuses() == {("客户姓名", "verified"), ("证件号码", "verified"), ("手机号", "verified")}


def test_a_number_past_any_date_under_a_date_format_reads_as_the_number(tmp_path):
    """A cell of 1e308 under a date format (a damaged or hostile workbook's) overflowed in
    ``excel_date`` (OverflowError: the sheet unreadable past its first rows); it reads as the
    number, as one past 9999-12-31 does, and the rows after it are read."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期"])
    sheet.append([1e308])
    sheet["A2"].number_format = "yyyy-mm-dd"
    sheet.append([PHONE])
    book.save(tmp_path / "d.xlsx")
    chunks, coverage = read(tmp_path / "d.xlsx")
    assert coverage.problems == [] and [c.text for c in chunks] == ["日期", render(1e308), PHONE]


def test_a_sheet_listed_many_times_is_read_once(tmp_path):
    """A workbook part listing one worksheet part under several names (Excel never does; a few KB
    could list it 65,536 times) read it again for each: its values were found and counted once a
    name. It is read once, under its first name, as in an .xlsb."""
    book = openpyxl.Workbook()
    book.active.title = "客户"
    book.active.append(["身份证号"])
    book.active.append([ID1])
    book.save(tmp_path / "src.xlsx")
    with zipfile.ZipFile(tmp_path / "src.xlsx") as archive:
        workbook = archive.read("xl/workbook.xml").decode()
    listed = re.search(r"<sheet [^>]*/>", workbook).group()
    again = "".join(listed.replace('name="客户"', f'name="副本{n}"').replace('sheetId="1"', f'sheetId="{n + 2}"')
                    for n in range(3))
    path = rewrite(tmp_path / "src.xlsx", tmp_path / "listed.xlsx",
                   {"xl/workbook.xml": workbook.replace(listed, listed + again).encode()})
    chunks, coverage = read(path)
    assert [(c.location["sheet"], c.text) for c in chunks] == [("客户", "身份证号"), ("客户", ID1)]


def test_a_workbook_listing_more_sheets_than_an_xlsb_may_is_refused(tmp_path):
    """Each sheet a workbook part lists was held until the part's end: 3 million (an 8.6 MB
    workbook) took 578 MB, and a list of one name repeated compresses a thousandfold. Past
    MAX_SHEETS (65,536, as in an .xlsb) the workbook is refused in one line."""
    src = make_xlsx(tmp_path / "src.xlsx", {"客户": [["身份证号"], [ID1]]})
    with zipfile.ZipFile(src) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
    listed = re.search(r"<sheet [^>]*/>", workbook).group()
    path = rewrite(src, tmp_path / "listed.xlsx", {"xl/workbook.xml": workbook.replace(listed, listed * 65_537).encode()})
    chunks, coverage = read(path)
    assert chunks == [] and lines(coverage) == [f"{path}: refused: more than 65,536 sheets"]
    path = rewrite(src, tmp_path / "listed.xlsx", {"xl/workbook.xml": workbook.replace(listed, listed * 65_536).encode()})
    chunks, coverage = read(path)
    assert coverage.problems == [] and [c.text for c in chunks] == ["身份证号", ID1]


def test_an_external_link_part_naming_more_sheets_than_a_workbook_may_hold(tmp_path):
    """An external link part's sheet names were held whole: 5 million took 358 MB. Past
    MAX_SHEETS they are not kept (a sheet is then named by its id)."""
    from pii_audit.sources.sheet_rows import xlsx_sheets

    many_names = with_link_part(tmp_path, lambda link: link.replace(
        "</sheetNames>", '<sheetName val="名单"/>' * 500_000 + "</sheetNames>"))
    tracemalloc.start()
    try:
        names = [name for name, rows in xlsx_sheets(str(many_names)) if list(rows) is not None]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert names == ["汇总", "外部链接1-其他", "外部链接1-客户"]
    assert peak < 16 << 20  # the names alone took 39 MB


def test_an_external_link_part_caching_more_sheets_than_a_workbook_may_hold_stops(tmp_path, monkeypatch):
    """Each sheetData an external link part caches is a sheet: past MAX_SHEETS the part stops,
    in one line naming it."""
    from pii_audit.sources import xlsx_caches

    monkeypatch.setattr(xlsx_caches, "MAX_SHEETS", 100)
    path = with_link_part(tmp_path, lambda link: link.replace('<sheetData sheetId="0"/>', '<sheetData sheetId="0"/>' * 200))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!外部链接1: refused: an external link part caching more than 100 sheets"]
    assert len({c.location["sheet"] for c in chunks}) == 1  # 汇总: the cached sheets read are empty


def test_a_style_of_unicode_digits_leaves_the_sheet_readable(tmp_path):
    """``"²".isdigit()`` is true and ``int("²")`` fails: a number cell styled ``s="²"`` made the
    sheet "unreadable (ValueError)", its rows after it lost. The cell reads as a plain number."""
    book = openpyxl.Workbook()
    book.active.append(["手机号"])
    book.active.append([int(PHONE)])
    book.active["A2"].number_format = "0"
    book.active.append([ID1])
    book.save(tmp_path / "src.xlsx")
    with zipfile.ZipFile(tmp_path / "src.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert ' s="1"' in sheet
    path = rewrite(tmp_path / "src.xlsx", tmp_path / "s.xlsx",
                   {"xl/worksheets/sheet1.xml": sheet.replace(' s="1"', ' s="²"').encode()})
    chunks, coverage = read(path)
    assert coverage.problems == [] and [c.text for c in chunks] == ["手机号", PHONE, ID1]


def test_a_comments_part_named_by_several_sheets_is_read_for_the_first(tmp_path, key, monkeypatch):
    """Sheets whose relationships all name one comments part (Excel names each for one sheet) had
    it read again for each: 400 sheets naming a part of a million characters took 24 s, its
    comments found once a sheet. It is read once, for the first sheet naming it, as a sheet
    listed twice is (the part's openings counted, not timed)."""
    path = commented_workbook(tmp_path / "src.xlsx")
    rels = "xl/worksheets/_rels/sheet2.xml.rels"
    with zipfile.ZipFile(path) as archive:
        text = archive.read(rels).decode()
    assert "comment2.xml" in text
    path = rewrite(path, tmp_path / "shared.xlsx", {rels: text.replace("comment2.xml", "comment1.xml").encode()})
    opened, real = [], zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda archive, name, *args, **kwargs: opened.append(
        getattr(name, "filename", name)) or real(archive, name, *args, **kwargs))
    occurrences, coverage = found(path, key)
    assert [(o.entity_type, o.location["sheet"], o.location["cell"]) for o in occurrences if o.location.get("comment")
            ] == [("CN_RESIDENT_ID", "客户", "B2")]
    assert opened.count("xl/comments/comment1.xml") == 2  # xlsx_guard's check for a DTD, then its one reading


def test_a_comments_part_named_many_times_is_read_once(tmp_path, key):
    """A sheet whose relationships name its comments part several times (Excel never does) had
    each comment read, found and counted once a name; the part is read once, in an .xlsx as an
    .xlsb already was."""
    path = commented_workbook(tmp_path / "src.xlsx")
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    with zipfile.ZipFile(path) as archive:
        text = archive.read(rels).decode()
    named = re.search(r"<Relationship [^>]*comments\"[^>]*/>", text).group()
    again = "".join(named.replace('Id="comments"', f'Id="again{n}"') for n in range(3))
    twice = rewrite(path, tmp_path / "named.xlsx", {rels: text.replace(named, named + again).encode()})
    coverage = TargetCoverage(str(twice))
    occurrences = list(Detector(key).detect(read_target(str(twice), ScanOptions(), coverage)))
    assert [(o.entity_type, o.location["cell"]) for o in occurrences if o.location.get("comment")] == [
        ("CN_RESIDENT_ID", "B2"), ("CN_MOBILE_PHONE", "C7")]
    assert coverage.problems == []


def test_sheets_whose_relationships_a_damaged_zip_lost_are_problem_lines(tmp_path, key):
    """A byte changed in a zip directory entry's name length swallows the entries after it, and
    zipfile raises nothing: a workbook that lost xl/_rels/workbook.xml.rels read as complete and
    empty, and a rescan would have taken its findings for fixed. Each sheet so lost is one
    problem line, and the target is not fully scanned."""
    book = openpyxl.Workbook()
    book.active.title = "客户"
    book.active.append(["手机号"])
    book.active.append([mobile(random.Random(3))])
    book.create_sheet("其他").append(["备注"])
    book.save(tmp_path / "a.xlsx")
    with zipfile.ZipFile(tmp_path / "a.xlsx") as old, zipfile.ZipFile(tmp_path / "坏.xlsx", "w") as new:
        for info in old.infolist():
            if info.filename != "xl/_rels/workbook.xml.rels":
                new.writestr(info, old.read(info.filename))
    coverage = TargetCoverage(str(tmp_path / "坏.xlsx"))
    chunks = list(as_chunks(read_spreadsheet(str(tmp_path / "坏.xlsx"), ScanOptions(), coverage)))
    assert {chunk.location.get("part") for chunk in chunks} <= {"docProps/core.xml", "docProps/app.xml"}
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (f"{tmp_path / '坏.xlsx'}!{name}", xlsx_book.UNLINKED) for name in ("客户", "其他")]
