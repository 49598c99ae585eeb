"""The text a workbook's drawings hold (.xlsx, .xlsm, .xlsb): text boxes' and shapes' paragraphs,
and the alt text of pictures and shapes, a line each, as a .pptx slide's are (``ooxml``).

A scanned ID card pasted into a customer sheet carries its alt text (``xdr:cNvPr descr``,
"客户张伟身份证正面"), and a text box typed over a sheet (客户：张伟，电话…) is in no cell. Each
part ``xl/drawings/drawingN.xml`` is read in the order of its number, each paragraph and alt text
a line numbered from 1, located ``{path, part, line}``; the container is the file, as a
workbook's document properties' is. A damaged part is one problem line and the others are read.
"""

from __future__ import annotations

import re
import zipfile
from typing import Iterator

from pii_audit.models import Chunk
from pii_audit.sources import TargetCoverage
from pii_audit.sources.ooxml import Markup, element_names, natural_order, read_part

_PART = re.compile(r"xl/drawings/drawing[^/]*\.xml")
_A = ("http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main")
_XDR = ("http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
        "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing")


SHEET_DRAWING = Markup(paragraphs=element_names(_A, "p"), texts=element_names(_A, "t"),
                       signs=dict.fromkeys(element_names(_A, "br"), " "), table=element_names(_A, "tbl"),
                       row=element_names(_A, "tr"), cell=element_names(_A, "tc"), labels=element_names(_XDR, "cNvPr"))


def drawing_chunks(archive: zipfile.ZipFile, target: str, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the lines of each drawing part of the open workbook ``archive`` (the file ``target``)."""
    container = coverage.container(target, "lines")
    # A set: a zip may name a member twice, and zipfile reads the last of those names each time.
    parts = sorted({name for name in archive.namelist() if _PART.fullmatch(name)}, key=natural_order)
    for part in parts:
        yield from read_part(archive, part, {"path": target, "part": part}, SHEET_DRAWING, coverage, container)
