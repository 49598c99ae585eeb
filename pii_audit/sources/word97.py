"""Word 97-2003 documents (.doc, .dot) and WPS Writer's (.wps): their text, a paragraph a line.

Banks' file shares keep years of .doc files: credit reports, account-opening forms, letters. WPS
Writer saves the same format, under .wps, when asked for compatibility with Word. Until session 11
each of them was a problem line ("save it as .docx"), so a share of them never scanned complete.

A .doc is an OLE2 compound file ([MS-DOC]); one that is RTF, as some systems export, is read by
``rtf``. Its text lies in the WordDocument stream, in pieces.
The piece table (the ``Clx``, in the 0Table or 1Table stream that the header names) lists the
pieces in the order of the text, each as 8-bit text (cp1252) or UTF-16; Chinese text is always
UTF-16. The main text comes first, then footnotes, headers and footers, comments, endnotes and
text boxes, as Word stores them.

Each paragraph and each table cell is one line, numbered from 1 over the whole text in that
order, located ``{path, line, start, end}``; the container is the file, as for a .docx. Fields'
codes (``HYPERLINK "mailto:…"``) are read with their results, because both are in the file.
A table's first row names its columns, as in a .docx (``ooxml.Table``): a cell's lines have its
column's header as context. Which paragraph mark ends a cell, a row or no table at all only the
paragraphs' properties say (``_table_marks``); where they are damaged, the lines have no context.
A row's end mark's properties also define its cells (``sprmTDefTable``: their right edges, and
Word 97's merge flags), read ahead as the row begins, so a cell is placed under the header cell it
ends in (``table_edges``): a header merged over two cells names both.

No maintained Python package reads a .doc's text: olefile reads a stream whole, and antiword and
catdoc are C programs, unmaintained, that CJK text defeats. So this module does it by hand, from
the format's specification, through ``ole2``, which reads a stream's sectors as they are asked
for. Memory holds the piece table, the runs of paragraphs in tables (from at most
``MAX_PROPERTY_PAGES`` pages) and one block of text, whatever the file's size.

After the text, the document's properties (title, comments, custom properties: its OLE2 property
sets) are read as lines, located ``{path, part: "SummaryInformation", line, property}``
(``ole_properties``, called by ``documents`` and, for an embedded document, ``embedded_document``).

With --ocr its pictures are read after its objects (``ole_pictures``): those in line with the
text, from the Data stream, and the floating ones, from the BLIP store of its drawings (in the
table stream, their bytes in the WordDocument stream), each a container of its own
(``report.doc!Data#picture1``).

An Excel 97-2003 workbook pasted into the document as an object keeps every row of it in the
file (``ObjectPool/_1234/Workbook``): each is read as the .xls it is, located
``report.doc!ObjectPool/_1234!Sheet1``; a Word 97-2003 document embedded so is read as one, and
a file dragged into it as an icon (an OLE Package object) as the file it is (``embedded``),
located ``report.doc!ObjectPool/_1234!客户名单.csv``. Any other object (an equation, a drawing) is
a notice. Each object's streams are read from the document already open, a block at a time, its
directory walked once for all of them: every object is read, however many the document holds.

The file is untrusted (SECURITY.md item 7). Pieces must lie inside the WordDocument stream and
may not hold more in all than the stream does (a piece table naming the same bytes a million
times would otherwise read them a million times). Each of these is one problem line:
- an encrypted document;
- a Word 6.0/95 document;
- a damaged file;
- an OLE2 file that holds no Word document (an older WPS format).
"""

from __future__ import annotations

import bisect
import codecs
import re
import struct
import sys
from array import array
from typing import BinaryIO, Iterator, NamedTuple

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ScanOptions, TargetCoverage, ole2
from pii_audit.sources.documents import DocumentRefused
from pii_audit.sources.embedded import is_nested, nested_notice, other_objects_notice, storage_object
from pii_audit.sources.ole_pictures import word97_pictures
from pii_audit.sources.ole_properties import stored_property_chunks
from pii_audit.sources.ooxml import Table, context_chunks
from pii_audit.sources.table_edges import RowDefinitions, RowEdges
from pii_audit.sources.xlsx_guard import WorkbookRefused

WORD_IDENT = 0xA5EC  # FibBase.wIdent
WORD97_NFIB = 0x00C1  # FibBase.nFib of Word 97; Word 6.0 and 95 write less
ENCRYPTED, TABLE_1 = 0x0100, 0x0200  # FibBase flags: fEncrypted, fWhichTblStm
CLX_INDEX = 33  # the (fcClx, lcbClx) pair's index in FibRgFcLcb97
PAPX_INDEX = 13  # the (fcPlcfBtePapx, lcbPlcfBtePapx) pair's: where paragraphs' properties are
DGG_INDEX = 50  # the (fcDggInfo, lcbDggInfo) pair's: the drawings (OfficeArtContent), their BLIP store first
MAX_CLX_BYTES = 16 << 20  # a piece table of a million pieces; Word writes a few hundred bytes
BLOCK_BYTES = 1 << 20  # bytes of a piece read at a time (even: UTF-16 text is read in whole units)
CHUNK_CHARS = 1 << 20  # characters of paragraphs handed to the detector together
# A paragraph is held whole until it ends; no one writes one this long, a hostile file might.
MAX_PARAGRAPH_CHARS = 16 << 20
# Pages of paragraph properties read (512 bytes each); Word writes one per few dozen paragraphs.
# Beyond it, a hostile file's, the tables' headers are not read: their cells are lines without context.
MAX_PROPERTY_PAGES = 65_536
PAGE_BYTES = 512
# Paragraph properties (sprms) that place a paragraph in a table: in a cell, a row's end (its
# TTP), how deeply nested, a nested table's row end. Each sprm's top 3 bits say its operand's size.
IN_TABLE, ROW_END, DEPTH, INNER_ROW_END = 0x2416, 0x2417, 0x6649, 0x244C
TABLE_DEFINITION, TAB_CHANGES = 0xD608, 0xC615  # operands of a 2-byte size; of a special one
OPERAND_BYTES = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # 6: variable
# A paragraph's place in a table, as ``_TableMarks`` keeps it.
CELL, TTP, NESTED = 1, 2, 4
MAX_ROW_CELLS = 63  # cells of a table row in Word (itcMac)
TC_BYTES, MERGED = 20, 0x02  # a TC80's size; its flags' fMerged, a cell merged into the one before
# A TC80's flags' vertMerge (bits 5-6): 3 for the first of cells merged down, 1 for the ones below it.
MERGED_DOWN, MERGE_START = 0x60, 0x60
_Row = tuple[list[int], list[bool], bool]  # a row's cells' right edges, whether each is merged, and one merged down

# Word's marks in the text: paragraph, cell and page or section ends end a line (``_ENDS``); a
# manual line break, a field's begin, separator and end, and the anchors of pictures, notes and
# comments are a space; a non-breaking hyphen is a hyphen, an optional hyphen nothing (dropped
# from the line, since the characters before a mark are counted to find its place in the stream).
_MARKS = str.maketrans({**{chr(c): " " for c in range(32) if chr(c) not in "\t\n\r\x07\x0c\x1f"},
                        "\x1e": "-"})
_ENDS = re.compile("([\r\x07\x0c])")


def paragraph_chunks(handle: BinaryIO, target: str) -> Iterator[Chunk]:
    """Yield the text of the Word 97-2003 document in ``handle`` (an OLE2 file) as chunks of whole
    lines, about ``CHUNK_CHARS`` each, a table cell's with its column's header as context; raise
    ``DocumentRefused`` for what is not read."""
    try:
        compound = ole2.CompoundFile(handle)
    except WorkbookRefused as error:
        raise DocumentRefused(ole2.worded(error, "Word document")) from None
    yield from stored_paragraph_chunks(compound, target)


def stored_paragraph_chunks(compound: ole2.CompoundFile, target: str, folder: str = "") -> Iterator[Chunk]:
    """Yield the text of the Word 97-2003 document in the open compound file ``compound`` (in its
    storage ``folder`` for a document embedded in another), as ``paragraph_chunks`` does."""
    document = _stream(compound, ("WordDocument", "EncryptedPackage"), folder)
    table_name, clx = _header(document)
    table = _stream(compound, (table_name,), folder)
    pieces = _pieces(_clx(table, *clx), document.size)
    marks = _table_marks(document, table)
    yield from context_chunks(_lines(document, pieces, marks), {"path": target}, CHUNK_CHARS)


class PictureStreams(NamedTuple):
    """What holds the pictures of a Word 97-2003 document (``ole_pictures``)."""

    document: ole2.Stream  # the WordDocument stream, where the BLIP store's pictures may lie
    table: ole2.Stream
    table_name: str  # 0Table or 1Table
    drawings: tuple[int, int]  # (offset, size) of the drawings (OfficeArtContent) in the table stream; size 0: none
    data: ole2.Stream | None  # the Data stream, holding the pictures in line with the text; None: none


def picture_streams(compound: ole2.CompoundFile) -> PictureStreams:
    """Return what holds the pictures of the Word 97-2003 document in ``compound``; raise
    ``DocumentRefused`` as ``paragraph_chunks`` does."""
    document = _stream(compound, ("WordDocument", "EncryptedPackage"))
    table_name, _ = _header(document)
    table = _stream(compound, (table_name,))
    try:
        drawings = _fib_pair(document.read(0, 4096), DGG_INDEX, "drawings")
    except DocumentRefused:  # a header too short to name them: no floating picture
        drawings = (0, 0)
    found = compound.find("Data")
    return PictureStreams(document, table, table_name, drawings, None if found is None else compound.stream(*found))


def _lines(document: ole2.Stream, pieces: list[tuple[int, int, str]], marks: _TableMarks | None
           ) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Yield ``(line, context)`` of each paragraph and cell in the order of the text; a cell's
    context is its column's header, where ``marks`` say which paragraphs are in tables."""
    cells, held, chars = _Cells(marks), [], 0
    for text, mark, fc in _segments(document, pieces):
        held.append(text)
        chars += len(text)
        if chars > MAX_PARAGRAPH_CHARS:
            raise DocumentRefused(f"refused: a paragraph of over {MAX_PARAGRAPH_CHARS:,} characters "
                                  "(corrupt or hostile .doc)")
        if mark:
            line, held, chars = "".join(held).replace("\x1f", ""), [], 0
            context = cells.context(line, mark, fc)
            for part in line.split("\n"):  # a line feed in the text is a line's end too, as it always was
                yield part, context
    if held and (line := "".join(held).replace("\x1f", "")):
        for part in line.split("\n"):
            yield part, ()


def _segments(document: ole2.Stream, pieces: list[tuple[int, int, str]]) -> Iterator[tuple[str, str, int]]:
    """Yield ``(text, mark, fc)``: the text up to a paragraph's, cell's or page's end ``mark`` and
    where the mark lies in the WordDocument stream (``fc``); a block's last text has no mark ("")."""
    for start, length, encoding in pieces:
        wide, fc = encoding != "cp1252", start
        for text in _piece_texts(document, start, length, encoding):
            parts = _ENDS.split(text.translate(_MARKS))  # text, mark, text, mark, …, text
            for k in range(0, len(parts) - 1, 2):
                fc += _bytes(parts[k], wide)
                yield parts[k], parts[k + 1], fc
                fc += 2 if wide else 1
            fc += _bytes(parts[-1], wide)
            if parts[-1]:
                yield parts[-1], "", fc


def _bytes(text: str, wide: bool) -> int:
    """Return the bytes ``text`` took in its piece: UTF-16 holds a character beyond U+FFFF in four."""
    if not wide:
        return len(text)
    return 2 * len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass"))


class _Cells:
    """Follows the tables of a document's text from its paragraphs' marks, to give each cell's
    paragraphs their column's header (``ooxml.Table``), as ``ooxml.Paragraphs`` does from a .docx.

    A cell's last paragraph ends in a cell mark and a row in one more, which only the paragraph's
    properties (``_TableMarks``) tell from an empty cell's; a paragraph outside tables ends one. A
    nested table's paragraphs have no context and leave the outer table's cell as it is."""

    def __init__(self, marks: _TableMarks | None):
        self.marks = marks
        self.table: Table | None = None
        # The row's cell edges, read ahead from its end mark's definition (a header merged over
        # two cells names both: ``table_edges``), the cell being read, and whether they are read.
        self.edges = RowEdges()
        self.cell, self.defined = 0, False

    def context(self, line: str, mark: str, fc: int) -> tuple[str, ...]:
        """Return the context of ``line``, ended by ``mark`` at ``fc``, and follow the table past it."""
        place = self.marks.place(fc) if self.marks is not None else 0
        if place & NESTED:
            return ()
        if not place & (CELL | TTP):
            self.table = None
            return ()
        if self.table is None:
            self.table = Table()
            self.table.start_row()
            self.table.start_cell()
            self.edges.header, self.cell, self.defined = None, 0, False
        if not self.defined:  # the row's first paragraph: its definition lies at its end mark, ahead
            self.marks.rows.after(fc, self.edges)
            self.defined = True
        if place & TTP:  # the row's end, a line of its own (empty) as it always was
            self.edges.end_row(self.table)
            self.table.start_row()
            self.table.start_cell()
            self.cell, self.defined = 0, False
            return ()
        self.table.place_cell(self.edges.column(self.cell))
        context = self.table.context(line)
        if mark == "\x07":
            self.table.start_cell()
            self.cell += 1
        return context


def _stream(compound: ole2.CompoundFile, names: tuple[str, ...], folder: str = "") -> ole2.Stream:
    """Return the first of ``names`` that the compound file holds (in ``folder``), as a ``ole2.Stream``."""
    try:
        name, stream = compound.open(names, folder)
    except WorkbookRefused as error:
        if "holds no" in str(error) and names[0] == "WordDocument":
            raise DocumentRefused("not a Word 97-2003 document: the OLE2 file holds no WordDocument stream "
                                  "(an older WPS format?)") from None
        if "holds no" in str(error):
            raise _corrupt(f"it holds no {names[0]} stream, which its header names") from None
        raise DocumentRefused(ole2.worded(error, "Word document")) from None
    if name == "EncryptedPackage":
        raise DocumentRefused("an encrypted Word document, which is not read here: save it unprotected as "
                              ".docx and scan that")
    return stream


def _header(document: ole2.Stream) -> tuple[str, tuple[int, int]]:
    """Return the name of the table stream and the (offset, size) of the piece table in it, from
    the WordDocument stream's header (the FIB)."""
    fib = document.read(0, 4096)
    if len(fib) < 34 or struct.unpack_from("<H", fib)[0] != WORD_IDENT:
        raise DocumentRefused("not a Word 97-2003 document: its WordDocument stream has no Word header (corrupt?)")
    version, flags = struct.unpack_from("<H", fib, 2)[0], struct.unpack_from("<H", fib, 10)[0]
    if version < WORD97_NFIB:
        raise DocumentRefused("a Word 6.0/95 document, which is not read here: save it as .docx and scan that")
    if flags & ENCRYPTED:
        raise DocumentRefused("an encrypted Word document, which is not read here: save it unprotected as "
                              ".docx and scan that")
    return ("1Table" if flags & TABLE_1 else "0Table"), _fib_pair(fib, CLX_INDEX, "piece table")


def _fib_pair(fib: bytes, index: int, what: str) -> tuple[int, int]:
    """Return the (offset, size) pair ``index`` of FibRgFcLcb97 in the header ``fib``: where the
    table stream holds ``what``."""
    # FibBase (32 bytes), then three arrays, each after its count: of 16-bit words, of 32-bit
    # words, and of (offset, size) pairs.
    offset = 32
    for width in (2, 4):
        if offset + 2 > len(fib):
            raise _corrupt("its header is cut short")
        offset += 2 + width * struct.unpack_from("<H", fib, offset)[0]
    if offset + 2 > len(fib) or struct.unpack_from("<H", fib, offset)[0] <= index:
        raise _corrupt(f"its header names no {what}")
    offset += 2 + 8 * index
    if offset + 8 > len(fib):
        raise _corrupt("its header is cut short")
    return struct.unpack_from("<II", fib, offset)


def _clx(table: ole2.Stream, offset: int, size: int) -> bytes:
    """Return the piece table (``PlcPcd``) from the ``Clx`` at ``offset`` in the table stream."""
    if size > MAX_CLX_BYTES:
        raise DocumentRefused(f"refused: a piece table of {size:,} bytes, over {MAX_CLX_BYTES:,} "
                              "(corrupt or hostile .doc)")
    if offset > table.size:
        raise _corrupt("its piece table lies outside its table stream")
    clx = table.read(offset, size)
    if len(clx) < size:
        raise _corrupt("its piece table lies outside its table stream")
    at = 0
    while at < len(clx) and clx[at] == 1:  # property modifiers of pieces, not text: skipped
        if at + 3 > len(clx):
            raise _corrupt("its piece table is cut short")
        at += 3 + max(0, struct.unpack_from("<h", clx, at + 1)[0])
    if at + 5 > len(clx) or clx[at] != 2:
        raise _corrupt("it holds no piece table")
    length = struct.unpack_from("<I", clx, at + 1)[0]
    plc = clx[at + 5:at + 5 + length]
    if len(plc) < length or length < 4 or (length - 4) % 12:
        raise _corrupt("its piece table is cut short")
    return plc


def _pieces(plc: bytes, document_size: int) -> list[tuple[int, int, str]]:
    """Return ``(offset, bytes, encoding)`` of each piece of text in the WordDocument stream, in
    the order of the text."""
    count = (len(plc) - 4) // 12
    positions = array("I", plc[:4 * (count + 1)])  # character positions: piece k is [k, k + 1)
    if sys.byteorder == "big":
        positions.byteswap()
    # Each piece's descriptor: 2 bytes of flags, its 32-bit "fc" (where its text is), 2 of formatting.
    offsets = [fc for _, fc, _ in struct.iter_unpack("<HIH", plc[4 * (count + 1):])]
    pieces, total = [], 0
    for k in range(count):
        characters = positions[k + 1] - positions[k]
        if characters < 0:
            raise _corrupt("its pieces of text run backwards")
        fc = offsets[k]
        if fc & 0x40000000:  # 8-bit text at half the offset
            start, length, encoding = (fc & 0x3FFFFFFF) // 2, characters, "cp1252"
        else:
            start, length, encoding = fc, 2 * characters, "utf-16-le"
        total += length
        if start + length > document_size or total > document_size:
            raise _corrupt("a piece of its text lies outside its WordDocument stream")
        pieces.append((start, length, encoding))
    return pieces


def _piece_texts(document: ole2.Stream, start: int, length: int, encoding: str) -> Iterator[str]:
    """Yield the text of one piece a block at a time, in order."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    for at in range(0, length, BLOCK_BYTES):
        data = document.read(start + at, min(BLOCK_BYTES, length - at))
        yield decoder.decode(data, at + BLOCK_BYTES >= length)


class _TableMarks:
    """Where each paragraph lies as to tables (``CELL``, ``TTP``, ``NESTED``), by the offset of
    its mark in the WordDocument stream: the runs of the paragraphs' properties that say so, in order."""

    def __init__(self):
        self.starts, self.ends, self.places = array("Q"), array("Q"), bytearray()
        self.rows = RowDefinitions()  # each row's cell edges, by its end mark's offset

    def add(self, start: int, end: int, place: int) -> None:
        """Add the run ``[start, end)``, joined to the last when it continues it alike."""
        if self.places and self.ends[-1] == start and self.places[-1] == place:
            self.ends[-1] = end
        else:
            self.starts.append(start)
            self.ends.append(end)
            self.places.append(place)

    def place(self, fc: int) -> int:
        """Return the place of the paragraph whose mark lies at ``fc`` (0: outside tables)."""
        k = bisect.bisect_right(self.starts, fc) - 1
        return self.places[k] if k >= 0 and fc < self.ends[k] else 0


def _table_marks(document: ole2.Stream, table: ole2.Stream) -> _TableMarks | None:
    """Return where the document's tables are, from its paragraphs' properties (the ``PlcBtePapx``
    in the table stream, naming pages of ``PapxFkp`` in the WordDocument stream); None when it
    names none or they are damaged: the cells are then lines without context, as before."""
    try:
        offset, size = _fib_pair(document.read(0, 4096), PAPX_INDEX, "paragraph properties")
        if size < 12 or (size - 4) % 8 or (size - 4) // 8 > MAX_PROPERTY_PAGES:
            return None
        plc = table.read(offset, size) if offset <= table.size else b""
        if len(plc) < size:
            return None
        count = (size - 4) // 8
        pages = struct.unpack_from(f"<{count}I", plc, 4 * (count + 1))
        if len({page & 0x3FFFFF for page in pages}) < count:
            return None  # a page listed twice: not Word's; one listed 65,536 times would take minutes
        marks = _TableMarks()
        for page_number in pages:
            page = document.read((page_number & 0x3FFFFF) * PAGE_BYTES, PAGE_BYTES)
            if len(page) < PAGE_BYTES:
                return None
            for start, end, (place, row) in _page_runs(page):
                if marks.starts and start < marks.ends[-1]:
                    return None  # runs out of order: not Word's
                if place:
                    marks.add(start, end, place)
                if place & TTP and row is not None:
                    marks.rows.add(start, *row)
    except (DocumentRefused, WorkbookRefused, struct.error):
        return None
    return marks


def _page_runs(page: bytes) -> Iterator[tuple[int, int, tuple[int, _Row | None]]]:
    """Yield ``(start, end, place)`` of each run of paragraphs in a ``PapxFkp`` page: its FCs
    (``rgfc``), then a ``BxPacked`` of 13 bytes each, whose first byte is where (in words) its
    properties (``PapxInFkp``) lie; the number of runs is the page's last byte."""
    runs = page[PAGE_BYTES - 1]
    if not 0 < runs <= 29:  # 29 runs fill a page
        return
    fcs = struct.unpack_from(f"<{runs + 1}I", page)
    for k in range(runs):
        at = 2 * page[4 * (runs + 1) + 13 * k]
        yield fcs[k], fcs[k + 1], _papx_place(page, at) if at else (0, None)


def _papx_place(page: bytes, at: int) -> tuple[int, _Row | None]:
    """Return the table place of the ``PapxInFkp`` at ``at`` in a page: a size byte (0: the next
    byte counts words), a style (2 bytes), then the properties (sprms)."""
    if at + 2 >= PAGE_BYTES:
        return 0
    size = page[at]
    start, size = (at + 1, 2 * size - 1) if size else (at + 2, 2 * page[at + 1])
    return _sprms_place(page[start + 2:min(start + size, PAGE_BYTES - 1)])


def _sprms_place(sprms: bytes) -> tuple[int, _Row | None]:
    """Return what the properties ``sprms`` say of a paragraph's place in tables, and the cells
    of the row a row's end mark defines (``_row_definition``)."""
    place, at, row = 0, 0, None
    while at + 2 <= len(sprms):
        sprm = struct.unpack_from("<H", sprms, at)[0]
        at += 2
        value = sprms[at] if at < len(sprms) else 0
        if sprm == IN_TABLE and value:
            place |= CELL
        elif sprm == ROW_END and value:
            place |= TTP
        elif (sprm == INNER_ROW_END and value) or (sprm == DEPTH and value > 1):
            place |= NESTED
        size = _operand_bytes(sprm, sprms, at)
        if size is None:
            break
        if sprm == TABLE_DEFINITION:
            row = _row_definition(sprms[at + 2:at + size])
        at += size
    return place, row


def _row_definition(operand: bytes) -> _Row | None:
    """Return the right edges of a row's cells, whether each is merged into the one before it
    (Word 97's horizontal merge, ``fMerged``) and whether one begins cells merged down (a header
    of two rows, ``table_edges``), from a ``TDefTableOperand`` after its size: the cells' count
    (itcMac), their ``itcMac + 1`` edges, then a ``TC80`` of 20 bytes each, whose first 2 bytes
    are flags. None when it is cut short (the cells are then counted)."""
    if not operand or not 0 < operand[0] <= MAX_ROW_CELLS or len(operand) < 1 + 2 * (operand[0] + 1):
        return None
    count = operand[0]
    edges = struct.unpack_from(f"<{count + 1}h", operand, 1)
    flags = operand[1 + 2 * (count + 1):]
    cells = [flags[k * TC_BYTES] if k * TC_BYTES + 2 <= len(flags) else 0 for k in range(count)]
    return list(edges[1:]), [bool(cell & MERGED) for cell in cells], any(cell & MERGED_DOWN == MERGE_START for cell in cells)


def _operand_bytes(sprm: int, sprms: bytes, at: int) -> int | None:
    """Return the bytes of the operand of ``sprm`` at ``at``, or None when they cannot be told."""
    spra = sprm >> 13
    if spra != 6:
        return OPERAND_BYTES[spra]
    if sprm == TABLE_DEFINITION:  # a 2-byte size, counting itself less one
        return 1 + struct.unpack_from("<H", sprms, at)[0] if at + 2 <= len(sprms) else None
    if at >= len(sprms) or (sprm == TAB_CHANGES and sprms[at] == 255):  # 255: a longer form
        return None
    return 1 + sprms[at]


def _corrupt(what: str) -> DocumentRefused:
    return DocumentRefused(f"corrupt Word document: {what}")


def stored_items(handle: BinaryIO, target: str, options: ScanOptions, coverage: TargetCoverage
                 ) -> Iterator[Cells | Chunk]:
    """Yield what the Excel and Word 97-2003 files and the packaged files embedded in the document
    (its ObjectPool) hold, a notice for each other object; then the text OCR reads in its pictures
    with --ocr (``ole_pictures``), from the compound file opened once for both."""
    try:  # the text's streams were found from the root; the whole tree is walked only here
        compound = ole2.CompoundFile(handle)
        paths = compound.streams()
    except WorkbookRefused:
        coverage.problem(target, "its embedded objects could not be read (a damaged OLE2 directory)", target)
        return
    yield from _object_items(compound, paths, target, options, coverage)
    try:
        streams = picture_streams(compound)
    except (DocumentRefused, WorkbookRefused):  # the text's reader said why
        return
    yield from word97_pictures(streams, target, options, coverage)


def _object_items(compound: ole2.CompoundFile, paths: dict[str, tuple[int, int]], target: str,
                  options: ScanOptions, coverage: TargetCoverage) -> Iterator[Cells | Chunk]:
    """Yield what the objects of the document's ObjectPool hold (``stored_items``)."""
    objects: dict[str, set[str]] = {}  # object folder -> its streams
    for path in paths:
        folder, _, name = path.rpartition("/")
        if folder.upper().startswith("OBJECTPOOL/") and folder.count("/") == 1:
            objects.setdefault(folder + "/", set()).add(name.upper())
    storages = {path.split("/", 1)[0].upper() for path in paths if "/" in path}
    if "OBJECTPOOL" not in storages and ole2.misnamed(storages, "OBJECTPOOL"):  # its name damaged: no checksum
        coverage.problem(target, "ObjectPool is damaged (its name in the OLE2 directory): the objects embedded in "
                                 "the document are not read", target)
    if is_nested(target):  # one level deep, as in a .docx
        nested_notice(target, len(objects), coverage)
        return
    # Each object's streams are read from the document already open: the directory is walked once.
    others: list[str] = []
    for folder, streams in sorted(objects.items()):
        yield from storage_object(compound, f"{target}!{folder.rstrip('/')}", folder, streams, options, coverage,
                                  others)
    other_objects_notice(target, others, coverage)


def embedded_document(compound: ole2.CompoundFile, where: str, folder: str, coverage: TargetCoverage
                      ) -> Iterator[Chunk]:
    """Yield the lines of a Word 97-2003 document embedded in the storage ``folder`` of the open
    compound file ``compound``, or record why not."""
    coverage.files += 1
    container = coverage.container(where, "lines")  # so that its findings verify once fixed
    try:
        for chunk in stored_paragraph_chunks(compound, where, folder):
            container.units += chunk.text.count("\n") + 1
            yield chunk
    except DocumentRefused as error:
        coverage.problem(where, str(error), where)
        return
    yield from stored_property_chunks(compound, where, coverage, folder)
