"""Stream the rows of each worksheet of an Excel binary workbook (.xlsb: BIFF12 records in a zip).

Banks save large exports as .xlsb, smaller and faster to open than .xlsx. No library streams it:
python-calamine (already a dependency) decodes a whole sheet into memory before giving a row, and
pyxlsb is unmaintained and knows no cell styles, so no dates. So it is read here, as ``xls_stream``
reads BIFF8: the workbook part lists the sheets (and the 1904 date system), the styles part says
which cell formats are dates (``xlsx_book.format_kind``, as for an xlsx), the shared strings are
held in memory as an xlsx's are (under the same cap, packed when many), and each worksheet part is
inflated a block at a time, its records gathered into rows as they come. Memory holds the shared
strings, one block of a sheet and one row, whatever the workbook's size (and, reading a pivot
cache, its distinct values, under ``xlsx_caches.MAX_DEFINITION_BYTES``). Measured (``bench/xlsb.py``,
200,000 rows x 10 columns): peak RSS growth 30 MB, nearly all its 600,000 shared strings
(python-calamine 186 MB); 2.9 s of CPU (the xlsx reader 3.1 s on the same rows as .xlsx,
python-calamine 0.9 s). Of the sheets, only worksheets are read: chart sheets hold no cells, and
macro and dialog sheets hold none a person keeps data in. After them, the copies of other data
the workbook keeps are read as sheets, as an xlsx's are (``xlsb_caches``): each pivot cache (the
source rows of a pivot table, kept when their sheet is deleted) as ``透视缓存N`` and each sheet an
external link caches as ``外部链接N-name``.

Cells come out as text, as the xlsx reader gives them (``cell_text.render``): a mobile stored as a
number reads ``13812345678``, a number under a date format a date (in the 1904 system when the
workbook says so), booleans ``TRUE``/``FALSE``, a formula its cached result; error values (``#N/A``)
and empty strings are skipped, as the xlsx and xls readers skip them. Where python-calamine differs,
the xlsx reader is followed: a whole number stored as an RK integer under a date format (how Excel
stores a date) is a date here, python-calamine gives the bare number; a string stored with its
formatting runs in its cell (BrtCellRString) is read, python-calamine skips it. A sheet's comments
(批注) are read from its comments part, as an xlsx's are.

The zip is checked first (``xlsx_guard.zip_refusal``: bombs, encrypted members); relationships
parts are parsed by expat, refusing any DTD. Any damage is one line, naming no cell: a
``WorkbookRefused`` (the container, the workbook part, styles, shared strings) or a ``SheetError``
(one sheet; the next is still read). Every length is checked against what is left of its record
or part before anything is read or allocated from it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator

from pii_audit.sources.cell_text import render
from pii_audit.sources.ole2 import CompoundFile
from pii_audit.sources.sheet_rows import EXCEL_MAX_ROWS, Sheet, Source, opened
from pii_audit.sources.xls_stream import dated, rk_value
from pii_audit.sources.xlsx_book import (
    FREE_CHARS, MAX_CELL_STYLES, MAX_COLUMN, Charged, Row, SharedStrings, SheetError, StringTable, add_comments,
    NO_COLUMN, UNLINKED, allowance_for, checked_column, comment_parts, missing_string, noted_rows,
    format_kind, place, relationships, sheet_name, style_kind,
)
from pii_audit.sources.xlsx_guard import (
    MAX_SHARED_STRINGS_BYTES, OLE2_MAGIC, ZIP_MAGIC, WorkbookRefused, office_zip, shown_name, zip_refusal,
)

WORKBOOK = "xl/workbook.bin"
BLOCK = 1 << 20  # bytes of a part inflated at a time
# A record larger than this is refused: the largest Excel writes (a cell of 32,767 characters,
# a shared string with its runs) take well under 1 MiB.
MAX_RECORD_BYTES = 16 << 20
MAX_SHEETS = 65_536
# Record types ([MS-XLSB] 2.3.2).
ROW_HDR, CELL_BLANK, CELL_RK, CELL_ERROR, CELL_BOOL, CELL_REAL, CELL_ST, CELL_ISST = range(8)
FMLA_STRING, FMLA_NUM, FMLA_BOOL, FMLA_ERROR = range(8, 12)
SST_ITEM, FMT, XF, CELL_RSTRING, END_SHEET_DATA = 19, 44, 47, 62, 146
END_BUNDLE_SHS, WB_PROP, BUNDLE_SH, BEGIN_SST = 144, 153, 156, 159
BEGIN_CELL_XFS, END_CELL_XFS, BEGIN_COMMENT, COMMENT_TEXT = 617, 618, 635, 637
_LONG = struct.Struct("<I")
# A cell record starts with its column, then its cell format's index in the low 24 bits.
_RK = struct.Struct("<IIi")
_REAL = struct.Struct("<IId")
_ISST = struct.Struct("<III")
_STYLE = 0xFFFFFF
# Days past any date or duration (excel_date gives such a number back as it is): a number under a
# date format is rendered as a number from here, as 1e308 days in milliseconds overflow (OverflowError).
NO_DATE = 1e12
TOO_SHORT = "unreadable: a record too short for its type (corrupt .xlsb)"
DAMAGED_PART = "unreadable: a part's compressed data is damaged or fails its CRC (corrupt .xlsb)"
# What zipfile raises for a damaged member: a bad header or CRC, a damaged or cut deflate stream,
# a compression method no Office writes (a changed byte of its header).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


@dataclass
class Book(Charged):
    """What the rows of every worksheet need: where they are, shared strings, date formats."""

    sheets: list[tuple[str, str]] = field(default_factory=list)  # (name, zip member) of each worksheet
    unlinked: list[str] = field(default_factory=list)  # the sheets listed with no relationship (UNLINKED)
    strings: list[str] | StringTable = field(default_factory=list)
    dates: dict[int, int] = field(default_factory=dict)  # {cell format: DATE or DURATION} of the dated ones
    date1904: bool = False
    allowance: int = 0  # characters long shared strings may still be read by reference (charge)


def xlsb_sheets(source: Source, comments: dict[str, list[tuple[str, str]]] | None = None,
                warn: Callable[[str, str], None] | None = None) -> Iterator[Sheet]:
    """Yield every worksheet of an .xlsb workbook as ``(name, rows)``, the rows streamed, then its
    pivot caches and external link caches (``xlsb_caches``); raise ``WorkbookRefused`` when the
    workbook is not read.

    ``comments``, when given, gets each sheet's comments (``sheet_comments``) under its name
    before the sheet is yielded, and ``warn`` a sheet's name and one line when they cannot be
    read, as ``sheet_rows.xlsx_sheets`` gives an xlsx's."""
    with opened(source) as handle:
        _check_head(handle)
    try:
        with office_zip(source if isinstance(source, str) else io.BytesIO(source)) as archive:
            yield from _book_sheets(archive, comments, warn)
    except ZIP_ERRORS:  # the directory, or a relationships part (xlsx_book reads those)
        raise WorkbookRefused("unreadable: the zip is damaged (a bad header, CRC or compressed data; corrupt "
                              ".xlsb)") from None


def _book_sheets(archive: zipfile.ZipFile, comments: dict[str, list[tuple[str, str]]] | None,
                 warn: Callable[[str, str], None] | None) -> Iterator[Sheet]:
    """Yield the worksheets of the open workbook, then its caches (``xlsb_sheets``)."""
    book = read_book(archive)
    for name in book.unlinked if warn is not None else ():
        warn(name, UNLINKED)
    read: set[str] = set()  # the comments parts read, each for the first sheet naming it
    for name, member in book.sheets:
        if comments is not None:
            add_comments(comments, name, lambda: sheet_comments(archive, member, read), warn)
        yield name, noted_rows(sheet_rows(archive, member, book), book, name, warn)
    from pii_audit.sources.xlsb_caches import cache_sheets  # which imports this module

    yield from cache_sheets(archive, book, warn)


def _check_head(handle: BinaryIO) -> None:
    """Refuse a file that is no zip: a password-protected workbook is an OLE2 file."""
    head = handle.read(len(OLE2_MAGIC))
    if head == OLE2_MAGIC:
        try:
            encrypted = "EncryptedPackage" in CompoundFile(handle).streams()
        except WorkbookRefused:
            encrypted = False
        raise WorkbookRefused("encrypted .xlsb workbook (password-protected): not read" if encrypted else
                              "not an .xlsb workbook: an OLE2 file (a legacy .xls renamed?)")
    if not head.startswith(ZIP_MAGIC):
        raise WorkbookRefused("not an .xlsb workbook: no zip signature (is the extension wrong?)")


def read_book(archive: zipfile.ZipFile) -> Book:
    """Return the worksheets, shared strings and date formats of the .xlsb workbook in ``archive``;
    raise ``WorkbookRefused`` for a zip that is hostile or no .xlsb, or a damaged part."""
    reason = zip_refusal(archive.infolist())
    if reason:
        raise WorkbookRefused(reason)
    if WORKBOOK not in archive.NameToInfo:
        raise WorkbookRefused(f"not an .xlsb workbook: the zip holds no {WORKBOOK} (an .xlsx renamed?)")
    rels = relationships(archive, WORKBOOK)
    parts = {type_.rsplit("/", 1)[-1]: member for type_, member in rels.values() if member in archive.NameToInfo}
    try:
        book = _workbook(archive, rels)
        if "styles" in parts:
            book.dates = _date_styles(archive, parts["styles"])
        if "sharedStrings" in parts:
            book.strings = _shared_strings(archive, parts["sharedStrings"])
        book.allowance = allowance_for(book.strings)
    except SheetError as error:
        raise WorkbookRefused(str(error)) from None
    except (struct.error, IndexError):
        raise WorkbookRefused(TOO_SHORT) from None
    return book


def _workbook(archive: zipfile.ZipFile, rels: dict[str, tuple[str, str]]) -> Book:
    """Return the worksheets listed in the workbook part (BrtBundleSh) and its date system."""
    book, listed = Book(), set()
    for kind, data in part_records(archive, WORKBOOK):
        if kind == WB_PROP:
            book.date1904 = bool(data[0] & 1)
        elif kind == BUNDLE_SH:
            if len(book.sheets) >= MAX_SHEETS:
                raise WorkbookRefused(f"refused: more than {MAX_SHEETS:,} sheets")
            if _LONG.unpack_from(data, 8)[0] == 0xFFFFFFFF:  # no relationship: no part to read
                continue
            rel_id, end = wide_string(data, 8)
            name = sheet_name(wide_string(data, end)[0])  # line breaks as "?", as an .xlsx's
            type_, member = rels.get(rel_id, ("", ""))
            if rel_id not in rels or (type_.endswith("/worksheet") and member not in archive.NameToInfo):
                book.unlinked.append(name)
            # A part listed again is not read again: 100 entries naming one 140 KB sheet took 5 s.
            if type_.endswith("/worksheet") and member in archive.NameToInfo and member not in listed:
                listed.add(member)
                book.sheets.append((name, member))
        elif kind == END_BUNDLE_SHS:
            break  # the defined names and the rest after it: nothing read here
    return book


def _date_styles(archive: zipfile.ZipFile, member: str) -> dict[int, int]:
    """Return ``{cell format index: DATE or DURATION}`` of the cell formats (BrtXF in the cell
    XFs; the style XFs before them are no cell's) whose number format is a date or duration."""
    custom: dict[str, int] = {}
    formats: list[int] = []  # each cell format's number format
    in_cell_xfs = False
    for kind, data in part_records(archive, member):
        if kind == FMT:
            custom[str(struct.unpack_from("<H", data)[0])] = format_kind(wide_string(data, 2)[0])
        elif kind == XF and in_cell_xfs:
            if len(formats) >= MAX_CELL_STYLES:
                raise WorkbookRefused(f"refused: more than {MAX_CELL_STYLES:,} cell formats")
            formats.append(struct.unpack_from("<H", data, 2)[0])
        elif kind in (BEGIN_CELL_XFS, END_CELL_XFS):
            in_cell_xfs = kind == BEGIN_CELL_XFS
    kinds = {index: style_kind(str(number), custom) for index, number in enumerate(formats)}
    return {index: kind for index, kind in kinds.items() if kind}


def _shared_strings(archive: zipfile.ZipFile, member: str) -> list[str] | StringTable:
    """Return the shared strings (BrtSSTItem), held as an xlsx's are, under the same cap."""
    size = archive.getinfo(member).file_size
    if size > MAX_SHARED_STRINGS_BYTES:
        raise WorkbookRefused(f"refused: shared strings table of {size // 2**20:,} MB, over the "
                              f"{MAX_SHARED_STRINGS_BYTES // 2**20} MB cap")
    strings = SharedStrings()
    for kind, data in part_records(archive, member):
        if kind == SST_ITEM:
            strings.add(wide_string(data, 1)[0])  # after the RichStr's flags; runs and phonetic text after it
        elif kind == BEGIN_SST and _LONG.unpack_from(data, 4)[0] > size // 7:  # 7 bytes a string at least
            raise WorkbookRefused("unreadable: the shared strings table declares more strings than its part "
                                  "can hold (corrupt .xlsb)")
    return strings.table()


def sheet_comments(archive: zipfile.ZipFile, sheet: str, read: set[str] | None = None) -> list[tuple[str, str]]:
    """Return the ``(cell, text)`` of each comment (批注) on the worksheet ``sheet`` (its zip
    member), from the comments part its relationships name (BrtBeginComment, BrtCommentText);
    ``read`` holds the parts read for the sheets before it, which are not read again
    (``xlsx_book.comment_parts``). Raise ``SheetError`` naming a damaged part."""
    found: list[tuple[str, str]] = []
    for member in comment_parts(archive, sheet, read):
        try:
            found.extend(_comments(archive, member))
        except (struct.error, IndexError):
            raise SheetError(f"{shown_name(member)}: {TOO_SHORT}") from None
        except SheetError as error:
            raise SheetError(f"{shown_name(member)}: {error}") from None
    return found


def _comments(archive: zipfile.ZipFile, member: str) -> Iterator[tuple[str, str]]:
    """Yield ``(cell, text)`` of each comment of a comments part: its cell (the first of its
    range, BrtBeginComment), then its text (BrtCommentText)."""
    from pii_audit.sources.spreadsheets import column_letter  # which imports this module

    ref = ""
    for kind, data in part_records(archive, member):
        if kind == BEGIN_COMMENT:
            row, column = struct.unpack_from("<I4xI", data, 4)  # after the author: first row, last row, first column
            if row >= EXCEL_MAX_ROWS:
                raise SheetError(f"unreadable: a comment past Excel's last row ({EXCEL_MAX_ROWS:,})")
            ref = column_letter(checked_column(column)) + str(row + 1)
        elif kind == COMMENT_TEXT and ref:
            yield ref, wide_string(data, 1)[0]  # after the RichStr's flags
            ref = ""


def sheet_rows(archive: zipfile.ZipFile, member: str, book: Book) -> Iterator[Row]:
    """Yield the rows of a worksheet that hold a value (``read_spreadsheet`` counts the empty ones); a
    row's values are text (None where empty) from its first non-empty column. Raise
    ``SheetError`` when the sheet is damaged, once the rows before the damage are given."""
    try:
        yield from _rows(part_records(archive, member), book)
    except (struct.error, IndexError):
        raise SheetError(TOO_SHORT) from None


def _rows(stored: Iterator[tuple[int, bytes]], book: Book) -> Iterator[Row]:
    """Gather the cells of a worksheet's sheet data into rows, each given when the next row's
    header (BrtRowHdr) or the end of the sheet data comes; the empty rows between are counted by
    ``read_spreadsheet``, not made.

    One loop over the record types, the cells' first (they are most of a sheet): a function
    call per record would cost more than the decoding."""
    strings, count, dates, date1904 = book.strings, len(book.strings), book.dates, book.date1904
    free = FREE_CHARS  # a local: looked up for each shared string read
    row, first, values = 0, 0, []  # the row being gathered (0-based)
    for kind, data in stored:
        if kind == CELL_ISST:
            column, _, index = _ISST.unpack_from(data)
            if index >= count:  # empty, said once a sheet (noted_rows): it refused the rest of the sheet
                book.absent(missing_string(count))
                continue
            text = strings[index]
            if len(text) > free and not book.charge(text):  # 16,000 cells reading 65,000 characters: 1 G of them
                continue
        elif kind in (CELL_REAL, FMLA_NUM):
            column, style, value = _REAL.unpack_from(data)
            date = dates.get(style & _STYLE)
            text = dated(value, date, date1904) if date and abs(value) < NO_DATE else render(value)
        elif kind == CELL_RK:
            column, style, rk = _RK.unpack_from(data)
            value, date = rk_value(rk), dates.get(style & _STYLE)
            text = dated(value, date, date1904) if date and abs(value) < NO_DATE else render(value)
        elif kind == ROW_HDR:
            if values:
                yield row + 1, first, values
                values = []
            row = _LONG.unpack_from(data)[0]
            if row >= EXCEL_MAX_ROWS:
                raise SheetError(f"unreadable: a row past Excel's last row ({EXCEL_MAX_ROWS:,}), row {row + 1:,}")
            continue
        elif kind in (CELL_ST, FMLA_STRING):
            column, text = _LONG.unpack_from(data)[0], wide_string(data, 8)[0]
        elif kind in (CELL_BOOL, FMLA_BOOL):
            column, text = _LONG.unpack_from(data)[0], "TRUE" if data[8] else "FALSE"
        elif kind == CELL_RSTRING:
            column, text = _LONG.unpack_from(data)[0], wide_string(data, 9)[0]  # after the RichStr's flags
        elif kind == END_SHEET_DATA:
            if values:
                yield row + 1, first, values
            return
        else:
            # No text: an empty cell (BrtCellBlank), an error value (BrtCellError, BrtFmlaError:
            # skipped, as the xlsx reader skips them) or a record that is no cell.
            continue
        if not text:
            continue
        if column > MAX_COLUMN:  # left out, said once a sheet (noted_rows): it refused the rest of the sheet
            book.absent(NO_COLUMN)
            continue
        if not values:
            first, values = column, [text]
        elif column == first + len(values):
            values.append(text)
        else:
            first = place(values, first, column, text)
    raise SheetError("unreadable: the sheet ends inside its cells (truncated or corrupt .xlsb)")


def wide_string(data: bytes, at: int) -> tuple[str, int]:
    """Return the XLWideString at ``at`` of a record (a count of UTF-16 units, then the units)
    and where it ends; raise ``SheetError`` when it runs past the record.

    >>> wide_string(b"\\x02\\x00\\x00\\x00\\x2d\\x4e\\x87\\x65!", 0)
    ('中文', 8)
    """
    end = at + 4 + 2 * _LONG.unpack_from(data, at)[0]
    if end > len(data):
        raise SheetError("unreadable: a string runs past the end of its record (corrupt .xlsb)")
    return data[at + 4:end].decode("utf-16-le", "replace"), end


def part_records(archive: zipfile.ZipFile, member: str) -> Iterator[tuple[int, bytes]]:
    """Yield the records of a zip member, inflated a block at a time; raise ``SheetError`` when
    its compressed data is damaged (else the scan's line would read "unreadable (error)")."""
    try:
        with archive.open(member) as stream:
            yield from records(stream, archive.getinfo(member).file_size)
    except ZIP_ERRORS:
        raise SheetError(DAMAGED_PART) from None


def records(stream: BinaryIO, size: int) -> Iterator[tuple[int, bytes]]:
    """Yield ``(type, data)`` of each record of a part of ``size`` bytes read from ``stream``.

    A record's type takes 1 or 2 bytes of 7 bits, its size 1 to 4 (the high bit says another
    follows). Raise ``SheetError`` when a record would run past the part's end or
    ``MAX_RECORD_BYTES``: nothing is read or held for it."""
    buffer, at, left = b"", 0, size  # left: bytes of the part not read yet
    while True:
        end = len(buffer)
        while True:
            if at + 1 < end and buffer[at] < 0x80 and buffer[at + 1] < 0x80:  # most records: 1 + 1 bytes
                kind, start = buffer[at], at + 2
                stop = start + buffer[at + 1]
            else:
                header = _header(buffer, at, end)
                if header is None:
                    break
                kind, start, stop = header
            if stop > end:
                if stop - end > left:
                    raise SheetError("unreadable: a record runs past the end of its part (truncated or corrupt .xlsb)")
                break
            yield kind, buffer[start:stop]
            at = stop
        more = stream.read(BLOCK)
        if not more:
            if at < end:
                raise SheetError("unreadable: a part ends inside a record (truncated or corrupt .xlsb)")
            return
        left -= len(more)
        buffer, at = buffer[at:] + more, 0


def _header(buffer: bytes, at: int, end: int) -> tuple[int, int, int] | None:
    """Return ``(type, start, stop)`` of the record at ``at`` (its data's bounds), or None when
    the buffer ends inside its header."""
    if at >= end:
        return None
    kind, at = buffer[at], at + 1
    if kind & 0x80:
        if at >= end:
            return None
        kind, at = kind & 0x7F | (buffer[at] & 0x7F) << 7, at + 1
    length = 0
    for shift in (0, 7, 14, 21):
        if at >= end:
            return None
        byte, at = buffer[at], at + 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if length > MAX_RECORD_BYTES:
                raise SheetError(f"refused: a record of {length:,} bytes, over the {MAX_RECORD_BYTES:,} cap "
                                 "(corrupt .xlsb)")
            return kind, at, at + length
    raise SheetError("unreadable: a record's size runs over four bytes (corrupt .xlsb)")
