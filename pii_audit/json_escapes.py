"""JSON's ``\\uXXXX`` escapes in text: what a JSON-lines log written with Python's default
``json.dumps`` (``ensure_ascii=True``) holds in place of every Chinese character.

Escaped, ``客户身份证号`` is ``\\u5ba2\\u6237\\u8eab\\u4efd\\u8bc1\\u53f7``: no Chinese keyword, name
or address is left for the recognizers to see, so a 15-digit ID number (found only beside its
keyword) or a customer's address would go unreported. The detector reads such a line with its
escapes replaced, and maps what it finds back to offsets in the line as stored.
"""

from __future__ import annotations

import re

# A backslash escape: \uXXXX, or any other (\\, \", \n...) which stays as it is. Matching the
# others too keeps an escaped backslash followed by "u1234" from being read as an escape.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def has_escapes(text: str) -> bool:
    """Tell whether a text may hold a ``\\uXXXX`` escape (a cheap test before ``unescape``).

    >>> has_escapes('{"msg": "\\\\u5ba2"}'), has_escapes("客户"), has_escapes("D:\\\\logs\\\\app.log")
    (True, False, False)
    """
    # A backslash is found by memchr, 10x faster than the two characters over Chinese text (2.4
    # against 23 ms for 20 MB, measured), and most text holds none.
    return "\\" in text and "\\u" in text


def unescape(text: str) -> tuple[str, list[int]]:
    """Return ``text`` with each ``\\uXXXX`` escape replaced by its character, and the offset in
    ``text`` of each character of the result (plus one entry for its end).

    >>> unescape('a\\\\u5ba2b')
    ('a客b', [0, 1, 7, 8])
    >>> unescape('\\\\\\\\u5ba2')[0]  # an escaped backslash, then the letters u5ba2
    '\\\\\\\\u5ba2'
    """
    pieces: list[str] = []
    origin: list[int] = []
    done = 0
    for match in _ESCAPE.finditer(text):
        code = match.group(1)
        if code is None:
            continue
        start = match.start()
        pieces += [text[done:start], chr(int(code, 16))]
        origin += range(done, start)
        origin.append(start)
        done = match.end()
    pieces.append(text[done:])
    origin += range(done, len(text) + 1)
    return "".join(pieces), origin
