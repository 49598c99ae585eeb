"""The streamed xlsx reader gives python-calamine's values, by its expression and by expat alike."""

from __future__ import annotations

import datetime
import re
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks, xlsx_book, xlsx_plain, xlsx_stream
from pii_audit.sources.cell_text import render
from pii_audit.sources.spreadsheets import read_spreadsheet
from pii_audit.sources.xlsx_guard import WorkbookRefused
from zip_helpers import rewrite

SHEET = "xl/worksheets/sheet1.xml"
MAIN = xlsx_book.MAIN

VALUES = [
    "张三", "  padded  ", "two\nlines", "a & b < c > d \"q\" 'a'", "_x000D_ literal", "",
    1, 0, -3, 12.5, 13812345678, 6.22202123456789e18, 1.5e-07, 1e20,
    True, False,
    datetime.date(2024, 1, 5), datetime.datetime(2024, 1, 5, 10, 30), datetime.datetime(2024, 1, 5, 10, 30, 15, 250000),
    datetime.time(10, 30), datetime.timedelta(hours=30, minutes=5),
]
FORMATS = {"yyyy/mm/dd": 45296, "[h]:mm:ss": 1.5, "h:mm": 0.25, "0.00%": 0.5, 'yyyy"年"m"月"d"日"': 45296.5,
           "@": 45296, "#,##0": 1234567, "mmm-yy": 60, "yyyy-mm-dd": 59}


def fill(sheet, append) -> None:
    """Write the test values: a header, one value per row, formats, sparse and far cells."""
    append(["值", "备注"])
    for value in VALUES:
        append([value, "x"])
    for number_format, value in FORMATS.items():
        append([value, number_format])


def normal_workbook(path: Path, epoch=None) -> Path:
    """openpyxl's normal mode: formats, a formula, merged, sparse and far cells, a hidden sheet."""
    book = openpyxl.Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    sheet.title = "客户"
    fill(sheet, sheet.append)
    for row in sheet.iter_rows(min_row=len(VALUES) + 2):
        row[0].number_format = row[1].value
    sheet["D3"] = "=A3*2"
    sheet["E2"] = "合并"
    sheet.merge_cells("E2:F3")
    sheet["C100"] = "稀疏"
    sheet["AB7"], sheet["XFD9"] = "远", "最远"
    hidden = book.create_sheet("隐藏")
    hidden.sheet_state = "hidden"
    hidden["B2"] = "110101199003070011"
    book.create_sheet("空")
    book.create_chartsheet("图")
    book.save(path)
    return path


INLINE = re.compile(rb'<c r="(\w+)"((?: s="\d+")?) t="inlineStr"><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>')


def one_sheet_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "客户"
    book.active["A1"] = "值"
    book.save(path)
    return path


def shared_strings_workbook(path: Path, make=normal_workbook) -> Path:
    """A workbook with its strings moved to a shared strings table, as Excel stores them
    (openpyxl 3.1 writes every string inline)."""
    src = make(path.with_suffix(".inline.xlsx"))
    table: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        ref, style, text = match.groups()
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (ref, style, table.setdefault(text, len(table)))

    with zipfile.ZipFile(src) as archive:
        replace = {name: INLINE.sub(shared, archive.read(name)) for name in archive.namelist()
                   if name.startswith("xl/worksheets/")}
        rels = archive.read("xl/_rels/workbook.xml.rels")
        types = archive.read("[Content_Types].xml")
    items = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in table)
    replace["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}" count="{len(table)}">'.encode() + items + b"</sst>"
    replace["xl/_rels/workbook.xml.rels"] = rels.replace(b"</Relationships>", (
        b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings"/></Relationships>'))
    replace["[Content_Types].xml"] = types.replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    return rewrite(src, path, replace)


def write_only_workbook(path: Path) -> Path:
    """Inline strings with character references (openpyxl's write-only mode), two sheets."""
    book = openpyxl.Workbook(write_only=True)
    first = book.create_sheet("一")
    fill(first, first.append)
    second = book.create_sheet("二")
    for n in range(300):
        second.append([n, f"行{n}", None, "" if n % 3 else "x", n * 1.25])
    book.save(path)
    return path


def calamine_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Return ``{sheet: {(row, column): text}}`` as python-calamine reads and render() writes them."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    found = {}
    for meta in book.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        sheet = book.get_sheet_by_name(meta.name)
        offset = sheet.start[1] if sheet.start else 0
        found[meta.name] = {(number, column): render(value)
                            for number, values in enumerate(sheet.iter_rows(), 1)
                            for column, value in enumerate(values, offset) if render(value)}
    return found


def streamed_cells(path: Path, rows=xlsx_stream.sheet_rows) -> dict[str, dict[tuple[int, int], str]]:
    """Return the same from ``rows`` (the reader, or one of its two paths alone)."""
    with zipfile.ZipFile(path) as archive:
        book = xlsx_book.read_workbook(archive)
        return {name: {(number, column): value for number, first, values in rows(archive, member, book)
                       for column, value in enumerate(values, first) if value is not None}
                for name, member in book.sheets}


def plain_rows(archive: zipfile.ZipFile, member: str, book: xlsx_book.Workbook):
    """The rows the expression reads (raising ``_NotPlain`` where it gives up)."""
    return xlsx_plain.plain_rows(archive, member, xlsx_plain.PlainCells(book))


def both_paths(path: Path) -> tuple[dict, dict]:
    """Return the cells read by the expression (which raises if it gives up) and by expat."""
    return streamed_cells(path, plain_rows), streamed_cells(path, xlsx_stream._expat_rows)


@pytest.mark.parametrize("make", [
    pytest.param(normal_workbook, id="normal"),
    pytest.param(shared_strings_workbook, id="shared-strings"),
    pytest.param(write_only_workbook, id="inline-strings"),
    pytest.param(lambda path: normal_workbook(path, CALENDAR_MAC_1904), id="date1904"),
])
def test_values_as_calamine_gives_them_by_both_paths(tmp_path, make):
    path = make(tmp_path / "w.xlsx")
    fast, slow = both_paths(path)
    expected = calamine_cells(path)
    assert fast == slow == expected
    texts = {text for cells in fast.values() for text in cells.values()}
    assert len(texts) > 20
    if make is not write_only_workbook:
        assert {"13812345678", "6222021234567890000", "0.00000015", "TRUE", "2024-01-05",
                "2024-01-05 10:30:00", "1 day, 6:05:00", "a & b < c > d \"q\" 'a'", "最远"} <= texts


def test_rows_holding_values_numbered_the_empty_ones_left_out(tmp_path):
    path = normal_workbook(tmp_path / "w.xlsx")
    with zipfile.ZipFile(path) as archive:
        book = xlsx_book.read_workbook(archive)
        rows = list(xlsx_stream.sheet_rows(archive, book.sheets[0][1], book))
    assert [number for number, _, _ in rows] == [*range(1, len(VALUES) + len(FORMATS) + 2), 100]
    assert rows[-1] == (100, 2, ["稀疏"])
    assert [name for name, _ in book.sheets] == ["客户", "隐藏", "空"]  # the chartsheet is no worksheet


EXCEL_ROOT = (f'<worksheet xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
              'mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">')


def sheet_xml(rows: str, root: str = EXCEL_ROOT, end: str = "</worksheet>") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{root}<sheetData>{rows}</sheetData>{end}'.encode()


def with_sheet(tmp_path: Path, body: bytes, strings: bytes | None = None) -> Path:
    """The shared-strings workbook with its first sheet (and its strings) replaced."""
    src = shared_strings_workbook(tmp_path / "src.xlsx", one_sheet_workbook)
    replace = {SHEET: body}
    if strings is not None:
        replace["xl/sharedStrings.xml"] = strings
    return rewrite(src, tmp_path / "w.xlsx", replace)


@pytest.mark.parametrize("rows, plain", [
    pytest.param('<row r="1"><c r="A1" t="inlineStr"><is><r><t>rich</t></r><r><t> text</t></r>'
                 '<rPh><t>PH</t></rPh></is></c></row>', False, id="rich-inline-string"),
    pytest.param('<row r="1"><c r="A1"><v>1</v></c><c><v>2</v></c></row><row><c r="C2"><v>3</v></c></row>',
                 False, id="cells-and-rows-without-references"),
    pytest.param('<row r="1">\n  <c r="A1" t="inlineStr">\n    <is><t>a</t></is>\n  </c>\n</row>',
                 False, id="pretty-printed-cells"),
    pytest.param('<row r="1">\n  <c r="A1"><v>1</v></c>\n  <c r="B1"><v>2</v></c>\n</row>\n',
                 True, id="pretty-printed-rows"),
    pytest.param('<row r="1"><c r="A1" t="inlineStr"><is><t>line1\r\nline2&#13;x</t></is></c></row>',
                 False, id="carriage-returns"),
    pytest.param('<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<cdata>]]></t></is></c>'
                 '<!-- <c r="B1"><v>9</v></c> --></row>', False, id="cdata-and-comment"),
    pytest.param('<row r="1"><c r="A1" t="inlineStr"><is><t> spaced\t</t></is></c>'
                 '<c r="B1" t="inlineStr"><is><t xml:space="preserve"> kept </t></is></c>'
                 '<c r="C1" t="inlineStr"><is><t>&#32;&#x3000;全角&#x3000;&#32;</t></is></c></row>',
                 True, id="whitespace-round-inline-strings"),
    pytest.param('<row r="3" spans="1:4" x14ac:dyDescent="0.25"><c r="B3" s="0" t="b"><v>1</v></c>'
                 '<c r="C3" t="e"><v>#N/A</v></c><c r="D3" t="str"><f>"a"&amp;"b"</f><v>ab_x0041_</v></c>'
                 '<c r="E3" t="d"><v>2024-01-05T10:30:00</v></c><c r="F3"><v>abc</v></c><c r="G3"/></row>',
                 True, id="booleans-errors-formulas-iso-dates"),
])
def test_hand_written_sheets_as_calamine(tmp_path, rows, plain):
    path = with_sheet(tmp_path, sheet_xml(rows))
    fast, slow = both_paths(path) if plain else (None, streamed_cells(path, xlsx_stream._expat_rows))
    assert streamed_cells(path) == slow == calamine_cells(path)
    assert fast in (None, slow) and streamed_cells(path)["客户"]
    if not plain:
        with zipfile.ZipFile(path) as archive, pytest.raises(xlsx_plain.NotPlain):
            list(plain_rows(archive, SHEET, xlsx_book.read_workbook(archive)))


def test_shared_strings_runs_phonetics_escapes_and_whitespace_as_calamine(tmp_path):
    strings = (f'<sst xmlns="{MAIN}"><si><t>a_x000D_b_x005F_x000D_</t></si><si><r><rPr><b/></rPr><t>rich</t></r>'
               '<r><t xml:space="preserve"> text</t></r><rPh sb="0" eb="1"><t>PH</t></rPh></si>'
               '<si><t> trimmed </t></si><si><t>line1\r\nline2&#13;&amp;</t></si></sst>').encode()
    rows = "".join(f'<c r="{letter}2" t="s"><v>{n}</v></c>' for n, letter in enumerate("BCDE"))
    path = with_sheet(tmp_path, sheet_xml(f'<row r="2">{rows}</row>'), strings)
    fast, slow = both_paths(path)
    assert fast == slow == calamine_cells(path) == {"客户": {
        (2, 1): "a\rb_x000D_", (2, 2): "rich text", (2, 3): "trimmed", (2, 4): "line1\nline2\r&"}}


def test_prefixed_and_strict_namespaces_read_by_expat(tmp_path):
    prefixed = sheet_xml('<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>前缀</x:t></x:is></x:c></x:row>',
                         root=f'<x:worksheet xmlns:x="{MAIN}">', end="</x:worksheet>")
    path = with_sheet(tmp_path, prefixed.replace(b"<sheetData>", b"<x:sheetData>")
                      .replace(b"</sheetData>", b"</x:sheetData>"))
    assert streamed_cells(path)["客户"] == {(1, 0): "前缀"}
    strict = {}
    src = normal_workbook(tmp_path / "s.xlsx")
    with zipfile.ZipFile(src) as archive:
        for name in archive.namelist():
            strict[name] = (archive.read(name).replace(MAIN.encode(), xlsx_book.STRICT.encode())
                            .replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                     b"http://purl.oclc.org/ooxml/officeDocument/relationships"))
    path = rewrite(src, tmp_path / "strict.xlsx", strict)
    assert streamed_cells(path) == calamine_cells(path)


def test_a_sheet_left_to_expat_halfway_gives_each_row_once(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_plain, "BLOCK", 512)  # many blocks: the comment is in a late one
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="inlineStr"><is><t>第{n}行</t></is></c></row>'
                   for n in range(1, 200))
    rows = rows.replace('<row r="150">', '<!-- late --><row r="150">')
    path = with_sheet(tmp_path, sheet_xml(rows))
    with zipfile.ZipFile(path) as archive:
        book = xlsx_book.read_workbook(archive)
        numbers = [number for number, _, _ in xlsx_stream.sheet_rows(archive, SHEET, book)]
        fast = plain_rows(archive, SHEET, book)
        given = [number for number, _, _ in _until_not_plain(fast)]
    assert numbers == list(range(1, 200))
    assert 1 < len(given) < 150  # the expression gave the first rows before it gave up
    assert streamed_cells(path) == calamine_cells(path)


def _until_not_plain(rows):
    try:
        yield from rows
    except xlsx_plain.NotPlain:
        return


@pytest.mark.parametrize("prefix", [pytest.param("", id="expression"), pytest.param("<!-- expat -->", id="expat")])
def test_a_row_far_past_excels_last_makes_no_empty_rows(tmp_path, prefix):
    """Row 3,000,000 after row 1: the rows holding values are given, the empty ones between are
    left out (``spreadsheets`` counts them); they were made into a list whole first (450 MB by
    either path; 16 GB and 264 s for a row numbered 100 million, which only expat reads)."""
    path = with_sheet(tmp_path, sheet_xml(f'{prefix}<row r="1"><c r="A1"><v>1</v></c></row>'
                                          '<row r="3000000"><c r="A3000000"><v>2</v></c></row>'))
    with zipfile.ZipFile(path) as archive:
        book = xlsx_book.read_workbook(archive)
        tracemalloc.start()
        try:
            rows = list(xlsx_stream.sheet_rows(archive, SHEET, book))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [(number, first, list(values)) for number, first, values in rows] == [
        (1, 0, ["1"]), (3_000_000, 0, ["2"])]
    assert peak < 20 * 2**20


@pytest.mark.parametrize("rows, reason", [
    pytest.param('<row r="1"><c r="XFE1"><v>1</v></c></row>', xlsx_book.NO_COLUMN, id="past-XFD"),
    pytest.param('<row r="1"><c r="A1" t="s"><v>110101199003070011</v></c></row>',
                 xlsx_book.missing_string(0), id="bad-string-index"),
    pytest.param(f'<row r="1"><c r="A1" t="s"><v>{"5" * 5000}</v></c></row>',  # int() refused it: ValueError
                 xlsx_book.missing_string(0), id="string-index-of-5000-digits"),
])
def test_bad_cells_are_one_line_quoting_no_value(tmp_path, rows, reason):
    path = with_sheet(tmp_path, sheet_xml(rows), f'<sst xmlns="{MAIN}"/>'.encode())
    coverage = TargetCoverage(str(path))
    list(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage))
    assert [(p.where, p.reason) for p in coverage.problems] == [(f"{path}!客户", reason)]


DIGITS_5000 = "5" * 5000  # int() refuses a string of over 4,300 digits (Python's limit)


@pytest.mark.parametrize("rows", [
    pytest.param(f'<row r="3"><c s="{DIGITS_5000}" r="A3" t="n"><v>13812345679</v></c>'
                 '<c r="B3" t="inlineStr"><is><t>ok</t></is></c></row>', id="style-expression"),
    pytest.param(f'<!-- expat --><row r="3"><c s="{DIGITS_5000}" r="A3" t="n"><v>13812345679</v></c>'
                 '<c r="B3" t="inlineStr"><is><t>ok</t></is></c></row>', id="style-expat"),
    pytest.param(f'<!-- expat --><row r="2"><c r="A2"><v>1</v></c></row><row r="{DIGITS_5000}"><c r="A3"><v>13812345679</v>'
                 '</c><c r="B3" t="inlineStr"><is><t>ok</t></is></c></row>', id="row-expat"),
])
def test_a_style_or_row_number_of_5000_digits_costs_no_more_than_its_cell(tmp_path, rows):
    """A cell's s= or a row's r= of 5,000 digits made the whole sheet "unreadable (ValueError)":
    int() refuses it. It reads as no style (as python-calamine reads it), and as the row after the
    last one (as a row without r=); the sheet is read with no problem line."""
    path = with_sheet(tmp_path, sheet_xml(rows))
    coverage = TargetCoverage(str(path))
    list(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage))
    assert coverage.problems == []
    assert streamed_cells(path)["客户"].items() >= {(3, 0): "13812345679", (3, 1): "ok"}.items()


def ten_strings_sheet(tmp_path: Path, prefix: str, bad: str) -> Path:
    """A workbook of 10 shared strings whose sheet's rows 1-5 each read one (A) beside a number
    (B), row 3's string by the index ``bad``; ``prefix`` before the rows ("<!-- -->": expat)."""
    strings = f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>s{n}</t></si>" for n in range(10)) + "</sst>"
    rows = prefix + "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{bad if r == 3 else r}</v></c>'
                            f'<c r="B{r}"><v>1381234567{r}</v></c></row>' for r in range(1, 6))
    return with_sheet(tmp_path, sheet_xml(rows), strings.encode())


@pytest.mark.parametrize("prefix", [pytest.param("", id="expression"), pytest.param("<!-- expat -->", id="expat")])
@pytest.mark.parametrize("bad", ["99999", pytest.param("5" * 5000, id="5000-digits"), "-1"])
def test_a_shared_string_out_of_range_costs_its_cell_not_the_rest_of_the_sheet(tmp_path, prefix, bad):
    """A cell naming string 99,999 of a table of 10 refused the rest of its sheet: the rows before
    it were read (9d1cfd4), every row after it lost. It reads as empty and the sheet goes on, with
    one problem line, as a long string past the allowance (REPEATS_CUT)."""
    path = ten_strings_sheet(tmp_path, prefix, bad)
    coverage = TargetCoverage(str(path))
    cells = {(c.location["cell"], c.text) for c in as_chunks(read_spreadsheet(str(path), ScanOptions(), coverage))
             if "cell" in c.location}
    assert cells == {(f"B{r}", f"1381234567{r}") for r in range(1, 6)} | {(f"A{r}", f"s{r}") for r in (1, 2, 4, 5)}
    assert [(p.where, p.reason) for p in coverage.problems] == [(f"{path}!客户", xlsx_book.missing_string(10))]


@pytest.mark.parametrize("prefix", [pytest.param("", id="expression"), pytest.param("<!-- expat -->", id="expat")])
@pytest.mark.parametrize("reference", ["XFE3", "ZZZ3", pytest.param("$3", id="no-column")])
def test_a_shared_string_cell_past_xfd_costs_its_cell_not_the_rest_of_the_sheet(tmp_path, prefix, reference):
    """A damaged or hostile ``<c r="XFE3" t="s">`` refused the rest of its sheet: every row after
    it lost. It is left out and the sheet goes on, with one problem line, as a shared string out
    of range is (``NO_COLUMN`` beside ``missing_string``)."""
    path = ten_strings_sheet(tmp_path, prefix, "3")
    with zipfile.ZipFile(path) as archive:
        body = archive.read(SHEET).replace(b'<c r="A3" t="s">', f'<c r="{reference}" t="s">'.encode())
    path = rewrite(path, tmp_path / "xfe.xlsx", {SHEET: body})
    coverage = TargetCoverage(str(path))
    cells = {(c.location["cell"], c.text) for c in as_chunks(read_spreadsheet(str(path), ScanOptions(), coverage))
             if "cell" in c.location}
    assert cells == {(f"B{r}", f"1381234567{r}") for r in range(1, 6)} | {(f"A{r}", f"s{r}") for r in (1, 2, 4, 5)}
    assert [(p.where, p.reason) for p in coverage.problems] == [(f"{path}!客户", xlsx_book.NO_COLUMN)]


def test_a_sheet_with_cells_of_two_kinds_of_damage_says_each_once(tmp_path):
    """Two kinds of damaged cells in one block of a sheet each get their line, once (the sheet
    said only the last kind met)."""
    rows = ''.join(f'<row r="{r}"><c r="A{r}" t="s"><v>99</v></c><c r="XFE{r}"><v>1</v></c>'
                   f'<c r="B{r}"><v>1381234567{r}</v></c></row>' for r in (1, 2))
    path = with_sheet(tmp_path, sheet_xml(rows), f'<sst xmlns="{MAIN}"/>'.encode())
    coverage = TargetCoverage(str(path))
    cells = {c.text for c in as_chunks(read_spreadsheet(str(path), ScanOptions(), coverage)) if "cell" in c.location}
    assert cells == {"13812345671", "13812345672"}
    assert sorted(p.reason for p in coverage.problems) == sorted([xlsx_book.missing_string(0), xlsx_book.NO_COLUMN])


def test_a_bad_shared_string_is_counted_once_a_cell_by_both_paths(tmp_path):
    """Each cell naming a string the table does not hold is counted (``Charged.absent``), the
    expression's cache of rarer values notwithstanding; the cells beside and after it are read."""
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>手机</t></is></c></row>'
            '<row r="2"><c r="A2"><v>13812345678</v></c><c r="B2" t="s"><v>7</v></c></row>'
            '<row r="3"><c r="A3"><v>13912345678</v></c><c r="B3" t="s"><v>7</v></c></row>'
            '<row r="4"><c r="B4" t="s"><v>7</v></c></row><row r="5"><c r="A5"><v>1</v></c></row>')
    path = with_sheet(tmp_path, sheet_xml(rows), f'<sst xmlns="{MAIN}"/>'.encode())
    with zipfile.ZipFile(path) as archive:
        for read in (plain_rows, xlsx_stream._expat_rows):
            book = xlsx_book.read_workbook(archive)
            given = list(read(archive, SHEET, book))
            assert given == [(1, 0, ["手机"]), (2, 0, ["13812345678"]), (3, 0, ["13912345678"]), (5, 0, ["1"])], read
            assert book.missing == 3, read


@pytest.mark.parametrize("letters", [pytest.param("A" * 1_000_000, id="a-million-As"),
                                     pytest.param("$" * 1_000_000, id="a-million-dollars")])
def test_a_cell_reference_of_a_million_letters_is_one_line_at_once(tmp_path, letters):
    """A cell reference the expression does not read (more than three letters) goes to expat,
    which counted its column letter by letter, an ever larger integer times 26: 100,000 letters
    took 5 s, a million 9 minutes, for one cell. The count stops past XFD (or before A)."""
    path = with_sheet(tmp_path, sheet_xml(f'<row r="1"><c r="{letters}1"><v>1</v></c></row>'))
    coverage = TargetCoverage(str(path))
    list(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage))
    assert [(p.where, p.reason) for p in coverage.problems] == [(f"{path}!客户", xlsx_book.NO_COLUMN)]


BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                            for i in range(1, 10)) + "]>")


@pytest.mark.parametrize("member", ["<!-- expat -->", "xl/sharedStrings.xml", "xl/styles.xml"])
def test_elements_nested_over_the_cap_refuse_the_workbook(tmp_path, member):
    """Expat holds each open element's tag: a 73 KB workbook whose sharedStrings.xml nested 3
    million elements took 587 MB and 18 s. Past MAX_DEPTH (1,000) the workbook is refused."""
    src = shared_strings_workbook(tmp_path / "src.xlsx")
    part = SHEET if member.startswith("<!--") else member
    with zipfile.ZipFile(src) as archive:
        original = archive.read(part).decode()
    cut = original.index("</sheetData>") if part == SHEET else original.rindex("</")
    nested = (member if part == SHEET else "") + "<abcde>" * 1001 + "</abcde>" * 1001
    path = rewrite(src, tmp_path / "deep.xlsx", {part: (original[:cut] + nested + original[cut:]).encode()})
    coverage = TargetCoverage(str(path))
    list(as_chunks(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage)))
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (str(path), f"refused: elements nested over 1,000 deep in {part}")]


@pytest.mark.parametrize("member", [SHEET, "xl/sharedStrings.xml"])
def test_a_dtd_refuses_the_workbook_before_anything_is_expanded(tmp_path, member):
    src = shared_strings_workbook(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as archive:
        original = archive.read(member).decode()
    body = (BILLION_LAUGHS + original.replace("张三", "&lol9;")).encode()  # no XML declaration
    path = rewrite(src, tmp_path / "bomb.xlsx", {member: body})
    with zipfile.ZipFile(path) as archive, pytest.raises(WorkbookRefused, match="declares a DTD"):
        book = xlsx_book.read_workbook(archive)  # the reader refuses it even without the guard
        list(xlsx_stream.sheet_rows(archive, SHEET, book))
    coverage = TargetCoverage(str(path))
    chunks = list(as_chunks(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage)))
    assert chunks == [] and [(p.where, p.reason) for p in coverage.problems] == [
        (str(path), f"refused: {member} declares a DTD or entities (billion laughs / XXE?)")]


def test_an_undeclared_entity_makes_the_sheet_unreadable(tmp_path):
    path = with_sheet(tmp_path, sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'))
    coverage = TargetCoverage(str(path))
    list(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage))
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (f"{path}!客户", "unreadable: malformed XML (ExpatError)")]


NUMBER_FORMATS = [
    "General", "0", "0.00", "#,##0", "0%", "0.00E+00", "@", "yyyy-mm-dd", "yyyy/m/d", "m/d/yy h:mm",
    "h:mm", "h:mm:ss AM/PM", "mm:ss", "[h]:mm:ss", "[hh]:mm", "[m]", "[ss].0", "[mm]:ss", "mm:[ss]",
    'yyyy"年"m"月"d"日"', '[DBNum1][$-804]yyyy"年"m"月"d"日"', "[$-F800]dddd, mmmm dd, yyyy",
    "[$-F400]h:mm:ss AM/PM", "[Red]0.00", "[$¥-804]#,##0.00", "0.00_);[Red](0.00)", "_(* #,##0_)",
    '"date"0', "\\d0", "_d0", "yyyy;0", "0;yyyy", "dd/mm/yyyy;@", "e", "b", "g", "a/p", "AM/PM", "mmm",
    "[<=9999999]###-####;(###) ###-####", '0" days"', "#,##0.00 \"h\"", "[h]", "[H]:MM",
]


def test_number_formats_read_as_calamine_reads_them(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    for row, number_format in enumerate(NUMBER_FORMATS, 1):
        for column, value in enumerate((45296.4375, 0.25, 61), 1):
            sheet.cell(row, column, value).number_format = number_format
    book.save(tmp_path / "f.xlsx")
    fast, slow = both_paths(tmp_path / "f.xlsx")
    assert fast == slow == calamine_cells(tmp_path / "f.xlsx")


def with_styles(tmp_path: Path, number_formats: str, cell_styles: str) -> Path:
    """A workbook whose A2 is styled 1 (yyyy-mm-dd, as openpyxl writes it: numFmtId 164), its
    styles.xml given more number formats and more cell styles after its own."""
    book = openpyxl.Workbook()
    book.active.title = "客户"
    book.active.append(["日期"])
    book.active.append([45296])
    book.active["A2"].number_format = "yyyy-mm-dd"
    book.save(tmp_path / "src.xlsx")
    with zipfile.ZipFile(tmp_path / "src.xlsx") as archive:
        styles = archive.read("xl/styles.xml").decode()
    assert '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>' in styles
    styles = re.sub(r"(<numFmts[^>]*>)", lambda m: m[1] + number_formats, styles)
    styles = re.sub(r"(</cellXfs>)", lambda m: cell_styles + m[1], styles)
    return rewrite(tmp_path / "src.xlsx", tmp_path / "styled.xlsx", {"xl/styles.xml": styles.encode()})


def test_long_number_format_ids_are_not_held(tmp_path):
    """styles.xml was held as its cell styles' numFmtIds, whatever their length: 300,000 cell
    styles of 1,000-character ids (a 1.5 MB workbook) held 317 MB, and as many number formats
    as long. An id longer than an unsigned int's 10 digits names no format: it is not kept."""
    long_id = "9" * 1000
    path = with_styles(tmp_path, f'<numFmt numFmtId="{long_id}" formatCode="yyyy"/>' * 2,
                       f'<xf numFmtId="{long_id}" fontId="0"/>' * 20_000)
    with zipfile.ZipFile(path) as archive:
        tracemalloc.start()
        try:
            book = xlsx_book.read_workbook(archive)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 << 20  # the ids alone took 20 MB
    assert len(book.styles) == 20_002 and set(book.styles[2:]) == {xlsx_book.NUMBER}
    assert streamed_cells(path)["客户"] == {(1, 0): "日期", (2, 0): "2024-01-05"}


def test_number_formats_past_the_cap_refuse_the_workbook(tmp_path, monkeypatch):
    """Number formats are held (each kept by its id) until the cell styles are read: past
    MAX_NUMBER_FORMATS the workbook is refused in one line, as past MAX_CELL_STYLES."""
    monkeypatch.setattr(xlsx_book, "MAX_NUMBER_FORMATS", 100)
    path = with_styles(tmp_path, "".join(f'<numFmt numFmtId="{n}" formatCode="0"/>' for n in range(200, 299)), "")
    assert streamed_cells(path)["客户"] == {(1, 0): "日期", (2, 0): "2024-01-05"}  # 164 and 99 more
    path = with_styles(tmp_path, "".join(f'<numFmt numFmtId="{n}" formatCode="0"/>' for n in range(200, 300)), "")
    coverage = TargetCoverage(str(path))
    assert list(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage)) == []
    assert [(p.where, p.reason) for p in coverage.problems] == [(str(path), "refused: more than 100 number formats")]


def _rows_and_cells(rows) -> tuple[list[int], dict]:
    rows = list(rows)
    return ([number for number, _, _ in rows],
            {(number, column): value for number, first, values in rows
             for column, value in enumerate(values, first) if value is not None})


@pytest.mark.parametrize("rows, regular", [
    pytest.param("".join(f'<row r="{n}"><c r="B{n}"><v>{n}</v></c><c r="C{n}" t="inlineStr"><is><t>第{n}</t></is></c>'
                         f'<c r="D{n}" s="1"/></row>' for n in (1, 2, 3, 5, 9)), True, id="regular-with-gaps"),
    pytest.param('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
                 '<row r="2"><c r="A2" t="inlineStr"/><c r="B2"/></row>'
                 '<row r="3"><c r="A3"><v>3</v></c><c r="B3" t="b"><v>1</v></c></row>'
                 '<row r="4"><c r="A4"/><c r="B4"/></row>', True, id="regular-with-empty-rows"),
    pytest.param('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
                 '<row r="2"><c r="A2"><v>3</v></c></row><row r="3"><c r="B3"><v>4</v></c></row>', False,
                 id="ragged"),
    pytest.param('<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>2</v></c></row>'
                 '<row r="2"><c r="A2"><v>3</v></c><c r="C2"><v>4</v></c></row>', False, id="column-gap"),
    pytest.param('<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>2</v></c></row>', False, id="out-of-order"),
])
def test_blocks_typed_column_by_column_give_what_cell_by_cell_gives(tmp_path, rows, regular):
    path = with_sheet(tmp_path, sheet_xml(rows))
    with zipfile.ZipFile(path) as archive:
        book = xlsx_book.read_workbook(archive)
        by_columns, typed = xlsx_plain.PlainCells(book), []
        whole_rows = by_columns._regular
        by_columns._regular = lambda cells: typed.append(whole_rows(cells)) or typed[-1]
        by_column = _rows_and_cells(xlsx_plain.plain_rows(archive, SHEET, by_columns))
        assert [found is not None for found in typed] == [regular]
        cell_by_cell = xlsx_plain.PlainCells(book)
        cell_by_cell._regular = lambda cells: None
        by_cell = _rows_and_cells(xlsx_plain.plain_rows(archive, SHEET, cell_by_cell))
    assert by_column == by_cell
    assert by_column[1] == {key: value for key, value in calamine_cells(path)["客户"].items()}
    assert by_column[0] == sorted({number for number, _ in by_column[1]})  # rows holding values only


LONG = "备注" + "x" * 99_998  # 100,000 characters, no personal data


def given_chars(path: Path) -> tuple[int, str]:
    """Return the characters of the values the first sheet's rows give, and the error they end with."""
    chars, error = 0, ""
    with zipfile.ZipFile(path) as archive:
        try:
            for _, _, values in xlsx_stream.sheet_rows(archive, SHEET, xlsx_book.read_workbook(archive)):
                chars += sum(len(value) for value in values if value)
        except xlsx_book.SheetError as refused:
            error = str(refused)
    return chars, error


@pytest.mark.parametrize("rows", [
    pytest.param("".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>' for n in range(1, 16_001)),
                 id="column-by-column"),
    pytest.param("".join(f'<row r="{n}"><c r="{"A" if n % 2 else "C"}{n}" t="s"><v>0</v></c></row>'
                         for n in range(1, 16_001)), id="cell-by-cell"),
    pytest.param("<!-- expat -->" + "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'
                                            for n in range(1, 16_001)), id="expat"),
])
def test_a_long_shared_string_read_again_and_again_is_cut_in_one_line(tmp_path, rows):
    """A cell reads a shared string by a 30-byte reference however long the string: 16,000 cells
    reading one 100,000-character string (an 87 KB workbook) gave 1.6 GB of text, and 8,000 of
    them in two rows took 14 s and 2.5 GB to scan. A string's characters past FREE_CHARS count
    at each reading: past the table's own and MAX_REPEATED_CHARS more, its readings are empty and
    the sheet says so in one line, by either path. The sheet's other cells are read: refusing the
    sheet there lost them (an .ods's repeats past the cap read as empty so, ods_stream)."""
    strings = f'<sst xmlns="{MAIN}"><si><t>{LONG}</t></si></sst>'.encode()
    last = '<row r="16001"><c r="B16001" t="inlineStr"><is><t>末行</t></is></c></row>'
    path = with_sheet(tmp_path, sheet_xml(rows + last), strings)
    chars, error = given_chars(path)
    assert chars <= xlsx_book.MAX_REPEATED_CHARS * 1.001 + 2 * len(LONG) and error == ""
    coverage = TargetCoverage(str(path))
    chunks = list(as_chunks(read_spreadsheet(str(path), ScanOptions(sample_rows=None), coverage)))
    assert [(p.where, p.reason) for p in coverage.problems] == [(f"{path}!客户", xlsx_book.REPEATS_CUT)]
    assert "末行" in {chunk.text for chunk in chunks}


@pytest.mark.parametrize("packed", [False, True], ids=["listed", "packed"])
def test_short_shared_strings_read_again_and_long_ones_read_once_are_free(tmp_path, monkeypatch, packed):
    """What the cap counts: a long string past what the table holds. Strings of FREE_CHARS
    characters read 20,000 times each, and long strings read once each, are read whole."""
    if packed:
        monkeypatch.setattr(xlsx_book, "MAX_LISTED_STRINGS", 10)
    monkeypatch.setattr(xlsx_book, "MAX_REPEATED_CHARS", 1000)
    texts = ["短" * xlsx_book.FREE_CHARS, "长" * 5000, *(f"{n}" + "x" * 5000 for n in range(20))]
    strings = (f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{text}</t></si>" for text in texts) + "</sst>").encode()
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>' for n in range(1, 20_001))
    rows += "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 20_000}</v></c></row>' for n in range(20_001, 20_022))
    path = with_sheet(tmp_path, sheet_xml(rows), strings)
    chars, error = given_chars(path)
    assert (chars, error) == (20_000 * xlsx_book.FREE_CHARS + sum(map(len, texts[1:])), "")


def test_a_large_shared_strings_table_is_packed_and_read_alike(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_book, "MAX_LISTED_STRINGS", 100)
    texts = [f"客户{n}" if n % 3 else f"c{n}" for n in range(9000)]  # three blobs, the last partial
    strings = (f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{text}</t></si>" for text in texts) + "</sst>").encode()
    picked = [0, 1, 100, 4095, 4096, 8191, 8192, 8999]
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>{index}</v></c></row>' for n, index in enumerate(picked, 1))
    path = with_sheet(tmp_path, sheet_xml(rows), strings)
    with zipfile.ZipFile(path) as archive:
        table = xlsx_book.read_workbook(archive).strings
    assert isinstance(table, xlsx_book.StringTable) and len(table) == len(texts)
    assert [table[n] for n in range(len(texts))] == texts
    with pytest.raises(IndexError):
        table[-1]
    assert streamed_cells(path) == calamine_cells(path) == {
        "客户": {(n, 0): texts[index] for n, index in enumerate(picked, 1)}}
