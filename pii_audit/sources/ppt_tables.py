"""A PowerPoint 97-2003 table's cells under their column's header, from where each cell lies.

A .ppt stores a table as a group of shapes, a cell each, the group's first shape marked by the
``tableProperties`` property (in its ``OfficeArtTertiaryFOPT``), each cell placed in the group
by its ``OfficeArtChildAnchor`` (left, top, right, bottom), row after row, and holding its text.
Cells sharing a top are a row; the first row names the columns, as a .pptx table's first row
does (``ooxml.Table``: a title across the table names nothing), and a cell is under the header
cell its right edge ends in (``table_edges``), so a header merged over two cells names both.

A cell merged down is one taller shape: a header cell lower than its row's others (序号 over both
rows of a two-row header) makes the row below a header too (``Table.merge_down``), and that row,
which holds no shape of its own under it, takes its edge in its place.
"""

from __future__ import annotations

import struct

from pii_audit.sources.ooxml import Table
from pii_audit.sources.table_edges import RowEdges

TABLE_PROPERTIES = 0x039F  # the property that marks a group of shapes as a table
_PROPERTY = struct.Struct("<HI")  # an OfficeArtFOPTE: its id (14 bits) and flags, then its value
_ANCHOR = struct.Struct("<4i")  # an OfficeArtChildAnchor: left, top, right, bottom


def is_table(properties: bytes, count: int) -> bool:
    """Return whether an ``OfficeArtTertiaryFOPT``'s ``count`` properties (its body) mark a table."""
    count = min(count, len(properties) // _PROPERTY.size)
    return any(_PROPERTY.unpack_from(properties, _PROPERTY.size * k)[0] & 0x3FFF == TABLE_PROPERTIES
               for k in range(count))


class PptTable:
    """The rows of one table as its cells' anchors come, and the header each cell's lines take."""

    def __init__(self):
        self.table, self.edges = Table(), RowEdges()
        self.top: int | None = None  # the top of the row being read
        self.cell = 0  # the cell being read, in its row
        self.bottoms: list[tuple[int, int]] = []  # (right, bottom) of the row's cells: one lower than the others is merged down
        self.covering: list[int] = []  # the right edges of the cells merged down into the next row

    def anchor(self, data: bytes) -> bool:
        """Place the cell whose ``OfficeArtChildAnchor`` is ``data``; return False for what is no
        cell (a table's borders are shapes of no height or width too)."""
        if len(data) < _ANCHOR.size:
            return False
        left, top, right, bottom = _ANCHOR.unpack_from(data)
        if bottom <= top or right <= left:
            return False
        if top != self.top:
            if self.top is not None:
                self._end_row()
            self.top = top
            self.table.start_row()
            self.edges.new_row()
            self.bottoms = []
            for edge in self.covering:  # cells of the row above that reach into this one
                self.edges.add_edge(edge)
            self.covering = []
        self.cell = self.edges.insert_edge(right)
        self.bottoms.append((right, bottom))
        return True

    def context(self, line: str) -> tuple[str, ...]:
        """Return the context of a line of the cell placed last: its column's header below the header row."""
        self.table.place_cell(self.edges.column(self.cell))
        return self.table.context(line)

    def _end_row(self) -> None:
        header = self.table.row == self.table.header_row
        bottoms = [bottom for _, bottom in self.bottoms]
        # Lower by half the row's height at least: cells drawn a hair apart are no merge.
        self.edges.down = header and bool(bottoms) and max(bottoms) - min(bottoms) > (min(bottoms) - self.top) // 2
        if self.edges.down:
            self.covering = [right for right, bottom in self.bottoms if bottom == max(bottoms)]
        self.edges.end_row(self.table)
