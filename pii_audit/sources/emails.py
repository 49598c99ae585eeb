"""Saved e-mails (.eml): the headers and every text part decoded, every attachment read as the
file it is.

A customer list sent by e-mail is the leak an audit looks for, and mail exported from a mail
system keeps it. Chinese mail travels base64- or quoted-printable-encoded, in GB2312, GBK or
UTF-8: read as a text file, an .eml showed its customers' numbers only as base64, and nothing was
found. Python's ``email`` parser (the standard library's) decodes the message; the headers (From,
To, Cc, Subject) are one part, each text part another (an HTML part as its text, tags dropped), each
read as lines located ``{path, part, line, start, end}``; the container is the file. Each
attachment is read as a member of an archive is (``archives.read_member``): a workbook, a Word
document, a PDF, an archive or a text file, located ``mail.eml!客户名单.xlsx``.

The parser holds the whole message, so a message over ``MAX_EMAIL_BYTES`` is a problem line.
"""

from __future__ import annotations

import email
import email.policy
import html
import io
import re
from typing import Iterator

from pii_audit.models import Cells, Chunk
from pii_audit.sources import ScanOptions, TargetCoverage, legacy_text

# A message is parsed whole: the parser's lines and the decoded attachments took about 10 MB of
# memory a MiB of message (measured: 10.8 MiB peaked at 222 MB RSS, 60 MiB at 724 MB), so a
# message over 8 MiB is not read, to stay within the scan's 300 MB bound.
MAX_EMAIL_BYTES = 8 << 20
HEADERS = ("From", "To", "Cc", "Reply-To", "Subject")
# GB2312 mail often holds characters only GBK and GB18030 have: decode as their superset.
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "euc-cn"}
_TAG = re.compile(r"<[^>]*>")
_BLOCKS = re.compile(r"(?i)<(?:br|/p|/div|/tr|/li|/h\d)\b[^>]*>")  # where an HTML text breaks its lines


def read_email(target: str, options: ScanOptions, coverage: TargetCoverage, data: bytes | None = None
               ) -> Iterator[Chunk | Cells]:
    """Yield the lines of the message ``target`` (its headers, its text parts) and what its
    attachments hold. ``data`` holds its bytes when it is no file of its own (an archive's member)."""
    from pii_audit.sources.archives import read_member

    coverage.files += 1
    container = coverage.container(target, "lines")
    try:
        raw = _read(target, data)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}", target)
        return
    coverage.bytes += min(len(raw), MAX_EMAIL_BYTES)
    container.bytes += len(raw)
    if len(raw) > MAX_EMAIL_BYTES:
        coverage.problem(target, f"an e-mail larger than {MAX_EMAIL_BYTES:,} bytes is not read; save its "
                                 "attachments apart and scan them", target)
        return
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = list(_parts(message))
    except Exception as error:  # noqa: BLE001 -- the parser on hostile bytes: the type only
        coverage.problem(target, f"unreadable e-mail ({type(error).__name__})", target)
        return
    for label, text, attachment in parts:
        if attachment is not None:
            yield from read_member(f"{target}!{label}", io.BufferedReader(io.BytesIO(attachment)), options,
                                   coverage, 1)
        elif text.strip():
            container.units += text.count("\n") + 1
            yield Chunk(text, {"path": target, "part": label, "line": 1}, target, multiline=True)


def _read(target: str, data: bytes | None) -> bytes:
    if data is not None:
        return data
    with open(target, "rb") as handle:
        return handle.read(MAX_EMAIL_BYTES + 1)


def _parts(message) -> Iterator[tuple[str, str, bytes | None]]:
    """Yield ``(label, text, None)`` for the headers and each text part, ``(file name, "", bytes)``
    for each attachment."""
    yield "headers", "\n".join(f"{name}: {value}" for name in HEADERS for value in message.get_all(name, [])), None
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        name = part.get_filename()
        if name:
            yield _file_name(name), "", payload
        elif part.get_content_maintype() == "text":
            text = _decoded(payload, part.get_content_charset())
            if part.get_content_subtype() == "html":
                # A tag becomes a space: dropped, it glued the numbers of two table cells into one.
                text = html.unescape(_TAG.sub(" ", _BLOCKS.sub("\n", text)))
            yield f"{number} {part.get_content_type()}", text.replace("\r\n", "\n").replace("\r", "\n"), None


def _decoded(payload: bytes, charset: str | None) -> str:
    """Return a text part's bytes decoded by its charset, else as the file source decodes."""
    charset = (charset or "").lower()
    charset = "gb18030" if charset in _GB else charset
    try:
        return payload.decode(charset) if charset else legacy_text(payload)
    except (LookupError, UnicodeDecodeError):
        return legacy_text(payload)


def _file_name(name: str) -> str:
    """Return an attachment's name as a member name: no folder, no "!" (which separates members)."""
    return re.sub(r"[\\/!]", "_", name.strip()) or "attachment"
