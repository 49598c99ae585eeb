"""Chinese context: does a column name or header name an entity, and keyword regexes for text windows.

Presidio's lemma-based context enhancer finds no tokens in Chinese text, so the recognizers
decide context themselves: keywords near a match (``keyword_regex``) and the column name or
header of a table (``hint_matches``), pinyin abbreviations such as ``sfzh`` included.
"""

from __future__ import annotations

import re
import string
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


def name_ends_with(name: str, words: tuple[str, ...], keys: tuple[str, ...]) -> bool:
    """Tell whether a column's name or header ends with one of ``words`` (交易密码 ends with 密码;
    any case) or its letters with one of ``keys`` (``login_pwd`` ends with pwd): for data a
    column's last word names, where ``hint_matches`` would take ``password_updated_at`` too.

    >>> name_ends_with("login_pwd", ("密码",), ("pwd",)), name_ends_with("交易密码：", ("密码",), ("pwd",))
    (True, True)
    >>> name_ends_with("pwd_err_count", ("密码",), ("pwd",)), name_ends_with("密码修改时间", ("密码",), ("pwd",))
    (False, False)
    """
    stripped = name.strip(" \t:：*()（）")
    if stripped.lower().endswith(tuple(word.lower() for word in words)):
        return True
    _, joined = column_tokens(stripped)
    return bool(joined) and joined.endswith(keys)


def _longest_first(word: str) -> tuple[int, str]:
    """Order words longest first, then alphabetically: a regex of them is the same in every
    process (a set's order changes with the hash seed), so the screen's compiled database can be
    kept on disk (``pii_audit.screen_cache``)."""
    return -len(word), word


def keyword_regex(words: Iterable[str]) -> Optional[re.Pattern]:
    """Return one case-insensitive regex for a list of keywords, longest first (None for none)."""
    words = sorted({w.lower() for w in words if w}, key=_longest_first)
    if not words:
        return None
    # IGNORECASE rather than lower(): lower() can change a string's length and so its offsets.
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


class ContextWords:
    """The keywords, in any case, and the fields' keys (``field_key_regex``) that give a value
    its context, found in a window of text around it.

    The window is lower-cased and searched by a case-sensitive regex: with the column hints
    added as words and keys, a case-insensitive one took 8.7 us a window where this takes 0.9
    (measured on log lines; the keywords alone had taken 1.6). Keys are looked for only where
    a window holds what ends one, its underscores dropped (cust_name is custname).

    >>> words = ContextWords(["身份证", "idcard"], ["zjhm", "certno"])
    >>> [words.near(t) for t in ("客户身份证", "IdCard", "CERT_NO=", '"zjhm": "', "zjhmx=", "certno ok")]
    [True, True, True, True, False, False]
    """

    def __init__(self, words: Iterable[str], keys: Iterable[str] = ()):
        words = sorted({w.lower() for w in words if w}, key=_longest_first)
        keys = sorted({k.lower().replace("_", "") for k in keys if k}, key=_longest_first)
        self._words = re.compile("|".join(map(re.escape, words))) if words else None
        self._keys = re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, keys)) + ")" + _KEY_END) if keys else None

    def near(self, window: str) -> bool:
        """Tell whether ``window`` holds a keyword or a field's key."""
        window = window.lower()
        if self._words is not None and self._words.search(window):
            return True
        if self._keys is None or not ("=" in window or ":" in window or ">" in window):
            return False
        return self._keys.search(window.replace("_", "")) is not None


# What parts a field's key from its value in a log line: custName=, "custName":", <custName>.
# Atomic: the spaces it takes are not given back to a pattern's own spaces after it, which made
# a key followed by 16,000 spaces take 43 s to fail (each split of them tried; measured).
_KEY_END = r"""(?>["']?[ \t]*[:=][ \t]*["']?|>)"""
# Hyperscan has no atomic group; a screen may match more, so the value's side is left out.
_KEY_END_SCREEN = r"""(?:["']?[ \t]*[:=]|>)"""


def field_key_regex(keys: Iterable[str], ending: bool = False) -> str:
    """Return the regex of a field's key in a line of text, with what parts it from its value:
    one of ``keys`` whole, in any case, an underscore allowed between its letters, as a log
    line names a field as a table names a column (``custName=``, ``"lxdh":"``, ``<khxm>``).
    With ``ending``, a key may also end with one of ``keys`` after words of its own
    (``residentialAddress=``, ``live_addr=``): for keys that name their value's kind last.

    >>> pattern = re.compile(field_key_regex(["custname", "xm"]), re.ASCII)
    >>> [bool(pattern.search(t)) for t in ('{"custName":"', "CUST_NAME=", "<xm>", "xml=", "custName ok")]
    [True, True, True, False, False]
    >>> pattern = re.compile(field_key_regex(["addr", "address"], ending=True), re.ASCII)
    >>> [bool(pattern.search(t)) for t in ("mailingAddress=", "LIVE_ADDR:", "<addr>", "addressee=", "ipaddr ok")]
    [True, True, True, False, False]
    """
    # Without ``ending``, an alternative for each key's first letter (``field_key_alternatives``),
    # matching as (?<![A-Za-z0-9_])(?i:keys) does: `re` skips ahead to where such a letter is,
    # where it tried that lookbehind at every character (tests/test_context.py holds both forms
    # to the same matches). With ``ending`` the words before may begin with any letter: written
    # so, the pattern doubled and took four times as long to compile (biometric_template's 4.8
    # -> 18.9 ms) for 1.5-2 times the speed on long text; left as it was.
    if not ending:
        return "(?:" + "|".join(field_key_alternatives(keys)) + ")"
    return r"(?<![A-Za-z0-9_])" + "(?:[A-Za-z]" + _BEFORE + ")?" + "(?i:" + _spelled(keys) + ")" + _KEY_END


def field_key_alternatives(keys: Iterable[str], ending: bool = False) -> list[str]:
    """Return ``field_key_regex`` as alternatives that each begin with one letter, to be joined
    into an alternation of keywords that all begin with a character of their own (person's
    姓名|…|custName=…): `re` then skips ahead to where one of those characters is, which it
    does for an alternation only when every alternative begins with a literal character.

    >>> pattern = re.compile("|".join(["姓名", *field_key_alternatives(["custname", "xm"])]), re.ASCII)
    >>> [bool(pattern.search(t)) for t in ('{"custName":"', "CUST_NAME=", "<xm>", "xml=", "custName ok", "姓名")]
    [True, True, True, False, False, True]
    """
    rests = _rests(keys)
    words = _BEFORE + "(?i:" + _spelled(keys) + ")"
    alternatives = []
    for letter in string.ascii_lowercase if ending else rests:
        after = ([words] if ending else []) + ([f"(?i:{rests[letter]})"] if letter in rests else [])
        for first in (letter, letter.upper()):
            alternatives.append(f"{first}(?<![A-Za-z0-9_]{first})(?:{'|'.join(after)})" + _KEY_END)
    return alternatives


# The words a key may end (``field_key_regex``'s ``ending``), after their first letter.
_BEFORE = r"[A-Za-z0-9]{0,40}?_?"


def _rests(keys: Iterable[str]) -> dict[str, str]:
    """Return ``{first letter: an alternation of the rest of each key it begins}``, longest first,
    an underscore allowed between letters (the first's too)."""
    rests: dict[str, list[str]] = {}
    for key in sorted(set(keys), key=_longest_first):
        if not key[:1].isascii() or not key[:1].isalpha():
            raise ValueError(f"a field key begins with a letter: {key!r}")
        rests.setdefault(key[0].lower(), []).append("".join("_?" + re.escape(char) for char in key[1:]))
    return {letter: "|".join(rest) for letter, rest in rests.items()}


# An XML opening tag, its name without its namespace (group 1).
_OPENING_TAG = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)(?:\s[^<>]*)?>", re.ASCII)
# How far back a key is looked for: the longest run of tags a message nests a value in.
_OWN_KEY_REACH = 60
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def own_key(text: str, start: int) -> tuple[str, str] | None:
    """Return the field key right before ``text[start:]`` and its name, or None when the value
    follows no such key (Chinese text, a keyword and a space): the key that names a value, where
    a keyword further back names another field (``<AcctNo>…</AcctNo><Seq>2024…``). A key is a run
    of XML opening tags (``<DbtrAcct><Id><Othr><Id>``, named by the last) or an ASCII key and what
    parts it from its value (``seq=``, ``"ddh":"``, ``amount: ``). Read backwards from the value:
    a regex searched over the text before it took 40 us a value (measured), this 1-2.

    >>> text = "<AcctNo>310066012345678</AcctNo><s:Seq>20240601123</s:Seq> acctNo=1, seq=2 收款账号 9"
    >>> [own_key(text, text.index(v)) for v in ("310066", "20240601123", "1,", "2 ", "9")]
    [('<AcctNo>', 'AcctNo'), ('<s:Seq>', 'Seq'), ('acctNo=', 'acctNo'), ('seq=', 'seq'), None]
    >>> own_key('{"jyje" : "138', 11), own_key("<a><b x='1'>138", 12), own_key("</a>138", 4)
    (('"jyje" : "', 'jyje'), ("<a><b x='1'>", 'b'), None)
    """
    if start == 0:
        return None
    if text[start - 1] == ">":
        return _opening_tags(text, start)
    at = start
    if text[at - 1] in "\"'":
        at -= 1
    while at > 0 and text[at - 1] in " \t":
        at -= 1
    if at == 0 or text[at - 1] not in ":=":
        return None
    at -= 1
    while at > 0 and text[at - 1] in " \t":
        at -= 1
    if at > 0 and text[at - 1] in "\"'":
        at -= 1
    name_end = at
    while at > 0 and text[at - 1] in _NAME_CHARS and name_end - at < _OWN_KEY_REACH:
        at -= 1
    while at < name_end and not (text[at].isalpha() or text[at] == "_"):
        at += 1  # a name starts with a letter: 2024-06-01T10:00:00 names nothing
    if at == name_end:
        return None
    if at > 0 and text[at - 1] in "\"'":
        at -= 1
    return text[at:start], text[at:name_end].strip("\"'")


def _opening_tags(text: str, start: int) -> tuple[str, str] | None:
    """Return the run of XML opening tags that ends at ``start`` and the last one's name."""
    first, name = start, None
    while first > 0 and text[first - 1] == ">" and start - first < _OWN_KEY_REACH:
        opening = text.rfind("<", max(0, start - _OWN_KEY_REACH), first - 1)
        tag = _OPENING_TAG.fullmatch(text, opening, first) if opening >= 0 else None
        if tag is None:
            break
        name = name or tag.group(1)
        first = opening
    return None if name is None else (text[first:start], name)


def field_key_screen(keys: Iterable[str], whole: bool = False) -> str:
    """Return ``field_key_regex`` in Hyperscan's syntax (no lookbehind: it matches more, which a
    screen may), matched case-insensitively. With ``whole``, for keys read whole (``ContextWords``,
    ``field_key_regex`` without ``ending``), no letter or digit before the key: ``name=`` is not
    woken by ``fileName=``."""
    return ("(?:^|[^A-Za-z0-9])" if whole else "") + "(?:" + _spelled(keys) + ")" + _KEY_END_SCREEN


def _spelled(keys: Iterable[str]) -> str:
    """Return an alternation of ``keys``, longest first, an underscore allowed between letters."""
    return "|".join("_?".join(map(re.escape, key)) for key in sorted(set(keys), key=_longest_first))
