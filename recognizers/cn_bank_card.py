"""Bank card numbers (PAN): 15-19 digits, Luhn, and an issuer range used by Chinese banks.

Rules: FORMATS.md §2. Luhn alone passes one random number in ten, so the prefix must be a
UnionPay range or a known domestic/co-branded BIN; legacy 9xxxx BINs need context.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

from stdnum import luhn

from recognizers.base import NO_DECIMALS_AFTER, NOT_A_FRACTION, ChineseRecognizer, Risk, mask_middle, not_after
from recognizers.cn_resident_id import is_valid as is_resident_id
from recognizers.presidio_light import Pattern
from recognizers.regions import is_known_area

ENTITY = "CN_BANK_CARD"
# The names of an ID number's field that hold "card".
ID_CARD_WORDS = ("idcard", "id card", "id_card", "id-card", "identitycard", "identity card", "identity_card")
EXAMPLES = {
    "valid": ["6200000000000005", "6200000000000047", "6205500000000000004", "6250946000000016",
              "6200 0000 0000 0005", "6200-0000-0000-0005"],
    "invalid": ["6222021234567890123", "0000000000000000", "4111111111111112"],
}

# UnionPay IIN ranges (braintree/credit-card-type, FORMATS.md §2.2) as (low, high) prefixes.
UNIONPAY_RANGES = (
    ("620", "620"), ("62100", "62182"), ("62184", "62197"), ("62200", "62205"),
    ("622010", "622999"), ("62207", "62209"), ("623", "626"), ("6270", "6270"), ("6272", "6272"),
    ("6276", "6276"), ("627700", "627779"), ("627781", "627799"), ("6282", "6289"),
    ("6291", "6292"), ("810", "810"), ("8110", "8171"),
)
# Domestic 60xxxx BINs and Visa/Mastercard/JCB/Amex co-brands of Chinese banks (FORMATS.md §2.2).
CHINESE_BANK_BINS = (
    "601382", "601427", "601428", "602907", "602969", "603265", "603367", "603601", "603708",
    "609120", "436742", "456351", "410062", "468203", "512425", "524011", "427020", "427030",
    "370247", "3568",
)
# Legacy domestic BINs whose Luhn compliance is unverified: reported only with context.
LEGACY_BINS = ("95555", "95588", "95595", "95596", "95597", "95598", "95599", "955100", "9111",
               "94003", "98", "99880", "84", "87")

def compact(number: str) -> str:
    """Drop spaces and dashes.

    >>> compact("6222 0212-3456")
    '622202123456'
    """
    return number.replace(" ", "").replace("-", "")


# Every issuer prefix above starts with one of these: a cheap first test for order numbers (2024…).
_ISSUER_FIRST_DIGITS = frozenset("3456789")


def _in_ranges(number: str, ranges) -> bool:
    for low, high in ranges:
        prefix = number[: len(low)]
        if low <= prefix <= high:
            return True
    return False


def issuer_kind(number: str) -> str | None:
    """Return "unionpay", "bin" or "legacy" for a prefix used by Chinese banks, else None.

    >>> issuer_kind("6222021234567890"), issuer_kind("4367421234567890"), issuer_kind("4111111111111111")
    ('unionpay', 'bin', None)
    """
    if number[:1] not in _ISSUER_FIRST_DIGITS:
        return None
    if len(number) >= 6:  # every prefix above has at most 6 digits: the first 6 decide
        return _issuer_of_bin(number[:6])
    return _issuer_of_bin(number)


@lru_cache(maxsize=4096)
def _issuer_of_bin(number: str) -> str | None:
    # Cached by the first 6 digits (the issuer's BIN, or an ID number's area code): the 16 ranges'
    # loop cost 2-4 us per card-shaped run, and a log's runs share few BINs.
    if _in_ranges(number, UNIONPAY_RANGES):
        return "unionpay"
    if number.startswith(CHINESE_BANK_BINS):
        return "bin"
    if number.startswith(LEGACY_BINS):
        return "legacy"
    return None


@lru_cache(maxsize=4096)
def may_start_issuer(digits: str) -> bool:
    """Tell whether the first digits a masked card shows may start a Chinese issuer's card: with
    six or more, they name one; with four or five, some issuer prefix starts with them or they
    with it (``6222`` may be ICBC's 622202, ``4405`` is no Chinese issuer's).

    >>> may_start_issuer("6222"), may_start_issuer("4367"), may_start_issuer("622202"), may_start_issuer("4405")
    (True, True, True, False)
    """
    if len(digits) >= 6:
        return issuer_kind(digits) is not None
    width = len(digits)
    for low, high in UNIONPAY_RANGES:
        if len(low) <= width and low <= digits[:len(low)] <= high:
            return True
        if len(low) > width and low[:width] <= digits <= high[:width]:
            return True
    return any(prefix.startswith(digits) or digits.startswith(prefix)
               for prefix in CHINESE_BANK_BINS + LEGACY_BINS)


def looks_like_resident_id(number: str) -> bool:
    """Tell whether 18 digits start with a known area code and a birth date, whatever the check.

    >>> looks_like_resident_id("110105194912310021"), looks_like_resident_id("622202123456789012")
    (True, False)
    """
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[6:8] in ("18", "19", "20") and is_known_area(number[:6])


# The Luhn sum of each digit in an even place from the right (doubled, its digits added up).
_DOUBLED = {str(d): 2 * d - 9 * (d > 4) for d in range(10)}
_DIGIT = {str(d): d for d in range(10)}


def luhn_ok(digits: str) -> bool:
    """Tell whether ASCII digits pass the Luhn check; stdnum's luhn.is_valid gives the same answers
    (tested) in 6.8 µs where these two table lookups take 1.4 µs (measured, 19 digits), and every
    card-shaped run in a log is checked.

    >>> luhn_ok("6200000000000005"), luhn_ok("6200000000000006")
    (True, False)
    """
    return (sum(map(_DIGIT.__getitem__, digits[::-2])) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


def is_valid(number: str) -> bool:
    """Tell whether a number has 15-19 digits, passes Luhn and has a Chinese issuer prefix.

    >>> is_valid("6200000000000005"), is_valid("0000000000000000"), is_valid("6222021234567890123")
    (True, False, False)
    """
    number = compact(number)
    if not 15 <= len(number) <= 19 or not number.isdigit() or not number.isascii():
        return False
    if len(number) == 15 and not number.startswith("370247"):
        return False  # 15 digits: only ICBC's Amex co-brand
    return issuer_kind(number) is not None and luhn_ok(number)


# Excel keeps 15 significant digits of a number: digits past the 15th read as zeros.
EXCEL_DIGITS = 15


def lost_its_last_digits(number: str) -> bool:
    """Tell whether 16-19 digits are a card number that a spreadsheet kept as a number.

    Typed into a cell, 6222021234567894 becomes 6.22202123456789E+15 and reads 6222021234567890:
    the 16th digit, Luhn's check digit, is lost, and computed back from the 15 that are left.
    A 19-digit card keeps 15 of its digits, more than any masked form shows.

    >>> lost_its_last_digits("6222021234567890"), lost_its_last_digits("6222021234567890000")
    (True, True)
    >>> lost_its_last_digits("6222021234567894"), lost_its_last_digits("4111111111111110")
    (False, False)
    """
    number = compact(number)
    return (16 <= len(number) <= 19 and not number[EXCEL_DIGITS:].strip("0") and number.isdigit()
            and number.isascii() and issuer_kind(number) in ("unionpay", "bin")
            and not luhn_ok(number) and not (len(number) == 18 and looks_like_resident_id(number)))


def is_masked_card(value: str) -> bool:
    """Tell whether a value the masked pattern matched is a masked card: digits and stars add up
    to a card's length, and the digits shown first may start a Chinese issuer's card, as a
    plaintext card's must (``may_start_issuer``). So ``4405 **** **** 0123`` and
    ``310066********2345``, a branch's first digits, are left to the bank account's masked form,
    which counts them where a keyword, key or column names an account; and 110105********002X,
    whose area code is no card prefix, to the resident ID's.

    >>> is_masked_card("6222 **** **** 1234"), is_masked_card("**** **** **** 1234"), is_masked_card("4405 **** **** 0123")
    (True, True, False)
    """
    number = compact(value)
    if not 15 <= len(number) <= 19:
        return False
    leading = number.split("*", 1)[0]
    return not leading or may_start_issuer(leading)


class CnBankCardRecognizer(ChineseRecognizer):
    """Bank card numbers (银行卡号) of UnionPay and Chinese issuers."""

    ENTITY = ENTITY
    PATTERNS = (
        # The boundary before a number is checked after its first character (base.not_after).
        # Not a number followed by = and a track's expiry and service code: card_track_data's.
        Pattern("cn_bank_card", r"(\d" + not_after("0-9A-Za-z") + NOT_A_FRACTION + r"\d{14,18})(?![0-9A-Za-z]|=\d{7})"
                + NO_DECIMALS_AFTER, 0.75),
        Pattern("cn_bank_card_grouped",
                r"(\d" + not_after("0-9A-Za-z\\-") + r"\d{3}([ \-])\d{4}\2\d{4}\2\d{4}(?:\2\d{1,3})?)"
                r"(?![0-9A-Za-z\-])", 0.75),
    )
    MASKED_PATTERNS = (
        # Stars first, but not after digits and a separator: in 110105-****-****-****-0123, a
        # masked account's, the stars and last digits are no card of their own.
        Pattern("cn_bank_card_masked",
                r"((?:[3-9]" + not_after("0-9A-Za-z*") + r"\d{3,5}|\*" + not_after("0-9A-Za-z*")
                + r"(?<![0-9][ \-]\*)\*{3})"
                r"(?:[ \-]?\*{2,}){1,4}[ \-]?\d{4})(?![0-9A-Za-z*])", 0.6),
    )
    CONTEXT = ("卡号", "银行卡", "借记卡", "信用卡", "储蓄卡", "账号", "帐号", "账户", "持卡人", "绑卡",
               "card")
    COLUMN_HINTS = ("yhkh", "kh", "zh", "yhzh", "zhh", "khzh", "skzh", "fkzh", "dfzh", "jyzh",
                    "cardno", "card", "acctno", "accno", "pan", "bankcard")
    NEGATIVE_CONTEXT = ("订单", "流水", "交易号", "单号", "序列号", "批次", "order", "serial", "trace",
                        "span", "request", "msgid", "imei", "身份证", "证件号", *ID_CARD_WORDS, "idno",
                        "id_no", "certno", "cert_no")
    # An ID number's field (idCard, ID_CARD_NO) holds "card": 36 of 2,000 ID numbers in a column
    # named idCard pass a card's checks, and were reported as cards too.
    NOT_KEYWORDS = ID_CARD_WORDS
    NEGATIVE_COLUMN_HINTS = ("ddh", "lsh", "jylsh", "orderno", "orderid", "serialno", "traceno", "imei")
    NEEDLES = ("000000000000000", "0000-0000-0000-0000")
    # The masked pattern without its lookarounds, its groups of stars written as runs between
    # single separators. is_valid_masked reports 15-19 digits and stars only, so after 4-6
    # digits a value holds 5 stars or more: one run of at least 5, or several runs. A masked
    # mobile number's one run of four (138****5678, and 86138****5678 after a +) wakes no card.
    SCREENS = (r"(?:[3-9][0-9]{3,5}|\*{4})[ \-]?(?:\*{5,}|\*{2,}(?:[ \-]\*{2,}){1,3})[ \-]?[0-9]{4}",)
    RUN_LENGTHS = (15, 16, 17, 18, 19)  # the ungrouped pattern's value is a whole run
    RUN_PATTERN = r"[3-9]\d{14,18}"  # every issuer prefix starts with 3-9: order numbers (2024...) do not
    RISK = Risk("C2", True)  # a financial account: PIPL Art. 28 金融账户

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a Luhn-valid number with a Chinese issuer prefix, or one whose last
        digits a spreadsheet lost (``lost_its_last_digits``)."""
        return is_valid(pattern_text) or lost_its_last_digits(pattern_text)

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Ask for context where the number is more likely something else."""
        number = compact(value)
        if issuer_kind(number) == "legacy":
            return 0.3
        if number.endswith("0") and lost_its_last_digits(number):
            return 0.3  # its last digits lost: with no check left to pass, a card where context says so
        if len(number) == 18 and (is_resident_id(number) or looks_like_resident_id(number)):
            return 0.3  # an 18-digit number shaped like an ID number is an ID number (maybe mistyped)
        if len(set(number[6:-1])) == 1:
            # The account digits one repeated digit: a round number (81000000000000000, a product
            # in CPython's decimal tests) or a test card (6222020000000000000); with context, found.
            return 0.3
        return pattern.score

    def is_valid_masked(self, value: str) -> bool:
        """Return True for a masked card (``is_masked_card``)."""
        return is_masked_card(value)

    def normalize(self, value: str) -> str:
        """Return the bare digits; a 16-digit card that lost its check digit gets it back, so the
        card in a spreadsheet and the same card in a database have one fingerprint."""
        number = compact(value)
        if len(number) == EXCEL_DIGITS + 1 and lost_its_last_digits(number):
            return number[:EXCEL_DIGITS] + luhn.calc_check_digit(number[:EXCEL_DIGITS])
        return number

    def mask(self, value: str) -> str:
        """Keep the first 6 and last 4 digits (the PCI DSS maximum): 622202*********1234."""
        return mask_middle(compact(value), 6, 4)
