"""Hong Kong Identity Card numbers (香港身份证): one or two letters, six digits and a check character.

Rules: FORMATS.md §5.13 [M], the check verified against public examples from four libraries
(tests/test_hk_id_card.py). Letters count A=10 .. Z=35, and a number with one letter is padded in
front with a space that counts 36; the eight positions are weighted 9 .. 2, and the check is
11 - sum % 11, written A for 10 and 0 for 11.

Printed as the card prints it, check in parentheses (``A123456(3)``), a number is reported without
context: the shape is the card's own. Written without them (``A1234563``) it is eight or nine
letters and digits, as part and order codes are, and a random one passes the check once in
eleven; a passport's ``EA1234567`` and a permit's ``CA1234567`` have that shape too. So that form
is reported with context only: a Hong Kong keyword, or a field's key or column that names the card.

Already masked, as banks print it (``A123***(*)``, ``A12****(3)``, ``A1234**(*)``: the letters,
some digits, stars, the check or a star in parentheses), a number is counted as masked under
the same rules: bare in parentheses, a shape no code or masked mobile number takes, and with
context without them (``A123****``). At least two of the six digits must be hidden: with one
hidden and the check shown, the check gives the digit back.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle, not_after
from recognizers.presidio_light import Pattern

ENTITY = "HK_ID_CARD"
EXAMPLES = {
    "valid": ["A123456(3)", "A1234563", "CA182361(1)", "Z437626A", "AB9876543", "G123456(A)", "A123456 (3)"],
    # A wrong check in either form, five digits, no letter, three letters (BC123456(3) is a
    # valid number, but glued to an A it is no card's).
    "invalid": ["A123456(4)", "A12345670", "A12345(3)", "1234567(8)", "ABC123456(3)", "TP1490253"],
}

_SHAPE_RE = re.compile(r"[A-Z]{1,2}\d{6}[0-9A]", re.ASCII)
# What a character counts: digits themselves, A=10 .. Z=35, the padding space 36.
_VALUES = {c: v for v, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ")}


def compact(number: str) -> str:
    """Drop spaces and parentheses and upper-case.

    >>> compact("a123456 (3)")
    'A1234563'
    """
    return number.replace(" ", "").replace("(", "").replace(")", "").upper()


def calc_check_digit(body: str) -> str:
    """Return the check character of the letters and six digits.

    >>> calc_check_digit("A123456"), calc_check_digit("G123456"), calc_check_digit("CA182361")
    ('3', 'A', '1')
    """
    total = sum(_VALUES[c] * weight for c, weight in zip(body.rjust(8), range(9, 1, -1)))
    return "0123456789A"[(11 - total % 11) % 11]


def is_valid(number: str) -> bool:
    """Tell whether a number has the card's shape and its right check character.

    >>> is_valid("A123456(3)"), is_valid("A1234563"), is_valid("A123456(4)"), is_valid("AB9876543")
    (True, True, False, True)
    """
    number = compact(number)
    return _SHAPE_RE.fullmatch(number) is not None and calc_check_digit(number[:-1]) == number[-1]


# The boundary before a number is checked after its first letter (base.not_after).
_BODY = r"[A-Z]" + not_after("0-9A-Za-z") + r"[A-Z]?\d{6}"
# A masked body: the letters, then digits and at least two stars (is_masked says six in all).
_MASKED_BODY = r"[A-Z]" + not_after("0-9A-Za-z*") + r"[A-Z]?\d{0,4}\*{2,6}\d{0,4}"
_MASKED_RE = re.compile(r"[A-Z]{1,2}(?=[0-9*]{7}$)\d{0,4}\*{2,6}\d{0,4}[0-9A*]", re.ASCII)


def is_masked(value: str) -> bool:
    """Tell whether a value is a masked number: one or two letters, six digits and stars with
    at least two stars among the digits, and the check or a star.

    >>> is_masked("A123***(*)"), is_masked("A12****(3)"), is_masked("A12345*(3)"), is_masked("A123**(*)")
    (True, True, False, False)
    """
    return _MASKED_RE.fullmatch(compact(value)) is not None


class HkIdCardRecognizer(ChineseRecognizer):
    """香港身份证 numbers: reported bare with the check in parentheses, with context without them."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("hk_id_card", "(" + _BODY + r" ?\([0-9A]\))", 0.6),
        Pattern("hk_id_card_plain", "(" + _BODY + r"[0-9A])(?![0-9A-Za-z])", 0.4),
    )
    MASKED_PATTERNS = (
        Pattern("hk_id_card_masked", "(" + _MASKED_BODY + r" ?\([0-9A*]\))", 0.6),
        Pattern("hk_id_card_masked_plain", "(" + _MASKED_BODY + r"[0-9A*])(?![0-9A-Za-z*(])", 0.4),
    )
    # 身份證 (traditional) too: Hong Kong and Macau write it so; a Macau number has no letter and
    # a Taiwan one ten characters, so neither takes this shape.
    CONTEXT = ("香港身份证", "香港居民身份证", "香港永久性居民身份证", "香港身份證", "身份證", "hong kong id")
    COLUMN_HINTS = ("xgsfz", "xgsfzh", "xgsfzhm", "hkid", "hkidno", "hkidcard", "hkic", "hkicno")
    NEGATIVE_CONTEXT = ("错误码", "错误", "型号", "料号", "编码", "订单", "单号", "error", "code", "part",
                        "model", "sku", "order")
    NEGATIVE_COLUMN_HINTS = ("errcode", "errorcode", "code", "xh", "model", "sku", "ddh", "orderno")
    # The parenthesized form, which scores without context: six digits, then "(", the check, ")".
    NEEDLES = ("000000(0)", "000000(a)", "000000-(0)", "000000-(a)")
    # The masked form in parentheses, which scores without context too (is_masked checks the rest).
    SCREENS = (r"[a-z][0-9]{0,4}\*{2,6}[0-9]{0,4} ?\([0-9a*]\)",)
    NEGATIVE_BEFORE_WINS = True  # 订单号 just before a number outweighs a keyword further back
    RISK = Risk("C2", True)  # an identity document: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a number whose check character is right."""
        return is_valid(pattern_text)

    def is_valid_masked(self, value: str) -> bool:
        """Return True for a masked number (``is_masked``)."""
        return is_masked(value)

    def normalize(self, value: str) -> str:
        """Return the letters, digits and check, without parentheses: A1234563."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the letters and the last digit and check: A*****63."""
        number = compact(value)
        letters = 2 if number[1].isalpha() else 1
        return mask_middle(number, letters, 2)
