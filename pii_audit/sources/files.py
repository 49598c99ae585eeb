"""Read log and text files as chunks of whole lines: plain or compressed, UTF-8, GB18030 or UTF-16.

A file is cut into ``TextUnit``s (the whole file, or byte ranges of a big plain file that end at
line boundaries) so that a process pool can read one file on many cores. A unit is read in
blocks of about ``BLOCK`` bytes cut after their last newline, so an ID is never split between two
chunks; a line longer than ``LINE_LIMIT`` is read in pieces cut where no value can be (SECURITY.md
item 9), so memory stays bounded whatever the line length. The encoding is decided once per file
from its first ``SNIFF`` bytes (SECURITY.md item 8): UTF-16 (by its byte order mark, or its NULs
all on one side of each pair; read as UTF-8 from there on), UTF-8 (strict, or but for a few
characters a logger cut: ``encodings``), else GB18030; bytes neither decodes are replaced, with a
notice. A head of pure ASCII leaves the choice to the first block that is not. Rotations (``app.log.1``, ``app.log.2.gz``, ``app.log-20240105``) belong to the
stream ``app.log``, which is the container a person remediates.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import os
import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from pii_audit.models import Chunk
from pii_audit.sources import (EMAIL_SUFFIXES, PDF_SUFFIXES, SPREADSHEET_SUFFIXES, ScanOptions, TargetCoverage,
                               is_archive, is_presentation, is_rtf, is_sqlite_file, is_word_document, starts_with)
from pii_audit.sources.encodings import text_encoding
from pii_audit.sources.images import is_image_name
from pii_audit.sources.streams import (CORRUPT_ERRORS, DECOMPRESSORS, Capped, Decompressed, GzipBombError, Recorded,
                                       Utf8Transcoded, damage)
from pii_audit.sources.walk import os_reason, walk_target

BLOCK = 1 << 20  # bytes read at a time; chunks hold about this many bytes of whole lines
LINE_LIMIT = 1 << 20  # a line longer than this is read in pieces
SNIFF = 64 << 10  # bytes the encoding is decided from
BINARY_BLOCK = 8 << 10  # a NUL byte in this first block makes a file binary
# ... unless it begins with this many NULs at least, then holds none (nul_run): a hole is as long as
# the log was when truncated, and a binary format's few leading NULs are followed by more.
MIN_HOLE = 512
# Plain files larger than twice this are cut into ranges of about this size. 8 MiB rather than 32:
# a 100 MB log made 3 ranges, so with 2 workers one sat idle at the end (scan --jobs 2 of 100 MB:
# 5.77-6.08 s against 6.40-6.58 s; on 200 MB, 6 ranges shared evenly, the two were within noise).
SPLIT_BYTES = 8 << 20
GZIP_MAGIC = b"\x1f\x8b"
# What logrotate compresses with: gzip by default, bzip2, xz or zstd where configured
# (compresscmd), each told by its magic number.
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMPRESSIONS = {GZIP_MAGIC: "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", ZSTD_MAGIC: "zstd"}
SUFFIX_COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}

# Archives read by their names (``is_archive``): a 7z or RAR named otherwise (a volume of a split
# archive, ``客户.7z.001``, or one renamed) is binary like any other file, but may hold whole logs
# or exports, so it leaves the scan incomplete instead of passing as clean.
UNREAD_ARCHIVES = {b"7z\xbc\xaf\x27\x1c": ("7z", ".7z"), b"Rar!\x1a\x07": ("RAR", ".rar")}
# Workbooks in formats no reader here opens, told by their names (a .numbers is a zip, like
# others that hold no table). WPS's .et is read, as the .xls it is (``sheet_rows.wps_sheets``),
# Excel's .xlsb by ``xlsb_stream`` and an OpenDocument .ods by ``ods_stream``.
UNREAD_WORKBOOKS = {".numbers": "an Apple Numbers"}
# Word documents that are binary but no OLE2 file, so no Word 97-2003 document (``word97`` reads
# those): Word 2.0 or 6.0, or WPS Writer's own format before WPS 2005.
UNREAD_DOCUMENTS = {".doc": ".doc", ".dot": ".dot", ".wps": "WPS Writer .wps"}

# Control characters that text holds none of (tab, newline and carriage return aside).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SUFFIX_RE = re.compile(r"(?:[.\-_](?:\d{1,3}|\d{8}|\d{4}-\d{2}-\d{2}(?:[.\-_]\d{1,6})?))+$")
# A piece of a long line is cut where a field or a record ends, before the next one's key, so a
# key stays with its value (a cut after `"custName": "` lost the name after it: 4 of 300,000 on
# a 27 MB line of JSON records): after a comma, a semicolon, a bar, a tab, a closing brace or
# bracket, or a query string's & before a key. Where none is near the end, after a character that
# no value (nor its grouping) can contain, nor an escape begin (\\u5f20, %E5, &#23385;, a colour
# code's ESC[): a cut there had lost the character escaped. A dump's INSERT line between two
# rows found in its last ROW_WINDOW characters.
ROW_WINDOW = 64 << 10
_FIELD_CUT_RE = re.compile(r"[,;|\t}\]]|&(?=[A-Za-z_]\w*=)")
_CUT_RE = re.compile(r"[^0-9A-Za-z*+\-()\s\uff01-\uff5e\\%&#\[\x1b]")
# A row of a hex dump of a payment message (``iso8583``), which the detector reads joined with the
# rows next to it: a block or a range is cut before the rows that end it, so that a message is not
# cut before its card field (the type and bitmap in one block, field 2 in the next, was a card
# lost), unless they began more than MAX_HEX_DUMP bytes before (a file that is one long dump).
MAX_HEX_DUMP = 64 << 10
# The comment pg_dump, pg_dumpall, mysqldump and MariaDB's dump begin with, after at most a few
# comment lines (pg_dump writes "--" first; MariaDB 10.11.8 and later a sandbox comment): a dump
# named .txt, .dump or .bak. Only at the file's start: a log may quote one further down.
_DUMP_HEAD = re.compile(rb"(?:\xef\xbb\xbf)?(?:(?:--|/\*)[^\n]{0,200}\n){0,3}"
                        rb"-- (?:PostgreSQL database (?:cluster )?dump|MySQL dump |MariaDB dump )")
DUMP_HEAD_BYTES = 1024  # of a file's first bytes, decompressed, looked at for that header
# Of a compressed member's bytes, read ahead to inflate its first DUMP_HEAD_BYTES (``looked_into``):
# bzip2 inflates nothing before its first block is read whole (900 kB of text at -9, compressed to
# some 200 kB; about as much when it does not shrink), zstd before its first (128 KiB at most);
# gzip and xz need a few hundred bytes.
DUMP_LOOK_AHEAD_BYTES = 1 << 20
INFLATE_PIECE = 8 << 10  # inflated at a time by ``inflated_start``: what inflated before damage is kept


@dataclass(frozen=True)
class TextUnit:
    """A byte range of one text file, read by one worker."""

    path: str
    stream: str  # the container: the log stream this file belongs to
    start: int = 0
    end: int | None = None  # None: to the end (gzip files are never cut)
    first_line: int = 1
    encoding: str | None = None  # None: decide from the first block (gzip)
    decided: bool = True  # False when the sample was pure ASCII: a later GB18030 block may switch
    compression: str = ""  # "gzip", "bzip2", "xz" or "zstd" (COMPRESSIONS); such a file is never cut

    @property
    def size(self) -> int:
        """Return the bytes on disk this unit covers (for progress), or 0 when unknown."""
        return 0 if self.end is None else self.end - self.start


def stream_name(path: str) -> str:
    """Return the log stream a file belongs to: its path without rotation and compression suffixes.

    >>> stream_name("logs/app.log.1.gz"), stream_name("logs/app.log-20240105"), stream_name("a.txt")
    ('logs/app.log', 'logs/app.log', 'a.txt')
    >>> stream_name("logs/app.log.2.xz"), stream_name("logs/app.log-20240105.bz2"), stream_name("app.log.3.zst")
    ('logs/app.log', 'logs/app.log', 'app.log')
    """
    base, suffix = os.path.splitext(path)
    base = base if suffix in SUFFIX_COMPRESSIONS else path
    head, name = os.path.split(base)
    stripped = _SUFFIX_RE.sub("", name)
    return os.path.join(head, stripped or name)


def is_dump(path: str) -> bool:
    """Tell whether a file is named as a database dump (``.sql``, compressed or rotated too), which
    is read in order by one worker (``detector.Detector._sql_stream``).

    >>> is_dump("backup/core-20240101.sql.gz"), is_dump("logs/app.log")
    (True, False)
    """
    return stream_name(path).lower().endswith(".sql")


def begins_as_dump(head: bytes) -> bool:
    """Tell whether a file's first bytes are a database dump's header, whatever its name.

    >>> begins_as_dump(b"--\\n-- PostgreSQL database dump\\n--\\n"), begins_as_dump(b"-- app started\\n")
    (True, False)
    """
    return _DUMP_HEAD.match(head) is not None


def holds_dump(path: str) -> bool:
    """Tell whether a file is a database dump, by its name (``is_dump``) or by the header its
    first bytes begin with, decompressed when it is compressed (``core-20261102.gz``). Damaged or
    unreadable data is no dump here: reading it says what is wrong."""
    if is_dump(path):
        return True
    try:
        return begins_as_dump(inflated_head(path, DUMP_HEAD_BYTES))
    except (OSError, EOFError, *CORRUPT_ERRORS):
        return False


def inflated_head(path: str, size: int) -> bytes:
    """Return a file's first ``size`` bytes, inflated when it is compressed (gzip, bzip2, xz,
    zstd, by its first bytes: ``inflated_start``); raise what opening or reading it raises."""
    with open(path, "rb") as handle:
        compression = compression_of(handle.read(8))
        handle.seek(0)
        return inflated_start(handle, compression, size) if compression else handle.read(size)


def inflated_start(handle: BinaryIO, compression: str, size: int) -> bytes:
    """Return the first ``size`` bytes (at most) of what ``handle`` inflates to: those before the
    end of a stream cut short or its damage too, which a reading of the whole tells (a layout is
    guessed from them: a gzipped batch file cut inside its first 32 KiB was read as text)."""
    stream = DECOMPRESSORS[compression](handle)
    pieces, left = [], size
    try:
        while left > 0 and (piece := stream.read(min(left, INFLATE_PIECE))):
            pieces.append(piece)
            left -= len(piece)
    except (EOFError, *CORRUPT_ERRORS):
        pass
    except OSError as error:  # bz2's "Invalid data stream" has no errno; a read that failed has one
        if error.errno:
            raise
    return b"".join(pieces)


def looked_into(name: str, member: BinaryIO) -> tuple[bool, BinaryIO]:
    """Tell whether an archive's member or an attachment (``member``, which peeks) is a database
    dump, as ``holds_dump`` tells a file; return that and the member, to be read from its start.

    A compressed one (``core-20261102.gz``, ``daily.txt.gz``) is inflated as far as its header:
    up to ``DUMP_LOOK_AHEAD_BYTES`` of it are read ahead, and read again from memory."""
    if is_dump(name):
        return True, member
    head = member.peek(DUMP_HEAD_BYTES)[:DUMP_HEAD_BYTES]
    compression = compression_of(head)
    if not compression:
        return begins_as_dump(head), member
    recorded = Recorded(member, DUMP_LOOK_AHEAD_BYTES)
    return starts_as_dump(recorded, compression), recorded.replayed()


def starts_as_dump(handle: BinaryIO, compression: str) -> bool:
    """Tell whether what ``handle`` reads, inflated by ``compression`` ("" for none), begins with
    a dump's header (``begins_as_dump``); damaged data is no dump here."""
    try:
        opened = DECOMPRESSORS[compression](handle) if compression else handle
        return begins_as_dump(opened.read(DUMP_HEAD_BYTES))
    except (OSError, EOFError, *CORRUPT_ERRORS):
        return False


def file_kind(path: str) -> str:
    """Return how a file is read: ``database`` (by its header), ``spreadsheet``, ``document``
    (Word, ``documents``), ``rtf`` (an RTF document, ``rtf``), ``presentation``
    (``presentations``), ``pdf``, ``email`` (``emails``), ``archive`` (zip, tar, 7z and RAR,
    ``archives``), ``image`` (``images``: by its name) or ``text``."""
    if is_sqlite_file(path):
        return "database"
    if path.lower().endswith(SPREADSHEET_SUFFIXES):
        return "spreadsheet"
    if is_word_document(path):
        return "document"
    if is_rtf(path):
        return "rtf"
    if is_presentation(path):
        return "presentation"
    if path.lower().endswith(PDF_SUFFIXES):
        return "pdf"
    if path.lower().endswith(EMAIL_SUFFIXES):
        return "email"
    if is_archive(path):
        return "archive"
    if is_image_name(path):
        return "image"
    return "text"


def is_compressed_file(path: str) -> bool:
    """Tell whether a file holds gzip, bzip2, xz or zstd data, by its first bytes, not its name."""
    return any(starts_with(path, magic) for magic in COMPRESSIONS)


def compression_of(head: bytes) -> str:
    """Return the compression a file's first bytes name ("" for none read here).

    >>> compression_of(b"\\x1f\\x8b\\x08"), compression_of(b"BZh91AY"), compression_of(b"plain")
    ('gzip', 'bzip2', '')
    """
    return next((name for magic, name in COMPRESSIONS.items() if head.startswith(magic)), "")


def sniff(head: bytes) -> tuple[str, bool] | None:
    """Return ``(encoding, decided)`` for a file's first bytes, or None for a binary file.

    >>> sniff("身份证".encode("gb18030")), sniff(b"plain"), sniff(b"\\x00\\x01")
    (('gb18030', True), ('utf-8', False), None)
    >>> sniff("身份证 id\\n".encode("utf-16")), sniff("log line\\n".encode("utf-16-be"))
    (('utf-16', True), ('utf-16-be', True))
    >>> sniff(b"\\x00" * 9000 + "身份证".encode()), sniff(b"\\x00" * 9000 + b"\\x01\\x00")
    (('utf-8', True), None)
    """
    utf16 = _utf16(head[:BINARY_BLOCK])
    if utf16:
        return utf16, True
    if b"\x00" in head[:BINARY_BLOCK]:
        text = head.lstrip(b"\x00")  # a hole first: a log truncated in place (nul_run)
        if len(head) - len(text) < MIN_HOLE or not text or b"\x00" in text[:BINARY_BLOCK]:
            return None
        head = text
    if head.isascii():
        return "utf-8", False
    return text_encoding(head, final=False), True


def _utf16(head: bytes) -> str | None:
    """Return the UTF-16 codec of a file's first bytes, or None when they are not UTF-16 text.

    Windows writes UTF-16: Excel's "Unicode text" export, PowerShell 5's ``Out-File``, some
    services' logs. Its NUL bytes made such a file binary, skipped, and so clean. With a byte
    order mark it is UTF-16 ("utf-16" reads the mark); without, when its NULs (the high bytes
    of ASCII characters) all stand at odd offsets (little-endian) or all at even ones, where a
    binary file has them at both, at least one pair in five has one, and it decodes to no
    control character.

    >>> _utf16("2024-01-05 手机".encode("utf-16-le")), _utf16(b"plain text with a stray \\x00 in it")
    ('utf-16-le', None)
    """
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if len(head) < 2 or b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    # ASCII characters (timestamps, levels, keys) put a NUL in every other byte: a text with a
    # stray NUL has far fewer, and stays binary.
    if (even and odd) or max(even, odd) < len(head) // 10:
        return None
    codec = "utf-16-le" if odd else "utf-16-be"
    text = head[:len(head) // 2 * 2].decode(codec, "surrogatepass")  # no error: any pair of bytes
    return None if _CONTROL.search(text) else codec


def plan_file(path: str, size: int, coverage: TargetCoverage) -> Iterator[TextUnit]:
    """Yield the units a text file is read in; record an empty, binary or unreadable file.

    A large plain file's ranges are yielded as they are found: the pool starts on the first while
    the rest is cut (the cutting read 200 MB in 0.12-0.16 s, and 1 GB in five times that, before
    any worker started; measured)."""
    stream = stream_name(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF)
            compression = compression_of(head)
            if compression:
                yield TextUnit(path, stream, compression=compression)
                return
            if not head:
                _empty(path, stream, coverage)
                return
            sniffed = sniff(head)
            hole = 0 if sniffed and sniffed[0].startswith("utf-16") else nul_run(handle, head)
            if sniffed is None and hole >= len(head) == SNIFF:  # all NUL so far: look past them
                handle.seek(hole)
                sniffed = sniff(handle.read(SNIFF)) if hole < size else None
            if sniffed is None:
                _skip_binary(path, head, coverage, stream)
                return
            suffix = os.path.splitext(path)[1]
            if suffix in SUFFIX_COMPRESSIONS:
                coverage.notice(path, f"named {suffix} but holds no {SUFFIX_COMPRESSIONS[suffix]} data; "
                                      "read as plain text")
            if hole:
                coverage.notice(path, f"begins with {hole:,} NUL bytes, as a log truncated in place while "
                                      "written does (logrotate's copytruncate); read as text")
            handle.seek(0)
            # UTF-16 is cut into lines once read as UTF-8 (streams.Utf8Transcoded): one range.
            # So is a dump, by its name or its header: its rows take their columns from a CREATE
            # TABLE or COPY line before them.
            cut = size > 2 * SPLIT_BYTES and not sniffed[0].startswith("utf-16") and not is_dump(path) \
                and not begins_as_dump(head)
            start, line = 0, 1
            for point in _split_points(handle, SPLIT_BYTES) if cut else ():
                yield TextUnit(path, stream, start, point[0], line, *sniffed)
                start, line = point
            yield TextUnit(path, stream, start, None, line, *sniffed)
    except OSError as error:
        coverage.container(stream, "lines")
        coverage.problem(path, os_reason(error), stream)


def nul_run(handle: BinaryIO, head: bytes) -> int:
    """Return how many NUL bytes a file begins with, ``head`` its first bytes (read on past them
    from ``handle`` when they are all NUL).

    A log truncated in place while its program writes on (logrotate's copytruncate) begins with
    a hole as long as it was, NUL bytes, then text: it was skipped as binary, every line in it
    unread. The NULs are kept and read as text, so offsets stay as stored.
    """
    hole = len(head) - len(head.lstrip(b"\x00"))
    if hole < len(head) or not head:
        return hole if hole >= MIN_HOLE else 0
    while block := handle.read(BLOCK):
        stripped = block.lstrip(b"\x00")
        hole += len(block) - len(stripped)
        if stripped:
            break
    return hole


def _skip_binary(path: str, head: bytes, coverage: TargetCoverage, stream: str, compression: str | None = None
                 ) -> None:
    """Record a binary file as skipped: a notice, or a problem line for an archive, workbook or
    document that is not read here, or for a file named as compressed that is not (``compression``:
    what it was inflated as, if it was)."""
    archive = next((kind for magic, kind in UNREAD_ARCHIVES.items() if head.startswith(magic)), None)
    suffix = os.path.splitext(path)[1].lower()
    workbook, document = UNREAD_WORKBOOKS.get(suffix), UNREAD_DOCUMENTS.get(suffix)
    if archive is not None:
        coverage.problem(path, f"a {archive[0]} archive not named {archive[1]} (a volume of a split archive?), "
                               f"which is not read: join its volumes or rename it {archive[1]} and scan that", stream)
    elif workbook is not None:
        coverage.problem(path, f"{workbook} workbook, which is not read here: save it as .xlsx and scan that",
                         stream)
    elif document is not None:
        coverage.problem(path, f"a {document} document in a format before Word 97, which is not read here: "
                               "save it as .docx and scan that", stream)
    elif suffix in SUFFIX_COMPRESSIONS and not compression:
        # A rotated log whose first bytes were damaged: skipped with a notice, every line in it unread
        # (4 to 11 of 500 randomly damaged copies of a .gz, .bz2 or .xz log).
        coverage.problem(path, f"named {suffix} but holds no {SUFFIX_COMPRESSIONS[suffix]} data, and is binary "
                               "(its signature damaged?): not read", stream)
    else:
        coverage.notice(path, "binary file (NUL bytes in its first 8 KiB); skipped")


def _empty(path: str, stream: str, coverage: TargetCoverage) -> None:
    coverage.files += 1
    coverage.container(stream, "lines")
    coverage.notice(path, "empty file")


def _split_points(handle: BinaryIO, split: int) -> Iterator[tuple[int, int]]:
    """Yield ``(byte offset, line number)`` of line starts about ``split`` bytes apart, after the
    first line's; none at the file's end (a point is held back until a byte after it is read)."""
    target, pos, lines, held = split, 0, 1, None
    while block := handle.read(4 * BLOCK):
        if held is not None:
            yield held
            held = None
        end = pos + len(block)
        while target < end:
            newline = block.find(b"\n", max(0, target - pos))
            if newline < 0:
                break
            cut = before_hex_dump(block, newline + 1, max(0, target - split - pos))
            point = (pos + cut, lines + block.count(b"\n", 0, cut))
            if point[0] < end:
                yield point
            else:
                held = point  # the block ends there: the file may too
            target = point[0] + split
        lines += block.count(b"\n")
        pos = end


def before_hex_dump(data: bytes, cut: int, lowest: int = 0) -> int:
    """Return where to cut ``data``, whose whole lines end at ``cut``: before the run of hex dump
    rows its last lines are, when there is one that began after ``lowest`` and at most
    ``MAX_HEX_DUMP`` bytes before; else at ``cut``.

    >>> rows = b"send:\\n0000: 60 00 03 00 00 02 00 70 20 04 80 00 C0 00 00 16\\n"
    >>> before_hex_dump(rows, len(rows)), before_hex_dump(rows, len(rows), 7) == len(rows)
    (6, True)
    """
    start, row = cut, _hex_dump_row()
    while start > lowest and cut - start < MAX_HEX_DUMP:
        line = data.rfind(b"\n", 0, start - 1) + 1
        if not row.search(data, line, start - 1):
            return start
        start = line
    return cut


@functools.cache
def _hex_dump_row() -> re.Pattern[bytes]:
    # Imported when first read: iso8583 imports the recognizers, which `pii-audit --help` does not wait for.
    from pii_audit.iso8583 import DUMP_MARK

    return re.compile(DUMP_MARK)


def read_unit(unit: TextUnit, options: ScanOptions, coverage: TargetCoverage,
              source: BinaryIO | None = None) -> Iterator[Chunk]:
    """Yield the chunks of one unit; record what could not be read (a truncated gzip, an error).

    ``source`` holds the unit's bytes when they are not a file of their own (a member of an
    archive, ``archives``); else the unit's file is opened."""
    container = coverage.container(unit.stream, "lines")
    if unit.start == 0:
        coverage.files += 1
    reader = _UnitReader(unit, coverage)
    try:
        with open(unit.path, "rb") if source is None else contextlib.nullcontext(source) as handle:
            yield from reader.chunks(_opened(handle, unit, options))
    except EOFError:
        coverage.problem(unit.path, f"truncated {unit.compression} file: read up to line {reader.line}",
                         unit.stream)
    except CORRUPT_ERRORS as error:
        coverage.problem(unit.path, damage(unit.compression, error, reader.line), unit.stream)
    except GzipBombError as error:
        coverage.problem(unit.path, str(error), unit.stream)
    except OSError as error:  # bz2 says "Invalid data stream" with no errno
        reason = os_reason(error) if error.errno or not unit.compression else \
            f"corrupt {unit.compression} data after line {reader.line}"
        coverage.problem(unit.path, reason, unit.stream)
    finally:
        container.units += reader.line - unit.first_line
        container.bytes += reader.bytes
        coverage.bytes += reader.bytes
    if reader.replaced or (reader.transcoded is not None and reader.transcoded.replaced):
        encoding = reader.wide if reader.transcoded is not None else reader.encoding
        coverage.notice(unit.path, f"undecodable bytes replaced (decoded as {encoding})")


def _opened(handle: BinaryIO, unit: TextUnit, options: ScanOptions) -> BinaryIO:
    if unit.compression:
        return Capped(Decompressed(DECOMPRESSORS[unit.compression](handle)), options.max_gzip_bytes)
    if unit.start:
        handle.seek(unit.start)
    return Capped(handle, None if unit.end is None else unit.end - unit.start, strict=False)


class _UnitReader:
    """Turn a unit's bytes into chunks, counting lines and bytes as it goes."""

    def __init__(self, unit: TextUnit, coverage: TargetCoverage):
        self.unit, self.coverage = unit, coverage
        self.line, self.bytes, self.replaced = unit.first_line, 0, False
        self.cut_line = 0  # the line whose base64 body a piece was cut inside, told once (``_cut``)
        self.encoding, self.decided = unit.encoding or "utf-8", unit.decided
        self.transcoded: Utf8Transcoded | None = None  # UTF-16 read as UTF-8
        # The UTF-16 codec it was read in: a gzip file's or an archive member's is sniffed here, so
        # the unit's encoding (None) did not name it ("decoded as None").
        self.wide = ""

    def chunks(self, raw: BinaryIO) -> Iterator[Chunk]:
        """Yield chunks of whole lines, and pieces of lines longer than LINE_LIMIT."""
        buf = self._read(raw)
        if self.unit.encoding is None and not self._sniffed(buf):
            return
        if self.encoding.startswith("utf-16"):
            raw = self.transcoded = Utf8Transcoded(raw, self.encoding, buf)
            self.wide = self.encoding  # what the notice of replaced bytes names: the file's, not UTF-8
            self.encoding, self.bytes = "utf-8", 0  # bytes: of the text, as of a gzip file's
            buf = self._read(raw)
        while True:
            cut = before_hex_dump(buf, buf.rfind(b"\n") + 1)
            if cut:
                yield from self._lines(buf[:cut])
                buf = buf[cut:]
            elif len(buf) >= LINE_LIMIT:
                buf = yield from self._long_line(raw, buf)
                continue
            data = self._read(raw)
            if not data:
                break
            buf = buf + data if buf else data
        if buf:
            yield from self._lines(buf)

    def _read(self, raw: BinaryIO) -> bytes:
        data = raw.read(BLOCK)
        self.bytes += len(data)
        return data

    def _sniffed(self, head: bytes) -> bool:
        """Decide a gzip file's encoding from its first block; False when it is empty or binary."""
        sniffed = sniff(head)
        if not head:
            self.coverage.notice(self.unit.path, "empty file")
        elif sniffed is None:
            _skip_binary(self.unit.path, head, self.coverage, self.unit.stream, self.unit.compression)
        else:
            self.encoding, self.decided = sniffed
        return bool(head) and sniffed is not None

    def _decode(self, data: bytes) -> tuple[str, bool]:
        """Return the text of ``data``, and whether ``data`` is exactly its UTF-8 encoding."""
        try:
            return data.decode(self.encoding), self.encoding == "utf-8"
        except UnicodeDecodeError:
            pass
        if not self.decided:  # the sample was ASCII: this is the first block that says more
            self.decided = True
            self.encoding = text_encoding(data)
            if self.encoding != "utf-8":
                with contextlib.suppress(UnicodeDecodeError):
                    return data.decode(self.encoding), False
        self.replaced = True
        return data.decode(self.encoding, "replace"), False

    def _lines(self, data: bytes) -> Iterator[Chunk]:
        """Yield a block of whole lines as one chunk; the detector screens it."""
        text, exact = self._decode(data)
        yield Chunk(text, {"path": self.unit.path, "line": self.line}, self.unit.stream, multiline=True,
                    utf8=data if exact else None)
        self.line += data.count(b"\n") + (not data.endswith(b"\n"))

    def _long_line(self, raw: BinaryIO, buf: bytes):
        """Yield pieces of one long line; return the bytes read past its end."""
        decoder = codecs.getincrementaldecoder(self.encoding)("replace")
        carry, offset = "", 0
        while True:
            newline = buf.find(b"\n")
            final = newline >= 0 or not buf
            text = carry + decoder.decode(buf[:newline] if newline >= 0 else buf, final=final)
            cut = len(text) if final else self._cut(text)
            yield self._piece(text[:cut].rstrip("\r") if final else text[:cut], offset)
            if final:
                self.line += 1
                return buf[newline + 1:] if newline >= 0 else b""
            carry, offset = text[cut:], offset + cut
            buf = self._read(raw)

    def _cut(self, text: str) -> int:
        """Return where to cut a piece of a long line (``_safe_cut``), but not inside a base64
        body (a JSON or XML document encoded), which is decoded from its start only: one that
        began in this piece goes whole to the next; one that began before it is cut, and the
        line is a problem line (a cut had lost every value after it, silently)."""
        from pii_audit.escapes import last_base64_run  # it imports the recognizers: not at --help

        cut = _safe_cut(text)
        run = last_base64_run(text)
        if run is None or cut <= run[0] or (cut >= run[1] and run[1] < len(text)):
            return cut
        if run[0] > 0:
            return run[0]
        if self.cut_line != self.line:
            self.cut_line = self.line
            self.coverage.problem(self.unit.path, f"line {self.line}: a base64 body of over {LINE_LIMIT:,} "
                                                  "characters: decoded in part", self.unit.stream)
        return cut

    def _piece(self, text: str, offset: int) -> Chunk:
        self.replaced = self.replaced or "\ufffd" in text
        location = {"path": self.unit.path, "line": self.line, "offset": offset}
        return Chunk(text, location, self.unit.stream)


def _safe_cut(text: str) -> int:
    """Return where to cut a piece of a long line: between two rows of an INSERT's values
    (``…'x'),('y…``: the next piece begins with a whole row, which the detector names by the
    columns of the piece before), else after a field's end (``_FIELD_CUT_RE``), else after its
    last character no value can hold, each looked for in its last 4,096 characters.

    >>> text = '{"custName":"张三","mobile":"13812345678"},{"custName": "李四"'
    >>> text[_safe_cut(text):]
    '{"custName": "李四"'
    """
    row = text.rfind("),(", max(0, len(text) - ROW_WINDOW))
    if row >= 0:
        return row + 2
    for cuts in (_FIELD_CUT_RE, _CUT_RE):
        last = None
        for last in cuts.finditer(text, max(0, len(text) - 4096)):
            pass
        if last is not None:
            return last.end()
    return len(text)


def read_files(target: str, options: ScanOptions, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the chunks of every file under a file, folder or glob target, one file after another."""
    from pii_audit.sources import read_target

    for path, info in walk_target(target, options, coverage):
        if file_kind(path) != "text":
            yield from read_target(path, options, coverage)
            continue
        for unit in plan_file(path, info.st_size, coverage):
            yield from read_unit(unit, options, coverage)
