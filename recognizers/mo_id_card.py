"""Macau Resident Identity Card numbers (澳门居民身份证), with context only.

Rules: FORMATS.md §5.13 [M]: seven digits and one more in parentheses, ``1234567(8)``, often
written without them. The first digit says who issued the card: 1 the first cards, 5 the
Identification Services Bureau, 7 the Public Security Police (a third-party library,
identique/idnumbers, reads 0 and 8 as a trader's and an entity's numbers: no person's). No rule
for the last digit is public, so a number is reported only where a keyword, a field's key or a
column names the card: eight digits are everywhere.

Already masked (``1234***(*)``, ``12*****(8)``, ``1234****``), a number is counted as masked
under the same rule, context: the issuer's digit, digits and at least two stars, the last digit
or a star, in parentheses or not.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle
from recognizers.presidio_light import Pattern

ENTITY = "MO_ID_CARD"
EXAMPLES = {
    "valid": ["1234567(8)", "12345678", "5123456(7)", "7654321 (0)"],
    # Issued by nobody (2), too short, too long, a letter for the last digit.
    "invalid": ["2234567(8)", "123456(7)", "123456789", "1234567(A)"],
}

_NUMBER = r"[157]\d{6}(?: ?\(\d\)|\d)"
_NUMBER_RE = re.compile(r"[157]\d{7}", re.ASCII)
_MASKED = r"[157]\d{0,5}\*{2,6}\d{0,5}(?: ?\([0-9*]\)|[0-9*])"
_MASKED_RE = re.compile(r"[157](?=[0-9*]{7}$)\d{0,5}\*{2,6}\d{0,5}[0-9*]", re.ASCII)


def is_masked(value: str) -> bool:
    """Tell whether a value is a masked number: eight digits and stars, the first the issuer's,
    at least two stars among the seven before the last.

    >>> is_masked("1234***(*)"), is_masked("1234****"), is_masked("123456*(8)"), is_masked("2234***(*)")
    (True, True, False, False)
    """
    return _MASKED_RE.fullmatch(compact(value)) is not None


def compact(number: str) -> str:
    """Drop spaces and parentheses.

    >>> compact("1234567 (8)")
    '12345678'
    """
    return number.replace(" ", "").replace("(", "").replace(")", "")


def is_valid(number: str) -> bool:
    """Tell whether a number has the card's shape: 1, 5 or 7, then seven digits.

    >>> is_valid("1234567(8)"), is_valid("12345678"), is_valid("2234567(8)")
    (True, True, False)
    """
    return _NUMBER_RE.fullmatch(compact(number)) is not None


class MoIdCardRecognizer(ChineseRecognizer):
    """澳门居民身份证 numbers, reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("mo_id_card", r"(?<![0-9A-Za-z])(" + _NUMBER + r")(?![0-9A-Za-z])", 0.4),
    )
    MASKED_PATTERNS = (
        Pattern("mo_id_card_masked", r"(?<![0-9A-Za-z*])(" + _MASKED + r")(?![0-9A-Za-z*])", 0.4),
    )
    CONTEXT = ("澳门身份证", "澳门居民身份证", "澳门永久性居民身份证", "澳門居民身份證", "澳門身份證",
               "macau id", "macao id")
    COLUMN_HINTS = ("amsfz", "amsfzh", "amsfzhm", "moidno", "macauid", "macaoid", "macauidno")
    NEGATIVE_CONTEXT = ("订单", "流水", "单号", "金额", "order", "serial", "amount")
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "je", "orderno", "amount")
    NEGATIVE_BEFORE_WINS = True  # 订单号 just before a number outweighs a keyword further back
    RISK = Risk("C2", True)  # an identity document: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a number of the card's shape."""
        return is_valid(pattern_text)

    def is_valid_masked(self, value: str) -> bool:
        """Return True for a masked number (``is_masked``)."""
        return is_masked(value)

    def normalize(self, value: str) -> str:
        """Return the eight digits, without parentheses."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the issuer's digit and the last two: 1*****78."""
        return mask_middle(compact(value), 1, 2)
