"""Documents kept in a table's binary column (a contract's PDF, a signed Word form, a workbook, a
saved e-mail): read as the files they are, each finding placed at the row and column that hold it.

A binary value is taken for a document by its first bytes (``document_name``): a PDF, a zip
(.docx, .xlsx, .pptx or an archive) or an OLE2 file (.doc, .xls, .ppt, .msg); with --ocr, an
image too (a scan of an ID card, a signed form: ``images``). ``db_tables``
selects a value's first ``BINARY_PREFIX`` bytes; a document that fits in them is read from
them at once, a longer one is fetched again by its row's primary key, up to
``MAX_DOCUMENT_BYTES``, once the table's rows are read (MariaDB's streaming cursor allows no
other query while it is open). The reading is an archive member's (``archives.read_member``),
with its limits; what it finds is located ``{url, table, column, row}`` plus the place inside
the document (``page``, ``line``, ``sheet``, ``cell``...), under the column's container, so a
column of contracts is one item of the ledger as a column of text is. What a document's reader
could not read is a problem line of that column, naming the row.

With a pool of workers, the process reading the table hands each document on whole, with its
row's location, for a worker to read (``ScanOptions.defer_documents``, an ``images.Deferred``), as
it hands on the pictures it finds in an archive: a table of contracts' PDFs or scanned ID cards is
read on every core. The scan bounds what waits for the workers (``scan.UNITS_AHEAD`` units a
worker, ``scan.BLOCKS_AHEAD_BYTES`` of them), whatever the table's size. The workers get the
value, never the connection: the database is opened by that one read-only process alone (a worker
opening it again would set up a connection, its read-only transaction and timeouts, for bytes
already fetched).
"""

from __future__ import annotations

import dataclasses
import functools
import io
from typing import Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import OLE2_MAGIC, ZIP_MAGIC, ScanOptions, TargetCoverage
from pii_audit.sources.images import Deferred, image_name, unread

PDF_MAGIC = b"%PDF-"
# What a document's value may hold in memory to be read: what an archive's member may
# (archives.SPREADSHEET_MAX_BYTES); a longer one is a notice.
MAX_DOCUMENT_BYTES = 32 << 20
# Documents longer than the prefix a table may hold, fetched again by key once its rows are read:
# their keys are kept until then. Past this, they are counted in a notice.
MAX_DEFERRED = 10_000
# The parts an Office zip's member names start with (stored as they are, in the local headers
# and the directory), and the streams an OLE2 file names in UTF-16 (MS-CFB), each with the file
# name its reader is chosen by.
_ZIP_KINDS = ((b"word/", "document.docx"), (b"xl/", "workbook.xlsx"), (b"ppt/", "slides.pptx"))
_OLE2_KINDS = (("WordDocument", "document.doc"), ("Workbook", "workbook.xls"), ("Book", "workbook.xls"),
               ("PowerPoint Document", "slides.ppt"), ("__substg1.0_", "message.msg"))


def is_document(head: bytes) -> bool:
    """Tell whether a binary value's first bytes are those of a file ``document_name`` may name.

    >>> is_document(b"%PDF-1.7"), is_document(ZIP_MAGIC + b"x"), is_document(b"\\x89PNG\\r\\n")
    (True, True, False)
    """
    return head.startswith((PDF_MAGIC, ZIP_MAGIC, OLE2_MAGIC))


def document_name(data: bytes) -> str | None:
    """Return the file name a document's reader is chosen by, or None for an OLE2 file of no
    kind read (an embedded drawing).

    >>> document_name(b"%PDF-1.4 ..."), document_name(ZIP_MAGIC + b"..word/document.xml..")
    ('document.pdf', 'document.docx')
    >>> document_name(ZIP_MAGIC + b"..logs/app.log.."), document_name(OLE2_MAGIC + b"x")
    ('archive.zip', None)
    >>> document_name(b"\\xff\\xd8\\xff\\xe0..JFIF")
    'image.jpg'
    """
    if data.startswith(PDF_MAGIC):
        return "document.pdf"
    if image_name(data):  # a scan or photo, read by OCR (``db_tables`` sends one only with --ocr)
        return image_name(data)
    if data.startswith(ZIP_MAGIC):
        return next((name for part, name in _ZIP_KINDS if part in data), "archive.zip")
    if data.startswith(OLE2_MAGIC):
        return next((name for stream, name in _OLE2_KINDS if stream.encode("utf-16-le") in data), None)
    return None


def read_stored_document(data: bytes, where: str, place: dict, container: str, context: tuple[str, ...],
                         options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the text of a document stored in a table as chunks located at ``place`` (the row's
    location) under ``container`` (the column's); record in ``coverage`` what could not be read,
    as problems of ``container`` at ``where`` (the column and row, as shown). With
    ``options.defer_documents`` (the process reading the table, with a pool) yield instead the
    document for a worker to read so."""
    from pii_audit.sources.archives import read_member

    name = document_name(data)
    if name is None:
        coverage.notice(where, "an OLE2 value of no kind read (not a .doc, .xls, .ppt or .msg)", container)
        return
    if options.defer_documents:
        yield Deferred(functools.partial(read_stored_document, data, where, place, container, context))
        return
    inner = TargetCoverage(coverage.target)  # its containers are the document's, not the table's
    # Its pictures are read with it, where it is read: their text is located at the row below.
    options = dataclasses.replace(options, defer_pictures=False)
    for item in read_member(name, io.BufferedReader(io.BytesIO(data)), options, inner, 1):
        for chunk in item.chunks() if isinstance(item, Cells) else (item,):
            yield Chunk(chunk.text, _located(place, name, chunk.location), container,
                        context + chunk.context, chunk.multiline, chunk.utf8)
    for problem in inner.problems:
        coverage.problem(where, _inside(name, problem.where, problem.reason), container)
    for notice in inner.notices:
        coverage.notice(where, _inside(name, notice.where, notice.reason), container)
    for reason, count in inner.images_unread.items():  # said once for the whole target
        unread(coverage, reason, count)


def _located(place: dict, name: str, inner: dict) -> dict:
    """Return the row's location with the place inside the document: a member's or part's name
    (``part``), then its page, line, sheet or cell.

    >>> _located({"table": "t", "row": {"id": 1}}, "document.pdf", {"path": "document.pdf", "page": 2, "line": 3})
    {'table': 't', 'row': {'id': 1}, 'page': 2, 'line': 3}
    >>> _located({"row": 1}, "a.zip", {"path": "a.zip!b.log", "line": 1})
    {'row': 1, 'part': 'b.log', 'line': 1}
    """
    located = dict(place)
    path = inner.get("path", name)
    if path != name:
        located["part"] = path[len(name) + 1:] if path.startswith(name + "!") else path
    located.update((key, value) for key, value in inner.items() if key != "path")
    return located


def _inside(name: str, where: str, reason: str) -> str:
    """Return a document's problem as one reason for the row: its part, if any, then why."""
    part = where[len(name) + 1:] if where.startswith(name + "!") else ""
    kind = "image" if name.startswith("image.") else "document"
    return f"the stored {name.rsplit('.', 1)[-1]} {kind}" + (f", {part}" if part else "") + f": {reason}"
