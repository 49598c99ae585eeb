"""OpenDocument spreadsheets (.ods): LibreOffice's own files read as the xlsx they were saved from
and as python-calamine reads them; hostile packages refused in one line each."""

from __future__ import annotations


import importlib.util
import json
import random
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from conftest import DATA
from ods_helpers import (
    HEAD, SPREADSHEET, TAIL, cell, content_xml, empty_tail, manifest, row, table, write_ods,
)
from pii_audit.cli import cli
from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks
from pii_audit.sources import xlsx_guard
from pii_audit.sources.cell_text import render
from pii_audit.sources import ods_stream
from pii_audit.sources.ods_stream import MAX_REPEATED_CELLS, ods_sheets
from pii_audit.sources.sheet_rows import xlsx_sheets
from pii_audit.sources.xlsx_book import NO_COLUMN
from pii_audit.sources.spreadsheets import read_spreadsheet
from scan_helpers import detector_for
from zip_helpers import rewrite

FIXTURES = DATA / "ods"
CUSTOMERS, EXPORT, FLAT = FIXTURES / "customers.ods", FIXTURES / "export.ods", FIXTURES / "export.fods"
_spec = importlib.util.spec_from_file_location("make_ods_fixtures", FIXTURES / "make_ods_fixtures.py")
made = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(made)
RAW = [*made.IDS, *made.MOBILES, made.NOTE_MOBILE, made.CARD, *made.CSV_IDS]
FULL = ScanOptions(sample_rows=None)
ODT = "application/vnd.oasis.opendocument.text"


def our_cells(path: Path, flat: bool = False) -> dict[tuple[str, int, int], str]:
    """Return ``{(sheet, row number, column index): text}`` of every non-empty cell ods_sheets reads."""
    return {(name, number, column): value for name, rows in ods_sheets(str(path), flat=flat)
            for number, first, values in rows for column, value in enumerate(values, first) if value}


def calamine_cells(path: Path) -> dict[tuple[str, int, int], str]:
    """Return the same of python-calamine's values, rendered as our readers render values."""
    book = CalamineWorkbook.from_path(str(path))
    cells = {}
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        left = sheet.start[1] if sheet.start else 0  # iter_rows() starts at row 1 but at the first used column
        for number, values in enumerate(sheet.iter_rows(), 1):
            cells.update({(name, number, column): render(value)
                          for column, value in enumerate(values, left) if render(value)})
    return cells


def read(path: Path, options: ScanOptions = FULL) -> tuple[list, TargetCoverage]:
    coverage = TargetCoverage(str(path))
    return list(as_chunks(read_spreadsheet(str(path), options, coverage))), coverage


def found(path: Path, key: bytes, options: ScanOptions = FULL) -> tuple[list, TargetCoverage]:
    coverage = TargetCoverage(str(path))
    return list(detector_for(key).detect(read_spreadsheet(str(path), options, coverage))), coverage


def lines(coverage: TargetCoverage) -> list[str]:
    return [f"{p.where}: {p.reason}" for p in coverage.problems]


# LibreOffice's own files


def test_an_ods_libreoffice_saved_from_an_xlsx_reads_as_that_xlsx(tmp_path):
    made.customers_xlsx(tmp_path / "customers.xlsx")  # the workbook customers.ods was converted from
    from_xlsx, from_ods = {}, {}
    xlsx = {name: [(n, f, list(v)) for n, f, v in rows] for name, rows in xlsx_sheets(
        str(tmp_path / "customers.xlsx"), from_xlsx)}
    ods = {name: list(rows) for name, rows in ods_sheets(str(CUSTOMERS), from_ods)}
    assert ods == xlsx and list(ods) == ["客户", "Accounts", "备用"]  # the hidden sheet too
    assert from_ods == {name: found for name, found in from_xlsx.items() if found} == {
        "客户": [("A2", f"客户来电{made.NOTE_MOBILE}")]}
    # Rows as xlsx gives them: those holding values; not LibreOffice's million empty rows after.
    assert [n for n, _, _ in ods["客户"]] == [1, 2, 3, 5, 7] and [n for n, _, _ in ods["备用"]] == [40]


@pytest.mark.parametrize("path", [CUSTOMERS, EXPORT], ids=lambda p: p.name)
def test_libreoffices_files_read_as_calamine_reads_them(path):
    ours = our_cells(path)
    assert ours == calamine_cells(path) and len(ours) >= 12


def test_a_flat_fods_reads_as_the_same_export_zipped():
    assert our_cells(FLAT, flat=True) == our_cells(EXPORT)


def test_values_are_read_as_stored_not_as_a_format_displays_them():
    with zipfile.ZipFile(CUSTOMERS) as archive:
        assert b"<text:p>1.38E+10</text:p>" in archive.read("content.xml")  # what LibreOffice displays
    cells, export = our_cells(CUSTOMERS), our_cells(EXPORT)
    assert [cells["客户", 2, column] for column in range(2, 7)] == [
        made.MOBILES[0], "2024-01-05", "12.5", "0.125", "a  b   c"]
    assert [cells["客户", 3, 3], cells["客户", 3, 6], cells["客户", 5, 3]] == [
        "2023-03-01 10:30:00", "第一行\n第二行", "09:15:00"]
    assert cells["客户", 7, 6] == "合并单元格" and ("客户", 7, 7) not in cells  # merged G7:H8: covered cells empty
    assert [export["export", 2, 3], export["export", 3, 3], export["export", 2, 1]] == [
        "TRUE", "FALSE", made.MOBILES[0]]


def test_findings_have_their_sheet_cell_header_and_the_comments_their_container(key):
    occurrences, coverage = found(CUSTOMERS, key)
    p = str(CUSTOMERS)
    got = sorted((o.entity_type, o.location["sheet"], o.location["cell"], o.container, "comment" in o.location)
                 for o in occurrences if o.entity_type.startswith("CN_"))
    assert got == sorted(
        [("CN_RESIDENT_ID", "客户", f"B{n}", f"{p}!客户!身份证号", False) for n in (2, 3, 5)]
        + [("CN_MOBILE_PHONE", "客户", f"C{n}", f"{p}!客户!手机号", False) for n in (2, 3, 5)]
        + [("CN_MOBILE_PHONE", "客户", "A2", f"{p}!客户!批注", True),  # the comment, not the cell's value
           ("CN_BANK_CARD", "Accounts", "A2", f"{p}!Accounts!银行卡号", False)])
    assert coverage.problems == [] and coverage.files == 1


def test_a_comment_past_the_sample_is_still_read(tmp_path, key):
    sheet = table("客户", row(cell("姓名")), *(row(cell(f"客户{n}")) for n in range(6)),
                  row(cell("王五", note=f"电话{made.NOTE_MOBILE}")))
    path = write_ods(tmp_path / "s.ods", content_xml(sheet, table("第二页", row(cell("身份证号")), row(cell(made.IDS[0])))))
    occurrences, coverage = found(path, key, ScanOptions(sample_rows=2))
    assert sorted((o.location["sheet"], o.location["cell"], o.entity_type) for o in occurrences) == [
        ("客户", "A8", "CN_MOBILE_PHONE"), ("第二页", "A2", "CN_RESIDENT_ID")]
    assert coverage.containers[f"{path}!客户!姓名"].sampled and not coverage.problems


def test_many_short_comments_count_toward_the_cap_on_a_sheets_comments(tmp_path, monkeypatch):
    """A sheet's comments are held until its rows are read, capped by their characters: 2 million
    comments of one character (a 641 KB file, repeated cells compressing well) held 299 MB, past
    no cap. Each comment now counts 150 characters more than its text (what holding one costs)."""
    monkeypatch.setattr(ods_stream, "MAX_COMMENT_CHARS", 100_000)
    noted = '<table:table-cell><office:annotation><text:p>a</text:p></office:annotation></table:table-cell>'
    path = write_ods(tmp_path / "notes.ods", content_xml(table("S", row(cell("h")), *[row(noted * 100)] * 10)))
    _, coverage = read(path)
    assert lines(coverage) == [f"{path}!S: refused: a sheet's comments of more than 100,000 characters "
                               "(each counted 150 more)"]
    path = write_ods(tmp_path / "notes.ods", content_xml(table("S", row(cell("h")), *[row(noted * 100)] * 6)))
    chunks, coverage = read(path)
    assert coverage.problems == [] and sum(c.text == "a" for c in chunks) == 600


def test_an_ots_template_is_read_and_an_ods_in_a_zip_too(tmp_path, key):
    from test_sources_archives import findings

    template = rewrite(EXPORT, tmp_path / "模板.ots", {"mimetype": SPREADSHEET.encode() + b"-template"})
    assert our_cells(template) == our_cells(EXPORT)
    renamed = tmp_path / "zipped.fods"  # a zipped .ods named as a flat one is read as the zip it is
    renamed.write_bytes(EXPORT.read_bytes())
    assert our_cells(renamed, flat=True) == our_cells(EXPORT)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "客户.ods").write_bytes(CUSTOMERS.read_bytes())
    with zipfile.ZipFile(tmp_path / "exports.zip", "w") as packed:
        packed.write(folder / "客户.ods", "客户.ods")
    inside, coverage = findings(str(tmp_path / "exports.zip"), key, sample_rows=None)
    on_disk, _ = findings(str(folder), key, sample_rows=None)
    assert sorted(inside) == sorted(on_disk) and len(inside) >= 8 and coverage.problems == []


# Written by hand: what both readers read alike, and where ours reads more


def random_cell(rng: random.Random) -> str:
    kind = rng.randrange(12)
    repeat = rng.choice([1, 1, 1, 2, 5])
    if kind == 0:
        return cell(repeat=rng.choice([1, 3, 200]), covered=rng.random() < 0.3)
    if kind == 1:
        return cell(str(value := rng.choice([13812345678, 0.1, -2.5, 1e-7, 6.222e18, 100])), repeat,
                    value_type="float", value=repr(float(value)))
    if kind == 2:
        return cell("12.5%", repeat, value_type="percentage", value="0.125")
    if kind == 3:
        return cell("¥3.00", repeat, value_type="currency", value="3", currency="CNY")
    if kind == 4:
        return cell("x", repeat, value_type="date", date_value=rng.choice(["2024-01-05", "2023-03-01T10:30:00"]))
    if kind == 5:
        return cell("x", repeat, value_type="time", time_value=rng.choice(["PT10H30M00S", "PT00H00M01.5S"]))
    if kind == 6:
        return cell("x", repeat, value_type="boolean", boolean_value=rng.choice(["true", "false"]))
    if kind == 7:
        return ('<table:table-cell office:value-type="string"><text:p>a<text:s text:c="3"/>b<text:span>c'
                '</text:span></text:p></table:table-cell>')
    if kind == 8:
        return cell("第一段\n第二段", repeat)
    if kind == 9:
        return cell("张三", note="备注")  # the comment is no part of the value
    return cell(rng.choice(["身份证号", "11010519491231002X", " 空格 ", "&<>\"'"]), repeat)


def random_rows(rng: random.Random) -> list[str]:
    return [row(*(random_cell(rng) for _ in range(rng.randint(0, 8))),
                repeat=rng.choice([1, 1, 1, 2, 40])) for _ in range(rng.randint(0, 30))]


@pytest.mark.parametrize("seed", range(25))
def test_generated_sheets_read_as_calamine_reads_them(tmp_path, seed):
    rng = random.Random(seed)
    sheets = [table(f"表{n}", *random_rows(rng)) for n in range(rng.randint(1, 3))]
    path = write_ods(tmp_path / "g.ods", content_xml(*sheets))
    assert our_cells(path) == calamine_cells(path)


@pytest.mark.parametrize("shaped", [
    pytest.param('<draw:frame><draw:text-box><text:p>{}</text:p></draw:text-box></draw:frame><text:p>张三</text:p>',
                 id="beside-the-paragraph"),
    pytest.param('<text:p>张三<draw:frame><draw:text-box><text:p>{}</text:p></draw:text-box></draw:frame></text:p>',
                 id="in-the-paragraph"),
])
def test_a_text_box_anchored_in_a_cell_is_read_as_more_lines_of_it(tmp_path, key, shaped):
    shaped = f'<table:table-cell office:value-type="string">{shaped.format(made.MOBILES[0])}</table:table-cell>'
    path = write_ods(tmp_path / "shape.ods", content_xml(table("S", row(cell("备注")), row(shaped))))
    assert our_cells(path) == calamine_cells(path)
    occurrences, _ = found(path, key)
    assert [(o.entity_type, o.location["cell"]) for o in occurrences] == [("CN_MOBILE_PHONE", "A2")]


def test_where_ours_reads_more_than_calamine(tmp_path):
    """Tabs and line breaks are kept, a cell with no value type or no value attribute is read by
    its text, a duration of a day or more is rendered, a covered cell keeping its content is read."""
    cells = ['<table:table-cell office:value-type="string"><text:p>a<text:tab/>b<text:line-break/>c'
             '</text:p></table:table-cell>',
             "<table:table-cell><text:p>无类型</text:p></table:table-cell>",
             cell("10", value_type="float"),
             cell(None, value_type="time", time_value="PT36H00M00S"),
             cell("隐藏的内容", covered=True)]
    path = write_ods(tmp_path / "more.ods", content_xml(table("S", row(*cells))))
    assert list(our_cells(path).values()) == ["a\tb\nc", "无类型", "10", "1 day, 12:00:00", "隐藏的内容"]
    assert list(calamine_cells(path).values()) != list(our_cells(path).values())


# Hostile and damaged packages: one line each, never an uncaught exception


def refused(path: Path) -> list[str]:
    chunks, coverage = read(path)
    assert chunks == []
    return lines(coverage)


@pytest.mark.parametrize("member, prolog", [
    pytest.param("content.xml", "billion-laughs", id="billion-laughs-content"),
    pytest.param("content.xml", "xxe", id="xxe-content"),
    pytest.param("META-INF/manifest.xml", "xxe", id="xxe-manifest"),
])
def test_a_dtd_is_refused(tmp_path, member, prolog):
    from test_sources_spreadsheets import BILLION_LAUGHS, XXE

    doctype = BILLION_LAUGHS if prolog == "billion-laughs" else XXE
    entity = "&lol9;" if prolog == "billion-laughs" else "&xxe;"
    replace = {"content.xml": content_xml(table("S", row(cell("x"))), prolog=doctype).replace(">x<", f">{entity}<"),
               "META-INF/manifest.xml": manifest().replace("?>", "?>" + doctype, 1)}
    path = write_ods(tmp_path / "bomb.ods", replace["content.xml"] if member == "content.xml"
                     else content_xml(table("S", row(cell("x")))),
                     manifest_xml=replace[member] if member != "content.xml" else None)
    assert refused(path) == [f"{path}: refused: {member} declares a DTD or entities (billion laughs / XXE?)"]


@pytest.mark.parametrize("name, make, reason", [
    pytest.param("enc.ods", lambda p: write_ods(p, bytes(range(256)) * 8, manifest_xml=manifest(encrypted=True)),
                 "encrypted .ods workbook (saved with a password): not read", id="password"),
    pytest.param("text.ods", lambda p: write_ods(p, content_xml(), mimetype=ODT),
                 "not an .ods workbook: an OpenDocument text file (is the extension wrong?)", id="odt-renamed"),
    pytest.param("nomime.ods", lambda p: write_ods(p, content_xml(), mimetype=None, manifest_xml=manifest(ODT)),
                 "not an .ods workbook: an OpenDocument text file (is the extension wrong?)", id="manifest-says-odt"),
    pytest.param("junk.ods", lambda p: write_ods(p, content_xml(), mimetype="\x00\xff<script>"),
                 "not an .ods workbook: no OpenDocument spreadsheet mimetype (is the extension wrong?)", id="junk-mime"),
    # What follows the ODF prefix is the file's own text: only the names ODF gives its kinds are repeated.
    pytest.param("named.ods", lambda p: write_ods(p, content_xml(), mimetype="application/vnd.oasis.opendocument.ZhangSan"),
                 "not an .ods workbook: no OpenDocument spreadsheet mimetype (is the extension wrong?)", id="name-in-mime"),
    pytest.param("named2.ods", lambda p: write_ods(p, content_xml(), mimetype=None,
                                                   manifest_xml=manifest("application/vnd.oasis.opendocument.张三")),
                 "not an .ods workbook: no OpenDocument spreadsheet mimetype (is the extension wrong?)",
                 id="name-in-manifest"),
    pytest.param("t.ods", lambda p: p.write_text("身份证号,11010519491231002X\n"),
                 "not an .ods workbook: no zip signature (is the extension wrong?)", id="text-named-ods"),
    pytest.param("x.ods", lambda p: p.write_bytes(xlsx_guard.OLE2_MAGIC + bytes(4096)),
                 "an OLE2/CFB file (an .xls renamed?), not an .ods zip", id="ole2-named-ods"),
    pytest.param("half.ods", lambda p: p.write_bytes(CUSTOMERS.read_bytes()[:7000]),
                 "unreadable: a corrupt zip structure or checksum (BadZipFile)", id="truncated-zip"),
    pytest.param("z.ods", lambda p: zipfile.ZipFile(p, "w").writestr("mimetype", SPREADSHEET),
                 "not an .ods workbook: the zip holds no content.xml", id="no-content"),
    pytest.param("none.ods", lambda p: write_ods(p, HEAD.replace("office:spreadsheet", "office:text") + "</office:text>"
                                                 "</office:body></office:document-content>"),
                 "not an OpenDocument spreadsheet: content.xml holds no office:spreadsheet", id="no-spreadsheet"),
    pytest.param("deep.ods", lambda p: write_ods(p, content_xml().replace("<office:body>", "<office:body>"
                                                                        + "<a>" * 1001 + "</a>" * 1001)),
                 "refused: elements nested over 1,000 deep in content.xml", id="nested-1001-deep"),
    pytest.param("e.ods", lambda p: p.write_bytes(b""), "empty file: nothing to read", id="empty"),
    pytest.param("text.fods", lambda p: p.write_text(content_xml().replace(
        "<office:document-content", f'<office:document office:mimetype="{ODT}"')),
                 "not a flat OpenDocument spreadsheet: its office:mimetype names no spreadsheet", id="fodt-renamed"),
])
def test_files_that_are_no_ods_workbook_are_one_line(tmp_path, name, make, reason):
    path = tmp_path / name
    make(path)
    assert refused(path) == [f"{path}: {reason}"]


def test_a_run_of_spaces_is_capped_in_memory(tmp_path):
    """200 cells each holding <text:s text:c="1000000"/>, a 962-byte file: each run of spaces is
    MAX_SPACES long; it was a megabyte, 200 MB held for the row (300 MB peak, 187 s to read)."""
    spaces = '<table:table-cell office:value-type="string"><text:p>x<text:s text:c="1000000"/>y</text:p></table:table-cell>'
    path = write_ods(tmp_path / "spaces.ods", content_xml(
        f'<table:table table:name="S"><table:table-row>{spaces * 200}</table:table-row></table:table>'))
    coverage = TargetCoverage(str(path))
    tracemalloc.start()
    try:
        texts = {c.text for c in as_chunks(read_spreadsheet(str(path), FULL, coverage))}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert texts == {"x" + " " * ods_stream.MAX_SPACES + "y"}
    assert peak < 50 * 2**20 and coverage.problems == []


def test_a_zip_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_guard, "MAX_RATIO", 100)
    path = write_ods(tmp_path / "bomb.ods", content_xml(table("S", row(cell("x")))) + " " * 2**21)
    (line,) = refused(path)
    assert line.startswith(f"{path}: refused: content.xml inflates") and line.endswith(":1 (zip bomb?)")


def test_damaged_xml_in_the_second_sheet_leaves_the_first_read(tmp_path, key):
    first = table("好", row(cell("证件号码")), row(cell(made.IDS[0])))
    damaged = table("坏", row(cell("证件号码")), row(cell(made.IDS[1]))).replace("</table:table-row>", "</table:row>", 1)
    path = write_ods(tmp_path / "half.ods", content_xml(first, damaged, table("后", row(cell(made.IDS[2])))))
    occurrences, coverage = found(path, key)
    assert [(o.location["sheet"], o.location["cell"]) for o in occurrences] == [("好", "A2")]
    assert lines(coverage) == [f"{path}!坏: content.xml is damaged: malformed XML (ExpatError); no sheet "
                               "after this point can be read"]


@pytest.mark.parametrize("rows, cells", [
    pytest.param(row(cell("a"), repeat=2_000_000), 1_048_576, id="a-value-row-repeated"),
    pytest.param(row(cell(), repeat=3_000_000) + row(cell("a")), 1, id="a-value-row-past-empty-ones"),
])
def test_rows_stop_at_excels_row_limit(tmp_path, rows, cells):
    path = write_ods(tmp_path / "rows.ods", content_xml(table("S", row(cell("身份证号")), rows)))
    assert path.stat().st_size < 2000
    _, coverage = read(path)
    assert lines(coverage) == [f"{path}!S: stopped at Excel's row limit (1,048,576 rows)"]
    assert (coverage.rows, coverage.cells) == (1_048_576, cells)


@pytest.mark.parametrize("rows", [
    pytest.param(row(cell("a", repeat=1_000_000_000), repeat=1_000_000), id="across-and-down"),
    pytest.param("".join(row(cell("a", repeat=16384)) for _ in range(300)), id="across-many-rows"),
])
def test_a_repetition_bomb_is_refused(tmp_path, rows):
    path = write_ods(tmp_path / "cells.ods", content_xml(table("S", row(cell("h")), rows)))
    _, coverage = read(path)
    assert lines(coverage) == [f"{path}: refused: its repeated rows and cells make more than "
                               f"{MAX_REPEATED_CELLS:,} cells (a repetition bomb?)"]


LONG = "备注" + "x" * 99_998  # 100,000 characters, no personal data


def value_chars(path: Path) -> int:
    """Return the characters of every value ods_sheets gives for ``path``."""
    return sum(len(value) for _, rows in ods_sheets(str(path)) for _, _, values in rows for value in values if value)


@pytest.mark.parametrize("body", [
    pytest.param(row(cell(LONG, repeat=16_000)), id="across"),
    pytest.param(row(cell(LONG), repeat=16_000), id="down"),
    pytest.param(row(cell(LONG, repeat=400), repeat=400), id="across-and-down"),
])
def test_a_long_value_repeated_is_copied_up_to_a_character_cap(tmp_path, key, body):
    """A 1.4 KB file repeating a 100,000-character value 16,000 times (under the cell cap) gave
    1.6 GB of text, which the detector joins a block at a time: 19 s and gigabytes to scan.
    Copies stop at MAX_REPEATED_CHARS characters, the further ones read as empty; the sheet is
    one problem line, and the rows after it, and the next sheet, are read."""
    path = write_ods(tmp_path / "long.ods", content_xml(
        table("S", row(cell("备注")), body, row(cell(made.IDS[0]))), table("T", row(cell(made.IDS[1])))))
    assert path.stat().st_size < 2000
    assert ods_stream.MAX_REPEATED_CHARS < value_chars(path) <= ods_stream.MAX_REPEATED_CHARS + 2 * len(LONG) + 100
    occurrences, coverage = found(path, key)
    assert lines(coverage) == [f"{path}!S: {ods_stream.REPEATS_CUT}"]
    assert [(o.location["sheet"], o.entity_type) for o in occurrences] == [("S", "CN_RESIDENT_ID"),
                                                                          ("T", "CN_RESIDENT_ID")]


def test_a_sample_of_a_long_value_repeated_down_reads_within_the_cap(tmp_path):
    """Copies of a row are counted as they are read: a sampled read of the rows above stays
    within the cap, and no line says the sheet was cut."""
    path = write_ods(tmp_path / "long.ods", content_xml(table("S", row(cell("备注")), row(cell(LONG), repeat=16_000))))
    chunks, coverage = read(path, ScanOptions(sample_rows=100))
    assert coverage.problems == [] and sum(len(c.text) for c in chunks) == len("备注") + 100 * len(LONG)


@pytest.mark.parametrize("body, reason", [
    pytest.param(row('<table:table-cell office:value-type="string"><text:p>' + '<text:s text:c="100"/>' * 10_500
                     + '</text:p></table:table-cell>'), "a cell or comment of more than 1,048,576 characters",
                 id="a-million-spaces-in-runs"),
])
def test_a_damaged_sheet_is_one_line(tmp_path, body, reason):
    path = write_ods(tmp_path / "d.ods", content_xml(table("S", row(cell("h")), body)))
    _, coverage = read(path)
    assert lines(coverage) == [f"{path}!S: unreadable: {reason}"]


def test_a_value_past_xfd_is_left_out_and_the_sheet_read_on(tmp_path):
    """A value past Excel's last column is one problem line for its sheet (as an xlsx sheet's):
    the row's other values and the rows after it are read; it refused the rest of the sheet."""
    body = (row(cell("姓名"), cell("手机号")), row(cell("王建国"), cell("13812345678"), cell(repeat=16382), cell("x")),
            row(cell(repeat=16384), cell("y")), row(cell("李秀英"), cell("13912345678")))
    path = write_ods(tmp_path / "d.ods", content_xml(table("S", *body)))
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!S: {NO_COLUMN}"]
    text = "\n".join(c.text for c in chunks)
    assert "13812345678" in text and "13912345678" in text and "李秀英" in text and "x" not in text.split()


@pytest.mark.parametrize("flat", [False, True], ids=["ods", "fods"])
def test_a_sheet_name_holding_a_line_break_is_one_problem_line(tmp_path, flat):
    """A table:name of "客&#10;户" (no application lets a person type it) split the problem line
    about its sheet in two. Line breaks and control characters in a sheet's name read as "?",
    in its problem lines, locations and containers alike."""
    content = content_xml(table("客户", row(cell("h")), row(cell(repeat=16384), cell("x"))))
    content = content.replace('table:name="客户"', 'table:name="客&#10;户&#x2028;"')
    if flat:
        path = tmp_path / "d.fods"
        path.write_text(content.replace("<office:document-content", f'<office:document office:mimetype="{SPREADSHEET}"')
                        .replace("</office:document-content>", "</office:document>"))
    else:
        path = write_ods(tmp_path / "d.ods", content)
    chunks, coverage = read(path)
    assert lines(coverage) == [f"{path}!客?户?: {NO_COLUMN}"]
    assert {c.location["sheet"] for c in chunks if "sheet" in c.location} == {"客?户?"}


def test_rows_read_after_the_next_sheet_raise():
    sheets = ods_sheets(str(CUSTOMERS))
    _, first = next(sheets)
    next(sheets)
    with pytest.raises(RuntimeError, match="after the next sheet"):
        next(first)


def mutations(data: bytes, rng: random.Random, count: int) -> bytes:
    data = bytearray(data)
    for _ in range(count):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def test_fuzzed_copies_give_findings_or_one_line_problems(tmp_path, key):
    """Byte-mutated copies of a real .ods, the zip's bytes and content.xml's inside a sound zip:
    each gives findings or problem lines of one line each, naming no value, never an exception."""
    rng = random.Random(20240105)
    original = CUSTOMERS.read_bytes()
    with zipfile.ZipFile(CUSTOMERS) as archive:
        content = archive.read("content.xml")
    path = tmp_path / "fuzz.ods"
    outcomes = set()
    for n in range(240):
        if n % 2:
            path.write_bytes(mutations(original, rng, rng.randint(1, 20)))
        else:
            rewrite(CUSTOMERS, path, {"content.xml": mutations(content, rng, rng.randint(1, 8))})
        occurrences, coverage = found(path, key)
        assert occurrences or coverage.problems
        for problem in coverage.problems:
            assert "\n" not in problem.reason and not any(raw in problem.reason for raw in RAW), problem.reason
        outcomes.add(bool(coverage.problems))
    assert outcomes == {True, False}  # some copies were read whole, some not


# End to end, and memory


def test_scan_command_writes_masked_jsonl_and_exits_1(tmp_path, monkeypatch):
    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    path = tmp_path / "客户.ods"
    path.write_bytes(CUSTOMERS.read_bytes())
    out = tmp_path / "found.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(path), "--jsonl", str(out), "--full",
                                      "--ledger", f"sqlite:///{tmp_path / 'ledger.db'}"])
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    cells = [r["location"] for r in records if "comment" not in r["location"]]
    assert {frozenset(location) for location in cells} == {frozenset({"path", "sheet", "cell", "start", "end"})}
    assert {(r["entity_type"], r["location"]["sheet"], r["location"]["cell"]) for r in records} >= {
        ("CN_RESIDENT_ID", "客户", "B2"), ("CN_MOBILE_PHONE", "客户", "C2"), ("CN_BANK_CARD", "Accounts", "A2"),
        ("CN_MOBILE_PHONE", "客户", "A2")}
    written = out.read_text(encoding="utf-8") + result.output + (tmp_path / "ledger.db").read_bytes().decode("latin-1")
    assert [raw for raw in RAW if raw in written] == []
    assert all(r["masked"] and "*" in r["masked"] for r in records if r["entity_type"].startswith("CN_"))


def big_content(rows: int):
    yield HEAD + '<table:table table:name="明细">' + row(cell("身份证号"), cell("手机号"), cell("金额"))
    for n in range(rows):
        yield row(cell(made.IDS[n % 3]), cell(made.MOBILES[n % 3], value_type="float", value=made.MOBILES[n % 3]),
                  cell(str(n), value_type="float", value=str(n)), cell(repeat=16381))
    yield empty_tail() + "</table:table>" + TAIL


def test_a_large_sheet_is_read_in_bounded_memory(tmp_path):
    path = write_ods(tmp_path / "big.ods", big_content(40_000))
    with zipfile.ZipFile(path) as archive:
        xml_bytes = archive.getinfo("content.xml").file_size
    tracemalloc.start()
    try:
        count = sum(1 for _, rows in ods_sheets(str(path)) for _ in rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 40_001 and xml_bytes > 15 * 2**20
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MB for {xml_bytes / 2**20:.0f} MB of XML"
