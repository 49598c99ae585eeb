"""Vehicle licence plates (GA 36-2018): ordinary 7-character and new-energy 8-character plates.

Rules: FORMATS.md §5.8. Province abbreviation + issuing-authority letter (no I/O) + serial,
optionally written with a ``·`` or ``-`` after the letter (京A·12345). A plate has no check
digit, so it is reported only with context (车牌, a column such as cph or hphm).
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk
from recognizers.presidio_light import Pattern

ENTITY = "CN_LICENSE_PLATE"
EXAMPLES = {
    "valid": ["京A12345", "粤BD12345", "沪A12345F", "苏E1234学", "京A·12345", "湘H-53374", "粤B1234挂"],
    "invalid": ["京I12345", "京A1234O", "京AABCDE", "京A1234", "京A123456"],
}

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"
_ENERGY = "DABCEFGHJK"
_SERIAL = (f"[{_ENERGY}][{_LETTER}0-9]\\d{{4}}|\\d{{5}}[{_ENERGY}]"
           f"|[{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳]")
_PLATE = f"[{PROVINCES}][{_LETTER}][·\\- ]?(?:{_SERIAL})"
_PLATE_RE = re.compile(f"[{PROVINCES}][{_LETTER}](?:{_SERIAL})")


def compact(plate: str) -> str:
    """Drop the separator after the authority letter.

    >>> compact("京A·12345")
    '京A12345'
    """
    return plate.replace("·", "").replace("-", "").replace(" ", "")


def is_valid(plate: str) -> bool:
    """Tell whether a plate has a province, an authority letter and a plausible serial.

    An ordinary serial holds at most two letters, so ``京AABCDE`` (a word) is not a plate.

    >>> is_valid("京A12345"), is_valid("粤BD12345"), is_valid("京I12345"), is_valid("京AABCDE")
    (True, True, False, False)
    """
    plate = compact(plate)
    if _PLATE_RE.fullmatch(plate) is None:
        return False
    serial = plate[2:]
    letters = sum("A" <= c <= "Z" for c in serial)
    return len(serial) == 6 or letters <= 2


class CnLicensePlateRecognizer(ChineseRecognizer):
    """Vehicle licence plates (机动车号牌), reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_license_plate", "(" + _PLATE + ")(?![0-9A-Za-z])", 0.4),
    )
    MASKED_PATTERNS = (
        Pattern("cn_license_plate_masked",
                f"([{PROVINCES}][{_LETTER}][·\\- ]?[0-9A-Z]{{0,2}}\\*{{2,5}}[0-9A-Z]{{0,3}})(?![0-9A-Za-z*])",
                0.4),
    )
    CONTEXT = ("车牌", "号牌", "牌照", "车辆", "plate")
    # Every plate, masked or not, begins with its province and authority letter: they wake the
    # recognizer, not its keywords (``plate`` stands in template).
    SCREENS = ("(?:" + "|".join(PROVINCES) + f")[{_LETTER}]",)
    NEEDLES_HOLD_ALL = True
    WHOLE_KEYS = True  # its column hints are context as whole keys only (ContextWords)
    COLUMN_HINTS = ("cph", "hphm", "cphm", "chepai", "plate", "plateno", "carno", "licenseplate", "vehicleno")
    RISK = Risk("C1", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a plausible plate."""
        return is_valid(pattern_text)

    def is_valid_masked(self, value: str) -> bool:
        """Return True when the masked plate has a plate's length."""
        return 7 <= len(compact(value)) <= 8

    def normalize(self, value: str) -> str:
        """Return the plate without separators."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the province, the letter and the last two characters: 京A***45."""
        plate = compact(value)
        return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]
