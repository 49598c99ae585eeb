"""Read the files inside zip, tar, 7z and RAR archives as on disk: streamed, read-only, nothing extracted.

Banks keep years of logs as monthly or yearly archives (``app-2023-01.tar.gz``, ``logs.zip``, and
on Windows servers ``logs-2023.7z`` or ``logs.rar`` from 7-Zip or WinRAR); read as a file, an
archive is binary and was skipped, so an archive full of ID numbers came out clean. Each regular
member is now read as a log file on disk is (``files.read_unit``: encoding sniffed, a ``.gz``,
``.bz2``, ``.xz`` or ``.zst`` member decompressed, whole lines in blocks) and located as
``archive!member`` (``logs.zip!app/app.log``, line 12), its stream ``stream_name`` of that, so
rotations inside an archive are one stream as on disk. Zip and tar are read by the standard
library, 7z and RAR by libarchive (``archives_libarchive``), members in its blocks.

An RTF member (an .rtf, or a .doc that is RTF) is streamed by ``rtf``, as a log is. An image
(``images.IMAGE_SUFFIXES``) is read by OCR from memory with --ocr, and only counted without. A spreadsheet
member (xlsx, xlsb, xls, csv), a Word document (docx), a presentation (pptx) or a
PDF is read from memory, up to ``SPREADSHEET_MAX_BYTES``: their readers seek in the zip, and no
temporary copy of a customer export is ever written to disk. An archive
member (a yearly backup of monthly archives) is read as an archive, located
``backup.zip!logs-2024-01.tar.gz!app.log``: a tar streamed, a zip, 7z or RAR from memory up to
``IN_MEMORY_MAX_BYTES``; an archive inside that is not read (``NESTING_MAX``).

What is not read, each in one problem line (the target is then incomplete): a SQLite file inside
an archive, a spreadsheet or zip, 7z or RAR over that size, an archive nested deeper (extract it
and scan it), an encrypted or unsupported member (a 7z or RAR whose names are encrypted too, as
a whole), a member that inflates beyond ``ScanOptions.max_gzip_bytes`` (a zip bomb), a 7z or RAR
where libarchive is not installed. A corrupt zip member is one problem and the next member is
read; a tar, 7z or RAR that breaks stops its archive there (an archive inside another, only
itself), and so does a tar, 7z or RAR member over the cap: the next member is reached only by
inflating it (in a solid 7z or RAR too).
"""

from __future__ import annotations

import functools
import io
import tarfile
import zipfile
from typing import BinaryIO, Callable, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import (DOCUMENT_SUFFIXES, EMAIL_SUFFIXES, LIBARCHIVE_SUFFIXES, OLE2_MAGIC, PDF_SUFFIXES,
                               PPT97_SUFFIXES, PRESENTATION_SUFFIXES, SPREADSHEET_SUFFIXES, SQLITE_MAGIC,
                               WORD97_SUFFIXES, WPS_PRESENTATION_SUFFIXES, ScanOptions, TargetCoverage, inner_options,
                               is_archive, is_presentation, is_rtf, legacy_text, one_line_name, reader_state)
from pii_audit.sources.archives_libarchive import DamagedArchive, libarchive_members
from pii_audit.sources.files import (DUMP_LOOK_AHEAD_BYTES, ZSTD_MAGIC, TextUnit, begins_as_dump, compression_of,
                                     inflated_start, looked_into, read_unit, stream_name)
from pii_audit.sources.documents import read_document
from pii_audit.sources.images import Deferred, is_image_name, read_image
from pii_audit.sources.layout_guess import HEAD_BYTES as GUESS_HEAD_BYTES
from pii_audit.sources.layout_guess import guessed, named_as_log
from pii_audit.sources.layouts import TEXT_TABLES, Layout, configured_layout, read_layout
from pii_audit.sources.spreadsheets import read_spreadsheet
from pii_audit.sources.streams import CORRUPT_ERRORS, DECOMPRESSORS, Capped, Recorded, Replayed
from pii_audit.sources.walk import excluded_member, listed, members_chosen
from pii_audit.sources.xlsx_guard import directory_refusal, lost_entries, opened_zip

# Errors of a damaged archive, as zipfile, tarfile and their decompressors raise them.
_BROKEN = (zipfile.BadZipFile, tarfile.TarError, EOFError, DamagedArchive, *CORRUPT_ERRORS)
_TOO_LARGE = "larger than {} bytes when inflated (a zip bomb?): not read"
# A spreadsheet or zip inside an archive is read from memory (their readers seek): an xlsx of 32 MiB
# holds some 400,000 rows; a zip holding such an xlsx, 64 MiB in all, stays beside Presidio's
# ~100 MB under the 300 MB bound.
SPREADSHEET_MAX_BYTES = 32 << 20
IN_MEMORY_MAX_BYTES = SPREADSHEET_MAX_BYTES
# An archive inside an archive is read (a yearly backup of monthly log archives); one more level
# down is a problem line: a zip at each level would hold another 32 MiB, and a 42.zip-style bomb
# nests five.
NESTING_MAX = 2
# zipfile holds an object for each entry of a zip's directory, some 550 bytes (measured: 500,000
# entries named in 38 characters took 11 s and 273 MB before a member was read). Log archives
# list far fewer (a year of hourly logs of 50 services is 438,000): past these, extract and scan
# the folder, which is walked, not held. A directory's size bounds a count that lies (46 bytes an
# entry at least): 48 MiB holds some 1.07 million entries at most.
MAX_ARCHIVE_ENTRIES = 500_000
MAX_ARCHIVE_DIRECTORY_BYTES = 48 * 1024**2
_TAIL_BLOCK = 64 << 10  # of a tar's stream after its end, read at a time (``_more_after_end``)
# How a worker reads again the archive a dump was handed on from (``InnerOptions.archive_route``):
# ``read_archive`` of the file on disk, or ``read_attached`` of an attachment's bytes; given the
# options (``only_member``) and the coverage, partly applied so that it is pickled by name.
Reread = Callable[[ScanOptions, TargetCoverage], Iterator[Chunk | Cells]]


def read_archive(path: str, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk | Cells]:
    """Yield the chunks of every text member of a zip or tar archive and the cells of every
    spreadsheet member, member after member (those of an archive inside it among them)."""
    options = members_chosen(path, options)
    if options.defer_dumps:  # a worker handed a dump in it reaches it from here (``_read_entry``)
        options = inner_options(options, archive_route=(path, functools.partial(read_archive, path), ()))
    try:
        with open(path, "rb") as handle:
            yield from _members(path, handle, options, coverage, 1)
    except _BROKEN as error:
        _broken(path, error, options, coverage)
    except OSError as error:
        coverage.problem(path, f"cannot read the archive: {error.strerror or _reason(error)}")


def _members(where: str, handle: BinaryIO, options: ScanOptions, coverage: TargetCoverage, depth: int
             ) -> Iterator[Chunk | Cells]:
    """Yield what the members of the archive ``where`` hold; ``handle`` reads its bytes (seekable
    for a zip), ``depth`` is 1 for an archive on disk, 2 for one inside it."""
    if where.lower().endswith(".zip"):
        yield from _zip_members(where, handle, options, coverage, depth)
    elif where.lower().endswith(LIBARCHIVE_SUFFIXES):
        yield from libarchive_members(where, handle, options, coverage, depth, _read_entry)
    else:
        yield from _tar_members(where, handle, options, coverage, depth)


def _zip_members(path: str, handle: BinaryIO, options: ScanOptions, coverage: TargetCoverage, depth: int
                 ) -> Iterator[Chunk | Cells]:
    reason = directory_refusal(handle, MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_DIRECTORY_BYTES)
    if reason:
        coverage.problem(path, f"{reason}; extract it and scan the folder")
        return
    handle.seek(0)
    with opened_zip(handle) as archive:
        if lost := lost_entries(archive):
            coverage.problem(path, lost)
        for place, info in listed(archive.infolist(), depth, options):
            name = _zip_name(info)
            if not info.filename:  # a name damaged to nothing, or a NUL first (zipfile's is_dir() fails on it)
                coverage.problem(path, "damaged zip directory: an entry has no name; its data is not read")
                continue
            if info.is_dir() or excluded_member(name, options):
                continue
            where = f"{path}!{one_line_name(name)}"
            if info.flag_bits & 0x1:
                coverage.problem(where, "encrypted member: not read", stream_name(where))
                continue
            if info.file_size > options.max_gzip_bytes:
                coverage.problem(where, _TOO_LARGE.format(options.max_gzip_bytes), stream_name(where))
                continue
            try:
                if info.header_offset < 0:  # zipfile would seek before the file's start (ValueError, EINVAL)
                    raise zipfile.BadZipFile("offset before the start")
                member = archive.open(info)
            except NotImplementedError:  # a compression method zipfile lacks (Deflate64, ...)
                coverage.problem(where, "compressed in a way that cannot be read here: not read",
                                 stream_name(where))
                continue
            except (zipfile.BadZipFile, ValueError):  # ValueError: a local name flagged UTF-8 that is not
                coverage.problem(where, "corrupt member (bad header)", stream_name(where))
                continue
            try:
                with member:
                    yield from _read_entry(path, (name, place), member, options, coverage, depth)
            except zipfile.BadZipFile:  # a bad CRC: the next member may be fine
                coverage.problem(where, "corrupt member (bad CRC or header)", stream_name(where))
            except (EOFError, OSError, *CORRUPT_ERRORS) as error:  # damaged data: the next member may be fine
                if isinstance(error, OSError) and error.errno:
                    raise  # the disk failed, not the data (bz2 says "Invalid data stream" with no errno)
                coverage.problem(where, "corrupt member (damaged compressed data)", stream_name(where))


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Return a member's name as its maker wrote it. A name not flagged UTF-8 is in the maker's
    code page, which zipfile reads as cp437: Windows' own zip and WinRAR write GBK in China
    ("客户" came out "┐═╗º"), Linux and macOS tools UTF-8."""
    if info.flag_bits & 0x800:
        return info.filename
    return legacy_text(info.orig_filename.encode("cp437"), info.filename)  # else cp437, as the format says


def _tar_members(path: str, handle: BinaryIO, options: ScanOptions, coverage: TargetCoverage, depth: int
                 ) -> Iterator[Chunk | Cells]:
    # "r|*": one pass over the stream, gzip, bzip2 or xz told by tarfile; nothing seeks back.
    # zstd, which tarfile reads only from Python 3.14 on, is inflated here (a .tar.zst).
    zstd = handle.peek(len(ZSTD_MAGIC)).startswith(ZSTD_MAGIC)
    try:
        archive = tarfile.open(fileobj=DECOMPRESSORS["zstd"](handle) if zstd else handle, mode="r|*")
    except TypeError:  # tarfile reads a gzip header cut short as ord(b"") (CPython 3.11-3.13)
        raise tarfile.ReadError("gzip header cut short") from None
    with archive:
        for place, info in listed(archive, depth, options):
            # tarfile reads names as UTF-8, other bytes escaped: a tar made where the locale was GBK.
            name = legacy_text(info.name.encode("utf-8", "surrogateescape"))
            if not info.isfile() or excluded_member(name, options):  # folders, links, devices: no bytes
                continue
            where = f"{path}!{one_line_name(name)}"
            if info.size > options.max_gzip_bytes:
                # The stream reaches the next member only by inflating this one to its end.
                reason = _TOO_LARGE.format(options.max_gzip_bytes) + "; the members after it neither"
                coverage.problem(where, reason, stream_name(where))
                return
            # A dump handed on is not read: the stream inflates past it to the next member.
            yield from _read_entry(path, (name, place), archive.extractfile(info), options, coverage, depth)
        if reader_state(options).only_member is None and _more_after_end(archive):
            coverage.problem(path, "the archive goes on past where its members end (a damaged header, or an "
                                   "archive appended): what follows cannot be read")


def _more_after_end(archive: tarfile.TarFile) -> bool:
    """Tell whether the stream holds anything but zeros after the member tarfile stopped at.

    tarfile ends an archive without an error at a header whose checksum is wrong (but the first):
    one damaged header lost the members after it silently, in 172 of 1,000 randomly damaged copies
    of a tar of three members. A tar ends with zero blocks, padded with zeros to its record (10 KiB
    by default); anything after is a damaged header, or a second archive appended, which tar does
    not read either. Reading stops at the first block that is not all zeros."""
    while block := archive.fileobj.read(_TAIL_BLOCK):
        if block.count(0) != len(block):
            return True
    return False


def _read_entry(path: str, entry: tuple[str, int], member: BinaryIO, options: ScanOptions,
                coverage: TargetCoverage, depth: int) -> Iterator[Chunk | Cells | Deferred]:
    """Yield what a member of the archive ``path`` holds (``read_member``); ``entry`` is its name
    and its place in the listing. A dump (by its name, or the header its first bytes begin with,
    inflated when compressed), where the scan hands dumps on (``ScanOptions.defer_dumps``) and a
    worker can reach it again (``InnerOptions.archive_route``), is left to one worker to read in order."""
    name, place = entry
    where = f"{path}!{one_line_name(name)}"
    route = reader_state(options).archive_route
    if route is not None and route[0] == path and options.defer_dumps:
        _, reread, places = route
        dump, member = looked_into(name, member)
        layout, member = (None, member) if dump else member_layout(where, member, options)
        if dump or layout:
            yield Deferred(functools.partial(read_dump_member, reread, places + (place,)))
            return
        if is_archive(name):  # a dump inside it is handed on too
            options = inner_options(options, archive_route=(where, reread, places + (place,)))
    try:
        yield from read_member(where, member, options, coverage, depth)
    except _BROKEN:  # the archive breaks inside this member: what was read of it stays, and verifies nothing
        coverage.read_in_part(stream_name(where))
        raise


def read_dump_member(reread: Reread, places: tuple[int, ...], options: ScanOptions, coverage: TargetCoverage
                     ) -> Iterator[Chunk | Cells]:
    """Yield the chunks of the dump (or batch file read with a layout, ``member_layout``) at
    ``places`` (its place in each archive's listing, from the outermost down) in what ``reread``
    reads again (the archive on disk, an attached one), read here for it alone
    (``ScanOptions.defer_dumps``): one worker reads its lines in order."""
    yield from reread(inner_options(options, only_member=places, defer_dumps=False), coverage)


def read_attached(where: str, data: bytes, options: ScanOptions, coverage: TargetCoverage
                  ) -> Iterator[Chunk | Cells | Deferred]:
    """Yield what an attachment of an e-mail (``emails``, ``outlook``) holds, read as an archive's
    member is (``read_member``). Where the scan hands dumps on (``ScanOptions.defer_dumps``), a
    dump attached (by its name or header) is left to one worker whole, with its bytes, and so is
    a dump inside an attached archive, which the worker reaches again from those bytes."""
    member: BinaryIO = io.BufferedReader(io.BytesIO(data))
    if options.defer_dumps:
        dump, member = looked_into(where, member)
        layout, member = (None, member) if dump else member_layout(where, member, options)
        if dump or layout:
            yield Deferred(functools.partial(read_attached, where, data))
            return
        if is_archive(where):
            # Read as an archive inside one (depth 2, ``_nested``): the message is its first level,
            # listed by no one, so its place is never looked at.
            options = inner_options(options, archive_route=(where, functools.partial(read_attached, where, data), (0,)))
    yield from read_member(where, member, options, coverage, 1)


def read_member(where: str, member: BinaryIO, options: ScanOptions, coverage: TargetCoverage, depth: int
                ) -> Iterator[Chunk | Cells]:
    """Yield the chunks of one member of an archive (or attachment of an e-mail, ``emails``): the
    cells of a spreadsheet, the lines of a document, the members of an archive; or record why it
    is not read. ``member`` peeks; ``depth`` is that of the archive holding it (1 on disk)."""
    stream = stream_name(where)
    layout, member = member_layout(where, member, options)
    head = member.peek(len(SQLITE_MAGIC))[:len(SQLITE_MAGIC)]
    kind = _member_kind(where, head)
    if layout is not None:
        yield from read_layout(where, layout, options, coverage, Capped(member, options.max_gzip_bytes),
                               compression_of(head))
        return
    if kind == "rtf":  # streamed, as a log is: an RTF with pictures is often larger than a document held
        from pii_audit.sources.rtf import read_rtf

        yield from read_rtf(where, options, coverage, Capped(member, options.max_gzip_bytes))
        return
    if kind == "in memory":
        yield from _in_memory(where, member, options, coverage)
        return
    if kind == "archive":
        yield from _nested(where, member, options, coverage, depth + 1)
        return
    if kind == "image":
        yield from _image(where, member, options, coverage)
        return
    if kind == "database":
        coverage.problem(where, "a database inside an archive is not read; extract it and scan it", stream)
        return
    unit = TextUnit(where, stream, encoding=None, compression=compression_of(head))
    yield from read_unit(unit, options, coverage, Capped(member, options.max_gzip_bytes))


def _member_kind(where: str, head: bytes) -> str:
    """Return how ``read_member`` reads a member, by its name and first bytes: ``rtf`` (streamed),
    ``in memory`` (a workbook, a document, a presentation, a PDF, an e-mail), ``archive``,
    ``image``, ``database`` (not read) or ``text``."""
    name = where.lower()
    if is_rtf(where, head):
        return "rtf"
    word97 = name.endswith(WORD97_SUFFIXES) and head.startswith(OLE2_MAGIC)  # HTML ones are text
    if word97 or is_presentation(where, head) or \
            name.endswith(SPREADSHEET_SUFFIXES + DOCUMENT_SUFFIXES + PDF_SUFFIXES + EMAIL_SUFFIXES):
        return "in memory"
    if is_archive(where):
        return "archive"
    if is_image_name(where):
        return "image"
    return "database" if head.startswith(SQLITE_MAGIC) else "text"


def member_layout(where: str, member: BinaryIO, options: ScanOptions) -> tuple[Layout | None, BinaryIO]:
    """Return the layout a member of an archive (or an attachment) is read with, as ``layout_for``
    tells a file on disk's, and the member to read from its start: the first layout whose globs
    match its path in the archive by any of its tails (``batch/CUST_1.dat``, ``CUST_1.dat``; not
    the archive's path on disk, as ``include`` globs match members), where it is read as text or
    is a .csv or .tsv; else, for text, the layout its first records show (``layout_guess``: its
    first bytes are read ahead, and again from memory). A member compressed inside the archive
    (``CUST_20240601.dat.gz``) is looked at inflated (``_compressed_layout``)."""
    head = member.peek(len(SQLITE_MAGIC))[:len(SQLITE_MAGIC)]
    name = where.rsplit("!", 1)[-1]
    kind = _member_kind(where, head)
    compression = compression_of(head)
    if compression:
        return _compressed_layout(where, member, compression, options) if kind == "text" else (None, member)
    layout = configured_layout(name, options)
    if layout is not None:
        return (layout if kind == "text" or kind == "in memory" and name.lower().endswith(TEXT_TABLES) else None), member
    if kind != "text" or not options.guess_layouts or named_as_log(where):
        return None, member
    replayed = member if isinstance(member, Replayed) else Replayed(b"", member)
    return guessed(replayed.peek(GUESS_HEAD_BYTES)[:GUESS_HEAD_BYTES], where), replayed


def _compressed_layout(where: str, member: BinaryIO, compression: str, options: ScanOptions
                       ) -> tuple[Layout | None, BinaryIO]:
    """``member_layout`` of a member compressed inside its archive (a day's zip of gzipped batch
    files): a layout whose globs match its name (``CUST_*.dat.gz``), else the one its first
    records show, inflated from what is read ahead (at most ``DUMP_LOOK_AHEAD_BYTES``, then read
    again from memory); none for a dump, for a log, or where it does not inflate (read as text,
    where its damage is said)."""
    name = where.rsplit("!", 1)[-1]
    layout = configured_layout(name, options)
    if layout is None and (not options.guess_layouts or named_as_log(where)):
        return None, member
    recorded = Recorded(member, DUMP_LOOK_AHEAD_BYTES)
    head = inflated_start(recorded, compression, GUESS_HEAD_BYTES)  # Recorded keeps a read's error
    member = recorded.replayed()
    if not head or begins_as_dump(head):
        return None, member
    return layout or guessed(head, where), member


def _nested(where: str, member: BinaryIO, options: ScanOptions, coverage: TargetCoverage, depth: int
            ) -> Iterator[Chunk | Cells]:
    """Yield what an archive inside an archive holds: a tar streamed, a zip, 7z or RAR read into
    memory (a zip and a 7z are read from their end) up to ``IN_MEMORY_MAX_BYTES``; none deeper
    than ``NESTING_MAX``."""
    if depth > NESTING_MAX:
        coverage.problem(where, f"an archive nested {depth} deep in archives is not read; extract it and scan it")
        return
    kind = next((suffix[1:] for suffix in (".zip", *LIBARCHIVE_SUFFIXES) if where.lower().endswith(suffix)), None)
    if kind is not None:
        data = member.read(IN_MEMORY_MAX_BYTES + 1)
        if len(data) > IN_MEMORY_MAX_BYTES:
            coverage.problem(where, f"a {kind} inside an archive larger than {IN_MEMORY_MAX_BYTES:,} bytes is not "
                                    "read; extract it and scan it")
            return
        member = io.BytesIO(data)  # zipfile and libarchive seek; only a tar peeks
    try:
        yield from _members(where, member, members_chosen(where, options), coverage, depth)
    except _BROKEN as error:  # the archive around it may be fine: its next member is read
        _broken(where, error, options, coverage)


def _broken(where: str, error: BaseException, options: ScanOptions, coverage: TargetCoverage) -> None:
    """Record that the archive ``where`` breaks off; not in the worker reading a dump handed on
    (``InnerOptions.only_member``). The reading that handed it on went on past the dump to the
    same break, or an earlier one, and told it: a tar.gz cut inside its dump was told twice."""
    if reader_state(options).only_member is None:
        coverage.problem(where, f"corrupt or truncated archive ({_reason(error)}); not read further")


def _image(where: str, member: BinaryIO, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the text OCR reads in an image inside an archive, read into memory up to
    ``SPREADSHEET_MAX_BYTES``; without --ocr, count it (its bytes are not read)."""
    if not options.ocr:
        yield from read_image(where, options, coverage)
        return
    data = member.read(SPREADSHEET_MAX_BYTES + 1)
    if len(data) > SPREADSHEET_MAX_BYTES:
        coverage.problem(where, f"an image inside an archive larger than {SPREADSHEET_MAX_BYTES:,} bytes is not "
                                "read; extract it and scan it")
        return
    if options.defer_pictures:  # the main process reads the archive: a worker reads the image
        yield Deferred(functools.partial(read_image, where, data=data))
        return
    yield from read_image(where, options, coverage, data)


def _in_memory(where: str, member: BinaryIO, options: ScanOptions, coverage: TargetCoverage
               ) -> Iterator[Cells | Chunk]:
    """Yield the cells of a spreadsheet or the lines of a Word document or a presentation inside an
    archive, read whole into memory (their readers seek in the zip, and nothing is written to disk)
    when it is at most ``SPREADSHEET_MAX_BYTES``."""
    name = where.lower()
    kind = "document" if name.endswith(DOCUMENT_SUFFIXES + WORD97_SUFFIXES) else "PDF" if name.endswith(PDF_SUFFIXES) else \
        "presentation" if name.endswith(PRESENTATION_SUFFIXES + WPS_PRESENTATION_SUFFIXES + PPT97_SUFFIXES) else \
        "e-mail" if name.endswith(EMAIL_SUFFIXES) else "spreadsheet"
    data = member.read(SPREADSHEET_MAX_BYTES + 1)
    if len(data) > SPREADSHEET_MAX_BYTES:
        coverage.problem(where, f"a {kind} inside an archive larger than {SPREADSHEET_MAX_BYTES:,} bytes "
                                "is not read; extract it and scan it")
        return
    if kind == "document":
        yield from read_document(where, options, coverage, data)
    elif kind == "PDF":
        from pii_audit.sources.pdfs import read_pdf  # pypdf is imported only where there is a PDF

        yield from read_pdf(where, options, coverage, data)
    elif kind == "presentation":
        from pii_audit.sources.presentations import read_presentation

        yield from read_presentation(where, options, coverage, data)
    elif kind == "e-mail":
        from pii_audit.sources.emails import read_email

        yield from read_email(where, options, coverage, data)
    else:
        yield from read_spreadsheet(where, options, coverage, data)


def _reason(error: BaseException) -> str:
    """Return an error's message, first line only. zipfile names the member it choked on, whose
    name may hold an ID number: ``TargetCoverage.problem`` masks it, as every reason."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
