"""Travel permits between the mainland and Hong Kong/Macau, both directions.

Rules: FORMATS.md §5.2-5.3. 港澳居民来往内地通行证 (回乡证): ``H``/``M`` + 8-digit lifetime number
+ optional 2-digit renewal count. 往来港澳通行证 (mainland residents): ``C`` + 8 digits, or ``C`` +
letter (not I/O) + 7 digits. No check digit: reported only with context.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle
from recognizers.presidio_light import Pattern

ENTITY = "CN_HK_MACAU_PERMIT"
EXAMPLES = {
    "valid": ["H1234567800", "M12345678", "H12345678", "C12345678", "CA0000001", "H12345678 01"],
    "invalid": ["H1234567", "C1234567", "CI0000001", "X12345678", "H123456789"],
}

_NUMBER = r"[HM]\d{8}(?: ?\d{2})?|C\d{8}|C[A-HJ-NP-Z]\d{7}"
_NUMBER_RE = re.compile(f"(?:{_NUMBER})", re.ASCII)


def compact(number: str) -> str:
    """Drop spaces and upper-case.

    >>> compact("h12345678 01")
    'H1234567801'
    """
    return number.replace(" ", "").upper()


def is_valid(number: str) -> bool:
    """Tell whether a number has the shape of either permit.

    >>> is_valid("H1234567800"), is_valid("CA0000001"), is_valid("CO0000001")
    (True, True, False)
    """
    return _NUMBER_RE.fullmatch(compact(number)) is not None


def lifetime_number(number: str) -> str:
    """Return the part that stays the same across renewals (drops a 回乡证 renewal count).

    >>> lifetime_number("H1234567801")
    'H12345678'
    """
    number = compact(number)
    return number[:9] if number[0] in "HM" else number


class CnHkMacauPermitRecognizer(ChineseRecognizer):
    """港澳居民来往内地通行证 and 往来港澳通行证 numbers, reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_hk_macau_permit", r"(?<![0-9A-Za-z])(" + _NUMBER + r")(?![0-9A-Za-z])", 0.4),
    )
    MASKED_PATTERNS = (
        Pattern("cn_hk_macau_permit_masked",
                r"(?<![0-9A-Za-z*])([HMC][A-HJ-NP-Z]?\d{0,4}\*{3,8}\d{0,4})(?![0-9A-Za-z*])", 0.4),
    )
    CONTEXT = ("通行证", "回乡证", "港澳居民来往内地", "往来港澳", "港澳通行证", "来往内地通行证")
    COLUMN_HINTS = ("txzh", "hxzh", "gatxz", "gatxzh", "txz", "permit", "permitno", "hkmopermit")
    NEGATIVE_CONTEXT = ("错误码", "错误", "型号", "编码", "error", "code", "part", "model")
    NEGATIVE_COLUMN_HINTS = ("errcode", "errorcode", "code", "xh", "model")
    RISK = Risk("C2", True)  # an identity document: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a permit-shaped number."""
        return is_valid(pattern_text)

    def is_valid_masked(self, value: str) -> bool:
        """Return True when letters, digits and stars add up to a permit's length."""
        return 9 <= len(value) <= 11

    def normalize(self, value: str) -> str:
        """Return the lifetime number, so renewals of one person's permit are one value."""
        return lifetime_number(value)

    def mask(self, value: str) -> str:
        """Keep the letters and the last four characters: H*****5678 style."""
        number = compact(value)
        letters = 2 if number[1].isalpha() else 1
        return mask_middle(number, letters, 4)
