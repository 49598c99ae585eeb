"""A card's expiry date (卡片有效期) after a key that names a card's.

JR/T 0171-2020 lists a card's expiry date with its track data and verification number as C3
information a non-issuer must not keep (FORMATS.md §6.1): with the number and the CVN2 it makes
a card-not-present payment. A date says nothing alone, so a value is reported only right after a
key that names a card's expiry (``expDate=2812``, ``"cardExpiry":"12/28"``, ``卡有效期：2812``,
``信用卡有效期 12/28``), or in a cell under a column or header so named (``card_exp_date``,
``yxq``, 卡片有效期).

The value is four digits (MMYY or YYMM, as card systems write it, one of the two a month 01-12)
or ``MM/YY``, ``MM/YYYY``; a four-digit year (2028) and a date with a day (2028-12-31, an ID
card's 有效期限) are not a card's expiry. 有效期 alone names a token's, an SMS code's or an ID
card's period as often as a card's, so it counts only with 卡 or 信用卡 before it.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk
from recognizers.context import column_tokens, field_key_regex, name_ends_with
from recognizers.presidio_light import Pattern

ENTITY = "CARD_EXPIRY"
EXAMPLES = {
    "valid": ["2812", "1228", "12/28", "03/2029"],
    # A month 13 either way, a year, a date with a day, a slash month 00.
    "invalid": ["1313", "2028", "2028-12-31", "00/28"],
}

# yxq (有效期) as a key or a column's last word: a token's or an ID card's period is a number of
# seconds or a date with its day (7200, 20401231), which is_valid refuses.
KEY_WORDS = ("expdate", "expirydate", "expirationdate", "cardexpiry", "cardexp", "cardexpdate", "validthru",
             "cardvaliddate", "yxq", "kyxq", "xykyxq")
CN_WORDS = ("卡有效期", "卡片有效期", "信用卡有效期", "银行卡有效期")
# Keys that end as a card's expiry's but name a token's, a certificate's or a session's.
_NOT_CARD = r"(?<![A-Za-z0-9_])(?!(?i:token|cert|id_?card|pwd|password|session|cookie|licen|contract|coupon|sms|otp))"
_CN_KEY = r"(?:" + "|".join(CN_WORDS) + r")(?:至)?[ \t]*(?:[:=]|为|是)?[ \t]*[\"']?"
_VALUE = r"(\d{4}|\d{2}/(?:\d{2}|\d{4}))(?![0-9A-Za-z/\-.])"
_SLASHED = re.compile(r"(\d{2})/(\d{2}|\d{4})")


def is_valid(value: str) -> bool:
    """Tell whether a value reads as a card's expiry: MM/YY or MM/YYYY with a month 01-12, or
    four digits one of whose halves is a month, that are no year 19xx or 20xx.

    >>> [is_valid(v) for v in ("2812", "1228", "12/28", "03/2029")]
    [True, True, True, True]
    >>> [is_valid(v) for v in ("1313", "2028", "00/28", "1999")]
    [False, False, False, False]
    """
    slashed = _SLASHED.fullmatch(value)
    if slashed:
        return "01" <= slashed.group(1) <= "12"
    if len(value) != 4 or not value.isdigit() or value[:2] in ("19", "20"):
        return False
    return "01" <= value[:2] <= "12" or "01" <= value[2:] <= "12"


def names_an_expiry(name: str) -> bool:
    """Tell whether a column's name or header names a card's expiry: it ends with one of its
    words (``card_exp_date``, ``VALID_THRU``, 信用卡有效期, ``kyxq``).

    >>> [names_an_expiry(n) for n in ("card_exp_date", "VALID_THRU", "信用卡有效期", "yxq")]
    [True, True, True, True]
    >>> [names_an_expiry(n) for n in ("证件有效期", "token_exp_date", "expire_time")]
    [False, False, False]
    """
    _, joined = column_tokens(name)
    return name_ends_with(name, CN_WORDS, KEY_WORDS) and not joined.startswith(("token", "cert", "id", "pwd"))


class CardExpiryRecognizer(ChineseRecognizer):
    """A card's expiry date after a key that names it (C3)."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("card_expiry", _NOT_CARD + field_key_regex(KEY_WORDS, ending=True) + _VALUE, 0.6),
        Pattern("card_expiry_cn", _CN_KEY + _VALUE, 0.6),
        # A cell's whole value, reported under a column that names it (_decide_verdict).
        Pattern("card_expiry_cell", r"\A" + _VALUE + r"\Z", 0.2),
    )
    CONTEXT = CN_WORDS
    COLUMN_HINTS = KEY_WORDS
    RISK = Risk("C3", True)  # JR/T 0171-2020: 银行卡有效期, kept with the number it makes a payment

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a value that reads as a card's expiry (``is_valid``)."""
        return is_valid(pattern_text)

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        """+1 when a column's name or header names a card's expiry (``names_an_expiry``)."""
        return 1 if any(word and names_an_expiry(word) for word in context) else 0

    def normalize(self, value: str) -> str:
        """Return the value as written: MMYY and YYMM cannot be told apart."""
        return value

    def mask(self, value: str) -> str:
        """Return stars in the value's shape: **/** or ****."""
        return re.sub(r"\d", "*", value)
