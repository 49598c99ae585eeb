"""The pivot caches of an xlsx workbook, read as sheets.

Excel keeps a copy of a pivot table's source rows inside the workbook (``pivotCacheRecords``,
each field's distinct values in ``pivotCacheDefinition``), and the copy stays when the source
sheet is deleted: a customer list summarised in a pivot table, its sheet then deleted, still
holds every customer. Each cache is read as the sheet ``透视缓存N`` (pivot cache N): row 1 its
field names, the source's header, then one row per record, so its columns get the source's
headers as context and containers of their own (``file!透视缓存1!证件号码``); the remedy is to
delete the pivot table or refresh it from a masked source.

A cache saved without its records (``saveData="0"``) holds each field's distinct values only:
they are read as the rows, field by field.
"""

from __future__ import annotations

import zipfile
from itertools import zip_longest
from typing import Iterator

from pii_audit.sources.cell_text import render
from pii_audit.sources.xlsx_book import (ISO_DATE, MAIN, NUMBER, STRICT, Row, Rows, SheetError, Workbook,
                                         expat_parser, handled_rows, parse_member, relationships, typed,
                                         unescape)

SHEET_NAME = "透视缓存{}"
# A definition's distinct values are held whole, as Python strings: 4.4 MB of XML holding 200,000
# of them peaked at 21.5 MB (measured). 8 MiB, some 360,000 values, stays under 45 MB.
MAX_DEFINITION_BYTES = 8 << 20
# The elements read here, by local name, in either namespace of SpreadsheetML.
_LOCAL = {f"{ns} {local}": local for ns in (MAIN, STRICT)
          for local in ("cacheField", "sharedItems", "r", "x", "s", "n", "d", "b", "e", "m")}
_ITEMS = ("s", "n", "d", "b", "e", "m")  # an item's value, inline; "x" points into sharedItems


def pivot_caches(archive: zipfile.ZipFile) -> list[tuple[str, str, str | None]]:
    """Return ``(sheet name, definition member, records member or None)`` of each pivot cache
    the workbook's relationships list, in the order of their members' names."""
    definitions = sorted(member for type_, member in relationships(archive, "xl/workbook.xml").values()
                         if type_.endswith("/pivotCacheDefinition") and member in archive.NameToInfo)
    caches = []
    for number, definition in enumerate(definitions, 1):
        records = next((member for type_, member in relationships(archive, definition).values()
                        if type_.endswith("/pivotCacheRecords") and member in archive.NameToInfo), None)
        caches.append((SHEET_NAME.format(number), definition, records))
    return caches


def cache_rows(archive: zipfile.ZipFile, definition: str, records: str | None, book: Workbook) -> Iterator[Row]:
    """Yield a pivot cache as a sheet's rows: its field names, then its records."""
    fields = _fields(archive, definition, book)
    yield 1, 0, [name or None for name, _ in fields]
    if records is None:
        for number, values in enumerate(zip_longest(*(items for _, items in fields)), 2):
            yield number, 0, list(values)
        return
    yield from handled_rows(archive, records, _Records([items for _, items in fields], book))


def _item(local: str, value: str | None, book: Workbook) -> str | None:
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


def _fields(archive: zipfile.ZipFile, definition: str, book: Workbook) -> list[tuple[str, list]]:
    """Return each cache field's name and its distinct values (``sharedItems``), held whole
    up to ``MAX_DEFINITION_BYTES``."""
    size = archive.getinfo(definition).file_size
    if size > MAX_DEFINITION_BYTES:
        raise SheetError(f"refused: pivot cache definition of {size // 2**20:,} MB, over the "
                         f"{MAX_DEFINITION_BYTES // 2**20} MB cap")
    fields: list[tuple[str, list]] = []
    shared = [0]  # depth of sharedItems: a field's grouping items (groupItems) are not its values

    def start(name, attrs):
        local = _LOCAL.get(name)
        if local == "cacheField":
            fields.append((attrs.get("name", ""), []))
        elif local == "sharedItems":
            shared[0] += 1
        elif local in _ITEMS and shared[0] and fields:
            fields[-1][1].append(_item(local, attrs.get("v"), book))

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
            try:
                self.values.append(self.items[field][int(attrs.get("v", "0"))])
            except (IndexError, ValueError):
                raise SheetError("unreadable: a pivot cache record names an item its field does not hold") from None
        elif local in _ITEMS:
            self.values.append(_item(local, attrs.get("v"), self.book))

    def end(self, name: str) -> None:
        """Handle an element's end: a record is a row."""
        if _LOCAL.get(name) == "r" and any(self.values):
            self.rows.add(self.number, 0, self.values)
