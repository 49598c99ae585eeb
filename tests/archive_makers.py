"""Write 7z and RAR archives for the tests: 7z through libarchive, RAR 5 and encrypted 7z by hand.

libarchive writes 7z but neither RAR nor an encrypted 7z (its 7z writer has no `encryption`
option: "Undefined option"). The RAR 5 archives here follow RARLAB's public RAR 5.0 archive format
technote: the signature, a main archive header, a file header per member (its fields in vints,
the header's CRC32, the data's CRC32, the data stored uncompressed) and the end of archive header.
The encrypted 7z follow 7-Zip's 7zFormat.txt: a member's folder whose coder is AES-256
(06F10701), as 7-Zip writes a member it encrypts, or the header itself packed in such a folder
(7-Zip's "encrypt file names"). The bytes said to be encrypted are not: no reader here decrypts.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

RAR5_SIGNATURE = b"Rar!\x1a\x07\x01\x00"
SEVENZIP_SIGNATURE = b"7z\xbc\xaf\x27\x1c\x00\x04"
AES_CODER = b"\x06\xf1\x07\x01"
# 7-Zip's AES properties: 2^19 key derivation rounds, no salt, a 16-byte IV (zeros here).
AES_PROPERTIES = b"\x53\x0f" + bytes(16)


def write_7z(archive: Path, members: dict[str, bytes]) -> None:
    """Write ``members`` (name: data) into a 7z archive, LZMA-compressed and solid, as libarchive does."""
    import libarchive

    with libarchive.file_writer(str(archive), "7zip") as packed:
        for name, data in members.items():
            packed.add_file_from_memory(name, len(data), data)


def folder_members(root: Path) -> dict[str, bytes]:
    """Return every file under ``root`` as (path from ``root``: data), in path order."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- RAR 5 ------------------------------------------------------------------------------------------

def vint(number: int) -> bytes:
    """Return RAR 5's variable-length integer: 7 bits a byte, low bits first, the high bit for "more".

    >>> vint(5), vint(300)
    (b'\\x05', b'\\xac\\x02')
    """
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def rar5_block(kind: int, fields: bytes, extra: bytes = b"", data: bytes = b"", flags: int = 0) -> bytes:
    """Return one RAR 5 header block: CRC32, size, type, flags, the extra area and data sizes, the
    type's fields, the extra area, then the data (outside the header and its CRC)."""
    flags |= (0x1 if extra else 0) | (0x2 if data else 0)
    body = (vint(kind) + vint(flags) + (vint(len(extra)) if extra else b"") + (vint(len(data)) if data else b"")
            + fields + extra)
    header = vint(len(body)) + body
    return struct.pack("<I", zlib.crc32(header)) + header + data


def rar4(members: dict[str, bytes]) -> bytes:
    """Return a RAR 4 archive (RARLAB's RAR 2.9-4.x technote) holding ``members`` stored: the
    marker, the main header, a file header and its data each, the end-of-archive header. Each
    header: the low 16 bits of its CRC32 (from its type on), type, flags, size, its fields."""
    def block(kind: int, flags: int, fields: bytes) -> bytes:
        header = struct.pack("<BHH", kind, flags, 7 + len(fields)) + fields
        return struct.pack("<H", zlib.crc32(header) & 0xFFFF) + header

    out = b"Rar!\x1a\x07\x00" + block(0x73, 0, bytes(6))  # main header: two reserved fields
    for name, data in members.items():
        raw = name.encode("utf-8")
        # Packed and unpacked sizes, host OS 2 (Win32), CRC32, DOS time, version 2.0, method 0x30
        # (stored), the name's size, attributes (0x20, archive); flags 0x8000: sizes follow.
        fields = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data), 0x5A210000, 20, 0x30,
                             len(raw), 0x20) + raw
        out += block(0x74, 0x8000, fields) + data
    return out + block(0x7B, 0x4000, b"")


def rar5(members: dict[str | bytes, bytes], encrypted: tuple[str, ...] = ()) -> bytes:
    """Return a RAR 5 archive holding ``members`` (name, as text or as the bytes stored: data)
    stored uncompressed; the members named in ``encrypted`` carry a file encryption record, as
    WinRAR writes for a password without "encrypt file names"."""
    out = RAR5_SIGNATURE + rar5_block(1, vint(0))  # main archive header: no volume, not solid
    for name, data in members.items():
        extra = b""
        if name in encrypted:  # record type 1: AES-256, no check value, 2^15 rounds, salt and IV
            record = vint(1) + vint(0) + vint(0) + bytes([15]) + os.urandom(32)
            extra = vint(len(record)) + record
        out += rar5_block(2, _file_fields(name, data), extra, data)
    return out + rar5_block(5, vint(0))  # end of archive: not a volume


def _file_fields(name: str | bytes, data: bytes, whole: bytes | None = None) -> bytes:
    """Return a file header's fields: file flags 0x4 (a data CRC32), the unpacked size, attributes
    (0x20, archive), the CRC, compression 0 (stored, version 0), host OS 0 (Windows), the name.
    ``whole`` is the member's whole data where ``data`` is its part in one volume."""
    whole = data if whole is None else whole
    raw_name = name.encode("utf-8") if isinstance(name, str) else name
    return (vint(0x4) + vint(len(whole)) + vint(0x20) + struct.pack("<I", zlib.crc32(whole)) + vint(0) + vint(0)
            + vint(len(raw_name)) + raw_name)


def rar5_volumes(first: dict[str, bytes], split: tuple[str, bytes], last: dict[str, bytes]) -> tuple[bytes, bytes]:
    """Return the two volumes of a multi-volume RAR 5 (``x.part1.rar``, ``x.part2.rar``): ``first``'s
    members, then the ``split`` member's first half (header flag 0x10: "continues in the next volume");
    then its second half (0x08: "continues from the previous volume") and ``last``'s members."""
    name, data = split
    half = len(data) // 2
    volumes = []
    for number, (before, part, flag, after) in enumerate(((first, data[:half], 0x10, {}),
                                                          ({}, data[half:], 0x08, last))):
        # Main archive header flags: 0x1 a volume, 0x2 its number follows (none for the first).
        out = RAR5_SIGNATURE + rar5_block(1, vint(0x1 | (0x2 if number else 0)) + (vint(number) if number else b""))
        out += b"".join(rar5_block(2, _file_fields(n, d), data=d) for n, d in before.items())
        out += rar5_block(2, _file_fields(name, part, data), data=part, flags=flag)
        out += b"".join(rar5_block(2, _file_fields(n, d), data=d) for n, d in after.items())
        volumes.append(out + rar5_block(5, vint(0 if number else 0x1)))  # 0x1: not the last volume
    return volumes[0], volumes[1]


def rar5_with_encrypted_headers() -> bytes:
    """Return a RAR 5 archive whose headers are encrypted (WinRAR's "encrypt file names"): an archive
    encryption header (AES-256, 2^15 rounds, a salt), then bytes only the password opens."""
    return RAR5_SIGNATURE + rar5_block(4, vint(0) + vint(0) + bytes([15]) + os.urandom(16)) + os.urandom(96)


def write_rar(archive: Path, members: dict[str | bytes, bytes]) -> None:
    """Write ``members`` into a RAR 5 archive at ``archive``."""
    archive.write_bytes(rar5(members))


# -- 7z by hand -------------------------------------------------------------------------------------

def _number(n: int) -> bytes:
    """Return 7z's NUMBER: one byte below 0x80, else 0xFF and eight bytes."""
    return bytes([n]) if n < 0x80 else b"\xff" + struct.pack("<Q", n)


def _folder(coder: bytes, properties: bytes = b"") -> bytes:
    """Return a folder of one simple coder (one stream in, one out)."""
    flags = len(coder) | (0x20 if properties else 0)
    return _number(1) + bytes([flags]) + coder + (_number(len(properties)) + properties if properties else b"")


def _streams(position: int, packed: list[bytes], folder: bytes, crcs: bool = True) -> bytes:
    """Return a StreamsInfo: the packed streams from ``position``, a folder each, their sizes and CRCs."""
    out = b"\x06" + _number(position) + _number(len(packed)) + b"\x09"  # kPackInfo, kSize
    out += b"".join(_number(len(p)) for p in packed) + b"\x00"
    out += b"\x07\x0b" + _number(len(packed)) + b"\x00" + folder * len(packed)  # kUnPackInfo, kFolder
    out += b"\x0c" + b"".join(_number(len(p)) for p in packed)  # kCodersUnPackSize
    if crcs:
        out += b"\x0a\x01" + b"".join(struct.pack("<I", zlib.crc32(p)) for p in packed)  # kCRC, all defined
    return out + b"\x00" + (b"\x08\x00" if crcs else b"") + b"\x00"  # kSubStreamsInfo: one stream a folder


def sevenzip(members: dict[str, bytes], aes: bool = False, aes_header: bool = False) -> bytes:
    """Return a 7z archive holding ``members``, each in a folder of its own, stored (7-Zip's Copy
    coder) or, with ``aes``, "encrypted"; with ``aes_header``, its header packed in an AES folder."""
    folder = _folder(AES_CODER, AES_PROPERTIES) if aes else _folder(b"\x00")
    packed = list(members.values())
    names = b"".join(name.encode("utf-16-le") + b"\x00\x00" for name in members)
    header = b"\x01\x04" + _streams(0, packed, folder)  # kHeader, kMainStreamsInfo
    header += b"\x05" + _number(len(members)) + b"\x11" + _number(len(names) + 1) + b"\x00" + names + b"\x00\x00"
    body = b"".join(packed)
    if aes_header:  # kEncodedHeader: the header is a packed stream of its own
        body, header = body + header, b"\x17" + _streams(len(body), [header], _folder(AES_CODER, AES_PROPERTIES),
                                                          crcs=False)
    start = struct.pack("<QQI", len(body), len(header), zlib.crc32(header))
    return SEVENZIP_SIGNATURE + struct.pack("<I", zlib.crc32(start)) + start + body + header
