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


# --- Pivot caches and external links ([MS-XLSB] 2.1.7.38, 2.1.7.39, 2.1.7.25) -----------------
# No library writes or reads these parts (python-calamine reads no caches): the writer below is
# a plain transcription of the records the specification lists, with no oracle but the reader.
BEGIN_PIVOT_CACHE_DEF, END_PIVOT_CACHE_DEF, BEGIN_PCD_FIELDS, END_PCD_FIELDS = 179, 180, 181, 182
BEGIN_PCD_FIELD, END_PCD_FIELD, BEGIN_PCD_SOURCE, END_PCD_SOURCE = 183, 184, 185, 186
BEGIN_PCDS_RANGE, END_PCDS_RANGE, BEGIN_PCDF_ATBL, END_PCDF_ATBL = 187, 188, 189, 190
BEGIN_PCDI_RUN, END_PCDI_RUN, BEGIN_PIVOT_CACHE_RECORDS, END_PIVOT_CACHE_RECORDS = 191, 192, 193, 194
PCDI_MISSING, PCDI_NUMBER, PCDI_BOOLEAN, PCDI_ERROR, PCDI_STRING, PCDI_DATETIME, PCDI_INDEX = range(20, 27)
PCR_RECORD, PCR_RECORD_DT = 33, 34
SUP_TABS, BEGIN_SUP_BOOK, EXTERN_TABLE_START, EXTERN_TABLE_END, EXTERN_ROW_HDR = 359, 360, 363, 364, 366
EXTERN_CELL_BLANK, EXTERN_CELL_REAL, EXTERN_CELL_BOOL, EXTERN_CELL_ERROR, EXTERN_CELL_STRING = range(367, 372)
END_SUP_BOOK = 588


@dataclass(frozen=True)
class PivotField:
    """A cache field: its name and, with ``shared``, its distinct values kept as items (BrtBeginPCDFAtbl)
    and records holding their indexes; else records hold its values inline (numbers, dates, text).
    ``run`` writes the items as one BrtBeginPCDIRun (all numbers or all strings)."""

    name: str
    shared: bool = True
    run: bool = False


def pcdi_datetime(moment) -> bytes:
    """Return a PCDIDateTime (2.5.101): year, month (2 bytes each), day, hour, minute, second."""
    return struct.pack("<HHBBBB", moment.year, moment.month, moment.day, getattr(moment, "hour", 0),
                       getattr(moment, "minute", 0), getattr(moment, "second", 0))


def pcdi(value: Any) -> bytes:
    """Return the cache item record (BrtPCDI*, 2.4.727-2.4.733) of a value."""
    import datetime

    if value is None:
        return record(PCDI_MISSING)
    if isinstance(value, bool):
        return record(PCDI_BOOLEAN, bytes([value]))
    if isinstance(value, Error):
        return record(PCDI_ERROR, bytes([ERRORS[value.code]]))
    if isinstance(value, str):
        return record(PCDI_STRING, wide(value))
    if isinstance(value, datetime.date):
        return record(PCDI_DATETIME, pcdi_datetime(value))
    return record(PCDI_NUMBER, struct.pack("<d", value))


def atbl_flags(values: list) -> int:
    """Return BrtBeginPCDFAtbl's flags (2.4.131) for a field's values: fTextEtcField (bit 0),
    fNonDates (1), fDateInField (2), fHasTextItem (3), fHasBlankItem (4), fNumField (6)."""
    import datetime

    dates = any(isinstance(v, datetime.date) for v in values)
    text = any(isinstance(v, (str, bool, Error)) or v is None for v in values)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) and values
    flags = (1 if text else 0) | (0 if dates else 2) | (4 if dates else 0) | (8 if any(isinstance(v, str)
                                                                                      for v in values) else 0)
    return flags | (16 if any(v is None for v in values) else 0) | (0x40 if numbers else 0)


def field_records(field: PivotField, items: list) -> bytes:
    """Return a BrtBeginPCDField (2.4.136) and its items: flags (fSrcField), ifmt, wTypeSql, ihdb,
    isxtl, cIsxtmps, stFldName; then BrtBeginPCDFAtbl (flags, citems) and the items."""
    head = struct.pack("<HIHIII", 0x04, 0, 0, 0xFFFFFFFF, 0x7FFF, 0) + wide(field.name)
    atbl = struct.pack("<HI", atbl_flags(items), len(items) if field.shared else 0)
    if not field.shared:
        listed = b""
    elif field.run:
        kind = 0x02 if all(isinstance(v, str) for v in items) else 0x01
        body = b"".join(wide(v) if kind == 0x02 else struct.pack("<d", v) for v in items)
        listed = record(BEGIN_PCDI_RUN, struct.pack("<HI", kind, len(items)) + body) + record(END_PCDI_RUN)
    else:
        listed = b"".join(pcdi(v) for v in items)
    return (record(BEGIN_PCD_FIELD, head) + record(BEGIN_PCDF_ATBL, atbl) + listed + record(END_PCDF_ATBL)
            + record(END_PCD_FIELD))


def distinct(values: list) -> list:
    return list(dict.fromkeys(values))


def definition_part(fields: list[PivotField], rows: list[list], with_records: bool = True,
                    source_sheet: str = "客户信息") -> bytes:
    """Return a pivot cache definition part (2.1.7.38): BrtBeginPivotCacheDef (versions, fSaveData,
    citmGhostMax, the refresh date, fLoadRelIDRecords, cRecords, the records' relationship, unused),
    its source range on ``source_sheet``, then each field with its items."""
    columns = [[row[n] for row in rows] for n in range(len(fields))]
    head = (bytes([6, 3, 6, int(with_records)]) + struct.pack("<id", 0, 45296.0)
            + bytes([0x02 if with_records else 0]) + struct.pack("<I", len(rows))
            + (wide("rId1") if with_records else b"") + bytes(4))
    source = (record(BEGIN_PCD_SOURCE, struct.pack("<II", 0, 0))
              + record(BEGIN_PCDS_RANGE, bytes([0, 0, 0x02]) + wide(source_sheet)
                       + struct.pack("<iiii", 0, len(rows), 0, len(fields) - 1))
              + record(END_PCDS_RANGE) + record(END_PCD_SOURCE))
    listed = b"".join(field_records(field, distinct(column) if field.shared else column)
                      for field, column in zip(fields, columns))
    return (record(BEGIN_PIVOT_CACHE_DEF, head) + source
            + record(BEGIN_PCD_FIELDS, struct.pack("<I", len(fields))) + listed + record(END_PCD_FIELDS)
            + record(END_PIVOT_CACHE_DEF))


def inline_value(value: Any) -> bytes:
    """A value stored in a BrtPCRRecord: an Xnum, a PCDIDateTime or an XLWideString (2.4.735)."""
    import datetime

    if isinstance(value, datetime.date):
        return pcdi_datetime(value)
    if isinstance(value, str):
        return wide(value)
    return struct.pack("<d", value)


def records_part(fields: list[PivotField], rows: list[list], dt: bool = False) -> bytes:
    """Return a pivot cache records part (2.1.7.39): each row a BrtPCRRecord (a shared field's item
    index, else its value inline) or, with ``dt``, a BrtPCRRecordDt followed by a record a value."""
    items = [distinct([row[n] for row in rows]) for n in range(len(fields))]
    written = []
    for row in rows:
        if dt:
            written.append(record(PCR_RECORD_DT) + b"".join(
                record(PCDI_INDEX, struct.pack("<I", items[n].index(v))) if field.shared else pcdi(v)
                for n, (field, v) in enumerate(zip(fields, row))))
        else:
            written.append(record(PCR_RECORD, b"".join(
                struct.pack("<I", items[n].index(v)) if field.shared else inline_value(v)
                for n, (field, v) in enumerate(zip(fields, row)))))
    return (record(BEGIN_PIVOT_CACHE_RECORDS, struct.pack("<I", len(rows))) + b"".join(written)
            + record(END_PIVOT_CACHE_RECORDS))


def extern_cell(column: int, value: Any) -> bytes:
    """An external cell (2.4.659-2.4.663): its column, then its value."""
    col = struct.pack("<I", column)
    if value is None:
        return record(EXTERN_CELL_BLANK, col)
    if isinstance(value, bool):
        return record(EXTERN_CELL_BOOL, col + bytes([value]))
    if isinstance(value, Error):
        return record(EXTERN_CELL_ERROR, col + bytes([ERRORS[value.code]]))
    if isinstance(value, str):
        return record(EXTERN_CELL_STRING, col + wide(value))
    return record(EXTERN_CELL_REAL, col + struct.pack("<d", value))


def external_link_part(sheet_names: list[str], tables: dict[int, list[list]]) -> bytes:
    """Return an external link part (2.1.7.25): BrtBeginSupBook (a workbook, by relationship rId1),
    BrtSupTabs (the other workbook's sheets), then each cached sheet's rows ({tab: rows from row 0})."""
    book = record(BEGIN_SUP_BOOK, struct.pack("<H", 0) + wide("rId1") + wide(None))
    tabs = record(SUP_TABS, struct.pack("<I", len(sheet_names)) + b"".join(wide(n) for n in sheet_names))
    cached = b"".join(
        record(EXTERN_TABLE_START, struct.pack("<IB", tab, 0))
        + b"".join(record(EXTERN_ROW_HDR, struct.pack("<I", r))
                   + b"".join(extern_cell(c, v) for c, v in enumerate(row)) for r, row in enumerate(rows))
        + record(EXTERN_TABLE_END) for tab, rows in tables.items())
    return book + tabs + cached + record(END_SUP_BOOK)


def with_caches(parts: dict[str, bytes], sheets: int, pivots: list[tuple[bytes, bytes | None]] = (),
                links: list[bytes] = ()) -> dict[str, bytes]:
    """Return ``parts`` (of ``xlsb_parts``, ``sheets`` worksheets) with pivot caches ``(definition,
    records or None)`` and external link parts added, and the workbook's relationships to them."""
    parts = dict(parts)
    targets = [(f"rId{n}", "worksheet", f"worksheets/sheet{n}.bin") for n in range(1, sheets + 1)]
    targets += [(f"rId{sheets + 1}", "styles", "styles.bin"),
                (f"rId{sheets + 2}", "sharedStrings", "sharedStrings.bin")]
    for n, (definition, records) in enumerate(pivots, 1):
        targets.append((f"rIdPivot{n}", "pivotCacheDefinition", f"pivotCache/pivotCacheDefinition{n}.bin"))
        parts[f"xl/pivotCache/pivotCacheDefinition{n}.bin"] = definition
        if records is not None:
            parts[f"xl/pivotCache/pivotCacheRecords{n}.bin"] = records
            parts[f"xl/pivotCache/_rels/pivotCacheDefinition{n}.bin.rels"] = rels(
                [("rId1", "pivotCacheRecords", f"pivotCacheRecords{n}.bin")])
    for n, link in enumerate(links, 1):
        targets.append((f"rIdLink{n}", "externalLink", f"externalLinks/externalLink{n}.bin"))
        parts[f"xl/externalLinks/externalLink{n}.bin"] = link
        parts[f"xl/externalLinks/_rels/externalLink{n}.bin.rels"] = (
            rels([("rId1", "externalLinkPath", "客户名单.xlsb")]).replace(b'"/>', b'" TargetMode="External"/>'))
    parts["xl/_rels/workbook.bin.rels"] = rels(targets)
    return parts
