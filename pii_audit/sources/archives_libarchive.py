"""Read the members of 7z and RAR archives (7-Zip, WinRAR) through libarchive: streamed, read-only.

Windows servers and desktops in banks keep logs and customer lists as ``.7z`` and ``.rar``; no
reader in the standard library opens either. libarchive (the system's ``libarchive.so.13``, through
libarchive-c's ctypes binding) reads 7z and RAR 4 and 5, solid archives among them, and hands each
member's data over in blocks: ``archives.read_member`` reads a member from ``EntryData`` as it reads a
zip or tar member, and nothing is written to disk. The archive is read through a file object that
seeks (a 7z keeps its directory at its end): the file on disk, or an archive inside an archive
read into memory (``archives._nested``).

Where libarchive cannot be loaded such an archive is one problem line that says what to install.
An encrypted member (or an archive whose names are encrypted too), a member split across the
volumes of a multi-volume RAR (``rar5_unread``), a member over ``ScanOptions.max_gzip_bytes``
(after it the members neither: in a solid archive they are reached only by inflating it) and a
damaged archive are each one problem line; what was read stays.
"""

from __future__ import annotations

import ctypes
import functools
import logging
from typing import BinaryIO, Callable, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ScanOptions, TargetCoverage, legacy_text, one_line_name, reader_state
from pii_audit.sources.files import stream_name
from pii_audit.sources.walk import excluded_member, listed

RAR5_SIGNATURE = b"Rar!\x1a\x07\x01\x00"
# libarchive's reader for each format, told by the archive's first bytes, and its name.
FORMATS = {b"7z\xbc\xaf\x27\x1c": ("7zip", "7z"), RAR5_SIGNATURE: ("rar5", "RAR"), b"Rar!\x1a\x07\x00": ("rar", "RAR")}
INSTALL = "Debian: apt-get install libarchive13"
READ_BLOCK = 1 << 20  # bytes of the archive handed to libarchive at a time
TOO_LARGE = "larger than {} bytes when inflated (a zip bomb?): not read; the members after it neither"
SPLIT = ("split across the volumes of a multi-volume archive: not read; extract it with all the volumes "
         "beside each other and scan it")
ARCHIVE_EOF, ARCHIVE_FATAL = 1, -30  # libarchive's "end of the data" and "no more operations are possible"


class DamagedArchive(Exception):
    """A 7z or RAR archive that libarchive cannot read (on) as a whole."""


# ``archives._read_entry``: the archive, the member's name and place in the listing, its data.
Member = Callable[[str, tuple[str, int], BinaryIO, ScanOptions, TargetCoverage, int], Iterator[Chunk | Cells]]


def libarchive_members(where: str, handle: BinaryIO, options: ScanOptions, coverage: TargetCoverage,
                       depth: int, read_member: Member) -> Iterator[Chunk | Cells]:
    """Yield what the members of the 7z or RAR archive ``where`` hold, each read by ``read_member``
    (``archives._read_entry``); ``handle`` reads the archive's bytes and seeks.

    :raises DamagedArchive: when the archive is not a 7z or RAR one, or breaks (members read before
        that have been yielded)."""
    head = handle.read(8)
    handle.seek(0)
    kind = next((kind for magic, kind in FORMATS.items() if head.startswith(magic)), None)
    if kind is None:
        raise DamagedArchive("not a 7z or RAR archive")
    libarchive = _libarchive()
    if libarchive is None:
        coverage.problem(where, f"a {kind[1]} archive, which needs libarchive to be read, not installed here "
                                f"({INSTALL}): not read")
        return
    unread, cut = rar5_unread(handle) if kind[0] == "rar5" else ({}, False)
    try:
        with libarchive.stream_reader(handle, format_name=kind[0], filter_name="none",
                                      block_size=READ_BLOCK) as archive:
            for place, entry in listed(archive, depth, options):
                # A RAR 5 cut short is told by the reading that lists it (below), whether or not
                # its libarchive met the cut: a worker reading one member there tells nothing.
                if (yield from _entry(libarchive, (where, place), archive, entry, options, coverage, depth,
                                      read_member, unread, handle if kind[0] == "rar5" else None)):
                    return
        if cut:  # libarchive seeks over a member's data: past the end of a file cut short, unsaid
            raise DamagedArchive("it ends before its end header")
        # Members libarchive gave no entry for: the rest of a split member, in the volume after the first.
        for name, why in unread.items():  # told by the parent; not again by a worker reading one member
            if not excluded_member(name, options) and reader_state(options).only_member is None:
                place = f"{where}!{one_line_name(name)}"
                coverage.problem(place, why, stream_name(place))
    except libarchive.ArchiveError as error:
        if "encrypt" in reason(error).lower():  # 7-Zip's "encrypt file names", WinRAR's "encrypt names"
            coverage.problem(where, "encrypted archive (its member names too): not read")
            return
        raise DamagedArchive(reason(error)) from None


def _entry(libarchive, at: tuple[str, int], archive, entry, options: ScanOptions, coverage: TargetCoverage,
           depth: int, read_member: Member, unread: dict[str, str], handle: BinaryIO | None
           ) -> Iterator[Chunk | Cells]:
    """Yield what one member holds, or record why it is not read; return True when the archive
    cannot be read past it. ``at``: the archive and the member's place in it; ``unread``: the RAR 5
    members not to read (``rar5_unread``), by name; ``handle``: a RAR 5 archive's bytes.

    :raises DamagedArchive: when a RAR 5 archive ends inside the member (cut short): told as the
        archive's problem, as the reading that lists it tells it (``rar5_unread``) when a worker
        reads the member, which then tells nothing (``archives._broken``): told once."""
    archive_where, place = at
    name = member_name(entry)
    why = unread.pop(name, None)
    if not entry.isfile or excluded_member(name, options):  # folders, links: no bytes of their own
        return False
    where = f"{archive_where}!{one_line_name(name)}"
    if why is None and _is_encrypted(entry._entry_p):  # noqa: SLF001 -- the entry's C pointer
        why = "encrypted member: not read"
    if why is not None:
        coverage.problem(where, why, stream_name(where))
        return False
    if (entry.size or 0) > options.max_gzip_bytes:
        coverage.problem(where, TOO_LARGE.format(options.max_gzip_bytes), stream_name(where))
        return True
    try:
        data = EntryData(libarchive, archive._pointer)  # noqa: SLF001 -- the C archive libarchive-c reads
        yield from read_member(archive_where, (name, place), data, options, coverage, depth)
    except libarchive.ArchiveError as error:
        fatal = error.retcode is None or error.retcode <= ARCHIVE_FATAL
        if fatal and handle is not None and _at_end(handle):
            coverage.read_in_part(stream_name(where))
            raise DamagedArchive(reason(error)) from None
        coverage.problem(where, f"corrupt member ({reason(error)})" + ("; not read further" if fatal else ""),
                         stream_name(where))
        return fatal
    return False


def _at_end(handle: BinaryIO) -> bool:
    """Tell whether the archive's bytes have all been read: libarchive failing there met the end of
    a file cut short, not damage inside it (the archive is read no further either way)."""
    try:
        return not handle.read(1)
    except (OSError, ValueError):
        return False


class EntryData:
    """The data of the member libarchive is at, read in libarchive's blocks (none kept once read).

    An error is raised once the data before it is returned, as ``streams.Decompressed`` does for a
    truncated gzip: libarchive's own ``archive_read_data`` drops what it had copied in the call
    that fails, so a truncated member lost up to a block of lines with their findings."""

    def __init__(self, libarchive, archive_p: int):
        self.libarchive, self.archive_p = libarchive, archive_p
        self.parts: list[bytes] = []  # read from libarchive, not yet from here
        self.held, self.ended, self.error = 0, False, None

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes of the member (all that is left for -1; b"" at its end).

        :raises libarchive.ArchiveError: when the member's data is damaged, once what came before
            has been returned."""
        while (size < 0 or self.held < size) and self._more():
            pass
        data = b"".join(self.parts)
        if not data and self.error is not None:
            raise self.error
        rest = data[size:] if 0 <= size < len(data) else b""
        self.parts, self.held = [rest] if rest else [], len(rest)
        return data[:len(data) - len(rest)]

    def peek(self, size: int) -> bytes:
        """Return at least ``size`` bytes ahead without consuming them (fewer at the member's end)."""
        while self.held < size and self._more():
            pass
        self.parts = [b"".join(self.parts)]
        return self.parts[0]

    def _more(self) -> bool:
        """Hold libarchive's next block of the member; return False at its end or an error."""
        if self.ended or self.error is not None:
            return False
        block, size, offset = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_longlong()
        try:
            status = self.libarchive.ffi.read_data_block(self.archive_p, ctypes.byref(block), ctypes.byref(size),
                                                         ctypes.byref(offset))
        except self.libarchive.ArchiveError as error:
            self.error = error
            return False
        if status < 0:  # ARCHIVE_WARN, which libarchive-c hands back instead of raising
            self.error = self.libarchive.ArchiveError("damaged member data", retcode=status)
            return False
        self.ended = status == ARCHIVE_EOF
        # 7z and RAR have no holes: the blocks follow each other (``offset`` is where this one starts).
        if size.value:
            self.parts.append(ctypes.string_at(block, size.value))
            self.held += size.value
        return not self.ended


def rar5_unread(handle: BinaryIO) -> tuple[dict[str, str], bool]:
    """Return the members of a RAR 5 archive that libarchive would misread, by name, with the
    problem line of each, read from their headers (RARLAB's RAR 5.0 technote): those whose data is
    encrypted (WinRAR's password without "encrypt file names") and those split across the volumes
    of a multi-volume archive (``logs.part1.rar``, ``logs.part2.rar``); and whether the archive is
    cut short (its end header never reached), which libarchive, seeking over a member's data when
    the member is not read (a worker reads it), let pass without a word.

    libarchive before 3.7 (Debian 12 has 3.6.2) skips a member's encryption record: it read the
    ciphertext as the data, a stored member as a binary file (a notice: the scan looked complete)
    and a compressed one as a corrupt member that stopped the archive. Of a split member it reads
    the part in this volume as the whole, and skips the rest in the next volume, without a word.
    Only headers are read; the data between them is sought over. A header that makes no sense
    ends the walk (libarchive then says what is wrong)."""
    unread, at, size, cut = {}, len(RAR5_SIGNATURE), handle.seek(0, 2), False
    try:
        while at < size:
            handle.seek(at)
            head = handle.read(4 + 3)  # the header's CRC32, then its size: a vint of at most 3 bytes (2 MB)
            length, start = _vint(head, 4)
            body = head[start:] + handle.read(max(0, length - len(head) + start))
            kind, place = _vint(body, 0)
            flags, place = _vint(body, place)
            extra, place = _vint(body, place) if flags & 0x1 else (0, place)
            data, place = _vint(body, place) if flags & 0x2 else (0, place)
            if kind == 2 and flags & 0x18:  # its data goes on from the previous volume, or in the next
                unread[legacy_text(_file_name(body, place))] = SPLIT
            elif kind == 2 and extra and _encryption_record(body[length - extra:length]):
                unread[legacy_text(_file_name(body, place))] = "encrypted member: not read"
            if kind == 5:  # the end of the archive
                break
            at += start + length + data
        else:  # the file ends before the archive's end header: inside a member's data, or after it
            cut = True
    except ValueError:
        pass
    handle.seek(0)
    return unread, cut


def _file_name(body: bytes, place: int) -> bytes:
    """Return the name in a RAR 5 file header's fields, which start at ``place``."""
    flags, place = _vint(body, place)
    for _ in range(2):  # the unpacked size, the attributes
        _, place = _vint(body, place)
    place += 4 * (bool(flags & 0x2) + bool(flags & 0x4))  # a modification time, a data CRC32
    for _ in range(2):  # the compression information, the host OS
        _, place = _vint(body, place)
    length, place = _vint(body, place)
    return body[place:place + length]


def _encryption_record(extra: bytes) -> bool:
    """Tell whether a RAR 5 file header's extra area holds a file encryption record (type 1)."""
    place = 0
    while place < len(extra):
        size, start = _vint(extra, place)
        kind, _ = _vint(extra, start)
        if kind == 1:
            return True
        place = start + size
    return False


def _vint(data: bytes, place: int) -> tuple[int, int]:
    """Return the RAR 5 vint at ``place`` (7 bits a byte, low first) and the place after it.

    :raises ValueError: when ``data`` ends inside it, or it is longer than 64 bits."""
    value = 0
    for shift in range(0, 64, 7):
        if place >= len(data):
            raise ValueError("cut short")
        byte, place = data[place], place + 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, place
    raise ValueError("too long")


def member_name(entry) -> str:
    """Return a member's name as its maker wrote it. libarchive gives UTF-8 where it knows the
    name's encoding (7z and RAR 5 store UTF-16 and UTF-8); a RAR 4 name without its Unicode copy is
    in the maker's code page, GBK from a Chinese WinRAR, and is decoded as log text is."""
    raw = _pathname_utf8(entry._entry_p)  # noqa: SLF001
    if raw is None:
        from libarchive import ffi

        raw = ffi.entry_pathname(entry._entry_p) or b""  # noqa: SLF001 -- the bytes as stored
    return legacy_text(raw)


def reason(error: Exception) -> str:
    """Return libarchive's message for an error in one line (libarchive-c's own text adds a pointer)."""
    message = getattr(error, "msg", None)
    if isinstance(message, bytes):
        message = legacy_text(message)
    lines = (message or "").strip().splitlines()
    return lines[0] if lines else "no reason given"


def _libarchive():
    """Return the libarchive module, or None when the system's libarchive.so cannot be loaded."""
    try:
        import libarchive
    except (ImportError, OSError, AttributeError):  # no library: AttributeError (dlopen(NULL) has no archive_*)
        return None
    # libarchive-c logs libarchive's warnings (a name it could not convert, an entry read in part)
    # outside the masking every line of ours goes through; what they mean for the scan is a problem line.
    logger = logging.getLogger("libarchive")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return libarchive


@functools.cache
def _c_function(name: str, restype):
    """Return a libarchive C function on an entry pointer that libarchive-c does not wrap."""
    from libarchive import ffi

    function = ffi.libarchive[name]  # a new function object: libarchive-c's own keep their error checks
    function.argtypes, function.restype = [ctypes.c_void_p], restype
    return function


def _is_encrypted(entry_p: int) -> bool:
    return _c_function("archive_entry_is_encrypted", ctypes.c_int)(entry_p) > 0


def _pathname_utf8(entry_p: int) -> bytes | None:
    return _c_function("archive_entry_pathname_utf8", ctypes.c_char_p)(entry_p)
