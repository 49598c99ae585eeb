"""Inspect an xlsx/xlsm zip before any parser sees it: refuse bombs, DTDs and lies, measure each sheet.

No legitimate workbook carries a DTD (Excel, LibreOffice and openpyxl never write one), so any
``<!DOCTYPE``/``<!ENTITY`` is refused: that stops billion-laughs and XXE before a parser runs
(SECURITY.md items 6-7). Every member is inflated once through ``zipfile``, which stops at the
declared size and checks the CRC, so a member that lies about its size fails here. On the way
each worksheet's extent (rows x columns) is measured, because python-calamine allocates a dense
grid of that size (an xlsx with cells A1 and XFD1048576 asks for 17 billion cells).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_INFLATED_BYTES = 2 * 1024**3  # all members of one workbook, inflated
MAX_RATIO = 1000  # inflated/compressed; real sheet XML stays far below (repetitive sheets ~300)
MAX_SHARED_STRINGS_BYTES = 96 * 1024**2  # both parsers hold the whole table in memory
BLOCK = 4 * 1024**2
_DTD_MARKERS = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY")
                     for enc in ("ascii", "utf-16-le", "utf-16-be"))
_ROW_RE = re.compile(rb'<row r="(\d{1,9})"')
_COL3_RE = re.compile(rb'<c r="([A-Z]{3})\d')
_COL2_RE = re.compile(rb'<c r="([A-Z]{2})\d')
# "is there a one-letter column at or after letter X?", for a binary search over A..Z
_COL1_FROM = {letter: re.compile(rb'<c r="[' + bytes([letter]) + rb'-Z]\d') for letter in range(65, 91)}


class WorkbookRefused(Exception):
    """The zip is not a workbook we will parse; the message is one line for a person."""


@dataclass
class SheetExtent:
    """The grid a worksheet spans: its last row and last column (1-based), or unknown."""

    rows: int = 0
    columns: int = 0
    known: bool = True  # False when a row or cell lacks a leading ``r`` attribute

    @property
    def cells(self) -> int:
        """Return the number of grid cells a dense reader would allocate."""
        return self.rows * self.columns


@dataclass
class Inspection:
    """What inspecting a workbook found: its worksheets' extents and inflated size."""

    sheets: dict[str, SheetExtent]
    inflated: int


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


def inspect_workbook(path: str) -> Inspection:
    """Check every member of the workbook at ``path``; raise ``WorkbookRefused`` with the reason."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        _check_members(infos)
        sheets, inflated = {}, 0
        for info in infos:
            if info.is_dir():
                continue
            is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            extent = SheetExtent() if is_sheet else None
            inflated += _scan_member(archive, info, extent)
            if extent is not None:
                sheets[info.filename] = extent
    return Inspection(sheets, inflated)


def _check_members(infos: list[zipfile.ZipInfo]) -> None:
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise WorkbookRefused("not an xlsx workbook: the zip holds no xl/workbook.xml")
    total = sum(info.file_size for info in infos)
    if total > MAX_INFLATED_BYTES:
        raise WorkbookRefused(f"refused: would inflate to {total // 2**20:,} MB, over the "
                              f"{MAX_INFLATED_BYTES // 2**20:,} MB cap (zip bomb?)")
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookRefused(f"encrypted zip member {info.filename}")
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_RATIO and info.file_size > 2**20:
            raise WorkbookRefused(f"refused: {info.filename} inflates {ratio:,.0f}:1 (zip bomb?)")
        if info.filename == "xl/sharedStrings.xml" and info.file_size > MAX_SHARED_STRINGS_BYTES:
            raise WorkbookRefused(f"refused: shared strings table of {info.file_size // 2**20:,} MB, "
                                  f"over the {MAX_SHARED_STRINGS_BYTES // 2**20} MB cap")


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, extent: SheetExtent | None) -> int:
    """Inflate one member in blocks, refusing DTDs and measuring a sheet; return its size."""
    size, tail = 0, b""
    with archive.open(info) as member:
        while block := member.read(BLOCK):
            size += len(block)
            data = tail + block
            # Carry the last "<" (and the byte before it, for UTF-16-BE) to the next block, so
            # no tag or marker is cut in two.
            cut = max(data.rfind(b"<") - 1, 0)
            data, tail = data[:cut], data[cut:]
            if len(tail) > BLOCK:
                data, tail = data + tail, b""
            _check_block(data, info.filename, extent)
        _check_block(tail, info.filename, extent)
    return size


def _check_block(data: bytes, name: str, extent: SheetExtent | None) -> None:
    if any(marker in data for marker in _DTD_MARKERS):
        raise WorkbookRefused(f"refused: {name} declares a DTD or entities (billion laughs / XXE?)")
    if extent is not None and data:
        _measure(data, extent)


def _measure(data: bytes, extent: SheetExtent) -> None:
    """Grow ``extent`` to cover the rows and cells in one block of sheet XML."""
    rows = _ROW_RE.findall(data)
    if rows:
        extent.rows = max(extent.rows, max(map(int, rows)))
    cells = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
    if (len(rows) != data.count(b"<row ") + data.count(b"<row>") or cells != data.count(b'<c r="')
            or b":c " in data or b":row " in data):
        extent.known = False  # cells placed by position or under a namespace prefix
    extent.columns = max(extent.columns, _max_column(data))


def _max_column(data: bytes) -> int:
    """Return the largest column number (A=1) named by a cell reference in ``data``."""
    for regex in (_COL3_RE, _COL2_RE):
        if regex.search(data) is not None:
            return max(column_number(letters.decode()) for letters in set(regex.findall(data)))
    low, high = 0, 26  # the answer is in low..high; 0 means no cell at all
    while low < high:
        middle = (low + high + 1) // 2
        if _COL1_FROM[64 + middle].search(data) is not None:
            low = middle
        else:
            high = middle - 1
    return low


def column_number(letters: str) -> int:
    """Return the 1-based number of a column's letters.

    >>> column_number("A"), column_number("AA"), column_number("XFD")
    (1, 27, 16384)
    """
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number
