"""Saved e-mails (.eml): the headers and every text part decoded, every attachment read as the
file it is.

A customer list sent by e-mail is the leak an audit looks for, and mail exported from a mail
system keeps it. Chinese mail travels base64- or quoted-printable-encoded, in GB2312, GBK or
UTF-8: read as a text file, an .eml showed its customers' numbers only as base64, and nothing was
found. The message is decoded part by part (``mime``); the headers (From,
To, Cc, Subject) are one part, each text part another (an HTML part as its text, tags dropped; an
RTF part, ``text/rtf``, read by ``rtf``, a paragraph a line), each
read as lines located ``{path, part, line, start, end}``; the container is the file. Each
attachment is read as a member of an archive is (``archives.read_attached``): a workbook, a Word
document, a PDF, an archive or a text file, located ``mail.eml!客户名单.xlsx``; a database dump
(attached as it is or in an attached archive) by one worker, in order, when a pool reads the mail.

The message is read as a stream (``mime``), a part at a time, so its size has no bound; a part
that decodes to more than ``mime.MAX_PART_BYTES`` is a problem line, and the parts after it are read.
A message attached as a file is read as a message; the attachments of one attached
``ATTACHED_MAX`` deep (in messages attached in messages, .eml or .msg: ``outlook`` counts the
same depth) are a problem line.
An Outlook .msg (an OLE2 file, whatever its name) is read by ``outlook``, from here.
"""

from __future__ import annotations

import binascii
import html
import io
import re
from typing import Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import (OLE2_MAGIC, InnerOptions, ScanOptions, TargetCoverage, inner_options, legacy_text,
                               mime, ole2, one_line_name, opened_file, reader_state)
from pii_audit.sources.mime import Leaf, MessageReader, MimeError
from pii_audit.sources.damage import unreadable
from pii_audit.sources.xlsx_guard import WorkbookRefused

HEADERS = ("From", "To", "Cc", "Reply-To", "Subject")
# The top-level media types (IANA); with the experimental ones (x-…), a part of none is damaged.
_MAIN_TYPES = frozenset(("text", "image", "audio", "video", "application", "message", "multipart", "font", "model",
                         "example", "haptics"))
# A forward of a forward, each attached as a file, nests a few messages. Each level holds its
# part (up to mime.MAX_PART_BYTES) and a copy while it is read: unbounded, 100 levels round 1 MB
# held 280 MiB, and 400 ended in RecursionError after 140 s (measured).
ATTACHED_MAX = 4


class MessageRefused(Exception):
    """The file is not a message we will read; the message is one line for a person."""

# GB2312 mail often holds characters only GBK and GB18030 have: decode as their superset.
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "euc-cn"}
# A tag ends at the next "<" too: with [^>]*, each "<" with no ">" after it scanned to the part's
# end and back, so a part of unclosed tags took quadratic time (40 KB: seconds; 1 MB: hours).
_TAG = re.compile(r"<[^<>]*>")
# An encoded word (RFC 2047). Its parts hold no "?" or space, so a match cannot run into the next:
# matching stays linear in the value (the standard parser's time grows with its square, ``mime``).
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t]+(?==\?)")  # space between two encoded words is no text
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BLOCKS = re.compile(r"(?i)<(?:br|/p|/div|/tr|/li|/h\d)\b[^<>]*>")  # where an HTML text breaks its lines


def read_email(target: str, options: ScanOptions, coverage: TargetCoverage, data: bytes | None = None
               ) -> Iterator[Chunk | Cells]:
    """Yield the lines of the message ``target`` (its headers, its text parts) and what its
    attachments hold. ``data`` holds its bytes when it is no file of its own (an archive's member)."""
    coverage.files += 1
    container = coverage.container(target, "lines")
    try:
        handle, size = opened_file(target, data, coverage, container)
        with handle:
            if handle.read(len(OLE2_MAGIC)) == OLE2_MAGIC:  # an Outlook .msg, whatever its name
                from pii_audit.sources.outlook import msg_items  # it imports this module

                handle.seek(0)
                yield from _counted(msg_items(handle, target, options, coverage), container, target)
                return
            handle.seek(0)
            yield from _counted(_mime_items(MessageReader(handle), target, options, coverage), container, target)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}", target)
    except (MimeError, MessageRefused) as error:
        coverage.problem(target, str(error), target)
    except WorkbookRefused as error:  # a damaged OLE2 file (ole2)
        coverage.problem(target, ole2.worded(error, "Outlook message"), target)
    except Exception as error:  # noqa: BLE001 -- the header parser on hostile bytes: what the type means, and it
        coverage.problem(target, unreadable(error, "e-mail"), target)


def _counted(items: Iterator[Chunk | Cells], container, target: str) -> Iterator[Chunk | Cells]:
    """Yield ``items``, counting the lines of the message's own chunks (an attachment's count as its own)."""
    for item in items:
        if type(item) is Chunk and item.container == target:
            container.units += item.text.count("\n") + 1
        yield item


def _mime_items(reader: MessageReader, target: str, options: ScanOptions, coverage: TargetCoverage
                ) -> Iterator[Chunk | Cells]:
    """Yield the headers' lines, then each part's items, as the reader reaches them."""
    headers = "\n".join(f"{name}: {value}" for name in HEADERS for value in header_values(reader.headers, name))
    chunk = lines_chunk(headers, "headers", target)
    if chunk is not None:
        yield chunk
    for leaf in reader.leaves():
        yield from _leaf_items(leaf, target, options, coverage)


def header_values(headers, name: str) -> list[str]:
    """Return a header's values decoded, or as stored where the standard parser fails on them or
    would take too long (a value over ``mime.MAX_PARSED_BYTES``)."""
    stored = [value for key, value in headers.raw_items() if key.lower() == name.lower()]
    if any(len(value) > mime.MAX_PARSED_BYTES for value in stored):
        return [_as_stored(value) for value in stored]
    try:
        return [str(value) for value in headers.get_all(name, [])]
    except Exception:  # noqa: BLE001 -- a damaged address list: its text is still worth reading
        return [_as_stored(value) for value in stored]


def _as_stored(value: str) -> str:
    """Return a header's value as stored, unfolded, with its encoded words decoded."""
    return _ENCODED_WORD.sub(_decoded_word, _BETWEEN_WORDS.sub("", _FOLD.sub("", value)))


def _decoded_word(word: re.Match) -> str:
    """Return an encoded word's text, or the word as it is when it does not decode."""
    charset, kind, text = word.groups()
    data = text.encode("ascii", "replace")
    try:
        if kind in "bB":
            raw = binascii.a2b_base64(data + b"=" * (-len(data) % 4))
        else:
            raw = binascii.a2b_qp(data, header=True)
    except binascii.Error:  # left as it is
        return word.group()
    return decoded(raw, charset)


def _leaf_items(leaf: Leaf, target: str, options: ScanOptions, coverage: TargetCoverage
                ) -> Iterator[Chunk | Cells]:
    """Yield a part's lines (a text part) or what it holds (an attachment, read as an archive's
    member is); record a part too large to hold as a problem line."""
    damaged, name = leaf.damaged, None
    try:
        name = None if damaged else leaf.headers.get_filename()
    except Exception as error:  # noqa: BLE001 -- the standard header parser fails on some damaged values
        damaged = f"unreadable headers ({type(error).__name__}); not read"
    if damaged:
        coverage.problem(target, f"part {leaf.number}: {damaged}", target)
        return
    if leaf.doubt:
        coverage.problem(target, f"part {leaf.number}: {leaf.doubt}", target)
    label = file_name(name) if name else f"{leaf.number} {leaf.headers.get_content_type()}"
    if leaf.body is None:
        coverage.problem(f"{target}!{label}" if name else target,
                         f"a part of {leaf.size:,} bytes decoded, over {mime.MAX_PART_BYTES:,}, is not read; "
                         "save it apart and scan it", target)
    elif name:
        yield from _attachment(f"{target}!{label}", leaf.body, target, options, coverage)
    elif leaf.headers.get_content_type() in ("text/rtf", "application/rtf"):  # Outlook's rich text, sent so
        from pii_audit.sources.rtf import RtfText  # it imports ooxml, which a mail of plain text never needs

        yield from RtfText().chunks(io.BytesIO(leaf.body), {"path": target, "part": label}, coverage)
    elif leaf.headers.get_content_maintype() == "text":
        text = decoded(leaf.body, leaf.headers.get_content_charset())
        if leaf.headers.get_content_subtype() == "html":
            text = html_text(text)
        chunk = lines_chunk(text, label, target)
        if chunk is not None:
            yield chunk
    elif leaf.headers.get_content_maintype() not in _MAIN_TYPES and \
            not leaf.headers.get_content_maintype().startswith("x-"):
        # A type damaged (multi\x1aart/mixed): its part, maybe the whole message, is no text and no
        # file, skipped without a word. An image or a file with no name is no text either: quiet.
        coverage.problem(target, f"part {leaf.number}: a type no mail holds (damaged?); not read", target)


def _attachment(where: str, body: bytes, target: str, options: ScanOptions, coverage: TargetCoverage
                ) -> Iterator[Chunk | Cells]:
    """Yield what an attachment holds, read as an archive's member is (``archives.read_attached``:
    a dump in it by one worker, in order); record one of a message attached ``ATTACHED_MAX`` deep
    as a problem line."""
    from pii_audit.sources.archives import read_attached

    inner = attachment_options(where, target, options, coverage)
    if inner is not None:
        yield from read_attached(where, body, inner, coverage)


def attachment_options(where: str, target: str, options: ScanOptions, coverage: TargetCoverage
                       ) -> InnerOptions | None:
    """Return the options to read the attachment ``where`` of the message ``target`` with, one
    message deeper (an .eml's or a .msg's: both count one depth, whichever attaches which); None,
    recorded as a problem line, for an attachment of a message attached ``ATTACHED_MAX`` deep."""
    attached = reader_state(options).attached
    if attached >= ATTACHED_MAX:
        coverage.problem(where, f"an attachment of a message attached {ATTACHED_MAX} deep in messages is not read; "
                                "save it apart and scan it", target)
        return None
    return inner_options(options, attached=attached + 1)


def lines_chunk(text: str, label: str, target: str) -> Chunk | None:
    """Return one part's text as a chunk of lines located ``{path, part, line}``, or None when it
    holds nothing but space."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Chunk(text, {"path": target, "part": label, "line": 1}, target, multiline=True) if text.strip() else None


def html_text(text: str) -> str:
    """Return the text of an HTML body, a line a block."""
    # A tag becomes a space: dropped, it glued the numbers of two table cells into one.
    return html.unescape(_TAG.sub(" ", _BLOCKS.sub("\n", text)))


def decoded(payload: bytes, charset: str | None) -> str:
    """Return a text part's bytes decoded by its charset, else as the file source decodes."""
    charset = (charset or "").lower()
    charset = "gb18030" if charset in _GB else charset
    try:
        return payload.decode(charset) if charset else legacy_text(payload)
    except (LookupError, ValueError):  # "undefined", "punycode": UnicodeError; a NUL in the name: ValueError
        return legacy_text(payload)


def file_name(name: str) -> str:
    """Return an attachment's name as a member name: no folder, no "!" (which separates members),
    on one line (``one_line_name``: an encoded name may hold a line break).

    >>> file_name("客户/名单!\\n.xlsx")
    '客户_名单_?.xlsx'
    """
    return one_line_name(re.sub(r"[\\/!]", "_", name.strip())) or "attachment"
