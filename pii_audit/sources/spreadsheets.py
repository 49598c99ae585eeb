"""Spreadsheet source: every non-empty cell of every sheet of an xlsx/xlsm, xlsb, xls, WPS et,
OpenDocument ods/ots/fods, csv or tsv file, in blocks of rows (``Cells``).

* Location ``{"path", "sheet", "cell"}``; ``cell`` in A1 notation. A csv/tsv file's one sheet is
  named after the file's stem (Excel names it so when it opens the file), its first record is row 1.
* The header row is the first of a sheet's first ``HEADER_ROWS`` non-empty rows that names the
  most fields (姓名, 联系电话, 证件号码), so that a report's title or an export's notes above it
  (导出时间：…) do not take its place; the first non-empty row when none names a field. Rows
  above it are read as values. Its text is the context of every cell below, and names the
  container ``path!sheet!header``; the column letter stands in when the header
  is empty or looks like data (a headerless export must not put a value into a container name):
  a number, an e-mail, or a name or address like the values below it.
  Two columns with the same header are told apart by their letters: ``path!sheet!备注 (F)``.
* An xlsx, xlsb or ods sheet's comments (批注) are read after its cells, every one whatever ``sample_rows``,
  as the container ``path!sheet!批注``, located ``{"path", "sheet", "cell", "comment": true}``.
* After the sheets, the document properties of a workbook that is a zip (.xlsx, .xlsm, .xlsb,
  .ods, .ots, a WPS .et saved as .xlsx) are read as lines (``properties``), the container the
  file, located ``{"path", "part", "line", "property"}``; so are an .xls's (or an .et's in that
  format), its OLE2 property sets (``ole_properties``: part ``SummaryInformation``); a flat .fods's are not.
* With --ocr the pictures of an xlsx, xlsm or xlsb (``pictures``) and of an .xls (``ole_pictures``)
  are read last, each a container of its own.
* Values are rendered as a person reads them: ``13812345678`` (never ``1.3812345678E10``),
  ``12.5``, ``2024-01-05``, ``2024-01-05 10:30:00``, ``TRUE``.
* ``options.sample_rows`` = N reads the header and N rows per sheet; a sheet cut short is
  ``sampled`` in coverage. Reads stop at Excel's 1,048,576 rows and ``MAX_FILE_CELLS`` per file.
* A file or sheet that cannot be read becomes one line in ``coverage.problems``; the rest goes on.
  Messages name the exception type only: parser messages may quote cell contents.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from pii_audit.models import Cells, Chunk, Column
from pii_audit.sources import ODS_SUFFIXES, ScanOptions, TargetCoverage
from pii_audit.sources.damage import unreadable
from pii_audit.sources.ods_stream import ods_sheets
from pii_audit.sources.ole2 import CompoundFile
from pii_audit.sources.ole_pictures import xls_pictures
from pii_audit.sources.ole_properties import ole_property_chunks, stored_property_chunks
from pii_audit.sources.properties import property_chunks
from pii_audit.sources.sheet_rows import (EXCEL_MAX_ROWS, Row, Sheet, csv_sheets, opened, stored_xls_sheets,
                                          wps_sheets, xls_sheets, xlsx_sheets)
from pii_audit.sources.xlsb_stream import xlsb_sheets
from pii_audit.sources.xlsx_guard import OLE2_MAGIC, ZIP_MAGIC, WorkbookRefused, opened_zip, package_damage
from pii_audit.sources.xlsx_book import SheetError, column_letter
from pii_audit.detector import holds_pi, names_a_field, unscored_entities
from recognizers.base import to_halfwidth

MAX_FILE_CELLS = 50_000_000  # cells visited per file, empty ones included: a cap on per-file work
COMMENTS = "批注"  # the container of a sheet's comments, and their context
MAX_HEADER_CHARS = 100
BLOCK_ROWS = 1000  # rows handed to the detector together, as one block of Cells
# ... or fewer, when they hold this many values: a block of 1,000 rows of 16,384 filled columns
# held 16 million cells (about 600 MB), and a small file can declare such rows.
BLOCK_CELLS = 100_000
# ... or fewer, when their values hold this many characters: a csv export of a service bus's 2,500
# messages of 144 KB made blocks of 1,000 of them, 467 MB of memory (measured). An xlsx cell holds
# 32,767 characters at most, a csv field 1 Mi (sheet_rows.FIELD_LIMIT).
BLOCK_CHARS = 2 << 20
HEADER_SAMPLE = 20  # values below a header cell compared with it (_header_is_data)
HEADER_ROWS = 10  # the first non-empty rows of a sheet its header is looked for in (_header_number)
HEADER_CELLS = 100  # of each, looked at; and the cells of those rows held to look (BLOCK_CELLS)
MAX_SAMPLE_CHARS = 1000  # of each of them: no name or address is longer
_DATA_LIKE = re.compile(r"\d{6}|@")
# The workbooks that may be zips holding document properties (a flat .fods holds its own, not read).
_PACKAGES = (".xlsx", ".xlsm", ".xlsb", ".ods", ".ots", ".et", ".ett")


def read_spreadsheet(target: str, options: ScanOptions, coverage: TargetCoverage,
                     data: bytes | None = None) -> Iterator[Cells]:
    """Yield the non-empty cells of the spreadsheet file ``target`` in blocks, header as context.

    ``data`` holds the file's bytes when it is no file of its own (a member of an archive, read
    whole by ``archives``); ``target`` names it then."""
    try:
        size = os.path.getsize(target) if data is None else len(data)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}")
        return
    source = target if data is None else data
    coverage.files += 1
    coverage.bytes += size
    if size == 0:
        coverage.problem(target, "empty file: nothing to read")
        return
    suffix = Path(target).suffix.lower()
    comments: dict[str, list[tuple[str, str]]] = {}  # of each xlsx, xlsb or ods sheet, by its name

    def warn(sheet: str, why: str) -> None:  # a sheet, or its comments, read short of what the file holds
        coverage.problem(f"{target}!{sheet}", why)

    if suffix in (".csv", ".tsv"):
        sheets = csv_sheets(source, target, lambda why: coverage.problem(target, why))
    elif suffix in (".xlsx", ".xlsm"):
        sheets = xlsx_sheets(source, comments, warn)
    elif suffix == ".xlsb":
        sheets = xlsb_sheets(source, comments, warn)
    elif suffix in ODS_SUFFIXES:
        sheets = ods_sheets(source, comments, flat=suffix == ".fods", warn=warn)
    elif suffix in (".et", ".ett"):
        sheets = wps_sheets(source, comments, warn)
    else:
        sheets = xls_sheets(source, warn)
    finished = yield from _sheets_cells(target, sheets, comments, options, coverage)
    if finished and suffix in _PACKAGES:
        _directory_damage(target, source, coverage)
    if finished and suffix not in (".csv", ".tsv"):
        yield from _properties(target, source, coverage, suffix in _PACKAGES)
    if finished and suffix in (".xlsx", ".xlsm", ".xlsb"):
        yield from _drawings(target, source, coverage)
    # Read through, not refused: a damaged sheet or comments part is a problem line of its own,
    # and the files embedded in the workbook are read still (any problem line turned them off).
    if finished and suffix in (".xlsx", ".xlsm", ".xlsb"):
        yield from _embedded(target, source, options, coverage)
    if finished and suffix in (".xls", ".et", ".ett"):
        yield from _legacy_pictures(target, source, options, coverage)


def read_stored_workbook(target: str, options: ScanOptions, coverage: TargetCoverage, compound: CompoundFile,
                         folder: str) -> Iterator[Cells | Chunk]:
    """Yield the non-empty cells, then the document properties, of the Excel 97-2003 workbook
    embedded as an object in the storage ``folder`` of the open compound file ``compound`` (a
    .doc's ``ObjectPool/_1234/``, a .msg's attachment; ``embedded``), named ``target``. Its streams
    are read from that file: opening it again for each object made 2,000 objects take minutes."""
    coverage.files += 1  # its bytes are its file's, counted there
    sheets = stored_xls_sheets(compound, folder, lambda sheet, why: coverage.problem(f"{target}!{sheet}", why))
    if (yield from _sheets_cells(target, sheets, {}, options, coverage)):
        yield from stored_property_chunks(compound, target, coverage, folder)
        yield from xls_pictures(compound, target, options, coverage, folder)


def _sheets_cells(target: str, sheets: Iterable[Sheet], comments: dict[str, list[tuple[str, str]]],
                  options: ScanOptions, coverage: TargetCoverage) -> Iterator[Cells]:
    """Yield the cells of each of a workbook's ``sheets``, each sheet's ``comments`` after them;
    return True when the workbook was read through, not refused (a damaged sheet aside)."""
    budget = _Budget(MAX_FILE_CELLS)
    finished: list[bool] = []
    try:
        for name, rows in _guarded(_finished(sheets, finished), target, coverage):
            yield from _read_sheet(target, name, rows, options, coverage, budget)
            if comments.get(name):
                yield _comment_cells(target, name, comments.pop(name), coverage)
        # An .ods sheet's comments in rows past its sample, met as the parse went on to the next sheet.
        for name in [name for name, found in comments.items() if found]:
            yield _comment_cells(target, name, comments.pop(name), coverage)
    except WorkbookRefused as error:  # found in a sheet as it was streamed: refuse the workbook
        coverage.problem(target, str(error))
        return False
    return bool(finished)


def _finished(sheets: Iterable[Sheet], finished: list[bool]) -> Iterator[Sheet]:
    """Yield ``sheets``; append True to ``finished`` once they have all been yielded."""
    yield from sheets
    finished.append(True)


def _directory_damage(target: str, source: str | bytes, coverage: TargetCoverage) -> None:
    """Record a problem line where a workbook's zip directory lost or misnames entries
    (``xlsx_guard.package_damage``): a sheet lost is told by the sheets' reader, which finds it
    listed in the workbook part, but a file embedded in it or a picture would be missed silently."""
    try:
        with opened_zip(source if isinstance(source, str) else io.BytesIO(source)) as archive:
            damage = package_damage(archive)
    except (zipfile.BadZipFile, OSError):
        return  # no zip (a WPS .et in the .xls format), or one whose damage the sheets' reader told
    if damage:
        coverage.problem(target, damage)


def _properties(target: str, source: str | bytes, coverage: TargetCoverage, package: bool) -> Iterator[Chunk]:
    """Yield the document properties of a workbook: an .xls's or an .et's in the .xls format, from
    its OLE2 property sets (``ole_properties``); a zip's (``properties``; ``package``: an .xlsx, an
    .xlsb, an .ods, a WPS .et saved as .xlsx)."""
    with opened(source) as handle:
        head = handle.read(len(OLE2_MAGIC))
        if head == OLE2_MAGIC:
            yield from ole_property_chunks(handle, target, coverage)
            return
    if not package or not head.startswith(ZIP_MAGIC):
        return
    try:
        with zipfile.ZipFile(source if isinstance(source, str) else io.BytesIO(source)) as archive:
            yield from property_chunks(archive, target, coverage)
    except (zipfile.BadZipFile, OSError) as error:
        coverage.problem(target, f"the document properties could not be read ({type(error).__name__})", target)


def _drawings(target: str, source: str | bytes, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the text boxes' lines and the pictures' and shapes' alt text of an xlsx or xlsb (``xlsx_drawings``)."""
    from pii_audit.sources.xlsx_drawings import drawing_chunks

    try:
        with zipfile.ZipFile(source if isinstance(source, str) else io.BytesIO(source)) as archive:
            yield from drawing_chunks(archive, target, coverage)
    except (zipfile.BadZipFile, OSError) as error:
        coverage.problem(target, f"the drawings could not be read ({type(error).__name__})", target)


def _embedded(target: str, source: str | bytes, options: ScanOptions, coverage: TargetCoverage
              ) -> Iterator[Cells | Chunk]:
    """Yield what the workbooks and Word documents embedded in an xlsx or xlsb hold (``embedded``),
    then the text OCR reads in its pictures with --ocr (``pictures``)."""
    from pii_audit.sources.embedded import embedded_files
    from pii_audit.sources.pictures import package_pictures, sheet_pictures

    try:
        with zipfile.ZipFile(source if isinstance(source, str) else io.BytesIO(source)) as archive:
            yield from embedded_files(archive, "xl/embeddings/", target, options, coverage)
            yield from package_pictures(archive, "xl/media/", target, options, coverage, sheet_pictures(archive))
    except (zipfile.BadZipFile, OSError) as error:
        coverage.problem(target, f"an embedded file could not be read ({type(error).__name__})")


def _legacy_pictures(target: str, source: str | bytes, options: ScanOptions, coverage: TargetCoverage
                     ) -> Iterator[Chunk]:
    """Yield the text OCR reads with --ocr in the pictures of an .xls (or an .et in that format;
    ``ole_pictures``)."""
    with opened(source) as handle:
        if handle.read(len(OLE2_MAGIC)) != OLE2_MAGIC:
            return
        try:
            compound = CompoundFile(handle)
        except WorkbookRefused:  # its sheets' reader said so
            return
        yield from xls_pictures(compound, target, options, coverage)


def _guarded(items: Iterable, where: str, coverage: TargetCoverage, failed: list | None = None
             ) -> Iterator:
    """Yield from ``items``; turn a reading error into one problem line and stop."""
    try:
        yield from items
        return
    except WorkbookRefused as error:
        if failed is not None:
            failed.append(where)
            raise  # the whole workbook is refused (read_spreadsheet says so)
        coverage.problem(where, str(error))
    except SheetError as error:
        coverage.problem(where, str(error))
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    # Untrusted files make parsers raise many types (SECURITY.md item 7): record what the type
    # means and the type, never the message, which may quote cells.
    except BaseException as error:  # noqa: BLE001
        coverage.problem(where, unreadable(error, "spreadsheet"))
    if failed is not None:
        failed.append(where)


@dataclass
class _Budget:
    left: int


@dataclass
class _Column:
    letter: str
    container: str
    context: tuple[str, ...]
    cells: int = 0


@dataclass
class _Sheet:
    """The columns of one sheet, named by its header row, and what was read of them."""

    path: str
    name: str
    columns: dict[int, _Column] = field(default_factory=dict)
    rows: int = 0
    sampled: bool = False
    headers_checked: bool = False  # against the values below in its block (_check_headers)
    header_at: int | None = None  # the header's index in the block being filled, until checked

    def set_header(self, offset: int, values: Iterable[Any]) -> None:
        """Name each column after its header cell, or its letter when the header is unusable."""
        seen: set[str] = set()
        for index, value in enumerate(values, offset):
            header = header_text(value or "")
            if not header:
                continue  # named by its letter when a cell below needs it
            if header in seen:
                header = f"{header} ({column_letter(index)})"
            seen.add(header)
            self.columns[index] = self._column(index, header)

    def column(self, index: int) -> _Column:
        """Return the column at ``index``, adding it (named by its letter) on first use."""
        column = self.columns.get(index)
        if column is None:
            column = self.columns[index] = self._column(index, "")
        return column

    def _column(self, index: int, header: str) -> _Column:
        letter = column_letter(index)
        container = f"{self.path}!{self.name}!{header or letter}"
        return _Column(letter, container, (header,) if header else ())

    def record(self, coverage: TargetCoverage, complete: bool) -> None:
        """Add what was read of this sheet to ``coverage``."""
        coverage.rows += self.rows
        for column in self.columns.values():
            record = coverage.container(column.container, "cells", sampled=self.sampled)
            record.units += column.cells
            record.sampled = record.sampled or self.sampled
            record.complete = record.complete and complete
            coverage.cells += column.cells


def _read_sheet(path: str, name: str, rows: Iterator[Row], options: ScanOptions,
                coverage: TargetCoverage, budget: _Budget) -> Iterator[Cells]:
    """Yield the cells of one sheet; record its coverage even when the consumer stops early."""
    sheet, failed = _Sheet(path, name), []
    where = f"{path}!{name}"
    try:
        yield from _sheet_chunks(sheet, _guarded(rows, where, coverage, failed), options,
                                 coverage, budget)
    finally:
        sheet.record(coverage, complete=not failed)


def _sheet_chunks(sheet: _Sheet, rows: Iterator[Row], options: ScanOptions,
                  coverage: TargetCoverage, budget: _Budget) -> Iterator[Cells]:
    limit = options.sample_rows
    rows, header_number = _header_number(rows)
    header_row, data_rows, expected = 0, 0, 1  # expected: the row after the last one seen
    block: list[Row] = []
    block_rows = block_cells = block_chars = 0  # block_rows counts the empty rows in the block too
    for row in rows:
        number, offset, values = row
        if number > expected:  # empty rows a reader left out: read as if it had given them
            empty = _empty_rows(expected, number, data_rows if header_row else None, limit)
            sheet.rows += empty
            data_rows += empty if header_row else 0
            block_rows += empty if header_row else 0
            if expected + empty < number:  # the limit or the sample ended in them
                _stop_in_empty_rows(sheet, coverage, expected + empty)
                break
            if block_rows >= BLOCK_ROWS:
                if block:  # none where it had just gone (BLOCK_CELLS, BLOCK_CHARS) before these empty rows
                    yield from _nonempty(_cells(sheet, block))
                block, block_rows, block_cells, block_chars = [], block_rows % BLOCK_ROWS, 0, 0
        expected = max(expected, number + 1)
        if number > EXCEL_MAX_ROWS or budget.left < len(values):
            _stop_early(sheet, coverage, number > EXCEL_MAX_ROWS)
            break
        budget.left -= len(values)
        if header_row and limit is not None and data_rows >= limit:
            sheet.sampled = True
            break
        sheet.rows += 1
        if header_row:
            data_rows += 1
        elif number == header_number:
            header_row = number
            sheet.set_header(offset, values)
            sheet.header_at = len(block)
        elif not any(values):  # values are text or None
            continue  # an empty row before the header: no cell to scan
        block.append(row)
        block_rows, block_cells = block_rows + 1, block_cells + len(values)
        block_chars += sum(map(len, filter(None, values)))
        if block_rows >= BLOCK_ROWS or block_cells >= BLOCK_CELLS or block_chars >= BLOCK_CHARS:
            yield from _nonempty(_cells(sheet, block))
            block, block_rows, block_cells, block_chars = [], 0, 0, 0
    if block:
        yield from _nonempty(_cells(sheet, block))


def _header_number(rows: Iterator[Row]) -> tuple[Iterator[Row], int]:
    """Return a sheet's rows, as they were, and the number of its header row: of its first
    ``HEADER_ROWS`` non-empty rows, the first that names the most fields (``names_a_field``);
    the first of them when none names one, or 0 when the sheet holds none.

    A bank's export often opens with its title (2024年第三季度客户信息导出) and notes (导出时间：…)
    above the header: taken for the header, the title made the context of the first column and
    left the others with none, and no name, landline or 15-digit ID number below was found."""
    ahead: list[Row] = []
    best, most, held = 0, 0, 0
    for row in rows:
        ahead.append(row)
        number, _, values = row
        if not any(values):
            continue
        fields = sum(1 for value in values[:HEADER_CELLS] if value and names_a_field(header_text(value)))
        best = best or number
        if fields > most:
            best, most = number, fields
        held += len(values)
        if sum(1 for _, _, v in ahead if any(v)) >= HEADER_ROWS or held >= BLOCK_CELLS:
            break
    return itertools.chain(ahead, rows), best


def _empty_rows(expected: int, number: int, data_rows: int | None, limit: int | None) -> int:
    """Return how many of the empty rows from ``expected`` to before ``number`` are read, one
    by one as a reader's empty rows are: up to Excel's last row, and after the header
    (``data_rows`` read; None before it) up to the sample's ``limit``.

    Readers leave them out (``xlsx_stream``, ``ods_stream``): a row numbered 1,048,576 made a
    million of them, about 2 s a sheet, and a workbook of 20 such sheets (7 KB) took 44 s.

    >>> _empty_rows(2, 10, None, 1000), _empty_rows(2, 2_000_000, None, None), _empty_rows(5, 10, 998, 1000)
    (8, 1048575, 2)
    """
    empty = max(0, min(number, EXCEL_MAX_ROWS + 1) - expected)
    if data_rows is not None and limit is not None:
        empty = min(empty, max(limit - data_rows, 0))
    return empty


def _stop_in_empty_rows(sheet: _Sheet, coverage: TargetCoverage, number: int) -> None:
    """Stop a sheet at the empty row ``number``: past Excel's last row, or past the sample."""
    if number > EXCEL_MAX_ROWS:
        _stop_early(sheet, coverage, True)
    else:
        sheet.sampled = True


def _nonempty(cells: Cells | None) -> tuple[Cells, ...]:
    return (cells,) if cells is not None else ()


def _stop_early(sheet: _Sheet, coverage: TargetCoverage, row_limit: bool) -> None:
    why = (f"stopped at Excel's row limit ({EXCEL_MAX_ROWS:,} rows)" if row_limit
           else f"stopped: per-file cap of {MAX_FILE_CELLS:,} cells reached")
    coverage.problem(f"{sheet.path}!{sheet.name}", why)
    sheet.sampled = True


def _cells(sheet: _Sheet, block: list[Row]) -> Cells | None:
    """Return a block of rows as ``Cells``: a column per sheet column holding a non-empty cell.

    Every cell's text is in a column here, but its location is made only when it holds a finding.
    """
    found = []
    for index, values in _block_columns(block):
        empty = values.count(None)
        filled = len(values) - empty - values.count("")
        if filled:
            found.append((index, list(values) if not empty else [v or "" for v in values], filled))
    if not found:
        return None
    if not sheet.headers_checked and sheet.header_at is not None:  # the block holding the header
        _check_headers(sheet, [(index, texts[sheet.header_at:]) for index, texts, _ in found])
        sheet.headers_checked, sheet.header_at = True, None
    _add_columns(sheet, [(index, texts) for index, texts, _ in found])
    columns, letters = [], []
    for index, texts, filled in found:
        column = sheet.columns[index]
        column.cells += filled
        letters.append(column.letter)
        columns.append(Column(texts, column.container, column.context))
    return Cells(columns, SheetLocator(sheet.path, sheet.name, letters, [str(number) for number, _, _ in block]))


def _comment_cells(path: str, sheet: str, comments: list[tuple[str, str]], coverage: TargetCoverage) -> Cells:
    """Return a sheet's comments as ``Cells`` of one column, the container ``path!sheet!批注``: a
    comment is remediated by deleting it, whatever column its cell is in (once the last one is
    deleted, the ledger verifies the container gone from the workbook)."""
    container = f"{path}!{sheet}!{COMMENTS}"
    record = coverage.container(container, "cells")
    record.units += len(comments)
    coverage.cells += len(comments)
    texts = [text for _, text in comments]
    return Cells([Column(texts, container, (COMMENTS,))], CommentLocator(path, sheet, [ref for ref, _ in comments]))


@dataclass(frozen=True)
class CommentLocator:
    """``Cells.locate`` of a sheet's comments: the cell each is on, marked as a comment."""

    path: str
    sheet: str
    refs: list[str]

    def __call__(self, column: int, row: int) -> dict:
        return {"path": self.path, "sheet": self.sheet, "cell": self.refs[row], "comment": True}


@dataclass(frozen=True)
class SheetLocator:
    """``Cells.locate`` of a sheet's block: a class, not a closure, so that a block can be sent to
    another process to be scanned (``pii_audit.scan``)."""

    path: str
    sheet: str
    letters: list[str]  # of the block's columns
    numbers: list[str]  # of the block's rows

    def __call__(self, column: int, row: int) -> dict:
        return {"path": self.path, "sheet": self.sheet, "cell": self.letters[column] + self.numbers[row]}


def _block_columns(block: list[Row]) -> list[tuple[int, list]]:
    """Return ``(column index, the column's value in each row)`` for the columns of a block."""
    first = min(offset for _, offset, _ in block)
    width = max(offset - first + len(values) for _, offset, values in block)
    if width * len(block) <= 2 * sum(len(values) for _, _, values in block) + width:
        # Dense (the usual case): pad the rows to one width and read it column by column.
        grid = [values if offset == first and len(values) == width else
                [None] * (offset - first) + [*values] + [None] * (width - offset + first - len(values))
                for _, offset, values in block]
        return list(enumerate(zip(*grid), first))  # zip transposes in C
    # Sparse (ragged rows, one very wide row): visit only the cells there are, or padding the
    # block to its widest row could take far more memory than the rows themselves.
    columns: dict[int, list] = {}
    for number, (_, offset, values) in enumerate(block):
        for index, value in enumerate(values, offset):
            if value is not None and value != "":
                column = columns.get(index)
                if column is None:
                    column = columns[index] = [None] * len(block)
                column[number] = value
    return sorted(columns.items())


def _check_headers(sheet: _Sheet, found: list[tuple[int, list[str]]]) -> None:
    """Name by its letter, without context, each column whose header reads as a value below it.

    A headerless export's first row is data: a customer's name or address there became a
    container's name, written to the ledger and the reports, and masking could not catch it (the
    recognizers report a bare name or address only in context)."""
    for index, texts in found:
        column = sheet.columns.get(index)
        # The header as it names the column (whitespace collapsed, 100 characters at most), not
        # the raw cell: a header cell padded with a million spaces took a second to analyse.
        if column is not None and column.context and _header_is_data(header_text(texts[0]), texts[1:]):
            sheet.columns[index] = sheet._column(index, "")


def _header_is_data(header: str, values: list[str]) -> bool:
    """Tell whether a first-row cell is a value, not a column's name: no field's name (姓名, 余额),
    and a name or an address as at least half of the values below it are (the first
    ``HEADER_SAMPLE`` of them; the cell alone when there are none)."""
    found = unscored_entities(header)
    if not found or names_a_field(header):
        return False
    sample = [value[:MAX_SAMPLE_CHARS] for value in values if value][:HEADER_SAMPLE]
    return 2 * sum(1 for value in sample if unscored_entities(value) & found) >= len(sample)


def _add_columns(sheet: _Sheet, found: list[tuple[int, list]]) -> None:
    """Name the columns first seen in this block, in the order their first cells are read."""
    new = [(next(r for r, v in enumerate(values) if v), index)
           for index, values in found if index not in sheet.columns]
    for _, index in sorted(new):
        sheet.column(index)


def header_text(text: str) -> str:
    """Return a header cell's text as a column name, or "" when it looks like data, not a name.

    >>> header_text(" 身份证\\n号码 "), header_text("13812345678"), header_text("")
    ('身份证 号码', '', '')
    """
    text = " ".join(text.split())
    if len(text) > MAX_HEADER_CHARS or _DATA_LIKE.search(to_halfwidth(text)) or holds_pi(text):
        return ""
    return text
