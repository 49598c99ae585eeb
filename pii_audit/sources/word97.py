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

No maintained Python package reads a .doc's text: olefile reads a stream whole, and antiword and
catdoc are C programs, unmaintained, that CJK text defeats. So this module does it by hand, from
the format's specification, through ``ole2``, which reads a stream's sectors as they are asked
for. Memory holds the piece table and one block of text, whatever the file's size.

An Excel 97-2003 workbook pasted into the document as an object keeps every row of it in the
file (``ObjectPool/_1234/Workbook``): each is read as the .xls it is, located
``report.doc!ObjectPool/_1234!Sheet1``, from the document read into memory (at most
``OBJECTS_MAX_BYTES``); a Word 97-2003 document embedded so is read as one. Any other object (an
equation, a drawing) is a notice.

The file is untrusted (SECURITY.md item 7). Pieces must lie inside the WordDocument stream and
may not hold more in all than the stream does (a piece table naming the same bytes a million
times would otherwise read them a million times). Each of these is one problem line:
- an encrypted document;
- a Word 6.0/95 document;
- a damaged file;
- an OLE2 file that holds no Word document (an older WPS format).
"""

from __future__ import annotations

import codecs
import io
import struct
import sys
from array import array
from typing import BinaryIO, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ScanOptions, TargetCoverage, ole2
from pii_audit.sources.documents import DocumentRefused
from pii_audit.sources.embedded import EMBEDDED_MARKS, storage_object
from pii_audit.sources.xlsx_guard import WorkbookRefused

WORD_IDENT = 0xA5EC  # FibBase.wIdent
WORD97_NFIB = 0x00C1  # FibBase.nFib of Word 97; Word 6.0 and 95 write less
ENCRYPTED, TABLE_1 = 0x0100, 0x0200  # FibBase flags: fEncrypted, fWhichTblStm
CLX_INDEX = 33  # the (fcClx, lcbClx) pair's index in FibRgFcLcb97
MAX_CLX_BYTES = 16 << 20  # a piece table of a million pieces; Word writes a few hundred bytes
BLOCK_BYTES = 1 << 20  # bytes of a piece read at a time (even: UTF-16 text is read in whole units)
CHUNK_CHARS = 1 << 20  # characters of paragraphs handed to the detector together
# A paragraph is held whole until it ends; no one writes one this long, a hostile file might.
MAX_PARAGRAPH_CHARS = 16 << 20
# A document whose objects are read is read into memory, as an embedded file is (embedded.EMBEDDED_MAX_BYTES).
OBJECTS_MAX_BYTES = 32 << 20

# Word's marks in the text: paragraph, cell and page or section ends end a line; a manual line
# break, a field's begin, separator and end, and the anchors of pictures, notes and comments
# are a space; a non-breaking hyphen is a hyphen, an optional hyphen nothing.
_LINE_ENDS = {"\r": "\n", "\x07": "\n", "\x0c": "\n"}
_MARKS = str.maketrans({**{chr(c): " " for c in range(32) if chr(c) not in "\t\n"},
                        **_LINE_ENDS, "\x1e": "-", "\x1f": None})


def paragraph_chunks(handle: BinaryIO, target: str, folder: str = "") -> Iterator[Chunk]:
    """Yield the text of the Word 97-2003 document in ``handle`` (an OLE2 file; in its storage
    ``folder`` for a document embedded in another) as chunks of whole lines, about ``CHUNK_CHARS``
    each; raise ``DocumentRefused`` for what is not read."""
    document = _stream(handle, ("WordDocument", "EncryptedPackage"), folder)
    table_name, clx = _header(document)
    table = _stream(handle, (table_name,), folder)
    pieces = _pieces(_clx(table, *clx), document.size)
    line, pending, size, paragraph = 1, [], 0, ""
    for text in _texts(document, pieces):
        lines = (paragraph + text.translate(_MARKS)).split("\n")
        paragraph = lines.pop()
        if len(paragraph) > MAX_PARAGRAPH_CHARS:
            raise DocumentRefused(f"refused: a paragraph of over {MAX_PARAGRAPH_CHARS:,} characters "
                                  "(corrupt or hostile .doc)")
        pending += lines
        size += sum(map(len, lines)) + len(lines)
        if size >= CHUNK_CHARS:
            yield Chunk("\n".join(pending), {"path": target, "line": line}, target, multiline=True)
            line, pending, size = line + len(pending), [], 0
    if paragraph:
        pending.append(paragraph)
    if pending:
        yield Chunk("\n".join(pending), {"path": target, "line": line}, target, multiline=True)


def _stream(handle: BinaryIO, names: tuple[str, ...], folder: str = "") -> ole2.Stream:
    """Return the first of ``names`` that the compound file holds (in ``folder``), as a ``ole2.Stream``."""
    try:
        name, stream = ole2.open_stream(handle, names, folder)
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
    # FibBase (32 bytes), then three arrays, each after its count: of 16-bit words, of 32-bit
    # words, and of (offset, size) pairs, among which the piece table's.
    offset = 32
    for width in (2, 4):
        if offset + 2 > len(fib):
            raise _corrupt("its header is cut short")
        offset += 2 + width * struct.unpack_from("<H", fib, offset)[0]
    if offset + 2 > len(fib) or struct.unpack_from("<H", fib, offset)[0] <= CLX_INDEX:
        raise _corrupt("its header names no piece table")
    offset += 2 + 8 * CLX_INDEX
    if offset + 8 > len(fib):
        raise _corrupt("its header is cut short")
    return ("1Table" if flags & TABLE_1 else "0Table"), struct.unpack_from("<II", fib, offset)


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


def _texts(document: ole2.Stream, pieces: list[tuple[int, int, str]]) -> Iterator[str]:
    """Yield the text of the pieces a block at a time, in order."""
    for start, length, encoding in pieces:
        decoder = codecs.getincrementaldecoder(encoding)("replace")
        for at in range(0, length, BLOCK_BYTES):
            data = document.read(start + at, min(BLOCK_BYTES, length - at))
            yield decoder.decode(data, at + BLOCK_BYTES >= length)


def _corrupt(what: str) -> DocumentRefused:
    return DocumentRefused(f"corrupt Word document: {what}")


def object_items(handle: BinaryIO, target: str, options: ScanOptions, coverage: TargetCoverage
                 ) -> Iterator[Cells | Chunk]:
    """Yield what the Excel and Word 97-2003 files embedded in the document (its ObjectPool) hold;
    a notice for each other object."""
    handle.seek(0)
    objects: dict[str, set[str]] = {}  # object folder -> its streams
    for path in ole2.CompoundFile(handle).streams():
        folder, _, name = path.rpartition("/")
        if folder.upper().startswith("OBJECTPOOL/") and folder.count("/") == 1:
            objects.setdefault(folder + "/", set()).add(name.upper())
    if not objects:
        return
    if any(mark in target for mark in EMBEDDED_MARKS):  # one level deep, as in a .docx
        for folder in sorted(objects):
            coverage.notice(f"{target}!{folder.rstrip('/')}", "a file embedded in an embedded file is not read; "
                                                             "open it and save it apart")
        return
    size = handle.seek(0, 2)
    if size > OBJECTS_MAX_BYTES:
        coverage.problem(target, f"the objects of a document larger than {OBJECTS_MAX_BYTES:,} bytes are not read; "
                                 "open them and save them apart to scan them", target)
        return
    handle.seek(0)
    data = handle.read()
    for folder, streams in sorted(objects.items()):
        yield from storage_object(data, f"{target}!{folder.rstrip('/')}", folder, streams, options, coverage)


def embedded_document(data: bytes, where: str, folder: str, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the lines of a Word 97-2003 document embedded in the document ``data``, or record why not."""
    coverage.files += 1
    container = coverage.container(where, "lines")  # so that its findings verify once fixed
    try:
        for chunk in paragraph_chunks(io.BytesIO(data), where, folder):
            container.units += chunk.text.count("\n") + 1
            yield chunk
    except DocumentRefused as error:
        coverage.problem(where, str(error), where)
