"""Word documents (.docx, .docm): the text of every paragraph, one line each, scanned as a log is.

A Word 97-2003 document (.doc, .dot, .wps; an OLE2 file) is read by ``word97``, from here.

Customer details live in Word as well as in Excel: credit reports (授信调查报告), account-opening
forms, complaint letters. Read as a file, a .docx is a zip, binary, and was skipped, so a folder
of them came out clean. A .docx holds XML parts: a paragraph (``w:p``) holds runs of text
(``w:t``); tables, text boxes, headers, footers, footnotes, endnotes and comments hold paragraphs
of their own. Each paragraph is read as one line, numbered from 1 in each part, and located
``{path, line, start, end}`` in the body, with ``part`` added elsewhere (``word/header1.xml``).
The container is the file, as a log's stream is; a workbook embedded in the document (an Excel
table pasted as an object) is read as a spreadsheet inside an archive is (``embedded``). Text deleted with track
changes on (``w:delText``) is still in the file, so it is read; the copy of a text box kept for
old Word versions (``mc:Fallback``) is not, as it repeats the box.

Read-only from the zip, nothing extracted; memory holds a block of XML and one chunk's lines.
A zip bomb, a DTD (billion laughs, XXE), an encrypted or damaged document is one problem line.
"""

from __future__ import annotations

import re
import zipfile
from typing import BinaryIO, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ScanOptions, TargetCoverage, opened_file
from pii_audit.sources.embedded import embedded_files
from pii_audit.sources.xlsx_book import BLOCK, expat_parser
from pii_audit.sources.xlsx_guard import OLE2_MAGIC, ZIP_MAGIC, WorkbookRefused, zip_refusal

BODY = "word/document.xml"
# The parts that hold paragraphs, after the body: a glossary (building blocks) holds text too.
_PARTS = re.compile(r"word/(?:glossary/)?(?:document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
CHUNK_CHARS = 1 << 20  # characters of paragraphs handed to the detector together
# A paragraph is held whole until it ends; no one writes one this long, a hostile file might.
MAX_PARAGRAPH_CHARS = 16 << 20

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "
_PARAGRAPH = _W + "p"
_TEXT = {_W + "t", _W + "delText"}
# What stands for a character of its own inside a paragraph's runs.
_SIGNS = {_W + "tab": "\t", _W + "br": " ", _W + "cr": " ", _W + "noBreakHyphen": "-"}
_FALLBACK = "http://schemas.openxmlformats.org/markup-compatibility/2006 Fallback"


class DocumentRefused(Exception):
    """The file is not a document we will parse; the message is one line for a person."""


def read_document(target: str, options: ScanOptions, coverage: TargetCoverage,
                  data: bytes | None = None) -> Iterator[Chunk | Cells]:
    """Yield the paragraphs of the .docx ``target`` as chunks of lines, part after part, then what
    the workbooks and documents embedded in it hold (``embedded``).

    ``data`` holds the file's bytes when it is no file of its own (a member of an archive)."""
    coverage.files += 1
    container = coverage.container(target, "lines")
    try:
        handle, size = opened_file(target, data, coverage, container)
        with handle:
            if size == 0:
                coverage.notice(target, "empty file: nothing to read")
                return
            if handle.read(len(OLE2_MAGIC)) == OLE2_MAGIC:
                from pii_audit.sources.word97 import object_items, paragraph_chunks  # they import DocumentRefused

                handle.seek(0)
                for chunk in paragraph_chunks(handle, target):
                    container.units += chunk.text.count("\n") + 1
                    yield chunk
                yield from object_items(handle, target, options, coverage)
                return
            handle.seek(0)
            with _opened(handle) as archive:
                for part in _parts(archive):
                    for chunk in _part_chunks(archive, part, target):
                        container.units += chunk.text.count("\n") + 1
                        yield chunk
                yield from embedded_files(archive, "word/embeddings/", target, options, coverage)
    except (DocumentRefused, WorkbookRefused) as error:
        coverage.problem(target, str(error), target)
    except (zipfile.BadZipFile, EOFError) as error:
        coverage.problem(target, f"corrupt or truncated document ({type(error).__name__})", target)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}", target)
    except Exception as error:  # noqa: BLE001 -- expat and zlib on hostile bytes: record the type only
        coverage.problem(target, f"unreadable ({type(error).__name__}): corrupt or not a Word document", target)


def _opened(handle: BinaryIO) -> zipfile.ZipFile:
    """Open a .docx after checking what it is, from its first bytes and its zip directory."""
    head = handle.read(len(ZIP_MAGIC))
    handle.seek(0)
    if not head.startswith(ZIP_MAGIC):
        raise DocumentRefused("not a .docx document: no zip signature (is the extension wrong?)")
    archive = zipfile.ZipFile(handle)
    try:
        _check(archive.infolist())
    except BaseException:
        archive.close()
        raise
    return archive


def _check(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a document that is no .docx, a zip bomb or encrypted, from its zip directory."""
    if BODY not in {info.filename for info in infos}:
        raise DocumentRefused(f"not a .docx document: the zip holds no {BODY}")
    reason = zip_refusal(infos)
    if reason:
        raise DocumentRefused(reason)


def _parts(archive: zipfile.ZipFile) -> list[str]:
    """Return the parts that hold paragraphs: the body first, then the others by name."""
    names = sorted(n for n in archive.namelist() if _PARTS.fullmatch(n) and n != BODY)
    return [BODY] + names


def _part_chunks(archive: zipfile.ZipFile, part: str, target: str) -> Iterator[Chunk]:
    """Yield one part's paragraphs as chunks of whole lines, about ``CHUNK_CHARS`` each."""
    paragraphs = _Paragraphs()
    parser = expat_parser(paragraphs.start, paragraphs.end, paragraphs.text, part)
    location = {"path": target} if part == BODY else {"path": target, "part": part}
    line = 1
    pending: list[str] = []
    size = 0
    with archive.open(part) as member:
        while True:
            block = member.read(BLOCK)
            parser.Parse(block, not block)
            for text in paragraphs.take():
                pending.append(text)
                size += len(text) + 1
                if size >= CHUNK_CHARS:
                    yield Chunk("\n".join(pending), {**location, "line": line}, target, multiline=True)
                    line += len(pending)
                    pending, size = [], 0
            if not block:
                break
    if pending:
        yield Chunk("\n".join(pending), {**location, "line": line}, target, multiline=True)


class _Paragraphs:
    """Expat handlers that collect the text of each paragraph as it ends (``take``)."""

    def __init__(self):
        self.open: list[list[str]] = []  # the paragraphs begun and not ended: a text box nests one
        self.chars = 0  # held in the paragraphs begun
        self.done: list[str] = []
        self.in_text = False
        self.skipping = 0  # depth inside an mc:Fallback element

    def start(self, name: str, _attrs: dict) -> None:
        if self.skipping or name == _FALLBACK:
            self.skipping += 1
        elif name == _PARAGRAPH:
            self.open.append([])
        elif name in _TEXT:
            self.in_text = True
        elif name in _SIGNS and self.open:
            self.open[-1].append(_SIGNS[name])

    def end(self, name: str) -> None:
        if self.skipping:
            self.skipping -= 1
        elif name == _PARAGRAPH and self.open:
            # A newline in a run (&#10;) would split the line, and the numbering with it.
            text = "".join(self.open.pop())
            self.chars -= len(text)
            self.done.append(text.replace("\n", " ").replace("\r", " "))
        elif name in _TEXT:
            self.in_text = False

    def text(self, data: str) -> None:
        if self.in_text and not self.skipping and self.open:
            self.open[-1].append(data)
            self.chars += len(data)
            if self.chars > MAX_PARAGRAPH_CHARS:
                raise DocumentRefused(f"refused: a paragraph of over {MAX_PARAGRAPH_CHARS:,} characters "
                                      "(no one writes one; a hostile file might)")

    def take(self) -> list[str]:
        """Return the paragraphs ended since the last call."""
        done, self.done = self.done, []
        return done
