"""Read one stream of an OLE2 compound file (MS-CFB, the container of a legacy .xls) from the file,
a few sectors at a time, as it is asked for.

olefile, the maintained Python reader, reads a whole stream into memory when it opens it
(``OleStream`` is an ``io.BytesIO``), as python-calamine does: a 20 MB workbook stream would be
held whole. Here only the allocation table (4 bytes a sector of the file) and the stream's list
of sectors (8 bytes a sector) are held; a stream under 4,096 bytes, which lives in the "mini
stream" of 64-byte sectors, is read whole.

The file is untrusted (SECURITY.md item 7): every sector number is checked against the file's
size, every chain against loops and against the length its stream declares, and the directory's
size is capped, so a hostile file is refused (``WorkbookRefused``, one line) without a hang or a
large allocation.
"""

from __future__ import annotations

import io
import struct
import sys
from array import array
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Iterator

from pii_audit.sources.xlsx_guard import OLE2_MAGIC, WorkbookRefused

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF
MINI_CUTOFF = 4096  # streams smaller than this live in the mini stream (MS-CFB requires 4,096)
MINI_SECTOR = 64
ENTRY = 128  # bytes of a directory entry
MAX_DIRECTORY_ENTRIES = 65_536  # a workbook has a handful; Excel's largest files a few hundred
STORAGE, STREAM, ROOT = 1, 2, 5  # directory entry types
_HEADER = struct.Struct("<8s16xHHHHH6xIIIIIIIII")


class Stream:
    """A stream of the compound file, read from the file sector by sector as it is asked for."""

    def __init__(self, handle: BinaryIO, starts: array, sector_size: int, size: int):
        self.handle, self.starts, self.sector_size, self.size = handle, starts, sector_size, size

    def read(self, offset: int, count: int) -> bytes:
        """Return up to ``count`` bytes of the stream from ``offset`` (fewer at its end)."""
        count = min(count, self.size - offset)
        size, starts, parts = self.sector_size, self.starts, []
        while count > 0:
            index, within = divmod(offset, size)
            run = size - within
            # One read for sectors that follow each other in the file (most of them do).
            while run < count and index + 1 < len(starts) and starts[index + 1] == starts[index] + size:
                index += 1
                run += size
            run = min(run, count)
            self.handle.seek(starts[offset // size] + within)
            data = self.handle.read(run)
            if len(data) < run:
                raise _corrupt("the file ends inside a stream (truncated?)")
            parts.append(data)
            offset, count = offset + run, count - run
        return b"".join(parts)


class StreamPart(io.RawIOBase):
    """``size`` bytes of a stream from ``offset``, as a file read from start to end, a few sectors
    at a time (``io.BufferedReader`` around it gives ``peek``): a file stored inside a stream is
    read without a copy of it in memory."""

    def __init__(self, stream: Stream, offset: int, size: int):
        super().__init__()
        self.stream, self.offset, self.size, self.at = stream, offset, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(self.offset + self.at, min(len(buffer), self.size - self.at))
        buffer[:len(data)] = data
        self.at += len(data)
        return len(data)


@dataclass(frozen=True)
class _Header:
    sector_size: int
    fat_sectors: int
    directory_start: int
    minifat_start: int
    difat_start: int
    difat_sectors: int
    difat: tuple[int, ...]  # the first 109 FAT sector numbers, from the header


def open_stream(handle: BinaryIO, names: tuple[str, ...], folder: str = "") -> tuple[str, Stream]:
    """Return the name and the ``Stream`` of the first of ``names`` stored in the compound file
    (``CompoundFile.open``); raise ``WorkbookRefused`` when there is none or the file is corrupt."""
    return CompoundFile(handle).open(names, folder)


class CompoundFile:
    """A compound file's allocation table and directory, to open any stream in it by its path."""

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.header = _read_header(handle)
        handle.seek(0, 2)
        self.sectors = max(0, -(-(handle.tell() - self.header.sector_size) // self.header.sector_size))
        self.fat = _read_fat(handle, self.header, self.sectors)
        self.directory = _chained(handle, self.header, self.fat, self.header.directory_start, None, self.sectors)
        # The mini stream, its allocation table and its number of sectors, chained once: a .msg
        # reads thousands of small streams, and walking their chains for each took seconds.
        self._mini: tuple[Stream, Stream, int] | None = None
        # The tree of entries, walked once a file (``_walked``): each object stored in a .doc or a
        # .msg is read from the file already open, and walking it again for each took minutes.
        self._streams: dict[str, tuple[int, int]] | None = None  # by path as stored
        self._upper: dict[str, tuple[int, int]] = {}  # the same by path in upper case
        self._names: dict[str, set[str]] | None = None  # see names_in
        self._storages: dict[str, int] = {}  # each storage's entry index, by path in upper case

    def streams(self) -> dict[str, tuple[int, int]]:
        """Return ``{path: (first sector, size)}`` of every stream, storages' included, by paths
        such as ``__attach_version1.0_#00000000/__substg1.0_37010102`` (names as stored). The
        dict is the file's own, walked once: do not change it."""
        self._walked()
        return self._streams

    def find(self, path: str) -> tuple[int, int] | None:
        """Return ``(first sector, size)`` of the stream at ``path`` (names compared without case,
        as MS-CFB says), or None when there is none."""
        self._walked()
        return self._upper.get(path.upper())

    def names_in(self, folder: str = "") -> set[str]:
        """Return the names, in upper case, of the streams directly in the storage ``folder`` ("" for
        the root, ``ObjectPool/_1234/``), indexed once a file: a .doc of 2,000 objects asks for
        each object's (``ole_properties``), and going through every path for each would not scale."""
        if self._names is None:
            self._walked()
            self._names = {}
            for path in self._upper:
                parent, _, name = path.rpartition("/")
                self._names.setdefault(parent + "/" if parent else "", set()).add(name)
        return self._names.get(folder.upper(), set())

    def open(self, names: tuple[str, ...], folder: str = "") -> tuple[str, Stream]:
        """Return the name and the ``Stream`` of the first of ``names`` stored in the file (a
        stream directly in its root storage, as a workbook's is, or in the storage ``folder``, such
        as ``ObjectPool/_1234/``); raise ``WorkbookRefused`` when there is none or the file is corrupt."""
        if folder:
            found = next(((name, *entry) for name in names if (entry := self.find(folder + name)) is not None), None)
        else:  # the root's own entries only: a top-level file's tree need not be walked whole
            found = _find(self.directory, names)
        if found is None:
            raise WorkbookRefused(f"not an .xls workbook: the OLE2 file holds no {' or '.join(names)} stream")
        name, start, size = found
        return name, self.stream(start, size)

    def class_id(self, storage: str = "") -> bytes:
        """Return the class id (CLSID, 16 bytes as stored) of the root storage, or of the storage
        at the path ``storage`` (``ObjectPool/_1234``, names compared without case): the class of
        the object it holds. 16 zero bytes when it names none or there is no such storage."""
        wanted = storage.strip("/").upper()
        if not wanted:
            return _class_id(self.directory, 0)
        self._walked()
        index = self._storages.get(wanted)
        return bytes(16) if index is None else _class_id(self.directory, index)

    def _walked(self) -> None:
        """Walk the tree of entries, once, into the maps of streams and storages."""
        if self._streams is not None:
            return
        streams: dict[str, tuple[int, int]] = {}
        for path, kind, index, start, size in self._entries():
            if kind == STREAM:
                streams.setdefault(path, (start, size))
                self._upper.setdefault(path.upper(), (start, size))
            elif kind == STORAGE:
                self._storages.setdefault(path.upper(), index)
        self._streams = streams

    def _entries(self) -> Iterator[tuple[str, int, int, int, int]]:
        """Yield ``(path, type, index, first sector, size)`` of every entry below the root,
        walking its tree of entries; raise ``WorkbookRefused`` where it loops or is too large."""
        count = min(self.directory.size // ENTRY, MAX_DIRECTORY_ENTRIES + 1)
        if count > MAX_DIRECTORY_ENTRIES:
            raise _corrupt(f"a directory of more than {MAX_DIRECTORY_ENTRIES:,} entries")
        root = _entry(self.directory, 0)
        if root[1] != ROOT:
            raise _corrupt("its directory has no root entry")
        pending, visited = [(root[4], "")], 0
        while pending:
            index, folder = pending.pop()
            if index == NOSTREAM:
                continue
            visited += 1
            if index >= count or visited > count:
                raise _corrupt("its directory names an entry it does not hold, or loops")
            name, kind, left, right, child, start, size = _entry(self.directory, index)
            pending += ((left, folder), (right, folder))
            yield folder + name, kind, index, start, size
            if kind == STORAGE:
                pending.append((child, f"{folder}{name}/"))

    def stream(self, start: int, size: int) -> Stream:
        """Return the stream of ``size`` bytes that starts at sector ``start`` (a mini sector
        when it is under 4,096 bytes)."""
        if size < MINI_CUTOFF:
            if self._mini is None:
                self._mini = _mini_parts(self.handle, self.header, self.fat, self.sectors, self.directory)
            return _mini_stream(*self._mini, start, size)
        return _chained(self.handle, self.header, self.fat, start, size, self.sectors)


def _read_header(handle: BinaryIO) -> _Header:
    handle.seek(0)
    raw = handle.read(512)
    if len(raw) < 512 or not raw.startswith(OLE2_MAGIC):
        raise _corrupt("the OLE2 header is cut short")
    (_, _, major, _, shift, mini_shift, _, fat_sectors, directory_start, _, _, minifat_start, _,
     difat_start, difat_sectors) = _HEADER.unpack_from(raw)
    if (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
        raise _corrupt(f"OLE2 version {major} with sectors of 2^{shift} bytes is not one Office writes")
    return _Header(1 << shift, fat_sectors, directory_start, minifat_start, difat_start, difat_sectors,
                   struct.unpack_from("<109I", raw, 76))


def _read_fat(handle: BinaryIO, header: _Header, sectors: int) -> array:
    """Return the file allocation table: each sector's next sector.

    Only the part that describes sectors present in the file is read: a header may claim any
    number of FAT sectors, but entries past the file's end could only name sectors it lacks."""
    per_sector = header.sector_size // 4
    wanted = min(header.fat_sectors, -(-sectors // per_sector))
    ids = list(header.difat[:wanted])
    difat, seen = header.difat_start, bytearray(sectors)
    for _ in range(min(header.difat_sectors, sectors)):
        if len(ids) >= wanted or difat in (ENDOFCHAIN, FREESECT):
            break
        entries = struct.unpack(f"<{per_sector}I", _sector(handle, header, difat, sectors, seen))
        ids.extend(entries[:-1])
        difat = entries[-1]
    if len(ids) < wanted:
        raise _corrupt("its sector allocation table is shorter than the header says")
    fat = array("I")
    for number in ids[:wanted]:
        fat.frombytes(_sector(handle, header, number, sectors, seen))
    if sys.byteorder == "big":
        fat.byteswap()
    return fat


def _sector(handle: BinaryIO, header: _Header, number: int, sectors: int, seen: bytearray) -> bytes:
    """Return one sector of the allocation tables, refusing one outside the file or read twice."""
    if number >= sectors:
        raise _corrupt("a sector number past the end of the file")
    if seen[number]:
        raise _corrupt("its sector allocation table loops")
    seen[number] = 1
    handle.seek((number + 1) * header.sector_size)
    data = handle.read(header.sector_size)
    if len(data) < header.sector_size:
        raise _corrupt("the file ends inside its sector allocation table (truncated?)")
    return data


def _chain(table: array, start: int, needed: int | None, sectors: int) -> array:
    """Return the sector numbers of a chain from ``start``: ``needed`` of them (the chain must have
    as many), or up to its end when ``needed`` is None. ``sectors`` bounds every number."""
    chain, seen, number = array("I"), bytearray(sectors), start
    limit = sectors if needed is None else needed
    if limit > sectors:
        raise _corrupt("a stream larger than the file")
    while len(chain) < limit:
        if number == ENDOFCHAIN and needed is None:
            return chain
        if number >= sectors or number >= len(table):
            raise _corrupt("a sector chain ends early or names a sector past the end of the file")
        if seen[number]:
            raise _corrupt("a sector chain loops")
        seen[number] = 1
        chain.append(number)
        number = table[number]
    if needed is None and number != ENDOFCHAIN:
        raise _corrupt("a sector chain loops")
    return chain


def _chained(handle: BinaryIO, header: _Header, fat: array, start: int, size: int | None,
             sectors: int) -> Stream:
    """Return the stream of ``size`` bytes (None: as long as its chain) whose chain starts at
    ``start``."""
    needed = None if size is None else -(-size // header.sector_size)
    chain = _chain(fat, start, needed, sectors)
    # The file offset of each sector (the header takes the first sector's place).
    starts = array("Q", [(number + 1) * header.sector_size for number in chain])
    return Stream(handle, starts, header.sector_size, len(chain) * header.sector_size if size is None else size)


def _find(directory: Stream, names: tuple[str, ...]) -> tuple[str, int, int] | None:
    """Return ``(name, first sector, size)`` of the first of ``names`` among the root storage's
    streams, walking its tree of entries (names compare without case, as MS-CFB says)."""
    count = min(directory.size // ENTRY, MAX_DIRECTORY_ENTRIES + 1)
    if count > MAX_DIRECTORY_ENTRIES:
        raise _corrupt(f"a directory of more than {MAX_DIRECTORY_ENTRIES:,} entries")
    root = _entry(directory, 0)
    if root[1] != ROOT:
        raise _corrupt("its directory has no root entry")
    wanted = {name.upper(): name for name in names}
    found: dict[str, tuple[str, int, int]] = {}
    pending, visited = [root[4]], 0
    while pending:
        index = pending.pop()
        if index == NOSTREAM:
            continue
        visited += 1
        if index >= count or visited > count:
            raise _corrupt("its directory names an entry it does not hold, or loops")
        name, kind, left, right, _, start, size = _entry(directory, index)
        if kind == STREAM and name.upper() in wanted:
            found.setdefault(wanted[name.upper()], (wanted[name.upper()], start, size))
        pending += (left, right)
    return next((found[name] for name in names if name in found), None)


def _entry(directory: Stream, index: int) -> tuple[str, int, int, int, int, int, int]:
    """Return ``(name, type, left, right, child, first sector, size)`` of a directory entry."""
    raw = directory.read(index * ENTRY, ENTRY)
    if len(raw) < ENTRY:  # only the root's index is not checked against the directory's size first
        raise _corrupt("its directory has no root entry")
    length, kind, left, right, child = struct.unpack_from("<HBxIII", raw, 64)
    start, size = struct.unpack_from("<IQ", raw, 116)
    if directory.sector_size == 512:
        size &= 0xFFFFFFFF  # version 3 files may leave garbage in the high half
    name = raw[:min(length, 64)].decode("utf-16-le", "replace").split("\0", 1)[0]
    return name, kind, left, right, child, start, size


def _class_id(directory: Stream, index: int) -> bytes:
    """Return the CLSID of a directory entry (16 bytes at offset 80 of its 128)."""
    return directory.read(index * ENTRY + 80, 16).ljust(16, b"\0")


def _mini_parts(handle: BinaryIO, header: _Header, fat: array, sectors: int, directory: Stream
                ) -> tuple[Stream, Stream, int]:
    """Return the mini stream (the root entry's stream), the mini allocation table and the number
    of 64-byte sectors both describe."""
    root_start, root_size = _entry(directory, 0)[5:]
    ministream = _chained(handle, header, fat, root_start, root_size, sectors)
    minifat = _chained(handle, header, fat, header.minifat_start, None, sectors)
    return ministream, minifat, min(root_size // MINI_SECTOR, minifat.size // 4)


def _mini_stream(ministream: Stream, minifat: Stream, mini_sectors: int, start: int, size: int) -> Stream:
    """Return a stream under 4,096 bytes, read whole from the mini stream, cut in 64-byte sectors
    chained by the mini allocation table."""
    # The mini allocation table is read entry by entry: the chain has at most 64 sectors.
    chain, number = [], start
    while len(chain) < -(-size // MINI_SECTOR):
        if number >= mini_sectors or number in chain:
            raise _corrupt("a mini sector chain loops or names a sector the mini stream lacks")
        chain.append(number)
        number = struct.unpack("<I", minifat.read(number * 4, 4))[0]
    data = b"".join(ministream.read(number * MINI_SECTOR, MINI_SECTOR) for number in chain)
    return Stream(io.BytesIO(data), array("Q", [0]), max(size, 1), size)


def misnamed(names: Iterable[str], wanted: str) -> bool:
    """Tell whether one of ``names`` is ``wanted`` with one or two characters changed, as damage to
    the directory, which has no checksum, leaves it: a property set's stream so renamed was passed
    over without a word (17 of 400 randomly damaged copies of a 7 KB .xls lost its properties so).
    Names compared in upper case, as MS-CFB compares them.

    >>> misnamed(["\x05SUMMARYINFORMATI\u6b6fN", "WORKBOOK"], "\x05SUMMARYINFORMATION"), misnamed(["WORKBOOK"], "BOOK")
    (True, False)
    """
    return any(len(name) == len(wanted) and name != wanted and sum(a != b for a, b in zip(name, wanted)) <= 2
               for name in names)


def worded(error: WorkbookRefused, kind: str) -> str:
    """Return a refusal of this module, worded for the workbooks it was first written for, for
    a file of another ``kind`` ("Word document")."""
    return str(error).replace(".xls workbook", kind)


def _corrupt(what: str) -> WorkbookRefused:
    return WorkbookRefused(f"corrupt .xls workbook: {what}")
