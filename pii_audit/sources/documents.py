"""Word documents (.docx, .docm): the text of every paragraph, one line each, scanned as a log is.

A Word 97-2003 document (.doc, .dot, .wps; an OLE2 file) is read by ``word97``, from here; one
that is RTF by ``rtf``.

Customer details live in Word as well as in Excel: credit reports (授信调查报告), account-opening
forms, complaint letters. Read as a file, a .docx is a zip, binary, and was skipped, so a folder
of them came out clean. A .docx holds XML parts: a paragraph (``w:p``) holds runs of text
(``w:t``); tables, text boxes, headers, footers, footnotes, endnotes and comments hold paragraphs
of their own. Each paragraph is read as one line, numbered from 1 in each part, and located
``{path, line, start, end}`` in the body, with ``part`` added elsewhere (``word/header1.xml``).
The container is the file, as a log's stream is; a workbook embedded in the document (an Excel
table pasted as an object) is read as a spreadsheet inside an archive is (``embedded``). Text deleted with track
changes on (``w:delText``) is still in the file, so it is read; the copy of a text box kept for
old Word versions (``mc:Fallback``) is not, as it repeats the box. A picture's or shape's alt text
(``wp:docPr`` ``descr`` and ``title``) is a line before the paragraph holding it. With --ocr its
pictures (word/media/) are read last (``pictures``), each a container of its own. After the parts, the document's
properties (title, subject, comments, keywords, custom properties) are read (``properties``),
located ``{path, part: "docProps/core.xml", line, property}``; a .doc's, its OLE2 property sets, after
its text (``ole_properties``), located ``{path, part: "SummaryInformation", line, property}``.

Read-only from the zip, nothing extracted; memory holds a block of XML and one chunk's lines.
The zip's checks, the paragraphs' parsing and the problem lines are ``ooxml``'s, shared with
``presentations``.
A zip bomb, an encrypted or damaged document is one problem line; so is a damaged part (bad XML,
a DTD, a paragraph over the cap, a bad CRC), and the other parts are read, as a presentation's.
"""

from __future__ import annotations

import functools
import re
import zipfile
from typing import BinaryIO, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ContainerCoverage, ScanOptions, TargetCoverage
from pii_audit.sources.embedded import embedded_files
from pii_audit.sources.ole_properties import ole_property_chunks
from pii_audit.sources.pictures import package_pictures
from pii_audit.sources.properties import property_chunks
from pii_audit.sources.ooxml import (DocumentRefused, Markup, counted, opened_package, read_office_file,
                                     read_part)
from pii_audit.sources.xlsx_guard import OLE2_MAGIC

__all__ = ["DocumentRefused", "read_document"]  # word97 raises DocumentRefused, imported from here

BODY = "word/document.xml"
# The parts that hold paragraphs, after the body: a glossary (building blocks) holds text too.
_PARTS = re.compile(r"word/(?:glossary/)?(?:document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "
WORDPROCESSING = Markup(
    paragraphs=frozenset({_W + "p"}),
    texts=frozenset({_W + "t", _W + "delText"}),
    # What stands for a character of its own inside a paragraph's runs.
    signs={_W + "tab": "\t", _W + "br": " ", _W + "cr": " ", _W + "noBreakHyphen": "-"},
    table=frozenset({_W + "tbl"}), row=frozenset({_W + "tr"}), cell=frozenset({_W + "tc"}),
    span=frozenset({_W + "gridSpan"}), span_value=_W + "val", merge=frozenset({_W + "vMerge"}), merge_value=_W + "val",
    # A drawing's (picture, shape, chart) properties: Word keeps its alt text there.
    labels=frozenset(f"{ns} docPr" for ns in ("http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
                                               "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing")))


def read_document(target: str, options: ScanOptions, coverage: TargetCoverage,
                  data: bytes | None = None) -> Iterator[Chunk | Cells]:
    """Yield the paragraphs of the .docx ``target`` as chunks of lines, part after part, then its
    document properties (``properties``), then what the workbooks and documents embedded in it hold (``embedded``),
    then the text OCR reads in its pictures with --ocr (``pictures``).

    ``data`` holds the file's bytes when it is no file of its own (a member of an archive)."""
    items = functools.partial(_items, target, options, coverage)
    return read_office_file(target, data, coverage, "document", "Word document", items)


def _items(target: str, options: ScanOptions, coverage: TargetCoverage, handle: BinaryIO,
           container: ContainerCoverage) -> Iterator[Chunk | Cells]:
    """Yield what a Word document holds: a Word 97-2003 one's (an OLE2 file) or a .docx's parts."""
    if handle.read(len(OLE2_MAGIC)) == OLE2_MAGIC:
        from pii_audit.sources.word97 import paragraph_chunks, stored_items  # they import DocumentRefused

        handle.seek(0)
        yield from counted(paragraph_chunks(handle, target), container)
        yield from ole_property_chunks(handle, target, coverage)
        yield from stored_items(handle, target, options, coverage)
        return
    handle.seek(0)
    with opened_package(handle, BODY, ".docx document",
                        lambda why: coverage.problem(target, why, target)) as archive:
        for part in _parts(archive):
            location = {"path": target} if part == BODY else {"path": target, "part": part}
            yield from read_part(archive, part, location, WORDPROCESSING, coverage, container)
        yield from property_chunks(archive, target, coverage)
        yield from embedded_files(archive, "word/embeddings/", target, options, coverage)
        yield from package_pictures(archive, "word/media/", target, options, coverage)


def _parts(archive: zipfile.ZipFile) -> list[str]:
    """Return the parts that hold paragraphs: the body first, then the others by name, each once (a
    zip may name a member twice, and zipfile reads the last of those names each time)."""
    names = sorted({n for n in archive.namelist() if _PARTS.fullmatch(n) and n != BODY})
    return [BODY] + names
