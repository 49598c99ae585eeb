"""The rows of every sheet of an xlsx/xlsm or csv/tsv file, read-only and streamed where it counts.

A sheet is ``(name, rows)``; ``rows`` yields ``(row number, index of the first column, values)``
and is lazy, so a sheet that fails to load fails on its own and the next one is still read.
xlsx: python-calamine (about 10x openpyxl's read-only speed) when every worksheet's grid fits
``CALAMINE_MAX_CELLS`` (calamine holds a whole sheet in memory), else openpyxl's read-only
streaming, bounded per row. csv: the encoding is detected over the whole file first.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Any, Callable, Iterator

from pii_audit.sources.xlsx_guard import OLE2_MAGIC, ZIP_MAGIC, WorkbookRefused, inspect_workbook, sniff

Row = tuple[int, int, Any]  # (1-based row number, 0-based index of values[0], values)
Sheet = tuple[str, Iterator[Row]]

EXCEL_MAX_ROWS = 1_048_576
# A dense grid this large took about 180 MB peak in calamine (2M cells, measured): stay near it.
CALAMINE_MAX_CELLS = 3_000_000
DECODE_BLOCK = 1024**2
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def xlsx_sheets(path: str) -> Iterator[Sheet]:
    """Yield every worksheet of the workbook at ``path``; raise ``WorkbookRefused`` when unsafe."""
    import openpyxl

    if not openpyxl.DEFUSEDXML:
        raise WorkbookRefused("refused: defusedxml is not installed (openpyxl.DEFUSEDXML is false)")
    with open(path, "rb") as handle:
        reason = sniff(handle.read(8))
    if reason:
        raise WorkbookRefused(reason)
    inspection = inspect_workbook(path)
    if all(e.known and e.rows <= EXCEL_MAX_ROWS and e.cells <= CALAMINE_MAX_CELLS
           for e in inspection.sheets.values()):
        yield from _calamine_sheets(path)
    else:
        yield from _openpyxl_sheets(path)


def _calamine_sheets(path: str) -> Iterator[Sheet]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    book = CalamineWorkbook.from_path(path)
    try:
        for meta in book.sheets_metadata:
            if meta.typ == SheetTypeEnum.WorkSheet:
                yield meta.name, _calamine_rows(book, meta.name)
    finally:
        book.close()


def _calamine_rows(book, name: str) -> Iterator[Row]:
    sheet = book.get_sheet_by_name(name)
    start = sheet.start
    # iter_rows() starts at row 1 but at the first used column (measured, python-calamine 0.9).
    offset = start[1] if start else 0
    for number, values in enumerate(sheet.iter_rows(), 1):
        yield number, offset, values


def _openpyxl_sheets(path: str) -> Iterator[Sheet]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        for sheet in book.worksheets:
            yield sheet.title, _openpyxl_rows(sheet)
    finally:
        book.close()


def _openpyxl_rows(sheet) -> Iterator[Row]:
    # Without this, a lying <dimension ref="A1:XFD1048576"> pads every row to 16,384 cells.
    sheet.reset_dimensions()
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
        yield number, 0, values


def csv_sheets(path: str, warn: Callable[[str], None]) -> Iterator[Sheet]:
    """Yield the one sheet of a csv/tsv file, named after the file's stem, as Excel names it."""
    encoding, errors = detect_encoding(path)
    if errors == "replace":
        warn("bytes neither UTF-8 nor GB18030: decoded with replacement characters")
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    yield Path(path).stem, _csv_rows(path, encoding, errors, delimiter)


def _csv_rows(path: str, encoding: str, errors: str, delimiter: str) -> Iterator[Row]:
    with open(path, encoding=encoding, errors=errors, newline="") as handle:
        for number, values in enumerate(csv.reader(handle, delimiter=delimiter), 1):
            yield number, 0, values


def detect_encoding(path: str) -> tuple[str, str]:
    """Return ``(encoding, errors)`` for a text file: UTF-8 (BOM or not), GB18030, else replacement.

    The whole file is checked, so one late GB18030 byte is not read as UTF-8 garbage (SECURITY.md
    item 8); a BOM-marked UTF-16 file (Excel's "Unicode text") is taken as such. ``errors`` is
    ``"replace"`` only in the last resort. Raises ``WorkbookRefused`` for a file that is not text.
    """
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if head.startswith(UTF16_BOMS):
        return "utf-16", "strict"
    if head.startswith(ZIP_MAGIC):
        raise WorkbookRefused("a zip file (an xlsx renamed?), not csv text")
    if head.startswith(OLE2_MAGIC[:4]):
        raise WorkbookRefused("an OLE2/CFB file (a legacy .xls renamed?), not csv text")
    if b"\x00" in head:
        raise WorkbookRefused("binary data (NUL bytes), not csv text")
    for encoding in ("utf-8", "gb18030"):
        if _decodes(path, encoding):
            return ("utf-8-sig" if encoding == "utf-8" else encoding), "strict"
    return "utf-8", "replace"


def _decodes(path: str, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with open(path, "rb") as handle:
        try:
            while block := handle.read(DECODE_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True
