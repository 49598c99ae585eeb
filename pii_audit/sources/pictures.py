"""Pictures inside documents, read by OCR with --ocr (``images``): the photos of ID cards and bank
cards that staff paste into Word reports, Excel sheets and PowerPoint decks, and the images of a
PDF page that has text of its own (a report exported from Word with such a photo in it).

An Office zip keeps its pictures as parts of their own (``word/media/``, ``xl/media/``,
``ppt/media/``). Each one Pillow reads (PNG, JPEG, GIF, BMP, TIFF, WebP; not the vector EMF, WMF
and SVG of drawings and charts) is read from memory, once however many places show it: a deck's
in the order of the slides that first show it, then the others by name. Its text is located
``{path, part, line, ocr: true}`` (``part`` the picture's; ``slide`` added for a deck's, ``sheet``
and the ``cell`` of its top left corner for a workbook's, ``sheet_pictures``), and
its container is the picture, ``report.docx!word/media/image3.png``, as an embedded workbook's or
an archive's image is: a scan without --ocr leaves the document's text complete, and what OCR
found in a picture open. A PDF's pictures on pages with text are read likewise, each image
object once a PDF (a statement's logo is one object shown on every page), located as a scanned
page's text is, ``{path, page, line, ocr: true}``, their container ``report.pdf!图片``. An RTF's
PNGs and JPEGs (``rtf``: in line with its text, or floating) are ``part`` ``pict1``, ``pict2``...
The pictures of Word, Excel and PowerPoint 97-2003 files are found by ``ole_pictures`` and read
here (``document_picture``).

Read by the main process (a document in an archive, or named as a target, with a pool), a
picture is handed to a worker as a ``images.Deferred`` (``ScanOptions.defer_pictures``).

A picture too small to hold a line of text (``images.too_small``: rules, bullets, icons) is left
out. Without --ocr none is opened: they are counted among the target's images not read. The
limits of an image file hold for each picture (pixels, decoded bytes, the scan's OCR budget, the
time limit): a decompression bomb is one problem line, and the document is read on.
"""

from __future__ import annotations

import functools
import zipfile
from typing import Iterator

from pii_audit.models import Chunk
from pii_audit.sources import ScanOptions, TargetCoverage, one_line_name
from pii_audit.sources.images import (NOT_ASKED, Deferred, ImageRefused, is_image_name, pdf_image, pdf_image_stream,
                                      read_document_picture, tesseract_missing, too_small, unread)
from pii_audit.sources.ooxml import PART_ERRORS, damaged_part, natural_order
from pii_audit.sources.xlsx_book import (MAX_COLUMN, MAX_DIGITS, MAX_ROW, column_letter, decimal, expat_parser,
                                         parse_member, relationships, workbook_part)

# A picture is read whole from memory, as an embedded workbook is (embedded.EMBEDDED_MAX_BYTES);
# a phone's photo is 2-5 MB.
MAX_PICTURE_BYTES = 32 << 20
MAX_ANCHORS = 100_000  # pictures of a drawing given a place; past them, read without one
PDF_PICTURES = "图片"  # the container of a PDF's pictures on pages with text: ``path!图片``


def package_pictures(archive: zipfile.ZipFile, folder: str, target: str, options: ScanOptions,
                     coverage: TargetCoverage, places: dict[str, dict] | None = None) -> Iterator[Chunk]:
    """Yield the text OCR reads in each picture in ``folder`` (``word/media/``) of the Office zip
    ``archive``, the file ``target``; ``places`` adds to a picture's location where the document
    shows it (``{"slide": 3}``), and orders them so. Without --ocr count them as not read."""
    places = places or {}
    # NameToInfo: a zip may name a member twice, and zipfile reads the last of those names.
    found = {name: info for name, info in archive.NameToInfo.items() if name.startswith(folder) and is_image_name(name)}
    if not found:
        return
    missing = NOT_ASKED if not options.ocr else tesseract_missing()
    if missing:
        unread(coverage, missing, len(found))
        return
    shown_first = [name for name in places if name in found]
    for name in shown_first + sorted(set(found) - set(shown_first), key=natural_order):
        yield from _package_picture(archive, found[name], target, options, coverage, places.get(name, {}))


def _package_picture(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: str, options: ScanOptions,
                     coverage: TargetCoverage, where: dict) -> Iterator[Chunk]:
    """Yield the text OCR reads in one picture of an Office zip; record why it is not read."""
    part = one_line_name(info.filename)
    container = f"{target}!{part}"
    if info.file_size > MAX_PICTURE_BYTES:
        coverage.problem(container, f"a picture larger than {MAX_PICTURE_BYTES:,} bytes is not read", container)
        return
    try:
        data = archive.read(info)
    except PART_ERRORS as error:  # a bad CRC, a compression method zipfile does not read
        damaged_part(coverage, target, part, error, "the other parts are read")
        return
    yield from document_picture(data, {"path": target, "part": part, **where}, container, options, coverage)


def document_picture(data: bytes, place: dict, container: str, options: ScanOptions, coverage: TargetCoverage
             ) -> Iterator[Chunk]:
    """Yield the text OCR reads in a picture of a document (``images.read_document_picture``), or,
    in the main process, the picture for a worker to read."""
    if options.defer_pictures:
        yield Deferred(functools.partial(read_document_picture, data, place, container))
        return
    yield from read_document_picture(data, place, container, options, coverage)


def rtf_pictures(pictures: list[bytes], target: str, options: ScanOptions, coverage: TargetCoverage
                 ) -> Iterator[Chunk]:
    """Yield the text OCR reads in the pictures of the RTF ``target`` (``rtf.RtfText.pictures``: the
    PNGs and JPEGs in line with its text), each located with ``part`` ``pict1``, ``pict2``... in
    their order, its container ``target!pict1``."""
    for number in range(len(pictures)):
        data, pictures[number] = pictures[number], b""  # let go once read
        part = f"pict{number + 1}"
        yield from document_picture(data, {"path": target, "part": part}, f"{target}!{part}", options, coverage)


def sheet_pictures(archive: zipfile.ZipFile) -> dict[str, dict]:
    """Return ``{picture: {"sheet": name, "cell": "C3"}}`` of the pictures each sheet of an xlsx
    shows (through its drawing), by the first sheet and anchor that shows it: the cell its top
    left corner is in, where the drawing anchors it to one. Empty when the parts cannot be read:
    the sheets' reader says why, and the pictures are read without their places."""
    places: dict[str, dict] = {}
    try:
        listed, _ = workbook_part(archive, "xl/workbook.xml")
        sheets = relationships(archive, "xl/workbook.xml")
        for name, rel_id in listed:
            for kind, drawing in relationships(archive, sheets.get(rel_id, ("", ""))[1]).values():
                if kind.endswith("/drawing") and drawing in archive.NameToInfo:
                    images = relationships(archive, drawing)
                    for embed, cell in _anchors(archive, drawing):
                        kind, picture = images.get(embed, ("", ""))
                        if kind.endswith("/image"):
                            places.setdefault(picture, {"sheet": name, **({"cell": cell} if cell else {})})
    except PART_ERRORS:
        return {}
    return places


def _anchors(archive: zipfile.ZipFile, drawing: str) -> list[tuple[str, str]]:
    """Return ``(relationship id, cell)`` of each picture a drawing part shows, the cell its
    anchor starts in (``xdr:from``: a column and a row from 0), "" for an absolute anchor."""
    found: list[tuple[str, str]] = []
    where = {"col": "", "row": ""}
    state = {"from": False, "field": ""}

    def start(name: str, attrs: dict) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor"):
            where.update(col="", row="")
        elif local == "from":
            state["from"] = True
        elif state["from"] and local in ("col", "row"):
            state["field"] = local
        elif local == "blip":
            embed = next((value for key, value in attrs.items() if key.endswith("relationships embed")), "")
            column, row = decimal(where["col"]), decimal(where["row"])
            inside = column is not None and row is not None and column <= MAX_COLUMN and row < MAX_ROW
            cell = f"{column_letter(column)}{row + 1}" if inside else ""
            if len(found) < MAX_ANCHORS:
                found.append((embed, cell))

    def end(name: str) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "from":
            state["from"] = False
        state["field"] = ""

    def text(data: str) -> None:
        if state["field"]:
            where[state["field"]] = (where[state["field"]] + data)[:MAX_DIGITS]

    with archive.open(drawing) as member:
        parse_member(expat_parser(start, end, text, drawing), member)
    return found


def pdf_page_pictures(page, number: int, target: str, options: ScanOptions, coverage: TargetCoverage,
                      limits: dict, seen: set) -> Iterator[Chunk]:
    """Yield the text OCR reads in the pictures of page ``number`` of the PDF ``target``, a page
    with text of its own, its lines numbered over the page's pictures; ``seen``: the image objects
    read on the pages before, which are not read again. Inline images (at most 4 KB, the standard
    advises) and ``too_small`` ones are left out. Without --ocr count them as not read."""
    import pypdf

    where = f"{target} page {number}"
    try:
        with pypdf.apply_configuration(**limits):
            names = [name for name in page.images.keys() if _new_picture(page, name, seen)]
    except Exception as error:  # noqa: BLE001 -- hostile bytes make pypdf raise many types
        coverage.problem(where, f"its images cannot be listed ({type(error).__name__})", target)
        return
    missing = (NOT_ASKED if not options.ocr else tesseract_missing()) if names else None
    if missing:
        unread(coverage, missing, len(names))
        return
    container, line = f"{target}!{PDF_PICTURES}", 1
    for name in names:
        try:
            data = pdf_image(page, name, limits)
        except ImageRefused as refused:
            coverage.problem(where, str(refused), container)
            continue
        except Exception as error:  # noqa: BLE001
            coverage.problem(where, f"an unreadable image ({type(error).__name__}): damaged", container)
            continue
        for chunk in read_document_picture(data, {"path": target, "page": number}, container, options, coverage):
            yield Chunk(chunk.text, {**chunk.location, "line": line}, container, multiline=True)
            line += chunk.text.count("\n") + 1


def _new_picture(page, name, seen: set) -> bool:
    """Tell whether an image of a page is a picture to read: an image object not ``seen`` on the
    pages before (it is added to them), and not ``too_small`` by its dictionary."""
    stream = pdf_image_stream(page, name)
    if stream is None:  # inline, in the page's content
        return False
    reference = stream.indirect_reference
    key = (reference.idnum, reference.generation) if reference is not None else id(stream)
    if key in seen:
        return False
    seen.add(key)
    return not too_small(int(stream.get("/Width", 0)), int(stream.get("/Height", 0)))

