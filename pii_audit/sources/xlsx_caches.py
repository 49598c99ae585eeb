"""The copies of other data an xlsx workbook keeps beside its sheets, read as sheets.

* Pivot caches. Excel keeps a copy of a pivot table's source rows inside the workbook
  (``pivotCacheRecords``, each field's distinct values in ``pivotCacheDefinition``), and the copy
  stays when the source sheet is deleted: a customer list summarised in a pivot table, its sheet
  then deleted, still holds every customer. Each cache is the sheet ``透视缓存N`` (pivot cache N):
  row 1 its field names, the source's header, then one row per record, so its columns get the
  source's headers as context and containers of their own (``file!透视缓存1!证件号码``); the remedy
  is to delete the pivot table or refresh it from a masked source. A cache saved without its
  records (``saveData="0"``) holds each field's distinct values only: they are read as the rows.
* External link caches. A formula that reads another workbook (``VLOOKUP`` over
  ``[客户名单.xlsx]Sheet1!A:D``) makes Excel keep the values it read, a copy of that workbook's
  cells (``externalLinks/externalLinkN.xml``). Each cached sheet is the sheet ``外部链接N-name``,
  its cells where they are in the other workbook; the remedy is to break the link. Each link
  part is read in one pass, its sheets as the pass meets them; its damage is a problem line on
  the sheet it falls in. A cell past column XFD is left out with one problem line for its sheet,
  as in a worksheet; the rest of the sheet is read.
"""

from __future__ import annotations

import zipfile
from collections import deque
from itertools import zip_longest
from typing import Callable, Iterator

from pii_audit.sources.cell_text import render
from pii_audit.sources.xlsx_book import (BLOCK, FREE_CHARS, ISO_DATE, MAIN, MAX_CELL_CHARS, MAX_SHEETS, MISSING_ITEM,
                                         MAX_COLUMN, NO_COLUMN, NUMBER, STRICT, Charged, Row, Rows, SheetError, Workbook,
                                         column_index, decimal, expat_parser, handled_rows, noted_rows, parse_member,
                                         place, relationships, sheet_name,
                                         typed, unescape)

WORKBOOK = "xl/workbook.xml"
PIVOT_SHEET = "透视缓存{}"
LINK_SHEET = "外部链接{}-{}"
LINK_DAMAGED = "外部链接{}"  # the sheet that names an external link part damaged where no sheet is
# A definition's distinct values are held whole, as Python strings: 4.4 MB of XML holding 200,000
# of them peaked at 21.5 MB (measured). 8 MiB, some 360,000 values, stays under 45 MB.
MAX_DEFINITION_BYTES = 8 << 20
# The elements read here, by local name, in either namespace of SpreadsheetML.
_LOCAL = {f"{ns} {local}": local for ns in (MAIN, STRICT)
          for local in ("cacheField", "sharedItems", "r", "x", "s", "n", "d", "b", "e", "m",
                        "sheetName", "sheetData", "row", "cell", "v")}
_ITEMS = ("s", "n", "d", "b", "e", "m")  # an item's value, inline; "x" points into sharedItems
_LINK_KINDS = {"str": "s", "s": "s", "inlineStr": "s", "b": "b", "e": "e"}  # a cached cell's t, as an item


def pivot_caches(archive: zipfile.ZipFile, workbook: str = WORKBOOK) -> list[tuple[str, str, str | None]]:
    """Return ``(sheet name, definition member, records member or None)`` of each pivot cache
    the relationships of the ``workbook`` part list, in the order of their members' names.

    A records part is read for the first definition naming it only: a later one is read as a
    cache without records (its items). Read for each, a 109 KB workbook of 101 definitions
    naming one records part of 20,000 records took 260 s (4 million findings of 40,000)."""
    definitions = related(archive, workbook, "/pivotCacheDefinition")
    caches, named = [], set()
    for number, definition in enumerate(definitions, 1):
        records = next(iter(related(archive, definition, "/pivotCacheRecords")), None)
        if records in named:
            records = None
        named.add(records)
        caches.append((PIVOT_SHEET.format(number), definition, records))
    return caches


def related(archive: zipfile.ZipFile, part: str, kind: str) -> list[str]:
    """Return the members, sorted, that the relationships of ``part`` name of a type ending in ``kind``;
    each once, however many relationships name it (each would be read again)."""
    return sorted({member for type_, member in relationships(archive, part).values()
                   if type_.endswith(kind) and member in archive.NameToInfo})


def cache_rows(archive: zipfile.ZipFile, definition: str, records: str | None, book: Workbook) -> Iterator[Row]:
    """Yield a pivot cache as a sheet's rows: its field names, then its records."""
    fields = _fields(archive, definition, book)
    yield from cache_sheet([name for name, _ in fields], [items for _, items in fields],
                           None if records is None else handled_rows(archive, records,
                                                                     _Records([items for _, items in fields], book)))


def cache_sheet(names: list[str], items: list[list], records: Iterator[Row] | None) -> Iterator[Row]:
    """Yield a cache's sheet: row 1 its field ``names``, then its ``records`` rows, or when it has
    none, its fields' distinct values (``items``) as the rows."""
    yield 1, 0, [name or None for name in names]
    if records is None:
        for number, values in enumerate(zip_longest(*items), 2):
            yield number, 0, list(values)
        return
    yield from records


def check_definition_size(archive: zipfile.ZipFile, definition: str) -> None:
    """Refuse a definition whose distinct values, held whole, would pass ``MAX_DEFINITION_BYTES``."""
    size = archive.getinfo(definition).file_size
    if size > MAX_DEFINITION_BYTES:
        raise SheetError(f"refused: pivot cache definition of {size // 2**20:,} MB, over the "
                         f"{MAX_DEFINITION_BYTES // 2**20} MB cap")


def item_text(local: str, value: str | None, book: Workbook | None) -> str | None:
    """Return an item's text as a cell holding it is rendered; None for missing and errors."""
    if local == "s":
        return unescape(value or "") or None
    if local == "n":
        return render(typed(NUMBER, value, book)) or None
    if local == "d":
        return render(typed(ISO_DATE, value, book)) or None
    if local == "b":
        return "TRUE" if value in ("1", "true") else "FALSE"
    return None  # m: missing; e: an error value, empty as in a cell


def shared_item(items: list, index: int | None, book: Charged) -> str | None:
    """Return the item ``index`` (None: no index) of a cache field's distinct ``items``, which a
    record reads by reference, as a cell a shared string: a long one is charged to ``book`` and
    past its allowance reads as empty; one the field does not hold reads as empty, counted
    (``Charged.absent``): it refused the rest of the cache, every record after it lost."""
    if index is None or index >= len(items):
        book.absent(MISSING_ITEM)
        return None
    item = items[index]
    if item and len(item) > FREE_CHARS and not book.charge(item):
        return None
    return item


def _fields(archive: zipfile.ZipFile, definition: str, book: Workbook) -> list[tuple[str, list]]:
    """Return each cache field's name and its distinct values (``sharedItems``), held whole
    up to ``MAX_DEFINITION_BYTES``."""
    check_definition_size(archive, definition)
    fields: list[tuple[str, list]] = []
    shared = [0]  # depth of sharedItems: a field's grouping items (groupItems) are not its values

    def start(name, attrs):
        local = _LOCAL.get(name)
        if local == "cacheField":
            fields.append((attrs.get("name", ""), []))
        elif local == "sharedItems":
            shared[0] += 1
        elif local in _ITEMS and shared[0] and fields:
            fields[-1][1].append(item_text(local, attrs.get("v"), book))

    def end(name):
        if _LOCAL.get(name) == "sharedItems":
            shared[0] -= 1

    with archive.open(definition) as member:
        parse_member(expat_parser(start, end, None, definition), member)
    return fields


class _Records:
    """Expat handlers that turn ``<r>`` records into rows, ``<x>`` resolved in ``sharedItems``."""

    text = None  # records hold their values in attributes

    def __init__(self, items: list[list], book: Workbook):
        self.items, self.book, self.rows = items, book, Rows()
        self.number, self.values = 1, []  # row 1 holds the field names

    def start(self, name: str, attrs: dict) -> None:
        """Handle an element's start: a record, or one of its values."""
        local = _LOCAL.get(name)
        if local == "r":
            self.number, self.values = self.number + 1, []
        elif local == "x":
            field = len(self.values)
            # decimal: "-1" would read the last item; int() refuses "²" and 5,000 digits.
            self.values.append(shared_item(self.items[field] if field < len(self.items) else [],
                                           decimal(attrs.get("v", "0")), self.book))
        elif local in _ITEMS:
            self.values.append(item_text(local, attrs.get("v"), self.book))

    def end(self, name: str) -> None:
        """Handle an element's end: a record is a row."""
        if _LOCAL.get(name) == "r" and any(self.values):
            self.rows.add(self.number, 0, self.values)


def link_sheets(archive: zipfile.ZipFile, book: Workbook, warn: Callable[[str, str], None] | None = None
                ) -> Iterator[tuple[str, Iterator[Row]]]:
    """Yield ``(sheet name, rows)`` of each sheet an external link caches, links in the order of
    their members' names; each link part is read once, its sheets as the pass meets them.
    ``warn`` is told of a sheet whose cells were left out (``xlsx_book.noted_rows``)."""
    for number, member in enumerate(related(archive, WORKBOOK, "/externalLink"), 1):
        yield from _LinkPart(archive, member, book).sheets(number, warn)


class _LinkPart:
    """One external link part, read in one pass: each cached sheet (``<sheetData>``) as the pass
    meets it, its rows as the sheet is read, what is left of a sheet read in part (sampled) skipped.
    Read again for each sheetData, a 6 KB workbook caching 4,000 empty sheets took 33 s.

    The part is parsed a block at a time, only when the sheet being read needs more; an error
    (damaged XML, a refused cell) is kept and raised by the sheet it falls in, or, when it falls
    in none, by the sheet ``外部链接N`` naming the part."""

    def __init__(self, archive: zipfile.ZipFile, member: str, book: Workbook):
        self.cells = _LinkCells(book)
        self.parser = expat_parser(self.cells.start, self.cells.end, self.cells.text, member)
        self.blocks = _blocks(archive, member)
        self.done, self.error, self.raised = False, None, False

    def sheets(self, number: int, warn: Callable[[str, str], None] | None = None
               ) -> Iterator[tuple[str, Iterator[Row]]]:
        """Yield ``(sheet name, rows)`` of each sheet the part caches, then one naming the part
        if it is damaged where no sheet holds the damage; ``warn`` as ``link_sheets`` says."""
        cells = self.cells
        while True:
            while not cells.pending and not self.done:
                self._feed()
            if not cells.pending:
                break
            index, name = cells.pending.popleft()
            cells.want(index)
            shown = sheet_name(LINK_SHEET.format(number, name))
            yield shown, noted_rows(self._rows(index), self.cells.book, shown, warn)
            cells.want(index + 1)  # the rest of this sheet, not read (sampled), is skipped
        if self.error is not None and not self.raised:
            yield LINK_DAMAGED.format(number), self._rows(-1)

    def _rows(self, index: int) -> Iterator[Row]:
        """Yield the rows of the part's sheet ``index`` (from 0; -1 for none: the part's error)."""
        cells = self.cells
        while True:
            while cells.rows and cells.rows[0][0] <= index:
                sheet, row = cells.rows.popleft()
                if sheet != index:
                    continue
                if isinstance(row, SheetError):
                    raise row
                if isinstance(row, str):  # a cell left out: counted as its sheet is read, not before
                    self.cells.book.absent(row)
                else:
                    yield row
            if 0 <= index < cells.closed:
                return
            if self.error is not None:
                self.raised = True
                raise self.error
            if self.done:
                return
            self._feed()

    def _feed(self) -> None:
        """Parse the part's next block, or its end; keep an error for the sheet it falls in."""
        try:
            block = next(self.blocks, b"")
            self.parser.Parse(block, not block)
            self.done = not block
        except Exception as error:  # noqa: BLE001 -- raised again, by the sheet it cut short
            self.error, self.done = error, True


def _blocks(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """Yield a zip member's bytes a block at a time."""
    with archive.open(member) as stream:
        while block := stream.read(BLOCK):
            yield block


class _LinkCells:
    """Expat handlers that turn each ``<sheetData>`` of an external link part into a sheet's rows:
    ``pending`` the sheets met and not yet given, ``rows`` each row with its sheet's index.

    A cell past column XFD is kept in ``rows`` as its reason (``NO_COLUMN``), counted against the
    workbook only when its sheet reaches it: the pass runs ahead of the sheet being read, and a
    count made then would put the problem line on that sheet.

    A damaged cell ends its sheet with the error, kept in ``rows`` for the sheet to raise, and
    the pass goes on: raised here, it would stop expat, and the sheets after it with it."""

    def __init__(self, book: Workbook):
        self.book, self.names = book, []  # the other workbook's sheet names (sheetName)
        self.pending: deque[tuple[int, str]] = deque()  # (index, name) of sheets met, not given
        self.rows: deque[tuple[int, Row | SheetError | str]] = deque()
        self.count = self.closed = 0  # sheetData met, and ended (each ends the ones before it)
        self.wanted = 0  # the rows of sheets before this one are dropped as they are read
        self.inside = False  # in a sheetData
        self.number, self.first, self.values = 0, 0, []
        self.column, self.kind, self.parts = -1, "n", None  # parts: the open <v>'s text, or None
        self.size = 0  # characters in parts

    def want(self, index: int) -> None:
        """Keep the rows of the sheet ``index`` and after it only."""
        self.wanted = index
        while self.rows and self.rows[0][0] < index:
            self.rows.popleft()

    def start(self, name: str, attrs: dict) -> None:
        """Handle an element's start."""
        local = _LOCAL.get(name)
        if local == "sheetName":
            if len(self.names) < MAX_SHEETS:  # a sheetData naming one past them is named by its id
                self.names.append(attrs.get("val", ""))
        elif local == "sheetData":
            if self.count >= MAX_SHEETS:  # raised inside expat: the pass stops here
                raise SheetError(f"refused: an external link part caching more than {MAX_SHEETS:,} sheets")
            self.closed, self.inside = self.count, True
            self.pending.append((self.count, self._name(attrs.get("sheetId", ""))))
            self.count += 1
            self.number, self.values, self.parts = 0, [], None
        elif not self.inside:
            return
        elif local == "row":
            number = decimal(attrs.get("r"))  # a damaged r= is the row after the last one, as in a sheet
            self.number = number if number is not None else self.number + 1
            self.values, self.column = [], -1
        elif local == "cell":
            reference = attrs.get("r")
            self.column = column_index(reference.rstrip("0123456789")) if reference else self.column + 1
            self.kind = attrs.get("t", "n")
        elif local == "v":
            self.parts, self.size = [], 0

    def _name(self, sheet_id: str) -> str:
        """Return the name of the other workbook's sheet ``sheet_id`` (listed before the sheetData
        in a sound part), or the id itself when it names none."""
        index = decimal(sheet_id)
        return self.names[index] if index is not None and index < len(self.names) else sheet_id

    def end(self, name: str) -> None:
        """Handle an element's end: a value is placed in its row, a row is kept for its sheet."""
        local = _LOCAL.get(name)
        if local == "sheetData":
            self.closed, self.inside = self.count, False
        elif not self.inside:
            return
        elif local == "v" and self.parts is not None:
            value = item_text(_LINK_KINDS.get(self.kind, "n"), "".join(self.parts), self.book)
            self.parts = None
            if value and not 0 <= self.column <= MAX_COLUMN:
                self._keep(NO_COLUMN)
            elif value:
                if not self.values:
                    self.first, self.values = self.column, [value]
                else:
                    self.first = place(self.values, self.first, self.column, value)
        elif local == "row" and self.values:
            self._keep((self.number, self.first, self.values))
            self.values = []

    def text(self, data: str) -> None:
        """Collect a value's text."""
        if self.parts is not None:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                self._damaged(SheetError(f"unreadable: a cell of more than {MAX_CELL_CHARS:,} characters"))
                return
            self.parts.append(data)

    def _keep(self, row: Row | SheetError | str) -> None:
        """Keep a row (or the error that ends it) of the sheet open now, unless it is dropped."""
        if self.count - 1 >= self.wanted:
            self.rows.append((self.count - 1, row))

    def _damaged(self, error: SheetError) -> None:
        """End the sheet open now with ``error``: what is left of its sheetData is not read."""
        self._keep(error)
        self.inside, self.parts, self.values = False, None, []
