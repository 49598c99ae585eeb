"""Stream the sheets of an OpenDocument spreadsheet (.ods, .ots; flat .fods) as rows of text.

LibreOffice, and WPS and Yozo on 信创 machines, save .ods. Every sheet is a ``table:table`` of
one XML part, ``content.xml``, which expat parses a block at a time: ``ods_sheets`` yields each
sheet as its ``table:table`` starts, and that sheet's rows continue the same parse. So a sheet's
rows must be read (or dropped) before the next sheet is asked for, as ``read_spreadsheet`` does;
rows read later raise ``RuntimeError``. Memory holds one block of XML and the rows it made (a
repeated row once), whatever the workbook's size.

Rows are ``sheet_rows.Row``s, as an xlsx sheet's: the rows holding a value (the rows between are
empty), values text (None where empty). Repeats are LibreOffice's compression: empty rows and
cells repeated only move the row number or the column on (LibreOffice ends each sheet with some
million empty rows, each row with thousands of empty cells); a repeated row holding values is
yielded once a row up to one row past Excel's limit (where ``read_spreadsheet`` stops and says
so), a repeated cell holding a value is expanded up to Excel's last column (XFD): past it, it
repeats what was read. A value past XFD is left out, its sheet read on and one problem line
saying so (``xlsx_book.NO_COLUMN``, as an xlsx sheet's). A workbook whose repeats copy more
than ``MAX_REPEATED_CELLS`` cells is refused: a few bytes would otherwise make 50 million cells.
Copies are counted in characters too: past ``MAX_REPEATED_CHARS`` of them, a repeated value's
further copies read as empty, each sheet so cut one problem line (``warn``).

Each value is what a person reads, in ``cell_text.render``'s form, as an xlsx cell's:

* float, percentage and currency: ``office:value``, rendered as a number (13812345678, 0.125),
  not the text displayed, which the cell's format may round (1.38E+10) or decorate (¥12.50).
* date: ``office:date-value`` (2024-01-05, 2024-01-05 10:30:00); time: ``office:time-value``
  (10:30:00; a duration of a day or more as ``1 day, 2:00:00``); boolean: TRUE or FALSE.
  The display would depend on the format, the attribute does not.
* string (and a cell of no type): ``office:string-value`` when there is one (a formula's text),
  else the cell's ``text:p`` paragraphs joined by newlines, with ``text:s`` spaces (``MAX_SPACES``
  a run at most), tabs and line breaks; spans and links are read through, and a shape anchored in
  the cell (a text box) is read as more lines of it, as python-calamine reads it: data a person
  put there.
  A value attribute that cannot be read falls back to this text; an error (#DIV/0!) is empty.
* comments (``office:annotation``, 批注) are not the cell's value: each goes to ``comments``
  under its sheet's name as ``(cell, text)``, as an xlsx sheet's comments.
* merged cells: the covered cells are empty, unless they kept their contents (LibreOffice asks
  when merging): then they are read, as hidden sheets, rows and columns are.

Safety (SECURITY.md items 6-7): the zip's directory is checked first (``xlsx_guard.zip_refusal``:
bombs, encrypted members); a package encrypted with a password (its manifest names the
encryption of content.xml), a zip without content.xml or with another mimetype is refused in one
line; expat refuses a DTD in any part it parses (``xlsx_book.expat_parser``), and zipfile checks
content.xml's CRC as it reaches its end. XML damaged mid-way stops the parse: the rows before it
are read, the sheet is a problem line, and no later sheet can be reached. Messages name
exception types, never a cell's text.
"""

from __future__ import annotations

import collections
import datetime
import io
import re
import zipfile
from typing import BinaryIO, Callable, Iterator

from pii_audit.sources import OLE2_MAGIC
from pii_audit.sources.cell_text import render
from pii_audit.sources.damage import damaged
from pii_audit.sources.sheet_rows import EXCEL_MAX_ROWS, Row, Sheet, Source, opened
from pii_audit.sources.xlsx_book import (BLOCK, MAX_CELL_CHARS, MAX_COLUMN, NO_COLUMN, SheetError, column_letter,
                                         expat_parser, sheet_name)
from pii_audit.sources.xlsx_guard import MAX_SHARED_STRINGS_BYTES, ZIP_MAGIC, WorkbookRefused, office_zip, zip_refusal

MIMETYPES = ("application/vnd.oasis.opendocument.spreadsheet",
             "application/vnd.oasis.opendocument.spreadsheet-template")
ODF_MIMETYPE = "application/vnd.oasis.opendocument."
# The kinds of ODF document a refusal may name: what follows the prefix is the file's own text,
# which a message must not repeat (a hostile or damaged file may hold a name there).
ODF_KINDS = frozenset({"text", "graphics", "presentation", "chart", "formula", "image", "database"})
CONTENT = "content.xml"
MANIFEST = "META-INF/manifest.xml"
MAX_REPEAT = 1 << 31  # a repeat count past any sheet's extent
# Cells a workbook's repeats may copy (past each first copy). Within Excel's limits a 200-byte
# row of one value repeated across XFD and a million rows made 50 million cells: 136 s and 638 MB
# to reach the per-file cap (measured). Real files repeat few values: identical neighbours.
MAX_REPEATED_CELLS = 1 << 22
# Characters a workbook's repeats may copy (past each first copy). The cell cap alone let a 1.4 KB
# file repeat a 100 KB value 16,000 times: 1.6 GB of text handed on, which the detector joins a
# block at a time to screen it (19 s; a million-character value across XFD, 16 GB a row).
MAX_REPEATED_CHARS = 1 << 25
REPEATS_CUT = (f"repeated values copied up to {MAX_REPEATED_CHARS:,} characters; their further copies read as "
               "empty (a repetition bomb?)")
MAX_COMMENT_CHARS = MAX_SHARED_STRINGS_BYTES  # of one sheet's comments, held until it is read (as xlsx's)
# What a held comment costs beyond its text (its cell's name, a tuple: some 150 bytes), counted as
# characters against MAX_COMMENT_CHARS: counted by their text alone, 2 million comments of one
# character (a 641 KB file) held 299 MB, and as many more as the file repeats.
COMMENT_COST = 150
# Spaces one text:s makes: a run this long reads as a gap whatever its length. Uncapped, the 25
# bytes of <text:s text:c="1000000"/> made a megabyte, and a 962-byte file of 200 such cells held
# 200 MB of spaces (300 MB peak, 187 s to read).
MAX_SPACES = 100

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0 "
_NUMBERS = ("float", "percentage", "currency")
_VALUE_TYPE, _COLUMNS_REPEATED = _OFFICE + "value-type", _TABLE + "number-columns-repeated"
_DURATION = re.compile(r"(-?)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_SHEET, _ROW, _END = range(3)  # the events of a parse: a sheet starts, a row holding values, a sheet ends


def ods_sheets(source: Source, comments: dict[str, list[tuple[str, str]]] | None = None,
               flat: bool = False, warn: Callable[[str, str], None] | None = None) -> Iterator[Sheet]:
    """Yield every sheet of an OpenDocument spreadsheet, hidden ones too; raise ``WorkbookRefused``
    for a file not to read, ``xlsx_book.SheetError`` for a damaged sheet.

    ``comments``, when given, gets each sheet's comments under its name as its rows are read.
    ``flat``: ``source`` is a flat ODF file (.fods), the same XML with no zip around it.
    ``warn``, when given, is called with a sheet's name and a one-line reason when its rows are
    read short of what the file holds (``REPEATS_CUT``, ``NO_COLUMN``), once a sheet for each.
    """
    with opened(source) as handle:
        head = handle.read(len(ZIP_MAGIC))
    if flat and head != ZIP_MAGIC:  # a zipped one renamed .fods is read as the .ods it is
        with opened(source) as stream:
            yield from _sheets(stream, "the .fods file", comments, warn, flat=True)
        return
    if head == OLE2_MAGIC[:4]:
        raise WorkbookRefused("an OLE2/CFB file (an .xls renamed?), not an .ods zip")
    if head != ZIP_MAGIC:
        raise WorkbookRefused("not an .ods workbook: no zip signature (is the extension wrong?)")
    with office_zip(source if isinstance(source, str) else io.BytesIO(source)) as archive:
        _check_package(archive)
        with archive.open(CONTENT) as stream:
            yield from _sheets(stream, CONTENT, comments, warn)


def _check_package(archive: zipfile.ZipFile) -> None:
    """Raise ``WorkbookRefused`` unless ``archive`` is an OpenDocument spreadsheet we may read."""
    reason = zip_refusal(archive.infolist())
    if reason:
        raise WorkbookRefused(reason)
    if CONTENT not in archive.NameToInfo:
        raise WorkbookRefused(f"not an .ods workbook: the zip holds no {CONTENT}")
    stated = None
    if "mimetype" in archive.NameToInfo:  # the package's own statement comes first (ODF 1.2 part 3, 3.3)
        with archive.open("mimetype") as member:
            stated = member.read(200).decode("ascii", "replace").strip()
        _check_mimetype(stated)  # before the manifest is parsed: an .odt's is no concern of ours
    media_type, encrypted = _manifest(archive)
    _check_mimetype(stated if stated is not None else media_type)
    if encrypted:
        raise WorkbookRefused("encrypted .ods workbook (saved with a password): not read")


def _check_mimetype(media_type: str) -> None:
    """Refuse a package whose media type is no OpenDocument spreadsheet's (or template's)."""
    if media_type not in MIMETYPES:
        kind = media_type.removeprefix(ODF_MIMETYPE)
        what = f"an OpenDocument {kind} file" if media_type.startswith(ODF_MIMETYPE) and kind in ODF_KINDS \
            else "no OpenDocument spreadsheet mimetype"
        raise WorkbookRefused(f"not an .ods workbook: {what} (is the extension wrong?)")


def _manifest(archive: zipfile.ZipFile) -> tuple[str, bool]:
    """Return the package's media type as its manifest states it, and whether content.xml is
    encrypted (LibreOffice's "save with password": content.xml is then no XML)."""
    found = {"media_type": "", "entry": "", "encrypted": False}

    def start(name, attrs):
        if name == _MANIFEST + "file-entry":
            found["entry"] = attrs.get(_MANIFEST + "full-path", "")
            if found["entry"] == "/":
                found["media_type"] = attrs.get(_MANIFEST + "media-type", "")
        elif name == _MANIFEST + "encryption-data" and found["entry"] == CONTENT:
            found["encrypted"] = True

    if MANIFEST in archive.NameToInfo:
        parser = expat_parser(start, None, None, MANIFEST)
        with archive.open(MANIFEST) as member:
            while block := member.read(BLOCK):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    return found["media_type"], found["encrypted"]


def _sheets(stream: BinaryIO, member: str, comments: dict | None, warn: Callable[[str, str], None] | None,
            flat: bool = False) -> Iterator[Sheet]:
    """Yield ``(name, rows)`` for each sheet of the spreadsheet XML in ``stream``."""
    handler = _Handler(comments if comments is not None else {}, flat)
    content = _Content(stream, member, handler)
    index = 0
    while (event := content.next_event()) is not None:
        if event[0] == _SHEET:  # rows and ends of a sheet left unread are dropped here
            index += 1
            content.sheet = index
            yield event[1], _rows(content, index, _once(event[1], warn))
            content.sheet = 0
    if not handler.spreadsheet:
        raise WorkbookRefused(f"not an OpenDocument spreadsheet: {member} holds no office:spreadsheet")


def _rows(content: _Content, index: int, note: Callable[[str], None]) -> Iterator[Row]:
    """Yield the rows of sheet ``index`` (see the module's docstring), up to the first past
    Excel's limit (an empty one when no row holding a value is: the reader stops there); call
    ``note`` with ``REPEATS_CUT`` when a row or its cells are repeated short of the file's count
    (``MAX_REPEATED_CHARS``), with ``NO_COLUMN`` when a row's value past XFD was left out."""
    handler = content.handler
    while True:
        if content.sheet != index:
            raise RuntimeError("the rows of an .ods sheet were read after the next sheet was asked for")
        event = content.next_event()
        if event is None or event[0] != _ROW:
            return
        _, number, first, values, repeat, cells_cut, cells_lost = event
        if number > EXCEL_MAX_ROWS + 1:
            yield EXCEL_MAX_ROWS + 1, 0, []
            return
        if cells_cut:
            note(REPEATS_CUT)
        if cells_lost:
            note(NO_COLUMN)
            if not values:
                continue
        end = min(number + repeat, EXCEL_MAX_ROWS + 2)
        handler.copied((end - number - 1) * len(values))
        chars = sum(len(value) for value in values if value)
        for repeated in range(number, end):
            # A copy's characters are counted as it is read: a sampled sheet reads few.
            if repeated > number and not handler.repeats(1, chars):
                note(REPEATS_CUT)
                break
            yield repeated, first, values if repeat == 1 else list(values)  # each row its own list
        if number + repeat > EXCEL_MAX_ROWS + 1:
            return  # the row past the limit is out: the rest of the sheet is dropped unread


def _once(sheet: str, warn: Callable[[str, str], None] | None) -> Callable[[str], None]:
    """Return a function that warns of ``sheet`` with a reason the first time it is given."""
    warned: set[str] = set()

    def note(reason: str) -> None:
        if warn is not None and reason not in warned:
            warned.add(reason)
            warn(sheet, reason)

    return note


class _Content:
    """The parse of one spreadsheet XML stream: the events its handler made, a block at a time."""

    def __init__(self, stream: BinaryIO, member: str, handler: _Handler):
        self.stream, self.member, self.handler = stream, member, handler
        self.parser = expat_parser(handler.start, handler.end, handler.text, member)
        self.events = handler.events
        self.finished = False
        self.error: Exception | None = None
        self.sheet = 0  # the sheet whose rows may be read now (0: none)

    def next_event(self) -> tuple | None:
        """Return the next event, parsing on as needed; None at the end. An error is raised once
        the events made before it are taken, so a sheet's rows before damaged XML are read."""
        while not self.events:
            if self.error is not None:
                error, self.error, self.finished = self.error, None, True
                raise error
            if self.finished:
                return None
            self._parse_block()
        return self.events.popleft()

    def _parse_block(self) -> None:
        try:
            block = self.stream.read(BLOCK)
            self.parser.Parse(block, not block)
            self.finished = not block
        except (SheetError, WorkbookRefused) as error:
            self.error = error
        except Exception as error:  # noqa: BLE001 - expat, zipfile, zlib: the message may quote XML
            self.error = SheetError(f"{damaged(self.member, error)}; no sheet after this point can be read")


class _Text:
    """The text of a cell or a comment: its paragraphs' pieces, and their size so far."""

    __slots__ = ("parts", "paragraphs", "size")

    def __init__(self):
        self.parts: list[str] = []
        self.paragraphs = 0
        self.size = 0

    def paragraph(self) -> None:
        """Start a paragraph: paragraphs after the first start on a new line."""
        if self.paragraphs:
            self.add("\n")
        self.paragraphs += 1

    def add(self, text: str) -> None:
        """Add a piece of text; raise ``SheetError`` past ``MAX_CELL_CHARS``."""
        self.size += len(text)
        if self.size > MAX_CELL_CHARS:
            raise SheetError(f"unreadable: a cell or comment of more than {MAX_CELL_CHARS:,} characters")
        self.parts.append(text)

    def value(self) -> str:
        """Return the text."""
        return "".join(self.parts)


class _Handler:
    """Expat handlers that turn a spreadsheet's XML into events: sheets, rows holding values, ends."""

    def __init__(self, comments: dict[str, list[tuple[str, str]]], flat: bool):
        self.events: collections.deque = collections.deque()
        self.comments, self.flat = comments, flat
        self.spreadsheet = self.in_spreadsheet = False
        self.tables = 0  # table:table elements open: 1 in a sheet, more in a table nested in it
        self.sheets, self.name, self.comment_chars = 0, "", 0
        self.number, self.row_repeat = 1, 1  # the row's number, and how many rows it stands for
        self.first, self.values, self.column = 0, [], 0
        self.cell, self.cell_repeat, self.value = False, 1, None
        self.copies = 0  # cells made by repeats so far (copied)
        self.copied_chars = 0  # characters of the values they copy (repeats)
        self.cut = False  # a cell of the row open now was repeated short of its count
        self.lost = False  # a value of the row open now was past XFD, left out
        self.content: _Text | None = None  # of the cell, when its value is its text
        self.note: _Text | None = None  # of the cell's comment
        self.target: _Text | None = None  # where the paragraph open now goes
        self.paragraphs = 0  # paragraphs open in the cell
        self.starts = {_TABLE + "table-cell": self._cell, _TABLE + "covered-table-cell": self._cell,
                       _TABLE + "table-row": self._row, _TEXT + "p": self._paragraph,
                       _TEXT + "h": self._paragraph, _TEXT + "s": self._spaces, _TEXT + "tab": self._tab,
                       _TEXT + "line-break": self._line_break, _OFFICE + "annotation": self._note,
                       _TABLE + "table": self._table, _OFFICE + "spreadsheet": self._spreadsheet}
        self.ends = {_TABLE + "table-cell": self._cell_end, _TABLE + "covered-table-cell": self._cell_end,
                     _TABLE + "table-row": self._row_end, _TEXT + "p": self._paragraph_end,
                     _TEXT + "h": self._paragraph_end, _OFFICE + "annotation": self._note_end,
                     _TABLE + "table": self._table_end, _OFFICE + "spreadsheet": self._spreadsheet_end}

    def start(self, name: str, attrs: dict) -> None:
        """Handle an element's start."""
        handle = self.starts.get(name)
        if handle is not None:
            handle(attrs)
        elif self.flat and name == _OFFICE + "document":
            _check_flat(attrs)

    def end(self, name: str) -> None:
        """Handle an element's end."""
        handle = self.ends.get(name)
        if handle is not None:
            handle()

    def text(self, data: str) -> None:
        """Collect the text of the paragraph open now, if it is a value's or a comment's."""
        if self.target is not None:
            self.target.add(data)

    def _spreadsheet(self, attrs: dict) -> None:
        self.spreadsheet = self.in_spreadsheet = True

    def _spreadsheet_end(self) -> None:
        self.in_spreadsheet = False

    def _table(self, attrs: dict) -> None:
        if not self.in_spreadsheet:
            return
        self.tables += 1
        if self.tables == 1:
            self.sheets += 1
            self.name = sheet_name(attrs.get(_TABLE + "name") or f"Sheet{self.sheets}")
            self.number, self.comment_chars = 1, 0
            self.events.append((_SHEET, self.name))

    def _table_end(self) -> None:
        if not self.in_spreadsheet:
            return
        self.tables -= 1
        if self.tables == 0:
            self.events.append((_END,))

    def _row(self, attrs: dict) -> None:
        if self.tables == 1:
            self.row_repeat = _count(attrs.get(_TABLE + "number-rows-repeated"))
            self.first, self.values, self.column, self.cut, self.lost = 0, [], 0, False, False

    def _row_end(self) -> None:
        if self.tables != 1:
            return
        if self.values or self.lost:
            self.events.append((_ROW, self.number, self.first, self.values, self.row_repeat, self.cut, self.lost))
            self.values = []
        self.number += self.row_repeat

    def _cell(self, attrs: dict) -> None:
        if self.tables != 1:
            return
        self.cell, self.paragraphs = True, 0
        repeat = attrs.get(_COLUMNS_REPEATED)
        self.cell_repeat = _count(repeat) if repeat else 1
        self.value = value = _attribute_value(attrs) if _VALUE_TYPE in attrs else None
        self.content = _Text() if value is None else None

    def _cell_end(self) -> None:
        if self.tables != 1:
            return
        value = self.value if self.value is not None else self.content.value()
        if value:
            self._place(value)
        self.column += self.cell_repeat
        self.cell, self.content, self.target = False, None, None

    def _place(self, value: str) -> None:
        """Put a cell's value in the row, repeated as its cell is, up to column XFD; past it, leave
        it out (a row stays bounded) and mark the row (``NO_COLUMN``): it refused the rest of its sheet."""
        column, values = self.column, self.values
        if column > MAX_COLUMN:
            self.lost = True
            return
        if self.cell_repeat == 1 and values and column == self.first + len(values):
            values.append(value)  # the usual case: the cell next to the last one
            return
        count = min(self.cell_repeat, MAX_COLUMN + 1 - column)
        copies = self.repeats(count - 1, len(value))
        self.cut = self.cut or copies < count - 1
        count = copies + 1
        self.copied(copies)
        if not values:
            self.first, self.values = column, [value] * count
            return
        values.extend([None] * (column - self.first - len(values)))
        values.extend([value] * count)

    def repeats(self, copies: int, chars: int) -> int:
        """Return how many of ``copies`` of a value (or a row) of ``chars`` characters to make: as
        many as fit in what is left of ``MAX_REPEATED_CHARS``, counted against it."""
        if copies <= 0 or chars == 0:
            return max(copies, 0)
        made = min(copies, (MAX_REPEATED_CHARS - self.copied_chars) // chars)
        self.copied_chars += made * chars
        return made

    def copied(self, cells: int) -> None:
        """Count cells made by repeating a row or a cell; refuse the workbook past ``MAX_REPEATED_CELLS``."""
        self.copies += cells
        if self.copies > MAX_REPEATED_CELLS:
            raise WorkbookRefused(f"refused: its repeated rows and cells make more than {MAX_REPEATED_CELLS:,} "
                                  "cells (a repetition bomb?)")

    def _paragraph(self, attrs: dict) -> None:
        target = self.note if self.note is not None else self.content
        if self.cell and target is not None:
            target.paragraph()
            self.target = target
            self.paragraphs += 1

    def _paragraph_end(self) -> None:
        if self.paragraphs:
            self.paragraphs -= 1
        if not self.paragraphs:  # one in a shape's text box may be inside the cell's own
            self.target = None

    def _spaces(self, attrs: dict) -> None:
        if self.target is not None:
            self.target.add(" " * min(_count(attrs.get(_TEXT + "c")), MAX_SPACES))

    def _tab(self, attrs: dict) -> None:
        if self.target is not None:
            self.target.add("\t")

    def _line_break(self, attrs: dict) -> None:
        if self.target is not None:
            self.target.add("\n")

    def _note(self, attrs: dict) -> None:
        if self.cell:
            self.note, self.target, self.paragraphs = _Text(), None, 0

    def _note_end(self) -> None:
        if not self.cell or self.note is None:
            return
        text, self.note, self.target, self.paragraphs = self.note.value(), None, None, 0
        if not text:
            return
        self.comment_chars += len(text) + COMMENT_COST
        if self.comment_chars > MAX_COMMENT_CHARS:
            raise SheetError(f"refused: a sheet's comments of more than {MAX_COMMENT_CHARS:,} characters "
                             f"(each counted {COMMENT_COST} more)")
        self.comments.setdefault(self.name, []).append((f"{column_letter(min(self.column, MAX_COLUMN))}"
                                                        f"{self.number}", text))


def _check_flat(attrs: dict) -> None:
    """Refuse a flat ODF file (.fods) that says it is no spreadsheet."""
    if attrs.get(_OFFICE + "mimetype") not in MIMETYPES:
        raise WorkbookRefused("not a flat OpenDocument spreadsheet: its office:mimetype names no spreadsheet")


def _attribute_value(attrs: dict) -> str | None:
    """Return a cell's value, rendered, from its value attributes; None when its text is its value."""
    kind = attrs[_VALUE_TYPE]
    if kind in _NUMBERS:
        return _number(attrs.get(_OFFICE + "value"))
    if kind == "date":
        return _date(attrs.get(_OFFICE + "date-value"))
    if kind == "time":
        return _time(attrs.get(_OFFICE + "time-value"))
    if kind == "boolean":
        flag = attrs.get(_OFFICE + "boolean-value")
        return None if flag is None else render(flag.strip().lower() in ("true", "1"))
    return attrs.get(_OFFICE + "string-value")


def _number(text: str | None) -> str | None:
    """Return ``office:value`` rendered as a number, or None when it is none.

    >>> _number("13812345678"), _number("6.22202123456789E+018"), _number("0.125"), _number("x")
    ('13812345678', '6222021234567890000', '0.125', None)
    """
    try:
        return render(float(text))
    except (TypeError, ValueError):
        return None


def _date(text: str | None) -> str | None:
    """Return ``office:date-value`` rendered as a date, or a date and time; None when unreadable.

    >>> _date("2024-01-05"), _date("2024-01-05T10:30:00"), _date("2024-01-05T00:00:00"), _date("x")
    ('2024-01-05', '2024-01-05 10:30:00', '2024-01-05', None)
    """
    try:
        moment = datetime.datetime.fromisoformat(text.strip().removesuffix("Z"))
    except (AttributeError, ValueError):
        return None
    return render(moment)


def _time(text: str | None) -> str | None:
    """Return ``office:time-value`` (an ISO 8601 duration) rendered as a time of day, or as a
    duration when a day or more; None when unreadable.

    >>> _time("PT10H30M00S"), _time("PT36H00M00S"), _time("PT00H00M01.5S"), _time("x")
    ('10:30:00', '1 day, 12:00:00', '00:00:01.500000', None)
    """
    found = _DURATION.fullmatch(text.strip()) if text else None
    if found is None:
        return None
    sign, days, hours, minutes, seconds = found.groups()
    try:
        span = datetime.timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                                  seconds=float(seconds or 0))
    except (OverflowError, ValueError):
        return None
    if sign:
        span = -span
    if datetime.timedelta(0) <= span < datetime.timedelta(days=1):
        return render((datetime.datetime.min + span).time())
    return render(span)


def _count(text: str | None) -> int:
    """Return a repeat or space count attribute: 1 when absent or no positive number, capped.

    >>> _count(None), _count("3"), _count("0"), _count("-2"), _count("9" * 40)
    (1, 3, 1, 1, 2147483648)
    """
    if not text or not text.isascii() or not text.isdigit():
        return 1
    return max(1, min(int(text), MAX_REPEAT)) if len(text) <= 10 else MAX_REPEAT
