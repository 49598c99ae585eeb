"""Taiwan ID card numbers (台湾居民身份证, 國民身分證), with context only.

Rules: FORMATS.md §5.13 [M], the check verified against public examples (tests/test_tw_id_card.py):
a letter for the place of first registration, 1 or 2 (the holder's sex), seven digits and a check
digit. The letter stands for two digits (A=10 .. H=17, J=18 .. N=22, P=23 .. V=29, X=30, Y=31,
W=32, Z=33, I=34, O=35); the eleven digits weighted 1, 9, 8 .. 2, 1, 1 sum to a multiple of 10.
python-stdnum has no module for it (``stdnum.tw`` holds only ``ubn``, the business number).

Why context, though the number has a check: one random digit in ten passes it, and one letter and
nine digits is the shape of many order, batch and part codes (FORMATS.md §0: without a strong
check, context); reported bare, a fifth of such codes starting ``[A-Z][12]`` would be reported.

Left out: the residence certificates' numbers of the same shape with 8 or 9 as the second digit
(since 2021) and with two letters (before). They are foreigners' certificates (居留證), named by
other words; 台胞证 numbers belong to ``cn_taiwan_permit``.

Already masked (``A12345****``, ``A1*******9``, ``A123****89``: the letter, digits and at least
two stars, ten characters), a number is counted as masked under the same rule, context. One
star is not masking: the check gives the digit back.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle, not_after
from recognizers.presidio_light import Pattern

ENTITY = "TW_ID_CARD"
EXAMPLES = {
    "valid": ["A123456789", "M115187864", "Z256783650", "F131104093"],
    # A wrong check, sex digit 3, eight digits, two letters, no letter.
    "invalid": ["A123456788", "A323456789", "A12345678", "AB23456789", "1123456789"],
}

_SHAPE_RE = re.compile(r"[A-Z][12]\d{8}", re.ASCII)
_MASKED_RE = re.compile(r"[A-Z][12*](?=[0-9*]{8}$)\d{0,7}\*{1,8}\d{0,7}", re.ASCII)
# The letters in the order of the two digits they stand for, from 10.
_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
_WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)


def compact(number: str) -> str:
    """Drop spaces and upper-case.

    >>> compact("a 123456789")
    'A123456789'
    """
    return number.replace(" ", "").upper()


def is_valid(number: str) -> bool:
    """Tell whether a number has the card's shape and a weighted sum divisible by 10.

    >>> is_valid("A123456789"), is_valid("A123456788"), is_valid("A323456789")
    (True, False, False)
    """
    number = compact(number)
    if _SHAPE_RE.fullmatch(number) is None:
        return False
    code = _LETTERS.index(number[0]) + 10
    digits = [code // 10, code % 10] + [int(c) for c in number[1:]]
    return sum(d * w for d, w in zip(digits, _WEIGHTS)) % 10 == 0


def is_masked(value: str) -> bool:
    """Tell whether a value is a masked number: a letter, then the sex digit or a star and eight
    digits and stars, with at least two stars.

    >>> is_masked("A12345****"), is_masked("A1*******9"), is_masked("A12345678*"), is_masked("A32345****")
    (True, True, False, False)
    """
    value = compact(value)
    return _MASKED_RE.fullmatch(value) is not None and value.count("*") >= 2


class TwIdCardRecognizer(ChineseRecognizer):
    """Taiwan ID card numbers, reported with context only (the module's docstring says why)."""

    ENTITY = ENTITY
    PATTERNS = (
        # The boundary before a number is checked after its letter (base.not_after).
        Pattern("tw_id_card", r"([A-Z]" + not_after("0-9A-Za-z") + r"[12]\d{8})(?![0-9A-Za-z])", 0.4),
    )
    MASKED_PATTERNS = (
        Pattern("tw_id_card_masked", r"([A-Z]" + not_after("0-9A-Za-z*") + r"[12*][0-9*]{8})(?![0-9A-Za-z*])", 0.4),
    )
    # Taiwan writes 身分證 (分); mainland text 台湾居民身份证.
    CONTEXT = ("台湾身份证", "台湾居民身份证", "台湾身分证", "臺灣身分證", "台灣身分證", "身分證", "身分证",
               "国民身份证", "國民身分證", "taiwan id")
    COLUMN_HINTS = ("twsfz", "twsfzh", "twsfzhm", "tbsfz", "twid", "twidno", "twidcard", "taiwanid", "taiwanidno")
    NEGATIVE_CONTEXT = ("订单", "流水", "单号", "批次", "编码", "型号", "order", "serial", "batch", "code", "sku")
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "pch", "orderno", "serialno", "batchno", "code", "sku")
    NEGATIVE_BEFORE_WINS = True  # 订单号 just before a number outweighs a keyword further back
    RISK = Risk("C2", True)  # an identity document: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a number whose weighted sum is right."""
        return is_valid(pattern_text)

    def is_valid_masked(self, value: str) -> bool:
        """Return True for a masked number (``is_masked``)."""
        return is_masked(value)

    def normalize(self, value: str) -> str:
        """Return the upper-case number."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the letter and the last three digits: A******789."""
        return mask_middle(compact(value), 1, 3)
