"""Office Open XML packages that hold paragraphs (.docx, .pptx): what their readers share.

A Word document (``documents``) and a PowerPoint presentation (``presentations``) are zips of
XML parts in which text sits in paragraphs: ``w:p`` holding runs of ``w:t`` in WordprocessingML,
``a:p`` holding runs of ``a:t`` in DrawingML. Both readers open the zip after checking it
(``opened_package``: the zip signature, the main part, a bomb, an encrypted member), read a part's
paragraphs with expat as one line each, numbered from 1 in the part (``part_chunks``: the parser
refuses a DTD, memory holds a block of XML and one chunk of lines), turn a damaged part into one
problem line and read the others (``read_part``), and turn what stops a file
into one problem line naming the exception's type only, never the text (``read_office_file``),
since the text may be personal data. What differs is the vocabulary (``Markup``) and which parts are read. Both read the document
properties after their parts (``properties``, shared with the workbooks' readers).
"""

from __future__ import annotations

import lzma
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import BinaryIO, Callable, Iterable, Iterator
from xml.parsers import expat

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ContainerCoverage, TargetCoverage, opened_file
from pii_audit.sources.damage import damaged, unreadable
from pii_audit.sources.xlsx_book import BLOCK, decimal, expat_parser
from pii_audit.sources.xlsx_guard import (ZIP_MAGIC, WorkbookRefused, before_start, office_zip, package_damage,
                                          shown_name, zip_refusal)

CHUNK_CHARS = 1 << 20  # characters of paragraphs handed to the detector together
# A paragraph is held whole until it ends; no one writes one this long, a hostile file might.
MAX_PARAGRAPH_CHARS = 16 << 20
# The columns of a table whose headers are kept (Word allows 63, Excel 16,384), and the characters
# kept of each (``spreadsheets.header_text`` takes a header of 100 at most).
MAX_HEADERS = 16_384
MAX_HEADER_KEPT = 1_000
MAX_SPAN = 64  # grid columns a merged cell may cover (Word allows 63 columns)
MAX_TITLE_ROWS = 2  # title rows above a table's header row (客户名单, then 2024年第三季度)
# An alternative kept for older versions (a text box's VML copy) repeats the content it follows.
FALLBACK = "http://schemas.openxmlformats.org/markup-compatibility/2006 Fallback"


class DocumentRefused(Exception):
    """The file is not a document we will parse; the message is one line for a person."""


# What stops one part and not the others (zipfile raises NotImplementedError for a compression
# method it does not read, a damaged method field, and UnicodeDecodeError, a ValueError, for a local
# header's name marked UTF-8 that is not; expat raises LookupError for an encoding it does not know,
# ValueError for one it does not read, UTF-7).
PART_ERRORS = (expat.ExpatError, DocumentRefused, WorkbookRefused, zipfile.BadZipFile, zlib.error, lzma.LZMAError,
               EOFError, NotImplementedError, ValueError, LookupError)


@dataclass(frozen=True)
class Markup:
    """The elements of an XML vocabulary (as expat names them, ``namespace local``) that hold text."""

    paragraphs: frozenset[str]  # each one is a line
    texts: frozenset[str]  # whose character data is the text (an element may be both)
    signs: dict[str, str] = field(default_factory=dict)  # empty elements that stand for a character
    # A table, its rows and their cells: the first row's cells name the columns below (``Table``).
    table: frozenset[str] = frozenset()
    row: frozenset[str] = frozenset()
    cell: frozenset[str] = frozenset()
    # An element inside a cell that says how many grid columns it covers, in its attribute ``span_value``.
    span: frozenset[str] = frozenset()
    span_value: str = ""
    # An element inside a cell that merges it with the cell below when its attribute ``merge_value``
    # says "restart" (a .docx's ``vMerge``): a header of two rows (``Table.merge_down``).
    merge: frozenset[str] = frozenset()
    merge_value: str = ""
    # The same said by attributes of the cell element itself (a .pptx's a:tc): the grid columns it
    # covers, the rows it covers, and that it is covered by the cell before it (kept, empty).
    cell_span: str = ""
    cell_rows: str = ""
    cell_covered: str = ""
    # A picture's or shape's properties, whose ``ALT_TEXT`` attributes are a line each: a deck's
    # "客户张伟身份证正面" under a scanned card, which no paragraph holds.
    labels: frozenset[str] = frozenset()


ALT_TEXT = ("descr", "title")  # the attributes of a drawing's cNvPr (or a .docx's wp:docPr) holding alt text


def opened_package(handle: BinaryIO, main_part: str, kind: str, warn: Callable[[str], None]) -> zipfile.ZipFile:
    """Open an Office zip after checking what it is, from its first bytes and its zip directory:
    a ``kind`` (".docx document") must hold ``main_part``; a bomb, an encrypted member or a directory
    larger than an Office file's (``xlsx_guard.office_zip``) is refused. A directory that lost or
    misnames entries (``xlsx_guard.package_damage``) is told to ``warn``, one line, and the zip still read."""
    head = handle.read(len(ZIP_MAGIC))
    handle.seek(0)
    if not head.startswith(ZIP_MAGIC):
        raise DocumentRefused(f"not a {kind}: no zip signature (is the extension wrong?)")
    archive = office_zip(handle)
    try:
        infos = archive.infolist()
        if main_part not in {info.filename for info in infos}:
            raise DocumentRefused(f"not a {kind}: the zip holds no {main_part}")
        reason = zip_refusal(infos) or _shared_data(infos) or before_start(infos, kind)
        if reason:
            raise DocumentRefused(reason)
        if damage := package_damage(archive):
            warn(damage)
    except BaseException:
        archive.close()
        raise
    return archive


def _shared_data(infos: list[zipfile.ZipInfo]) -> str | None:
    """Return why a zip whose directory lists one member's data more than once is refused, or None.

    No zip writer makes one; a hostile file does, to have one member read thousands of times
    (a workbook embedded in a document: 1,000 entries of a 112 KB file read it 1,001 times, 3 s,
    each value counted 1,001 times). Python 3.12's zipfile refuses such overlapping entries too."""
    repeated = len(infos) - len({info.header_offset for info in infos})
    return f"refused: {repeated:,} zip entries repeat another's data (zip bomb?)" if repeated else None


def part_chunks(archive: zipfile.ZipFile, part: str, location: dict, markup: Markup) -> Iterator[Chunk]:
    """Yield the paragraphs of one part as chunks of whole lines (``line_chunks``), a table cell's
    with its column's header as context."""
    return context_chunks(_paragraphs(archive, part, markup), location)


def line_chunks(lines: Iterable[str], location: dict) -> Iterator[Chunk]:
    """Yield ``lines`` (paragraphs, none holding a newline) as chunks of whole lines, about
    ``CHUNK_CHARS`` each, numbered from 1, located ``location`` plus the line; the container is
    ``location["path"]``."""
    return context_chunks(((text, ()) for text in lines), location)


def context_chunks(lines: Iterable[tuple[str, tuple[str, ...]]], location: dict, chars: int = 0) -> Iterator[Chunk]:
    """``line_chunks`` for ``(line, context)`` pairs: a chunk ends where the context changes, as a
    table cell's column header is the context of its lines alone; chunks hold about ``chars``
    characters (``CHUNK_CHARS`` unless a reader keeps its own)."""
    line, pending, size, context = 1, [], 0, ()
    limit = chars or CHUNK_CHARS
    for text, its_context in lines:
        if pending and (size >= limit or its_context != context):
            yield Chunk("\n".join(pending), {**location, "line": line}, location["path"], context, multiline=True)
            line += len(pending)
            pending, size = [], 0
        pending.append(text)
        size += len(text) + 1
        context = its_context
    if pending:
        yield Chunk("\n".join(pending), {**location, "line": line}, location["path"], context, multiline=True)


def _paragraphs(archive: zipfile.ZipFile, part: str, markup: Markup) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Yield ``(text, context)`` of each paragraph of a part as it ends, parsing a block at a time."""
    # The part's name as a problem line may show it: a zip's member names may hold a line break.
    paragraphs = Paragraphs(markup, shown_name(part))
    parser = expat_parser(paragraphs.start, paragraphs.end, paragraphs.text, shown_name(part))
    with archive.open(part) as member:
        while True:
            block = member.read(BLOCK)
            parser.Parse(block, not block)
            yield from paragraphs.take()
            if not block:
                break


def read_part(archive: zipfile.ZipFile, part: str, location: dict, markup: Markup, coverage: TargetCoverage,
              container: ContainerCoverage) -> Iterator[Chunk]:
    """Yield one part's lines (``part_chunks``), counted in ``container``; record a damaged part as
    one problem line of the file ``location["path"]``, the other parts being read."""
    try:
        yield from counted(part_chunks(archive, part, location, markup), container)
    except PART_ERRORS as error:
        damaged_part(coverage, location["path"], shown_name(part), error, "the other parts are read")


def damaged_part(coverage: TargetCoverage, target: str, what: str, error: Exception, then: str) -> None:
    """Record the part ``what`` of the file ``target`` that could not be read, naming the exception
    by its type only (a refusal by its one-line reason), and what is read ``then``."""
    refused = isinstance(error, (DocumentRefused, WorkbookRefused))
    # A refusal of a part's relationships names them as the zip does (``xlsx_book.relationships``):
    # a name may hold a line break, which would make the problem two lines.
    reason = _one_line(str(error)) if refused else damaged(what, error)
    coverage.problem(target, f"{reason}; {then}", target)


def _one_line(text: str) -> str:
    """Return ``text`` with what does not print (a line break in a part's name) as "?".

    >>> _one_line("refused: ppt/slides/_rels/a\\nb.xml.rels declares a DTD")
    'refused: ppt/slides/_rels/a?b.xml.rels declares a DTD'
    """
    return "".join(c if c.isprintable() else "?" for c in text)


def counted(chunks: Iterable[Chunk | Cells], container: ContainerCoverage) -> Iterator[Chunk | Cells]:
    """Yield ``chunks``, counting their lines in ``container``."""
    for chunk in chunks:
        container.units += chunk.text.count("\n") + 1
        yield chunk


def read_office_file(target: str, data: bytes | None, coverage: TargetCoverage, noun: str, kind: str,
                     items: Callable[[BinaryIO, ContainerCoverage], Iterator[Chunk | Cells]]
                     ) -> Iterator[Chunk | Cells]:
    """Count the file ``target`` (or its ``data``, a member of an archive) and yield what
    ``items(handle, container)`` reads of it; record an empty file as a notice, and what stops the
    reading as one problem line of the file (a ``noun``, "document", of a ``kind``, "Word
    document") that names an exception by its type only."""
    coverage.files += 1
    container = coverage.container(target, "lines")
    try:
        handle, size = opened_file(target, data, coverage, container)
        with handle:
            if size == 0:
                coverage.notice(target, "empty file: nothing to read")
                return
            yield from items(handle, container)
    except (DocumentRefused, WorkbookRefused) as error:
        coverage.problem(target, str(error), target)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}", target)
    except Exception as error:  # noqa: BLE001 -- expat and zlib on hostile bytes: what the type means, and it
        coverage.problem(target, unreadable(error, kind), target)


def natural_order(name: str) -> list:
    """Sort parts as people number them (slides, pictures): slide2 before slide10.

    >>> sorted(["ppt/slides/slide10.xml", "ppt/slides/slide2.xml", "ppt/slides/slide02.xml"], key=natural_order)
    ['ppt/slides/slide2.xml', 'ppt/slides/slide02.xml', 'ppt/slides/slide10.xml']

    A number is compared by its length, then its digits, not by int(), which refuses one of over
    4,300 digits (a member so named made the presentation unreadable). The pieces split off are
    text and digits in turn, so every key holds the same kinds at the same places.
    """
    return [(len(piece.lstrip("0")), piece.lstrip("0")) if number % 2 else piece
            for number, piece in enumerate(re.split(r"(\d+)", name))]


class Table:
    """Where the parser is in one table, and the headers its header row gave its columns.

    A customer table in a report (姓名 | 身份证号 | 住址) names its columns in its first row, as a
    sheet does: the header of a cell's column is the context of its paragraphs, so a bare name or
    address under 姓名 or 住址 is reported as it is in a workbook. A header that reads as data
    (``spreadsheets.header_text``: a headerless table) names nothing. A first row whose one cell
    holds text across the table is its title (客户名单, merged across the columns): the next row
    names the columns. A cell merged across columns (``span``, a .docx's ``gridSpan``) covers
    them all, and a header merged so names each.

    A header of two rows (序号 and 备注 each merged down over both, 客户信息 across 姓名 and 证件号码
    under it) is told by a header cell merged down into the row below (``merge_down``, a .docx's
    ``vMerge restart``): that row names the columns too, each with the heading above it, so a
    name under 客户信息 / 姓名 is reported; read as data, the row left every column named by its
    heading alone."""

    def __init__(self):
        self.row = -1  # the row being read, from 0
        self.column = -1  # the grid column of the cell being read, from 0
        self.span = 1  # the grid columns that cell covers
        self.header_row = 0  # the row that names the columns: the first, or the one after a title
        self.first_row: dict[int, str] = {}  # the header row's text by grid column, cut at MAX_HEADER_KEPT
        self.spans: dict[int, int] = {}  # the grid columns each header covers, where more than one
        self.headers: list[tuple[str, ...]] = []  # each grid column's context, once the header row has ended
        self.merged_down = False  # a cell of the header row is merged into the row below it
        self.above: list[tuple[str, ...]] = []  # the first of a two-row header's columns, while the second is read

    def start_row(self) -> None:
        """Begin a row."""
        self.row += 1
        self.column, self.span = -1, 1

    def start_cell(self) -> None:
        """Begin a cell of the current row, in the grid column after the last one's."""
        self.column = self.column + self.span if self.column >= 0 else 0
        self.span = 1

    def place_cell(self, column: int) -> None:
        """Put the current cell in the grid column ``column``, as a reader that places cells by
        their edges found it (``table_edges``)."""
        self.column, self.span = column, 1

    def span_columns(self, columns: int) -> None:
        """Say that the current cell covers ``columns`` grid columns."""
        self.span = min(max(columns, 1), MAX_SPAN)
        if self.row == self.header_row and self.span > 1:
            self.spans[self.column] = self.span

    def merge_down(self) -> None:
        """Say that the current cell is merged with the one below it (it begins a vertical merge)."""
        if self.row == self.header_row and not self.above:
            self.merged_down = True

    def end_row(self, above_columns: list[int] | None = None) -> None:
        """End a row: after the header row, each column's header is known. ``above_columns``, from
        a reader placing cells by their edges, gives the column of a two-row header's first row
        that each column of its second is under (by default the same column)."""
        if self.row != self.header_row:
            return
        titled = [column for column, text in self.first_row.items() if text.strip()]
        width = max((column + self.spans.get(column, 1) for column in self.first_row), default=0)
        if len(titled) == 1 and width > 1 and self.header_row < MAX_TITLE_ROWS and not self.above:
            self.header_row += 1  # a title across the table
            self.first_row, self.spans, self.merged_down = {}, {}, False
            return
        from pii_audit.sources.spreadsheets import header_text  # which imports the detector

        self.headers = [()] * width
        for column, text in self.first_row.items():
            header = header_text(text)
            for covered in range(column, column + self.spans.get(column, 1)):
                self.headers[covered] = (header,) if header else ()
        self.first_row, self.spans = {}, {}
        if self.merged_down:  # the row below names the columns too
            self.above, self.merged_down = self.headers, False
            self.header_row += 1
        elif self.above:
            if above_columns is not None:
                self.above = [self.above[k] if k < len(self.above) else () for k in above_columns]
            self.headers = [above + tuple(h for h in below if h not in above) for above, below
                            in zip_longest(self.above, self.headers, fillvalue=())]
            self.above = []

    def context(self, text: str) -> tuple[str, ...]:
        """Return the context of a paragraph ended in the current cell; keep a header row's as a header."""
        if self.row <= self.header_row:
            # Only cells that end a paragraph count: RTF and .doc readers begin one more after a
            # row's last cell, before they learn that the row has ended.
            if self.row == self.header_row and 0 <= self.column < MAX_HEADERS:
                self.first_row[self.column] = f"{self.first_row.get(self.column, '')} {text}"[:MAX_HEADER_KEPT]
            return ()
        return self.headers[self.column] if 0 <= self.column < len(self.headers) else ()


class Paragraphs:
    """Expat handlers that collect the text of each paragraph of ``markup`` as it ends (``take``),
    with the header of its table column as its context."""

    def __init__(self, markup: Markup, part: str):
        self.markup, self.part = markup, part
        self.open: list[list[str]] = []  # the paragraphs begun and not ended: a text box nests one
        self.chars = 0  # held in the paragraphs begun
        self.done: list[tuple[str, tuple[str, ...]]] = []
        self.in_text = False
        self.skipping = 0  # depth inside an mc:Fallback element
        self.tables: list[Table] = []  # the tables begun and not ended: a cell may hold a table

    def start(self, name: str, attrs: dict) -> None:
        """Open a paragraph or a text; add the character a sign stands for."""
        if self.skipping or name == FALLBACK:
            self.skipping += 1
            return
        if name in self.markup.paragraphs:
            self.open.append([])
        elif name in self.markup.table:
            self.tables.append(Table())
        elif self.tables and name in self.markup.row:
            self.tables[-1].start_row()
        elif self.tables and name in self.markup.cell:
            self._start_cell(attrs)
        elif self.tables and name in self.markup.span:
            # A span is cut at MAX_SPAN anyway: one of 5,000 digits (which int() refuses) is cut so.
            span = decimal(attrs.get(self.markup.span_value), MAX_SPAN)
            if span is not None:
                self.tables[-1].span_columns(span)
        elif self.tables and name in self.markup.merge and attrs.get(self.markup.merge_value) == "restart":
            self.tables[-1].merge_down()
        elif name in self.markup.labels:
            self._alt_text(attrs)
        if name in self.markup.texts:
            self.in_text = True
        elif name in self.markup.signs and self.open:
            self._add(self.markup.signs[name])

    def end(self, name: str) -> None:
        """Close a text or a paragraph, keeping a paragraph's text as one line."""
        if self.skipping:
            self.skipping -= 1
            return
        if name in self.markup.texts:
            self.in_text = False
        if name in self.markup.paragraphs and self.open:
            # A newline in a run (&#10;) would split the line, and the numbering with it.
            text = "".join(self.open.pop()).replace("\n", " ").replace("\r", " ")
            self.chars -= len(text)
            self.done.append((text, self.tables[-1].context(text) if self.tables else ()))
        elif name in self.markup.table and self.tables:
            self.tables.pop()
        elif name in self.markup.row and self.tables:
            self.tables[-1].end_row()

    def text(self, data: str) -> None:
        """Add character data to the innermost open paragraph when it is inside a text element."""
        if self.in_text and not self.skipping and self.open:
            self._add(data)

    def _start_cell(self, attrs: dict) -> None:
        """Begin a table cell; place it by what its own attributes say (``Markup.cell_span``)."""
        table = self.tables[-1]
        if attrs.get(self.markup.cell_covered) in ("1", "true"):
            return  # its (empty) text goes to the cell covering it, whose columns it is in
        table.start_cell()
        span = decimal(attrs.get(self.markup.cell_span), MAX_SPAN)
        if span is not None:
            table.span_columns(span)
        rows = decimal(attrs.get(self.markup.cell_rows), 2)
        if rows is not None and rows > 1:
            table.merge_down()

    def _alt_text(self, attrs: dict) -> None:
        """Keep a picture's or shape's alt text (``ALT_TEXT``) as lines of their own, where the shape is."""
        for key in ALT_TEXT:
            text = attrs.get(key, "")
            if text.strip():
                if len(text) > MAX_PARAGRAPH_CHARS:
                    raise DocumentRefused(f"refused: alt text of over {MAX_PARAGRAPH_CHARS:,} characters in "
                                          f"{self.part} (no one writes one; a hostile file might)")
                self.done.append((text.replace("\n", " ").replace("\r", " "), ()))

    def _add(self, text: str) -> None:
        """Add text to the innermost open paragraph, up to ``MAX_PARAGRAPH_CHARS`` in those open."""
        self.open[-1].append(text)
        self.chars += len(text)
        if self.chars > MAX_PARAGRAPH_CHARS:
            raise DocumentRefused(f"refused: a paragraph of over {MAX_PARAGRAPH_CHARS:,} characters in "
                                  f"{self.part} (no one writes one; a hostile file might)")

    def take(self) -> list[tuple[str, tuple[str, ...]]]:
        """Return ``(text, context)`` of the paragraphs ended since the last call."""
        done, self.done = self.done, []
        return done


def element_names(namespaces: tuple[str, ...], local: str) -> frozenset[str]:
    """Return an element's names as expat gives them, in each of ``namespaces`` (transitional, strict)."""
    return frozenset(f"{namespace} {local}" for namespace in namespaces)
