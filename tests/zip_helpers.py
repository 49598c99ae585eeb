"""Zip surgery for the spreadsheet tests: a workbook with some members replaced or added."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path


def rewrite(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    """Copy a zip, replacing (or adding) the named members."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, replace.get(info.filename, old.read(info.filename)))
        for name in replace.keys() - set(old.namelist()):
            new.writestr(name, replace[name])
    return dst


def with_method(path: Path, member: str, method: int) -> Path:
    """Set the compression method of ``member`` to ``method`` in its local header and the central
    directory, as a damaged zip's may be (zipfile reads the one the directory names)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<H", data, info.header_offset + 8, method)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_length] == member.encode():
            struct.pack_into("<H", data, central + 10, method)
        central = data.find(b"PK\x01\x02", central + 46)
    path.write_bytes(bytes(data))
    return path


def with_damaged_lzma(path: Path, member: str) -> Path:
    """Compress ``member`` with LZMA and damage its data after the LZMA header."""
    with zipfile.ZipFile(path) as old:
        members = [(info.filename, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members:
            new.writestr(name, data, compress_type=zipfile.ZIP_LZMA if name == member else zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 9
    data[start:start + 40] = bytes(byte ^ 0x5A for byte in data[start:start + 40])
    path.write_bytes(bytes(data))
    return path


def with_bad_local_name(path: Path, member: str) -> Path:
    """Mark the name in ``member``'s local header UTF-8 (flag bit 11) and put a byte there that is
    no UTF-8, as damage may: zipfile decodes that copy of the name by that flag."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    flags = struct.unpack_from("<H", data, info.header_offset + 6)[0]
    struct.pack_into("<H", data, info.header_offset + 6, flags | 0x800)
    data[info.header_offset + 30] = 0x8D
    path.write_bytes(bytes(data))
    return path


def with_repeated_entry(path: Path, member: str, copies: int) -> Path:
    """List ``member`` ``copies`` times more in the zip's central directory, each entry pointing at
    its one local header and data, as a zip bomb does to have one member read again and again."""
    data = path.read_bytes()
    end = data.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack_from("<HII", data, end + 10)
    entries, at = [], offset
    while at < offset + size:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        entries.append(data[at:at + 46 + name_length + extra_length + comment_length])
        at += len(entries[-1])
    (repeated,) = [entry for entry in entries if entry[46:46 + len(member.encode())] == member.encode()]
    directory = b"".join(entries) + repeated * copies
    total = count + copies
    path.write_bytes(data[:offset] + directory
                     + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, total, total, len(directory), offset, 0))
    return path


def with_offset_before_start(path: Path, member: str) -> Path:
    """Damage the zip's directory so that ``member``'s local header lies one byte before the
    file's start: the directory is said to start one byte later than it does (zipfile shifts every
    member by what that says), each other member's offset one byte later to match, ``member``'s 0."""
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    size, offset = struct.unpack_from("<II", data, end + 12)
    at = offset
    while at < offset + size:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        name = bytes(data[at + 46:at + 46 + name_length]).decode()
        header = struct.unpack_from("<I", data, at + 42)[0]
        struct.pack_into("<I", data, at + 42, 0 if name == member else header + 1)
        at += 46 + name_length + extra_length + comment_length
    struct.pack_into("<I", data, end + 16, offset + 1)
    path.write_bytes(bytes(data))
    return path


def with_empty_entries(path: Path, count: int, claimed: int | None = None) -> Path:
    """Add ``count`` empty members (``e/0``, ``e/1``...) to the zip, written directly (zipfile takes
    seconds for 100,000), with the Zip64 end records a writer adds past 65,535 entries; or with a
    classic end record alone saying the zip holds ``claimed`` entries, a lie."""
    data = path.read_bytes()
    end = data.rfind(b"PK\x05\x06")
    entries, size, offset = struct.unpack_from("<HII", data, end + 10)
    local, central = bytearray(data[:offset]), bytearray(data[offset:offset + size])
    for number in range(count):
        name = f"e/{number}".encode()
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0,
                               len(local)) + name
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    total = entries + count
    tail = b""
    if total > 0xFFFF and claimed is None:  # the Zip64 end record and its locator, before the classic end record
        tail = (struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, total, total, len(central), len(local))
                + struct.pack("<4sIQI", b"PK\x06\x07", 0, len(local) + len(central), 1))
    listed = min(total, 0xFFFF) if claimed is None else claimed
    path.write_bytes(bytes(local + central) + tail
                     + struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, listed, listed, len(central), len(local), 0))
    return path


def garbled(data: bytes, member: str) -> bytes:
    """Return the zip ``data`` with the compressed bytes of ``member`` all 0xFF: no deflate stream."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    return data[:start] + b"\xff" * info.compress_size + data[start + info.compress_size:]


def without_entry(data: bytes, member: str) -> bytes:
    """Return the zip ``data`` with ``member``'s entry cut out of its directory and the end record
    still counting it, as a damaged directory reads to zipfile: one byte of the entry before's
    name length changed, and that entry swallows this one (zipfile reads the directory by its size)."""
    end = data.rfind(b"PK\x05\x06")
    size, offset = struct.unpack_from("<II", data, end + 12)
    at = offset
    while at < offset + size:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        length = 46 + name_length + extra_length + comment_length
        if data[at + 46:at + 46 + name_length] == member.encode():
            cut = bytearray(data[:at] + data[at + length:])
            struct.pack_into("<I", cut, end - length + 12, size - length)
            return bytes(cut)
        at += length
    raise KeyError(member)


def at_fixed_time(data: bytes) -> bytes:
    """Return the zip ``data`` written again with every member dated 2024-01-05, and the times an
    Office file's properties hold (docProps/core.xml, an .ods's meta.xml) set to that day: the
    same bytes whenever a test makes it, so random damage to it hits the same places each run."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            body = old.read(info)
            if info.filename in ("docProps/core.xml", "meta.xml"):
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?", b"2024-01-05T00:00:00Z", body)
            new.writestr(zipfile.ZipInfo(info.filename, (2024, 1, 5, 0, 0, 0)), body, info.compress_type)
    return out.getvalue()
