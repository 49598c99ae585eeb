"""Chinese context: does a column name or header name an entity, and keyword regexes for text windows.

Presidio's lemma-based context enhancer finds no tokens in Chinese text, so the recognizers
decide context themselves: keywords near a match (``keyword_regex``) and the column name or
header of a table (``hint_matches``), pinyin abbreviations such as ``sfzh`` included.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_TOKEN_SPLIT_RE = re.compile(r"[^0-9a-z]+")


def column_tokens(name: str) -> tuple[list[str], str]:
    """Split a column name into lower-case tokens, and return them with their concatenation.

    >>> column_tokens("CUST_SFZH")
    (['cust', 'sfzh'], 'custsfzh')
    >>> column_tokens("mobilePhone")
    (['mobile', 'phone'], 'mobilephone')
    """
    lowered = _CAMEL_RE.sub("_", name).lower()
    tokens = [t for t in _TOKEN_SPLIT_RE.split(lowered) if t]
    return tokens, "".join(tokens)


def hint_matches(name: str, hints: Iterable[str], keywords: Iterable[str]) -> bool:
    """Tell whether a column name or header names this kind of data.

    A header matches when it contains a keyword (``客户身份证号`` contains ``身份证``); a column
    name matches when one of its tokens is a hint (``cust_sfzh``), or, for hints of four or more
    letters, when its letters start or end with one (``khsjhm`` ends with ``sjhm``).

    >>> hint_matches("KH_SJHM", ["sjhm"], ["手机"])
    True
    >>> hint_matches("订单金额", ["sjhm"], ["手机"])
    False
    """
    lowered = name.lower()
    if any(k.lower() in lowered for k in keywords):
        return True
    tokens, joined = column_tokens(name)
    for hint in hints:
        if hint in tokens or hint == joined:
            return True
        if len(hint) >= 4 and (joined.startswith(hint) or joined.endswith(hint)):
            return True
    return False


def keyword_regex(words: Iterable[str], keys: Iterable[str] = ()) -> Optional[re.Pattern]:
    """Return one case-insensitive regex for a list of keywords, longest first, and of fields
    named by ``keys`` (``field_key_regex``); None for none."""
    words = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    alternatives = [re.escape(w) for w in words] + ([field_key_regex(keys)] if keys else [])
    if not alternatives:
        return None
    # IGNORECASE rather than lower(): lower() can change a string's length and so its offsets.
    return re.compile("|".join(alternatives), re.IGNORECASE)


# What parts a field's key from its value in a log line: custName=, "custName":", <custName>.
# Atomic: the spaces it takes are not given back to a pattern's own spaces after it, which made
# a key followed by 16,000 spaces take 43 s to fail (each split of them tried; measured).
_KEY_END = r"""(?>["']?[ \t]*[:=][ \t]*["']?|>)"""
# Hyperscan has no atomic group; a screen may match more, so the value's side is left out.
_KEY_END_SCREEN = r"""(?:["']?[ \t]*[:=]|>)"""


def field_key_regex(keys: Iterable[str]) -> str:
    """Return the regex of a field's key in a line of text, with what parts it from its value:
    one of ``keys`` whole, in any case, an underscore allowed between its letters, as a log
    line names a field as a table names a column (``custName=``, ``"lxdh":"``, ``<khxm>``).

    >>> pattern = re.compile(field_key_regex(["custname", "xm"]), re.ASCII)
    >>> [bool(pattern.search(t)) for t in ('{"custName":"', "CUST_NAME=", "<xm>", "xml=", "custName ok")]
    [True, True, True, False, False]
    """
    return r"(?<![A-Za-z0-9_])(?i:" + _spelled(keys) + ")" + _KEY_END


def field_key_screen(keys: Iterable[str]) -> str:
    """Return ``field_key_regex`` in Hyperscan's syntax (no lookbehind: it matches more, which a
    screen may), matched case-insensitively."""
    return "(?:" + _spelled(keys) + ")" + _KEY_END_SCREEN


def _spelled(keys: Iterable[str]) -> str:
    """Return an alternation of ``keys``, longest first, an underscore allowed between letters."""
    return "|".join("_?".join(map(re.escape, key)) for key in sorted(set(keys), key=len, reverse=True))
