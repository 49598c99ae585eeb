"""Write OLE2 compound files with storages, and Outlook messages in them ([MS-CFB], [MS-OXMSG]).

No Python package writes .msg files, so the tests build them from the specifications: every
property a stream named by its tag, recipients and attachments storages, an attached message a
storage of its own. ``pii_audit.sources.outlook`` was also run on real Outlook files (msg-parser's
test files) while it was written; those are not kept here, as they hold third parties' addresses.
"""

from __future__ import annotations

import struct

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
UNICODE, STRING8, BINARY, LONG = 0x001F, 0x001E, 0x0102, 0x0003


def compound_file(streams: dict[str, bytes], sector_size: int = SECTOR, classes: dict[str, bytes] | None = None
                  ) -> bytes:
    """Return a compound file holding ``streams`` by path ("a/b/c": storages a and b): version 3
    with 512-byte sectors, or version 4 with 4,096-byte ones. A stream under 4,096 bytes lives in
    the mini stream (64-byte sectors), as the format requires. ``classes`` gives storages (by
    path, "" for the root) their CLSID, 16 bytes as stored."""
    classes = classes or {}
    # The tree of storages: each node's children by name, in order.
    tree: dict[str, list[str]] = {"": []}
    for path in streams:
        parts = path.split("/")
        for depth in range(len(parts)):
            folder, node = "/".join(parts[:depth]), "/".join(parts[:depth + 1])
            if node not in tree.get(folder, []):
                tree.setdefault(folder, []).append(node)
            if depth < len(parts) - 1:
                tree.setdefault(node, [])
    order = [""] + [node for node in _walk(tree, "")]
    index = {node: number for number, node in enumerate(order)}
    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        if not data:
            return ENDOFCHAIN
        start, count = len(sectors), -(-len(data) // sector_size)
        for n in range(count):
            sectors.append(data[n * sector_size:(n + 1) * sector_size].ljust(sector_size, b"\0"))
            fat.append(start + n + 1 if n < count - 1 else ENDOFCHAIN)
        return start

    mini, minifat, placed = bytearray(), [], {}
    for path, data in streams.items():
        if len(data) < MINI_CUTOFF:
            start, count = len(mini) // MINI_SECTOR, -(-len(data) // MINI_SECTOR)
            mini += data.ljust(count * MINI_SECTOR, b"\0")
            minifat += [start + n + 1 if n < count - 1 else ENDOFCHAIN for n in range(count)]
            placed[path] = (start if data else ENDOFCHAIN, len(data))
        else:
            placed[path] = (chain(data), len(data))
    root_start = chain(bytes(mini))
    packed_minifat = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    minifat_start = chain(packed_minifat.ljust(-(-len(packed_minifat) // sector_size) * sector_size, b"\xff"))
    entries = []
    for node in order:
        children = tree.get(node)
        siblings = tree[node.rpartition("/")[0]] if node else [""]
        following = siblings.index(node) + 1 if node else 1
        right = index[siblings[following]] if following < len(siblings) else NOSTREAM
        child = index[children[0]] if children else NOSTREAM
        if not node:
            entries.append(_entry("Root Entry", 5, NOSTREAM, child, root_start, len(mini), classes.get("", bytes(16))))
        elif children is not None:
            entries.append(_entry(node.rpartition("/")[2], 1, right, child, 0, 0, classes.get(node, bytes(16))))
        else:
            entries.append(_entry(node.rpartition("/")[2], 2, right, NOSTREAM, *placed[node]))
    directory = b"".join(entries)
    directory += b"".join(_entry("", 0, NOSTREAM, NOSTREAM, 0, 0) for _ in range(-len(entries) % (sector_size // 128)))
    directory_start = chain(directory)
    per_sector = sector_size // 4
    fat_count = 1
    while len(sectors) + fat_count > fat_count * per_sector:
        fat_count += 1
    fat_ids = list(range(len(sectors), len(sectors) + fat_count))
    fat += [FATSECT] * fat_count
    fat += [FREESECT] * (fat_count * per_sector - len(fat))
    version_3 = sector_size == SECTOR
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("d0cf11e0a1b11ae1"), bytes(16), 0x3E,
                         3 if version_3 else 4, 0xFFFE, 9 if version_3 else 12, 6, bytes(6),
                         0 if version_3 else -(-len(directory) // sector_size), fat_count, directory_start, 0,
                         MINI_CUTOFF, minifat_start, -(-len(packed_minifat) // sector_size), ENDOFCHAIN, 0)
    header += struct.pack("<109I", *(fat_ids + [FREESECT] * (109 - len(fat_ids))))
    return header.ljust(sector_size, b"\0") + b"".join(sectors) + struct.pack(f"<{len(fat)}I", *fat)


def _walk(tree: dict[str, list[str]], folder: str):
    for node in tree[folder]:
        yield node
        if node in tree:
            yield from _walk(tree, node)


def _entry(name: str, kind: int, right: int, child: int, start: int, size: int, clsid: bytes = bytes(16)) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, NOSTREAM, right, child,
                       clsid, 0, 0, 0, start, size)


def prop(tag: int, kind: int, value: str | bytes, codepage: str = "gbk") -> tuple[str, bytes]:
    """Return the stream of one property: a string in its Unicode or 8-bit form, or bytes."""
    if kind == UNICODE:
        data = value.encode("utf-16-le")
    elif kind == STRING8:
        data = value.encode(codepage)
    else:
        data = value
    return f"__substg1.0_{tag:04X}{kind:04X}", data


def outlook_message(properties: list[tuple[int, int, str | bytes]], recipients: list[list[tuple]] = (),
                    attachments: list[dict] = (), codepage: int | None = None, header: int = 32,
                    folder: str = "") -> dict[str, bytes]:
    """Return the streams of a message: its properties, a fixed-size table holding its code page,
    recipients (lists of properties) and attachments (``{"name": ..., "data": bytes}`` or
    ``{"name": ..., "message": streams of an attached message}``; ``"name_kind": STRING8`` stores
    the name in the message's code page)."""
    text_codepage = {936: "gbk", 65001: "utf-8"}.get(codepage or 936, "gbk")
    streams = dict(prop(tag, kind, value, text_codepage) for tag, kind, value in properties)
    table = bytes(header)
    if codepage is not None:
        table += struct.pack("<IIQ", (0x3FFD << 16) | LONG, 0, codepage)
    streams["__properties_version1.0"] = table
    for number, recipient in enumerate(recipients):
        for tag, kind, value in recipient:
            name, data = prop(tag, kind, value, text_codepage)
            streams[f"__recip_version1.0_#{number:08X}/{name}"] = data
    for number, attachment in enumerate(attachments):
        place = f"__attach_version1.0_#{number:08X}"
        name, data = prop(0x3707, attachment.get("name_kind", UNICODE), attachment["name"], text_codepage)
        streams[f"{place}/{name}"] = data
        if "message" in attachment:
            for path, data in attachment["message"].items():
                streams[f"{place}/__substg1.0_3701000D/{path}"] = data
        else:
            streams[f"{place}/__substg1.0_37010102"] = attachment["data"]
    return {folder + path: data for path, data in streams.items()}
