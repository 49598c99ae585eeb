"""Sources: read a target (files, spreadsheets, a database) as a stream of ``Chunk``s, read-only.

Every reader has the same shape::

    def read_<kind>(target: str, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk | Cells]

Text is read as ``Chunk``s; tables and sheets as ``Cells``, blocks of rows column by column.

A reader records what it read in ``coverage`` (files, bytes, rows, cells, per container) and
every part it could not read as a ``Problem`` (one readable line), then goes on with the rest.
It raises ``SourceError`` only when nothing of the target can be read (a wrong URL).
"""

from __future__ import annotations

import glob
import io
import os
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator

from pii_audit.models import Cells, Chunk

if TYPE_CHECKING:  # a type only: layouts imports this module
    from pii_audit.sources.layouts import Layout

# .et and .ett: WPS Spreadsheets' own format, the Excel 97-2003 one in an OLE2 file as WPS writes it.
# .xlsb: Excel's binary workbook (``xlsb_stream``).
# OpenDocument: .ods and its template .ots (LibreOffice, WPS and Yozo on 信创 machines), .fods flat XML.
ODS_SUFFIXES = (".ods", ".ots", ".fods")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".et", ".ett", *ODS_SUFFIXES, ".csv", ".tsv")
DOCUMENT_SUFFIXES = (".docx", ".docm")  # Word documents (``documents``)
# Word 97-2003 documents and templates, and WPS Writer's: read when they are OLE2 files (``word97``),
# or as RTF documents when they are RTF, as some systems export.
WORD97_SUFFIXES = (".doc", ".dot", ".wps")
RTF_SUFFIXES = (".rtf",)  # RTF documents, read when they are RTF (``rtf``); else as text
RTF_MAGIC = b"{\\rtf"
# PowerPoint presentations, shows and templates: ``presentations``.
PRESENTATION_SUFFIXES = (".pptx", ".pptm", ".ppsx", ".ppsm", ".potx", ".potm")
# WPS Presentation's own names: read as presentations when they are OOXML zips, and an OLE2 one
# as a PowerPoint 97-2003 file (.ppt, .pps, .pot) is (``ppt97``).
WPS_PRESENTATION_SUFFIXES = (".dps", ".dpt")
PPT97_SUFFIXES = (".ppt", ".pps", ".pot")
PDF_SUFFIXES = (".pdf",)  # ``pdfs``
EMAIL_SUFFIXES = (".eml", ".msg")  # saved e-mails: MIME (``emails``), Outlook (``outlook``)
# 7-Zip and WinRAR archives, read through libarchive (``archives_libarchive``).
LIBARCHIVE_SUFFIXES = (".7z", ".rar")
# Zip, tar, 7z and RAR archives, whose text members are read as logs (``archives``).
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
                    ".tzst", *LIBARCHIVE_SUFFIXES)
SQLITE_MAGIC = b"SQLite format 3\x00"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: Office 97-2003, or encrypted OOXML
ZIP_MAGIC = b"PK\x03\x04"  # a zip: Office 2007 and later (OOXML)


def is_archive(path: str) -> bool:
    """Tell whether a file is read as an archive, by its name.

    >>> is_archive("logs/app-2023-01.tar.gz"), is_archive("logs.ZIP"), is_archive("客户.7z"), is_archive("app.log.1.gz")
    (True, True, True, False)
    """
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def legacy_text(data: bytes, fallback: str | None = None) -> str:
    """Decode bytes of unknown encoding as a log file is decoded: UTF-8, else GB18030 (a legacy
    Chinese system's), else ``fallback``, or UTF-8 with replacement characters.

    >>> legacy_text("身份证".encode("utf-8")), legacy_text("身份证".encode("gbk")), legacy_text(b"\\xff")
    ('身份证', '身份证', '\\ufffd')
    """
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace") if fallback is None else fallback


def one_line_name(name: str) -> str:
    r"""Return a name a file gives (a sheet's, a zip member's) as a place may show it: its line
    breaks and control characters as "?". It is in every problem line and location about what it
    names, and a name holding a newline (a zip's own bytes, ``&#10;`` in XML) split the line in two.

    >>> one_line_name("客户"), one_line_name("客\n户\x00"), one_line_name("客户 名单\u3000")
    ('客户', '客?户?', '客户 名单\u3000')
    """
    if name.isprintable():
        return name
    return "".join("?" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in name)


def shown(name: str) -> str:
    """Return a path, container or place name as it may be recorded: personal information masked
    (a log file named after an ID number must not put the number into the ledger)."""
    from pii_audit.detector import mask_pi  # Presidio loads only when something is recorded

    return mask_pi(name)


@dataclass(frozen=True)
class ScanOptions:
    """How to read targets; every default lives here."""

    sample_rows: int | None = 1000  # rows per table (and rows per sheet); None reads everything
    jobs: int = 0  # worker processes; 0 = one per core the scan may use, at most 4 (scan.default_workers)
    connect_timeout: int = 10  # seconds
    statement_timeout: int = 300  # seconds, per statement
    schemas: tuple[str, ...] = ()  # database schemas to scan; empty = every schema visible
    include: tuple[str, ...] = ()  # glob patterns a file or table must match (empty = all)
    exclude: tuple[str, ...] = ()  # glob patterns that drop a file or table
    password: str | None = None  # database password (from the environment, never argv)
    max_gzip_bytes: int = 20 * 1024**3  # a gzip member larger than this when inflated is a bomb
    entities: tuple[str, ...] = ()  # entities to look for; empty = every one
    min_score: float = 0.5  # results below are not reported (recognizers.MIN_SCORE)
    # Set by the scan engine for the readers it runs in the main process (``scan._block_units``):
    # an image in an archive or a picture in an Office file is then handed on as a ``Deferred`` for
    # a worker to read by OCR, not read there, one after another (``images.Deferred``).
    defer_pictures: bool = False
    # Set with it, whatever --ocr: a database dump inside an archive (backup.tar.gz!core.sql, or in
    # an archive inside it) is handed on whole, for one worker to read in order
    # (``archives._read_entry``): its rows take their columns from the COPY and CREATE TABLE lines
    # before them, which blocks shared among the workers lost (a 40 MB pg_dump in a tar.gz,
    # --jobs 2: 20,873 of 400,000 names found).
    defer_dumps: bool = False
    # Set with them, whatever --ocr: a document or image kept in a table's binary column (a
    # contract's PDF, a scanned ID card: ``db_documents``) is handed on whole, with its row's
    # location, for a worker to read; read by the process reading the table, a table of contracts
    # was read on one core whatever --jobs said.
    defer_documents: bool = False
    # Read text in images by OCR (``images``: image files, PDF pages without text, images in binary
    # columns); without it they are counted, not read. Slow: a second or more an image.
    ocr: bool = False
    ocr_timeout: float = 180.0  # seconds OCR may take over one image (or one page of a TIFF or PDF)
    # audit.toml's [[layouts]]: a headerless batch file a layout's globs match is read as a table,
    # each field under its column's name (``layouts.Layout``, ``layouts.read_layout``).
    layouts: tuple[Layout, ...] = ()
    # A text file no layout matches, of fixed-width records whose identifiers run into other
    # fields (or stand apart in padded records), is read with the layout its first records show
    # (``layout_guess``).
    guess_layouts: bool = True

    @property
    def full(self) -> bool:
        """True when every row is read (no sampling)."""
        return self.sample_rows is None


@dataclass(frozen=True)
class InnerOptions(ScanOptions):
    """The options of a file read inside another, with the state of the readers that went into it:
    set by the readers as they go in (``inner_options``), never by a user, so none of it is among
    a target's options (the command line and audit.toml build plain ``ScanOptions``)."""

    # Read from a file packaged in an OLE object (``embedded``): a package inside it is then a
    # notice, as messages packaged in messages could go on.
    in_package: bool = False
    # How many messages deep, for what a message attached as a file holds (``emails``, ``outlook``).
    attached: int = 0
    # The archive being read and how a worker reaches it again, for a dump in it to be handed on
    # (``defer_dumps``): its name as shown (``backup.tar.gz!monthly.zip``), what reads the outermost
    # archive again (``archives.Reread``: the archive on disk, an e-mail's attached archive, from
    # its bytes) and the places of the archives inside it that lead there (``only_member``). None,
    # or another archive's, where the archive is not the one read.
    archive_route: tuple[str, Callable[..., Iterator], tuple[int, ...]] | None = None
    # The one member an archive is read for, by the worker a dump inside it was handed to: its
    # place in each archive's listing (from 0), from the archive on disk down; None reads every
    # member. By place, not by name: a tar (or a zip) may hold two members of one name.
    only_member: tuple[int, ...] | None = None


_OUTER = InnerOptions()  # the state of a target's own files: none yet


def inner_options(options: ScanOptions, **state: Any) -> InnerOptions:
    """Return ``options`` for a file inside the one being read: its reader state changed by
    ``state`` (``InnerOptions``' fields), the rest kept."""
    kept = {option.name: getattr(options, option.name) for option in fields(options)}
    return InnerOptions(**{**kept, **state})


def reader_state(options: ScanOptions) -> InnerOptions:
    """Return the reader state ``options`` carry (``InnerOptions``): none for a target's own."""
    return options if isinstance(options, InnerOptions) else _OUTER


@dataclass
class ContainerCoverage:
    """What was read of one container (a log stream, a sheet column, a database column)."""

    container: str
    unit: str  # "lines", "cells" or "rows"
    units: int = 0
    bytes: int = 0
    sampled: bool = False
    complete: bool = True  # False when any part of it failed to be read

    def as_dict(self) -> dict:
        """Return the coverage as JSON-ready data."""
        return {"container": self.container, "unit": self.unit, "units": self.units,
                "bytes": self.bytes, "sampled": self.sampled, "complete": self.complete}


@dataclass(frozen=True)
class Problem:
    """A part of a target that could not be read, and why, in one line."""

    where: str  # a path, a table or a URL with its password hidden
    reason: str
    container: str | None = None


# Joins a table's column names in ``Listing.tables``: no dialect allows it in a name.
NAMES_SEPARATOR = "\0"


@dataclass
class Listing:
    """What a database listed of itself in a full scan, before include and exclude, names as shown
    (masked): a table or column missing from it was dropped (``ledger.dropped``).

    Only schemas whose list is complete count (``dialects.lists_every_table``: MariaDB hides a table
    the account may not read). Columns are kept as one string a table, not a set: a database of
    thousands of tables has tens of thousands of columns, and a frozenset took 116 bytes a name
    where the string takes 13 (measured, tables of 40 columns)."""

    # How each schema listed in full prefixes its tables' names: "app.", "" for SQLite's main.
    prefixes: set[str] = field(default_factory=set)
    # Each table of those schemas -> its columns joined by NAMES_SEPARATOR, or None where they were
    # not read (a table left out by include or exclude, a partition).
    tables: dict[str, str | None] = field(default_factory=dict)

    def add_schema(self, prefix: str, tables: Iterable[str]) -> None:
        """Record a schema listed in full: how it prefixes its tables, and their names."""
        self.prefixes.add(shown(prefix))
        self.tables.update((shown(prefix + name), None) for name in tables)

    def merge(self, other: Listing) -> None:
        """Add another listing of the same database: a table's columns unknown in either stay unknown.

        >>> listing = Listing({"app."}, {"app.kh": "id", "app.jl": "id"})
        >>> listing.merge(Listing({"app."}, {"app.kh": "sfzh", "app.jl": None, "app.dd": "id"}))
        >>> tables = listing.tables
        >>> sorted(tables["app.kh"].split(NAMES_SEPARATOR)), tables["app.jl"], tables["app.dd"]
        (['id', 'sfzh'], None, 'id')
        """
        self.prefixes |= other.prefixes
        for table, columns in other.tables.items():
            mine = self.tables.setdefault(table, columns)
            if mine is None or columns is None:
                self.tables[table] = None
            elif mine != columns:
                self.tables[table] = NAMES_SEPARATOR.join({*mine.split(NAMES_SEPARATOR),
                                                           *columns.split(NAMES_SEPARATOR)})


# Notices of one reason shown per target; the rest are counted (TargetCoverage.notices_over).
MAX_SAME_NOTICES = 20


@dataclass
class TargetCoverage:
    """What one target's scan read and could not read."""

    target: str
    kind: str = ""  # "files", "spreadsheets" or "database"
    # The folders walked, as shown (masked): a log gone from one of them is verified (ledger.record).
    folders: list[str] = field(default_factory=list)
    # Each database a full scan listed (by its URL as locations show it) -> what it listed, empty
    # where no schema is listed in full: a table or column dropped from it is verified
    # (ledger.dropped).
    databases: dict[str, Listing] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    rows: int = 0
    cells: int = 0
    containers: dict[str, ContainerCoverage] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Parts skipped on purpose or read with a caveat (a binary file, replaced bytes, an empty
    # file): shown in the summary, but they do not make the target incomplete. Past
    # MAX_SAME_NOTICES of one reason, the rest are counted in ``notices_over`` (reason -> count):
    # a folder of 200,000 empty logs made as many summary lines.
    notices: list[Problem] = field(default_factory=list)
    notices_over: dict[str, int] = field(default_factory=dict)
    notices_kept: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # reason -> kept
    # About how many rows the target's tables hold (what --sample reads of them), for the progress
    # status while they are read; None when unknown. Not part of what was read.
    rows_expected: int | None = field(default=None, compare=False, repr=False)
    # Images not read, counted by why (``images``: --ocr not given, tesseract missing), said in one
    # line a target once it is scanned (``images.record_unread``), not one line an image.
    images_unread: dict[str, int] = field(default_factory=dict)

    def container(self, name: str, unit: str, sampled: bool = False) -> ContainerCoverage:
        """Return the coverage record of a container, creating it on first use."""
        name = shown(name)
        record = self.containers.get(name)
        if record is None:
            record = self.containers[name] = ContainerCoverage(name, unit, sampled=sampled)
        return record

    def listed(self, url: str, table: str, columns: Iterable[str]) -> None:
        """Record the columns a database lists for one of its tables, where a full scan listed the
        table's schema in full (``databases``)."""
        listing = self.databases.get(url)
        name = shown(table)
        if listing is not None and name in listing.tables:
            listing.tables[name] = NAMES_SEPARATOR.join(shown(column) for column in columns)

    def read_in_part(self, container: str) -> None:
        """Mark a container read only in part, where anything of it was read: its file broke off
        (an archive cut short in one of its members), and the problem line names the file."""
        record = self.containers.get(shown(container))
        if record is not None:
            record.complete = False

    def problem(self, where: str, reason: str, container: str | None = None) -> None:
        """Record a part that could not be read; its container, if any, is then incomplete.

        The reason is masked too: a driver's message names the table it was refused (which may be
        named after a customer) or quotes the value it choked on."""
        self.problems.append(Problem(shown(where), shown(reason), container and shown(container)))
        if container is not None:
            self.container(container, "rows").complete = False

    def notice(self, where: str, reason: str, container: str | None = None) -> None:
        """Record a part skipped on purpose or read with a caveat; the target stays complete."""
        self.add_notice(Problem(shown(where), shown(reason), container and shown(container)))

    def add_notice(self, notice: Problem) -> None:
        """Keep a notice already shown, or count it when MAX_SAME_NOTICES of its reason are kept."""
        kept = self.notices_kept.get(notice.reason, 0)
        if kept >= MAX_SAME_NOTICES:
            self.notices_over[notice.reason] = self.notices_over.get(notice.reason, 0) + 1
        else:
            self.notices_kept[notice.reason] = kept + 1
            self.notices.append(notice)

    @property
    def complete(self) -> bool:
        """True when the whole target was read without a problem."""
        return not self.problems


def is_database_url(target: str) -> bool:
    """Tell whether a target is a SQLAlchemy URL (``dialect[+driver]://...``)."""
    head, sep, _ = target.partition("://")
    return bool(sep) and head.replace("+", "").replace("_", "").isalnum()


def is_sqlite_file(path: str) -> bool:
    """Tell whether a path is a SQLite database file, by its header, not its name."""
    return starts_with(path, SQLITE_MAGIC)


def opened_file(target: str, data: bytes | None, coverage: TargetCoverage, container: ContainerCoverage
                ) -> tuple[BinaryIO, int]:
    """Open a file a reader reads whole (a document, a PDF, an e-mail), or its ``data`` when it
    is no file of its own (an archive's member), and count its bytes; return it and its size."""
    handle = open(target, "rb") if data is None else io.BytesIO(data)
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    coverage.bytes += size
    container.bytes += size
    return handle, size


def is_word_document(path: str) -> bool:
    """Tell whether a file is read as a Word document: a .docx or .docm, or a .doc, .dot or .wps
    that is an OLE2 file (one that is RTF is read by ``is_rtf``'s reader, an HTML one as text)."""
    name = path.lower()
    return name.endswith(DOCUMENT_SUFFIXES) or (name.endswith(WORD97_SUFFIXES) and starts_with(path, OLE2_MAGIC))


def is_rtf(path: str, head: bytes | None = None) -> bool:
    """Tell whether a file is read as an RTF document, by its name and its first bytes (``head``,
    read from ``path`` when not given): an .rtf, or a .doc, .dot or .wps that starts as RTF does (an
    .rtf that does not is read as text).

    >>> is_rtf("对账单.RTF", RTF_MAGIC + b"1"), is_rtf("对账单.doc", RTF_MAGIC), is_rtf("a.rtf", b"plain")
    (True, True, False)
    >>> is_rtf("a.doc", OLE2_MAGIC), is_rtf("a.txt", RTF_MAGIC)
    (False, False)
    """
    if not path.lower().endswith(RTF_SUFFIXES + WORD97_SUFFIXES):
        return False
    if head is None:
        head = _first_bytes(path, len(RTF_MAGIC))
    return head.startswith(RTF_MAGIC)


def is_presentation(path: str, head: bytes | None = None) -> bool:
    """Tell whether a file is read as a presentation, by its name and its first bytes (``head``,
    read from ``path`` when not given): a .pptx, a show or a template; a WPS .dps or .dpt that is
    a zip; a .ppt, .pps, .pot, .dps or .dpt that is an OLE2 file, a PowerPoint 97-2003 one (a
    text .pot is a gettext template, read as text).

    >>> is_presentation("案例.PPTX"), is_presentation("案例.dps", ZIP_MAGIC), is_presentation("案例.dps", b"x")
    (True, True, False)
    >>> is_presentation("旧版.ppt", OLE2_MAGIC), is_presentation("messages.pot", b"msgid")
    (True, False)
    """
    name = path.lower()
    if name.endswith(PRESENTATION_SUFFIXES):
        return True
    if not name.endswith(PPT97_SUFFIXES + WPS_PRESENTATION_SUFFIXES):
        return False
    if head is None:
        head = _first_bytes(path, len(OLE2_MAGIC))
    return head.startswith(OLE2_MAGIC) or (name.endswith(WPS_PRESENTATION_SUFFIXES) and head.startswith(ZIP_MAGIC))


def starts_with(path: str, magic: bytes) -> bool:
    """Tell whether a file's first bytes are ``magic`` (False for a file that cannot be read)."""
    return _first_bytes(path, len(magic)) == magic


def _first_bytes(path: str, count: int) -> bytes:
    """Return a file's first ``count`` bytes (none when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(count)
    except OSError:
        return b""


def expand_target(target: str) -> list[str]:
    """Return the paths a file target names: itself, or the matches of a glob."""
    if glob.has_magic(target):
        return sorted(glob.glob(target, recursive=True))
    return [target]


def as_chunks(stream: Iterable[Chunk | Cells]) -> Iterator[Chunk]:
    """Yield a source's stream with every block of ``Cells`` spelled out as one chunk per cell."""
    for item in stream:
        if type(item) is Cells:
            yield from item.chunks()
        else:
            yield item


def read_target(target: str, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk | Cells]:
    """Yield the chunks of a target, picking the reader by URL scheme, file header and suffix."""
    if is_database_url(target):
        from pii_audit.sources.databases import read_database

        coverage.kind = "database"
        yield from read_database(target, options, coverage)
        return
    if os.path.isfile(target) and is_sqlite_file(target):
        from pii_audit.sources.databases import read_database

        coverage.kind = "database"
        yield from read_database(f"sqlite:///{Path(target).resolve()}", options, coverage)
        return
    if os.path.isfile(target):
        from pii_audit.sources.layouts import layout_for, read_layout

        layout = layout_for(target, options)
        if layout is not None:
            coverage.kind = "files"
            yield from read_layout(target, layout, options, coverage)
            return
    if os.path.isfile(target) and target.lower().endswith(SPREADSHEET_SUFFIXES):
        from pii_audit.sources.spreadsheets import read_spreadsheet

        coverage.kind = "spreadsheets"
        yield from read_spreadsheet(target, options, coverage)
        return
    coverage.kind = "files"
    if os.path.isfile(target) and is_word_document(target):
        from pii_audit.sources.documents import read_document

        yield from read_document(target, options, coverage)
        return
    if os.path.isfile(target) and is_rtf(target):
        from pii_audit.sources.rtf import read_rtf

        yield from read_rtf(target, options, coverage)
        return
    if os.path.isfile(target) and is_presentation(target):
        from pii_audit.sources.presentations import read_presentation

        yield from read_presentation(target, options, coverage)
        return
    if os.path.isfile(target) and target.lower().endswith(PDF_SUFFIXES):
        from pii_audit.sources.pdfs import read_pdf

        yield from read_pdf(target, options, coverage)
        return
    if os.path.isfile(target) and target.lower().endswith(EMAIL_SUFFIXES):
        from pii_audit.sources.emails import read_email

        yield from read_email(target, options, coverage)
        return
    if os.path.isfile(target) and is_archive(target):
        from pii_audit.sources.archives import read_archive

        yield from read_archive(target, options, coverage)
        return
    from pii_audit.sources.images import is_image_name, read_image

    if os.path.isfile(target) and is_image_name(target):
        yield from read_image(target, options, coverage)
        return
    from pii_audit.sources.files import read_files

    yield from read_files(target, options, coverage)
