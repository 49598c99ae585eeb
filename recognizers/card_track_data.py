"""Magnetic-stripe track data and its chip equivalent (磁道信息, 芯片等效信息).

JR/T 0171-2020 puts a card's track data (or the chip's equivalent) in C3 and forbids keeping it
(FORMATS.md §6.1): with it a card can be cloned. Its shape is ISO/IEC 7813's:

* track 2: the card number (13-19 digits, Luhn, a payment card's first digit or a Chinese
  bank's legacy prefix), a separator (``=``; ``D`` in the chip's
  Track 2 Equivalent Data, EMV tag 57, written in hex and padded with ``F``), the expiry date
  YYMM (2000-2049), the three-digit service code (its digits 1/2/5/6/7/9, 0/2/4, 0-7), then discretionary
  digits: ``;6222021234567890128=24121010000012345678?``, ``6222021234567890128D2412101…F``;
* track 1: ``%B`` + the card number + ``^`` + the holder's name + ``^`` + YYMM and the service
  code, then discretionary data up to ``?``.

That shape is rare enough to report bare. The card number inside stays this entity's:
``cn_bank_card`` does not report a number followed by ``=`` and seven digits.

Kept encrypted it is still a finding (PCI DSS 3.3: not retained even if encrypted): a ciphertext
(``recognizers.ciphertext``) after a key or in a column whose name ends with a track's word
(``track2``, ``trackData``, ``cdxx``, 磁道信息), or with one and a word that says it is encrypted
(``track2_enc``, ``track2_data``, 磁道信息密文), is reported masked as ``***(密文)``. Such a column
is named by its last word only: ``track_status`` or a parcel's ``track_no`` holds no track.
"""

from __future__ import annotations

import re

from stdnum import luhn

from recognizers import ciphertext, cn_bank_card
from recognizers.base import ChineseRecognizer, Risk, mask_middle, not_after
from recognizers.context import field_key_regex, field_key_screen, name_ends_with
from recognizers.presidio_light import Pattern

ENTITY = "CARD_TRACK_DATA"
EXAMPLES = {
    "valid": ["6222021234567890128=24121010000012345678", "6222021234567890128D24122010000012345678F",
              "B4367420123456781^ZHANG/SAN^2412101000000000000000",
              "8E1F0A2B3C4D5E6F708192A3B4C5D6E7"],  # a ciphertext: after a key that names a track only
    # A wrong check digit, month 13, service code 3, a card number with nothing after it.
    "invalid": ["6222021234567890127=24121010000012345678", "6222021234567890128=24131010000012345678",
                "6222021234567890128=24123010000012345678", "6222021234567890128"],
}

# The words a key or column that names track data ends with (cdxx, cdsj: 磁道信息, 磁道数据), and
# with a word that says it is encrypted (track2_enc, track2_data).
KEY_WORDS = ("track", "track1", "track2", "track3", "trackdata", "track1data", "track2data", "cdxx", "cdsj")
CN_WORDS = ("磁道", "磁道信息", "磁道数据", "二磁道", "三磁道", "二磁道信息", "等效信息")
CIPHER_KEYS = ciphertext.cipher_keys(KEY_WORDS)
CN_CIPHER_WORDS = ciphertext.cn_cipher_words(CN_WORDS)
_CN_CIPHER_KEY = r"(?:" + "|".join(CN_CIPHER_WORDS) + r")[ \t]*(?:[:=]|为|是)?[ \t]*[\"']?"

_TRACK2 = r"(\d" + not_after("0-9A-Za-z") + r"\d{12,18}[=D]\d{7}\d{0,25}F?)\??(?![0-9A-Za-z])"
# The holder's name as ISO/IEC 7813 writes it (ZHANG/SAN), discretionary data letters and digits.
_TRACK1 = r"(B\d{13,19}\^[A-Za-z0-9 /.\-']{2,26}\^\d{7}[0-9A-Za-z]{0,60})\??(?![0-9A-Za-z])"
_PARTS = re.compile(r"B?(\d{13,19})(?:[=D]|\^[^^]*\^)(\d{2})(\d{2})(\d)(\d)(\d)")
# ISO/IEC 7813's service code: interchange (1, 2, 5, 6, 7, 9), authorisation (0, 2, 4), services (0-7).
SERVICE_CODE_DIGITS = ("125679", "024", "01234567")
# A payment card's first digit (ISO/IEC 7812's industry identifier): 2 Mastercard's 2-series, 3
# Amex and JCB, 4 Visa, 5 Mastercard, 6 UnionPay; a Chinese bank's legacy 9 prefixes by name.
CARD_FIRST_DIGITS = "23456"


def is_valid(track: str) -> bool:
    """Tell whether a track's card number passes Luhn and starts as a payment card's, its expiry
    is a month 01-12 of 2000-2049 and its service code's digits are ones ISO/IEC 7813 allows.

    >>> is_valid("6222021234567890128=24121010000012345678"), is_valid("6222021234567890127=2412101")
    (True, False)
    """
    parts = _PARTS.match(track)
    if parts is None:
        return False
    number, year, month, *service = parts.groups()
    issued = number[0] in CARD_FIRST_DIGITS or cn_bank_card.issuer_kind(number) is not None
    coded = all(digit in allowed for digit, allowed in zip(service, SERVICE_CODE_DIGITS))
    return issued and coded and year < "50" and "01" <= month <= "12" and luhn.is_valid(number)


def names_track_data(name: str) -> bool:
    """Tell whether a column's name or header names track data, kept encrypted or not: it ends
    with a track's word (``track2_data``, ``cdxx``, 磁道信息密文), so ``track_status`` does not.

    >>> [names_track_data(n) for n in ("track2_data", "encTrack2", "CDXX", "磁道信息密文", "track_status")]
    [True, True, True, True, False]
    """
    return name_ends_with(name, CN_CIPHER_WORDS, CIPHER_KEYS)


def mask(track: str) -> str:
    """Keep the card number's first six and last four digits; star the rest but the separators.

    >>> mask("6222021234567890128=24121010000012345678")
    '622202*********0128=********************'
    """
    parts = _PARTS.match(track)
    number = parts.group(1)
    head = track[:parts.start(1)] + mask_middle(number, 6, 4)
    rest = track[parts.end(1):]
    return head + rest[0] + re.sub(r"[^^]", "*", rest[1:])


class CardTrackDataRecognizer(ChineseRecognizer):
    """Track 1 and track 2 data and the chip's Track 2 Equivalent Data (C3), reported bare."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("card_track2", _TRACK2, 0.6),
        Pattern("card_track1", r"(?<![0-9A-Za-z])%?" + _TRACK1, 0.6),
    )
    CIPHERTEXT_PATTERNS = (
        Pattern("card_track_ciphertext", field_key_regex(CIPHER_KEYS, ending=True) + ciphertext.VALUE, 0.6),
        Pattern("card_track_cn_ciphertext", _CN_CIPHER_KEY + ciphertext.VALUE, 0.6),
        # A cell's whole value, under a column that names track data (_decide_verdict).
        Pattern("card_track_cell_ciphertext", r"\A" + ciphertext.VALUE + r"\Z", 0.2),
    )
    CONTEXT = ("磁道", "等效信息", "track2", "track1", "track data")
    COLUMN_HINTS = ("cdxx", "track", "track1", "track2", "trackdata", "track2data")
    # Hyperscan, matched case-insensitively: a track 2's number, separator and YYMM and service
    # code, and a track 1's number and first ^; a key that names track data kept encrypted.
    SCREENS = (r"[0-9]{13,19}[=d][0-9]{7}", r"b[0-9]{13,19}\^", field_key_screen(CIPHER_KEYS))
    NEEDLES = ("磁道", "等效信息")  # in every Chinese key of a ciphertext (CN_CIPHER_WORDS)
    # The pattern that needs context matches a whole cell, whose column names it: the keywords
    # need not screen lines (``track`` stands in trackId and tracking).
    NEEDLES_HOLD_ALL = True
    WHOLE_KEYS = True  # its column hints are context as whole keys only (ContextWords)
    RISK = Risk("C3", True)  # 鉴别信息: 银行卡磁道数据（或芯片等效信息）

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a track whose card number, expiry month and service code are sound."""
        return is_valid(pattern_text)

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        """+1 when a column's name or header ends with a track's word (``names_track_data``)."""
        return 1 if any(word and names_track_data(word) for word in context) else 0

    def holds_binary(self, column: str) -> bool:
        """Tell whether a column's binary values may be this entity kept as bytes (``names_track_data``)."""
        return names_track_data(column)

    def normalize(self, value: str) -> str:
        """Return the track upper-cased, padding dropped: a hex-written tag 57 and its track 2
        alike; a ciphertext as stored (``ciphertext.normalized``)."""
        if not is_valid(value):
            return ciphertext.normalized(value)
        return value.upper().rstrip("F").replace("D", "=", 1) if "^" not in value else value.upper()

    def mask(self, value: str) -> str:
        """Keep the card number's first six and last four digits, as a bank prints a card; show
        a ciphertext as ``***(密文)``."""
        return mask(value) if is_valid(value) else ciphertext.MASK
