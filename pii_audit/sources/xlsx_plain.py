"""An xlsx worksheet's rows read by one regular expression, for XML in the plain shape.

The shape is the one Excel, LibreOffice and openpyxl write: ``<c r="B2" s=".." t="..">`` holding
``<f>``, ``<v>`` or a plain ``<is><t>``. A block is cut into cells by ``_CELL``, each cell checked
to have been matched whole; anything else raises ``NotPlain`` before a row of that block is
given, and ``xlsx_stream`` reads the sheet through expat instead. A block whose rows all hold the
same columns is typed column by column. CPU per row of the bench workbook (200,000 rows x 10
columns of inline strings, numbers and dates; best of interleaved runs on the shared machine):
12-15 us here, 46-49 us through expat with Python handlers, 10 us for python-calamine (which holds
the sheet's grid: 191 MB for these 2,000,000 cells), 180 us for openpyxl's read-only mode.
"""

from __future__ import annotations

import re
import zipfile
from operator import itemgetter
from typing import Any, Iterator

from pii_audit.sources.cell_text import render
from pii_audit.sources.xlsx_book import (
    FREE_CHARS, INLINE, MAIN, MAX_CARRY, MAX_COLUMN, MAX_DIGITS, NUMBER, SHARED, STRICT, Row, Rows, SheetError,
    Workbook, column_index, place, placed_column, typed, unescape, XML_SPACE, BLOCK,
)

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


class NotPlain(Exception):
    """The sheet's XML is not in the plain shape: read it with expat."""


def plain_rows(archive: zipfile.ZipFile, member: str, cells: PlainCells) -> Iterator[Row]:
    """Yield the rows of a sheet in the plain shape; raise ``NotPlain`` as soon as a block is
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
                raise NotPlain  # a cell the expression did not match whole
            try:
                rows = cells.rows(found, ended or whole)
            except SheetError:
                # The rows the block finished before its damaged cell, as expat gives them: they
                # were lost with it (up to a block, 1 MiB of XML, before the sheet's problem line).
                yield from cells.done.take()
                raise
            yield from rows
            cells.given = rows[-1][0] if rows else cells.given
        while stream.read(BLOCK):
            pass  # to the member's end, where zipfile checks its CRC


class PlainCells:
    """Makes rows of the cells the expression found, block after block, one sheet.

    Rows are told apart by the row digits of their cells' references (``<row>`` carries nothing a
    value needs). What repeats is cached (bounded): a cell's kind by its attributes, a column by
    its letters, inline strings, dates and other rarer values by their text.
    """

    def __init__(self, book: Workbook):
        self.book, self.done = book, Rows()
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
            elif kind == SHARED and v.isdigit() and len(v) <= MAX_DIGITS and int(v) < count:
                value = strings[int(v)]
                if len(value) > FREE_CHARS and not self.book.charge(value):
                    continue
            else:
                value = self._other(kind, v or formula_v)
                if value is None:
                    continue
            column = columns.get(letters)
            if column is None:
                column = self._column(letters)
                if column is None:
                    continue  # past XFD: left out, counted
            if not values:
                first = column
                values.append(value)
            elif column - first == len(values):
                values.append(value)
            else:
                first = place(values, first, column, value)
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
                index = column_index(letters.decode())
                if index > MAX_COLUMN:
                    return None  # cell by cell leaves it out and counts it
                self.columns[letters] = index
            if indexes and index != indexes[-1] + 1:
                return None  # out of order, or a gap: cell by cell places them
            indexes.append(index)
            values = self._column_values(column)
            if values is None:
                return None
            typed_columns.append(values)
        done, first = self.done, indexes[0]
        add = done.done.append
        for number, values in zip(numbers, zip(*typed_columns)):  # zip(*...) turns them in C
            if any(values):
                add((number, first, values))
        return done.take()

    def _column_values(self, column: list[tuple]) -> list[str | None] | None:
        """Return the texts of one column of a regular block (None for an empty cell), or None
        when a shared string is out of range (cell by cell counts it, ``Charged.absent``)."""
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
            if not all(v.isdigit() and len(v) <= MAX_DIGITS and int(v) < len(strings) for v in raw if v):
                return None
            values = [strings[int(v)] if v else None for v in raw]
            if any(value and len(value) > FREE_CHARS for value in values):
                charge = self.book.charge
                values = [value if not value or len(value) <= FREE_CHARS or charge(value) else None
                          for value in values]
            return values
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
        if kind == SHARED and v.isdigit() and len(v) <= MAX_DIGITS and int(v) < len(self.book.strings):
            value = self.book.strings[int(v)]
            return value if len(value) <= FREE_CHARS or self.book.charge(value) else None
        return self._other(kind, v)

    def _column(self, letters: bytes) -> int | None:
        """Return the index of a column's letters, cached; None past XFD, counted each time
        (``placed_column``) and not cached, so that each such cell is counted."""
        column = placed_column(column_index(letters.decode()), self.book)
        if column is not None:
            self.columns[letters] = column
        return column

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
            if len(raw) <= _CACHED_BYTES and kind != SHARED:  # a shared string out of range is counted each time
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
    """Raise ``NotPlain`` for a block holding what the expression would not read as expat does:
    comments, CDATA, DTDs, instructions, namespace declarations, carriage returns.

    Characters XML forbids (control characters) are read as they are, where expat would refuse
    the sheet: testing every byte for them cost about 1.5 us a row of the bench workbook.
    """
    # "!" and "?" alone first: memchr finds a rare byte faster than "<!" among every "<".
    if ((b"!" in data and b"<!" in data) or (b"?" in data and b"<?" in data) or b"xmlns" in data
            or b"\r" in data):
        raise NotPlain


def _sheet_data(stream) -> bytes | None:
    """Read up to ``<sheetData>``; return what follows it, or None for an empty ``<sheetData/>``.

    Raise ``NotPlain`` unless what comes before is plain: UTF-8, the main namespace as the
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
            raise NotPlain
    at = start if empty < 0 or 0 <= start < empty else empty
    prolog = _PROLOG.match(head, 0, at)
    if prolog is None:
        raise NotPlain
    declaration, root = prolog.groups()
    encoding = dict(_ATTR.findall(declaration or b"")).get(b"encoding", b"utf-8")
    middle = head[prolog.end():at]
    if (encoding.lower() != b"utf-8" or not any(ns in root for ns in _DEFAULT_NS)
            or _PREFIXED_NS.search(root) or b"<!" in middle or b"<?" in middle):
        raise NotPlain
    return None if at == empty else head[at + len(b"<sheetData>"):]


def _cut(data: bytes, final: bool) -> tuple[bytes | None, bytes, bool, bool]:
    """Return ``(whole cells, the rest to carry, whether sheetData ended, whether the cells are
    whole rows)`` of a block of XML: cut before its last ``<row``, else before its last ``<c``."""
    end = data.find(b"</sheetData>")
    if end >= 0:
        return data[:end], b"", True, True
    if final:
        raise NotPlain  # the sheet ends without closing sheetData: let expat say so
    cut = data.rfind(b"<row")
    if cut > 0:
        return data[:cut], data[cut:], False, True
    cut = data.rfind(b"<c")  # one row longer than the block
    if cut < 0:
        cut = data.rfind(b"<")  # no cell open: carry only a tag that may be cut short
    if cut <= 0:
        if len(data) > MAX_CARRY:
            raise NotPlain
        return None, data, False, False
    return data[:cut], data[cut:], False, False


def _inline_text(raw: bytes) -> str:
    """Return an inline string from ``<t>text`` or ``<t xml:space="preserve">text``.

    As python-calamine, XML whitespace around a text not marked to be preserved is dropped.
    """
    if raw.startswith(b"<t>"):
        return unescape(_xml_text(raw[3:]).strip(XML_SPACE))
    return unescape(_xml_text(raw[len(b'<t xml:space="preserve">'):]))


def _xml_text(raw: bytes) -> str:
    """Return the text of an element's raw UTF-8 content, its references replaced."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise NotPlain from None
    return _REFERENCE.sub(_reference, text) if "&" in text else text


def _reference(match: re.Match) -> str:
    number, hexadecimal, name = match.groups()
    if name:
        return _NAMED[name]
    if not (number or hexadecimal):
        raise NotPlain  # a bare & or an entity no DTD declares: expat refuses it
    code = int(number) if number else int(hexadecimal, 16)
    if not (code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF):
        raise NotPlain  # not an XML character: expat refuses it
    return chr(code)
