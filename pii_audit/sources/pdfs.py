"""PDF files: the text of every page, line by line, scanned as a log's lines are.

Banks keep statements (对账单), electronic receipts (电子回单) and contracts as PDFs written by
their own systems, with a text layer that holds card and ID numbers. Read as a file, a PDF is
binary and was skipped. pypdf extracts each page's text (a well-kept pure-Python reader; it maps
the Chinese fonts' codes to characters through their ToUnicode maps and Adobe's GB CMaps); each
page is one chunk, located ``{path, page, line, start, end}``, its lines numbered from 1. The
container is the file.

A page with no text of its own (a scan) holds images: with ``--ocr`` their text is read
(``images.read_pdf_images``), located ``{path, page, line, ocr: true}``; without, they are counted
among the target's images not read. A page with text may hold pictures too (a photo of an ID card
in a report exported from Word): with ``--ocr`` they are read after its text (``pictures``), each
image once a PDF, those too small to hold a line of text left out. What is not read, each said once: a PDF with neither text nor
images (a notice), a password-protected PDF and a damaged one (a problem line). pypdf is given
lower limits than its own on what one stream may inflate to, so that a hostile file stays within
the scan's memory bound in every worker.
"""

from __future__ import annotations

import logging
from typing import BinaryIO, Iterator

from pii_audit.models import Chunk
from pii_audit.sources import ContainerCoverage, ScanOptions, TargetCoverage, opened_file
from pii_audit.sources.damage import unreadable
from pii_audit.sources.images import read_pdf_images
from pii_audit.sources.pictures import pdf_page_pictures

PDF_MAGIC = b"%PDF-"
# What one stream may inflate to, and a page's content be parsed for: a page of a statement is a
# few KB of content; pypdf's own limits (75 MB a stream) would let four workers pass 300 MB.
STREAM_BYTES = 16 << 20
_LIMITS = {name: STREAM_BYTES for name in (
    "maximum_declared_stream_length", "array_based_stream_maximum_output_length", "zlib_maximum_output_length",
    "lzw_maximum_output_length", "run_length_maximum_output_length", "brotli_maximum_output_length",
    "jbig2_maximum_output_length", "image_maximum_buffer_size")}
# pypdf decodes a JBIG2 image (scanners' black and white pages) by writing it to a temporary file for
# the jbig2dec program: never here (``images.read_pdf_images`` says such an image is not read).
_LIMITS["jbig2dec_binary"] = None


def read_pdf(target: str, options: ScanOptions, coverage: TargetCoverage, data: bytes | None = None
             ) -> Iterator[Chunk]:
    """Yield the text of each page of the PDF ``target``, a chunk a page.

    ``data`` holds the file's bytes when it is no file of its own (a member of an archive)."""
    coverage.files += 1
    container = coverage.container(target, "lines")
    try:
        handle, size = opened_file(target, data, coverage, container)
        with handle:
            if size == 0:
                coverage.notice(target, "empty file: nothing to read")
                return
            if handle.read(len(PDF_MAGIC)) != PDF_MAGIC:
                coverage.problem(target, "not a PDF: no %PDF- signature (is the extension wrong?)", target)
                return
            handle.seek(0)
            yield from _pages(target, handle, options, coverage, container)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}", target)


def _pages(target: str, handle: BinaryIO, options: ScanOptions, coverage: TargetCoverage,
           container: ContainerCoverage) -> Iterator[Chunk]:
    """Yield each page's text and the text OCR reads in its pictures (``pictures``), or the text
    OCR reads in the images of a page that has none; record a page or a whole file that cannot be read."""
    import pypdf  # here, not at the top: a scan imports pypdf only where there is a PDF

    damage_before = _PYPDF_DAMAGE.count
    try:
        with pypdf.apply_configuration(**_LIMITS):
            reader = pypdf.PdfReader(handle, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                coverage.problem(target, "a password-protected PDF: not read", target)
                return
            pages = len(reader.pages)
    except Exception as error:  # noqa: BLE001 -- hostile bytes make pypdf raise many types: the type only
        coverage.problem(target, unreadable(error, "PDF"), target)
        return
    if not pages:  # every PDF a program writes has a page: a damaged /Type /Pages hid them all
        coverage.problem(target, "no page found in its page tree (a damaged PDF?): nothing read", target)
        return
    texts = pictures = 0
    problems = len(coverage.problems)
    seen: set = set()  # the image objects of pages with text read so far: a logo on every page is read once
    for number in range(pages):
        try:
            with pypdf.apply_configuration(**_LIMITS):
                text = reader.pages[number].extract_text() or ""
        except Exception as error:  # noqa: BLE001
            coverage.problem(target, f"page {number + 1}: {unreadable(error, 'PDF page')}", target)
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text.strip():
            texts += 1
            container.units += text.count("\n") + 1
            yield Chunk(text, {"path": target, "page": number + 1, "line": 1}, target, multiline=True)
            yield from pdf_page_pictures(reader.pages[number], number + 1, target, options, coverage, _LIMITS, seen)
            continue
        pictures += yield from read_pdf_images(reader.pages[number], number + 1, target, options, coverage,
                                               container, _LIMITS)
    damage = _PYPDF_DAMAGE.count - damage_before
    if damage:
        coverage.problem(target, f"damaged PDF: read on past {damage:,} damaged object(s) or stream(s); what they "
                                 "held may be missing or garbled", target)
    elif pages and not texts and not pictures and len(coverage.problems) == problems:  # no page failed either
        coverage.notice(target, f"no text and no image in its {pages} page(s): nothing to read")


# pypdf reads on past damage (strict=False) and tells of it only in its log: a dictionary it could
# not parse (a font's, whose text then came out garbled), a content stream that does not inflate,
# a page whose contents are no stream, an object referred to that is not there. Each cost text
# without a word: of 400 randomly damaged copies of a two-page statement (``bench/damage.py``),
# 102 lost a value so; 5 still do, with a page tree of no page told too (damage that leaves what
# parses: a page's /Contents or parent reference). These
# records, told by their logger and the start of their message (a template, or zlib's own words:
# never the file's bytes), count as damage; the rest (an xref repaired, a key defined twice, an
# encoding not supported) do not.
_DAMAGE = {
    "pypdf.generic._data_structures": ("%(exception)s", "%(exception)r", "Stream length not defined"),
    "pypdf.filters": ("Error ",),
    "pypdf._page": ("Page contents are not a stream or an array",),
    "pypdf._reader": ("Object %(idnum)d %(generation)d not defined",),
}


class _DamageCount(logging.Handler):
    """Count pypdf's log records that tell of damage (``_DAMAGE``); format none (they quote the file)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count ``record`` when its logger and message say damage."""
        if isinstance(record.msg, str) and record.msg.startswith(_DAMAGE.get(record.name, ())):
            self.count += 1


# pypdf logs every oddity of a damaged file (a wrong xref offset, an unknown encoding) as a
# warning or an error, quoting names read from the file unmasked (a font's encoding, say): a
# folder of PDFs flooded stderr, and a hostile file could have it print what it holds. Its log
# goes to the damage count alone, never further up: its exceptions are what the scan reports,
# masked, and its damage one line that quotes nothing.
_PYPDF_DAMAGE = _DamageCount()
logging.getLogger("pypdf").setLevel(logging.WARNING)
logging.getLogger("pypdf").propagate = False
logging.getLogger("pypdf").addHandler(_PYPDF_DAMAGE)
