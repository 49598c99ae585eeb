"""Stream the rows of an xlsx worksheet in bounded memory, as text rendered as python-calamine's values.

A worksheet's XML is inflated in blocks of ``BLOCK`` bytes. A block in the plain shape that
Excel, LibreOffice and openpyxl write (``<c r="B2" s=".." t="..">`` holding ``<f>``, ``<v>`` or a
plain ``<is><t>``) is cut into cells by one regular expression, each cell checked to have been
matched whole; anything else (comments, CDATA, namespace declarations, rich inline text, other
encodings, a cell without a reference...) sends the whole sheet through expat instead, from its
start, skipping the rows already given. A block whose rows all hold the same columns is typed
column by column. CPU per row of the bench workbook (200,000 rows x 10 columns of inline
strings, numbers and dates; best of interleaved runs on the shared machine): 12-15 us by the
expression, 46-49 us by expat with Python handlers, 10 us for python-calamine (which holds the
sheet's grid: 191 MB for these 2,000,000 cells), 180 us for openpyxl's read-only mode.

Values come out as text, as ``cell_text.render`` writes python-calamine's typed values (float;
str; bool; date, datetime or time under a date format; timedelta under an [h]:mm format); errors
and empty cells are None. Memory holds the shared strings (packed past ``MAX_LISTED_STRINGS``),
one block of XML and its rows, and small bounded caches, whatever the sheet's size.
``xlsx_guard`` has checked the zip first; every part (workbook, relationships, styles, shared
strings, sheets) is then parsed by expat with a handler refusing any DTD, or, for a sheet in the
plain shape, by the expression, which never sees one (it refuses any ``<!``).
"""

from __future__ import annotations

import datetime
import posixpath
import re
import zipfile
from array import array
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Iterator
from xml.parsers import expat

from pii_audit.sources.cell_text import render
from pii_audit.sources.xlsx_guard import MAX_SHARED_STRINGS_BYTES, WorkbookRefused

Row = tuple[int, int, list]  # (1-based row number, 0-based column of values[0], values)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"  # "Strict Open XML", read as calamine does
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_IDS = tuple(f"{ns} id" for ns in ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                        "http://purl.oclc.org/ooxml/officeDocument/relationships"))
BLOCK = 1024**2  # bytes of sheet XML inflated at a time
MAX_CARRY = 16 * 1024**2  # one cell's XML larger than this goes through expat
MAX_CELL_CHARS = 1024**2  # Excel holds 32,767 characters in a cell; more is refused
MAX_CELL_STYLES = 1_000_000  # Excel allows 64,000
MAX_COLUMN = 16_383  # XFD, Excel's last column (0-based)
MAX_LISTED_STRINGS = 262_144  # shared strings kept as a list; a larger table is packed
_PER_BLOB = 4096

# How a cell's value is typed, from its t attribute and its style's number format.
NUMBER, DATE, DURATION, SHARED, INLINE, TEXT, BOOL, ERROR, ISO_DATE = range(9)
_TYPES = {"n": NUMBER, "s": SHARED, "inlineStr": INLINE, "str": TEXT, "b": BOOL, "e": ERROR,
          "d": ISO_DATE}
# Built-in number formats python-calamine reads as dates (measured, 0.9.1): 14-22, 27-36, 45,
# 47 and 50-58 (the Chinese, Japanese and Korean built-ins); 46 ([h]:mm:ss) as a duration.
_BUILTIN_DATES = frozenset(str(n) for n in [*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)])
_BUILTIN_DURATION = "46"
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # Excel's escape of a character XML cannot hold
_XML_SPACE = " \t\r\n"
_FORMAT_LITERAL = re.compile(r'"[^"]*"?|\\.|_.')  # quoted text, escaped and padding characters
_FORMAT_TOKEN = re.compile(r"\[([^\]]*)\]?|([dmhysDMHYS]|[aA]/[pP])")
_ELAPSED = re.compile(r"[hH]+|[mM]+|[sS]+")
_PRESERVE = "http://www.w3.org/XML/1998/namespace space"  # xml:space as expat names it
_EPOCH_1900 = datetime.datetime(1899, 12, 30)
_EPOCH_1900_EARLY = datetime.datetime(1899, 12, 31)  # serials before Excel's fictitious 1900-02-29
_EPOCH_1904 = datetime.datetime(1904, 1, 1)
_DAY_MS = 86_400_000


class SheetError(ValueError):
    """A workbook part cannot be read; the message is one line for a person, quoting no cell."""


@dataclass
class Workbook:
    """What the rows of every worksheet need: where they are, shared strings, date styles."""

    sheets: list[tuple[str, str]]  # (name, zip member) of each worksheet, in workbook order
    strings: list[str] | StringTable = field(default_factory=list)
    styles: list[int] = field(default_factory=list)  # per cell style: NUMBER, DATE or DURATION
    date1904: bool = False

    def kind(self, type_: str | None, style: str | None) -> int:
        """Return how to type a cell with attributes ``t=type_`` and ``s=style``."""
        kind = _TYPES.get(type_ or "n", NUMBER)
        if kind == NUMBER and style and style.isdigit() and int(style) < len(self.styles):
            return self.styles[int(style)]
        return kind


def read_workbook(archive: zipfile.ZipFile) -> Workbook:
    """Return the worksheets, shared strings and date styles of the workbook in ``archive``."""
    listed, properties = _workbook_part(archive, "xl/workbook.xml")
    rels = _relationships(archive, "xl/workbook.xml")
    sheets = [(name, rels[rel_id][1]) for name, rel_id in listed
              if rels.get(rel_id, ("", ""))[0].endswith("/worksheet")]
    book = Workbook(sheets, date1904=properties.get("date1904", "").lower() in ("1", "true"))
    targets = {type_.rsplit("/", 1)[-1]: target for type_, target in rels.values()}
    if targets.get("styles") in archive.NameToInfo:
        with archive.open(targets["styles"]) as member:
            book.styles = _styles(member)
    strings = targets.get("sharedStrings")
    if strings in archive.NameToInfo:
        size = archive.getinfo(strings).file_size
        if size > MAX_SHARED_STRINGS_BYTES:
            raise SheetError(f"refused: shared strings table of {size // 2**20:,} MB, over the "
                             f"{MAX_SHARED_STRINGS_BYTES // 2**20} MB cap")
        with archive.open(strings) as member:
            book.strings = _shared_strings(member)
    return book


def _workbook_part(archive: zipfile.ZipFile, name: str) -> tuple[list[tuple[str, str]], dict]:
    """Return the ``(name, relationship id)`` of each sheet listed and the workbookPr attributes."""
    listed: list[tuple[str, str]] = []
    properties: dict[str, str] = {}

    def start(element, attrs):
        local = _LOCAL.get(element)
        if local == "sheet":
            listed.append((attrs.get("name", ""), next((attrs[k] for k in _REL_IDS if k in attrs), "")))
        elif local == "workbookPr":
            properties.update(attrs)

    with archive.open(name) as member:
        _parse(_expat(start, None, None, name), member)
    return listed, properties


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Return ``{id: (type, zip member)}`` of the relationships of ``part``."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    found: dict[str, tuple[str, str]] = {}

    def start(element, attrs):
        if _LOCAL.get(element) == "Relationship":
            target = attrs.get("Target", "")
            member = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(member))

    if rels_name in archive.NameToInfo:
        with archive.open(rels_name) as member:
            _parse(_expat(start, None, None, rels_name), member)
    return found


def _styles(member) -> list[int]:
    """Return NUMBER, DATE or DURATION for each cell style (``cellXfs``) of styles.xml.

    Streamed: a styles part can be large (Excel allows 64,000 cell styles; more is refused).
    """
    custom: dict[str, int] = {}
    formats: list[str] = []  # each cell style's numFmtId
    depth = {"cellXfs": 0}

    def start(name, attrs):
        local = _LOCAL.get(name)
        if local == "numFmt":
            custom[attrs.get("numFmtId", "")] = format_kind(attrs.get("formatCode", ""))
        elif local == "cellXfs":
            depth["cellXfs"] += 1
        elif local == "xf" and depth["cellXfs"]:
            if len(formats) >= MAX_CELL_STYLES:
                raise SheetError(f"refused: more than {MAX_CELL_STYLES:,} cell styles")
            formats.append(attrs.get("numFmtId", "0"))

    def end(name):
        if _LOCAL.get(name) == "cellXfs":
            depth["cellXfs"] -= 1

    _parse(_expat(start, end, None, member.name), member)
    return [custom[number] if number in custom else DATE if number in _BUILTIN_DATES
            else DURATION if number == _BUILTIN_DURATION else NUMBER for number in formats]


def format_kind(code: str) -> int:
    """Return DATE, DURATION or NUMBER for a number format, as python-calamine reads its values.

    The first section decides (up to an unquoted ";"); quoted text, escaped (backslash) and
    padding (underscore) characters and bracketed colours, locales and conditions do not count;
    then whichever comes first decides: an elapsed-time bracket ([h], [mm], [ss]...) makes a
    duration, a d, m, h, y or s (or "a/p") a date. Checked against python-calamine 0.9.1 in the
    tests. Written here rather than taken from openpyxl.styles.numbers, whose import cost every
    scan 0.2-0.25 s (measured), about 1 us a row of the bench workbook.

    >>> [format_kind(c) for c in ("yyyy/mm/dd", "[h]:mm:ss", "0.00%", '"day"0', "[Red]0.0", "h AM/PM")]
    [1, 2, 0, 0, 0, 1]
    """
    section = _FORMAT_LITERAL.sub("", code).split(";", 1)[0]
    for token in _FORMAT_TOKEN.finditer(section):
        bracket, letter = token.groups()
        if letter:
            return DATE
        if _ELAPSED.fullmatch(bracket):
            return DURATION
    return NUMBER


class StringTable:
    """Shared strings packed for a large table: 4,096 strings joined per text, and where each ends.

    A list of 5,300,000 two-letter strings (91 MB of XML) held 387 MB; packed, a table costs its
    characters and 4 bytes a string. A lookup costs about 0.3 us where a list's costs 0.03, so
    small tables stay lists (``MAX_LISTED_STRINGS``).
    """

    def __init__(self, strings: list[str]):
        self.blobs: list[str] = []
        self.ends = array("I")  # each string's end in its blob
        for start in range(0, len(strings), _PER_BLOB):
            self.extend(strings[start:start + _PER_BLOB])

    def extend(self, strings: list[str]) -> None:
        """Add at most the strings that fill the last blob (callers add 4,096 at a time)."""
        end = 0
        for text in strings:
            end += len(text)
            self.ends.append(end)
        self.blobs.append("".join(strings))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        start = self.ends[index - 1] if index % _PER_BLOB else 0
        return self.blobs[index // _PER_BLOB][start:self.ends[index]]


def _shared_strings(member) -> list[str] | StringTable:
    """Return the shared strings table, each string's runs joined, phonetic runs left out."""
    strings: list[str] = []
    packed: StringTable | None = None
    parts: list[str] = []
    depth = {"t": 0, "rPh": 0}
    run = {"start": 0, "preserve": False}

    def start(name, attrs):
        local = _LOCAL.get(name)
        if local in depth:
            depth[local] += 1
        if local == "t":
            run["start"], run["preserve"] = len(parts), attrs.get(_PRESERVE) == "preserve"

    def end(name):
        local = _LOCAL.get(name)
        if local in depth:
            if local == "t" and not run["preserve"]:
                parts[run["start"]:] = ["".join(parts[run["start"]:]).strip(_XML_SPACE)]
            depth[local] -= 1
        elif local == "si":
            nonlocal packed
            strings.append(unescape("".join(parts)))
            parts.clear()
            if packed is not None and len(strings) == _PER_BLOB:
                packed.extend(strings)
                strings.clear()
            elif packed is None and len(strings) > MAX_LISTED_STRINGS:
                packed = StringTable(strings[:len(strings) // _PER_BLOB * _PER_BLOB])
                del strings[:len(packed)]

    def text(data):
        if depth["t"] and not depth["rPh"]:
            parts.append(data)

    _parse(_expat(start, end, text, member.name), member)
    if packed is None:
        return strings
    if strings:
        packed.extend(strings)
    return packed


def _parse(parser, member) -> None:
    """Feed a zip member to an expat parser, a block at a time."""
    while block := member.read(BLOCK):
        parser.Parse(block, False)
    parser.Parse(b"", True)


def _expat(start, end, text, member: str):
    """Return an expat parser with namespaces split off by a space; a DTD refuses the workbook."""
    def refuse(*_args):
        raise WorkbookRefused(f"refused: {member} declares a DTD or entities (billion laughs / XXE?)")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = 65536
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    # Expat reports <!DOCTYPE before it reads a declaration in it: nothing is ever expanded.
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    return parser


def unescape(text: str) -> str:
    """Undo Excel's ``_xHHHH_`` escapes, as python-calamine does.

    >>> unescape("a_x000D_b_x005F_x000D_")
    'a\\rb_x000D_'
    """
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text)


def sheet_rows(archive: zipfile.ZipFile, member: str, book: Workbook) -> Iterator[Row]:
    """Yield the rows of a worksheet that hold a value, each after the empty rows before it.

    Values are typed as python-calamine types them; a row's ``values`` start at its first cell.
    """
    cells = _PlainCells(book)
    try:
        yield from _fast_rows(archive, member, cells)
    except _NotPlain:
        yield from (row for row in _expat_rows(archive, member, book) if row[0] > cells.given)


def typed(kind: int, text: str | None, book: Workbook) -> Any:
    """Return a cell's value from its kind and the XML text of its ``<v>`` (or inline string)."""
    if not text:
        return None
    if kind == NUMBER:
        try:
            return float(text)
        except ValueError:
            return text  # python-calamine keeps a number it cannot read as text
    if kind == SHARED:
        try:
            index = int(text)
            if index < 0:
                raise IndexError(index)
            return book.strings[index]
        except (ValueError, IndexError):
            raise SheetError(f"unreadable: a cell names a shared string the table of "
                             f"{len(book.strings):,} does not hold") from None
    if kind in (INLINE, TEXT):
        return unescape(text)
    if kind in (DATE, DURATION):
        try:
            return excel_date(float(text), book.date1904, kind == DURATION)
        except ValueError:
            return text
    if kind == BOOL:
        return text not in ("0", "false")
    if kind == ISO_DATE:
        return _iso_date(text)
    return None  # an error value (#N/A, #DIV/0!...) reads as empty, as in python-calamine


def excel_date(serial: float, date1904: bool = False, duration: bool = False) -> Any:
    """Return a date serial as python-calamine does: time below 1, date when whole, else datetime.

    Milliseconds are rounded; a value past 9999-12-31 stays a float.

    >>> excel_date(45296.0), excel_date(45296.4375), excel_date(0.5)
    (datetime.date(2024, 1, 5), datetime.datetime(2024, 1, 5, 10, 30), datetime.time(12, 0))
    >>> excel_date(1.25, duration=True)
    datetime.timedelta(days=1, seconds=21600)
    """
    ms = round(serial * _DAY_MS)
    try:
        if duration:
            return datetime.timedelta(milliseconds=ms)
        if serial < 1:
            return (datetime.datetime.min + datetime.timedelta(milliseconds=ms % _DAY_MS)).time()
        epoch = _EPOCH_1904 if date1904 else _EPOCH_1900_EARLY if serial < 60 else _EPOCH_1900
        moment = epoch + datetime.timedelta(milliseconds=ms)
    except OverflowError:
        return serial
    return moment.date() if serial.is_integer() else moment


def _iso_date(text: str) -> Any:
    try:
        moment = datetime.datetime.fromisoformat(text.strip().rstrip("Z"))
    except ValueError:
        return text
    return moment.date() if "T" not in text and " " not in text.strip() else moment


class _Rows:
    """Collects finished rows, each after the empty rows since the last one (as calamine's grid)."""

    def __init__(self):
        self.done: list[Row] = []
        self.expected = 1

    def add(self, number: int, first: int, values: list) -> None:
        """Add a row holding values, after the empty rows numbered before it."""
        if number > self.expected:
            self.done.extend((empty, 0, []) for empty in range(self.expected, number))
        self.done.append((number, first, values))
        self.expected = max(self.expected, number + 1)

    def take(self) -> list[Row]:
        """Return the rows finished so far and forget them."""
        done, self.done = self.done, []
        return done


def _place(values: list, first: int, column: int, value: Any) -> int:
    """Put ``value`` at ``column`` of a row whose ``values`` start at ``first``; return the new first."""
    if column < first:
        values[:0] = [value] + [None] * (first - column - 1)
        return column
    index = column - first
    if index < len(values):
        values[index] = value
    else:
        values.extend([None] * (index - len(values)))
        values.append(value)
    return first


def _checked(column: int) -> int:
    """Return ``column``, or raise ``SheetError`` past Excel's last column (a row stays bounded)."""
    if column > MAX_COLUMN:
        raise SheetError(f"unreadable: a cell past Excel's last column (XFD), column {column + 1:,}")
    return column


def column_index(letters: str) -> int:
    """Return the 0-based index of a column's letters.

    >>> column_index("A"), column_index("AA"), column_index("XFD")
    (0, 26, 16383)
    """
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


# --- rows in the plain shape, by one regular expression --------------------------------------

# A cell as Excel, LibreOffice and openpyxl write it: column letters, row digits, its other
# attributes, an optional formula, then the text of <v> or of a plain inline string.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"((?: [\w:]++="[^"<&>]*+")*+)(?:/>|>(?:<v>([^<]*+)</v>'
    rb'|<is>(<t>[^<]*+|<t xml:space="preserve">[^<]*+)</t></is>'
    # a formula (its text is not read), then its cached value; last, as it is the rarest
    rb'|<f(?: [\w:]++="[^"<&>]*+")*+(?:/>|>[^<]*+</f>)(?:<v>([^<]*+)</v>)?|<v/>|<is><t/></is>)?</c>)')
_ATTR = re.compile(rb' ([\w:]+)="([^"]*)"')
# At most 15 significant digits, no exponent, no trailing zero in a fraction (see _number_text);
# a fraction below 1 with leading zeros is left to render().
_PLAIN_NUMBER = re.compile(rb"-?(?:(?=[0-9.]{3,16}\Z)(?:0|[1-9][0-9]*)\.[0-9]*[1-9]|[1-9][0-9]{0,14})")
_PROLOG = re.compile(rb'(?:\xef\xbb\xbf)?(?:<\?xml((?: [\w:]+="[^"<&]*")*) ?\?>)?\s*'
                     rb'<worksheet((?:\s+[\w:]+="[^"<&]*")*)\s*>')
_DEFAULT_NS = tuple(f'xmlns="{ns}"'.encode() for ns in (MAIN, STRICT))
_PREFIXED_NS = re.compile(rb'xmlns:[\w.-]+="(?:' + re.escape(MAIN.encode()) + b"|"
                          + re.escape(STRICT.encode()) + b')"')
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6})|(amp|lt|gt|quot|apos));|&")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_CACHED = 4096  # entries kept in each small cache (cell attributes, inline texts, dates...)
_CACHED_BYTES = 512  # longer keys are not cached: the caches stay small whatever the cells
_MISS = object()
_LETTERS, _DIGITS, _ATTRS, _INLINE = (itemgetter(n) for n in (0, 1, 2, 4))  # of a found cell


class _NotPlain(Exception):
    """The sheet's XML is not in the plain shape: read it with expat."""


def _fast_rows(archive: zipfile.ZipFile, member: str, cells: _PlainCells) -> Iterator[Row]:
    """Yield the rows of a sheet in the plain shape; raise ``_NotPlain`` as soon as a block is
    not, before yielding any row of that block (``cells.given`` is the last row yielded).

    A block is plain when every ``<c`` in it starts a cell the expression matched whole, and it
    holds no comment, CDATA, instruction, namespace declaration or carriage return.
    """
    with archive.open(member) as stream:
        carry = _sheet_data(stream)
        ended = carry is None
        while not ended:
            block = stream.read(BLOCK)
            data, carry, ended, whole = _cut(carry + block, final=not block)
            if data is None:
                continue
            _check_plain(data)
            found = _CELL.findall(data)
            if len(found) != data.count(b"<c"):
                raise _NotPlain  # a cell the expression did not match whole
            rows = cells.rows(found, ended or whole)
            yield from rows
            cells.given = rows[-1][0] if rows else cells.given
        while stream.read(BLOCK):
            pass  # to the member's end, where zipfile checks its CRC


class _PlainCells:
    """Makes rows of the cells the expression found, block after block, one sheet.

    Rows are told apart by the row digits of their cells' references (``<row>`` carries nothing a
    value needs). What repeats is cached (bounded): a cell's kind by its attributes, a column by
    its letters, inline strings, dates and other rarer values by their text.
    """

    def __init__(self, book: Workbook):
        self.book, self.done = book, _Rows()
        self.kinds: dict[bytes, int] = {}
        self.columns: dict[bytes, int] = {}
        self.texts: dict[bytes, str] = {}
        self.others: dict[tuple[int, bytes], str | None] = {}
        self.row, self.number, self.first, self.values = b"", 0, 0, []
        self.given = 0  # the number of the last row handed out

    def rows(self, cells: list[tuple], whole: bool) -> list[Row]:
        """Return the rows the ``cells`` of one block finish (all of them when they are ``whole``
        rows: the block ends before a ``<row`` or at the end of sheetData)."""
        if whole and not self.values and cells:
            regular = self._regular(cells)
            if regular is not None:
                self.row = b""
                return regular
        kinds, columns, texts, done = self.kinds, self.columns, self.texts, self.done
        strings, count = self.book.strings, len(self.book.strings)
        row, number, first, values = self.row, self.number, self.first, self.values
        for letters, digits, attrs, v, t, formula_v in cells:
            if digits != row:
                if values:
                    done.add(number, first, values)
                row, number, values = digits, int(digits), []
            kind = kinds.get(attrs)
            if kind is None:
                kind = self._kind(attrs)
            if kind == INLINE:
                value = texts.get(t, _MISS)
                if value is _MISS:
                    value = self._inline(t)
                if value is None:
                    continue
            elif kind == NUMBER:
                v = v or formula_v
                if not v:
                    continue
                # Whole numbers as Excel writes them are their own text, as render() writes them.
                value = v.decode() if v.isdigit() and len(v) < 16 and v[0] != 48 else _number_text(v)
            elif kind == SHARED and v.isdigit() and int(v) < count:
                value = strings[int(v)]
            else:
                value = self._other(kind, v or formula_v)
                if value is None:
                    continue
            column = columns.get(letters)
            if column is None:
                column = columns[letters] = _checked(column_index(letters.decode()))
            if not values:
                first = column
                values.append(value)
            elif column - first == len(values):
                values.append(value)
            else:
                first = _place(values, first, column, value)
        if whole and values:
            done.add(number, first, values)
            values = []
        self.row, self.number, self.first, self.values = row, number, first, values
        return done.take()

    def _regular(self, cells: list[tuple]) -> list[Row] | None:
        """Return the rows of a block whose every row holds the same adjacent columns in order,
        typed column by column; None for any other block (it goes cell by cell).

        Rows come as tuples (None for an empty cell); rows with no value are left out, as cell
        by cell. A list comprehension per column instead of the loop per cell: about 3 us a row
        less on the bench workbook (measured).
        """
        all_digits = list(map(_DIGITS, cells))
        width = all_digits.count(all_digits[0])  # the cells of the first row, if it is regular
        if len(cells) % width:
            return None
        all_letters = list(map(_LETTERS, cells))
        row_digits = all_digits[::width]
        numbers = list(map(int, row_digits))
        if any(later <= earlier for earlier, later in zip(numbers, numbers[1:])):
            return None
        typed_columns, indexes = [], []
        for position in range(width):
            letters = all_letters[position]
            if (all_digits[position::width] != row_digits
                    or all_letters[position::width].count(letters) != len(row_digits)):
                return None
            column = cells[position::width]
            index = self.columns.get(letters)
            if index is None:
                index = self.columns[letters] = _checked(column_index(letters.decode()))
            if indexes and index != indexes[-1] + 1:
                return None  # out of order, or a gap: cell by cell places them
            indexes.append(index)
            values = self._column_values(column)
            if values is None:
                return None
            typed_columns.append(values)
        done, first = self.done, indexes[0]
        finished, add, expected = done.done, done.done.append, done.expected
        for number, values in zip(numbers, zip(*typed_columns)):  # zip(*...) turns them in C
            if any(values):
                if number > expected:
                    finished.extend((empty, 0, []) for empty in range(expected, number))
                add((number, first, values))
                expected = number + 1
        done.expected = expected
        return done.take()

    def _column_values(self, column: list[tuple]) -> list[str | None] | None:
        """Return the texts of one column of a regular block (None for an empty cell), or None
        when a shared string is out of range (cell by cell raises the one-line error)."""
        attrs = set(map(_ATTRS, column))
        if len(attrs) != 1:
            return [self._value(self._kind_of(a), v or f, t) for _, _, a, v, t, f in column]
        kind = self._kind_of(attrs.pop())
        if kind == INLINE:
            texts, inline = self.texts, self._inline
            return [text if (text := texts.get(t, _MISS)) is not _MISS else inline(t)
                    for t in map(_INLINE, column)]
        raw = [v or f for _, _, _, v, _, f in column]
        if kind == NUMBER:
            return [(v.decode() if v.isdigit() and len(v) < 16 and v[0] != 48 else _number_text(v))
                    if v else None for v in raw]
        if kind == SHARED:
            strings = self.book.strings
            if not all(v.isdigit() and int(v) < len(strings) for v in raw if v):
                return None
            return [strings[int(v)] if v else None for v in raw]
        others, other = self.others, self._other
        return [text if (text := others.get((kind, v), _MISS)) is not _MISS else other(kind, v)
                for v in raw]

    def _value(self, kind: int, v: bytes, t: bytes) -> str | None:
        """Return the text of one cell (the slow way, for a column of mixed kinds)."""
        if kind == INLINE:
            text = self.texts.get(t, _MISS)
            return text if text is not _MISS else self._inline(t)
        if kind == NUMBER:
            return _number_text(v) if v else None
        if kind == SHARED and v.isdigit() and int(v) < len(self.book.strings):
            return self.book.strings[int(v)]
        return self._other(kind, v)

    def _kind_of(self, attrs: bytes) -> int:
        kind = self.kinds.get(attrs)
        return kind if kind is not None else self._kind(attrs)

    def _kind(self, attrs: bytes) -> int:
        found = {name.decode(): value.decode() for name, value in _ATTR.findall(attrs)}
        return _cached(self.kinds, attrs, self.book.kind(found.get("t"), found.get("s")))

    def _inline(self, raw: bytes) -> str | None:
        return _cached(self.texts, raw, _inline_text(raw) or None)

    def _other(self, kind: int, raw: bytes) -> str | None:
        """Return the text of a value other than an inline string or a number (cached)."""
        if not raw:
            return None
        text = self.others.get((kind, raw), _MISS)
        if text is _MISS:
            text = render(typed(kind, _xml_text(raw), self.book)) or None
            if len(raw) <= _CACHED_BYTES:
                _cached(self.others, (kind, raw), text)
        return text


def _cached(cache: dict, key: Any, value: Any) -> Any:
    """Keep ``value`` under a short ``key`` in a cache bounded to ``_CACHED`` entries; return it."""
    if len(key) <= _CACHED_BYTES:
        if len(cache) >= _CACHED:
            cache.clear()
        cache[key] = value
    return value


def _number_text(raw: bytes) -> str:
    """Return a number's text as ``render(float(raw))`` writes it, without float() when it can.

    A decimal of at most 15 significant digits, no exponent and no trailing zero is the shortest
    text of the double it reads as, so render() gives it back unchanged (the amounts of a bank's
    export: about 1 us a cell saved).

    >>> [_number_text(n) for n in (b"56124.38", b"-0.5", b"1.50", b"-3", b"1e+20", b"0.30000000000000004")]
    ['56124.38', '-0.5', '1.5', '-3', '100000000000000000000', '0.30000000000000004']
    """
    if _PLAIN_NUMBER.fullmatch(raw):
        return raw.decode()
    try:
        return render(float(raw))
    except ValueError:
        return _xml_text(raw)  # python-calamine keeps a number it cannot read as text


def _check_plain(data: bytes) -> None:
    """Raise ``_NotPlain`` for a block holding what the expression would not read as expat does:
    comments, CDATA, DTDs, instructions, namespace declarations, carriage returns.

    Characters XML forbids (control characters) are read as they are, where expat would refuse
    the sheet: testing every byte for them cost about 1.5 us a row of the bench workbook.
    """
    # "!" and "?" alone first: memchr finds a rare byte faster than "<!" among every "<".
    if ((b"!" in data and b"<!" in data) or (b"?" in data and b"<?" in data) or b"xmlns" in data
            or b"\r" in data):
        raise _NotPlain


def _sheet_data(stream) -> bytes | None:
    """Read up to ``<sheetData>``; return what follows it, or None for an empty ``<sheetData/>``.

    Raise ``_NotPlain`` unless what comes before is plain: UTF-8, the main namespace as the
    default one (and bound to no prefix), no comment, DTD or processing instruction.
    """
    head = b""
    while True:
        block = stream.read(BLOCK)
        head += block
        start, empty = head.find(b"<sheetData>"), head.find(b"<sheetData/>")
        if start >= 0 or empty >= 0:
            break
        if not block or len(head) > MAX_CARRY:
            raise _NotPlain
    at = start if empty < 0 or 0 <= start < empty else empty
    prolog = _PROLOG.match(head, 0, at)
    if prolog is None:
        raise _NotPlain
    declaration, root = prolog.groups()
    encoding = dict(_ATTR.findall(declaration or b"")).get(b"encoding", b"utf-8")
    middle = head[prolog.end():at]
    if (encoding.lower() != b"utf-8" or not any(ns in root for ns in _DEFAULT_NS)
            or _PREFIXED_NS.search(root) or b"<!" in middle or b"<?" in middle):
        raise _NotPlain
    return None if at == empty else head[at + len(b"<sheetData>"):]


def _cut(data: bytes, final: bool) -> tuple[bytes | None, bytes, bool, bool]:
    """Return ``(whole cells, the rest to carry, whether sheetData ended, whether the cells are
    whole rows)`` of a block of XML: cut before its last ``<row``, else before its last ``<c``."""
    end = data.find(b"</sheetData>")
    if end >= 0:
        return data[:end], b"", True, True
    if final:
        raise _NotPlain  # the sheet ends without closing sheetData: let expat say so
    cut = data.rfind(b"<row")
    if cut > 0:
        return data[:cut], data[cut:], False, True
    cut = data.rfind(b"<c")  # one row longer than the block
    if cut < 0:
        cut = data.rfind(b"<")  # no cell open: carry only a tag that may be cut short
    if cut <= 0:
        if len(data) > MAX_CARRY:
            raise _NotPlain
        return None, data, False, False
    return data[:cut], data[cut:], False, False


def _inline_text(raw: bytes) -> str:
    """Return an inline string from ``<t>text`` or ``<t xml:space="preserve">text``.

    As python-calamine, XML whitespace around a text not marked to be preserved is dropped.
    """
    if raw.startswith(b"<t>"):
        return unescape(_xml_text(raw[3:]).strip(_XML_SPACE))
    return unescape(_xml_text(raw[len(b'<t xml:space="preserve">'):]))


def _xml_text(raw: bytes) -> str:
    """Return the text of an element's raw UTF-8 content, its references replaced."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise _NotPlain from None
    return _REFERENCE.sub(_reference, text) if "&" in text else text


def _reference(match: re.Match) -> str:
    number, hexadecimal, name = match.groups()
    if name:
        return _NAMED[name]
    if not (number or hexadecimal):
        raise _NotPlain  # a bare & or an entity no DTD declares: expat refuses it
    code = int(number) if number else int(hexadecimal, 16)
    if not (code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF):
        raise _NotPlain  # not an XML character: expat refuses it
    return chr(code)


# --- rows in any shape, by expat -------------------------------------------------------------

# Element names as expat gives them ("namespace local"), in either namespace, to local names.
_LOCAL = {f"{ns} {local}": local for ns in (MAIN, STRICT)
          for local in ("row", "c", "v", "is", "t", "rPh", "si", "numFmt", "cellXfs", "xf", "sheet",
                        "workbookPr")}
_LOCAL[f"{PACKAGE} Relationship"] = "Relationship"


def _expat_rows(archive: zipfile.ZipFile, member: str, book: Workbook) -> Iterator[Row]:
    """Yield the rows of a sheet (see ``sheet_rows``) through expat, whatever its shape."""
    handler = _SheetHandler(book)
    parser = _expat(handler.start, handler.end, handler.text, member)
    with archive.open(member) as stream:
        while block := stream.read(BLOCK):
            parser.Parse(block, False)
            yield from handler.rows.take()
        parser.Parse(b"", True)
    yield from handler.rows.take()


class _SheetHandler:
    """Expat handlers that build rows from ``<row>``, ``<c>``, ``<v>`` and inline strings."""

    def __init__(self, book: Workbook):
        self.book, self.rows = book, _Rows()
        self.number, self.first, self.values = 0, 0, []
        self.column, self.kind, self.parts, self.size = -1, NUMBER, [], 0
        self.collecting, self.cell, self.inline, self.phonetic = False, False, 0, 0
        self.run, self.preserve = 0, False

    def start(self, name: str, attrs: dict) -> None:
        """Handle an element's start."""
        local = _LOCAL.get(name)
        if local == "c":
            reference = attrs.get("r")
            self.column = _checked(column_index(reference.rstrip("0123456789")) if reference
                                   else self.column + 1)
            self.kind = self.book.kind(attrs.get("t"), attrs.get("s"))
            self.cell, self.parts, self.size = True, [], 0
        elif local == "v":
            self.collecting = self.cell and self.kind != INLINE
        elif local == "t":
            self.collecting = self.cell and self.kind == INLINE and self.inline and not self.phonetic
            self.run, self.preserve = len(self.parts), attrs.get(_PRESERVE) == "preserve"
        elif local == "is":
            self.inline += 1
        elif local == "rPh":
            self.phonetic += 1
        elif local == "row":
            reference = attrs.get("r")
            self.number = int(reference) if reference else self.number + 1
            self.values, self.column = [], -1

    def end(self, name: str) -> None:
        """Handle an element's end."""
        local = _LOCAL.get(name)
        if local == "t" and self.collecting and not self.preserve:
            # As python-calamine: XML whitespace around a run not marked to be preserved goes.
            self.parts[self.run:] = ["".join(self.parts[self.run:]).strip(_XML_SPACE)]
        if local in ("v", "t"):
            self.collecting = False
        elif local == "c":
            self.cell = False
            value = render(typed(self.kind, "".join(self.parts), self.book))
            if value:
                self._add(value)
        elif local == "is":
            self.inline -= 1
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "row" and self.values:
            self.rows.add(self.number, self.first, self.values)
            self.values = []

    def text(self, data: str) -> None:
        """Collect the text of a value or an inline string."""
        if self.collecting:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise SheetError(f"unreadable: a cell of more than {MAX_CELL_CHARS:,} characters")
            self.parts.append(data)

    def _add(self, value: str) -> None:
        if not self.values:
            self.first, self.values = self.column, [value]
        else:
            self.first = _place(self.values, self.first, self.column, value)
