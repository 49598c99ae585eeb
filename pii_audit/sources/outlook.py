"""Outlook messages (.msg): the headers, the bodies and every attachment, as an .eml's are read.

Outlook saves a message dragged out of it to a folder as a .msg. Banks' file shares keep them
beside the reports they sent, customer lists attached. A .msg is an OLE2 compound file
([MS-OXMSG]), not MIME. Each property of the message is a stream named by its tag
(``__substg1.0_0037001F``: the subject, UTF-16). Each recipient and each attachment is a storage
of its own properties, and a message attached to a message is a storage of its own (``…3701000D``).

Read, located ``{path, part, line}`` as an e-mail's parts are:
- ``headers``: the subject, the sender and the recipients (names and addresses), and the From, To,
  Cc, Reply-To and Subject of the message's Internet headers when it kept them;
- ``text/plain``: the body;
- ``text/html``: the HTML body, as its text;
- ``text/rtf``: the rich-text body (``PR_RTF_COMPRESSED``, inflated by ``lzfu``, read by ``rtf``,
  line by line), only when the message holds neither of the others. Outlook keeps a plain body
  beside almost every rich-text one, with the same text: read twice, each value would count
  twice. A message written in HTML keeps its HTML in the RTF too (``\\fromhtml1``): its tags lie
  in ``\\*\\htmltag`` groups, which the RTF reader skips, and its text is RTF text, which it reads.

Each attachment is read as an archive's member is (``archives.read_attached``), located
``mail.msg!客户名单.xlsx``; an attached message is read the same way, as ``mail.msg!name.msg``;
an OLE object (a table pasted into a rich-text message, a file dropped into it as an icon) as the
Excel or Word 97-2003 file or the packaged file it holds (``embedded.storage_object``: its streams
are read from the message already open, whose directory is walked once for all). Strings in 8-bit
form are decoded by the message's code page (936 on Chinese Outlook).

No maintained package under a licence this project can take reads .msg (extract-msg is GPL,
msg-parser unmaintained since 2019). This reader goes through ``ole2``, which reads each stream
from the file as it is asked for. Memory holds one property, and an attachment up to
``mime.MAX_PART_BYTES``; a larger one is a problem line. Messages attached in messages are
followed as an .eml's are, counting one depth with them (``emails.ATTACHED_MAX``): the attachments
of a message attached that deep are a problem line.
"""

from __future__ import annotations

import bisect
import itertools
import re
import struct
import email.policy
from email.parser import HeaderParser
from typing import BinaryIO, Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ScanOptions, TargetCoverage, mime
from pii_audit.sources.emails import (HEADERS, MessageRefused, attachment_options, decoded, file_name,
                                     header_values, html_text, lines_chunk)
from pii_audit.sources.embedded import other_objects_notice, storage_object
from pii_audit.sources.lzfu import CompressedRtfError, Inflated
from pii_audit.sources.ole2 import CompoundFile
from pii_audit.sources.rtf import RtfText

MAX_STRING_BYTES = 1 << 20  # a subject, a name, an address, the Internet headers; bodies have mime's cap
# Property ids ([MS-OXPROPS]) read as the message's headers, in this order, with their labels.
_HEADER_PROPERTIES = ((0x0037, "Subject"), (0x0042, "From"), (0x0065, "From"), (0x0C1A, "Sender"),
                      (0x0C1F, "Sender"), (0x5D01, "Sender"), (0x0E04, "To"), (0x0E03, "Cc"), (0x0E02, "Bcc"))
_RECIPIENT_PROPERTIES = (0x3001, 0x3003, 0x39FE)  # display name, address, SMTP address
_TRANSPORT_HEADERS, _BODY, _HTML, _RTF_COMPRESSED = 0x007D, 0x1000, 0x1013, 0x1009
_NAMES = (0x3707, 0x3704, 0x3001)  # an attachment's long file name, short file name, display name
_DATA = 0x3701
_MESSAGE_CODEPAGE, _INTERNET_CODEPAGE = 0x3FFD, 0x3FDE
_UNICODE, _STRING8, _BINARY, _OBJECT = 0x001F, 0x001E, 0x0102, 0x000D
_RECIPIENT = re.compile(r"__recip_version1\.0_#[0-9A-Fa-f]{8}/")
_ATTACHMENT = re.compile(r"__attach_version1\.0_#[0-9A-Fa-f]{8}/")
_PROPERTY = re.compile(r"__substg1\.0_([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})")
# Windows code pages as Python names them; 936 (GBK) read as GB18030, its superset.
_CODEPAGES = {936: "gb18030", 54936: "gb18030", 65001: "utf-8", 20127: "ascii", 950: "big5"}


def msg_items(handle: BinaryIO, target: str, options: ScanOptions, coverage: TargetCoverage
              ) -> Iterator[Chunk | Cells]:
    """Yield the lines of the Outlook message in ``handle`` (an OLE2 file) and what its
    attachments hold; record what is not read as problem lines."""
    compound = CompoundFile(handle)
    streams = compound.streams()
    if "__properties_version1.0" not in streams and not any(_PROPERTY.fullmatch(path) for path in streams):
        raise MessageRefused("not an Outlook message: the OLE2 file holds no message properties")
    yield from _message(_Storage(compound, streams, ""), target, options, coverage)


class _Storage:
    """The properties of one object (a message, a recipient, an attachment) in a compound file."""

    def __init__(self, compound: CompoundFile, streams: dict[str, tuple[int, int]], folder: str,
                 codepage: str = "gb18030", paths: list[str] | None = None):
        self.compound, self.streams, self.folder = compound, streams, folder
        self.paths = sorted(streams) if paths is None else paths  # to find a storage's streams by bisection
        # A recipient or an attachment has the code page of its message; a message may name its own.
        self.codepage = codepage
        for tag in (_INTERNET_CODEPAGE, _MESSAGE_CODEPAGE):  # the message's own code page wins
            number = self._fixed_long(tag)
            if number is not None:
                self.codepage = _CODEPAGES.get(number, f"cp{number}")

    def children(self, pattern: re.Pattern) -> list[str]:
        """Return the folders of the recipients or attachments of this object, in order."""
        found = {self.folder + m.group(0) for path in self.below(self.folder)
                 if (m := pattern.match(path, len(self.folder))) is not None}
        return sorted(found)

    def below(self, folder: str) -> list[str]:
        """Return the paths of the streams in the storage ``folder`` ("": all), at any depth.

        The sorted paths of a storage's streams are a run, found by bisection: a pass over every
        stream for each attachment made a 2 MB message of 8,000 empty ones take 25 s (quadratic)."""
        if not folder:
            return self.paths
        # Every path that starts with "a/" sorts before "a0" ("0" follows "/").
        return self.paths[bisect.bisect_left(self.paths, folder):bisect.bisect_left(self.paths, folder[:-1] + "0")]

    def child(self, folder: str) -> _Storage:
        """Return the object stored in ``folder`` (a recipient, an attachment, an attached message)."""
        return _Storage(self.compound, self.streams, folder, self.codepage, self.paths)

    def size(self, tag: int, kind: int) -> int | None:
        entry = self.streams.get(f"{self.folder}__substg1.0_{tag:04X}{kind:04X}")
        return None if entry is None else entry[1]

    def raw(self, tag: int, kind: int) -> bytes | None:
        """Return a property's stream whole (the caller checks its size first)."""
        entry = self.streams.get(f"{self.folder}__substg1.0_{tag:04X}{kind:04X}")
        if entry is None:
            return None
        return self.compound.stream(*entry).read(0, entry[1])

    def text(self, tag: int, limit: int | None = None) -> str | None:
        """Return a string property, from its Unicode form or its 8-bit one; None for one that is
        absent or longer than ``limit`` bytes (``MAX_STRING_BYTES``: a hostile file may declare a
        subject of gigabytes)."""
        limit = MAX_STRING_BYTES if limit is None else limit
        if max(self.size(tag, _UNICODE) or 0, self.size(tag, _STRING8) or 0) > limit:
            return None
        unicode = self.raw(tag, _UNICODE)
        if unicode is not None:
            return unicode.decode("utf-16-le", "replace").rstrip("\0")
        string8 = self.raw(tag, _STRING8)
        return None if string8 is None else decoded(string8.rstrip(b"\0"), self.codepage)

    def _fixed_long(self, tag: int) -> int | None:
        """Return a 32-bit property from the object's table of fixed-size properties."""
        entry = self.streams.get(f"{self.folder}__properties_version1.0")
        if entry is None or entry[1] > 1 << 20:
            return None
        table = self.compound.stream(*entry).read(0, entry[1])
        # The table's header: 32 bytes for the message, 24 for an attached one, 8 for the rest.
        header = 32 if not self.folder else 24 if self.folder.endswith("3701000D/") else 8
        for at in range(header, len(table) - 15, 16):
            found, value = struct.unpack_from("<I4xI", table, at)
            if found == (tag << 16) | 0x0003:
                return value
        return None


def _message(storage: _Storage, target: str, options: ScanOptions, coverage: TargetCoverage, attached: bool = False
             ) -> Iterator[Chunk | Cells]:
    """Yield the lines of the message in ``storage`` (``attached``: one attached to the message
    around it, in the same file), then what its attachments hold."""
    # An attached message is a container of its own, as an archive's member is (the message
    # around it registers itself, in emails.read_email), so that its findings verify once fixed.
    container = coverage.container(target, "lines") if attached else None
    chunks = [lines_chunk("\n".join(_headers(storage)), "headers", target)]
    bodies = [_body(storage, tag, target, coverage) for tag in (_BODY, _HTML)]
    for text, label in zip(bodies, ("text/plain", "text/html")):
        chunks.append(None if text is None else lines_chunk(html_text(text) if label == "text/html" else text,
                                                             label, target))
    if bodies == [None, None]:  # the same text as the others, where they are
        chunks = itertools.chain(chunks, _rtf_body(storage, target, coverage))
    for chunk in chunks:
        if chunk is not None:
            if container is not None:
                container.units += chunk.text.count("\n") + 1
            yield chunk
    others: list[str] = []  # its OLE objects that are no workbook, Word document or packaged file
    for number, folder in enumerate(storage.children(_ATTACHMENT)):
        yield from _attachment(storage, folder, number, target, options, coverage, others)
    other_objects_notice(target, others, coverage)


def _attachment(storage: _Storage, folder: str, number: int, target: str, options: ScanOptions,
                coverage: TargetCoverage, others: list[str]) -> Iterator[Chunk | Cells]:
    """Yield what the attachment in ``folder`` of a message holds: an attached message, an OLE
    object (added to ``others`` when it holds no file), or a file read as an archive's member is;
    one of a message attached ``emails.ATTACHED_MAX`` deep, counted as an .eml's are, is a problem line."""
    from pii_audit.sources.archives import read_attached

    attachment = storage.child(folder)
    name = file_name(next((n for tag in _NAMES if (n := attachment.text(tag))), f"attachment{number + 1}"))
    embedded = folder + f"__substg1.0_{_DATA:04X}{_OBJECT:04X}/"
    inside = {path[len(embedded):].upper() for path in storage.below(embedded)}
    message = "__PROPERTIES_VERSION1.0" in inside  # else an OLE object, when anything is inside
    size = None if inside else attachment.size(_DATA, _BINARY)
    if not inside and size is None:
        return  # a link to a file elsewhere: nothing of the file is here
    where = f"{target}!{name + '.msg' if message and not name.lower().endswith('.msg') else name}"
    if size is not None and size > mime.MAX_PART_BYTES:
        coverage.problem(where, f"an attachment of {size:,} bytes, over {mime.MAX_PART_BYTES:,}, is not read; "
                                "save it apart and scan it", target)
        return
    inner = attachment_options(where, target, options, coverage)
    if inner is None:
        return
    if message:
        yield from _message(storage.child(embedded), where, inner, coverage, attached=True)
    elif inside:
        yield from storage_object(storage.compound, where, embedded, inside, inner, coverage, others)
    else:
        yield from read_attached(where, attachment.raw(_DATA, _BINARY) or b"", inner, coverage)


def _headers(storage: _Storage) -> Iterator[str]:
    """Yield the message's header lines: its properties, its recipients, its Internet headers."""
    for tag, label in _HEADER_PROPERTIES:
        value = storage.text(tag)
        if value:
            yield f"{label}: {value}"
    for folder in storage.children(_RECIPIENT):
        recipient = storage.child(folder)
        values = [value for tag in _RECIPIENT_PROPERTIES if (value := recipient.text(tag))]
        if values:
            yield "Recipient: " + " ".join(values)
    transport = storage.text(_TRANSPORT_HEADERS)
    if transport:
        parsed = HeaderParser(policy=email.policy.default).parsestr(transport, headersonly=True)
        for name in HEADERS:  # as stored where the standard parser fails on a value ("To: <")
            for value in header_values(parsed, name):
                yield f"{name}: {value}"


def _body(storage: _Storage, tag: int, target: str, coverage: TargetCoverage) -> str | None:
    """Return the plain or HTML body as text, or None; one over the part cap is a problem line."""
    for kind in (_UNICODE, _STRING8, _BINARY):
        size = storage.size(tag, kind)
        if size is None:
            continue
        if _too_large(size, target, coverage):
            return None
        if kind == _BINARY:  # the HTML body as bytes, in the Internet code page
            return decoded(storage.raw(tag, kind) or b"", storage.codepage)
        return storage.text(tag, mime.MAX_PART_BYTES)
    return None


def _rtf_body(storage: _Storage, target: str, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the lines of the compressed rich-text body, as it is inflated, located ``text/rtf``;
    record one over the part cap, or damaged."""
    size = storage.size(_RTF_COMPRESSED, _BINARY)
    if size is None or _too_large(size, target, coverage):
        return
    try:
        inflated = Inflated(storage.raw(_RTF_COMPRESSED, _BINARY) or b"")
    except CompressedRtfError as error:
        coverage.problem(target, f"its rich-text body is not read: {error}", target)
        return
    yield from RtfText().chunks(inflated, {"path": target, "part": "text/rtf"}, coverage)
    if inflated.damaged:
        coverage.notice(target, f"rich-text body: {inflated.damaged}")


def _too_large(size: int, target: str, coverage: TargetCoverage) -> bool:
    """Tell whether a body is over the part cap, recording it as a problem line if so."""
    if size > mime.MAX_PART_BYTES:
        coverage.problem(target, f"a message body of {size:,} bytes, over {mime.MAX_PART_BYTES:,}, is not read",
                         target)
    return size > mime.MAX_PART_BYTES
