"""Foreign Permanent Resident ID Cards (外国人永久居留身份证), the 2023 and the 2017 numbers.

Rules: FORMATS.md §5.6. The 2023 number (issued from 2023-12-01) is 18 characters: ``9``, the
accepting province's two digits, the holder's nationality as an ISO 3166-1 numeric code, the
birth date YYYYMMDD, a 3-digit order code and a check character computed as a resident ID's
(ISO 7064 MOD 11-2); it is reported without context. The 2017 number is 15 characters: the
nationality as an ISO 3166-1 alpha-3 code, the accepting city's four digits, the birth date
YYMMDD, one order digit and a check digit whose rule no official text we read gives (a third
party computes ICAO 9303's 7-3-1), so, like any number without a known check (FORMATS.md §0),
it is reported with context only: a keyword, a field's key or a column that names the card or
an identity document's number. A holder under 14 on the scan date is flagged a minor, as for a
resident ID; a 2017 number's YYMMDD is read as 20YY unless that day is still to come (a holder
born in the 1910s or 1920s would be 97 or older).

Why not the third party's check, to report a 2017 number bare: the screen would then need every
run of three capitals and twelve digits, and that search alone cost 22.7 million instructions
for 5 MB of the bench logs, 2.8% of a whole scan (its keywords cost 0.7 million; measured with
callgrind, 2026-11-28).
"""

from __future__ import annotations

import datetime

from iso3166 import countries_by_alpha3, countries_by_numeric
from stdnum.iso7064 import mod_11_2

from recognizers.base import Risk, mask_middle, not_after
from recognizers.birth_dates import BirthDateRecognizer, is_birth_date
from recognizers.presidio_light import Pattern
from recognizers.regions import PROVINCE_PREFIXES, county_codes

ENTITY = "CN_FOREIGN_PERMANENT_RESIDENT_ID"
EXAMPLES = {
    "valid": ["911840198001010128", "944826199512310048", "USA110079060141", "GBR310085120354",
              "JPN440379121599"],
    # A wrong check; Hong Kong's 81, country 999 and a future birth date with a right check;
    # no country XXX, no city 9900, no 31 February (79-02-31).
    "invalid": ["911840198001010120", "981840198001010120", "911999198001010124",
                "911840209901010124", "XXX110079060141", "USA990079060141", "USA110079023141"],
}

# Province-level codes of the mainland: the offices that accept applications (not 71 or 81-83).
_MAINLAND = frozenset(p for p in PROVINCE_PREFIXES if p < "70")
_NUMBER_2023 = r"9\d{16}[0-9Xx]"


def compact(number: str) -> str:
    """Drop spaces and upper-case the check character.

    >>> compact("9118401980010101 2x")
    '91184019800101012X'
    """
    return number.replace(" ", "").upper()


def _city_prefixes() -> frozenset[str]:
    """Return the first four digits of every GB/T 2260 area code: the cities of the 2017 number."""
    return frozenset(code[:4] for code in county_codes())


_CITIES = _city_prefixes()


def is_valid_2023(number: str, today: datetime.date | None = None) -> bool:
    """Tell whether an 18-character number has a mainland province, a country, a past birth date
    and the right MOD 11-2 check character.

    >>> is_valid_2023("911840198001010128"), is_valid_2023("911840198001010120")
    (True, False)
    """
    number = compact(number)
    return (len(number) == 18 and number[0] == "9" and number[:17].isdigit() and number.isascii()
            and number[1:3] in _MAINLAND and number[3:6] in countries_by_numeric
            and is_birth_date(number[6:14], today) and mod_11_2.is_valid(number))


def is_valid_2017(number: str, today: datetime.date | None = None) -> bool:
    """Tell whether a 15-character number has a country, a city and a birth date that is a date
    (its check digit's rule is not known: see the module's docstring).

    >>> is_valid_2017("USA110079060141"), is_valid_2017("USA110079060149"), is_valid_2017("USA990079060141")
    (True, True, False)
    """
    number = compact(number)
    if len(number) != 15 or not number[3:].isdigit() or not number.isascii():
        return False
    if number[:3] not in countries_by_alpha3 or number[3:7] not in _CITIES:
        return False
    return _birth_digits_2017(number, today) is not None


def _birth_digits_2017(number: str, today: datetime.date | None) -> str | None:
    """Return a compact 2017 number's birth date as YYYYMMDD, or None when YYMMDD is no past day
    in either century (the card does not say which: the later one that has come is taken)."""
    for century in ("20", "19"):
        if is_birth_date(century + number[7:13], today):
            return century + number[7:13]
    return None


def is_valid(number: str, today: datetime.date | None = None) -> bool:
    """Tell whether a number is a 2023 or a 2017 card's number.

    >>> is_valid("911840198001010128"), is_valid("USA110079060141"), is_valid("11010519491231002X")
    (True, True, False)
    """
    return is_valid_2023(number, today) if len(compact(number)) == 18 else is_valid_2017(number, today)


class CnForeignPermanentResidentIdRecognizer(BirthDateRecognizer):
    """外国人永久居留身份证 numbers: the 2023 form always, the 2017 form with context."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_foreign_pr_id_2023", r"(9" + not_after("0-9A-Za-z") + r"\d{16}[0-9Xx])(?![0-9A-Za-z])", 0.9),
        # The boundary before a number is checked after its first letter (base.not_after).
        Pattern("cn_foreign_pr_id_2017", r"([A-Z]" + not_after("0-9A-Za-z") + r"[A-Z]{2}\d{12})(?![0-9A-Za-z])", 0.3),
    )
    # An identity document's number (证件号码, zjhm, certNo) is context too: a bank's customer
    # table keeps every kind of document in one column, with its kind (zjlx) beside it.
    CONTEXT = ("永久居留", "永居证", "外国人居留", "绿卡", "居留身份证", "证件号", "permanent resident")
    COLUMN_HINTS = ("yjjl", "yjjlz", "yjjlsfz", "wgryjjl", "prcard", "prno", "greencard",
                    "zjhm", "zjh", "zjbh", "certno", "custcertno")
    NEGATIVE_CONTEXT = ("订单", "流水", "单号", "批次", "order", "serial", "trace", "batch")
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "orderno", "serialno", "batchno")
    NEEDLES = ("000000000000000",)  # a 2023 number holds 17 digits in a row
    RUN_LENGTHS = (18,)  # the 2023 number: boundaries on both sides, a whole run
    RUN_PATTERN = _NUMBER_2023
    RISK = Risk("C2", True)  # an identity document: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a 2023 or a 2017 number with a valid structure."""
        return is_valid(pattern_text, self.today())

    def normalize(self, value: str) -> str:
        """Return the upper-case number."""
        return compact(value)

    def add_metadata(self, value: str, metadata: dict) -> None:
        """Flag a minor's number: under 14 on the scan date."""
        number = compact(value)
        born = number[6:14] if len(number) == 18 else _birth_digits_2017(number, self.today())
        if born:
            self.flag_minor(born, metadata)

    def mask(self, value: str) -> str:
        """Keep the country and the office, and the order and check characters; hide the birth date."""
        number = compact(value)
        return mask_middle(number, 6, 4) if len(number) == 18 else mask_middle(number, 7, 2)
