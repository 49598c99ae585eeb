"""A MIME message read as a stream: each part's body decoded in turn, one part in memory at a time.

Python's ``email`` parser holds a whole message: its lines, then each payload as text, then the
payload decoded, about 10 MB of memory a MiB of message (measured: 10.8 MiB peaked at 222 MB RSS,
60 MiB at 724 MB). So until session 11 an e-mail over 8 MiB was a problem line, and with it any
mail that carried a large export, the mail an audit looks for.

This reader goes through the message a line at a time. It finds the parts by their boundaries
(RFC 2046), into ``message/rfc822`` parts too, and decodes each body (base64, quoted-printable or
as is) as it reads it. The standard library still parses each block of headers
(``BytesHeaderParser``: encoded words, parameters, file names), which is small. Parts are
numbered as ``email.message.Message.walk()`` numbers them, containers included, and
``tests/test_sources_emails.py`` checks the parts against the standard parser's.

Memory holds one line (at most ``MAX_LINE_BYTES``), one header block (at most
``MAX_HEADER_BYTES``) and one part's decoded body (at most ``MAX_PART_BYTES``). A larger body is
counted and not kept: its ``body`` is None.
"""

from __future__ import annotations

import binascii
import email.policy
from dataclasses import dataclass
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message
from email.parser import BytesHeaderParser
from itertools import count
from typing import BinaryIO, Iterator

MAX_LINE_BYTES = 1 << 20  # a longer line is read in pieces: a hostile message need hold no newline
MAX_HEADER_BYTES = 1 << 20
MAX_PART_BYTES = 32 << 20  # what an archive's member may hold in memory (archives.SPREADSHEET_MAX_BYTES)
MAX_DEPTH = 64  # parts inside parts; mail clients nest a handful (a forward of a forward)
# Python's header parser slices off the rest of a value at each token it reads, so its time grows
# with the square of a value's length: 20 KB of backslashes in a To took 18 s, 4 KB of quotes in a
# Content-Type 2.3 s (measured), and a block may hold MAX_HEADER_BYTES. A Content-* value longer
# than this makes its part unreadable; ``emails`` reads a longer address header as stored. A long
# file name (RFC 2231, 200 Chinese characters: 1.8 KB) fits.
MAX_PARSED_BYTES = 2048
_CONTENT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Transfer-Encoding")

_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64)))
_BASE64_LINE = _BASE64 + b"= \t\r\n"  # what a line of base64 holds
_PARSER = BytesHeaderParser(policy=email.policy.default)


# A multipart whose delimiter never appears (a damaged boundary, in its header or on its lines), or
# that names none: what it held is all preamble, skipped as the standard parser skips a preamble,
# attachments and text alike (25 of 400 randomly damaged copies of a mail lost values so).
NO_PARTS = "a multipart part in which no part is found (a damaged boundary?); not read"
# A line in a block of headers that is no header (a damaged byte in a header's name or its colon):
# the headers after it, its type among them, are read as the body, which is then read as plain
# text, base64 and all (5 of 10 silent losses in 400 randomly damaged copies of a mail; the
# standard parser's MissingHeaderBodySeparatorDefect). Read so still, and said.
HEADERS_CUT = "a line in its headers is no header (damaged?): the headers after it were read as its body"


# Lines in a base64 body that are no base64 (``Content-Type: text/html``, a text): the delimiter
# before the next part damaged, that part was decoded as this one's base64, and what it held lost
# (2 of the 3 silent losses left in 400 randomly damaged copies of a mail). Read so, and said.
# Looking costs 20 ms for 10 MB of base64 (184,000 lines), whose decoding takes 100.
FOREIGN_LINES = ("its base64 holds {:,} line(s) that are no base64 (the next part's delimiter damaged?): "
                 "what they hold was not read")


class MimeError(Exception):
    """The message cannot be read further; the message is one line for a person."""


@dataclass
class Leaf:
    """A part that holds content (not a container): its number, its headers, its decoded body."""

    number: int
    headers: Message
    body: bytes | None  # None when it decoded to more than MAX_PART_BYTES
    size: int  # bytes it decoded to
    damaged: str = ""  # why it could not be read (then its body is skipped, whatever it holds)
    doubt: str = ""  # why what was read of its body may not be all it holds (it is read all the same)


class MessageReader:
    """Read a message from a binary stream: ``headers`` first, then ``leaves()`` in order."""

    def __init__(self, handle: BinaryIO):
        self._handle = handle
        self._pending: bytes | None = None
        self._numbers = count()
        self.headers = self._read_headers()

    def leaves(self) -> Iterator[Leaf]:
        """Yield each part that holds content, in the message's order."""
        yield from self._entity(self.headers, (), 0)

    # -- lines -----------------------------------------------------------------------------------

    def _line(self) -> bytes:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return self._handle.readline(MAX_LINE_BYTES)

    def _push(self, line: bytes) -> None:
        self._pending = line

    def _read_headers(self) -> Message:
        """Read a block of headers up to the blank line after it; a line that is no header
        begins the body, as in the standard parser."""
        block, size, cut_short = [], 0, False
        while True:
            line = self._line()
            if not line or line in (b"\r\n", b"\n"):
                break
            if not line[:1].isspace() and b":" not in line:
                self._push(line)
                cut_short = True
                break
            size += len(line)
            if size > MAX_HEADER_BYTES:
                raise MimeError(f"a block of headers over {MAX_HEADER_BYTES:,} bytes (corrupt or hostile e-mail)")
            block.append(line)
        overlong = _overlong(block)
        if overlong:
            return _unreadable(f"{overlong} over {MAX_PARSED_BYTES:,} bytes")
        try:
            headers = _parsed_once(_PARSER.parsebytes(b"".join(block)))
        except Exception as error:  # noqa: BLE001 -- it parses Content-Type at once, and fails on some ("charset*")
            return _unreadable(type(error).__name__)
        headers.cut_short = cut_short or any(isinstance(defect, MissingHeaderBodySeparatorDefect)
                                             for defect in headers.defects)
        return headers

    # -- parts -----------------------------------------------------------------------------------

    def _entity(self, headers: Message, bounds: tuple[bytes, ...], depth: int) -> Iterator[Leaf]:
        number = next(self._numbers)
        if depth > MAX_DEPTH:
            raise MimeError(f"parts nested more than {MAX_DEPTH} deep (corrupt or hostile e-mail)")
        try:
            kind, boundary = headers.get_content_type(), headers.get_boundary()
            damaged = getattr(headers, "unreadable", "")
        except Exception as error:  # noqa: BLE001 -- the standard header parser fails on some damaged values
            damaged = type(error).__name__
        if damaged:
            self._leaf(number, headers, bounds)  # skipped to the next part
            yield Leaf(number, headers, None, 0, f"unreadable headers ({damaged}); not read")
            return
        if getattr(headers, "cut_short", False):
            yield Leaf(number, headers, None, 0, HEADERS_CUT)
        if kind.startswith("multipart/"):
            parts = 0
            if boundary:
                for leaf in self._multipart(boundary.encode("utf-8", "surrogateescape"), bounds, depth,
                                            kind == "multipart/digest"):
                    parts += 1
                    yield leaf
            else:  # no boundary: the standard parser keeps the body as text of no type it reads
                self._skip(bounds)
            if not parts:  # RFC 2046 asks for one part at least: its boundary damaged, its parts are lost
                yield Leaf(number, headers, None, 0, NO_PARTS)
        elif kind == "message/rfc822":
            yield from self._entity(self._read_headers(), bounds, depth + 1)
        else:
            yield self._leaf(number, headers, bounds)

    def _multipart(self, boundary: bytes, outer: tuple[bytes, ...], depth: int, digest: bool) -> Iterator[Leaf]:
        bounds = outer + (boundary,)
        found = self._skip(bounds)  # the preamble
        while found == (len(bounds) - 1, False):
            headers = self._read_headers()
            if digest:  # RFC 2046 5.1.5: a digest's parts are messages unless they say otherwise
                headers.set_default_type("message/rfc822")
            yield from self._entity(headers, bounds, depth + 1)
            found = self._skip(bounds)  # nothing, normally: a part ends at the next delimiter
        while found is not None and found[0] == len(bounds) - 1:  # the epilogue, after the closing one
            found = self._skip(bounds)

    def _skip(self, bounds: tuple[bytes, ...]) -> tuple[int, bool] | None:
        """Read up to a delimiter of ``bounds``; return (which, closing), or None at the end.
        An outer one (not the last of ``bounds``) is left to be read again by its multipart."""
        while True:
            line = self._line()
            if not line:
                return None
            found = _delimiter(line, bounds)
            if found is not None:
                if found[0] < len(bounds) - 1:
                    self._push(line)
                return found

    def _leaf(self, number: int, headers: Message, bounds: tuple[bytes, ...]) -> Leaf:
        """Read a part's body up to the next delimiter (left to be read again), decoding it."""
        encoding = str(headers.get("Content-Transfer-Encoding", "")).strip().lower()
        decode = _Base64() if encoding == "base64" else binascii.a2b_qp if encoding == "quoted-printable" \
            else bytes
        kept: list[bytes] | None = []
        size, previous = 0, None
        while True:
            line = self._line()
            if not line or _delimiter(line, bounds) is not None:
                if line:
                    self._push(line)
                    if previous is not None:  # the line break before a delimiter is the delimiter's
                        previous = previous.rstrip(b"\r\n") if previous.endswith(b"\n") else previous
                break
            if previous is not None:
                size, kept = _keep(decode(previous), size, kept)
            previous = line
        if previous is not None:
            size, kept = _keep(decode(previous), size, kept)
        doubt = ""
        if isinstance(decode, _Base64):
            size, kept = _keep(decode.rest(), size, kept)
            if decode.foreign:
                doubt = FOREIGN_LINES.format(decode.foreign)
        return Leaf(number, headers, None if kept is None else b"".join(kept), size, doubt=doubt)


def _overlong(block: list[bytes]) -> str:
    """Return the name of the first Content-* header of ``block`` (its lines) longer than
    ``MAX_PARSED_BYTES``, or ""."""
    name, size = "", 0
    for line in block:
        if not line[:1].isspace():  # a header's first line; the others continue it
            name, size = line.split(b":", 1)[0].strip().decode("ascii", "replace").title(), 0
        size += len(line)
        if size > MAX_PARSED_BYTES and name in _CONTENT_HEADERS:
            return name
    return ""


def _parsed_once(headers: Message) -> Message:
    """Keep the Content-* headers parsed: ``Message.get`` parses a header anew at each call, and a
    part asks for its type, boundary, charset and file name."""
    for name in _CONTENT_HEADERS:
        try:
            value = headers[name]
        except Exception:  # noqa: BLE001 -- left as stored: what reads the part meets the failure
            continue
        if value is not None:
            headers.replace_header(name, value)
    return headers


def _unreadable(reason: str) -> Message:
    """Return the headers of a block the standard parser fails on: none, and ``reason`` (why), so
    that ``_entity`` skips its part as damaged."""
    headers = Message(policy=email.policy.default)
    headers.unreadable = reason
    return headers


def _keep(data: bytes, size: int, kept: list[bytes] | None) -> tuple[int, list[bytes] | None]:
    """Add decoded bytes to a body, or count them only once it is over MAX_PART_BYTES."""
    size += len(data)
    if kept is not None and size <= MAX_PART_BYTES:
        kept.append(data)
        return size, kept
    return size, None


def _delimiter(line: bytes, bounds: tuple[bytes, ...]) -> tuple[int, bool] | None:
    """Return (index in ``bounds``, closing) when ``line`` is a delimiter of one, the innermost first.

    >>> _delimiter(b"--b1--  \\r\\n", (b"b1", b"b2")), _delimiter(b"--b2\\n", (b"b1", b"b2")), _delimiter(b"--b\\n", (b"a",))
    ((0, True), (1, False), None)
    """
    if not line.startswith(b"--"):
        return None
    text = line.rstrip(b"\r\n").rstrip(b" \t")
    for index in range(len(bounds) - 1, -1, -1):
        boundary = bounds[index]
        if text == b"--" + boundary:
            return index, False
        if text == b"--" + boundary + b"--":
            return index, True
    return None


class _Base64:
    """Decode base64 a line at a time, leniently, as mail clients do: what is no base64 character
    is dropped, and a group left over at the end is padded."""

    def __init__(self):
        self._carry = b""
        self.foreign = 0  # lines that hold what no line of base64 holds (``FOREIGN_LINES``)

    def __call__(self, line: bytes) -> bytes:
        if line.translate(None, _BASE64_LINE):
            self.foreign += 1
        data = self._carry + line.translate(None, _NOT_BASE64)
        whole = len(data) - len(data) % 4
        self._carry = data[whole:]
        return binascii.a2b_base64(data[:whole]) if whole else b""

    def rest(self) -> bytes:
        """Return what the last, unpadded group holds (a single character holds nothing)."""
        carry, self._carry = self._carry, b""
        return binascii.a2b_base64(carry + b"=" * (-len(carry) % 4)) if len(carry) > 1 else b""
