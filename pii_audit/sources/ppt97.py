"""PowerPoint 97-2003 presentations (.ppt, .pps, .pot; WPS Presentation's .dps and .dpt saved in
that format): the text of every slide, its notes, comments and masters, a paragraph a line.

Banks' file shares keep years of .ppt decks: case reviews with customer tables, training decks
built from real cases. Until now each was a problem line ("save it as .pptx"), so a share of
them never scanned complete.

A .ppt is an OLE2 compound file ([MS-PPT]) read through ``ole2``. Its "PowerPoint Document"
stream is a sequence of records, each an 8-byte header (version and instance, type, length) and
a body; a container's body (version 0xF) is more records. Text lies in three atoms: TextCharsAtom
(UTF-16), TextBytesAtom (a byte a character, the low byte of UTF-16: Latin-1) and CString
(UTF-16: comments and their authors, hyperlinks, footers, the names of slides and tags). Where
PowerPoint writes it, a placeholder's text (title, body) lies in the slide list
(SlideListWithTextContainer, in the DocumentContainer) after its slide's SlidePersistAtom; any
other shape's (a text box, each cell of a table, which is a group of shapes) in the slide's own
drawing (SlideContainer), where LibreOffice writes all of it; notes in the NotesContainer.

As Apache POI's QuickButCruddyTextExtractor does, every record of the stream is walked in its
order and every text atom read once, whatever holds it, so no text is lost to a record this
module does not know: masters and handouts, a slide's older copy that a fast save left in the
file, comments kept in a programmable tag's data (the BinaryTagDataBlob of ``___PPT9``…``___PPT12``,
which holds records though it is no container). Slide numbers come from an index read first
(``_index``): the slide list gives each slide's persist id in the order the deck shows them, the
persist directories (PersistDirectoryAtom) where each slide's container lies in the stream, and a
notes page names its slide's id (NotesAtom).

Each paragraph (text split at ``\\r``; a vertical tab, PowerPoint's line break, is a space) is a
line, numbered from 1 in each slide's text in the order of the stream (its placeholders' text in
the slide list, then its shapes', then its notes'), located ``{path, part: "PowerPoint
Document", slide, line}``; text of no slide (masters, the document's own records) is numbered
apart and located without ``slide``. The container is the file, as for a .pptx. A table is a group
of shapes, a cell each, placed by its anchor: its first row names the columns, and a cell's lines
have its column's header as context, as in a .pptx (``ppt_tables``).

An object pasted into a slide (a customer workbook, a Word document) keeps its whole file in an
ExOleObjStg record of the stream: the object's OLE2 file, compressed with zlib after its size
(recInstance 1), as PowerPoint and LibreOffice write it, or as it is (0). The walk notes where each
lies (at most ``MAX_OBJECTS``; past them, one notice); after the text, each is taken out into
memory, one at a time, and read by ``embedded`` as a .pptx's objects are: an Excel 97-2003
workbook as the .xls it is, a Word 97-2003 document as the .doc, located by their number in the
stream, ``deck.ppt!ExOleObjStg1!Sheet1``; any other (an equation, a chart, a packaged file, a
macro project, which is stored so too) is a notice. One level deep: the objects of a .ppt that is
itself embedded in a file are one notice on it, and so are those of a document embedded in a
.ppt. A fast save can leave an object's older copy in the file: it is read too, under its own number.

After the text, the document's properties (the OLE2 property sets "\x05SummaryInformation" and
"\x05DocumentSummaryInformation": title, comments, custom properties) are read as lines located
``{path, part: "SummaryInformation", line, property}`` (``ole_properties``); a damaged one is a
problem line and the objects are read. Pictures are read by OCR with --ocr, from the Pictures
stream (``ole_pictures.ppt97_pictures``). Not read: shapes' alt text and names.

The file is untrusted (SECURITY.md item 7). Records are read from the file a window of
``WINDOW`` bytes at a time; every length is checked against what remains of the record holding
it; records nest at most ``MAX_DEPTH`` deep, a text atom holds at most ``MAX_TEXT_BYTES``, and the
index at most ``MAX_SLIDES`` slides (past it, slides are read without their numbers). A damaged
record, records nested too deep and a text atom over the cap are one problem line, after the
lines read before them and what the objects before them hold; so are an encrypted presentation,
a PowerPoint 95 one and an OLE2 file that holds no presentation. An object is inflated a piece at
a time up to ``embedded.EMBEDDED_MAX_BYTES``, and its compressed data is no longer than that: an
object whose size says more, a zlib bomb, and damaged or cut-short compressed data are each one
problem line for that object, and the other objects are read.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ContainerCoverage, ScanOptions, TargetCoverage, ole2
from pii_audit.sources.embedded import EMBEDDED_MAX_BYTES, is_nested, nested_notice, ole_object
from pii_audit.sources.ole_properties import ole_property_chunks
from pii_audit.sources.ooxml import DocumentRefused, counted
from pii_audit.sources.ppt_tables import PptTable, is_table
from pii_audit.sources.xlsx_guard import WorkbookRefused

PART = "PowerPoint Document"  # the stream, and the ``part`` of every location
RECORD = struct.Struct("<HHI")  # recVer (4 bits) and recInstance (12), recType, recLen
HEADER = RECORD.size
CONTAINER = 0xF  # recVer of a record whose body is records
DOCUMENT, SLIDE, NOTES, NOTES_ATOM, SLIDE_PERSIST = 0x03E8, 0x03EE, 0x03F0, 0x03F1, 0x03F3
SLIDE_LIST = 0x0FF0  # SlideListWithTextContainer; instance 0: slides, 1: masters, 2: notes
TEXT_CHARS, TEXT_BYTES, CSTRING = 0x0FA0, 0x0FA8, 0x0FBA
PERSIST_DIRECTORY, USER_EDIT, CRYPT_SESSION = 0x1772, 0x0FF5, 0x2F14
BINARY_TAG_DATA, OLE_STORAGE = 0x138B, 0x1011
# A group of shapes, a shape, a shape's third properties table, its place in its group.
GROUP, SHAPE, TERTIARY_PROPERTIES, CHILD_ANCHOR = 0xF003, 0xF004, 0xF122, 0xF00F
# The programmable tags whose data (BinaryTagDataBlob) is records: comments, among others.
EXTENSION_TAGS = frozenset({"___PPT9", "___PPT10", "___PPT11", "___PPT12"})
ENCRYPTED_TOKEN = 0xF3D1C4DF  # CurrentUserAtom.headerToken of an encrypted presentation
WINDOW = 64 << 10  # bytes of the stream read at a time
MAX_DEPTH = 64  # PowerPoint nests a dozen deep (groups in groups add one each)
MAX_TEXT_BYTES = 8 << 20  # one text atom: 4 million characters; a slide's text box holds thousands
MAX_SLIDES = 100_000  # slides numbered (presentations.MAX_SLIDES for a .pptx)
MAX_DIRECTORIES = 10_000  # persist directories read: a fast save appends one
CHUNK_CHARS = 1 << 20  # characters of lines handed to the detector together
MAX_OBJECTS = 1_000  # embedded objects read in one deck; past them, one notice
OBJECT = "ExOleObjStg"  # an embedded object's place in a location: deck.ppt!ExOleObjStg1
COMPRESSED = 1  # the recInstance of an ExOleObjStg whose data is compressed (0: as it is)
INFLATE_PIECE = 1 << 20  # bytes of an object inflated at a time
ENCRYPTED = "an encrypted presentation, which is not read here: save it unprotected as .pptx and scan that"

# Control characters stand for a space (a vertical tab is PowerPoint's line break); a carriage
# return ends a paragraph, and a line feed, which PowerPoint does not write, ends a line too.
_MARKS = str.maketrans({chr(c): " " for c in range(32) if chr(c) not in "\t\r\n"})
_BREAKS = re.compile("\r\n?|\n")


def slide_chunks(handle: BinaryIO, target: str, options: ScanOptions, coverage: TargetCoverage,
                 container: ContainerCoverage) -> Iterator[Chunk | Cells]:
    """Yield the text of the PowerPoint 97-2003 presentation in ``handle`` (an OLE2 file) as chunks
    of whole lines, counted in ``container`` (the file's), then what its embedded objects hold;
    raise ``DocumentRefused`` for what is not read, after the lines and the objects met before it."""
    window = _Window(_document_stream(handle))
    walk = _Walk(window, _index(window))
    try:
        yield from counted(_chunks(walk.texts(), target), container)
    except DocumentRefused:
        yield from _objects(window, walk, target, options, coverage)
        raise
    yield from ole_property_chunks(handle, target, coverage)
    yield from _objects(window, walk, target, options, coverage)


def _document_stream(handle: BinaryIO) -> ole2.Stream:
    """Return the PowerPoint Document stream of the OLE2 file; refuse an encrypted presentation, a
    PowerPoint 95 one, and an OLE2 file that holds none."""
    try:
        compound = ole2.CompoundFile(handle)
        streams = {path.upper(): entry for path, entry in compound.streams().items() if "/" not in path}
        if "ENCRYPTEDPACKAGE" in streams:  # an encrypted .pptx
            raise DocumentRefused(ENCRYPTED)
        if PART.upper() not in streams:
            if "PP40" in streams:
                raise DocumentRefused("a PowerPoint 95 presentation, which is not read here: save it as .pptx and "
                                      "scan that")
            raise DocumentRefused("not a presentation: an OLE2 file that holds no PowerPoint presentation")
        document = compound.stream(*streams[PART.upper()])
        user = streams.get("CURRENT USER")
        if "ENCRYPTEDSUMMARY" in streams or (user and _encrypted_edit(compound.stream(*user), document)):
            raise DocumentRefused(ENCRYPTED)
    except WorkbookRefused as error:
        raise DocumentRefused(ole2.worded(error, "presentation")) from None
    return document


def _encrypted_edit(user: ole2.Stream, document: ole2.Stream) -> bool:
    """Tell whether the Current User stream says the presentation is encrypted: by its token, or
    by the last edit it points to (a UserEditAtom naming an encryption session, as msoffcrypto checks)."""
    atom = user.read(0, 20)
    if len(atom) < 20:
        return False
    token, edit = struct.unpack_from("<II", atom, 12)
    if token == ENCRYPTED_TOKEN:
        return True
    head = document.read(edit, HEADER + 32) if edit < document.size else b""
    if len(head) < HEADER + 32:
        return False
    _, kind, length = RECORD.unpack_from(head)
    return kind == USER_EDIT and length == 32 and struct.unpack_from("<I", head, HEADER + 28)[0] != 0


class _Window:
    """The stream, read ``WINDOW`` bytes at a time as the records are walked forwards."""

    def __init__(self, stream: ole2.Stream):
        self.stream, self.size = stream, stream.size
        self.start, self.data = 0, b""

    def read(self, offset: int, count: int) -> bytes:
        """Return ``count`` bytes of the stream from ``offset`` (fewer at its end)."""
        at = offset - self.start
        if 0 <= at and at + count <= len(self.data):
            return self.data[at:at + count]
        if count > WINDOW:
            return self._fetch(offset, count)
        self.start, self.data = offset, self._fetch(offset, WINDOW)
        return self.data[:count]

    def _fetch(self, offset: int, count: int) -> bytes:
        try:
            return self.stream.read(offset, count)
        except WorkbookRefused as error:  # the file ends inside the stream
            raise DocumentRefused(ole2.worded(error, "presentation")) from None

    def header(self, offset: int) -> tuple[int, int, int, int]:
        """Return ``(version, instance, type, length)`` of the record at ``offset``."""
        version_instance, kind, length = RECORD.unpack(self.read(offset, HEADER))
        return version_instance & 0xF, version_instance >> 4, kind, length


@dataclass
class _Index:
    """Which slide each place of the stream belongs to, by the number the deck shows it at."""

    by_persist: dict[int, int] = field(default_factory=dict)  # a slide's persist id -> its number
    by_id: dict[int, int] = field(default_factory=dict)  # a slide's id (as notes name it) -> its number
    at: dict[int, int] = field(default_factory=dict)  # where a slide's container starts -> its number


def _index(window: _Window) -> _Index:
    """Return the slides' numbers from the last DocumentContainer's slide list and the persist
    directories; raise ``DocumentRefused`` for a stream without a DocumentContainer or encrypted.
    A damaged record ends the index quietly: the walk reports it, after the text before it."""
    document, directories, offset = None, [], 0
    while window.size - offset >= HEADER:
        version, _, kind, length = window.header(offset)
        if length > window.size - offset - HEADER:
            break
        if kind == CRYPT_SESSION:
            raise DocumentRefused(ENCRYPTED)
        if kind == DOCUMENT and version == CONTAINER:
            document = (offset + HEADER, length)  # the last one is the latest edit's
        elif kind == PERSIST_DIRECTORY and len(directories) < MAX_DIRECTORIES:
            directories.append((offset + HEADER, length))
        offset += HEADER + length
    else:
        if document is None:
            raise _corrupt("its PowerPoint Document stream holds no DocumentContainer record")
    index = _Index()
    for number, (persist, slide_id) in enumerate(_slide_list(window, document) if document else (), 1):
        index.by_persist.setdefault(persist, number)
        index.by_id.setdefault(slide_id, number)
    for start, length in directories:
        _persist_offsets(window, start, start + length, index)
    return index


def _children(window: _Window, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """Yield ``(version, instance, type, body offset, length)`` of the records from ``start`` to
    ``end``, stopping quietly at one that does not fit."""
    offset = start
    while end - offset >= HEADER:
        version, instance, kind, length = window.header(offset)
        if length > end - offset - HEADER:
            return
        yield version, instance, kind, offset + HEADER, length
        offset += HEADER + length


def _slide_list(window: _Window, document: tuple[int, int]) -> list[tuple[int, int]]:
    """Return ``(persist id, slide id)`` of each slide, in the order shown, from the slide list of
    the DocumentContainer at ``document`` (its body's offset and length)."""
    start, length = document
    for version, instance, kind, body, size in _children(window, start, start + length):
        if kind == SLIDE_LIST and version == CONTAINER and instance == 0:
            slides = []
            for _, _, child, at, child_size in _children(window, body, body + size):
                if child == SLIDE_PERSIST and child_size >= 16 and len(slides) < MAX_SLIDES:
                    persist, slide_id = struct.unpack("<I8xI", window.read(at, 16))
                    slides.append((persist, slide_id))
            return slides
    return []


def _persist_offsets(window: _Window, at: int, end: int, index: _Index) -> None:
    """Record where the containers of the slides lie, from one PersistDirectoryAtom's entries: each
    a first persist id (20 bits) and a count (12 bits), then as many offsets in the stream. Every
    directory is read, so a slide's older copy, from an earlier save, has its number too."""
    while end - at >= 4 and len(index.at) < 2 * MAX_SLIDES:
        (word,) = struct.unpack("<I", window.read(at, 4))
        first, count = word & 0xFFFFF, word >> 20
        at += 4
        if 4 * count > end - at:
            return
        for k, offset in enumerate(struct.unpack(f"<{count}I", window.read(at, 4 * count))):
            number = index.by_persist.get(first + k)
            if number is not None:
                index.at[offset] = number
        at += 4 * count


@dataclass
class _Frame:
    """A container being walked: where it ends, and the slide its text belongs to."""

    end: int
    slide: int | None
    kind: int = 0  # its record type (0: the stream)
    instance: int = 0
    lenient: bool = False  # a tag's data: records it cannot hold end it quietly
    tag: str = ""  # the text of the CString just read in it (a programmable tag's name)
    # A group of shapes that is a table: the table; a shape that is one of its cells: its table.
    table: PptTable | None = None
    cell: bool = False


class _Walk:
    """Every record of the stream in its order, and the text of each text atom with its slide."""

    def __init__(self, window: _Window, index: _Index):
        self.window, self.index = window, index
        self.objects: list[tuple[int, int, int]] = []  # (body offset, length, instance) of each ExOleObjStg
        self.skipped = 0  # embedded objects met past MAX_OBJECTS

    def texts(self) -> Iterator[tuple[int | None, str, PptTable | None]]:
        """Yield ``(slide, text, table)`` of each text atom, ``table`` the table whose cell holds it
        (``ppt_tables``); raise ``DocumentRefused`` at a damaged record."""
        frames, offset = [_Frame(self.window.size, None)], 0
        while frames:
            frame = frames[-1]
            record = self._record(frames, offset)
            if record is None:  # the end of the container
                frames.pop()
                offset = frame.end
                continue
            version, instance, kind, length = record
            body = offset + HEADER
            tag, frame.tag = frame.tag, ""
            if version == CONTAINER or (kind == BINARY_TAG_DATA and tag in EXTENSION_TAGS):
                frames.append(self._enter(frames, kind, instance, offset, body + length, version))
                offset = body
                continue
            text = self._atom(frames, kind, instance, body, length)
            if text is not None:
                yield frame.slide, text, next((f.table for f in reversed(frames) if f.cell), None)
            offset = body + length

    def _record(self, frames: list[_Frame], offset: int) -> tuple[int, int, int, int] | None:
        """Return ``(version, instance, type, length)`` of the record at ``offset`` in the innermost
        container, or None at its end; raise ``DocumentRefused`` for one that does not fit in it."""
        frame = frames[-1]
        if frame.end - offset < HEADER:
            # A few bytes left over at the stream's end are no record; inside a record they are damage.
            if frame.end != offset and len(frames) > 1 and not frame.lenient:
                raise _corrupt(f"the record at byte {offset:,} is cut short (damaged file)")
            return None
        version, instance, kind, length = self.window.header(offset)
        if length > frame.end - offset - HEADER:
            if frame.lenient:  # a tag's data that is not records after all: the rest of it is skipped
                return None
            where = "the stream" if len(frames) == 1 else "the record holding it"
            raise _corrupt(f"the record at byte {offset:,} claims {length:,} bytes, past the end of {where} "
                           "(truncated or damaged file)")
        if kind == CRYPT_SESSION:
            raise DocumentRefused(ENCRYPTED)
        return version, instance, kind, length

    def _enter(self, frames: list[_Frame], kind: int, instance: int, offset: int, end: int, version: int) -> _Frame:
        """Return the frame of a container that starts at ``offset`` in the innermost one, with its slide."""
        if len(frames) > MAX_DEPTH:
            raise DocumentRefused(f"refused: records nested over {MAX_DEPTH} deep (corrupt or hostile .ppt)")
        parent = frames[-1]
        if kind == SLIDE and len(frames) == 1:
            slide = self.index.at.get(offset)
        elif kind in (SLIDE_LIST, NOTES):  # their atoms say (``_turn``)
            slide = None
        else:
            slide = parent.slide
        return _Frame(end, slide, kind, instance, parent.lenient or version != CONTAINER)

    def _atom(self, frames: list[_Frame], kind: int, instance: int, body: int, length: int) -> str | None:
        """Return the text of a text atom at ``body`` in the innermost of ``frames``; follow an atom
        that names a slide, or a table's cells, and note where an embedded object is, to read it
        after the text."""
        frame = frames[-1]
        if kind in (TERTIARY_PROPERTIES, CHILD_ANCHOR) and frame.kind == SHAPE and len(frames) > 2 \
                and frames[-2].kind == GROUP:
            self._table_shape(frames[-2], frame, kind, instance, body, length)
        elif kind in (TEXT_CHARS, TEXT_BYTES, CSTRING):
            text = self._text(kind, body, length)
            if kind == CSTRING and text in EXTENSION_TAGS:  # a tag's name, no one's text
                frame.tag = text
                return None
            return text
        if kind in (SLIDE_PERSIST, NOTES_ATOM):
            self._turn(frame, kind, body, length)
        elif kind == OLE_STORAGE and len(self.objects) < MAX_OBJECTS:
            self.objects.append((body, length, instance))
        elif kind == OLE_STORAGE:
            self.skipped += 1
        return None

    def _table_shape(self, group: _Frame, shape: _Frame, kind: int, instance: int, body: int, length: int) -> None:
        """Mark a group whose shape's properties say it is a table; place a cell of one by its anchor."""
        if kind == TERTIARY_PROPERTIES and group.table is None:
            if is_table(self.window.read(body, min(length, 6 * instance)), instance):
                group.table = PptTable()
        elif kind == CHILD_ANCHOR and group.table is not None:
            shape.cell = group.table.anchor(self.window.read(body, min(length, 16)))
            shape.table = group.table if shape.cell else None

    def _turn(self, frame: _Frame, kind: int, body: int, length: int) -> None:
        """Follow a slide list to the next slide, or a notes page to its slide, from the atom at ``body``."""
        if length < (16 if kind == SLIDE_PERSIST else 4):
            return
        (ref,) = struct.unpack("<I", self.window.read(body, 4))
        if kind == SLIDE_PERSIST and frame.kind == SLIDE_LIST and frame.instance == 0:
            frame.slide = self.index.by_persist.get(ref)
        elif kind == NOTES_ATOM and frame.kind == NOTES:
            frame.slide = self.index.by_id.get(ref)

    def _text(self, kind: int, body: int, length: int) -> str:
        """Return the text of a text atom."""
        if length > MAX_TEXT_BYTES:
            raise DocumentRefused(f"refused: a text record of {length:,} bytes, over {MAX_TEXT_BYTES:,} "
                                  "(corrupt or hostile .ppt)")
        data = self.window.read(body, length)
        return data.decode("latin-1") if kind == TEXT_BYTES else data.decode("utf-16-le", "replace")


def lines_of(text: str) -> list[str]:
    """Return the paragraphs of a text atom's text, a line each.

    >>> lines_of("还款卡号\\r第二段\\x0b换行")
    ['还款卡号', '第二段 换行']
    """
    return _BREAKS.split(text.translate(_MARKS))


class _Lines:
    """Lines gathered into chunks, numbered from 1 in each slide's text (and in the text of no slide)."""

    def __init__(self, target: str):
        self.target = target
        self.numbers: dict[int | None, int] = {}  # lines of each slide so far (None: of no slide)
        self.pending: list[str] = []
        self.slide: int | None = None
        self.context: tuple[str, ...] = ()
        self.chars = 0

    def add(self, slide: int | None, line: str, context: tuple[str, ...] = ()) -> Chunk | None:
        """Add a line of ``slide`` (a table cell's, with its column's header as ``context``);
        return the chunk it ends, if any."""
        chunk = self.flush() if self.pending and (slide != self.slide or context != self.context
                                                  or self.chars >= CHUNK_CHARS) else None
        self.pending.append(line)
        self.slide, self.context = slide, context
        self.chars += len(line) + 1
        return chunk

    def flush(self) -> Chunk | None:
        """Return the pending lines as a chunk, or None when there are none."""
        if not self.pending:
            return None
        first = self.numbers.get(self.slide, 0) + 1
        self.numbers[self.slide] = first + len(self.pending) - 1
        location = {"path": self.target, "part": PART, **({} if self.slide is None else {"slide": self.slide}),
                    "line": first}
        chunk = Chunk("\n".join(self.pending), location, self.target, self.context, multiline=True)
        self.pending, self.chars = [], 0
        return chunk


def _chunks(texts: Iterator[tuple[int | None, str, PptTable | None]], target: str) -> Iterator[Chunk]:
    """Yield the lines of ``texts`` as chunks, a table cell's with its column's header as context;
    at a damaged record, the lines read before it first."""
    lines = _Lines(target)
    try:
        for slide, text, table in texts:
            for line in lines_of(text):
                chunk = lines.add(slide, line, table.context(line) if table is not None else ())
                if chunk is not None:
                    yield chunk
    except DocumentRefused:
        chunk = lines.flush()
        if chunk is not None:
            yield chunk
        raise
    chunk = lines.flush()
    if chunk is not None:
        yield chunk


def _objects(window: _Window, walk: _Walk, target: str, options: ScanOptions, coverage: TargetCoverage
             ) -> Iterator[Chunk | Cells]:
    """Yield what each embedded object the walk met holds, one at a time (``embedded``: an Excel
    or Word 97-2003 one is read, any other is a notice); a problem line for one that cannot be
    taken out, and one for those past ``MAX_OBJECTS``; one for all those of a file itself embedded
    in another (one level deep, as in a .docx or a .doc)."""
    if is_nested(target):
        nested_notice(target, len(walk.objects) + walk.skipped, coverage)
        return
    for number, (body, length, instance) in enumerate(walk.objects, 1):
        where = f"{target}!{OBJECT}{number}"
        try:
            data = _object_data(window, body, length, instance)
        except DocumentRefused as error:
            coverage.problem(where, str(error))
            continue
        yield from ole_object(where, options, coverage, data)
    if walk.skipped:
        coverage.notice(target, f"{walk.skipped:,} embedded object(s) past the first {MAX_OBJECTS:,} not read; "
                                "open them and save them apart to scan them")


def _object_data(window: _Window, body: int, length: int, instance: int) -> bytes:
    """Return the file an ExOleObjStg stores (an OLE2 file): its body as it is (instance 0), or
    inflated (1: the size inflated, then a zlib stream); raise ``DocumentRefused`` for one over
    ``EMBEDDED_MAX_BYTES``, as stored or inflated, or damaged."""
    too_large = (f"an embedded object larger than {EMBEDDED_MAX_BYTES:,} bytes is not read; open it and save it "
                 "apart to scan it")
    if instance not in (0, COMPRESSED):
        raise _corrupt(f"a storage of an unknown kind (recInstance {instance})", "embedded object")
    if length - (4 if instance == COMPRESSED else 0) > EMBEDDED_MAX_BYTES:
        raise DocumentRefused(too_large)
    if instance == 0:
        return window.read(body, length)
    if length < 4:
        raise _corrupt("it is cut short", "embedded object")
    (size,) = struct.unpack("<I", window.read(body, 4))
    if size > EMBEDDED_MAX_BYTES:
        raise DocumentRefused(too_large)
    return _inflated(window, body + 4, body + length)


def _inflated(window: _Window, start: int, end: int) -> bytes:
    """Return the zlib stream from ``start`` to ``end`` inflated, a window of it and at most
    ``INFLATE_PIECE`` bytes of output at a time (zlib builds each piece twice over: a bomb's
    output at once would cost twice the bound); raise ``DocumentRefused`` past ``EMBEDDED_MAX_BYTES``."""
    inflater, pieces, total = zlib.decompressobj(), [], 0
    try:
        for at in range(start, end, WINDOW):
            data = window.read(at, min(WINDOW, end - at))
            while data and not inflater.eof:
                pieces.append(inflater.decompress(data, min(INFLATE_PIECE, EMBEDDED_MAX_BYTES + 1 - total)))
                total += len(pieces[-1])
                if total > EMBEDDED_MAX_BYTES:  # more than any size it may say
                    raise DocumentRefused(f"refused: an embedded object inflating past {EMBEDDED_MAX_BYTES:,} bytes "
                                          "(a zlib bomb?)")
                data = inflater.unconsumed_tail
    except zlib.error:
        raise _corrupt("its compressed data is damaged (zlib.error)", "embedded object") from None
    if not inflater.eof:
        raise _corrupt("its compressed data is cut short", "embedded object")
    return b"".join(pieces)


def _corrupt(what: str, noun: str = ".ppt presentation") -> DocumentRefused:
    return DocumentRefused(f"corrupt {noun}: {what}")
