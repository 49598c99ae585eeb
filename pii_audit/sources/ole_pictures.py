"""Pictures in Word, Excel and PowerPoint 97-2003 files, read by OCR with --ocr (``pictures``).

A .doc, .xls or .ppt keeps each picture as an OfficeArt record holding the image file pasted
(``office_art``): the 身份证复印件 scanned and pasted into a credit report or a customer sheet.
What is read, each bitmap (JPEG, PNG, DIB, TIFF) once a file, by its id and size, however many
records or shapes hold it; metafiles (EMF, WMF, PICT: drawings) are left out:

- a Word document's pictures in line with the text, in its Data stream, located with ``part``
  ``Data#picture1``, ``Data#picture2``... in the stream's order; then its floating pictures, those
  of its BLIP store (in its table stream's drawings), each held in the WordDocument stream or in
  the store: ``WordDocument#picture3``, the number its place in the store;
- an Excel workbook's BLIP store (its MsoDrawingGroup records, with their Continue records):
  ``Workbook#picture1``..., the number its place in the store, with the ``sheet`` and the ``cell``
  of its top left corner of the first sheet whose drawing shows it (a sheet's drawing of more than
  ``MAX_SHEET_DRAWING`` bytes is not looked into: its pictures have no place);
- a PowerPoint presentation's Pictures stream: ``Pictures/1``... in their order.

The container of a picture's text is ``target!part``, as a .docx's picture is. Without --ocr they
are counted, not read. A damaged drawing (a record running past what holds it) is one problem
line; the pictures found before it are read, and so is the rest of the document. A picture over
``pictures.MAX_PICTURE_BYTES`` is a problem line; the limits of ``images`` hold for each one read.
"""

from __future__ import annotations

import itertools
import struct
from typing import TYPE_CHECKING, BinaryIO, Iterator

from pii_audit.models import Chunk
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources.images import NOT_ASKED, tesseract_missing, unread
from pii_audit.sources.office_art import ArtDamaged, Blip, Joined, Readable, scanned_blips, sheet_anchors, \
    store_blips, stream_blips
from pii_audit.sources.ole2 import CompoundFile
from pii_audit.sources.ooxml import DocumentRefused
from pii_audit.sources.pictures import MAX_PICTURE_BYTES, document_picture
from pii_audit.sources.xls_stream import drawing_parts, sheet_drawing
from pii_audit.sources.xlsx_book import SheetError, column_letter
from pii_audit.sources.xlsx_guard import WorkbookRefused

if TYPE_CHECKING:  # word97 imports this module
    from pii_audit.sources.word97 import PictureStreams

MAX_PICTURES = 10_000  # of one file, whose places are held at once
MAX_SHEET_DRAWING = 16 << 20  # bytes of a sheet's drawing held to find where its pictures are
# What a file's damaged streams raise as they are opened or read: the text's reader said so already.
_REFUSED = (WorkbookRefused, DocumentRefused, SheetError, struct.error)
_Found = tuple[str, Readable, Blip]  # a picture's part ("Data#picture1"), its stream, its record


def word97_pictures(streams: PictureStreams, target: str, options: ScanOptions, coverage: TargetCoverage
                    ) -> Iterator[Chunk]:
    """Yield the text OCR reads in the pictures of a Word 97-2003 document, whose ``streams``
    hold them (``word97.PictureStreams``): those in line with its text, then its floating ones.
    Without --ocr count them."""
    found: list[_Found] = []
    if streams.data is not None:
        listed = _listed(scanned_blips(streams.data), f"{target}!Data", target, coverage)
        found += [(f"Data#picture{number}", streams.data, blip) for number, blip in enumerate(listed, 1)]
    offset, size = streams.drawings
    if size:
        stored = _listed(store_blips(streams.table, offset, offset + size, streams.document), f"{target}!drawings",
                         target, coverage)
        for number, stream, blip in stored:  # held in the WordDocument stream (the delay stream), or in the store
            name = "WordDocument" if stream is streams.document else streams.table_name
            found.append((f"{name}#picture{number}", stream, blip))
    yield from _read(_once(found), {}, target, options, coverage)


def xls_pictures(compound: CompoundFile, target: str, options: ScanOptions, coverage: TargetCoverage,
                 folder: str = "") -> Iterator[Chunk]:
    """Yield the text OCR reads in the pictures of the Excel 97-2003 workbook in ``compound`` (in
    its storage ``folder``, for one embedded in another file): those of its BLIP store, each with
    the sheet and cell where a sheet's drawing shows it. Without --ocr count them."""
    try:
        _, stream = compound.open(("Workbook", "Book"), folder)
        sheets, parts = drawing_parts(stream)
    except _REFUSED:
        return
    if not parts:
        return
    group = Joined(stream, parts)
    stored = _listed(store_blips(group, 0, group.size), f"{target}!drawings", target, coverage)
    found = _once([(f"Workbook#picture{number}", source, blip) for number, source, blip in stored])
    # Where they are shown costs a second read of the sheets' records: only for pictures read.
    wanted = options.ocr and found and not tesseract_missing()
    places = _sheet_places(stream, sheets) if wanted else {}
    yield from _read(found, places, target, options, coverage)


def _sheet_places(stream: Readable, sheets: list[tuple[str, int, int]]) -> dict[str, dict]:
    """Return ``{part: {"sheet": name, "cell": "C3"}}`` of each picture a sheet's drawing shows, by
    the first sheet showing it."""
    places: dict[str, dict] = {}
    for name, offset, end in sheets:
        for number, (column, row) in sheet_anchors(sheet_drawing(stream, offset, end, MAX_SHEET_DRAWING)).items():
            places.setdefault(f"Workbook#picture{number}", {"sheet": name, "cell": f"{column_letter(column)}{row + 1}"})
    return places


def ppt97_pictures(handle: BinaryIO, target: str, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the text OCR reads in the pictures of a PowerPoint 97-2003 presentation (its OLE2 file
    read by ``handle``): the bitmaps of its Pictures stream. Without --ocr count them."""
    try:
        handle.seek(0)
        compound = CompoundFile(handle)
        entry = compound.find("Pictures")
        stream = None if entry is None else compound.stream(*entry)
    except _REFUSED:
        return
    if stream is None:
        return
    listed = _listed(stream_blips(stream), f"{target}!Pictures", target, coverage)
    found = [(f"Pictures/{number}", stream, blip) for number, blip in enumerate(listed, 1)]
    yield from _read(found, {}, target, options, coverage)


def _listed(blips: Iterator, where: str, target: str, coverage: TargetCoverage) -> list:
    """Return what ``blips`` yields, up to ``MAX_PICTURES`` (a notice past them); a damaged record
    is a problem line of ``where``, and what came before it is kept."""
    found: list = []
    try:
        for blip in itertools.islice(blips, MAX_PICTURES + 1):
            found.append(blip)
    except ArtDamaged as error:
        coverage.problem(where, f"damaged ({error}): the pictures after it are not read", target)
    except _REFUSED:  # a sector chain the stream's reader refuses: the file's text said so
        coverage.problem(where, "damaged: its pictures are not read", target)
    if len(found) > MAX_PICTURES:
        coverage.notice(target, f"over {MAX_PICTURES:,} pictures: the first {MAX_PICTURES:,} read")
        del found[MAX_PICTURES:]
    return found


def _once(found: list[_Found]) -> list[_Found]:
    """Return ``found`` without the pictures held again (the same id and size) by a later record."""
    seen: set[tuple[bytes, int]] = set()
    kept = []
    for item in found:
        key = (item[2].uid, item[2].size)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _read(found: list[_Found], places: dict[str, dict], target: str, options: ScanOptions,
          coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the text OCR reads in each picture ``found``, located with its part and its place in
    ``places``; without --ocr (or tesseract) count them as not read."""
    missing = (NOT_ASKED if not options.ocr else tesseract_missing()) if found else None
    if missing:
        unread(coverage, missing, len(found))
        return
    for part, stream, blip in found:
        container = f"{target}!{part}"
        if blip.size > MAX_PICTURE_BYTES:
            coverage.problem(container, f"a picture larger than {MAX_PICTURE_BYTES:,} bytes is not read", container)
            continue
        place = {"path": target, "part": part, **places.get(part, {})}
        yield from document_picture(stream.read(blip.offset, blip.size), place, container, options, coverage)
