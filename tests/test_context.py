"""A field key's regex (``recognizers.context.field_key_regex``, ``field_key_alternatives``)
written to begin with a letter, so that ``re`` skips ahead to where one is, matches exactly as
the form it replaced, which began with a lookbehind that ``re`` tried at every character."""

from __future__ import annotations

import random
import re

import pytest

from recognizers import auth_password, card_cvn, cn_address, person
from recognizers.context import _KEY_END, _spelled, field_key_alternatives, field_key_regex

VALUE = r"(\d{3,6}|[\u4e00-\u9fa5]{2,3})"  # what follows a key in a pattern, for backtracking into it


def lookbehind_first(keys, ending: bool = False) -> str:
    """Return the regex ``field_key_regex`` returned until session 26."""
    before = r"(?:[A-Za-z][A-Za-z0-9]{0,40}?_?)?" if ending else ""
    return r"(?<![A-Za-z0-9_])" + before + "(?i:" + _spelled(keys) + ")" + _KEY_END


def texts(keys, count: int, seed: int):
    """Yield random texts of keys (in any case, with underscores, glued to words), separators,
    values and Chinese."""
    rng = random.Random(seed)
    keys = sorted(set(keys))
    pieces = ["=", ":", '"', "'", " ", "\t", ">", "<", "_", "1", "a", "Z", "x", "123", "4567", "张三", "姓名",
              "用户名", "户名", "客户名单", "数据", ",", "{", "fileName", "ip", "mailing", "live_"]
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 10)):
            if rng.random() < 0.4:
                key = rng.choice(keys)
                key = "".join(c.upper() if rng.random() < 0.3 else c for c in key)
                if rng.random() < 0.3:
                    cut = rng.randint(1, len(key))
                    key = key[:cut] + "_" + key[cut:]
                parts.append(key)
            else:
                parts.append(rng.choice(pieces))
        yield "".join(parts)


def spans(pattern: re.Pattern, text: str) -> list:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


@pytest.mark.parametrize("keys, ending", [
    (person.COLUMN_HINTS, False), (cn_address.COLUMN_HINTS, False), (("addr", "address"), True),
    (auth_password.KEY_WORDS, True), (card_cvn.KEY_WORDS, True), (card_cvn.CIPHER_KEYS, True),
])
def test_a_field_key_matches_as_the_lookbehind_first_form(keys, ending):
    old = [re.compile(lookbehind_first(keys, ending) + tail, re.ASCII) for tail in ("", VALUE)]
    new = [re.compile(field_key_regex(keys, ending) + tail, re.ASCII) for tail in ("", VALUE)]
    joined = [re.compile("(?:" + "|".join(field_key_alternatives(keys, ending)) + ")" + tail, re.ASCII)
              for tail in ("", VALUE)]
    for text in texts(keys, 20_000, len(keys)):
        for before, after, spliced in zip(old, new, joined):
            assert spans(before, text) == spans(after, text) == spans(spliced, text), text


def test_persons_keyword_pattern_matches_as_before():
    """PERSON's keywords and keys, one alternation that now begins with a literal each (户名's
    lookbehind after its first character)."""
    keywords = "|".join(("(?<!用)" if word == "户名" else "") + word + ("(?!单)" if word.endswith("名") else "")
                        for word in person.KEYWORDS)
    tail = person._AFTER_KEYWORD + "(" + person._name_regex() + ")" + person._NAME_END
    old = re.compile("(?:" + keywords + "|" + lookbehind_first(person.COLUMN_HINTS) + "|" + person._PARTY_NAME
                     + ")" + tail, re.ASCII)
    new = re.compile(person._KEYWORD_RE + tail, re.ASCII)
    for text in texts(person.COLUMN_HINTS + person.KEYWORDS, 20_000, 7):
        assert spans(old, text) == spans(new, text), text


def test_a_key_must_begin_with_a_letter():
    with pytest.raises(ValueError):
        field_key_regex(["2fa"])
