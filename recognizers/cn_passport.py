"""PRC passports: ordinary, public-affairs, service and diplomatic, and HK/Macau SAR passports.

Rules: FORMATS.md §5.1. The printed number has no check digit and ``E12345678`` is also the
shape of many error and part codes, so a passport number is reported only with context. The
pre-2000 ``14``/``15`` + 7 digit form is left out: those passports have all expired, and a
bare nine-digit number is far more often something else.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle
from recognizers.presidio_light import Pattern

ENTITY = "CN_PASSPORT"
EXAMPLES = {
    "valid": ["E12345678", "EA1234567", "G12345678", "DE1234567", "K12345678", "MA1234567",
              "SE1234567", "P1234567"],
    "invalid": ["E1234567", "EI1234567", "E123456789", "X12345678", "AE12345678", "E1234567A"],
}

_NUMBER = (r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|(?:DE|SE|PE)\d{7}|[DSP]\d{7,8}|K\d{8}|MA\d{7}")
_NUMBER_RE = re.compile(f"(?:{_NUMBER})", re.ASCII)


def compact(number: str) -> str:
    """Drop spaces and upper-case.

    >>> compact("e 1234 5678")
    'E12345678'
    """
    return number.replace(" ", "").upper()


def is_valid(number: str) -> bool:
    """Tell whether a number has the shape of a PRC or HK/Macau SAR passport number.

    >>> is_valid("E12345678"), is_valid("EA1234567"), is_valid("EO1234567"), is_valid("E1234567")
    (True, True, False, False)
    """
    return _NUMBER_RE.fullmatch(compact(number)) is not None


class CnPassportRecognizer(ChineseRecognizer):
    """Passport numbers (护照号码), reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_passport", r"(?<![0-9A-Za-z])(" + _NUMBER + r")(?![0-9A-Za-z])", 0.4),
    )
    MASKED_PATTERNS = (
        Pattern("cn_passport_masked",
                r"(?<![0-9A-Za-z*])((?:E[A-HJ-NP-Z]?|G|DE|SE|PE|[DSPK]|MA)\d{0,4}\*{3,8}\d{0,4})"
                r"(?![0-9A-Za-z*])", 0.4),
    )
    CONTEXT = ("护照", "passport", "因私护照", "公务护照", "外交护照")
    COLUMN_HINTS = ("hzh", "hzhm", "hzbh", "hz", "passport", "passportno", "passportnum")
    NEGATIVE_CONTEXT = ("错误码", "错误", "异常", "型号", "料号", "编码", "error", "err", "code", "part",
                        "model")
    NEGATIVE_COLUMN_HINTS = ("cwm", "errcode", "errorcode", "code", "xh", "model")
    RISK = Risk("C2", True)  # an identity document: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a passport-shaped number."""
        return is_valid(pattern_text)

    def is_valid_masked(self, value: str) -> bool:
        """Return True when letters, digits and stars add up to a passport's length."""
        return 8 <= len(value) <= 9

    def normalize(self, value: str) -> str:
        """Return the upper-case number without spaces."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the letters and the last four digits: E****5678."""
        number = compact(value)
        letters = len(number) - len(number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        return mask_middle(number, letters, 4)
