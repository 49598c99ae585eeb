"""Check an Excel 5.0/95 workbook (BIFF5) for what python-calamine would hold before it reads it.

python-calamine (Rust) reads such a workbook whole when it opens it, every sheet at once, each a
dense grid from its first cell to its last, and an allocation it cannot make aborts the process:
the whole scan, not the file, where Python would raise MemoryError. Measured (0.9.1):

* a grid costs 64 bytes a cell: two cells, A1 and IV65536, made 16.8 million of them, 1 GB; A1
  and a cell at row and column 65,536 (a 2.5 KB file) asked for 128 GiB and aborted the scan; a
  DIMENSIONS record claiming 65,536 x 65,536 (cells reserved for) asked for 160 GiB and aborted it.
* it reads Excel 97's shared strings (SST, LABELSST) whatever the version, though no Excel 5.0/95
  writer writes them, and copies the string into each cell reading it: 16,000 cells reading one
  65,000-character string (a 286 KB file) held 2,080 million characters, 6 GB, in 19 s. The other
  formats cut such repeats past an allowance (``xlsx_book.REPEATS_CUT``); python-calamine gives no
  way in before it has made them all.

So a BIFF5 workbook holding shared strings, or whose sheets' grids pass ``MAX_GRID_CELLS`` in all,
is refused in one line. What is left is bounded: every string is stored in the cell (LABEL) or
formula (STRING) that reads it, so the text is at most the stream's bytes (``XLS_MAX_BYTES``,
4 MiB), and the grids at most 2 million cells (128 MB).
"""

from __future__ import annotations

import struct

from pii_audit.sources import ole2
from pii_audit.sources.xls_stream import (BOF, BOOLERR, BOUNDSHEET, EOF, FORMULA, LABEL, LABELSST, MULRK,
                                          NUMBER_RECORD, RK, SST, STRING, records)
from pii_audit.sources.xlsx_book import SheetError
from pii_audit.sources.xlsx_guard import WorkbookRefused

# Grid cells of all sheets together: 64 bytes each (measured), 128 MB. A 4 MiB workbook of
# 6-byte number cells holds some 700,000.
MAX_GRID_CELLS = 2_000_000
DIMENSIONS = 0x0200
# The cells python-calamine reads: row and column first; a MULRK's last column last; a formula's
# text (STRING) at the last formula's place, or A1 when none came before it in the sheet.
_CELLS = frozenset([NUMBER_RECORD, LABEL, BOOLERR, RK, FORMULA, MULRK, STRING])
_PLACE = struct.Struct("<HH")
_SHORT = struct.Struct("<H")
_DIMENSIONS = struct.Struct("<HHHH")  # first row, row after the last, first column, column after the last


def check_biff5(compound: ole2.CompoundFile) -> None:
    """Raise ``WorkbookRefused`` for an Excel 5.0/95 workbook python-calamine must not read: one
    holding shared strings, sheets not where the workbook lists them, or grids over the cap."""
    _, stream = compound.open(("Workbook", "Book"))  # the one python-calamine reads
    try:
        sheets, listed = _grids(stream)
    except SheetError as error:
        raise WorkbookRefused(str(error)) from None
    cells = 0
    for offset in listed:
        if offset not in sheets:
            raise WorkbookRefused("unreadable: a sheet is not where the workbook says (corrupt .xls)")
        cells += sheets[offset]
    if len(set(listed)) < len(listed):  # python-calamine builds a sheet again for each name
        raise WorkbookRefused("unreadable: two sheets start at the same place (corrupt .xls)")
    if cells > MAX_GRID_CELLS:
        raise WorkbookRefused(f"refused: an Excel 5.0/95 workbook whose sheets span {cells:,} cells from their "
                              f"first to their last, over the {MAX_GRID_CELLS:,} read within the memory bound: "
                              "save it as .xlsx and scan that")


def _grids(stream: ole2.Stream) -> tuple[dict[int, int], list[int]]:
    """Return the grid cells of each substream by the offset of its BOF (from its first cell to
    its last, or what its DIMENSIONS claims when more), and the offsets the sheets are listed at."""
    boxes: dict[int, _Box] = {}
    listed: list[int] = []
    box, at, depth, formula = _Box(), 0, 0, (0, 0)
    for kind, data in records(stream, 0):
        here, at = at, at + 4 + len(data)
        if kind in _CELLS:  # most records: checked first
            if depth and len(data) >= 4:
                if kind == FORMULA:
                    formula = _PLACE.unpack_from(data)
                row, column = formula if kind == STRING else _PLACE.unpack_from(data)
                last = _SHORT.unpack_from(data, len(data) - 2)[0] if kind == MULRK and len(data) >= 6 else column
                box.add(row, min(column, last), max(column, last))
        elif kind in (SST, LABELSST):
            raise WorkbookRefused("refused: an Excel 5.0/95 workbook holding shared strings, which only Excel 97 "
                                  "and later write (damaged or crafted?)")
        elif kind == BOF:
            if depth == 0:
                box, formula = boxes.setdefault(here, _Box()), (0, 0)
            depth += 1
        elif kind == EOF:
            depth = max(depth - 1, 0)
        elif kind == BOUNDSHEET and len(data) >= 4:
            listed.append(struct.unpack_from("<I", data)[0])
        elif kind == DIMENSIONS and depth and len(data) >= 8:
            box.claimed = max(box.claimed, _claimed(data))
    return {offset: box.cells() for offset, box in boxes.items()}, listed


class _Box:
    """The rows and columns a substream's cells span, and the most cells its DIMENSIONS claim."""

    def __init__(self):
        self.rows: list[int] = []  # first, last
        self.columns: list[int] = []
        self.claimed = 0

    def add(self, row: int, first: int, last: int) -> None:
        """Grow the box to hold the cells of ``row`` from the column ``first`` to ``last``."""
        if not self.rows:
            self.rows, self.columns = [row, row], [first, last]
            return
        rows, columns = self.rows, self.columns
        if row < rows[0]:
            rows[0] = row
        elif row > rows[1]:
            rows[1] = row
        if first < columns[0]:
            columns[0] = first
        if last > columns[1]:
            columns[1] = last

    def cells(self) -> int:
        """Return the cells python-calamine makes of the substream: its grid, or its claim when more."""
        spanned = (self.rows[1] - self.rows[0] + 1) * (self.columns[1] - self.columns[0] + 1) if self.rows else 0
        return max(spanned, self.claimed)


def _claimed(data: bytes) -> int:
    """Return the cells a DIMENSIONS record makes python-calamine reserve: BIFF5's is 10 bytes,
    rows as 2 bytes each (BIFF8's 14, rows as 4); the ends are the row and column after the last,
    and an end before its start wraps round in its 32 bits, as in python-calamine."""
    if len(data) == 14:
        first_row, row_after, first_column, column_after = struct.unpack_from("<IIHH", data)
    else:
        first_row, row_after, first_column, column_after = _DIMENSIONS.unpack_from(data)
    if row_after < 1 or column_after < 1:
        return 1
    return ((row_after - first_row) % 2**32) * ((column_after - first_column) % 2**32)
