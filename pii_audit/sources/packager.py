"""Find the file inside an OLE Package object: a file dragged into a Word report, a workbook or a
slide, shown there as an icon.

Office stores a file that has no program of its own to embed it (a .csv, a .txt, a .zip, often a
.pdf) as an object of the Package class (CLSID ``{0003000C-0000-0000-C000-000000000046}``): an OLE2
compound file (``word/embeddings/oleObject1.bin``, or a storage of a .doc's ObjectPool) whose
``\\x01Ole10Native`` stream holds the file in the "Packager" format, which Microsoft never
documented; olefile's and oletools' ``oleobj`` read it so:

- a 32-bit size of what follows (not needed: the stream's own size bounds every read);
- 16 bits of flags (2), the label (the file's name as the icon shows it) and the path it was
  taken from, each an ANSI string ended by a NUL, in the code page of the Windows that made it
  (GBK on Chinese Windows);
- 32 bits of its kind: an embedded file, or a link to a file elsewhere, which holds nothing more;
- the path of the temporary copy Windows made, after its 32-bit length;
- the file's 32-bit size and its bytes;
- sometimes the three names again in UTF-16, each after its 32-bit length in characters: these
  are taken where present, as they hold any name exactly.

The object is untrusted (SECURITY.md item 7): every length is checked against what the stream
holds, names are capped at ``MAX_NAME_BYTES``, and a damaged header is ``PackageRefused``, one
line that quotes nothing of the data.
"""

from __future__ import annotations

import re
import struct
import uuid
from typing import NamedTuple

from pii_audit.sources import one_line
from pii_audit.sources.ole2 import Stream

PACKAGE_CLASS = uuid.UUID("0003000C-0000-0000-C000-000000000046").bytes_le  # as a CLSID is stored
NATIVE_STREAM = "\x01Ole10Native"
# A name or path in the header: Windows' ANSI paths end at 260 bytes (MAX_PATH); a longer one is a
# damaged or hostile object, whose name would otherwise be searched for to the stream's end.
MAX_NAME_BYTES = 1024
_HEAD_BYTES = 4 + 2 + 3 * (MAX_NAME_BYTES + 1) + 16  # the header, up to the file's bytes, at most
_UNICODE_BYTES = 3 * (4 + 2 * MAX_NAME_BYTES)  # the names in UTF-16 after the file, at most
_LINK = 1  # the kind's third byte (0 0 3 0: an embedded file; 0 0 1 0: a link)


class PackageRefused(Exception):
    """An OLE Package object that cannot be read, said in one line."""


class Packaged(NamedTuple):
    """The file in a package: its name, and where its bytes lie in the ``\\x01Ole10Native`` stream."""

    name: str
    offset: int
    size: int


def packaged_file(stream: Stream) -> Packaged | None:
    """Return the name and place of the file in the ``\\x01Ole10Native`` stream of an OLE Package
    object; None when it holds a link to a file elsewhere (none of the file is there); raise
    ``PackageRefused`` when the header is damaged."""
    head = stream.read(0, min(stream.size, _HEAD_BYTES))
    end = stream.size
    if len(head) < 6:
        raise _damaged("its header is cut short")
    label, at = _ansi(head, 6, end)
    source, at = _ansi(head, at, end)
    if at == end or (at + 4 <= end and head[at + 2] == _LINK):  # a link: the paths and nothing else
        return None
    if at + 8 > end:
        raise _damaged("its header is cut short")
    length = _uint32(head, at + 4)
    at += 8
    if length > MAX_NAME_BYTES:
        raise _damaged(f"a name longer than {MAX_NAME_BYTES:,} bytes")
    if at + length + 4 > end:
        raise _damaged("its header is cut short")
    temporary = _decoded(head[at:at + length].split(b"\0", 1)[0])
    size, at = _uint32(head, at + length), at + length + 4
    if size > end - at:
        raise _damaged("the packaged file's size runs past the end of the object (truncated?)")
    names = _unicode_names(stream.read(at + size, min(end - at - size, _UNICODE_BYTES)))
    if names is not None:
        label, source, temporary = names[1] or label, names[0], names[2]
    return Packaged(_file_name(label, source, temporary), at, size)


def _ansi(head: bytes, at: int, end: int) -> tuple[str, int]:
    """Return the NUL-ended ANSI string at ``at`` in the header, and where the next field starts."""
    stop = head.find(b"\0", at, min(at + MAX_NAME_BYTES + 1, end))
    if stop < 0:
        raise _damaged(f"a name longer than {MAX_NAME_BYTES:,} bytes" if at + MAX_NAME_BYTES < end
                       else "its header is cut short")
    return _decoded(head[at:stop]), stop + 1


def _decoded(data: bytes) -> str:
    """Return an ANSI name as text: GBK (GB18030) as Chinese Windows writes it; ASCII is the same in it.

    >>> _decoded("客户名单.csv".encode("gbk")), _decoded(b"list.txt")
    ('客户名单.csv', 'list.txt')
    """
    return data.decode("gb18030", "replace")


def _unicode_names(tail: bytes) -> tuple[str, str, str] | None:
    """Return the three UTF-16 names that may follow the file's bytes (a path, the label, a path),
    or None when ``tail`` does not hold exactly that."""
    names, at = [], 0
    for _ in range(3):
        if at + 4 > len(tail):
            return None
        count = _uint32(tail, at)
        if count > MAX_NAME_BYTES or at + 4 + 2 * count > len(tail):
            return None
        names.append(tail[at + 4:at + 4 + 2 * count].decode("utf-16-le", "replace").split("\0", 1)[0])
        at += 4 + 2 * count
    return names[0], names[1], names[2]


def _file_name(label: str, *paths: str) -> str:
    """Return the packaged file's name, as a member of an archive is named: the label, or where it
    has no suffix (renamed on its icon) or is empty, the file name of a path that has one.

    >>> _file_name("客户名单.csv", "C:\\\\导出\\\\客户名单.csv"), _file_name("名单", "C:\\\\x\\\\名单.txt", "")
    ('客户名单.csv', '名单.txt')
    >>> _file_name("", "", ""), _file_name("a!b.csv")
    ('package', 'a_b.csv')
    """
    names = [name for name in (re.split(r"[\\/]", text)[-1].strip() for text in (label, *paths)) if name]
    name = next((name for name in names if "." in name.strip(".")), names[0] if names else "package")
    # "!" separates a file from what is inside it; the name is in the problem lines about the file.
    return one_line(name.replace("!", "_"))


def _uint32(data: bytes, at: int) -> int:
    return struct.unpack_from("<I", data, at)[0]


def _damaged(what: str) -> PackageRefused:
    return PackageRefused(f"damaged packaged file (an OLE Package object): {what}")
