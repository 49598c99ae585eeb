"""Stream the rows of an xlsx worksheet in bounded memory, as text rendered as python-calamine's values.

A worksheet's XML is read in blocks (``xlsx_plain``: one regular expression for the plain shape
Excel, LibreOffice and openpyxl write); anything else (comments, CDATA, namespace declarations,
rich inline text, other encodings, a cell without a reference...) sends the whole sheet through
expat here instead, from its start, skipping the rows already given.

Values come out as text, as ``cell_text.render`` writes python-calamine's typed values (float;
str; bool; date, datetime or time under a date format; timedelta under an [h]:mm format); errors
and empty cells are None. Memory holds the shared strings (packed when large), one block of XML
and its rows, and small bounded caches, whatever the sheet's size. ``xlsx_guard`` has checked the
zip first; expat refuses a DTD in any part, and the expression refuses any ``<!``.
"""

from __future__ import annotations

import zipfile
from typing import Iterator

from pii_audit.sources.cell_text import render
from pii_audit.sources.xlsx_book import (
    INLINE, LOCAL, MAX_CELL_CHARS, NUMBER, PRESERVE, XML_SPACE, Row, Rows, SheetError, Workbook,
    column_index, decimal, handled_rows, place, placed_column, typed,
)
from pii_audit.sources.xlsx_plain import NotPlain, PlainCells, plain_rows


def sheet_rows(archive: zipfile.ZipFile, member: str, book: Workbook) -> Iterator[Row]:
    """Yield the rows of a worksheet that hold a value (the rows between are empty).

    A row's values are text (None where empty) and start at its ``first`` column.
    """
    cells = PlainCells(book)
    try:
        yield from plain_rows(archive, member, cells)
    except NotPlain:
        yield from (row for row in _expat_rows(archive, member, book) if row[0] > cells.given)


def _expat_rows(archive: zipfile.ZipFile, member: str, book: Workbook) -> Iterator[Row]:
    """Yield the rows of a sheet (see ``sheet_rows``) through expat, whatever its shape."""
    return handled_rows(archive, member, _SheetHandler(book))


class _SheetHandler:
    """Expat handlers that build rows from ``<row>``, ``<c>``, ``<v>`` and inline strings."""

    def __init__(self, book: Workbook):
        self.book, self.rows = book, Rows()
        self.number, self.first, self.values = 0, 0, []
        self.column, self.kind, self.parts, self.size = -1, NUMBER, [], 0
        self.collecting, self.cell, self.inline, self.phonetic = False, False, 0, 0
        self.run, self.preserve = 0, False

    def start(self, name: str, attrs: dict) -> None:
        """Handle an element's start."""
        local = LOCAL.get(name)
        if local == "c":
            reference = attrs.get("r")
            self.column = column_index(reference.rstrip("0123456789")) if reference else self.column + 1
            self.kind = self.book.kind(attrs.get("t"), attrs.get("s"))
            self.cell, self.parts, self.size = True, [], 0
        elif local == "v":
            self.collecting = self.cell and self.kind != INLINE
        elif local == "t":
            self.collecting = self.cell and self.kind == INLINE and self.inline and not self.phonetic
            self.run, self.preserve = len(self.parts), attrs.get(PRESERVE) == "preserve"
        elif local == "is":
            self.inline += 1
        elif local == "rPh":
            self.phonetic += 1
        elif local == "row":
            # A damaged r= (no number, or 5,000 digits) is read as the row after the last one.
            number = decimal(attrs.get("r"))
            self.number = number if number is not None else self.number + 1
            self.values, self.column = [], -1

    def end(self, name: str) -> None:
        """Handle an element's end."""
        local = LOCAL.get(name)
        if local == "t" and self.collecting and not self.preserve:
            # As python-calamine: XML whitespace around a run not marked to be preserved goes.
            self.parts[self.run:] = ["".join(self.parts[self.run:]).strip(XML_SPACE)]
        if local in ("v", "t"):
            self.collecting = False
        elif local == "c":
            self.cell = False
            value = render(typed(self.kind, "".join(self.parts), self.book))
            # A value past XFD is left out and counted, as by the expression; the sheet goes on.
            if value and placed_column(self.column, self.book) is not None:
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
            self.first = place(self.values, self.first, self.column, value)
