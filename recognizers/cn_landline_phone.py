"""Mainland landline numbers: trunk 0, area code, 7-8 digit subscriber number, optional extension.

Rules: FORMATS.md §3.2. A landline has no check digit, so it is reported only with context
(a keyword such as 电话 or a column such as gddh). phonenumbers checks the area code and the
subscriber length, but rejects extensions, so they are cut off before it sees the number.
"""

from __future__ import annotations

import re

import phonenumbers

from recognizers.base import ChineseRecognizer, Risk, not_after
from recognizers.presidio_light import Pattern

ENTITY = "CN_LANDLINE_PHONE"
EXAMPLES = {
    "valid": ["010-62345678", "(0755)82345678", "0571-87654321转123", "021 5234 5678",
              "+86 10 6234 5678", "0755-82345678-8001", "02152345678"],
    "invalid": ["026-62345678", "0571-8765432", "400-810-8888", "800-810-8888", "95588",
                "0755-1234567"],
}

_AREA = r"(?:10|2\d|[3-9]\d{2})"
_SUBSCRIBER = r"[2-8]\d{2,3}[ \-]?\d{4}"
_EXTENSION = r"(?: ?(?:-|转|分机|[Ee][Xx][Tt]\.?|#) ?\d{1,6})"
_ALONE = not_after("0-9A-Za-z+")
_ALONE_MASKED = not_after("0-9A-Za-z*+")
_EXTENSION_RE = re.compile(r" ?(?:-|转|分机|[Ee][Xx][Tt]\.?|#) ?\d{1,6}$")
_PREFIX_RE = re.compile(r"^(?:\+|00)86")
_FIXED = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def split_extension(number: str) -> tuple[str, str]:
    """Split a printed number into the number and its extension (or "").

    >>> split_extension("0571-87654321转123")
    ('0571-87654321', '123')
    """
    match = _EXTENSION_RE.search(number)
    # "0755-8234-5678" must not lose "-5678": an extension leaves 7+ digits before it.
    if match is None or sum(c.isdigit() for c in number[:match.start()]) < 9:
        return number, ""
    return number[:match.start()], "".join(c for c in match.group() if c.isdigit())


def compact(number: str) -> str:
    """Return the national form with trunk 0 and no separators, prefix or extension.

    >>> compact("+86 10 6234 5678"), compact("(0755)82345678-8001")
    ('01062345678', '075582345678')
    """
    number = re.sub(r"[ \-()]", "", split_extension(number)[0])
    number = _PREFIX_RE.sub("", number)
    return number if number.startswith("0") else "0" + number


def is_valid(number: str) -> bool:
    """Tell whether a number is a fixed line with a real area code and subscriber length.

    >>> is_valid("010-62345678"), is_valid("026-62345678"), is_valid("0571-8765432")
    (True, False, False)
    """
    national = compact(number)
    if not 10 <= len(national) <= 12 or not national.isdigit() or not national.isascii():
        return False
    try:
        parsed = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _FIXED


def area_length(national: str) -> int:
    """Return the length of the trunk 0 plus area code: 3 for 010 and 02x, else 4.

    >>> area_length("01062345678"), area_length("075582345678")
    (3, 4)
    """
    return 3 if national[1] in "12" else 4


class CnLandlinePhoneRecognizer(ChineseRecognizer):
    """Mainland landline numbers (固定电话), reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        # +86 or 0086 and the area code, or the area code alone, in brackets or not, with no letter,
        # digit or + before: one alternative per first character, the boundary checked after it
        # (base.not_after), in the order the alternatives had when the boundary stood in front.
        Pattern("cn_landline_phone",
                r"((?:\+" + _ALONE + r"86[ \-]?\(?0?" + _AREA + r"\)?|0" + _ALONE + r"086[ \-]?\(?0?" + _AREA
                + r"\)?|\(" + _ALONE + "0" + _AREA + r"\)?|0" + _ALONE + _AREA + r"\)?)"
                r"[ \-]?" + _SUBSCRIBER + _EXTENSION + r"?)(?![0-9A-Za-z])", 0.4),
    )
    MASKED_PATTERNS = (
        Pattern("cn_landline_phone_masked",
                r"((?:\(" + _ALONE_MASKED + "0|0" + _ALONE_MASKED + ")" + _AREA
                + r"\)?[ \-]?\*{3,4}[ \-]?\d{4})(?![0-9A-Za-z*])", 0.4),
    )
    # "tel" as a field names it (Tel: 010-…, tel=, telNo), not anywhere: teller (柜员, tellerNo=
    # on a core system's every transaction line), intel and telnet hold it too, and woke this
    # recognizer on each such line (0.5 -> 6.0 µs a line of a teller's log, measured); "hotel "
    # and "hotel." still do. A field's whole key ("tel":"…", <tel>) is context as a column hint
    # (``text_context``).
    CONTEXT = ("电话", "座机", "固话", "联系方式", "传真", "办公电话", "单位电话", "住宅电话", "phone",
               "tel:", "tel=", "tel ", "tel.", "telno", "tel_no", "telnum", "telphone")
    COLUMN_HINTS = ("gddh", "zzdh", "dwdh", "lxdh", "dh", "bgdh", "cz", "tel", "telephone", "phone",
                    "phoneno", "landline", "fax")
    NEGATIVE_CONTEXT = ("订单", "流水", "单号", "金额", "余额", "序列号", "order", "serial", "amount")
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "jylsh", "je", "ye", "orderno", "serialno", "amount")
    RISK = Risk("C2", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a valid fixed-line number."""
        return is_valid(pattern_text)

    def normalize(self, value: str) -> str:
        """Return the national digits with trunk 0, without the extension."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the area code and the last four digits: 0755****5678."""
        national = compact(value)
        keep = area_length(national)
        return national[:keep] + "*" * (len(national) - keep - 4) + national[-4:]
