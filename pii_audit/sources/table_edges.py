"""Table cells placed under their header by where they end, for formats that give each row's cell
edges instead of a grid: RTF's ``\\cellxN`` (``rtf``), a Word 97 row's ``rgdxaCenter`` (``word97``).

Counted one by one, cells took the wrong header wherever a header was merged: 联系方式 merged over
two cells (one wider cell, or ``\\clmgf`` then ``\\clmrg``) named the first cell below it, and the
cells right of it took the next header (a mobile number under 住址) or none (an address under no
header, not reported). A cell's right edge says which header cell it is under.

A header of two rows (序号 merged down over both, 客户信息 across 姓名 and 证件号码 below it) is told
by a cell of the first merged down (RTF's ``\\clvmgf``): the second row's cells are placed by
their count, each under the heading its edge ends in, and they place the rows below.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left

from pii_audit.sources.ooxml import MAX_HEADERS, Table

# Twips (1/1,440 inch) a cell may end past the edge of the header cell it is under: rows drawn by
# hand end a hair apart, and half a millimetre is no column of its own.
EDGE_SLACK = 30


class RowEdges:
    """The right edges of the cells of the row being defined, and those of the header row."""

    def __init__(self):
        self.edges: list[int] = []  # each cell's right edge, in the row's order
        self.merged: list[bool] = []  # whether each continues the cell before it (RTF's \clmrg)
        self.header: list[int] | None = None  # the header row's edges, merged cells folded in
        self.above: list[int] = []  # the first header row's, while the second of two is read
        self.merge_next = False  # the next edge is a merged cell's
        self.down = False  # a cell of the row is merged with the one below it (RTF's \clvmgf)

    def new_row(self) -> None:
        """Begin a row's definition (RTF's ``\\trowd``)."""
        self.edges, self.merged, self.merge_next, self.down = [], [], False, False

    def add_edge(self, edge: int) -> None:
        """Add the next cell's right edge (``\\cellxN``), up to ``MAX_HEADERS`` cells a row."""
        if len(self.edges) < MAX_HEADERS:
            self.edges.append(edge)
            self.merged.append(self.merge_next)
        self.merge_next = False

    def keep_header(self) -> None:
        """Keep the current row's edges as the header row's (none when it has none: its cells are
        then counted, as the rows' below)."""
        self.header = self._folded() or None

    def insert_edge(self, edge: int) -> int:
        """Add a cell's right edge in its place among the row's, by where it ends (a .ppt row
        holds none for a cell merged down into it, whose edge comes first: ``ppt_tables``);
        return its index. Past ``MAX_HEADERS`` cells, the last index."""
        if len(self.edges) >= MAX_HEADERS:
            return len(self.edges) - 1
        at = bisect_left(self.edges, edge)
        self.edges.insert(at, edge)
        self.merged.insert(at, False)
        return at

    def end_row(self, table: Table) -> None:
        """End ``table``'s row, whose cells these edges define: after its header row (or each of
        its two), keep the edges that place the cells below."""
        header = table.row == table.header_row
        if header and self.down:
            table.merge_down()
        second = header and bool(self.above)
        table.end_row([bisect_left(self.above, edge - EDGE_SLACK) for edge in self._folded()] if second else None)
        if header and table.above:  # the first of two header rows: the second is placed by its count
            self.above, self.header = self._folded(), None
        elif header and table.headers:
            self.keep_header()
            self.above = []

    def _folded(self) -> list[int]:
        """Return the row's edges, each merged cell's folded into the one it continues."""
        folded: list[int] = []
        for edge, merged in zip(self.edges, self.merged):
            if merged and folded:
                folded[-1] = edge
            else:
                folded.append(edge)
        return folded

    def column(self, index: int) -> int:
        """Return the grid column of the current row's cell ``index``: below the header row, the
        header cell its right edge falls in; in the header row (or a row whose edges are not
        known), its place among the row's cells, a merged cell in the column of the one it continues.

        >>> edges = RowEdges()
        >>> for edge in (1500, 3000, 4500, 7000): edges.add_edge(edge)
        >>> edges.merged[2] = True  # 1500 | 3000 \\clmgf | 4500 \\clmrg | 7000
        >>> [edges.column(i) for i in range(4)]
        [0, 1, 1, 2]
        >>> edges.keep_header(); edges.header
        [1500, 4500, 7000]
        >>> edges.new_row()
        >>> for edge in (1500, 3000, 4500, 7000): edges.add_edge(edge)
        >>> [edges.column(i) for i in range(4)]
        [0, 1, 1, 2]
        """
        if self.header is None or index >= len(self.edges):
            return index - sum(self.merged[1:index + 1])
        return bisect_left(self.header, self.edges[index] - EDGE_SLACK)


# Cells whose edges a document's row definitions keep (``RowDefinitions``); past it, a hostile
# file's, rows are placed by their cells' count, as before. 5 bytes a cell.
MAX_KEPT_CELLS = 1_000_000


class RowDefinitions:
    """Each table row's cell edges, by where its definition lies in a file: a Word 97 document gives
    a row's definition with its end mark, after its cells (``word97``), so a cell's reader looks
    ahead for it (``after``)."""

    def __init__(self):
        self.starts = array("Q")  # where each definition lies, in order
        self.offsets = array("Q", [0])  # where each one's edges begin in ``edges``
        self.edges = array("i")
        self.merged = bytearray()
        self.down = bytearray()  # each row's: whether a cell of it is merged down

    def add(self, start: int, edges: list[int], merged: list[bool], down: bool = False) -> None:
        """Keep the definition at ``start`` (after those kept) of a row whose cells end at ``edges``."""
        if len(self.edges) + len(edges) > MAX_KEPT_CELLS or (self.starts and start <= self.starts[-1]):
            return
        self.starts.append(start)
        self.edges.extend(edges)
        self.merged.extend(map(bool, merged))
        self.down.append(down)
        self.offsets.append(len(self.edges))

    def after(self, position: int, row: RowEdges) -> None:
        """Define ``row`` by the first definition at or after ``position`` (none kept: no edges)."""
        row.new_row()
        k = bisect_left(self.starts, position)
        if k < len(self.starts):
            begin, end = self.offsets[k], self.offsets[k + 1]
            row.edges, row.merged = list(self.edges[begin:end]), [bool(m) for m in self.merged[begin:end]]
            row.down = bool(self.down[k])
