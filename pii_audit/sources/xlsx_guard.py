"""Inspect an xlsx/xlsm zip before any parser sees it: refuse bombs, DTDs and lies.

No legitimate workbook carries a DTD (Excel, LibreOffice and openpyxl never write one), so any
``<!DOCTYPE``/``<!ENTITY`` is refused: that stops billion-laughs and XXE before a parser runs
(SECURITY.md items 6-7). Sizes, ratios and encryption are checked from the zip's directory; every
member but the worksheets is then inflated once through ``zipfile``, which stops at the declared
size and checks the CRC, so a member that lies about its size fails here. Worksheets, the bulk
of a workbook, are inflated once only, by ``xlsx_stream`` as it reads them: it refuses a DTD
there with the same message and reads each to its end, where zipfile checks the CRC (inflating
and scanning them here too cost about 2 us a row of the bench workbook). No reader allocates a
sheet's grid, so a sparse sheet spanning A1:XFD1048576 needs no measuring (python-calamine, used
before, would have asked for 17 billion cells; measuring cost 8.7 us a row).
"""

from __future__ import annotations

import struct
import zipfile
from typing import BinaryIO

from pii_audit.sources import OLE2_MAGIC, ZIP_MAGIC

MAX_INFLATED_BYTES = 2 * 1024**3  # all members of one workbook, inflated
MAX_RATIO = 1000  # inflated/compressed; real sheet XML stays far below (repetitive sheets ~300)
MAX_SHARED_STRINGS_BYTES = 96 * 1024**2  # the reader holds the whole table in memory
# zipfile builds an object for every entry of the directory before anything can be checked:
# 200,000 empty entries (an 18 MB file) took zipfile 3 s and 97 MB, a .docx 3.1 s, an .xlsx (its
# zip opened four times) 19 s. A zip without Zip64 records lists 65,535 at most; Office files list
# tens, a workbook of 1,000 sheets with comments 4,009 (300 KB of directory). zipfile reads the
# directory by its size, whatever count the end record gives: an entry takes 46 bytes at least,
# so 4 MiB could hide 91,180 entries behind a count of 65,535 (a classic end record can say no
# more), and an archive's 48 MiB 1.09 million behind 500,000. A directory that could hold more
# than the cap has its entries counted (``_entries_in``).
MAX_ENTRIES = 65_535
MAX_DIRECTORY_BYTES = 4 * 1024**2
_ENTRY_BYTES = 46  # a directory entry with no name, extra field or comment
_ENTRY_SIGNATURE = b"PK\x01\x02"
_LOCAL_SIGNATURE = b"PK\x03\x04"
_LOCAL_HEADER_BYTES = 30  # a member's own header before its name
BLOCK = 4 * 1024**2
STREAMED = "xl/worksheets/"  # members checked as they are streamed, not here
_DTD_MARKERS = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY")
                     for enc in ("ascii", "utf-16-le", "utf-16-be"))
_MARKER_BYTES = max(map(len, _DTD_MARKERS))


class WorkbookRefused(Exception):
    """The zip is not a workbook we will parse; the message is one line for a person."""


def sniff(head: bytes) -> str | None:
    """Return why a file starting with ``head`` is not an xlsx zip, or None when it may be one.

    >>> sniff(OLE2_MAGIC)
    'encrypted or legacy .xls workbook (OLE2/CFB file), not an xlsx zip'
    """
    if head.startswith(OLE2_MAGIC[:4]):
        return "encrypted or legacy .xls workbook (OLE2/CFB file), not an xlsx zip"
    if not head.startswith(ZIP_MAGIC):
        return "not an xlsx workbook: no zip signature (is the extension wrong?)"
    return None


def inspect_workbook(path: str | BinaryIO) -> int:
    """Check the workbook at ``path`` (or in a file object); return the bytes its members but the
    worksheets inflate to.

    Raise ``WorkbookRefused`` with the reason for a bomb, a DTD or an encrypted member.
    """
    with office_zip(path) as archive:
        infos = archive.infolist()
        _check_members(infos)
        return sum(_scan_member(archive, info) for info in infos
                   if not info.is_dir() and not info.filename.startswith(STREAMED))


def office_zip(source: str | BinaryIO) -> zipfile.ZipFile:
    """Open the Office zip ``source`` (a path or a seekable file object) to read, after checking
    from its end record that its directory is no larger than an Office file's
    (``directory_refusal``); raise ``WorkbookRefused`` if it is, ``BadZipFile`` if it is no zip."""
    if isinstance(source, str):
        with open(source, "rb") as handle:
            reason = directory_refusal(handle, MAX_ENTRIES, MAX_DIRECTORY_BYTES)
    else:
        reason = directory_refusal(source, MAX_ENTRIES, MAX_DIRECTORY_BYTES)
        source.seek(0)
    if reason:
        raise WorkbookRefused(reason)
    return opened_zip(source)


def opened_zip(source: str | BinaryIO) -> zipfile.ZipFile:
    """Open a zip to read (mode "r": nothing is written); a directory zipfile fails on otherwise
    is ``BadZipFile``: a name flagged UTF-8 that is not (UnicodeDecodeError), a bad offset
    (ValueError), an entry's version past any zip format's (NotImplementedError "zip file version
    10.7": one damaged byte, which read as "a compression method not supported here" and, in an
    archive inside another, stopped the outer one)."""
    try:
        return zipfile.ZipFile(source)
    except (ValueError, NotImplementedError) as error:
        raise zipfile.BadZipFile(f"damaged directory ({type(error).__name__})") from None


def lost_entries(archive: zipfile.ZipFile) -> str | None:
    """Return the problem line for a zip whose directory lists fewer entries than its end record
    counts, or None.

    zipfile reads the directory by its size and ignores the count: one damaged byte of an entry's
    name length swallows the entries after it, without an error, so a zip of logs read as complete
    without the export after the first log, and a .docx without its embedded workbook. More listed
    than counted is no damage: a zip of over 65,535 entries without Zip64 records counts them
    modulo 65,536."""
    record = zipfile._EndRecData(archive.fp)  # noqa: SLF001 - the record ZipFile() read its directory by
    if record is None:
        return None
    counted, listed = record[zipfile._ECD_ENTRIES_TOTAL], len(archive.filelist)  # noqa: SLF001
    if listed >= counted:
        return None
    return (f"damaged zip directory: it lists {listed:,} of the {counted:,} entries its end record counts; "
            "the entries listed are read, the others cannot be found")


def package_damage(archive: zipfile.ZipFile) -> str | None:
    """Return the problem line for an Office zip whose directory lost entries (``lost_entries``)
    or names an entry otherwise than the entry's own header does, or None.

    A reader of Office files picks its parts by name, and zipfile compares the two names only when
    a member is opened: one damaged byte in the directory (``word/emb╦ddings/…``) hid the workbook
    embedded in a .docx without an error, in 29 of 400 randomly damaged copies. An archive's reader
    opens every member, so zipfile tells it (``archives``). A .pptx's 42 entries are checked in 63 us,
    4,000 on disk (a workbook of 1,000 sheets) in 4.7 ms, where zipfile takes 7 ms to open them."""
    lost = lost_entries(archive)
    if lost:
        return lost
    misnamed = sum(not _local_name_matches(archive.fp, info) for info in archive.filelist)
    if misnamed:
        return (f"damaged zip: {misnamed:,} of its {len(archive.filelist):,} entries are named otherwise in its "
                "directory than in their own headers, or point where none begins; what they hold may not be read")
    return None


def _local_name_matches(handle: BinaryIO, info: zipfile.ZipInfo) -> bool:
    """Tell whether the local header at ``info``'s offset begins a member named as the directory
    names it (the bytes of the name, encoded as zipfile decoded them)."""
    if info.header_offset < 0:  # before the file's start: no header there (seek would fail)
        return False
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER_BYTES)
    if len(header) < _LOCAL_HEADER_BYTES or not header.startswith(_LOCAL_SIGNATURE):
        return False
    name_length = struct.unpack_from("<H", header, 26)[0]
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    return handle.read(name_length) == info.orig_filename.encode(encoding, "surrogateescape")


def directory_refusal(handle: BinaryIO, max_entries: int, max_bytes: int) -> str | None:
    """Return why a zip whose end record lists over ``max_entries`` entries, or a directory over
    ``max_bytes``, is refused, or None (also when there is no end record: zipfile says so next).

    Read before zipfile builds its objects, from the end record zipfile itself reads (Zip64's too);
    a directory large enough to hold more than ``max_entries`` has its entries counted, as the
    count the end record gives may lie (``_entries_in``)."""
    record = zipfile._EndRecData(handle)  # noqa: SLF001 - the very record ZipFile() reads next
    if record is None:
        return None
    entries, size = record[zipfile._ECD_ENTRIES_TOTAL], record[zipfile._ECD_SIZE]  # noqa: SLF001
    if entries > max_entries:
        return f"refused: its zip directory lists {entries:,} entries, over the {max_entries:,} cap (zip bomb?)"
    if size > max_bytes:
        return (f"refused: its zip directory takes {size // 2**20:,} MB, over the {max_bytes // 2**20:,} MB "
                "cap (zip bomb?)")
    if size > max_entries * _ENTRY_BYTES:
        found = _entries_in(handle, record)
        if found > max_entries:
            return (f"refused: its zip directory holds {found:,} entries where its end record says {entries:,}, "
                    f"over the {max_entries:,} cap (zip bomb?)")
    return None


def _entries_in(handle: BinaryIO, record: list) -> int:
    """Return how many entries the zip directory ``record`` (an end record, ``zipfile._EndRecData``)
    points to holds, found where zipfile looks for it: its entries' signatures, counted (a name
    holding one would count twice: a bound, never short). 48 MiB take some 65 ms."""
    size = record[zipfile._ECD_SIZE]  # noqa: SLF001
    start = record[zipfile._ECD_LOCATION] - size  # noqa: SLF001
    if record[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # noqa: SLF001
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    if start < 0:
        return 0  # no directory there: zipfile says so
    handle.seek(start)
    found, tail = 0, b""
    while size > 0 and (block := handle.read(min(BLOCK, size))):
        size -= len(block)
        data = tail + block
        found += data.count(_ENTRY_SIGNATURE)
        tail = data[-(len(_ENTRY_SIGNATURE) - 1):]  # a signature cut by the block's end is counted once, next
    return found


def zip_refusal(infos: list[zipfile.ZipInfo]) -> str | None:
    """Return why an Office zip's directory refuses it (a bomb, an encrypted member), or None.
    zipfile stops each member at its declared size, so no member inflates past these figures."""
    total = sum(info.file_size for info in infos)
    if total > MAX_INFLATED_BYTES:
        return (f"refused: would inflate to {total // 2**20:,} MB, over the "
                f"{MAX_INFLATED_BYTES // 2**20:,} MB cap (zip bomb?)")
    for info in infos:
        if info.flag_bits & 0x1:
            return f"encrypted zip member {shown_name(info.filename)}"
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_RATIO and info.file_size > 2**20:
            return f"refused: {shown_name(info.filename)} inflates {ratio:,.0f}:1 (zip bomb?)"
    return None


def before_start(infos: list[zipfile.ZipInfo], kind: str) -> str | None:
    """Return why a zip whose directory puts a member before the file's start is refused, or None.

    zipfile seeks there when the member is read: ValueError in memory (an archive's member, an
    e-mail's attachment: "unreadable (ValueError)"), and on disk OSError, which read as "cannot
    read: Invalid argument", as if the disk had failed."""
    before = next((info for info in infos if info.header_offset < 0), None)
    return None if before is None else (f"corrupt {kind}: its zip directory puts {shown_name(before.filename)} "
                                        "before the file's start")


def shown_name(name: str) -> str:
    """Return a member's name as a problem line may show it: the zip's own bytes, so on one line
    (a character that does not print as ?) and cut at 100 characters.

    >>> shown_name("xl/a\\nb.xml")
    'xl/a?b.xml'
    """
    return "".join(c if c.isprintable() else "?" for c in name[:100])


def _check_members(infos: list[zipfile.ZipInfo]) -> None:
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise WorkbookRefused("not an xlsx workbook: the zip holds no xl/workbook.xml")
    reason = zip_refusal(infos) or before_start(infos, "xlsx workbook")
    if reason:
        raise WorkbookRefused(reason)
    for info in infos:
        if info.filename == "xl/sharedStrings.xml" and info.file_size > MAX_SHARED_STRINGS_BYTES:
            raise WorkbookRefused(f"refused: shared strings table of {info.file_size // 2**20:,} MB, "
                                  f"over the {MAX_SHARED_STRINGS_BYTES // 2**20} MB cap")


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Inflate one member in blocks, refusing a DTD; return its size."""
    size, tail = 0, b""
    with archive.open(info) as member:
        while block := member.read(BLOCK):
            size += len(block)
            data = tail + block
            if any(marker in data for marker in _DTD_MARKERS):
                raise WorkbookRefused(f"refused: {shown_name(info.filename)} declares a DTD or entities "
                                      "(billion laughs / XXE?)")
            tail = data[-_MARKER_BYTES:]  # a marker cut in two by the block boundary is still seen
    return size
