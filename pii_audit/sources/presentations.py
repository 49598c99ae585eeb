"""PowerPoint presentations (.pptx, .pptm, .ppsx, .potx; WPS Presentation's .dps and .dpt when they
are OOXML zips): the text of every slide, its notes and comments, a paragraph a line. A
PowerPoint 97-2003 one (.ppt, .pps, .pot, or a .dps or .dpt in that format: an OLE2 file) is read
by ``ppt97``, from here.

Bank staff put customer lists, case reviews (案例分析) and tables typed from screenshots into
slides. Read as a file, a .pptx is a zip, binary, and was skipped, so a folder of them came out
clean. It is read here as a .docx is (``documents``, through ``ooxml``), slide by slide in the
order the presentation shows them: ``p:sldIdLst`` in ppt/presentation.xml, through its
relationships, not the parts' names, which keep the order the slides were made in.

For each slide: its paragraphs (``a:p``: shapes, grouped shapes, table cells, a field's text; a
line break ``a:br`` is a space), then the parts it links to: its notes, its comments (the legacy
``p:text`` and the modern threaded ones), the cached values of its charts (each category, series
name and value a line: ``c:v``, and ChartEx's ``cx:pt``) and the text of its SmartArt
(ppt/diagrams/dataN.xml). Then every other part that holds text, by name: a slide the list leaves
out, layouts and masters (their placeholder prompts match nothing, and a footer typed on a master
is text a user wrote; a deck has a few). Each paragraph is a line numbered from 1 in its part,
located ``{path, part, line}``, with ``slide`` (its number as PowerPoint shows it) for a slide and
what it links to. Then the document's properties (title, subject, comments, custom properties:
``properties``), located ``{path, part, line, property}``. The container is the file. The
workbooks and documents embedded in ppt/embeddings/ (each chart's own workbook, a table pasted as an object) are read as a .docx's
are (``embedded``).

Pictures (ppt/media/) are read by OCR with --ocr, after the rest (``pictures``), located with the
slide that first shows them; pictures' and shapes' alt text (``p:cNvPr`` ``descr`` and ``title``)
is always read, a line of its slide where the shape is. Not read: comment authors, a chart's link
to an outside workbook. A .ppt's properties (its OLE2 property sets) are read by ``ppt97``
(``ole_properties``).

Read-only from the zip, nothing extracted; memory holds a block of XML and one chunk's lines (and
the list of slides, and the relationships of the slide being read). Each of these is one problem line: not a zip, no
ppt/presentation.xml, a zip bomb, an encrypted presentation (an OLE2 file holding
EncryptedPackage; ``ppt97`` says so). A damaged part (bad XML, a DTD, a paragraph over the cap,
a bad CRC) is one problem line, and the other parts are read.
"""

from __future__ import annotations

import functools
import re
import zipfile
from typing import BinaryIO, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ContainerCoverage, ScanOptions, TargetCoverage
from pii_audit.sources.embedded import embedded_files
from pii_audit.sources.ooxml import (PART_ERRORS, DocumentRefused, Markup, damaged_part, element_names,
                                     natural_order, opened_package, read_part, read_office_file)
from pii_audit.sources.ole_pictures import ppt97_pictures
from pii_audit.sources.pictures import package_pictures
from pii_audit.sources.ppt97 import slide_chunks
from pii_audit.sources.properties import property_chunks
from pii_audit.sources.xlsx_book import expat_parser, parse_member, relationships
from pii_audit.sources.xlsx_guard import OLE2_MAGIC, shown_name

PRESENTATION = "ppt/presentation.xml"
# The parts that hold text a user typed, read by name when no slide links to them.
_TEXT_PARTS = re.compile(r"ppt/(?:(?:slides|slideLayouts|slideMasters|notesSlides|notesMasters|handoutMasters"
                         r"|comments)/[^/]+|charts/chart[^/]*|diagrams/data[^/]*)\.xml")
# What a slide links to that holds text, by the last word of the relationship's type.
_LINKED = {"notesSlide", "comments", "chart", "chartEx", "diagramData"}


_A = ("http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main")
_P = ("http://schemas.openxmlformats.org/presentationml/2006/main", "http://purl.oclc.org/ooxml/presentationml/main")
_C = ("http://schemas.openxmlformats.org/drawingml/2006/chart", "http://purl.oclc.org/ooxml/drawingml/chart")
_CX = ("http://schemas.microsoft.com/office/drawing/2014/chartex",)
# A legacy comment's p:text and a chart's cached value are a line each, text and paragraph at once.
_WHOLE = element_names(_P, "text") | element_names(_C, "v") | element_names(_CX, "pt") | element_names(_CX, "v")
DRAWING = Markup(paragraphs=element_names(_A, "p") | _WHOLE, texts=element_names(_A, "t") | _WHOLE,
                 signs=dict.fromkeys(element_names(_A, "br"), " "),
                 table=element_names(_A, "tbl"), row=element_names(_A, "tr"), cell=element_names(_A, "tc"),
                 cell_span="gridSpan", cell_rows="rowSpan", cell_covered="hMerge", labels=element_names(_P, "cNvPr"))
_SLIDE_ID = element_names(_P, "sldId")
# The slide list is held whole; PowerPoint decks run to hundreds of slides, a hostile file's list
# could run to millions of entries.
MAX_SLIDES = 100_000


def read_presentation(target: str, options: ScanOptions, coverage: TargetCoverage,
                      data: bytes | None = None) -> Iterator[Chunk | Cells]:
    """Yield the paragraphs of the presentation ``target`` as chunks of lines, slide after slide
    (each with its notes, comments, charts and SmartArt), then the other parts that hold text,
    then its document properties (``properties``), then what the workbooks and documents embedded in it hold (``embedded``).

    ``data`` holds the file's bytes when it is no file of its own (a member of an archive)."""
    items = functools.partial(_items, target, options, coverage)
    return read_office_file(target, data, coverage, "presentation", "presentation", items)


def _items(target: str, options: ScanOptions, coverage: TargetCoverage, handle: BinaryIO,
           container: ContainerCoverage) -> Iterator[Chunk | Cells]:
    """Yield what a presentation holds: a PowerPoint 97-2003 one's (an OLE2 file, ``ppt97``, which
    refuses an encrypted one) or a .pptx's parts."""
    if handle.read(len(OLE2_MAGIC)) == OLE2_MAGIC:
        handle.seek(0)
        yield from slide_chunks(handle, target, options, coverage, container)
        yield from ppt97_pictures(handle, target, options, coverage)
        return
    handle.seek(0)
    with opened_package(handle, PRESENTATION, ".pptx presentation",
                        lambda why: coverage.problem(target, why, target)) as archive:
        deck = _Deck(archive, target, coverage, container)
        yield from deck.chunks()
        yield from property_chunks(archive, target, coverage)
        yield from embedded_files(archive, "ppt/embeddings/", target, options, coverage)
        yield from package_pictures(archive, "ppt/media/", target, options, coverage, deck.pictures)


class _Deck:
    """An open presentation's parts that hold text, read in slide order; a damaged part is one
    problem line and the others are read."""

    def __init__(self, archive: zipfile.ZipFile, target: str, coverage: TargetCoverage,
                 container: ContainerCoverage):
        self.archive, self.target, self.coverage, self.container = archive, target, coverage, container
        self.pictures: dict[str, dict] = {}  # each picture a slide shows -> {"slide": the first one's number}

    def chunks(self) -> Iterator[Chunk]:
        """Yield each slide's lines and those of the parts it links to, then the other parts'."""
        done: set[str] = set()
        for number, slide in enumerate(self._slides(), 1):
            for part in (slide, *self._linked(slide, number)):
                if part not in done:
                    done.add(part)
                    yield from self._part(part, {"slide": number})
        # A set: a zip may name a member twice, and zipfile reads the last of those names each time.
        rest = {name for name in self.archive.namelist() if _TEXT_PARTS.fullmatch(name) and name not in done}
        for part in sorted(rest, key=natural_order):
            yield from self._part(part, {})

    def _slides(self) -> list[str]:
        """Return the slides' parts in the order the presentation shows them."""
        try:
            ids = _slide_ids(self.archive)
            targets = relationships(self.archive, PRESENTATION)
        except PART_ERRORS as error:
            self._damaged(PRESENTATION, error, "the slides are read in the order of their names")
            return []
        unlinked = sum(rid not in targets for rid in ids)
        if unlinked:  # a damaged zip directory can lose the relationships part without an error
            self.coverage.problem(self.target, f"{unlinked:,} of the {len(ids):,} slides {PRESENTATION} lists have no "
                                               "relationship to their part (damaged presentation?): the slides found are "
                                               "read in the order of their names", self.target)
        # A slide listed again (PowerPoint never does; a few KB can list one 100,000 times) is read
        # once: its relationships were parsed again for each listing, 13 ms each.
        return list(dict.fromkeys(targets[rid][1] for rid in ids if rid in targets))

    def _linked(self, slide: str, number: int) -> list[str]:
        """Return the parts holding text that a slide links to: notes, comments, charts, SmartArt;
        keep the pictures it shows, as shown on slide ``number`` unless one before showed them."""
        try:
            links = relationships(self.archive, slide)
        except PART_ERRORS as error:
            self._damaged(f"the relationships of {shown_name(slide)}", error, "its notes and comments are read by name")
            return []
        for kind, part in links.values():
            if kind.endswith("/image"):
                self.pictures.setdefault(part, {"slide": number})
        return [part for kind, part in links.values() if kind.rsplit("/", 1)[-1] in _LINKED]

    def _part(self, part: str, where: dict) -> Iterator[Chunk]:
        """Yield one part's lines, located with ``where`` (its slide); record a damaged or missing part."""
        if part not in self.archive.NameToInfo:
            self.coverage.problem(self.target, f"{shown_name(part)}, which a slide links to, is missing (damaged "
                                               "presentation?)", self.target)
            return
        location = {"path": self.target, "part": part, **where}
        yield from read_part(self.archive, part, location, DRAWING, self.coverage, self.container)

    def _damaged(self, what: str, error: Exception, then: str) -> None:
        """Record a part that could not be read (``ooxml.damaged_part``)."""
        damaged_part(self.coverage, self.target, what, error, then)


def _slide_ids(archive: zipfile.ZipFile) -> list[str]:
    """Return the relationship ids of the slides listed in ppt/presentation.xml, in their order."""
    ids: list[str] = []

    def start(name: str, attrs: dict) -> None:
        if name in _SLIDE_ID:  # r:id, in the transitional or the strict namespace
            if len(ids) >= MAX_SLIDES:
                raise DocumentRefused(f"refused: {PRESENTATION} lists more than {MAX_SLIDES:,} slides")
            ids.append(next((value for key, value in attrs.items() if key.endswith("relationships id")), ""))

    with archive.open(PRESENTATION) as member:
        parse_member(expat_parser(start, None, None, PRESENTATION), member)
    return ids
