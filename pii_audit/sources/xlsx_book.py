"""An xlsx workbook's parts for its sheets' rows: where the sheets are, shared strings, date styles,
and how a cell's XML text becomes a value typed (and rendered) as python-calamine gives it.

Every part is parsed by expat in blocks, with a handler that refuses a DTD outright (the guard,
``xlsx_guard``, has refused one in every part but the worksheets already). Memory stays small
whatever the workbook: a shared strings table past ``MAX_LISTED_STRINGS`` is packed
(``StringTable``), styles are capped at ``MAX_CELL_STYLES``.
"""

from __future__ import annotations

import datetime
import lzma
import math
import posixpath
import re
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from xml.parsers import expat

from pii_audit.sources import one_line_name
from pii_audit.sources.damage import damaged
from pii_audit.sources.xlsx_guard import MAX_SHARED_STRINGS_BYTES, WorkbookRefused, shown_name

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
MAX_NUMBER_FORMATS = 65_536  # a workbook's own (numFmt); Excel allows some 250
MAX_FORMAT_ID = 10  # characters of a numFmtId (an unsigned int): a longer one names no format
MAX_COLUMN = 16_383  # XFD, Excel's last column (0-based)
MAX_ROW = 1_048_576  # Excel's last row (1-based)
# Significant digits an index, count or row number in a part is read with (``decimal``): int()
# refuses a string of over 4,300 digits, and no index or count a workbook holds is that long.
MAX_DIGITS = 18
# Sheets a workbook part may list (as an .xlsb's, xlsb_stream.MAX_SHEETS), and sheets an external
# link part may name or cache: each listed was held, 3 million in an 8.6 MB workbook took 578 MB.
MAX_SHEETS = 65_536
# Elements open at once in a part: Office writes some 20 deep. Expat holds each open tag: a 73 KB
# workbook whose sharedStrings.xml nested 3 million elements took 587 MB and 18 s.
MAX_DEPTH = 1000
MAX_LISTED_STRINGS = 262_144  # shared strings kept as a list; a larger table is packed
# A cell reads a shared string by a reference of some 20 bytes of XML, however long the string: a
# 26 KB workbook of 8,000 references to one 100,000-character string gave 800 MB of text, which
# took 14 s and 2.5 GB to scan (the detector joins a block's values to screen them). A string's
# characters past FREE_CHARS are counted at each reading; a workbook may read the table's own
# characters so, and MAX_REPEATED_CHARS more. Short strings (a branch, a status) are free.
FREE_CHARS = 64
MAX_REPEATED_CHARS = 1 << 25
# Past the allowance a reading is left empty and the rest of the sheet is read, as an .ods's
# repeats past theirs (ods_stream.REPEATS_CUT): refusing the sheet lost its other cells.
REPEATS_CUT = (f"long shared strings read again up to {MAX_REPEATED_CHARS:,} characters; their further readings "
               "read as empty (a repetition bomb?)")
_PER_BLOB = 4096

# How a cell's value is typed, from its t attribute and its style's number format.
NUMBER, DATE, DURATION, SHARED, INLINE, TEXT, BOOL, ERROR, ISO_DATE = range(9)
_TYPES = {"n": NUMBER, "s": SHARED, "inlineStr": INLINE, "str": TEXT, "b": BOOL, "e": ERROR,
          "d": ISO_DATE}
# Built-in number formats python-calamine reads as dates (measured, 0.9.1): 14-22, 27-36, 45,
# 47 and 50-58 (the Chinese, Japanese and Korean built-ins); 46 ([h]:mm:ss) as a duration.
_BUILTIN_DATES = frozenset(str(n) for n in [*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)])
_BUILTIN_DURATION = "46"
_CELL_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # Excel's escape of a character XML cannot hold
XML_SPACE = " \t\r\n"
_FORMAT_LITERAL = re.compile(r'"[^"]*"?|\\.|_.')  # quoted text, escaped and padding characters
_FORMAT_TOKEN = re.compile(r"\[([^\]]*)\]?|([dmhysDMHYS]|[aA]/[pP])")
_ELAPSED = re.compile(r"[hH]+|[mM]+|[sS]+")
PRESERVE = "http://www.w3.org/XML/1998/namespace space"  # xml:space as expat names it
_EPOCH_1900 = datetime.datetime(1899, 12, 30)
_EPOCH_1900_EARLY = datetime.datetime(1899, 12, 31)  # serials before Excel's fictitious 1900-02-29
_EPOCH_1904 = datetime.datetime(1904, 1, 1)
_DAY_MS = 86_400_000
_LETTERS: list[str] = []  # column_letter's, computed once
# What reading a damaged part raises: expat's error, a bad CRC or damaged compressed data, a cut
# member, an unknown compression method, an encoding expat does not read (ValueError: UTF-7;
# LookupError: unknown). SheetError is a ValueError.
PART_ERRORS = (expat.ExpatError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError,
               ValueError, LookupError)


class SheetError(ValueError):
    """A workbook part cannot be read; the message is one line for a person, quoting no cell."""


class Charged:
    """A workbook whose cells read long strings by reference, each reading counted against its
    ``allowance`` (``allowance_for``): the .xlsx, .xlsb and .xls readers' alike."""

    allowance: int
    skipped: int = 0  # readings left empty past the allowance
    missing: int = 0  # damaged cells left unread (``absent``), whatever the reason
    absences: dict[str, int] | None = None  # those cells, counted by their problem line

    def charge(self, text: str) -> bool:
        """Count a long string read by reference (a shared string, a pivot cache item): its
        characters past ``FREE_CHARS``; return False, the reading left empty, when they no longer
        fit in the workbook's allowance (``noted_rows`` says so for its sheet)."""
        cost = len(text) - FREE_CHARS
        if cost > self.allowance:
            self.skipped += 1
            return False
        self.allowance -= cost
        return True

    def absent(self, reason: str) -> None:
        """Count a damaged cell (or pivot cache record) the caller leaves unread: one naming a
        string its table does not hold, or placed past Excel's last column. ``noted_rows`` puts
        ``reason`` on its sheet's problem line. Such a cell refused the rest of its sheet, losing
        every cell after it for one damaged index or reference."""
        self.missing += 1
        if self.absences is None:  # a dict of the instance's own, not one the class would share
            self.absences = {}
        self.absences[reason] = self.absences.get(reason, 0) + 1


def missing_string(count: int) -> str:
    """Return the problem line of a sheet whose cells name a shared string beyond the table's ``count``."""
    return (f"damaged cells: a cell names a shared string the table of {count:,} does not hold; "
            "such cells read as empty, the rest of the sheet is read")


# The problem line of a pivot cache whose records name an item beyond their field's.
MISSING_ITEM = ("damaged cells: a pivot cache record names an item its field does not hold; "
                "such values read as empty, the rest of the cache is read")
# The problem line of a sheet holding cells past XFD (or with a reference naming no column): a
# row is bounded by Excel's columns, so such a cell is left out rather than placed.
NO_COLUMN = ("damaged cells: a cell past Excel's last column (XFD), or naming no column; "
             "such cells are not read, the rest of the sheet is read")


def noted_rows(rows: Iterator[Row], book: Charged, sheet: str, warn: Callable[[str, str], None] | None
               ) -> Iterator[Row]:
    """Yield a sheet's ``rows``; call ``warn`` with the sheet's name once for each kind of reading
    its rows left empty: ``REPEATS_CUT`` the first time a long string is left so past the
    workbook's allowance (``Charged.charge``), as an .ods sheet whose repeats are cut says so
    (``ods_stream``), and each reason ``Charged.absent`` was given the first time a cell of the
    sheet is left unread for it. The scan says what it did not read."""
    if warn is None:
        yield from rows
        return
    skipped, missing = book.skipped, book.missing  # skipped is None once said
    before = dict(book.absences or {})  # the other sheets' damaged cells, by reason
    said: set[str] = set()

    def note() -> None:
        nonlocal skipped, missing
        if skipped is not None and book.skipped != skipped:
            warn(sheet, REPEATS_CUT)
            skipped = None
        if book.missing != missing:
            missing = book.missing
            for reason, count in book.absences.items():
                if reason not in said and count != before.get(reason, 0):
                    warn(sheet, reason)
                    said.add(reason)

    try:
        for row in rows:
            note()
            yield row
    except Exception:  # a damaged sheet's own problem line comes after the cells it left empty
        note()
        raise
    note()  # a last row holding no other value is not given


def allowance_for(strings: list[str] | StringTable) -> int:
    """Return the characters a workbook whose shared strings are ``strings`` may read by
    reference: the table's own, and ``MAX_REPEATED_CHARS`` more."""
    chars = strings.chars() if isinstance(strings, StringTable) else sum(map(len, strings))
    return MAX_REPEATED_CHARS + chars


# A sheet the workbook lists whose part is gone: a byte changed in a zip directory entry's name
# length swallows the entries after it (the workbook's relationships, its sheets) and zipfile
# raises nothing, so the workbook read as complete and empty.
UNLINKED = "listed in the workbook, but its part is missing (damaged workbook?): not read"


@dataclass
class Workbook(Charged):
    """What the rows of every worksheet need: where they are, shared strings, date styles."""

    sheets: list[tuple[str, str]]  # (name, zip member) of each worksheet, in workbook order
    unlinked: list[str] = field(default_factory=list)  # the sheets listed with no relationship (UNLINKED)
    strings: list[str] | StringTable = field(default_factory=list)
    styles: list[int] = field(default_factory=list)  # per cell style: NUMBER, DATE or DURATION
    date1904: bool = False
    allowance: int = 0  # characters long strings may still be read by reference (charge)

    def kind(self, type_: str | None, style: str | None) -> int:
        """Return how to type a cell with attributes ``t=type_`` and ``s=style``."""
        kind = _TYPES.get(type_ or "n", NUMBER)
        index = decimal(style) if kind == NUMBER else None
        if index is not None and index < len(self.styles):
            return self.styles[index]
        return kind  # a damaged s= (a sign, "²", 5,000 digits) is no style, as in python-calamine


def read_workbook(archive: zipfile.ZipFile) -> Workbook:
    """Return the worksheets, shared strings and date styles of the workbook in ``archive``."""
    listed, properties = workbook_part(archive, "xl/workbook.xml")
    rels = relationships(archive, "xl/workbook.xml")
    sheets, members = [], set()
    unlinked = [name for name, rel_id in listed if rel_id not in rels]
    for name, rel_id in listed:
        type_, member = rels.get(rel_id, ("", ""))
        # A part listed again is not read again, as in an .xlsb (xlsb_stream._workbook): its cells
        # came out under each name, counted as often, and a few KB could list one sheet 65,536 times.
        if type_.endswith("/worksheet") and member not in members:
            members.add(member)
            sheets.append((name, member))
    book = Workbook(sheets, unlinked, date1904=properties.get("date1904", "").lower() in ("1", "true"))
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
    book.allowance = allowance_for(book.strings)
    return book


def workbook_part(archive: zipfile.ZipFile, name: str) -> tuple[list[tuple[str, str]], dict]:
    """Return the ``(name, relationship id)`` of each sheet listed and the workbookPr attributes."""
    listed: list[tuple[str, str]] = []
    properties: dict[str, str] = {}

    def start(element, attrs):
        local = LOCAL.get(element)
        if local == "sheet":
            if len(listed) >= MAX_SHEETS:
                raise WorkbookRefused(f"refused: more than {MAX_SHEETS:,} sheets")
            listed.append((sheet_name(attrs.get("name", "")), next((attrs[k] for k in _REL_IDS if k in attrs), "")))
        elif local == "workbookPr":
            properties.update(attrs)

    with archive.open(name) as member:
        parse_member(expat_parser(start, None, None, name), member)
    return listed, properties


def sheet_name(name: str) -> str:
    r"""Return a sheet's name as the file gives it, its line breaks and control characters as "?":
    it is in every problem line about the sheet, and a name holding a newline (``&#10;``, which
    no application lets a person type) split the line in two.

    >>> sheet_name("客\n户\x00")
    '客?户?'
    """
    return one_line_name(name)


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Return ``{id: (type, zip member)}`` of the relationships of ``part``."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    found: dict[str, tuple[str, str]] = {}

    def start(element, attrs):
        if LOCAL.get(element) == "Relationship":
            target = attrs.get("Target", "")
            member = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(member))

    if rels_name in archive.NameToInfo:
        with archive.open(rels_name) as member:
            parse_member(expat_parser(start, None, None, rels_name), member)
    return found


def _styles(member) -> list[int]:
    """Return NUMBER, DATE or DURATION for each cell style (``cellXfs``) of styles.xml.

    Streamed: a styles part can be large (Excel allows 64,000 cell styles, and some 250 number
    formats; more than ``MAX_CELL_STYLES`` or ``MAX_NUMBER_FORMATS`` is refused). A numFmtId is
    kept up to ``MAX_FORMAT_ID`` characters: kept whole, 300,000 cell styles of 1,000-character
    ids (a 1.5 MB workbook) held 317 MB, and 2 million number formats 373 MB.
    """
    custom: dict[str, int] = {}
    formats: list[str] = []  # each cell style's numFmtId
    depth = {"cellXfs": 0}

    def start(name, attrs):
        local = LOCAL.get(name)
        if local == "numFmt":
            number = attrs.get("numFmtId", "")
            if len(number) > MAX_FORMAT_ID:
                return
            if number not in custom and len(custom) >= MAX_NUMBER_FORMATS:
                raise SheetError(f"refused: more than {MAX_NUMBER_FORMATS:,} number formats")
            custom[number] = format_kind(attrs.get("formatCode", ""))
        elif local == "cellXfs":
            depth["cellXfs"] += 1
        elif local == "xf" and depth["cellXfs"]:
            if len(formats) >= MAX_CELL_STYLES:
                raise SheetError(f"refused: more than {MAX_CELL_STYLES:,} cell styles")
            number = attrs.get("numFmtId", "0")
            formats.append(number if len(number) <= MAX_FORMAT_ID else "")

    def end(name):
        if LOCAL.get(name) == "cellXfs":
            depth["cellXfs"] -= 1

    parse_member(expat_parser(start, end, None, member.name), member)
    return [style_kind(number, custom) for number in formats]


def style_kind(number: str, custom: dict[str, int]) -> int:
    """Return DATE, DURATION or NUMBER for the number format ``number`` (numFmtId, or an .xls
    XF's format index), given the kinds of the workbook's own formats (``format_kind``).

    >>> style_kind("14", {}), style_kind("46", {}), style_kind("164", {"164": DATE}), style_kind("0", {})
    (1, 2, 1, 0)
    """
    if number in custom:
        return custom[number]
    return DATE if number in _BUILTIN_DATES else DURATION if number == _BUILTIN_DURATION else NUMBER


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

    def chars(self) -> int:
        """Return the characters of all the strings."""
        return sum(map(len, self.blobs))

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        start = self.ends[index - 1] if index % _PER_BLOB else 0
        return self.blobs[index // _PER_BLOB][start:self.ends[index]]


def _shared_strings(member) -> list[str] | StringTable:
    """Return the shared strings table, each string's runs joined, phonetic runs left out."""
    strings = SharedStrings()
    parts: list[str] = []
    depth = {"t": 0, "rPh": 0}
    run = {"start": 0, "preserve": False}

    def start(name, attrs):
        local = LOCAL.get(name)
        if local in depth:
            depth[local] += 1
        if local == "t":
            run["start"], run["preserve"] = len(parts), attrs.get(PRESERVE) == "preserve"

    def end(name):
        local = LOCAL.get(name)
        if local in depth:
            if local == "t" and not run["preserve"]:
                parts[run["start"]:] = ["".join(parts[run["start"]:]).strip(XML_SPACE)]
            depth[local] -= 1
        elif local == "si":
            strings.add(unescape("".join(parts)))
            parts.clear()

    def text(data):
        if depth["t"] and not depth["rPh"]:
            parts.append(data)

    parse_member(expat_parser(start, end, text, member.name), member)
    return strings.table()


class SharedStrings:
    """Collects a shared strings table in order: a list while small, packed (``StringTable``)
    once past ``MAX_LISTED_STRINGS``."""

    def __init__(self):
        self.strings: list[str] = []
        self.packed: StringTable | None = None

    def add(self, text: str) -> None:
        """Add the next string of the table."""
        strings = self.strings
        strings.append(text)
        if self.packed is not None:
            if len(strings) == _PER_BLOB:
                self.packed.extend(strings)
                strings.clear()
        elif len(strings) > MAX_LISTED_STRINGS:
            self.packed = StringTable(strings[:len(strings) // _PER_BLOB * _PER_BLOB])
            del strings[:len(self.packed)]

    def table(self) -> list[str] | StringTable:
        """Return the table: the list, or the packed table with the last strings added."""
        if self.packed is None:
            return self.strings
        if self.strings:
            self.packed.extend(self.strings)
            self.strings = []
        return self.packed


def sheet_comments(archive: zipfile.ZipFile, sheet: str, read: set[str] | None = None) -> list[tuple[str, str]]:
    """Return the ``(cell, text)`` of each comment (批注) on the worksheet ``sheet`` (its zip member);
    ``read`` holds the comments parts read for the workbook's sheets before it (``comment_parts``).

    Excel keeps a sheet's comments in a part of their own, linked from the sheet's relationships;
    Excel 365 writes each threaded comment there too, as a legacy comment, for older readers.
    Raise ``SheetError`` naming a damaged part (``add_comments`` makes it one line).
    """
    found: list[tuple[str, str]] = []
    for member in comment_parts(archive, sheet, read):
        try:
            with archive.open(member) as part:
                found.extend(_comments(part))
        except PART_ERRORS as error:
            raise SheetError(damaged(shown_name(member), error)) from None
    return found


def add_comments(comments: dict[str, list[tuple[str, str]]], name: str, read: Callable[[], list[tuple[str, str]]],
                 warn: Callable[[str, str], None] | None) -> None:
    """Put the comments of the sheet ``name``, as ``read()`` returns them, in ``comments``. A
    comments part damaged or past its cap (``SheetError``) is one line through ``warn``, when
    given, and the sheet's cells are read: it made the whole workbook unreadable."""
    try:
        comments[name] = read()
    except SheetError as error:
        if warn is None:
            raise
        warn(name, f"{error}; the sheet's cells are read, its comments are not")


def comment_parts(archive: zipfile.ZipFile, sheet: str, read: set[str] | None = None) -> list[str]:
    """Return the comments parts the worksheet ``sheet`` (an .xlsx's or an .xlsb's zip member)
    links to, each once however many relationships name it (its comments were read, and counted,
    once a name), and none in ``read``, to which they are added: a part is read for the first
    sheet naming it only (Excel names each for one sheet; 400 sheets naming one part of a
    million characters took 24 s, its comments found once a sheet). Raise ``SheetError`` for one
    too large to hold whole, as the shared strings are."""
    parts = []
    for type_, member in relationships(archive, sheet).values():
        if (not type_.endswith("/comments") or member not in archive.NameToInfo or member in parts
                or (read is not None and member in read)):
            continue
        size = archive.getinfo(member).file_size
        if size > MAX_SHARED_STRINGS_BYTES:
            raise SheetError(f"refused: comments part of {size // 2**20:,} MB, over the "
                             f"{MAX_SHARED_STRINGS_BYTES // 2**20} MB cap")
        parts.append(member)
    if read is not None:
        read.update(parts)
    return parts


def _comments(member) -> list[tuple[str, str]]:
    """Return ``(ref, text)`` of each ``<comment>`` of a comments part, its runs joined."""
    comments: list[tuple[str, str]] = []
    parts: list[str] = []
    depth = {"t": 0, "rPh": 0}
    ref: list[str] = []  # the open comment's cell, while one is open

    def start(name, attrs):
        local = LOCAL.get(name)
        if local in depth:
            depth[local] += 1
        elif local == "comment":
            ref[:] = [comment_cell(attrs.get("ref", ""))]
            parts.clear()

    def end(name):
        local = LOCAL.get(name)
        if local in depth:
            depth[local] -= 1
        elif local == "comment" and ref:
            comments.append((ref.pop(), unescape("".join(parts))))

    def text(data):
        if ref and depth["t"] and not depth["rPh"]:
            parts.append(data)

    parse_member(expat_parser(start, end, text, member.name), member)
    return comments


def comment_cell(ref: str) -> str:
    """Return the cell a comment's ``ref`` names as a reader writes one (the first of a range),
    or "" when it names none. The location is rebuilt, never the file's text: a ref holding a
    customer's ID number was written raw into every finding's location (JSONL, ledger, reports).

    >>> comment_cell("B2"), comment_cell("$C$7:D9"), comment_cell("110101199003070011"), comment_cell("A13812345678")
    ('B2', 'C7', '', '')
    """
    found = _CELL_REFERENCE.match(ref)
    if found is None or column_index(found[1]) > MAX_COLUMN or not 0 < int(found[2]) <= MAX_ROW:
        return ""
    return found[1] + found[2]


def handled_rows(archive: zipfile.ZipFile, member: str, handler) -> Iterator[Row]:
    """Yield the rows that an expat ``handler`` (its ``start``, ``end`` and ``text`` methods, or
    None, and its ``rows``, a ``Rows``) builds from a zip member, a block of XML at a time."""
    parser = expat_parser(handler.start, handler.end, handler.text, member)
    try:
        with archive.open(member) as stream:
            while block := stream.read(BLOCK):
                parser.Parse(block, False)
                yield from handler.rows.take()
            parser.Parse(b"", True)
    except SheetError:
        # The rows the block finished before its damaged cell: they were lost with it (up to a
        # block, 1 MiB of XML, before the sheet's problem line).
        yield from handler.rows.take()
        raise
    yield from handler.rows.take()


def parse_member(parser, member) -> None:
    """Feed a zip member to an expat parser, a block at a time."""
    while block := member.read(BLOCK):
        parser.Parse(block, False)
    parser.Parse(b"", True)


def expat_parser(start, end, text, member: str):
    """Return an expat parser with namespaces split off by a space; a DTD refuses the workbook,
    and so do elements nested over ``MAX_DEPTH`` deep, in one line naming ``member``."""
    member = shown_name(member)  # the zip's own name may hold a line break (a relationship's a&#10;b)

    def refuse(*_args):
        raise WorkbookRefused(f"refused: {member} declares a DTD or entities (billion laughs / XXE?)")

    depth = 0

    def started(name, attrs):
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise WorkbookRefused(f"refused: elements nested over {MAX_DEPTH:,} deep in {member}")
        start(name, attrs)

    def ended(name):
        nonlocal depth
        depth -= 1
        if end is not None:
            end(name)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = 65536
    parser.StartElementHandler = started
    parser.EndElementHandler = ended
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


def decimal(text: str | None, past: int | None = None) -> int | None:
    """Return the number ``text`` writes in ASCII decimal digits, ``past`` when it writes one of
    more than ``MAX_DIGITS`` significant digits, and None for any other text (empty, a sign,
    "²"): int() refuses a string of over 4,300 digits (Python's limit), and one such attribute or
    index (a cell's s=, a row's r=) made its whole sheet 'unreadable (ValueError)'.

    >>> decimal("3"), decimal("0" * 5000 + "2"), decimal("5" * 5000), decimal("9" * 5000, 64), decimal("-1"), decimal("²")
    (3, 2, None, 64, None, None)
    """
    if not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_DIGITS else past


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
        index = decimal(text.strip(XML_SPACE))  # int(), which read it before, let whitespace round it
        if index is None or index >= len(book.strings):
            book.absent(missing_string(len(book.strings)))
            return None
        value = book.strings[index]
        if len(value) > FREE_CHARS and not book.charge(value):
            return None
        return value
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
    >>> excel_date(1e308)  # in milliseconds, infinity: a damaged or hostile cell's
    1e+308
    """
    try:
        # Half away from zero, as Rust's f64::round in python-calamine: round() takes half to even,
        # and 50903.412269820605 was 09:53:40.112 here, .113 there (found by a property test).
        exact = serial * _DAY_MS
        ms = math.floor(exact + 0.5) if exact >= 0 else math.ceil(exact - 0.5)
        if duration:
            return datetime.timedelta(milliseconds=ms)
        if serial < 1:
            return (datetime.datetime.min + datetime.timedelta(milliseconds=ms % _DAY_MS)).time()
        epoch = _EPOCH_1904 if date1904 else _EPOCH_1900_EARLY if serial < 60 else _EPOCH_1900
        moment = epoch + datetime.timedelta(milliseconds=ms)
    except (OverflowError, ValueError):  # ValueError: NaN, which no cell should hold
        return serial
    return moment.date() if serial.is_integer() else moment


def _iso_date(text: str) -> Any:
    try:
        moment = datetime.datetime.fromisoformat(text.strip().rstrip("Z"))
    except ValueError:
        return text
    return moment.date() if "T" not in text and " " not in text.strip() else moment


class Rows:
    """Collects finished rows, those holding values: the rows between are empty, and are left out
    (``spreadsheets`` counts them), or a row numbered 999999999999 in a small sheet would make
    every empty row before it (16 GB and 264 s for 100 million)."""

    def __init__(self):
        self.done: list[Row] = []

    def add(self, number: int, first: int, values: list) -> None:
        """Add a row holding values."""
        self.done.append((number, first, values))

    def take(self) -> list[Row]:
        """Return the rows finished so far and forget them."""
        done, self.done = self.done, []
        return done


def place(values: list, first: int, column: int, value: Any) -> int:
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


def checked_column(column: int) -> int:
    """Return ``column``, or raise ``SheetError`` past Excel's last column (a row stays bounded)
    or before its first (a reference that is no column's letters)."""
    if column > MAX_COLUMN:
        raise SheetError(f"unreadable: a cell past Excel's last column (XFD), column {column + 1:,}")
    if column < 0:
        raise SheetError("unreadable: a cell reference that names no column")
    return column


def placed_column(column: int, book: Charged) -> int | None:
    """Return ``column``, or None for a cell past Excel's last column or before its first,
    counted for its sheet's problem line (``NO_COLUMN``): the cell is left out, the sheet read on."""
    if 0 <= column <= MAX_COLUMN:
        return column
    book.absent(NO_COLUMN)
    return None


def column_index(letters: str) -> int:
    """Return the 0-based index of a column's letters; past XFD, the column after it (what
    ``checked_column`` refuses), and before A, -1.

    Computed whole, a reference of 100,000 letters took 5 s, and one of a million 9 minutes
    (an ever larger integer times 26, letter after letter): the count stops past XFD.

    >>> column_index("A"), column_index("AA"), column_index("XFD"), column_index("XFE"), column_index("A" * 9)
    (0, 26, 16383, 16384, 16384)
    """
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
        if not 0 <= index <= MAX_COLUMN + 1:
            return -1 if index < 0 else MAX_COLUMN + 1
    return index - 1


def column_letter(index: int) -> str:
    """Return the letters of the 0-based column ``index``.

    >>> column_letter(0), column_letter(26), column_letter(16383)
    ('A', 'AA', 'XFD')
    """
    while len(_LETTERS) <= index:
        number, letters = len(_LETTERS) + 1, ""
        while number:
            number, remainder = divmod(number - 1, 26)
            letters = chr(65 + remainder) + letters
        _LETTERS.append(letters)
    return _LETTERS[index]


# Element names as expat gives them ("namespace local"), in either namespace, to local names.
LOCAL = {f"{ns} {local}": local for ns in (MAIN, STRICT)
          for local in ("row", "c", "v", "is", "t", "rPh", "si", "numFmt", "cellXfs", "xf", "sheet",
                        "workbookPr", "comment")}
LOCAL[f"{PACKAGE} Relationship"] = "Relationship"
