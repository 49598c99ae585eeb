"""Taiwan-related permits: 台湾居民来往大陆通行证 (台胞证) and 往来台湾通行证.

Rules: FORMATS.md §5.4. Since 2008 a 台胞证 number is a bare 8-digit lifetime number, so it is
found only after a keyword (台胞证号：12345678) or a field's key that a column hint names
(mtpNo=12345678), or as a whole cell in a column that names it;
the pre-2008 form adds a 2-digit issue count and an office letter, ``1234567801(B)``.
往来台湾通行证 is ``L`` + 8 digits [M, unverified]. Nothing here has a check digit: context is
required for every form.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle
from recognizers.context import field_key_alternatives
from recognizers.presidio_light import Pattern

ENTITY = "CN_TAIWAN_PERMIT"
EXAMPLES = {
    "valid": ["12345678", "1234567801(B)", "L12345678"],
    "invalid": ["1234567", "123456789", "L1234567", "1234567801(b)"],
}

COLUMN_HINTS = ("tbzh", "tbz", "twtxz", "twtxzh", "tbzhm", "mtp", "mtpno", "mtpnumber", "twpermit", "twpermitno",
                "taiwanpermit", "taiwanpermitno")
# A keyword, or a field's key in a log line that a column hint names (mtpNo=, "tbzh":").
_KEYWORDS = (r"(?:台胞证|台湾居民来往大陆通行证|来往大陆通行证|往来台湾通行证|台湾通行证|赴台证|"
             + "|".join(field_key_alternatives(COLUMN_HINTS)) + ")")
_NUMBER = r"\d{8}(?:\d{2}\([A-Z]\))?"
_NUMBER_RE = re.compile(f"(?:{_NUMBER}|L\\d{{8}})", re.ASCII)


def compact(number: str) -> str:
    """Drop spaces and full-width brackets.

    >>> compact("1234567801（B）")
    '1234567801(B)'
    """
    return number.replace(" ", "").replace("（", "(").replace("）", ")")


def is_valid(number: str) -> bool:
    """Tell whether a number has the shape of a 台胞证 or 往来台湾通行证 number.

    >>> is_valid("12345678"), is_valid("1234567801(B)"), is_valid("L12345678"), is_valid("1234567")
    (True, True, True, False)
    """
    return _NUMBER_RE.fullmatch(compact(number)) is not None


class CnTaiwanPermitRecognizer(ChineseRecognizer):
    """台胞证 and 往来台湾通行证 numbers, reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        # A bare 8-digit number is found only right after a keyword...
        Pattern("cn_taiwan_permit_keyword",
                _KEYWORDS + r"(?:号码|号)?[:：=\s]*(" + _NUMBER + r")(?![0-9A-Za-z])", 0.4),
        # ...or as a whole cell, which a column name (tbzh) must then support.
        Pattern("cn_taiwan_permit_cell", r"^\s*(" + _NUMBER + r")\s*$", 0.3),
        Pattern("cn_taiwan_permit_old", r"(?<![0-9A-Za-z])(\d{10}\([A-Z]\))", 0.4),
        Pattern("cn_taiwan_permit_l", r"(?<![0-9A-Za-z])(L\d{8})(?![0-9A-Za-z])", 0.4),
    )
    CONTEXT = ("台胞证", "台湾居民来往大陆通行证", "往来台湾通行证", "台湾通行证", "赴台", "mtp")
    COLUMN_HINTS = COLUMN_HINTS
    NEGATIVE_CONTEXT = ("订单", "流水", "单号", "金额", "order", "serial", "amount")
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "je", "orderno", "amount")
    RISK = Risk("C2", True)  # an identity document: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a permit-shaped number."""
        return is_valid(pattern_text)

    def normalize(self, value: str) -> str:
        """Return the 8-digit lifetime number (drops a pre-2008 issue count and office)."""
        number = compact(value)
        return number[:8] if number[0].isdigit() else number

    def mask(self, value: str) -> str:
        """Keep the first and the last two characters of the lifetime number: 1*****78."""
        return mask_middle(self.normalize(value), 1, 2)
