"""Stream the rows of each worksheet of a legacy .xls workbook (BIFF8 records in an OLE2 file).

No maintained library streams BIFF8, so it is read here: python-calamine (Rust) decodes the whole
workbook when it opens it (it grew the process by 76 MB for a 13.6 MB .xls, by 154 MB for 25.7 MB
of number cells), xlrd (pure Python) holds the whole file and a whole sheet, and olefile reads a
whole stream into memory. ``ole2`` hands out the ``Workbook`` stream a block at a time; its globals
come first (the sheets and where each starts, the shared strings, the number formats), then each
worksheet's cells, gathered into rows as BIFF stores them, row after row. Memory holds the shared
strings (capped at ``MAX_SST_CHARS``, packed when many), one block of the stream and one row,
whatever the workbook's size. Measured (``bench/xls.py``, peak RSS growth while reading): a 12.6 MiB
workbook of 655,360 numbers 6 MB (python-calamine 71 MB); an 8.5 MiB customer export of 65,536
rows 16 MB, most of it its 131,071 unique strings (python-calamine 52 MB). Reading takes about
twice python-calamine's time (0.50 against 0.24 s for that export), a whole scan of it 8% more
CPU (5.49 against 5.10 s; 3% for one of 4 MiB): one reader serves every size.

Cells come out as text, as ``cell_text.render`` writes python-calamine's values for the same cells
(a mobile stored as a number reads ``13812345678``; a number under a date format a date, as
python-calamine and the xlsx reader type it; TRUE/FALSE; error values and empty strings None), and
rows as the xlsx reader gives them (``xlsx_stream``). Where python-calamine differs from the xlsx
reader, the xlsx reader is followed: a formula's cached number under a date format is a date
(python-calamine gives the bare number). An Excel 5.0/95 workbook (BIFF5, by its BOF's version;
Excel names its stream ``Book``) is not read here (``NotBiff8``; ``xls_biff5`` checks it for
python-calamine). Any damage is a one-line ``WorkbookRefused`` (the globals, the
container) or ``SheetError`` (a sheet), never a hang or a large allocation: every length is
checked against what is there.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Iterator

from pii_audit.sources import ole2
from pii_audit.sources.cell_text import render
from pii_audit.sources.xlsx_book import (
    DURATION, FREE_CHARS, MAX_CELL_STYLES, Charged, Row, SharedStrings, SheetError, StringTable, allowance_for,
    excel_date, format_kind, missing_string, place, sheet_name, style_kind,
)
from pii_audit.sources.xlsx_guard import MAX_SHARED_STRINGS_BYTES, WorkbookRefused

BLOCK = 1024**2  # bytes of the stream read at a time
# Shared strings are held, as an xlsx's are: at most 2 bytes a character as str, a string's place
# counted as 2 characters more, so the table stays within the xlsx reader's 96 MiB cap.
MAX_SST_CHARS = MAX_SHARED_STRINGS_BYTES // 2
MAX_SHEETS = 65_536  # a BOUNDSHEET record takes 12 bytes: a hostile file could list millions
BIFF8, BIFF5 = 0x0600, 0x0500  # BOF versions of Excel 97 and later, and of Excel 5.0/95
WORKSHEET = 0  # BOUNDSHEET8's sheet type; macro sheets (1), charts (2) and VB modules (6) hold no cells
# Record types (MS-XLS 2.3).
BOF, EOF, CONTINUE, FILEPASS, BOUNDSHEET, SST = 0x0809, 0x000A, 0x003C, 0x002F, 0x0085, 0x00FC
XF, FORMAT, DATE1904 = 0x00E0, 0x041E, 0x0022
LABELSST, LABEL, RSTRING, NUMBER_RECORD, RK, MULRK = 0x00FD, 0x0204, 0x00D6, 0x0203, 0x027E, 0x00BD
FORMULA, STRING, BOOLERR = 0x0006, 0x0207, 0x0205
MSODRAWINGGROUP, MSODRAWING = 0x00EB, 0x00EC  # a workbook's drawing group (its pictures), a sheet's drawing
# Records of a drawing group whose places are held: 800 MB of pictures, 8,224 bytes a record as Excel
# writes them; a hostile stream of 4-byte records would hold millions.
MAX_DRAWING_RECORDS = 100_000
# The format indexes python-calamine takes a FORMAT record's code for; others keep their built-in.
_CUSTOM_FORMATS = frozenset([*range(5, 9), *range(23, 27), *range(41, 45), *range(63, 67), *range(164, 383)])
_HEAD = struct.Struct("<HH")
_CELL = struct.Struct("<HHH")
_LABELSST = struct.Struct("<HHHI")
_RK = struct.Struct("<HHHi")
_XF_RK = struct.Struct("<Hi")
_NUMBER = struct.Struct("<HHHd")
_DOUBLE = struct.Struct("<d")
_SHORT = struct.Struct("<H")
_LONG = struct.Struct("<I")
_TOO_SHORT = "unreadable: a record too short for its type (corrupt .xls)"


class NotBiff8(Exception):
    """The workbook is Excel 5.0/95 or older (BIFF5 or before), which this reader does not read."""


@dataclass
class Book(Charged):
    """What the rows of every worksheet need: where they start, shared strings, date formats."""

    stream: ole2.Stream
    # (name, offset of its BOF, offset of the next sheet's BOF or the stream's end) of each worksheet
    sheets: list[tuple[str, int, int]] = field(default_factory=list)
    strings: list[str] | StringTable = field(default_factory=list)
    kinds: bytes = bytes(65_536)  # NUMBER (0), DATE or DURATION of each XF (cell format), by index
    date1904: bool = False
    allowance: int = 0  # characters long shared strings may still be read by reference (charge)


def read_book(compound: ole2.CompoundFile, folder: str = "") -> Book:
    """Read the globals of the .xls workbook in the open compound file ``compound`` (in its storage
    ``folder``, for a workbook embedded in another file as an object).

    Raise ``WorkbookRefused`` for a corrupt, encrypted or hostile file and ``NotBiff8`` for a
    workbook older than Excel 97."""
    # Excel 5.0/95 names the stream "Book", 97 and later "Workbook"; the BOF's version tells them
    # apart (_globals): an Excel 97 workbook in a Book stream went to python-calamine, which reads
    # its shared strings again for every cell, with no allowance (xlsx_book.REPEATS_CUT).
    _, stream = compound.open(("Workbook", "Book"), folder)
    try:
        return _globals(records(stream, 0), stream)
    except SheetError as error:
        raise WorkbookRefused(str(error)) from None
    except (struct.error, IndexError):
        raise WorkbookRefused(_TOO_SHORT) from None


def sheet_rows(book: Book, offset: int, end: int) -> Iterator[Row]:
    """Yield the rows of the worksheet whose substream lies between ``offset`` and ``end`` that
    hold a value (``read_spreadsheet`` counts the empty ones); a row's values are text (None where empty)
    from its first non-empty column. Raise ``SheetError`` when the sheet is damaged."""
    stored = records(book.stream, offset, end)
    record = next(stored, None)
    if record is None or record[0] != BOF:
        raise SheetError("unreadable: the sheet is not where the workbook says (corrupt .xls)")
    try:
        yield from _rows(_cells(stored, book))
    except (struct.error, IndexError):
        raise SheetError(_TOO_SHORT) from None


def records(stream: ole2.Stream, offset: int, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield ``(type, data)`` of each record of a stream from ``offset`` up to ``end`` (its end
    when None), read a block at a time.

    Raise ``SheetError`` when the stream ends inside a record."""
    limit = stream.size if end is None else min(end, stream.size)
    buffer, at, read = b"", 0, offset  # read: the stream's offset just past the buffer
    head = _HEAD.unpack_from
    while True:
        size = len(buffer)
        while at + 4 <= size:
            kind, length = head(buffer, at)
            stop = at + 4 + length
            if stop > size:
                break
            yield kind, buffer[at + 4:stop]
            at = stop
        more = stream.read(read, min(BLOCK, limit - read))  # a block holds any record (65,539 bytes at most)
        if not more:
            if at < size:
                raise SheetError("unreadable: the workbook stream ends inside a record (truncated or corrupt .xls)")
            return
        read += len(more)
        buffer, at = buffer[at:] + more, 0


def _globals(stored: Iterator[tuple[int, bytes]], stream: ole2.Stream) -> Book:
    """Read the workbook globals, from their BOF to their EOF, into a ``Book``."""
    record = next(stored, None)
    if record is None or record[0] != BOF:
        raise WorkbookRefused("not an .xls workbook: its Workbook stream does not start with a BOF record")
    version = _SHORT.unpack_from(record[1])[0]
    if version == BIFF5:
        raise NotBiff8(hex(version))
    if version != BIFF8:
        raise WorkbookRefused(f"not an .xls workbook Excel writes: BIFF version {version:#06x} (corrupt .xls?)")
    book, formats, xf_formats, listed = Book(stream), {}, [], []
    for kind, data in stored:
        if kind == EOF:
            # Padded to every index a cell may name (2 bytes), so that a cell's lookup needs no check.
            book.kinds = bytes(style_kind(str(number), formats) for number in xf_formats).ljust(65_536, b"\0")
            book.sheets = _bounded(listed, stream.size)
            book.allowance = allowance_for(book.strings)
            return book
        if kind == FILEPASS:
            raise WorkbookRefused("encrypted .xls workbook: not read")
        if kind == BOUNDSHEET:
            if len(listed) >= MAX_SHEETS:
                raise WorkbookRefused(f"refused: more than {MAX_SHEETS:,} sheets")
            listed.append(_sheet_entry(data))
        elif kind == XF:
            if len(xf_formats) >= MAX_CELL_STYLES:
                raise WorkbookRefused(f"refused: more than {MAX_CELL_STYLES:,} cell formats")
            xf_formats.append(_SHORT.unpack_from(data, 2)[0])
        elif kind == FORMAT and _SHORT.unpack_from(data)[0] in _CUSTOM_FORMATS:
            formats[str(_SHORT.unpack_from(data)[0])] = format_kind(_unicode_string(_Continued(data, stored, 2)))
        elif kind == DATE1904:
            book.date1904 = _SHORT.unpack_from(data)[0] == 1
        elif kind == SST:
            book.strings = _shared_strings(data, stored)
    raise SheetError("unreadable: the workbook stream ends inside its globals (truncated .xls?)")


def _sheet_entry(data: bytes) -> tuple[str, int, int]:
    """Return ``(name, offset of its BOF, type)`` of the sheet a BOUNDSHEET record lists."""
    offset, sheet_type = struct.unpack_from("<I1xB", data)
    count, wide = data[6], data[7] & 1
    name = data[8:8 + (count << wide)].decode("utf-16-le" if wide else "latin-1", "replace")
    # Line breaks as "?", as an .xlsx's (xlsx_book.sheet_name): the name is in its problem lines.
    return sheet_name(name.replace("\0", "")), offset, sheet_type


def drawing_parts(stream: ole2.Stream) -> tuple[list[tuple[str, int, int]], list[tuple[int, int]]]:
    """Return the worksheets (``(name, offset, end)``, as ``Book.sheets``) of a BIFF8 workbook
    stream and where the data of its drawing group lie: ``(offset, size)`` of each
    MsoDrawingGroup record's and of the Continue records after one, in order (``office_art.Joined``
    reads them as one). Nothing for an encrypted workbook or one older than Excel 97; raise
    ``WorkbookRefused`` or ``SheetError`` for a damaged one."""
    stored = records(stream, 0)
    first = next(stored, None)
    if first is None or first[0] != BOF or _SHORT.unpack_from(first[1])[0] != BIFF8:
        return [], []
    at, listed, parts, previous = 4 + len(first[1]), [], [], BOF
    for kind, data in stored:
        if kind == FILEPASS:  # encrypted, its drawing group with it
            return [], []
        if kind == EOF:
            return _bounded(listed, stream.size), parts
        if kind == BOUNDSHEET and len(listed) < MAX_SHEETS:
            listed.append(_sheet_entry(data))
        elif kind == MSODRAWINGGROUP or (kind == CONTINUE and previous == MSODRAWINGGROUP):
            if len(parts) < MAX_DRAWING_RECORDS:  # past them, the picture cut short reads as damaged
                parts.append((at + 4, len(data)))
        previous = previous if kind == CONTINUE else kind
        at += 4 + len(data)
    return [], []


def sheet_drawing(stream: ole2.Stream, offset: int, end: int, limit: int) -> bytes:
    """Return the data of a sheet's MsoDrawing records (and of the Continue records after one)
    joined: its drawing's shapes; empty past ``limit`` bytes, or where the sheet is damaged."""
    joined, previous, depth = bytearray(), BOF, 0
    try:
        for kind, data in records(stream, offset, end):
            # A chart on the sheet is a substream inside it, its BOF to its EOF, its drawing its own.
            depth += (kind == BOF) - (kind == EOF)
            if depth == 0:
                break
            if depth == 1 and (kind == MSODRAWING or (kind == CONTINUE and previous == MSODRAWING)):
                joined += data
                if len(joined) > limit:
                    return b""
            previous = previous if kind == CONTINUE else kind
    except SheetError:
        return b""
    return bytes(joined)


def _bounded(listed: list[tuple[str, int, int]], size: int) -> list[tuple[str, int, int]]:
    """Return ``(name, offset, end)`` of each worksheet listed, ``end`` the next sheet's offset.

    A sheet's substream ends before the next one starts, so no sheet is read past it: a hostile
    list of sheets all starting near one another cannot make the stream be read over and over."""
    offsets = sorted(offset for _, offset, _ in listed)
    if len(set(offsets)) < len(offsets):
        raise WorkbookRefused("unreadable: two sheets start at the same place (corrupt .xls)")
    ends = dict(zip(offsets, offsets[1:] + [size]))
    return [(name, offset, ends[offset]) for name, offset, kind in listed if kind == WORKSHEET]


def _shared_strings(data: bytes, stored: Iterator[tuple[int, bytes]]) -> list[str] | StringTable:
    """Return the shared strings of an SST record and the CONTINUE records after it."""
    declared = _LONG.unpack_from(data, 4)[0]
    part = _Continued(data, stored, 8, "the shared strings table holds fewer strings than it declares")
    strings, budget = SharedStrings(), MAX_SST_CHARS
    for _ in range(declared):  # each string takes 3 bytes at least: the records bound the loop
        count, flags = struct.unpack("<HB", part.take(3))
        runs = _SHORT.unpack(part.take(2))[0] if flags & 0x08 else 0  # rich text: 4 bytes a run
        phonetic = _LONG.unpack(part.take(4))[0] if flags & 0x04 else 0  # East Asian phonetic data
        text = part.chars(count, flags & 1)
        part.skip(4 * runs + phonetic)
        budget -= len(text) + 2
        if budget < 0:
            raise WorkbookRefused(f"refused: shared strings of more than {MAX_SST_CHARS:,} characters, "
                                  "over the cap")
        strings.add(text)
    return strings.table()


class _Continued:
    """A record's data and its CONTINUE records' after it, read across their boundaries."""

    def __init__(self, data: bytes, stored: Iterator[tuple[int, bytes]], at: int,
                 cut: str = "a string runs past the end of its record"):
        self.data, self.stored, self.at, self.cut = data, stored, at, cut

    def take(self, count: int) -> bytes:
        """Return the next ``count`` bytes."""
        data, at = self.data, self.at
        if at + count <= len(data):
            self.at = at + count
            return data[at:at + count]
        parts = []
        while count:
            if self.at >= len(self.data):
                self._next()
            piece = self.data[self.at:self.at + count]
            self.at += len(piece)
            count -= len(piece)
            parts.append(piece)
        return b"".join(parts)

    def skip(self, count: int) -> None:
        """Pass over the next ``count`` bytes (rich text runs, phonetic data)."""
        while count:
            if self.at >= len(self.data):
                self._next()
            step = min(count, len(self.data) - self.at)
            self.at += step
            count -= step

    def chars(self, count: int, wide: int) -> str:
        """Return the next ``count`` characters, UTF-16 when ``wide``, else compressed (latin-1)."""
        data, at = self.data, self.at
        end = at + (count << wide)
        if end <= len(data):
            self.at = end
            return data[at:end].decode("utf-16-le", "replace") if wide else data[at:end].decode("latin-1")
        parts = []
        while count:
            if self.at >= len(self.data):
                self._next()
                if not self.data:
                    continue
                # A string cut by a CONTINUE goes on after a flags byte of its own: the rest may be
                # compressed where the start was not, or the other way round.
                wide, self.at = self.data[0] & 1, 1
            taken = min(count, (len(self.data) - self.at) >> wide)
            piece = self.data[self.at:self.at + (taken << wide)]
            # An odd byte left over in UTF-16 is no character: the string goes on in the next record.
            self.at = self.at + len(piece) if taken else len(self.data)
            parts.append(piece if wide else piece.decode("latin-1").encode("utf-16-le"))
            count -= taken
        # Decoded once, so that a surrogate pair cut in two by a record boundary stays one character.
        return b"".join(parts).decode("utf-16-le", "replace")

    def _next(self) -> None:
        record = next(self.stored, None)
        if record is None or record[0] != CONTINUE:
            raise SheetError(f"unreadable: {self.cut} (corrupt .xls)")
        self.data, self.at = record[1], 0


def _unicode_string(part: _Continued) -> str:
    """Return an XLUnicodeString (2-byte length, flags, characters) read from ``part``."""
    count, flags = struct.unpack("<HB", part.take(3))
    return part.chars(count, flags & 1)


def _cells(stored: Iterator[tuple[int, bytes]], book: Book) -> Iterator[tuple[int, int, str | None]]:
    """Yield ``(row, column, text)`` of each cell of a worksheet's substream, in the order stored.

    One loop over the record types, the common ones first: a function call per record would cost
    a third more (measured on the bench workbooks)."""
    strings, depth, formula = book.strings, 1, None
    kinds = book.kinds  # the NUMBER (0), DATE or DURATION of each cell format
    for kind, data in stored:
        if depth > 1:  # an embedded chart's substream: its series data are no cells of the sheet
            depth += (kind == BOF) - (kind == EOF)
        elif kind == LABELSST:
            row, column, _, index = _LABELSST.unpack_from(data)
            if index >= len(strings):  # empty, said once a sheet (noted_rows): it refused the rest of the sheet
                book.absent(missing_string(len(strings)))
                continue
            text = strings[index]
            if len(text) <= FREE_CHARS or book.charge(text):  # 16,000 cells reading 65,000 characters: 1 G of them
                yield row, column, text
        elif kind == RK:
            row, column, xf, rk = _RK.unpack_from(data)
            value = rk_value(rk)
            yield row, column, dated(value, kinds[xf], book.date1904) if kinds[xf] else render(value)
        elif kind == NUMBER_RECORD:
            row, column, xf, value = _NUMBER.unpack_from(data)
            yield row, column, dated(value, kinds[xf], book.date1904) if kinds[xf] else render(value)
        elif kind == MULRK:
            row, first = _HEAD.unpack_from(data)
            for index in range((len(data) - 6) // 6):
                xf, rk = _XF_RK.unpack_from(data, 4 + 6 * index)
                value = rk_value(rk)
                yield row, first + index, dated(value, kinds[xf], book.date1904) if kinds[xf] else render(value)
        elif kind == FORMULA:
            row, column, xf = _CELL.unpack_from(data)
            formula = None
            if data[12:14] != b"\xff\xff":  # a number; else the result's type is in data[6]
                value = _DOUBLE.unpack_from(data, 6)[0]
                yield row, column, dated(value, kinds[xf], book.date1904) if kinds[xf] else render(value)
            elif data[6] == 0:  # a string: in the STRING record that follows
                formula = (row, column)
            elif data[6] == 1:
                yield row, column, "TRUE" if data[8] else "FALSE"
        elif kind == STRING:
            if formula is not None:
                yield (*formula, _unicode_string(_Continued(data, stored, 0)))
            formula = None
        elif kind in (LABEL, RSTRING):
            row, column, _ = _CELL.unpack_from(data)
            yield row, column, _unicode_string(_Continued(data, stored, 6))
        elif kind == BOOLERR:
            row, column, _ = _CELL.unpack_from(data)
            if not data[7]:  # else an error value (#N/A...), empty as python-calamine reads it
                yield row, column, "TRUE" if data[6] else "FALSE"
        elif kind == BOF:
            depth += 1
        elif kind == EOF:
            return
    raise SheetError("unreadable: the sheet ends without its EOF record (truncated or corrupt .xls)")


def rk_value(rk: int) -> int | float:
    """Return the number an RK holds: a 30-bit integer, or a double's top 30 bits, maybe /100.

    >>> rk_value(123 << 2 | 2), rk_value(-1234 << 2 | 3), rk_value(0x3FF00000), rk_value(0x3FF00001)
    (123, -12.34, 1.0, 0.01)
    """
    if rk & 2:
        value = rk >> 2
        if rk & 1:
            return value / 100 if value % 100 else value // 100
        return value
    value = _DOUBLE.unpack(struct.pack("<Q", (rk & 0xFFFFFFFC) << 32))[0]
    return value / 100 if rk & 1 else value


def dated(value: int | float, kind: int, date1904: bool) -> str:
    """Return the text of a number under a date (or duration) format: a date, time or duration."""
    if not math.isfinite(value):  # NaN or infinity is no date (a damaged cell)
        return render(value)
    try:
        return render(excel_date(float(value), date1904, kind == DURATION))
    except OverflowError:  # past ~1e300 its milliseconds overflow: the number, as past 9999-12-31
        return render(value)


def _rows(cells: Iterator[tuple[int, int, str | None]]) -> Iterator[Row]:
    """Gather cells into rows (1-based numbers), the rows holding a value only: the empty rows
    between are counted by ``read_spreadsheet``, not made (a row far down made thousands).

    BIFF stores a sheet's cells row after row; a cell stored after a later row's (no writer
    known does that) comes out in a row of its own under its number, so nothing is held back."""
    number, first, values = -1, 0, []  # the row being gathered
    for row, column, text in cells:
        if not text:
            continue
        if row != number:
            if values:
                yield number + 1, first, values
            number, first, values = row, column, [text]
        elif column == first + len(values):
            values.append(text)
        else:
            first = place(values, first, column, text)
    if values:
        yield number + 1, first, values
