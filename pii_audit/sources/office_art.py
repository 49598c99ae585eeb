"""OfficeArt records ([MS-ODRAW]) of the Office 97-2003 files: where the bytes of their pictures lie.

Word, Excel and PowerPoint 97-2003 keep a picture as an OfficeArtBlip record: a header of 8 bytes
(version and instance in 2, type in 2, length in 4), one 16-byte id (the image's MD4), a second
when the instance is odd, and for a bitmap a tag byte, then the image as it was pasted: a JPEG,
PNG or TIFF file, or a DIB (a BMP without its file header, which Pillow reads as "DIB"). A
metafile (EMF, WMF, PICT) is a drawing, vector commands deflated: it is left out, as a .docx's EMF
is. Where those records lie differs by format:

- a .ppt's Pictures stream is a run of them (``stream_blips``);
- a .doc's Data stream holds each picture in line with the text inside a PICF structure, at an
  offset only that character's properties give: the records are found by their headers
  (``scanned_blips``), each checked by its type, instance and first bytes of its image;
- a BLIP store (OfficeArtBStoreContainer, in a drawing group: a .doc's table stream, an .xls's
  MsoDrawingGroup records) lists the pictures shapes show, by number (``pib``, from 1), each an
  FBSE record holding its BLIP or naming where it lies in the "delay stream" (a .doc's
  WordDocument stream; ``store_blips``);
- an .xls sheet's drawing (its MsoDrawing records) holds its shapes, each naming its picture by
  that number and anchored to a cell (``sheet_anchors``).

The file is untrusted (SECURITY.md item 7): every length is checked against what holds it, a
record running past it raises ``ArtDamaged`` (one line, naming no content), and the records
walked are capped (``MAX_RECORDS``).
"""

from __future__ import annotations

import bisect
import re
import struct
from typing import Iterator, NamedTuple, Protocol

# OfficeArtBlip record types and the instances [MS-ODRAW] 2.2.23 gives each (an odd one: two ids).
METAFILES = {0xF01A: (0x3D4, 0x3D5), 0xF01B: (0x216, 0x217), 0xF01C: (0x542, 0x543)}  # EMF, WMF, PICT
BITMAPS = {0xF01D: (0x46A, 0x46B, 0x6E2, 0x6E3), 0xF01E: (0x6E0, 0x6E1), 0xF01F: (0x7A8, 0x7A9),
           0xF029: (0x6E4, 0x6E5), 0xF02A: (0x6E2, 0x6E3)}  # JPEG, PNG, DIB, TIFF, JPEG in CMYK
DGG_CONTAINER, BSTORE, FBSE, SP_CONTAINER, FOPT, CLIENT_ANCHOR = 0xF000, 0xF001, 0xF007, 0xF004, 0xF00B, 0xF010
PIB = 0x0104  # the FOPT property naming a shape's picture in the store
FBSE_BYTES = 36  # an FBSE's fields before its name and its BLIP
MAX_RECORDS = 1_000_000  # records walked in one drawing (Office writes a few per shape), headers checked in a stream
BLOCK = 1 << 20  # bytes of a stream searched at a time (``scanned_blips``)
# Each bitmap's first bytes: JPEG, PNG, TIFF (either byte order); a DIB's header size (BITMAPCOREHEADER
# to BITMAPV5HEADER) is checked apart.
_STARTS = {0xF01D: (b"\xff\xd8",), 0xF02A: (b"\xff\xd8",), 0xF01E: (b"\x89PNG",), 0xF029: (b"II*\x00", b"MM\x00*")}
_DIB_HEADERS = (12, 40, 52, 56, 64, 108, 124)
# The 4 first bytes of a bitmap record's header, every version and instance it may have.
_BITMAP_HEADS = re.compile(b"|".join(re.escape(struct.pack("<HH", instance << 4, kind))
                                     for kind, instances in BITMAPS.items() for instance in instances))


class ArtDamaged(Exception):
    """A drawing's records are damaged: one runs past what holds it. The message names no content."""


class Readable(Protocol):
    """A stream read at an offset: ``ole2.Stream``, ``Joined``."""

    size: int

    def read(self, offset: int, count: int) -> bytes: ...


class Blip(NamedTuple):
    """Where a bitmap's image lies in its stream, and its id (the same picture stored twice has the same)."""

    offset: int
    size: int
    uid: bytes


def blip_at(stream: Readable, at: int, end: int) -> Blip | None:
    """Return the image of the OfficeArtBlip record at ``at`` (which ends by ``end``), None for a
    metafile or a record of another type; raise ``ArtDamaged`` for one running past ``end``."""
    head = stream.read(at, 8 + 16)
    if len(head) < 8:
        raise ArtDamaged("a picture's record is cut short")
    version, kind, length = struct.unpack_from("<HHI", head)
    if kind not in BITMAPS and kind not in METAFILES:
        return None
    if at + 8 + length > end:
        raise ArtDamaged("a picture's record runs past its end")
    skip = 16 * (2 if (version >> 4) & 1 else 1) + 1  # one id, or two, then a tag
    if kind not in BITMAPS or length <= skip:
        return None
    return Blip(at + 8 + skip, length - skip, head[8:24])


def stream_blips(stream: Readable) -> Iterator[Blip]:
    """Yield the bitmaps of a stream that is a run of OfficeArtBlip records (a .ppt's Pictures);
    raise ``ArtDamaged`` at a record that runs past the stream's end."""
    at = 0
    while at + 8 <= stream.size:
        length = struct.unpack("<I", stream.read(at + 4, 4))[0]
        if at + 8 + length > stream.size:
            raise ArtDamaged("a record runs past the stream's end")
        blip = blip_at(stream, at, stream.size)
        if blip is not None:
            yield blip
        at += 8 + length


def scanned_blips(stream: Readable) -> Iterator[Blip]:
    """Yield the bitmaps among a stream's bytes (a .doc's Data stream), found by their records'
    headers: a type, an instance it may have, a length within the stream, and an image that
    starts as its format does; each is skipped whole, so nothing inside an image is taken for one.
    Raise ``ArtDamaged`` for such a record that runs past the stream's end, and past
    ``MAX_RECORDS`` look-alike headers (a hostile stream: each is read to be checked)."""
    at, checked = 0, 0
    while at + 8 <= stream.size:
        block, within = stream.read(at, BLOCK), 0
        while (match := _BITMAP_HEADS.search(block, within)) is not None:
            checked += 1
            if checked > MAX_RECORDS:
                raise ArtDamaged(f"over {MAX_RECORDS:,} headers of pictures' records to check")
            blip = _checked(stream, at + match.start())
            if blip is None:
                within = match.start() + 1
                continue
            yield blip
            within = blip.offset + blip.size - at  # past the block when the image runs on
        # The next block starts past the last image, or 7 bytes before this block's end: a header
        # cut by its end is found whole there.
        at += max(1, within, len(block) - 7)


def _checked(stream: Readable, at: int) -> Blip | None:
    """Return the bitmap whose record's header ``scanned_blips`` found at ``at``, or None when
    what follows is no such image (bytes that look like a header by chance)."""
    head = stream.read(at, 8)
    if len(head) < 8:  # at the stream's end
        return None
    version, kind, length = struct.unpack("<HHI", head)
    skip = 16 * (2 if (version >> 4) & 1 else 1) + 1
    start = stream.read(at + 8 + skip, 4)
    if len(start) < 4 or length <= skip + 4:
        return None
    if kind == 0xF01F:
        if struct.unpack("<I", start)[0] not in _DIB_HEADERS:
            return None
    elif not start.startswith(_STARTS[kind]):
        return None
    if at + 8 + length > stream.size:
        raise ArtDamaged("a picture's record runs past the stream's end")
    return Blip(at + 8 + skip, length - skip, stream.read(at + 8, 16))


def store_blips(stream: Readable, start: int, end: int, delay: Readable | None = None
                ) -> Iterator[tuple[int, Readable, Blip]]:
    """Yield ``(number, stream, blip)`` of each bitmap of the BLIP store in the drawing group
    (OfficeArtDggContainer) at ``start`` in ``stream``, ``number`` its place in the store from 1,
    ``stream`` the one holding it: ``stream`` when its FBSE holds it, ``delay`` when it names its
    offset there. Raise ``ArtDamaged`` where a record runs past what holds it."""
    records = _records(stream, start, end)
    group = next(records, None)
    if group is None or group[0] != DGG_CONTAINER:
        raise ArtDamaged("no drawing group where its header says")
    store = next((r for r in _records(stream, group[1], group[2]) if r[0] == BSTORE), None)
    if store is None:
        return
    for number, (kind, body, stop) in enumerate(_records(stream, store[1], store[2]), 1):
        if kind == FBSE:
            found = _fbse_blip(stream, body, stop, delay)
        else:  # a BLIP stored directly in the store, as the format allows
            found = (stream, blip_at(stream, body - 8, stop))
        if found is not None and found[1] is not None:
            yield number, found[0], found[1]


def _fbse_blip(stream: Readable, body: int, stop: int, delay: Readable | None) -> tuple[Readable, Blip | None] | None:
    """Return the stream and the bitmap of an FBSE record whose fields start at ``body``: the BLIP
    after its name, else the one at its ``foDelay`` in ``delay``; None when it holds neither."""
    fields = stream.read(body, FBSE_BYTES)
    if len(fields) < FBSE_BYTES or body + FBSE_BYTES > stop:
        raise ArtDamaged("a picture's entry in the store is cut short")
    # btWin32, btMacOS, rgbUid (16), tag (2), then the BLIP's size, cRef, foDelay; a name's bytes at 33.
    size, _, delay_offset = struct.unpack_from("<III", fields, 20)
    embedded = body + FBSE_BYTES + fields[33]
    if embedded + 8 <= stop:
        return stream, blip_at(stream, embedded, stop)
    if delay is None or size == 0 or delay_offset == 0xFFFFFFFF or delay_offset + 8 > delay.size:
        return None
    blip = blip_at(delay, delay_offset, delay.size)
    if blip is None and struct.unpack("<H", delay.read(delay_offset + 2, 2))[0] not in METAFILES:
        raise ArtDamaged("a picture of the store is not where its entry says")
    return delay, blip


def sheet_anchors(drawing: bytes) -> dict[int, tuple[int, int]]:
    """Return ``{picture number: (column, row)}`` (from 0) of the pictures an .xls sheet's drawing
    (its MsoDrawing records' data joined) shows: the cell of a shape's top left corner, the
    first shape's for a picture shown twice. Damaged records end the walk with what was found."""
    found: dict[int, tuple[int, int]] = {}
    pending, walked = [(0, len(drawing))], 0
    while pending:
        start, end = pending.pop()
        at = start
        while at + 8 <= end and walked < MAX_RECORDS:
            version, kind, length = struct.unpack_from("<HHI", drawing, at)
            stop = min(at + 8 + length, end)
            walked += 1
            if kind == SP_CONTAINER:
                _shape(drawing, at + 8, stop, found)
            elif version & 0xF == 0xF:  # a container: its records are walked after this level
                pending.append((at + 8, stop))
            at = stop
    return found


def _shape(drawing: bytes, start: int, end: int, found: dict[int, tuple[int, int]]) -> None:
    """Add the picture a shape container shows (FOPT's ``pib``) at its anchor's top left cell."""
    picture, cell, at = None, None, start
    while at + 8 <= end:
        version, kind, length = struct.unpack_from("<HHI", drawing, at)
        body, stop = at + 8, min(at + 8 + length, end)
        if kind == FOPT:
            for k in range(min(version >> 4, (stop - body) // 6)):  # 6 bytes a property: its id, its value
                pid, value = struct.unpack_from("<HI", drawing, body + 6 * k)
                if pid & 0x3FFF == PIB:
                    picture = value
        elif kind == CLIENT_ANCHOR and stop - body >= 10:  # flags, then the first column and row
            column, _, row = struct.unpack_from("<HHH", drawing, body + 2)
            cell = (column, row)
        at = stop
    if picture is not None and cell is not None:
        found.setdefault(picture, cell)


def _records(stream: Readable, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """Yield ``(type, body, end)`` of each record between ``start`` and ``end``, one level deep;
    raise ``ArtDamaged`` for one running past ``end``."""
    at, walked = start, 0
    while at + 8 <= end and walked < MAX_RECORDS:
        head = stream.read(at, 8)
        if len(head) < 8:
            raise ArtDamaged("a drawing's record is cut short")
        _, kind, length = struct.unpack("<HHI", head)
        if at + 8 + length > end:
            raise ArtDamaged("a drawing's record runs past what holds it")
        yield kind, at + 8, at + 8 + length
        at += 8 + length
        walked += 1


class Joined:
    """Parts of a stream read as one (``Readable``): an .xls's MsoDrawingGroup record and the
    Continue records after it, whose data make one drawing group."""

    def __init__(self, stream: Readable, parts: list[tuple[int, int]]):
        self.stream, self.parts = stream, parts  # (offset in ``stream``, size) of each, in order
        self.starts, total = [], 0
        for _, size in parts:
            self.starts.append(total)
            total += size
        self.size = total

    def read(self, offset: int, count: int) -> bytes:
        """Return up to ``count`` bytes from ``offset`` (fewer at the end)."""
        out, count = [], min(count, self.size - offset)
        while count > 0:
            k = bisect.bisect_right(self.starts, offset) - 1
            within = offset - self.starts[k]
            run = min(count, self.parts[k][1] - within)
            out.append(self.stream.read(self.parts[k][0] + within, run))
            offset, count = offset + run, count - run
        return b"".join(out)
