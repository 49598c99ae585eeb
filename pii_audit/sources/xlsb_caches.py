"""The copies of other data an .xlsb workbook keeps beside its sheets, read as sheets as an
xlsx's are (``xlsx_caches``): each pivot cache is the sheet ``透视缓存N``, its field names the
header row, then its records (or, saved without them, each field's distinct values); each sheet
an external link caches is ``外部链接N-name``, its cells where they are in the other workbook.

The parts are found through the relationships, as in an xlsx; their records are [MS-XLSB]'s:
a pivot cache definition (2.1.7.38) holds each field (BrtBeginPCDField: its name) and its
distinct values (the items after BrtBeginPCDFAtbl, one record each or a BrtBeginPCDIRun of
them), held whole up to ``MAX_DEFINITION_BYTES`` as an xlsx's are; its records part (2.1.7.39)
is streamed, a row a BrtPCRRecord (each source field's item index when the field has items,
else its value inline, a number, date or string as the field's BrtBeginPCDFAtbl flags say) or
a BrtPCRRecordDt (a record a value after it). An external link part (2.1.7.25) names the other
workbook's sheets (BrtSupTabs); each cached sheet (BrtExternTableStart) holds rows
(BrtExternRowHdr) of cells (BrtExternCellString, Real, Bool, Error, Blank). Values are rendered as
the xlsx reader renders the same items (``xlsx_caches.item_text``). A damaged part is one
``SheetError`` naming its sheet; the sheets and the other parts are still read.
"""

from __future__ import annotations

import struct
import zipfile
from typing import Callable, Iterator

from pii_audit.sources.cell_text import render
from pii_audit.sources.sheet_rows import EXCEL_MAX_ROWS, Sheet
from pii_audit.sources.xlsb_stream import TOO_SHORT, WORKBOOK, part_records, wide_string
from pii_audit.sources.xlsx_book import Charged, Row, SheetError, noted_rows, place, placed_column, sheet_name
from pii_audit.sources.xlsx_caches import (LINK_DAMAGED, LINK_SHEET, cache_sheet, check_definition_size, item_text,
                                           pivot_caches, related, shared_item)

# Record types ([MS-XLSB] 2.3.2). A cache item (BrtPCDI*, 20-25) and the same with more data
# after its value (BrtPCDIA*, 27-32), as the xlsx item they stand for.
_ITEMS = {**dict(zip(range(20, 26), "mnbesd")), **dict(zip(range(27, 33), "mnbesd"))}
PCDI_INDEX, PCR_RECORD, PCR_RECORD_DT = 26, 33, 34
END_PIVOT_CACHE_DEF, BEGIN_PCD_FIELD, BEGIN_PCDF_ATBL, END_PCDF_ATBL, BEGIN_PCDI_RUN = 180, 183, 189, 190, 191
END_PIVOT_CACHE_RECORDS, END_SUP_BOOK = 194, 588
SUP_TABS, EXTERN_TABLE_START, EXTERN_TABLE_END, EXTERN_ROW_HDR = 359, 363, 364, 366
_EXTERN_CELLS = dict(zip(range(367, 372), "mnbes"))  # BrtExternCellBlank, Real, Bool, Error, String
_SRC_FIELD = 0x04  # BrtBeginPCDField: a field of the source data, so a column of each record
_NUM_FIELD, _DATE_IN_FIELD, _HAS_TEXT_ITEM = 0x40, 0x04, 0x08  # BrtBeginPCDFAtbl
_RUN_KINDS = {0x01: "n", 0x02: "s", 0x10: "e", 0x20: "d"}  # BrtBeginPCDIRun's mdSxoper
_RUN_SIZES = {"n": 8, "s": 4, "e": 1, "d": 8}  # the fewest bytes an item of a run takes
_LONG = struct.Struct("<I")
_XNUM = struct.Struct("<d")
_DATETIME = struct.Struct("<HHBBBB")  # PCDIDateTime: year, month, day, hour, minute, second
_MISMATCH = "unreadable: a pivot cache record does not match its fields (corrupt .xlsb)"
_EARLY = "unreadable: the part ends before its last record (truncated or corrupt .xlsb)"


class _Field:
    """A cache field: its name, whether records hold it, how they store it, its distinct values."""

    def __init__(self, name: str, source: bool):
        self.name, self.source, self.inline, self.items = name, source, "s", []


def cache_sheets(archive: zipfile.ZipFile, book: Charged, warn: Callable[[str, str], None] | None = None
                 ) -> Iterator[Sheet]:
    """Yield each pivot cache and each sheet an external link caches as ``(name, rows)``; a long
    item a cache's records read again is charged to ``book``, the workbook (``cache_rows``)."""
    for name, definition, records in pivot_caches(archive, WORKBOOK):
        yield name, noted_rows(_short_is_damage(cache_rows(archive, definition, records, book)), book, name, warn)
    for number, member in enumerate(related(archive, WORKBOOK, "/externalLink"), 1):
        try:
            names, tabs = _link_tables(archive, member)
        except SheetError as error:
            yield LINK_DAMAGED.format(number), _raising(error)
            continue
        tables = _LinkTables(archive, member, book)
        for index, tab in enumerate(tabs):
            name = sheet_name(LINK_SHEET.format(number, names[tab] if tab < len(names) else str(tab)))
            yield name, noted_rows(_short_is_damage(tables.rows(index)), book, name, warn)


def _short_is_damage(rows: Iterator[Row]) -> Iterator[Row]:
    """Yield ``rows``; a record too short for what it holds is a damaged part."""
    try:
        yield from rows
    except (struct.error, IndexError):
        raise SheetError(TOO_SHORT) from None


def _ended(records: Iterator[tuple[int, bytes]], last: int) -> Iterator[tuple[int, bytes]]:
    """Yield ``records``, then raise ``SheetError`` unless the part's closing record ``last`` came."""
    ended = False
    for kind, data in records:
        ended = kind == last
        yield kind, data
    if not ended:
        raise SheetError(_EARLY)


def _raising(error: SheetError) -> Iterator[Row]:
    raise error
    yield  # a generator: the error comes as the sheet is read


def cache_rows(archive: zipfile.ZipFile, definition: str, records: str | None, book: Charged) -> Iterator[Row]:
    """Yield a pivot cache as a sheet's rows: its field names, then its records. A record reads an
    item by a 4-byte index however long the item (16,000 records reading one 65,000-character
    item, a 28 KB workbook, gave 1,040 million characters): a long one is charged to ``book``, as
    a shared string is, and past its allowance reads as empty (``shared_item``)."""
    fields = _fields(archive, definition)
    yield from cache_sheet([f.name for f in fields], [f.items for f in fields],
                           None if records is None else _records(archive, records, fields, book))


def _fields(archive: zipfile.ZipFile, definition: str) -> list[_Field]:
    """Return the fields of a pivot cache definition part, each with its distinct values (the
    items of its BrtBeginPCDFAtbl: a field's grouping items are not its values)."""
    check_definition_size(archive, definition)
    fields: list[_Field] = []
    table = False  # between a field's BrtBeginPCDFAtbl and its end
    for kind, data in _ended(part_records(archive, definition), END_PIVOT_CACHE_DEF):
        if kind == BEGIN_PCD_FIELD:
            # After the flags (2 bytes), ifmt, wTypeSql, ihdb, isxtl and cIsxtmps: stFldName.
            fields.append(_Field(wide_string(data, 20)[0], bool(data[0] & _SRC_FIELD)))
        elif kind == BEGIN_PCDF_ATBL and fields:
            flags, table = data[0], True
            fields[-1].inline = ("n" if flags & _NUM_FIELD else
                                 "d" if flags & (_DATE_IN_FIELD | _HAS_TEXT_ITEM) == _DATE_IN_FIELD else "s")
        elif kind == END_PCDF_ATBL:
            table = False
        elif table and kind in _ITEMS:
            fields[-1].items.append(_value(_ITEMS[kind], data, 0)[0])
        elif table and kind == BEGIN_PCDI_RUN:
            fields[-1].items.extend(_run(data))
    return fields


def _value(kind: str, data: bytes, at: int) -> tuple[str | None, int]:
    """Return the text of the value of ``kind`` (an xlsx item's letter) at ``at`` of a record, as
    the xlsx reader renders the same item, and where it ends."""
    if kind == "s":
        text, end = wide_string(data, at)
        return text or None, end
    if kind == "n":
        return render(_XNUM.unpack_from(data, at)[0]) or None, at + 8
    if kind == "d":
        iso = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*_DATETIME.unpack_from(data, at))
        return item_text("d", iso, None), at + 8
    if kind in "be":
        return ("TRUE" if data[at] else "FALSE") if kind == "b" else None, at + 1
    return None, at  # missing, or an empty cell


def _run(data: bytes) -> list[str | None]:
    """Return the items of a BrtBeginPCDIRun: a count of items of one kind, one after another."""
    operation, count = struct.unpack_from("<HI", data)
    kind = _RUN_KINDS.get(operation)
    if kind is None or count * _RUN_SIZES[kind] > len(data) - 6:
        raise SheetError("unreadable: a run of pivot cache items holds more than its record (corrupt .xlsb)")
    items, at = [], 6
    for _ in range(count):
        value, at = _value(kind, data, at)
        items.append(value)
    return items


def _records(archive: zipfile.ZipFile, member: str, fields: list[_Field], book: Charged) -> Iterator[Row]:
    """Yield the rows of a pivot cache records part, each record's values under its fields."""
    columns = [n for n, field in enumerate(fields) if field.source]
    sources = [fields[n] for n in columns]
    number, gathered = 1, None  # gathered: the values of a BrtPCRRecordDt so far
    for kind, data in _ended(part_records(archive, member), END_PIVOT_CACHE_RECORDS):
        values = None
        if kind == PCR_RECORD:
            values, gathered = _direct(data, sources, book), None
        elif kind == PCR_RECORD_DT:
            gathered = []
        elif gathered is not None and (kind in _ITEMS or kind == PCDI_INDEX):
            field = fields[columns[len(gathered)]]
            gathered.append(shared_item(field.items, _LONG.unpack_from(data)[0], book) if kind == PCDI_INDEX
                            else _value(_ITEMS[kind], data, 0)[0])
            if len(gathered) == len(columns):
                values, gathered = gathered, None
        if values is not None:
            number += 1
        # A row as wide as the fields only for a record holding a value: millions of empty records
        # (two bytes each) in a cache of thousands of fields that are no source's took minutes.
        if values is not None and any(values):
            row = [None] * len(fields)
            for column, value in zip(columns, values):
                row[column] = value
            yield number, 0, row


def _direct(data: bytes, fields: list[_Field], book: Charged) -> list[str | None]:
    """Return the values of a BrtPCRRecord: for each source field, the index of one of its items
    when it has items, else its value as its BrtBeginPCDFAtbl flags say it is stored."""
    values, at = [], 0
    for field in fields:
        if field.items:
            values.append(shared_item(field.items, _LONG.unpack_from(data, at)[0], book))
            at += 4
        else:
            value, at = _value(field.inline, data, at)
            values.append(value)
    if at != len(data):
        raise SheetError(_MISMATCH)
    return values


def _link_tables(archive: zipfile.ZipFile, member: str) -> tuple[list[str], list[int]]:
    """Return the other workbook's sheet names (BrtSupTabs) and which of them an external link
    part caches (BrtExternTableStart)."""
    names: list[str] = []
    tabs: list[int] = []
    try:
        for kind, data in _ended(part_records(archive, member), END_SUP_BOOK):
            if kind == SUP_TABS:
                count, at = _LONG.unpack_from(data)[0], 4
                if count * 4 > len(data) - 4:
                    raise SheetError("unreadable: an external link names more sheets than its record holds "
                                     "(corrupt .xlsb)")
                for _ in range(count):
                    name, at = wide_string(data, at)
                    names.append(name)
            elif kind == EXTERN_TABLE_START:
                tabs.append(_LONG.unpack_from(data)[0])
    except (struct.error, IndexError):
        raise SheetError(TOO_SHORT) from None
    return names, tabs


class _LinkTables:
    """The sheets an external link part caches (BrtExternTableStart to BrtExternTableEnd), read in
    one pass: each table's rows as it is asked for, in the part's order, what is left of the
    tables before it skipped. Read again for each table, a 2 KB .xlsb of 2,000 empty tables took 39 s."""

    def __init__(self, archive: zipfile.ZipFile, member: str, book: Charged):
        self.records = part_records(archive, member)
        self.book = book  # counts a cell past column XFD, left out (``placed_column``)
        self.started = 0  # tables whose BrtExternTableStart has been read

    def rows(self, index: int) -> Iterator[Row]:
        """Yield the rows of the part's table ``index`` (from 0), its cells where they are."""
        while self.started <= index:
            kind, _ = next(self.records, (None, b""))
            if kind is None:
                return
            self.started += kind == EXTERN_TABLE_START
        yield from self._table()

    def _table(self) -> Iterator[Row]:
        """Yield the rows of the table just started, up to its end (or the next table's start)."""
        number, first, values = 0, 0, []
        for kind, data in self.records:
            if kind in (EXTERN_ROW_HDR, EXTERN_TABLE_END, EXTERN_TABLE_START) and values:
                yield number, first, values
                values = []
            if kind in (EXTERN_TABLE_END, EXTERN_TABLE_START):
                self.started += kind == EXTERN_TABLE_START
                return
            if kind == EXTERN_ROW_HDR:
                number = _LONG.unpack_from(data)[0] + 1
                if number > EXCEL_MAX_ROWS:
                    raise SheetError(f"unreadable: a row past Excel's last row ({EXCEL_MAX_ROWS:,}), row {number:,}")
            elif kind in _EXTERN_CELLS:
                column, value = _LONG.unpack_from(data)[0], _value(_EXTERN_CELLS[kind], data, 4)[0]
                # A value past XFD is left out and counted, as in a worksheet; the table goes on.
                if value and placed_column(column, self.book) is None:
                    continue
                if value and not values:
                    first, values = column, [value]
                elif value:
                    first = place(values, first, column, value)
        if values:
            yield number, first, values
