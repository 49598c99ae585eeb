"""Office files embedded in Office files: a workbook pasted into a Word report or a slide as an
object, a report or another workbook pasted into a workbook.

An embedded object keeps its whole file inside the one around it (``word/embeddings/``,
``xl/embeddings/``, ``ppt/embeddings/``): every customer row of a workbook whose page shows a
few. Each workbook, Word document or presentation found there is read from memory, as one inside an archive is, located
``report.docx!word/embeddings/x.xlsx``. An object from Excel or Word 97-2003 is stored as an OLE2
file (``oleObject1.bin``) holding a Workbook or WordDocument stream: it is read as the .xls or
.doc it holds; any other object (an equation, a drawing, a packaged file) is a notice. One level
deep: a file embedded in an embedded file is a notice, as it is rare and each level would hold
another copy in memory.
"""

from __future__ import annotations

import io
import zipfile
from typing import Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import DOCUMENT_SUFFIXES, OLE2_MAGIC, PRESENTATION_SUFFIXES, ScanOptions, TargetCoverage
from pii_audit.sources.ole2 import CompoundFile, worded
from pii_audit.sources.xlsx_guard import WorkbookRefused

# Read from memory, as a spreadsheet inside an archive is (archives.SPREADSHEET_MAX_BYTES).
EMBEDDED_MAX_BYTES = 32 << 20
_WORKBOOKS = (".xlsx", ".xlsm", ".xlsb")  # Excel names one from an .xlsb Microsoft_Excel_Binary_Worksheet.xlsb
_OLE_OBJECTS = (".bin",)  # word/embeddings/oleObject1.bin: an OLE2 file
NOT_A_WORKBOOK = ("an embedded object that is no workbook or Word document (an equation, a drawing, a packaged "
                  "file) is not read")
# In the name of a file embedded in another: from a .docx, an .xlsx, a .pptx, a .doc (word97).
EMBEDDED_MARKS = ("!word/embeddings/", "!xl/embeddings/", "!ppt/embeddings/", "!ObjectPool/", "!ExOleObjStg")


def embedded_files(archive: zipfile.ZipFile, folder: str, target: str, options: ScanOptions,
                   coverage: TargetCoverage) -> Iterator[Chunk | Cells]:
    """Yield what each workbook and Word document in ``folder`` of the Office zip ``archive``
    (the file ``target``) holds."""
    from pii_audit.sources.documents import read_document
    from pii_audit.sources.presentations import read_presentation
    from pii_audit.sources.spreadsheets import read_spreadsheet

    for info in archive.infolist():
        name = info.filename
        reader = read_spreadsheet if name.lower().endswith(_WORKBOOKS) else \
            read_document if name.lower().endswith(DOCUMENT_SUFFIXES) else \
            read_presentation if name.lower().endswith(PRESENTATION_SUFFIXES) else \
            _ole_object if name.lower().endswith(_OLE_OBJECTS) else None
        if reader is None or not name.startswith(folder):
            continue
        where = f"{target}!{name}"
        if any(mark in target for mark in EMBEDDED_MARKS):
            coverage.notice(where, "a file embedded in an embedded file is not read; open it and save it apart")
        elif info.file_size > EMBEDDED_MAX_BYTES:
            coverage.problem(where, f"an embedded file larger than {EMBEDDED_MAX_BYTES:,} bytes is not read; "
                                    "open it and save it apart to scan it")
        else:
            yield from reader(where, options, coverage, archive.read(info))


def _ole_object(where: str, options: ScanOptions, coverage: TargetCoverage, data: bytes) -> Iterator[Chunk | Cells]:
    """Yield what an embedded OLE object holds when it is an Excel or Word 97-2003 one."""
    from pii_audit.sources.documents import read_document
    from pii_audit.sources.spreadsheets import read_spreadsheet

    try:
        streams = set(CompoundFile(io.BytesIO(data)).streams()) if data.startswith(OLE2_MAGIC) else set()
    except WorkbookRefused as error:
        coverage.problem(where, worded(error, "embedded object"))
        return
    if streams & {"Workbook", "Book"}:
        yield from read_spreadsheet(where, options, coverage, data)  # not named .xlsx: read as the .xls it is
    elif "WordDocument" in streams:
        yield from read_document(where, options, coverage, data)
    else:
        coverage.notice(where, NOT_A_WORKBOOK)


def storage_object(data: bytes, where: str, folder: str, names: set[str], options: ScanOptions,
                   coverage: TargetCoverage) -> Iterator[Chunk | Cells]:
    """Yield what an object stored in the storage ``folder`` of the OLE2 file ``data`` holds (a
    .doc's ObjectPool, a .msg's attachment): an Excel or Word 97-2003 file, by its streams'
    ``names`` (upper case); a notice for any other."""
    from pii_audit.sources.spreadsheets import read_spreadsheet
    from pii_audit.sources.word97 import embedded_document

    if names & {"WORKBOOK", "BOOK"}:
        yield from read_spreadsheet(where, options, coverage, data, folder)
    elif "WORDDOCUMENT" in names:
        yield from embedded_document(data, where, folder, coverage)
    else:
        coverage.notice(where, NOT_A_WORKBOOK)
