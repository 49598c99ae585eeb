"""Resident identity card numbers (公民身份号码, GB 11643-1999), including HK/Macau/Taiwan
residence permits (810000/820000/830000) and the legacy 15-digit form.

Rules: FORMATS.md §1. An 18-digit number must pass the area table, the birth date
(1880-01-01 to today) and the ISO 7064 MOD 11-2 check character; a 15-digit number has no
check character, so it is reported only with context.
"""

from __future__ import annotations

import datetime
import re

from stdnum.iso7064 import mod_11_2

from recognizers.base import Risk, mask_middle, not_after
from recognizers.birth_dates import BirthDateRecognizer, is_birth_date
from recognizers.presidio_light import Pattern
from recognizers.regions import is_known_area

ENTITY = "CN_RESIDENT_ID"
EXAMPLES = {
    "valid": ["11010519491231002X", "440524188001010014", "360426199101010071",
              "810000199408230021", "830000199201300022", "11010519491231002x",
              "110105 19491231 002X", "440524-18800101-0014"],
    "invalid": ["110105194912310021", "11010519900230001X", "110105209901010012",
                "911156199001010010", "202401011234567890", "110105 19491231 0021",
                "110105-19491231 002X"],
}

_BOUNDARY_AFTER = r"(?![0-9A-Za-z])"
_PROVINCE = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_18_REST = r"\d{4}(?:18|19|20)\d{2}" + _MONTH_DAY + r"\d{3}[0-9Xx]"  # after the province
_ID_15_REST = r"\d{4}\d{2}" + _MONTH_DAY + r"\d{3}"
# Grouped as forms and apps show it: 110105 19491231 002X, one separator throughout.
_ID_GROUPED_REST = (r"\d{4}(?P<sep>[ \-])(?:18|19|20)\d{2}" + _MONTH_DAY
                    + r"(?P=sep)\d{3}[0-9Xx](?![0-9A-Za-z\-])")
_ID_18 = _PROVINCE + _ID_18_REST
_ID_15 = _PROVINCE + _ID_15_REST
# No letter or digit before the number, checked after its two province digits (base.not_after).
_STARTS_ALONE = _PROVINCE + not_after("0-9A-Za-z", 2)


def compact(number: str) -> str:
    """Drop the spaces or dashes of a grouped number and upper-case the check character.

    >>> compact("11010519491231002x"), compact("110105-19491231-002X")
    ('11010519491231002X', '11010519491231002X')
    """
    return number.replace(" ", "").replace("-", "").upper()


def birth_date(number: str) -> datetime.date | None:
    """Return the birth date a number carries, or None when it is not a calendar date."""
    digits = _birth_digits(compact(number))
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def to_18(number: str) -> str:
    """Upgrade a 15-digit number to 18 digits: insert the century 19 and compute the check.

    >>> to_18("110105491231002")
    '11010519491231002X'
    """
    number = compact(number)
    if len(number) != 15:
        return number
    body = number[:6] + "19" + number[6:]
    return body + mod_11_2.calc_check_digit(body)


def is_valid(number: str, today: datetime.date | None = None) -> bool:
    """Tell whether an 18- or 15-digit number has a known area, a real past birth date and,
    for 18 digits, the right MOD 11-2 check character.

    >>> is_valid("11010519491231002X"), is_valid("110105491231002")
    (True, True)
    >>> is_valid("110105194912310021"), is_valid("110105209901010012"), is_valid("911156199001010010")
    (False, False, False)
    """
    number = compact(number)
    if len(number) not in (15, 18) or not number[:17].isdigit() or not number.isascii():
        return False
    # The area first: it is a set lookup that rejects most look-alike numbers (order numbers,
    # serials) before the date and the check are computed.
    if not is_known_area(number[:6]):
        return False
    if len(number) == 18 and not _check_character_ok(number):
        return False
    return _born_before(number, today)


def lost_its_last_digits(number: str, today: datetime.date | None = None) -> bool:
    """Tell whether 18 digits are an ID number that a spreadsheet kept as a number: Excel keeps 15
    significant digits, so 110105194912310025 typed into a cell reads 110105194912310000. The
    area and the birth date are still there, and beside a name they still identify a person.

    >>> lost_its_last_digits("110105194912310000"), lost_its_last_digits("110105194912310025")
    (True, False)
    """
    number = compact(number)
    return (len(number) == 18 and number.endswith("000") and number.isdigit() and number.isascii()
            and is_known_area(number[:6]) and _born_before(number, today))


def _born_before(number: str, today: datetime.date | None) -> bool:
    """Tell whether a number's birth date is a real day from 1880 to ``today``."""
    return is_birth_date(_birth_digits(compact(number)), today)


def _birth_digits(number: str) -> str:
    """Return the birth date, YYYYMMDD, of a compact 18- or 15-digit number (the latter born 19YY)."""
    return number[6:14] if len(number) == 18 else "19" + number[6:12]


# ISO 7064 MOD 11-2 wants sum(digit_i * 2**(17 - i)) % 11 over the first 17 digits. Read in base
# 13, the same digits make sum(digit_i * 13**(16 - i)), and 13 leaves 2 modulo 11: twice that
# number leaves the weighted sum's remainder. One int() in C, 0.3 us a check, where the weighted
# sum of 17 int() calls took 1.8 (measured) and stdnum's mod_11_2.is_valid longer still.
_CHECK_VALUES = {str(d): d for d in range(10)} | {"X": 10}


def _check_character_ok(number: str) -> bool:
    """Tell whether 17 ASCII digits and a check character pass ISO 7064 MOD 11-2 (``is_valid``
    has checked the digits: ``int`` would also take "_", spaces and other scripts' digits)."""
    check = _CHECK_VALUES.get(number[17])
    if check is None:
        return False
    return (2 * int(number[:17], 13) + check) % 11 == 1


def age_on(number: str, day: datetime.date) -> int | None:
    """Return the holder's age in completed years on ``day``.

    >>> age_on("11010519491231002X", datetime.date(2025, 6, 1))
    75
    """
    born = birth_date(number)
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


_PROVINCES = frozenset({"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
                        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
                        "63", "64", "65", "71", "81", "82", "83"})
# A masked ID's 18 characters, as the masked pattern below takes them.
_MASKED_ID_RE = re.compile(r"[1-8]\d{0,5}\*{4,16}\d{0,4}[0-9Xx*]", re.ASCII)


def _may_start_id(leading: str) -> bool:
    """Tell whether the digits a masked ID shows first may start an ID number."""
    if len(leading) >= 6:
        return is_known_area(leading[:6])
    return len(leading) < 2 or leading[:2] in _PROVINCES


def is_masked_id(value: str) -> bool:
    """Tell whether a value is a masked ID number as this module's recognizer counts one.

    >>> is_masked_id("110105********002X"), is_masked_id("310066********2345")
    (True, False)
    """
    return (len(value) == 18 and _MASKED_ID_RE.fullmatch(value) is not None
            and _may_start_id(value.split("*", 1)[0]))


class CnResidentIdRecognizer(BirthDateRecognizer):
    """Resident ID numbers (居民身份证号码) and HK/Macau/Taiwan residence permits."""

    ENTITY = ENTITY
    PATTERNS = (
        # Also grouped as forms and apps show it, area, birth date and the rest (110105 19491231
        # 002X): one regex, not two, as each is a pass over every line the screen picks for this
        # recognizer; as a pattern of its own it cost 2.1% of a log scan's instructions (measured).
        Pattern("cn_resident_id_18", "(" + _STARTS_ALONE + "(?:" + _ID_18_REST + _BOUNDARY_AFTER + "|"
                + not_after("\\-", 2) + _ID_GROUPED_REST + "))", 0.9),
        # The legacy 15-digit form has no check character: context is required (score below 0.5).
        Pattern("cn_resident_id_15", "(" + _STARTS_ALONE + _ID_15_REST + ")" + _BOUNDARY_AFTER, 0.3),
    )
    MASKED_PATTERNS = (
        # 18 characters of digits and stars, at least four stars in a row: 110105********002X.
        # The body ends where the 18 characters do: 1****1234567890123 is no masked ID, and
        # its first ten characters were reported as one.
        Pattern("cn_resident_id_masked",
                r"([1-8]" + not_after("0-9A-Za-z*") + r"(?=[0-9*]{16}[0-9Xx*](?![0-9A-Za-z*]))"
                r"\d{0,5}\*{4,16}\d{0,4}[0-9Xx*])(?![0-9A-Za-z*])", 0.6),
    )
    CONTEXT = ("身份证", "公民身份号码", "证件号", "居民身份", "二代证", "户籍", "居住证", "身份号码",
               "id card", "idcard", "id_no", "cert_no")
    COLUMN_HINTS = ("sfzh", "sfzhm", "sfz", "gmsfhm", "zjhm", "zjh", "zjbh", "idcard", "idno",
                    "idcardno", "certno", "certid", "custcertno", "identity", "identityno",
                    "idnumber", "idnum", "certnum", "certificateno", "certificatenum", "credentialno")
    NEGATIVE_CONTEXT = ("订单", "流水", "交易号", "单号", "序列号", "批次", "order", "serial", "trace")
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "jylsh", "orderno", "orderid", "serialno", "traceno")
    # 18 digits hold 15; a grouped number is its groups. A masked ID's 18 characters are at most
    # 6 digits, stars, at most 4 digits and one more, so it holds a digit and 7 stars:
    # 138****5678 wakes nobody here.
    NEEDLES = ("000000000000000", "0*******", "000000-00000000-000")
    RUN_LENGTHS = (15, 18)  # digit boundaries on both sides: a value is a whole run
    RUN_PATTERN = _ID_18 + "|" + _ID_15
    RISK = Risk("C2", True)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a number with a known area, a real birth date and a right check, or
        one whose last digits a spreadsheet lost (``lost_its_last_digits``)."""
        today = self.today()
        return is_valid(pattern_text, today) or lost_its_last_digits(pattern_text, today)

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Ask for context when a number's last digits are lost: with no check left to pass,
        110105194912310000 is an ID only where a keyword or a column says so."""
        if value.endswith("000") and len(value) == 18 and not _check_character_ok(value):
            return 0.3
        return pattern.score

    def is_valid_masked(self, value: str) -> bool:
        """Return True when the visible leading digits could start an ID number."""
        return _may_start_id(value.split("*", 1)[0])

    def normalize(self, value: str) -> str:
        """Return the 18-digit, upper-case form (a 15-digit number is upgraded)."""
        return to_18(value)

    def mask(self, value: str) -> str:
        """Keep the area code and the last four: the birth date reveals age (FORMATS.md §1.10)."""
        return mask_middle(compact(value), 6, 4)

    def add_metadata(self, value: str, metadata: dict) -> None:
        """Flag a minor's number: under 14 on the scan date."""
        if len(value) > 18:  # grouped
            value = compact(value)
        self.flag_minor(_birth_digits(value), metadata)
