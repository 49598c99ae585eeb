"""Escapes that hide what a line says from the recognizers: JSON's ``\\uXXXX`` escapes, a
terminal's colour codes, a URL's percent-encoding, XML's character references and its CDATA
sections' markers.

A JSON-lines log written with Python's default ``json.dumps`` (``ensure_ascii=True``) holds an
escape in place of every Chinese character: ``客户身份证号`` is
``\\u5ba2\\u6237\\u8eab\\u4efd\\u8bc1\\u53f7``, so no Chinese keyword, name or address is left for
the recognizers to see, and a 15-digit ID number (found only beside its keyword) or a customer's
address would go unreported.

A log written for a terminal (a console appender's colours, ``docker logs`` of one) wraps its
fields in ANSI control sequences: ``\\x1b[1;33m13812345678\\x1b[0m`` put the letter ``m`` right
before the number, which no value may follow, and every coloured value was missed.

A token or a body logged base64-encoded hides all it holds: a JWT's payload
(``Bearer eyJhbGciOi….eyJtb2JpbGUiOiIxMzgxMjM0NTY3OCJ9.…``, ``{"mobile":"13812345678"}``), a
request body a gateway logs encoded. Base64 is an encoding, not a protection: a run of it that
opens a JSON object or array or an XML document (``eyJ``, ``eyAi``, ``ewog``, ``W3si``,
``PD94bWw``…: what ``{"``, ``{ "``, ``{`` and a line break, ``[{"`` and ``<?xml`` encode to)
and decodes to text (UTF-8, or GBK where an XML declaration says so) is read decoded, each
character placed over the base64 characters that encode its bytes, the escapes inside it read as
they are outside. Only such runs: every trace id, hash and session token is a run of base64's
characters, and decodes to bytes, not text.

A payment front end logs ISO 8583 messages whole, their fields glued into one run of hex digits
(``…C00000166222021234567894000000…``: a card number after its length ``16``): each card number
(field 2) and track 2 (field 35) in such a run is read with a space on either side
(``pii_audit.iso8583``). Only in the lines and values the screen marks as holding a message
(``iso8583.MARK``): Python's ``re`` looked for one at about 80 ns a character, where the whole
screen takes 5.

A web server's or gateway's access log holds query strings and form bodies percent-encoded:
``idNo%3D11010519491231002X`` put the letter ``D`` before the ID number, ``%22mobile%22%3A%22138…``
the digits ``22`` before the mobile number, and ``name=%E5%BC%A0%E4%B8%89`` hid the name 张三.

An XML or HTML message logged as its serializer wrote it may hold its Chinese as numeric
character references (``<custName>&#23385;&#20029;</custName>``, ``&#x5B59;``) and its markup as
named ones (``&lt;custName&gt;`` inside a SOAP envelope logged as text): the name and its tag
were both hidden. A bank's service bus wraps free text in CDATA sections
(``<CustNm><![CDATA[张三]]></CustNm>``): the marker stood between the tag and the name.

The detector reads such a line with its escapes replaced and its colour codes removed, so that
context words stand as near a value as a person reading the line sees them, and maps what it
finds back to offsets in the line as stored. A block of lines is screened with its ``\\u``
escapes decoded, its colour codes removed, its percent-encoding and character references decoded
and its CDATA sections' markers removed, in one pass (``unescaped_block``), as ``unescape``
reads each line; a line holding base64 or an ISO 8583 message is read decoded whatever the
screen found in it (``BASE64_MARK``, ``iso8583.MARK``), its recognizers chosen by what it says
decoded (``decoded``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import zlib
from array import array
from typing import Callable, Iterable, Sequence

from pii_audit import iso8583

# A run of \uXXXX escapes, or an escaped backslash, which stays as it is: matching it keeps a
# backslash followed by the letters "u1234" from being read as an escape. A run at a time, and
# written to begin with its one backslash: an escape at a time, a JSON log line of a name and a
# message took 14.5 µs to unescape, now 8 (as an alternation of the two, 11; measured).
_JSON_ESCAPES = re.compile(r"\\(?:u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})*|\\)")
# The same in a block's bytes, the run captured without its first backslash (None where an escaped
# backslash matched), for ``_json_block``'s split.
_JSON_ESCAPES_SPLIT = re.compile(rb"\\(?:(u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})*)|\\)")
# What joins a block's runs to be decoded in one call: U+10FFFF, which no \uXXXX run decodes to.
_RUNS_JOINT, _RUNS_JOINT_UTF8 = rb"\U0010ffff", "\U0010ffff".encode()
# ECMA-48's control sequence: ESC [, parameter bytes, intermediate bytes, one final byte.
_TERMINAL_CODE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_TERMINAL_CODE_UTF8 = re.compile(_TERMINAL_CODE.pattern.encode())
# Percent-encoded bytes, a run at a time: a character of several bytes is encoded as a run.
# Written to begin with its literal %, which re then looks for fast: as (?:%XX)+ a search of a
# MiB of logs holding no escape took 29 ms, now 0.4 (measured).
_PERCENT_RUN = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*")
_PERCENT_RUN_UTF8 = re.compile(_PERCENT_RUN.pattern.encode())
# XML's numeric character references and its five named entities (HTML's too). Written to begin
# with its literal &, as _PERCENT_RUN: a search of a MiB of the bench logs with an & on every line
# and no reference took 0.48 ms (_PERCENT_RUN's over the same MiB with a % a line 0.50), and a MiB
# with no & at all 0.01 ms, the test for the byte (measured).
_REFERENCE = re.compile(r"&(?:#(?:[0-9]{1,7}|[xX][0-9A-Fa-f]{1,6})|amp|lt|gt|quot|apos);")
_REFERENCE_UTF8 = re.compile(_REFERENCE.pattern.encode())
# A CDATA section within one line: its text is read without the markers around it.
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>")
_CDATA_UTF8 = re.compile(_CDATA.pattern.encode())
# A run of base64 (standard or URL-safe, as a JWT's) that opens a JSON object or array or an XML
# document: ``{"``, ``{ "``, ``{`` and a line break (pretty-printed: ``ewog``, ``ewoi``,
# ``ew0K``), ``[{"``, ``<?xml`` encoded. The literal starts are looked for first
# (``_has_base64``); 12 characters more at least (a JSON object of one short field).
# ``H4sI`` is gzip's magic: a payload compressed, then encoded (a message queue's body), inflated
# up to ``_inflated``'s bound, every character placed over the whole run.
_BASE64_STARTS = ("eyJ", "eyAi", "ewog", "ewoi", "ew0K", "W3si", "PD94bWw", "H4sI")
_STARTS = "|".join(_BASE64_STARTS)
_BASE64_RUN = re.compile(rf"(?:{_STARTS})[A-Za-z0-9+/_-]{{12,}}={{0,2}}")
# Bytes inflated from one run at most: 20 times its compressed bytes (JSON compresses 5 to 10
# times), at least 64 KiB, at most 1 MiB. A run of 1.4 KB of gzipped zeros inflates to 1 MiB:
# a log of such lines would be read 700 times over.
GZIP_RATIO, GZIP_TEXT_MIN, GZIP_TEXT_MAX = 20, 64 << 10, 1 << 20
# The lines of a block that may hold such a run are found by the detector's screen, in its one
# pass (``Screen`` marks): looking for the seven starts in each MiB block (``in``) cost the log
# scan 9.4% more instructions (``bench/instructions.py``), where the blocks held none.
# Its first 16 characters at least, so that Hyperscan reports a run once, not at each character.
BASE64_MARK = rf"(?:{_STARTS})[A-Za-z0-9+/_\-]{{12}}".encode()
BASE64_MARK_RE = re.compile(BASE64_MARK)
_MESSAGE_RUN_UTF8 = re.compile(iso8583.RUN.pattern.encode())
_BASE64_RUN_UTF8 = re.compile(_BASE64_RUN.pattern.encode())
_GBK_DECLARED = re.compile(rb"""<\?xml[^>]*encoding=["'](?:gbk|gb2312|gb18030)["']""", re.IGNORECASE)
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# A decoded newline would cut a line in two: it is read as a space, as a person reads a URL.
_LINE_BREAKS = str.maketrans("\r\n", "  ")

# What an escape (or a run of them) becomes: its text, and where each of its characters starts
# and ends in the text as stored.
Rewritten = tuple[str, Sequence[int], Sequence[int]]
# Where each character of a long rewritten text starts and ends is kept as machine integers ("i":
# a line is read in pieces of at most 1 MiB): as lists of Python ints, a 1 MiB line of JSON with
# \u escapes peaked at 115 MB, of base64 JSON at 127 MB, where a plain one takes 60 (measured).
# A short one's in lists, faster to fill: arrays throughout cost a log of JSON lines with escapes
# 13% more instructions.
PLACES = "i"
LONG_TEXT = 1 << 16


def _places(length: int, values: Iterable[int] = ()) -> Sequence[int]:
    """Return ``values`` as the places of a text of ``length`` characters: a list, or an array of
    machine integers for a long text."""
    return array(PLACES, values) if length > LONG_TEXT else list(values)


def has_escapes(text: str) -> bool:
    """Tell whether a text may hold a ``\\uXXXX`` escape, a colour code, percent-encoding or a
    character reference (a cheap test before ``unescape``).

    >>> has_escapes('{"msg": "\\\\u5ba2"}'), has_escapes("客户"), has_escapes("D:\\\\logs\\\\app.log")
    (True, False, False)
    >>> has_escapes("\\x1b[32mINFO\\x1b[0m"), has_escapes("name=%E5%BC%A0"), has_escapes("成功率 99%")
    (True, True, False)
    >>> has_escapes("<xm>&#23385;</xm>"), has_escapes("a=1&b=2"), has_escapes("<xm><![CDATA[孙丽]]></xm>")
    (True, False, True)
    >>> has_escapes("Bearer eyJtb2JpbGUiOiIxMzgxMjM0NTY3OCJ9"), has_escapes("traceId=eyJ4")
    (True, False)
    """
    # A backslash is found by memchr, 10x faster than the two characters over Chinese text (2.4
    # against 23 ms for 20 MB, measured), and most text holds none; so are ESC, % and &.
    return ("\\" in text and "\\u" in text) or "\x1b" in text or \
        ("%" in text and _PERCENT_RUN.search(text) is not None) or \
        ("&" in text and _REFERENCE.search(text) is not None) or "<![CDATA[" in text or _has_base64(text)


def last_base64_run(text: str) -> tuple[int, int] | None:
    """Return where the last run of base64 that may encode JSON or XML (``_BASE64_RUN``) in
    ``text`` begins and ends, or None.

    >>> last_base64_run("a=eyJuYW1lIjoiYSJ9Cg, b=eyJpZCI6MTIzNDU2fQ==")
    (24, 44)
    """
    last = None
    if any(start in text for start in _BASE64_STARTS):
        for last in _BASE64_RUN.finditer(text):
            pass
    return last.span() if last is not None else None


def _has_base64(text: str) -> bool:
    """Tell whether a text holds a run of base64 that may encode JSON or XML (``_BASE64_RUN``)."""
    return any(start in text for start in _BASE64_STARTS) and _BASE64_RUN.search(text) is not None


def unescaped_block(raw: bytes) -> bytes:
    """Return a block of UTF-8 lines with ``\\uXXXX`` escapes decoded, without colour codes and
    CDATA sections' markers, and with percent-encoded bytes and character references decoded,
    line for line (``raw`` itself when it holds none of them), for the screen to look at: each
    line as ``unescape`` reads it.

    >>> unescaped_block(b'{"msg": "\\\\u5ba2\\\\u6237\\\\u000a", "path": "D:\\\\\\\\u5ba2"}').decode()
    '{"msg": "客户 ", "path": "D:\\\\\\\\u5ba2"}'
    >>> unescaped_block(b"\\x1b[32mINFO\\x1b[0m idNo%3D1%0A2\\nplain 99%")
    b'INFO idNo=1 2\\nplain 99%'
    >>> unescaped_block(b"<xm>&#23385;&#x4E3D;</xm>&#10;&lt;b&gt;").decode()
    '<xm>孙丽</xm> <b>'
    >>> unescaped_block("<xm><![CDATA[孙丽]]></xm>\\n<![CDATA[".encode()).decode()
    '<xm>孙丽</xm>\\n<![CDATA['
    """
    block = raw
    if b"\\" in block and b"\\u" in block:
        block = _json_block(block)
    if b"\x1b" in block:
        block = _TERMINAL_CODE_UTF8.sub(b"", block)
    if b"%" in block and _PERCENT_RUN_UTF8.search(block):
        block = _PERCENT_RUN_UTF8.sub(_percent_bytes, block)
    if b"&" in block and _REFERENCE_UTF8.search(block):
        block = _REFERENCE_UTF8.sub(_reference_bytes, block)
    if b"<![CDATA[" in block:
        block = _CDATA_UTF8.sub(rb"\1", block)
    return block


def decoded(line: bytes, messages: bool = False) -> bytes | None:
    """Return a line's UTF-8 with each run of base64 that encodes JSON or XML decoded (and the
    escapes of ``unescaped_block`` in it) and, where ``messages`` says it holds ISO 8583
    messages, their card fields spaced (``iso8583.spaced``), for the screen to look at; None
    when there is neither.

    >>> decoded(b"Bearer eyJtb2JpbGUiOiIxMzgxMjM0NTY3OCJ9 ok"), decoded(b"t=eyJ_-_-_-_-_-_-_-_-_-_-")
    (b'Bearer {"mobile":"13812345678"} ok', None)
    >>> decoded(b"send 02007020048000C00000166222021234567894000000", messages=True)
    b'send 02007020048000C0000016 6222021234567894 000000'
    """
    spaced = _MESSAGE_RUN_UTF8.sub(_spaced_bytes, line) if messages else line
    base64_text = _base64_decoded(spaced)
    if base64_text is not None:
        return base64_text
    return None if spaced == line else spaced


def _spaced_bytes(run: re.Match) -> bytes:
    found = iso8583.spaced(run.group().decode("ascii"))
    return run.group() if found is None else found[0].encode("ascii")


def _base64_decoded(line: bytes) -> bytes | None:
    """Return a line with each run of base64 that encodes JSON or XML decoded, then the escapes
    of ``unescaped_block``; None when no run does."""
    any_decoded = False

    def text_of(run: re.Match) -> bytes:
        nonlocal any_decoded
        text = _base64_text(run.group().decode("ascii"))
        any_decoded = any_decoded or text is not None
        return run.group() if text is None else text[0].encode("utf-8")

    line = _BASE64_RUN_UTF8.sub(text_of, line)
    return unescaped_block(line) if any_decoded else None


def _base64_text(run: str) -> tuple[str, str] | None:
    """Return the text a run of base64 encodes and its encoding: UTF-8 (JSON's, and XML's by
    default), or GB18030 for an XML document that declares GBK, GB2312 or GB18030 (a Chinese
    bank's service bus writes its messages so); its line breaks and tabs read as spaces. None
    where it encodes no text (bytes of neither, or control characters).

    >>> _base64_text("eyJtb2JpbGUiOiIxMzgxMjM0NTY3OCJ9"), _base64_text("eyJ4Ijoi5byg5LiJIn0")
    (('{"mobile":"13812345678"}', 'utf-8'), ('{"x":"张三"}', 'utf-8'))
    >>> _base64_text("PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iR0JLIj8+PHhtPtXFyP08L3htPg==")
    ('<?xml version="1.0" encoding="GBK"?><xm>张三</xm>', 'gb18030')
    >>> _base64_text("eyJhYmNkZWZnaGlqa2xtbm9w/+8A"), _base64_text("eyJ_-_-_-_-_-_-_-_-_-_-")
    (None, None)
    """
    body = run.rstrip("=")
    body = body[:len(body) - (len(body) % 4 == 1)]  # one character past whole bytes: a run cut short
    url_safe = "-" in body or "_" in body
    try:
        data = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_" if url_safe else None, validate=True)
    except binascii.Error:
        return None
    if data.startswith(b"\x1f\x8b"):
        data = _inflated(data)
    encoding = "gb18030" if _GBK_DECLARED.match(data) else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if not text.isprintable():  # most JSON is one line: translated only where it is not (1.4 µs a run)
        text = text.translate(_LINE_BREAKS).replace("\t", " ")
        if not text.isprintable():
            return None
    return text, encoding


def _inflated(data: bytes) -> bytes:
    """Return what gzip data inflates to, up to the bound above, cut where its last whole UTF-8
    character ends; b"" where it does not inflate.

    >>> import gzip
    >>> len(_inflated(gzip.compress(bytes(1 << 20)))), _inflated(b"\\x1f\\x8b not gzip")
    (65536, b'')
    """
    inflater = zlib.decompressobj(wbits=31)
    try:
        text = inflater.decompress(data, min(GZIP_TEXT_MAX, max(GZIP_TEXT_MIN, GZIP_RATIO * len(data))))
    except zlib.error:
        return b""
    if inflater.unconsumed_tail or not inflater.eof:  # cut: at the cap, or the run was cut short
        while text and text[-1] & 0xC0 == 0x80:  # a character's continuation bytes
            text = text[:-1]
        text = text[:-1] if text and text[-1] >= 0xC0 else text
    return text


def _json_block(block: bytes) -> bytes:
    """Return UTF-8 text with each run of \\uXXXX escapes replaced by the UTF-8 of what it stands
    for (a line break read as a space), as ``_json_characters`` reads it; escaped backslashes
    kept. Every run of a block is decoded in one call (Python's ``unicode_escape`` codec), joined
    by a character none decodes to: a callback for each run took 76 ms for 3.5 MB of JSON logs,
    this 28-33 (measured)."""
    pieces = _JSON_ESCAPES_SPLIT.split(block)  # text, run or None, text, run or None, ..., text
    if len(pieces) == 1:
        return block
    runs = [b"\\\\\\\\" if run is None else b"\\" + run for run in pieces[1::2]]  # \\\\ decodes to \\
    text = _RUNS_JOINT.join(runs).decode("unicode_escape")
    if "\n" in text or "\r" in text:  # str.translate would take a third of the time
        text = text.replace("\n", " ").replace("\r", " ")
    pieces[1::2] = text.encode("utf-8", "surrogatepass").split(_RUNS_JOINT_UTF8)
    return b"".join(pieces)


def _reference_bytes(reference: re.Match) -> bytes:
    """Return the UTF-8 of the character a reference stands for (``_referenced``)."""
    character = _referenced(reference.group().decode("ascii"))
    return reference.group() if character is None else character.encode("utf-8")


def _referenced(reference: str) -> str | None:
    """Return the character a character reference stands for, a line break read as a space; None
    for a number that is no character (a surrogate, past U+10FFFF).

    >>> _referenced("&#23385;"), _referenced("&#x5b59;"), _referenced("&quot;"), _referenced("&#55357;")
    ('孙', '孙', '"', None)
    """
    body = reference[1:-1]
    if not body.startswith("#"):
        return _NAMED[body]
    code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code).translate(_LINE_BREAKS)


def _percent_bytes(run: re.Match) -> bytes:
    """Return the UTF-8 of what a run of percent-encoded bytes stands for (``_percent_text``)."""
    decoded = _percent_text(run.group().decode("ascii"))
    return run.group() if decoded is None else decoded[0].encode("utf-8", "surrogatepass")


def _percent_text(run: str) -> tuple[str, str] | None:
    """Return the text a run of percent-encoded bytes stands for, its line breaks read as spaces,
    and its encoding: UTF-8, else GB18030 (an older Chinese server's); None for neither."""
    data = bytes.fromhex(run.replace("%", ""))
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding).translate(_LINE_BREAKS), encoding
        except UnicodeDecodeError:
            continue
    return None


def unescape(text: str, messages: bool = False) -> tuple[str, list[int], list[int]]:
    """Return ``text`` with each ``\\uXXXX`` escape replaced by its character, then each colour
    code removed (a container's JSON log escapes a code's ESC as ``\\u001b``), then each run of
    percent-encoded bytes decoded (UTF-8, else GB18030, else left as it is), then each character
    reference decoded, then each CDATA section's markers removed, then each run of base64 that
    encodes JSON or XML decoded (``_base64_characters``), then, where ``messages`` says the
    text holds ISO 8583 messages, their card fields spaced (``iso8583.spaced``), and where each
    character of the result starts and ends in ``text``.

    >>> unescape('a\\\\u5ba2b')
    ('a客b', [0, 1, 7], [1, 7, 8])
    >>> unescape('\\\\\\\\u5ba2')[0]  # an escaped backslash, then the letters u5ba2
    '\\\\\\\\u5ba2'
    >>> unescape('id \\x1b[1;33m42\\x1b[0m.')
    ('id 42.', [0, 1, 2, 10, 11, 16], [1, 2, 3, 11, 12, 17])
    >>> unescape('id \\\\u001b[33m42')
    ('id 42', [0, 1, 2, 13, 14], [1, 2, 3, 14, 15])
    >>> unescape('n=%E5%BC%A0%3D1')
    ('n=张=1', [0, 1, 2, 11, 14], [1, 2, 11, 14, 15])
    >>> unescape('<xm>&#23385;&amp;</xm>')[0]
    '<xm>孙&</xm>'
    >>> unescape('<x><![CDATA[孙]]></x>')
    ('<x>孙</x>', [0, 1, 2, 12, 16, 17, 18, 19], [1, 2, 3, 13, 17, 18, 19, 20])
    """
    starts: Sequence[int] | None = None
    ends: Sequence[int] = ()
    for present, pattern, replaced in _PASSES + ((_MESSAGE_PASS,) if messages else ()):
        if not present(text):
            continue
        text, new_starts, new_ends = _rewritten(text, pattern, replaced)
        if starts is None:
            starts, ends = new_starts, new_ends
        else:  # where the last pass's characters were, in the text as stored
            starts, ends = placed_in((starts, ends), new_starts, new_ends)
    if starts is None:
        return text, _places(len(text), range(len(text))), _places(len(text), range(1, len(text) + 1))
    return text, starts, ends


def unescaped_texts(texts: list[str]) -> list[str]:
    """Return each of ``texts`` as ``unescape`` reads it, without where its characters were:
    those free of base64 and line breaks decoded together, in one ``unescaped_block`` pass. A
    table's column of JSON bodies with escapes spent more on its values' places than on the
    screen, where only the values the screen hits need them (``bench/README.md``).

    >>> unescaped_texts(["\\u5f20\\u4e09", "a%20b\\nc", "eyJ4Ijoi5byg5LiJIn0"])
    ['张三', 'a b\\nc', '{"x":"张三"}']
    """
    alone = {index for index, text in enumerate(texts) if "\n" in text or _has_base64(text)}
    together = [text for index, text in enumerate(texts) if index not in alone]
    decoded = iter(unescaped_block("\n".join(together).encode("utf-8", "surrogatepass"))
                   .decode("utf-8", "surrogatepass").split("\n"))
    return [unescape(text)[0] if index in alone else next(decoded) for index, text in enumerate(texts)]


def placed_in(origin: tuple[Sequence[int], Sequence[int]], starts: Sequence[int], ends: Sequence[int]
              ) -> tuple[Sequence[int], Sequence[int]]:
    """Return where the characters of a text rewritten from another are in the text as stored:
    ``starts`` and ``ends`` place them in the other (as ``unescape`` places its result), and
    ``origin`` places the other's characters in the text as stored.

    >>> placed_in(([0, 1, 7], [1, 7, 8]), [0, 2], [1, 3])  # a rewriting of 'a客b' that keeps 'ab'
    ([0, 7], [1, 8])
    """
    first_starts, first_ends = origin
    if len(starts) > LONG_TEXT:  # a number at a time: a list of them would be the peak
        return (array(PLACES, map(first_starts.__getitem__, starts)),
                array(PLACES, map(first_ends.__getitem__, map((-1).__add__, ends))))
    return [first_starts[i] for i in starts], [first_ends[i - 1] for i in ends]


def _json_characters(run: re.Match) -> Rewritten | None:
    """Return the characters a run of \\uXXXX escapes stands for (a line break read as a space),
    each over its six characters; None (left as it is) for an escaped backslash."""
    start, end = run.span()
    if run.group() == "\\\\":
        return None
    text = run.group().encode("ascii").decode("unicode_escape").translate(_LINE_BREAKS)
    return text, range(start, end, 6), range(start + 6, end + 1, 6)


def _reference_character(reference: re.Match) -> Rewritten | None:
    character = _referenced(reference.group())
    return None if character is None else (character, [reference.start()], [reference.end()])


def _cdata_characters(section: re.Match) -> Rewritten:
    """Return a CDATA section's text, each character where it stands: its markers removed."""
    start, end = section.span(1)
    return section.group(1), list(range(start, end)), list(range(start + 1, end + 1))


def _percent_characters(run: re.Match) -> Rewritten | None:
    """Return the characters a run of percent-encoded bytes stands for, each placed over its
    bytes' escapes; None (the run left as it is) when it is neither UTF-8 nor GB18030."""
    decoded = _percent_text(run.group())
    if decoded is None:
        return None
    text, encoding = decoded
    starts, ends, start = [], [], run.start()
    for character in text:
        starts.append(start)
        start += 3 * len(character.encode(encoding))
        ends.append(start)
    return text, starts, ends


def _over_bytes(decoded: str, encoding: str, start: int, size: int) -> tuple[Sequence[int], Sequence[int]]:
    """Return where each character of text a base64 run of ``size`` characters at ``start``
    encodes begins and ends in it: over the base64 characters that encode its bytes."""
    if decoded.isascii():  # JSON's keys and numbers: a byte a character
        ends_in_bytes: Iterable[int] = range(1, len(decoded) + 1)
    else:
        ends_in_bytes = itertools.accumulate(len(character.encode(encoding)) for character in decoded)
    ends_in_bytes = _places(len(decoded), ends_in_bytes)
    if len(decoded) > LONG_TEXT:  # a number at a time: a list of them would be the peak
        firsts = _places(len(decoded), [start])
        firsts.extend(start + byte * 4 // 3 for byte in ends_in_bytes[:-1])
        lasts = _places(len(decoded), (start + (byte * 4 + 2) // 3 for byte in ends_in_bytes))
    else:
        firsts = [start + byte * 4 // 3 for byte in [0, *ends_in_bytes[:-1]]]
        lasts = [start + (byte * 4 + 2) // 3 for byte in ends_in_bytes]
    lasts[-1] = min(lasts[-1], start + size)  # a run cut short: its last bytes' characters missing
    return firsts, lasts


def _base64_characters(run: re.Match) -> Rewritten | None:
    """Return the characters a base64 run encodes, each placed over the base64 characters that
    encode its bytes (four for three), its own escapes decoded (``unescape``); None (the run left
    as it is) when it encodes no text. Computed a list at a time: character by character, a
    gateway log with a JWT on every line was read at 4 MB/s."""
    found = _base64_text(run.group())
    if found is None:
        return None
    decoded, encoding = found
    start, size = run.start(), len(run.group().rstrip("="))
    if run.group().startswith("H4sI"):  # inflated: no character has bytes of its own in the run
        firsts, lasts = _places(len(decoded), [start]) * len(decoded), _places(len(decoded), [start + size]) * len(decoded)
    else:
        firsts, lasts = _over_bytes(decoded, encoding, start, size)
    if not has_escapes(decoded):
        return decoded, firsts, lasts
    text, starts, ends = unescape(decoded)
    return text, *placed_in((firsts, lasts), starts, ends)


def _card_field_characters(run: re.Match) -> Rewritten | None:
    """Return a run of hex digits with its ISO 8583 card fields spaced (``iso8583.spaced``),
    each character where it stands; None (the run left as it is) when it holds none."""
    return iso8583.spaced(run.group(), run.start())


# Each pass: when it applies, what it matches, and what a match becomes (None: left as it is).
_PASSES: tuple[tuple[Callable[[str], bool], re.Pattern, Callable[[re.Match], Rewritten | None]], ...] = (
    (lambda text: "\\u" in text, _JSON_ESCAPES, _json_characters),
    (lambda text: "\x1b" in text, _TERMINAL_CODE, lambda match: ("", [], [])),
    (lambda text: "%" in text, _PERCENT_RUN, _percent_characters),
    (lambda text: "&" in text, _REFERENCE, _reference_character),
    (lambda text: "<![CDATA[" in text, _CDATA, _cdata_characters),
    (_has_base64, _BASE64_RUN, _base64_characters),
)
_MESSAGE_PASS = (lambda text: True, iso8583.RUN, _card_field_characters)


def _rewritten(text: str, pattern: re.Pattern, replaced: Callable[[re.Match], Rewritten | None]
               ) -> tuple[str, list[int], list[int]]:
    """Return ``text`` with each match of ``pattern`` replaced by the text ``replaced(match)``
    gives, placed as it says ("" to remove it, None to keep it as it is), and where each
    character of the result starts and ends in ``text``."""
    pieces: list[str] = []
    starts, ends = _places(len(text)), _places(len(text))
    done = 0
    for match in pattern.finditer(text):
        replacement = replaced(match)
        if replacement is None:
            continue
        start = match.start()
        pieces.append(text[done:start])
        starts.extend(range(done, start))
        ends.extend(range(done + 1, start + 1))
        replacement_text, replacement_starts, replacement_ends = replacement
        pieces.append(replacement_text)
        starts.extend(replacement_starts)
        ends.extend(replacement_ends)
        done = match.end()
    pieces.append(text[done:])
    starts.extend(range(done, len(text)))
    ends.extend(range(done + 1, len(text) + 1))
    return "".join(pieces), starts, ends
