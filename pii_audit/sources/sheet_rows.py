"""The rows of every sheet of an xlsx/xlsm, xls or csv/tsv file, read-only and streamed.

A sheet is ``(name, rows)``; ``rows`` yields ``(row number, index of the first column, values)``
and is lazy, so a sheet that fails to load fails on its own and the next one is still read.
xlsx: ``xlsx_stream`` after ``xlsx_guard`` has inspected the zip; memory holds the shared strings
and one block of XML, whatever the sheet's size. xls: ``xls_stream`` (BIFF8); memory holds the
shared strings, one block of records and one row. csv: the encoding is detected over the whole
file first. OpenDocument (.ods) sheets are streamed by ``ods_stream``, in the same shape.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Union

from pii_audit.sources.cell_text import render
from pii_audit.sources.encodings import Utf8Tally, choose
from pii_audit.sources.ole2 import CompoundFile
from pii_audit.sources.xlsx_guard import OLE2_MAGIC, ZIP_MAGIC, WorkbookRefused, inspect_workbook, sniff

if TYPE_CHECKING:
    from pii_audit.sources.xls_stream import Book

Row = tuple[int, int, Any]  # (1-based row number, 0-based index of values[0], values: text or None)
Sheet = tuple[str, Iterator[Row]]
# A spreadsheet file's path, or its bytes read whole (a member of an archive, ``archives``).
Source = Union[str, bytes]

EXCEL_MAX_ROWS = 1_048_576
# The largest Excel 5.0/95 .xls read (_biff5_sheets; Excel 97 and later are streamed, whatever
# their size): a 22 MB .xls of 65,536 rows x 10 columns, twice, grew the process by 136 MB in
# python-calamine (measured); 4 MiB keeps even 6-byte cells under 150 MB.
XLS_MAX_BYTES = 4 << 20
DECODE_BLOCK = 1024**2
CSV_DELIMITERS = ("|", ";", "\t")  # what a .csv without a comma in its first line may use instead
MAX_FIRST_LINE = 1024**2  # characters of a csv's first line looked at for its delimiter
# Characters of a csv field read at most (csv's default, 131,072, refused a whole export for one
# long remark): a field holds up to 4 MiB then, and a row as many of them as it has columns.
FIELD_LIMIT = 1 << 20
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def opened(source: Source) -> BinaryIO:
    """Return a source opened for reading bytes: its file, or its bytes in memory."""
    return open(source, "rb") if isinstance(source, str) else io.BytesIO(source)


def xlsx_sheets(source: Source, comments: dict[str, list[tuple[str, str]]] | None = None,
                warn: Callable[[str, str], None] | None = None) -> Iterator[Sheet]:
    """Yield every worksheet of a workbook; raise ``WorkbookRefused`` when unsafe.

    ``comments``, when given, gets each sheet's comments (``xlsx_book.sheet_comments``) under its
    name before the sheet is yielded; ``warn``, when given, is called with a sheet's name and a
    one-line reason when its comments cannot be read (``xlsx_book.add_comments``) or cells of it
    read as empty: long shared strings past the workbook's allowance, strings the workbook does
    not hold, or cells past column XFD (``xlsx_book.noted_rows``). The worksheets come first, then each pivot cache and each
    sheet an external link caches, as sheets of their own (``xlsx_caches``): copies of data that
    stay when their source is deleted or elsewhere."""
    from pii_audit.sources import xlsx_book, xlsx_caches, xlsx_stream

    # No openpyxl here, so no DEFUSEDXML to check (SECURITY.md item 6): the guard refuses any
    # DTD before parsing, and every part is parsed by expat with a handler refusing one.
    with opened(source) as handle:
        reason = sniff(handle.read(8))
    if reason:
        raise WorkbookRefused(reason)
    zipped = source if isinstance(source, str) else io.BytesIO(source)  # zipfile seeks in it
    inspect_workbook(zipped)
    with zipfile.ZipFile(zipped) as archive:
        book = xlsx_book.read_workbook(archive)
        for name in book.unlinked if warn is not None else ():
            warn(name, xlsx_book.UNLINKED)
        read: set[str] = set()  # the comments parts read, each for the first sheet naming it
        for name, member in book.sheets:
            if comments is not None:
                xlsx_book.add_comments(comments, name, lambda: xlsx_book.sheet_comments(archive, member, read), warn)
            yield name, xlsx_book.noted_rows(xlsx_stream.sheet_rows(archive, member, book), book, name, warn)
        for name, definition, records in xlsx_caches.pivot_caches(archive):
            yield name, xlsx_book.noted_rows(xlsx_caches.cache_rows(archive, definition, records, book), book, name,
                                             warn)
        yield from xlsx_caches.link_sheets(archive, book, warn)


def xls_sheets(source: Source, warn: Callable[[str, str], None] | None = None) -> Iterator[Sheet]:
    """Yield every worksheet of a legacy .xls workbook (Excel 97-2003, WPS), streamed.

    Chinese banks' older systems and WPS still export .xls; read as text, one was binary and
    skipped. Excel 97 and later (BIFF8) is read record by record (``xls_stream``), in bounded
    memory whatever its size; Excel 5.0/95 (BIFF5) by python-calamine, which holds the whole
    workbook, up to ``XLS_MAX_BYTES`` and within what ``xls_biff5`` checks first. A damaged workbook raises ``WorkbookRefused`` (here, or as
    a sheet is read), a damaged sheet ``SheetError``; ``warn`` is told of a sheet whose cells read
    as empty: long shared strings past the workbook's allowance, or strings its table does not
    hold (``xlsx_book.noted_rows``).
    """
    from pii_audit.sources import xls_stream

    with opened(source) as handle:
        if handle.read(len(OLE2_MAGIC)) != OLE2_MAGIC:
            raise WorkbookRefused("not an .xls workbook: no OLE2 signature (is the extension wrong?)")
        try:
            book = xls_stream.read_book(CompoundFile(handle))
        except xls_stream.NotBiff8:
            book = None
        if book is not None:
            yield from _book_sheets(book, warn)
            return
    yield from _biff5_sheets(source)


def stored_xls_sheets(compound: CompoundFile, folder: str, warn: Callable[[str, str], None] | None = None
                      ) -> Iterator[Sheet]:
    """Yield every worksheet of an Excel 97-2003 workbook embedded as an object in the storage
    ``folder`` (``ObjectPool/_1234/``) of the open compound file ``compound`` (a .doc, a .msg),
    streamed as an .xls's are (``xls_sheets``)."""
    from pii_audit.sources import xls_stream

    try:
        book = xls_stream.read_book(compound, folder)
    except xls_stream.NotBiff8:  # python-calamine reads a whole file only
        raise WorkbookRefused("an Excel 5.0/95 object, which is not read here: open it and save it apart "
                              "as .xlsx to scan it") from None
    yield from _book_sheets(book, warn)


def _book_sheets(book: Book, warn: Callable[[str, str], None] | None) -> Iterator[Sheet]:
    """Yield each worksheet of a BIFF8 workbook whose globals were read."""
    from pii_audit.sources import xls_stream, xlsx_book

    for name, offset, end in book.sheets:
        yield name, xlsx_book.noted_rows(xls_stream.sheet_rows(book, offset, end), book, name, warn)


def wps_sheets(source: Source, comments: dict[str, list[tuple[str, str]]] | None = None,
               warn: Callable[[str, str], None] | None = None) -> Iterator[Sheet]:
    """Yield every worksheet of a WPS Spreadsheets workbook (.et, .ett), WPS Office's default in
    Chinese banks: the Excel 97-2003 format in an OLE2 file, as WPS writes it, read as an .xls is;
    one saved as an Office Open XML zip is read as an .xlsx is (``comments`` and ``warn`` as there)."""
    with opened(source) as handle:
        head = handle.read(len(OLE2_MAGIC))
    if head == OLE2_MAGIC:
        yield from xls_sheets(source, warn)
    elif head.startswith(ZIP_MAGIC):
        yield from xlsx_sheets(source, comments, warn)
    else:
        raise WorkbookRefused("a WPS .et workbook in neither the .xls nor the .xlsx format, which is not read "
                              "here: save it as .xlsx and scan that")


def _biff5_sheets(source: Source) -> Iterator[Sheet]:
    """Yield every worksheet of an Excel 5.0/95 workbook, read whole by python-calamine once its
    size and what python-calamine would hold of it are checked (``xls_biff5``)."""
    size = Path(source).stat().st_size if isinstance(source, str) else len(source)
    if size > XLS_MAX_BYTES:
        raise WorkbookRefused(f"Excel 5.0/95 .xls workbook larger than {XLS_MAX_BYTES:,} bytes, the most "
                              "read within the memory bound: save it as .xlsx and scan that")
    from python_calamine import CalamineWorkbook, PasswordError

    from pii_audit.sources import xlsx_book
    from pii_audit.sources.xls_biff5 import check_biff5

    with opened(source) as handle:
        check_biff5(CompoundFile(handle))  # what python-calamine would hold: it aborts the process past memory

    try:
        book = CalamineWorkbook.from_path(source) if isinstance(source, str) else \
            CalamineWorkbook.from_filelike(io.BytesIO(source))
    except PasswordError:
        raise WorkbookRefused("encrypted .xls workbook: not read") from None
    for name in book.sheet_names:  # shown with line breaks as "?", as an .xlsx's (xlsx_book.sheet_name)
        yield xlsx_book.sheet_name(name), _calamine_rows(book, name)


def _calamine_rows(book, name: str) -> Iterator[Row]:
    sheet = book.get_sheet_by_name(name)
    # iter_rows() starts at the first row but at the first used column.
    first_column = sheet.start[1] if sheet.start else 0
    for number, values in enumerate(sheet.iter_rows(), 1):
        yield number, first_column, [render(value) or None for value in values]


def csv_sheets(source: Source, name: str, warn: Callable[[str], None]) -> Iterator[Sheet]:
    """Yield the one sheet of the csv/tsv file ``name``, named after its stem, as Excel names it."""
    encoding, errors = detect_encoding(source)
    if errors == "replace":
        warn(f"undecodable bytes replaced (decoded as {encoding.removesuffix('-sig')})")
    delimiter = "\t" if name.lower().endswith(".tsv") else _csv_delimiter(source, encoding, errors)
    # An archive's member is named "archive!member": the sheet is named after the member.
    yield Path(name.rsplit("!", 1)[-1]).stem, _csv_rows(source, encoding, errors, delimiter, warn)


def _csv_delimiter(source: Source, encoding: str, errors: str) -> str:
    """Return a .csv file's delimiter: a comma, unless its first line holds none and holds
    ``|``, ``;`` or a tab (banks' batch exports are often pipe-delimited): then the most frequent."""
    with io.TextIOWrapper(opened(source), encoding=encoding, errors=errors, newline="") as handle:
        first = handle.readline(MAX_FIRST_LINE)
    if "," in first:
        return ","
    counts = {candidate: first.count(candidate) for candidate in CSV_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_rows(source: Source, encoding: str, errors: str, delimiter: str, warn: Callable[[str], None]
              ) -> Iterator[Row]:
    """Yield the records of a csv file; a record csv cannot read (a field past ``FIELD_LIMIT``)
    is a problem line naming it, and the records after it are read."""
    csv.field_size_limit(FIELD_LIMIT)  # the process's own: nothing else here reads csv
    with io.TextIOWrapper(opened(source), encoding=encoding, errors=errors, newline="") as handle:
        records = csv.reader(handle, delimiter=delimiter)
        number = 0
        while True:
            number += 1
            try:
                values = next(records)
            except StopIteration:
                return
            except csv.Error as error:  # its message quotes no value ("field larger than field limit")
                warn(f"row {number}: a field longer than {FIELD_LIMIT:,} characters (a quote never closed?) "
                     "and the rows it ran over were not read" if "field limit" in str(error) else
                     f"row {number}: not read ({error})")
                continue
            yield number, 0, values


def detect_encoding(source: Source) -> tuple[str, str]:
    """Return ``(encoding, errors)`` for a text file: UTF-8 (BOM or not) or GB18030, chosen as a
    log's is (``encodings.choose``), ``errors`` ``"replace"`` when some bytes do not decode.

    The whole file is checked, so one late GB18030 byte is not read as UTF-8 garbage (SECURITY.md
    item 8), nor one cut character of a UTF-8 export as GB18030 mojibake; a BOM-marked UTF-16
    file (Excel's "Unicode text") is taken as such. Raises ``WorkbookRefused`` for a file that is not text.
    """
    with opened(source) as handle:
        head = handle.read(8192)
    if head.startswith(UTF16_BOMS):
        return "utf-16", "strict"
    if head.startswith(ZIP_MAGIC):
        raise WorkbookRefused("a zip file (an xlsx renamed?), not csv text")
    if head.startswith(OLE2_MAGIC[:4]):
        raise WorkbookRefused("an OLE2/CFB file (a legacy .xls renamed?), not csv text")
    if b"\x00" in head:
        raise WorkbookRefused("binary data (NUL bytes), not csv text")
    if _decodes(source, "utf-8"):
        return "utf-8-sig", "strict"
    decodes_as_gb18030 = functools.cache(lambda: _decodes(source, "gb18030"))  # read once at most
    if choose(_utf8_tally(source), decodes_as_gb18030) == "utf-8":
        return "utf-8-sig", "replace"
    return "gb18030", "strict" if decodes_as_gb18030() else "replace"


def _utf8_tally(source: Source) -> Utf8Tally:
    tally = Utf8Tally()
    with opened(source) as handle:
        while block := handle.read(DECODE_BLOCK):
            tally.feed(block)
    tally.feed(b"", final=True)
    return tally


def _decodes(source: Source, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with opened(source) as handle:
        try:
            while block := handle.read(DECODE_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True
