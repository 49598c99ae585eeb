"""Files embedded in Office files: a workbook pasted into a Word report or a slide as an object,
a report or another workbook pasted into a workbook, a customer list dragged into any of them.

An embedded object keeps its whole file inside the one around it (``word/embeddings/``,
``xl/embeddings/``, ``ppt/embeddings/``): every customer row of a workbook whose page shows a
few. Each workbook, Word document or presentation found there is read from memory, as one
inside an archive is, located ``report.docx!word/embeddings/x.xlsx``. An object from Excel or
Word 97-2003 is stored as an OLE2 file (``oleObject1.bin``) holding a Workbook or WordDocument
stream: it is read as the .xls or .doc it holds; one from PowerPoint 97-2003 (a PowerPoint Document
stream) as the .ppt it holds.

A file dragged into a document, a workbook or a slide (a .csv or .txt export, a .pdf, a .zip),
shown as an icon, is an OLE Package object: an OLE2 file of the Package class whose
``\x01Ole10Native`` stream holds the file, its name and its paths (``packager``). The file is
read as an archive's member is (``archives.read_member``: by its name and first bytes, a text
file streamed, a spreadsheet, document, PDF or message from memory, an archive as an archive
inside an archive), located ``report.docx!word/embeddings/oleObject1.bin!客户名单.csv``; so is
one in a .doc's ObjectPool (``report.doc!ObjectPool/_1234!客户名单.csv``, through
``storage_object``) and one in an Outlook message's OLE object. A damaged package is one
problem line; a packaged link to a file elsewhere holds nothing to read and is a notice.

Any other object (an equation, a drawing, an OLE 1.0 object of another class, a PDF that
Acrobat embedded as its own object) is a notice (past ``MAX_OTHER_NOTICES`` of a .doc or a .msg,
one for the rest). One level deep: the files embedded in an embedded file are one notice on it,
counting them (``nested_notice``), as they are rare and each level would hold another copy in
memory; a file packaged in a packaged file is a notice (``InnerOptions.in_package``), which the
marks in the name cannot tell where a message is packaged in a message's object.
"""

from __future__ import annotations

import io
import zipfile
from typing import Callable, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import (DOCUMENT_SUFFIXES, OLE2_MAGIC, PRESENTATION_SUFFIXES, ScanOptions, TargetCoverage,
                               inner_options, is_archive, one_line_name, reader_state)
from pii_audit.sources.ole2 import CompoundFile, Stream, StreamPart, misnamed, worded
from pii_audit.sources.packager import NATIVE_STREAM, PACKAGE_CLASS, Packaged, PackageRefused, packaged_file
from pii_audit.sources.xlsx_guard import WorkbookRefused

# Read from memory, as a spreadsheet inside an archive is (archives.SPREADSHEET_MAX_BYTES).
EMBEDDED_MAX_BYTES = 32 << 20
_WORKBOOKS = (".xlsx", ".xlsm", ".xlsb")  # Excel names one from an .xlsb Microsoft_Excel_Binary_Worksheet.xlsb
_OLE_OBJECTS = (".bin",)  # word/embeddings/oleObject1.bin: an OLE2 file
NOT_A_WORKBOOK = ("an embedded object that is no workbook, Word document or packaged file (an equation, a "
                  "drawing) is not read")
# The streams that say what an object is (``storage_object``), upper case; "BOOK" is too short to
# tell a damaged name from another (``ole2.misnamed``).
_MAIN_STREAMS = ("WORKBOOK", "WORDDOCUMENT", NATIVE_STREAM.upper())
MAX_OTHER_NOTICES = 20  # objects of a .doc or a .msg that are no workbook... noticed one by one
# In the name of a file embedded in another: from a .docx, an .xlsx, a .pptx, a .doc (word97).
EMBEDDED_MARKS = ("!word/embeddings/", "!xl/embeddings/", "!ppt/embeddings/", "!ObjectPool/", "!ExOleObjStg")


def embedded_files(archive: zipfile.ZipFile, folder: str, target: str, options: ScanOptions,
                   coverage: TargetCoverage) -> Iterator[Chunk | Cells]:
    """Yield what each workbook and Word document in ``folder`` of the Office zip ``archive``
    (the file ``target``) holds, each name once."""
    # NameToInfo: a zip may name a member twice, and zipfile opens the last of those names, as the
    # readers' parts are read (documents._parts); each entry read had its values counted twice.
    members = [(info, reader) for info in archive.NameToInfo.values()
               if info.filename.startswith(folder) and (reader := _reader(info.filename)) is not None]
    if is_nested(target):
        nested_notice(target, len(members), coverage)
        return
    for info, reader in members:
        where = f"{target}!{one_line_name(info.filename)}"
        if info.file_size > EMBEDDED_MAX_BYTES:
            coverage.problem(where, f"an embedded file larger than {EMBEDDED_MAX_BYTES:,} bytes is not read; "
                                    "open it and save it apart to scan it")
        else:
            yield from reader(where, options, coverage, archive.read(info))


def _reader(name: str) -> Callable[..., Iterator[Chunk | Cells]] | None:
    """Return the reader of an embedded file by its name's ending: a workbook, a Word document, a
    presentation or an OLE object; None for any other (a picture)."""
    from pii_audit.sources.documents import read_document
    from pii_audit.sources.presentations import read_presentation
    from pii_audit.sources.spreadsheets import read_spreadsheet

    name = name.lower()
    return read_spreadsheet if name.endswith(_WORKBOOKS) else \
        read_document if name.endswith(DOCUMENT_SUFFIXES) else \
        read_presentation if name.endswith(PRESENTATION_SUFFIXES) else \
        ole_object if name.endswith(_OLE_OBJECTS) else None


def is_nested(target: str) -> bool:
    """Tell whether ``target`` is a file embedded in another, whose own embedded files are not read."""
    return any(mark in target for mark in EMBEDDED_MARKS)


def nested_notice(target: str, count: int, coverage: TargetCoverage) -> None:
    """Record the ``count`` files embedded in ``target``, itself embedded, as one notice: they are
    not read (one level deep), and a notice each let a deck of 1,000 decks of 1,000 objects give a million."""
    if count:
        coverage.notice(target, f"{count:,} file(s) embedded in this embedded file not read (one level deep is "
                                "read); open it and save it apart")


def ole_object(where: str, options: ScanOptions, coverage: TargetCoverage, data: bytes) -> Iterator[Chunk | Cells]:
    """Yield what an embedded OLE object holds when it is an Excel, Word or PowerPoint 97-2003
    one, or a packaged file."""
    from pii_audit.sources.documents import read_document
    from pii_audit.sources.presentations import read_presentation
    from pii_audit.sources.spreadsheets import read_spreadsheet

    try:
        compound = CompoundFile(io.BytesIO(data)) if data.startswith(OLE2_MAGIC) else None
        # Names compare without case, as MS-CFB says (and as each reader finds its stream).
        streams = {path.upper() for path in compound.streams()} if compound is not None else set()
    except WorkbookRefused as error:
        coverage.problem(where, worded(error, "embedded object"))
        return
    if streams & {"WORKBOOK", "BOOK"}:
        yield from read_spreadsheet(where, options, coverage, data)  # not named .xlsx: read as the .xls it is
    elif "WORDDOCUMENT" in streams:
        yield from read_document(where, options, coverage, data)
    elif "POWERPOINT DOCUMENT" in streams:
        yield from read_presentation(where, options, coverage, data)
    elif NATIVE_STREAM.upper() in streams:
        yield from _package(compound, "", where, options, coverage)
    else:
        coverage.notice(where, NOT_A_WORKBOOK)


def storage_object(compound: CompoundFile, where: str, folder: str, names: set[str], options: ScanOptions,
                   coverage: TargetCoverage, others: list[str]) -> Iterator[Chunk | Cells]:
    """Yield what an object stored in the storage ``folder`` of the open compound file ``compound``
    holds (a .doc's ObjectPool, a .msg's attachment): an Excel or Word 97-2003 file, by its streams'
    ``names`` (upper case), or a packaged file; any other's ``where`` is added to ``others``, for
    the caller to record (``other_objects_notice``). Its streams are read from that file, whose
    directory is walked once for all its objects."""
    from pii_audit.sources.spreadsheets import read_stored_workbook
    from pii_audit.sources.word97 import embedded_document

    if names & {"WORKBOOK", "BOOK"}:
        yield from read_stored_workbook(where, options, coverage, compound, folder)
    elif "WORDDOCUMENT" in names:
        yield from embedded_document(compound, where, folder, coverage)
    elif NATIVE_STREAM.upper() in names:
        yield from _package(compound, folder, where, options, coverage)
    elif any(misnamed(names, stream) for stream in _MAIN_STREAMS):
        coverage.problem(where, "an embedded object whose main stream's name is damaged in the OLE2 directory: "
                                "not read")
    else:
        others.append(where)


def other_objects_notice(target: str, others: list[str], coverage: TargetCoverage) -> None:
    """Record the objects ``others`` of the file ``target`` that are no workbook, Word document or
    packaged file: a notice each for the first ``MAX_OTHER_NOTICES``, then one for the rest (every
    object is read since they are cheap: a .doc of 5,000 equations gave 5,000 notices)."""
    for where in others[:MAX_OTHER_NOTICES]:
        coverage.notice(where, NOT_A_WORKBOOK)
    if len(others) > MAX_OTHER_NOTICES:
        coverage.notice(target, f"{len(others) - MAX_OTHER_NOTICES:,} more embedded object(s) that are no workbook, "
                                "Word document or packaged file (equations, drawings) not read")


def _package(compound: CompoundFile, folder: str, where: str, options: ScanOptions, coverage: TargetCoverage
             ) -> Iterator[Chunk | Cells]:
    """Yield what the file in the OLE Package object in the storage ``folder`` of the open compound
    file ``compound`` holds, read from its stream as an archive's member is; record why not."""
    from pii_audit.sources.archives import read_member

    found = _packaged(compound, folder, where, coverage)
    if found is None:
        return
    stream, packaged = found
    inner = f"{where}!{packaged.name}"
    if reader_state(options).in_package:
        coverage.notice(inner, "a file packaged in a packaged file is not read; open it and save it apart")
        return
    member = io.BufferedReader(StreamPart(stream, packaged.offset, packaged.size))  # read as it is asked for
    try:
        yield from read_member(inner, member, inner_options(options, in_package=True), coverage, _depth(where))
    except WorkbookRefused as error:  # the object's file ends inside the packaged file's sectors
        coverage.problem(inner, worded(error, "embedded object"))


def _packaged(compound: CompoundFile, folder: str, where: str, coverage: TargetCoverage
              ) -> tuple[Stream, Packaged] | None:
    """Return the Ole10Native stream of the object in ``folder`` of ``compound`` and the file
    packaged in it; None, recorded as a notice or a problem, when it is of another class, a link or damaged."""
    try:
        if compound.class_id(folder) != PACKAGE_CLASS:  # raw data of another OLE 1.0 class
            coverage.notice(where, NOT_A_WORKBOOK)
            return None
        # The caller saw the stream among the storage's (were it not, an empty one is read as cut short).
        stream = compound.stream(*(compound.find(folder + NATIVE_STREAM) or (0, 0)))
        packaged = packaged_file(stream)
    except WorkbookRefused as error:
        coverage.problem(where, worded(error, "embedded object"))
        return None
    except PackageRefused as error:
        coverage.problem(where, str(error))
        return None
    if packaged is None:
        coverage.notice(where, "a packaged link to a file elsewhere holds nothing of the file: not read")
        return None
    return stream, packaged


def _depth(where: str) -> int:
    """Return the depth ``archives.read_member`` takes for a file packaged in the object ``where``:
    1 in a document on disk, one more for each archive around it, so that a packaged archive counts
    as a level, as an archive in an archive does.

    >>> _depth("r.docx!word/embeddings/oleObject1.bin"), _depth("a.zip!b.7z!r.doc!ObjectPool/_1")
    (1, 3)
    """
    return 1 + sum(1 for part in where.split("!")[:-1] if is_archive(part))
