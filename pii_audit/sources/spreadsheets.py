"""Spreadsheet source: every non-empty cell of every sheet of an xlsx/xlsm, csv or tsv file as a Chunk.

* Location ``{"path", "sheet", "cell"}``; ``cell`` in A1 notation. A csv/tsv file's one sheet is
  named after the file's stem (Excel names it so when it opens the file), its first record is row 1.
* The header row is a sheet's first non-empty row. Its text is the context of every cell below,
  and names the container ``path!sheet!header``; the column letter stands in when the header
  is empty or looks like data (a headerless export must not put a value into a container name).
  Two columns with the same header are told apart by their letters: ``path!sheet!备注 (F)``.
* Values are rendered as a person reads them: ``13812345678`` (never ``1.3812345678E10``),
  ``12.5``, ``2024-01-05``, ``2024-01-05 10:30:00``, ``TRUE``.
* ``options.sample_rows`` = N reads the header and N rows per sheet; a sheet cut short is
  ``sampled`` in coverage. Reads stop at Excel's 1,048,576 rows and ``MAX_FILE_CELLS`` per file.
* A file or sheet that cannot be read becomes one line in ``coverage.problems``; the rest goes on.
  Messages name the exception type only: parser messages may quote cell contents.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator

from pii_audit.models import Chunk
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources.sheet_rows import EXCEL_MAX_ROWS, Row, csv_sheets, xlsx_sheets
from pii_audit.sources.xlsx_guard import WorkbookRefused
from pii_audit.detector import holds_pi
from recognizers.base import to_halfwidth

MAX_FILE_CELLS = 50_000_000  # cells visited per file, empty ones included: a cap on per-file work
MAX_HEADER_CHARS = 100
_DATA_LIKE = re.compile(r"\d{6}|@")
_LETTERS: list[str] = []


def read_spreadsheet(target: str, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield one chunk per non-empty cell of the spreadsheet file ``target``, header as context."""
    try:
        size = os.path.getsize(target)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}")
        return
    coverage.files += 1
    coverage.bytes += size
    if size == 0:
        coverage.problem(target, "empty file: nothing to read")
        return
    is_csv = Path(target).suffix.lower() in (".csv", ".tsv")
    budget = _Budget(MAX_FILE_CELLS)
    sheets = csv_sheets(target, lambda why: coverage.problem(target, why)) if is_csv else xlsx_sheets(target)
    for name, rows in _guarded(sheets, target, coverage):
        yield from _read_sheet(target, name, rows, options, coverage, budget)


def _guarded(items: Iterable, where: str, coverage: TargetCoverage, failed: list | None = None
             ) -> Iterator:
    """Yield from ``items``; turn a reading error into one problem line and stop."""
    iterator = iter(items)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except WorkbookRefused as error:
            coverage.problem(where, str(error))
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        # Untrusted files make parsers raise many types (SECURITY.md item 7; calamine's Rust
        # panics are BaseException): record the type, never the message, which may quote cells.
        except BaseException as error:  # noqa: BLE001
            coverage.problem(where, f"unreadable ({type(error).__name__}): corrupt or not a spreadsheet")
        else:
            yield item
            continue
        if failed is not None:
            failed.append(where)
        return


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

    def set_header(self, offset: int, values: Iterable[Any]) -> None:
        """Name each column after its header cell, or its letter when the header is unusable."""
        seen: set[str] = set()
        for index, value in enumerate(values, offset):
            header = header_text(render(value))
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
                coverage: TargetCoverage, budget: _Budget) -> Iterator[Chunk]:
    """Yield the chunks of one sheet; record its coverage even when the consumer stops early."""
    sheet, failed = _Sheet(path, name), []
    where = f"{path}!{name}"
    try:
        yield from _sheet_chunks(sheet, _guarded(rows, where, coverage, failed), options,
                                 coverage, budget)
    finally:
        sheet.record(coverage, complete=not failed)


def _sheet_chunks(sheet: _Sheet, rows: Iterator[Row], options: ScanOptions,
                  coverage: TargetCoverage, budget: _Budget) -> Iterator[Chunk]:
    limit = options.sample_rows
    header_row, data_rows = 0, 0
    for number, offset, values in rows:
        if number > EXCEL_MAX_ROWS or budget.left < len(values):
            _stop_early(sheet, coverage, number > EXCEL_MAX_ROWS)
            return
        budget.left -= len(values)
        if header_row and limit is not None and data_rows >= limit:
            sheet.sampled = True
            return
        sheet.rows += 1
        if header_row:
            data_rows += 1
        elif any(v is not None and v != "" for v in values):
            header_row = number
            sheet.set_header(offset, values)
        yield from _row_chunks(sheet, number, offset, values)


def _stop_early(sheet: _Sheet, coverage: TargetCoverage, row_limit: bool) -> None:
    why = (f"stopped at Excel's row limit ({EXCEL_MAX_ROWS:,} rows)" if row_limit
           else f"stopped: per-file cap of {MAX_FILE_CELLS:,} cells reached")
    coverage.problem(f"{sheet.path}!{sheet.name}", why)
    sheet.sampled = True


def _row_chunks(sheet: _Sheet, number: int, offset: int, values: Iterable[Any]) -> Iterator[Chunk]:
    """Yield a chunk per non-empty cell of one row (the hot loop: keep it lean)."""
    path, name, row = sheet.path, sheet.name, str(number)
    columns = sheet.columns
    for index, value in enumerate(values, offset):
        if value is None or value == "":
            continue
        text = value if type(value) is str else render(value)
        column = columns.get(index) or sheet.column(index)
        column.cells += 1
        yield Chunk(text, {"path": path, "sheet": name, "cell": column.letter + row},
                    column.container, column.context)


def header_text(text: str) -> str:
    """Return a header cell's text as a column name, or "" when it looks like data, not a name.

    >>> header_text(" 身份证\\n号码 "), header_text("13812345678"), header_text("")
    ('身份证 号码', '', '')
    """
    text = " ".join(text.split())
    if len(text) > MAX_HEADER_CHARS or _DATA_LIKE.search(to_halfwidth(text)) or holds_pi(text):
        return ""
    return text


def render(value: Any) -> str:
    """Return a cell value as a person reads it in Excel.

    >>> [render(v) for v in (13812345678.0, 12.5, 6.22202123456789e18, 1.5e-07, True, None)]
    ['13812345678', '12.5', '6222021234567890000', '0.00000015', 'TRUE', '']
    >>> render(datetime.datetime(2024, 1, 5)), render(datetime.datetime(2024, 1, 5, 10, 30))
    ('2024-01-05', '2024-01-05 10:30:00')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _render_float(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _render_float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    # Shortest round-trip digits, written out without an exponent, as Excel's "0" format does.
    return format(Decimal(text), "f") if "e" in text else text


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
