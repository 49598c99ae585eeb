"""Hand-built Excel binary workbooks (.xlsb) for the reader's tests, written from [MS-XLSB]: no
Python library writes the format and LibreOffice cannot export it. python-calamine reads what is
written here, so it can stand as the independent oracle of the reader (``xlsb_stream``).

A workbook is given as ``{sheet name: [cells]}``; a cell is ``Cell(row, column, value)`` (both
0-based), its value written as Excel would write it (``cell_record``): an int or float as an RK
when an RK holds it exactly, else as a BrtCellReal; a ``str`` as a shared string; a bool; an
``Error``; a ``Formula`` with its cached result; a ``Styled`` value under a cell format.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field
from typing import Any

# Record types ([MS-XLSB] 2.3.2); the cell records 0-11 are 2.4.303-2.4.321 and 2.4.647-2.4.650.
ROW_HDR, CELL_BLANK, CELL_RK, CELL_ERROR, CELL_BOOL, CELL_REAL, CELL_ST, CELL_ISST = range(8)
FMLA_STRING, FMLA_NUM, FMLA_BOOL, FMLA_ERROR = range(8, 12)
SST_ITEM, FMT, XF, CELL_RSTRING = 19, 44, 47, 62
BEGIN_BOOK, END_BOOK, BEGIN_SHEET, END_SHEET = 131, 132, 129, 130
BEGIN_BUNDLE_SHS, END_BUNDLE_SHS, WS_DIM, BEGIN_SHEET_DATA, END_SHEET_DATA = 143, 144, 148, 145, 146
WB_PROP, BUNDLE_SH, CALC_PROP, BEGIN_SST, END_SST = 153, 156, 157, 159, 160
BEGIN_STYLE_SHEET, END_STYLE_SHEET, BEGIN_FMTS, END_FMTS = 278, 279, 615, 616
BEGIN_CELL_XFS, END_CELL_XFS, BEGIN_CELL_STYLE_XFS, END_CELL_STYLE_XFS = 617, 618, 626, 627
BEGIN_COMMENTS, END_COMMENTS, BEGIN_COMMENT_AUTHORS, END_COMMENT_AUTHORS, COMMENT_AUTHOR = 628, 629, 630, 631, 632
BEGIN_COMMENT_LIST, END_COMMENT_LIST, BEGIN_COMMENT, END_COMMENT, COMMENT_TEXT = 633, 634, 635, 636, 637
# BrtCellError's codes ([MS-XLSB] 2.5.97.2 BErr).
ERRORS = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D, "#NUM!": 0x24,
          "#N/A": 0x2A}
# The cell formats every written workbook has, by index: General, a built-in date (14), then the
# workbook's own formats (CUSTOM_FORMATS, ids from 164 as Excel numbers them).
CUSTOM_FORMATS = ['yyyy"年"m"月"d"日"', "yyyy-mm-dd hh:mm:ss", "[h]:mm:ss", "0.00%"]
GENERAL, DATE_STYLE, CN_DATE_STYLE, DATETIME_STYLE, DURATION_STYLE, PERCENT_STYLE = range(6)
_XF_FORMATS = [0, 14, *range(164, 164 + len(CUSTOM_FORMATS))]
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Error:
    """An error value (``#N/A``...)."""

    code: str


@dataclass(frozen=True)
class Formula:
    """A formula's cached result: a str, float, bool or ``Error`` (no formula tokens are written)."""

    result: Any


@dataclass(frozen=True)
class Styled:
    """A number under a cell format (``DATE_STYLE``...)."""

    value: float
    style: int


@dataclass(frozen=True)
class Inline:
    """A string stored in its cell (BrtCellSt), not in the shared strings table."""

    text: str


@dataclass(frozen=True)
class Rich:
    """A string stored in its cell with formatting runs (BrtCellRString)."""

    text: str


@dataclass(frozen=True)
class Real:
    """A number stored as a BrtCellReal even where an RK could hold it."""

    value: float


@dataclass(frozen=True)
class Cell:
    """A cell to write: its row and column (0-based) and its value (see the module's docstring)."""

    row: int
    column: int
    value: Any


@dataclass
class Strings:
    """The shared strings table being built: each distinct string once, in order."""

    index: dict[str, int] = field(default_factory=dict)

    def add(self, text: str) -> int:
        return self.index.setdefault(text, len(self.index))


def record(kind: int, data: bytes = b"") -> bytes:
    """Return one record: its type (1 or 2 bytes of 7 bits), its size (1-4 bytes of 7 bits), data."""
    head = bytes([kind]) if kind < 0x80 else bytes([kind & 0x7F | 0x80, kind >> 7])
    size, length = bytearray(), len(data)
    while True:
        size.append(length & 0x7F | (0x80 if length > 0x7F else 0))
        length >>= 7
        if not length:
            break
    return head + bytes(size) + data


def wide(text: str | None) -> bytes:
    """Return an XLWideString (a count of UTF-16 units, then the units); None a null one."""
    if text is None:
        return b"\xff\xff\xff\xff"
    units = text.encode("utf-16-le")
    return struct.pack("<I", len(units) // 2) + units


def rich_str(text: str, runs: int = 0, phonetic: str | None = None) -> bytes:
    """Return a RichStr: flags, the string, then ``runs`` formatting runs and phonetic text."""
    flags = (1 if runs else 0) | (2 if phonetic is not None else 0)
    data = bytes([flags]) + wide(text)
    if runs:
        data += struct.pack("<I", runs) + bytes(4 * runs)
    if phonetic is not None:
        data += wide(phonetic) + struct.pack("<I", 1) + bytes(8)  # one phonetic run
    return data


def rk(value: float) -> bytes | None:
    """Return the RK that holds ``value`` exactly, as Excel picks it, or None when none does: a
    30-bit integer, maybe of hundredths, or a double's top 30 bits, maybe of hundredths."""
    for hundredths, scale in ((0, 1), (1, 100)):
        scaled = value * scale
        if float(scaled).is_integer() and -2**29 <= scaled < 2**29 and int(scaled) / scale == value:
            return struct.pack("<i", int(scaled) << 2 | 2 | hundredths)
    for hundredths, scale in ((0, 1), (1, 100)):
        bits = struct.unpack("<Q", struct.pack("<d", value * scale))[0]
        # The low 34 bits dropped: the RK keeps the top 30 (its last two bits are its flags).
        if bits & 0x3FFFFFFFF == 0 and struct.unpack("<d", struct.pack("<Q", bits))[0] / scale == value:
            return struct.pack("<I", bits >> 32 | hundredths)
    return None


def cell_record(cell: Cell, strings: Strings) -> bytes:
    """Return the record of one cell, as Excel writes its kind of value."""
    value, style = cell.value, GENERAL
    if isinstance(value, Styled):
        value, style = value.value, value.style
    head = struct.pack("<II", cell.column, style)
    if value is None:
        return record(CELL_BLANK, head)
    if isinstance(value, bool):
        return record(CELL_BOOL, head + bytes([value]))
    if isinstance(value, Error):
        return record(CELL_ERROR, head + bytes([ERRORS[value.code]]))
    if isinstance(value, str):
        return record(CELL_ISST, head + struct.pack("<I", strings.add(value)))
    if isinstance(value, Inline):
        return record(CELL_ST, head + wide(value.text))
    if isinstance(value, Rich):
        return record(CELL_RSTRING, head + rich_str(value.text, runs=2))
    if isinstance(value, Formula):
        return formula_record(head, value.result)
    if isinstance(value, Real):
        return record(CELL_REAL, head + struct.pack("<d", value.value))
    packed = rk(value)
    if packed is not None:
        return record(CELL_RK, head + packed)
    return record(CELL_REAL, head + struct.pack("<d", value))


def formula_record(head: bytes, result: Any) -> bytes:
    """Return a formula cell with its cached ``result``, flags and an empty formula (cce, cb 0)."""
    tail = struct.pack("<H", 0) + struct.pack("<II", 0, 0)
    if isinstance(result, bool):
        return record(FMLA_BOOL, head + bytes([result]) + tail)
    if isinstance(result, Error):
        return record(FMLA_ERROR, head + bytes([ERRORS[result.code]]) + tail)
    if isinstance(result, str):
        return record(FMLA_STRING, head + wide(result) + tail)
    return record(FMLA_NUM, head + struct.pack("<d", result) + tail)


def row_header(row: int) -> bytes:
    """Return a BrtRowHdr: row, style, height, flags, no column spans."""
    return record(ROW_HDR, struct.pack("<IIHBBBI", row, 0, 300, 0, 0, 0, 0))


def sheet_part(cells: list[Cell], strings: Strings) -> bytes:
    """Return a worksheet part: its header records, the sheet data row by row, its end."""
    rows: dict[int, list[Cell]] = {}
    for cell in cells:
        rows.setdefault(cell.row, []).append(cell)
    last_row = max(rows, default=0)
    last_column = max((cell.column for cell in cells), default=0)
    data = [row_header(row) + b"".join(cell_record(cell, strings) for cell in rows[row]) for row in sorted(rows)]
    return (record(BEGIN_SHEET) + record(WS_DIM, struct.pack("<IIII", 0, last_row, 0, last_column))
            + record(BEGIN_SHEET_DATA) + b"".join(data) + record(END_SHEET_DATA) + record(END_SHEET))


def workbook_part(names: list[str], date1904: bool = False) -> bytes:
    """Return xl/workbook.bin listing the sheets ``names``, each by its relationship rId1, rId2..."""
    props = record(WB_PROP, struct.pack("<II", int(date1904), 0) + wide(""))
    sheets = b"".join(record(BUNDLE_SH, struct.pack("<II", 0, n) + wide(f"rId{n}") + wide(name))
                      for n, name in enumerate(names, 1))
    calc = record(CALC_PROP, struct.pack("<IIIdIH", 0, 1, 100, 0.001, 1, 0))
    return (record(BEGIN_BOOK) + props + record(BEGIN_BUNDLE_SHS) + sheets + record(END_BUNDLE_SHS) + calc
            + record(END_BOOK))


def xf(number_format: int) -> bytes:
    """Return a BrtXF of the number format ``number_format`` (font, fill, border 0)."""
    return record(XF, struct.pack("<HHHHHBBHH", 0xFFFF, number_format, 0, 0, 0, 0, 0, 0, 0))


def styles_part() -> bytes:
    """Return xl/styles.bin: the custom formats, a style XF under a date format (which no cell
    names: a cell's style is an index into the cell XFs only), then the cell XFs."""
    formats = b"".join(record(FMT, struct.pack("<H", 164 + n) + wide(code)) for n, code in enumerate(CUSTOM_FORMATS))
    return (record(BEGIN_STYLE_SHEET) + record(BEGIN_FMTS, struct.pack("<I", len(CUSTOM_FORMATS))) + formats
            + record(END_FMTS)
            + record(BEGIN_CELL_STYLE_XFS, struct.pack("<I", 1)) + xf(14) + record(END_CELL_STYLE_XFS)
            + record(BEGIN_CELL_XFS, struct.pack("<I", len(_XF_FORMATS))) + b"".join(map(xf, _XF_FORMATS))
            + record(END_CELL_XFS) + record(END_STYLE_SHEET))


def strings_part(strings: Strings, rich: bool = True) -> bytes:
    """Return xl/sharedStrings.bin; with ``rich``, every third string carries formatting runs
    and every fifth phonetic text (ruby), which the reader skips."""
    items = [record(SST_ITEM, rich_str(text, runs=2 if rich and n % 3 == 2 else 0,
                                       phonetic="よみ" if rich and n % 5 == 4 else None))
             for n, text in enumerate(strings.index)]
    count = struct.pack("<II", len(items), len(items))
    return record(BEGIN_SST, count) + b"".join(items) + record(END_SST)


def comments_part(comments: list[tuple[int, int, str]]) -> bytes:
    """Return a comments part: one author, then each ``(row, column, text)`` comment."""
    listed = b"".join(record(BEGIN_COMMENT, struct.pack("<IIIII", 0, row, row, column, column) + bytes(16))
                      + record(COMMENT_TEXT, rich_str(text)) + record(END_COMMENT)
                      for row, column, text in comments)
    return (record(BEGIN_COMMENTS) + record(BEGIN_COMMENT_AUTHORS) + record(COMMENT_AUTHOR, wide("审核员"))
            + record(END_COMMENT_AUTHORS) + record(BEGIN_COMMENT_LIST) + listed + record(END_COMMENT_LIST)
            + record(END_COMMENTS))


def rels(targets: list[tuple[str, str, str]]) -> bytes:
    """Return a relationships part of ``(id, type, target)``."""
    listed = "".join(f'<Relationship Id="{id_}" Type="{RELS}/{type_}" Target="{target}"/>'
                     for id_, type_, target in targets)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PACKAGE_RELS}">{listed}</Relationships>').encode()


def content_types(sheets: int, comments: list[int]) -> bytes:
    """Return [Content_Types].xml as Excel writes it for an .xlsb."""
    ms = "application/vnd.ms-excel"
    overrides = [("/xl/workbook.bin", f"{ms}.sheet.binary.macroEnabled.main"), ("/xl/styles.bin", f"{ms}.styles"),
                 ("/xl/sharedStrings.bin", f"{ms}.sharedStrings")]
    overrides += [(f"/xl/worksheets/sheet{n}.bin", f"{ms}.worksheet") for n in range(1, sheets + 1)]
    overrides += [(f"/xl/comments{n}.bin", f"{ms}.comments") for n in comments]
    listed = "".join(f'<Override PartName="{name}" ContentType="{type_}"/>' for name, type_ in overrides)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="bin" ContentType="{ms}.sheet.binary.macroEnabled.main"/>'
            f'{listed}</Types>').encode()


def xlsb_parts(sheets: dict[str, list[Cell]], comments: dict[str, list[tuple[int, int, str]]] | None = None,
               date1904: bool = False, rich: bool = True) -> dict[str, bytes]:
    """Return the zip members of a workbook of ``sheets`` (and the ``comments`` of some)."""
    comments = comments or {}
    strings = Strings()
    names = list(sheets)
    parts = {f"xl/worksheets/sheet{n}.bin": sheet_part(sheets[name], strings) for n, name in enumerate(names, 1)}
    commented = [n for n, name in enumerate(names, 1) if comments.get(name)]
    for n in commented:
        parts[f"xl/comments{n}.bin"] = comments_part(comments[names[n - 1]])
        parts[f"xl/worksheets/_rels/sheet{n}.bin.rels"] = rels([("rId1", "comments", f"../comments{n}.bin")])
    book_rels = [(f"rId{n}", "worksheet", f"worksheets/sheet{n}.bin") for n in range(1, len(names) + 1)]
    book_rels += [(f"rId{len(names) + 1}", "styles", "styles.bin"),
                  (f"rId{len(names) + 2}", "sharedStrings", "sharedStrings.bin")]
    return {"[Content_Types].xml": content_types(len(names), commented),
            "_rels/.rels": rels([("rId1", "officeDocument", "xl/workbook.bin")]),
            "xl/workbook.bin": workbook_part(names, date1904),
            "xl/_rels/workbook.bin.rels": rels(book_rels),
            "xl/styles.bin": styles_part(),
            "xl/sharedStrings.bin": strings_part(strings, rich),
            **parts}


def zipped(parts: dict[str, bytes]) -> bytes:
    """Return the parts as a zip, deflated, as Excel saves a workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def xlsb_book(sheets: dict[str, list[Cell]], **options) -> bytes:
    """Return the bytes of an .xlsb workbook of ``sheets`` (see ``xlsb_parts``)."""
    return zipped(xlsb_parts(sheets, **options))


def grid(rows: list[list[Any]], first_row: int = 0) -> list[Cell]:
    """Return the cells of ``rows`` (None where empty: no record), from row ``first_row``."""
    return [Cell(first_row + r, c, value) for r, values in enumerate(rows)
            for c, value in enumerate(values) if value is not None]
