"""Card verification numbers, CVN2/CVV2/CVC2 (卡片验证码, 安全码), after their key.

JR/T 0171-2020 puts a card's verification number in C3 and forbids keeping it (FORMATS.md
§6.1): a payment log line ``cvv2=123``, ``"cvn2":"123"``, ``安全码：123`` or a column ``card_cvv2``
holding three digits is a finding wherever it is. Three digits mean nothing on their own, so a
value is reported only right after a key that names it (a field's key ending with cvv, cvv2,
cvn, cvn2, cvc, cvc2, or aqm for 安全码; or 安全码, 卡验证码, 卡片校验码, CVV2码), or in a
cell under a column or header so named. Stars after such a key (``cvv2=***``) or in such a
column count as masked.

Kept encrypted it is still a finding (PCI DSS 3.3: not retained even if encrypted): a ciphertext
(``recognizers.ciphertext``) after a key or in a column whose name ends with those words, or
with them and a word that says it is encrypted (``cvv2_enc``, ``encCvn2``, ``cvn2_cipher``,
安全码密文), is reported masked as ``***(密文)``.
"""

from __future__ import annotations

from recognizers import ciphertext
from recognizers.base import ChineseRecognizer, Risk
from recognizers.context import field_key_regex, field_key_screen, name_ends_with
from recognizers.presidio_light import Pattern

ENTITY = "CARD_CVN"
EXAMPLES = {
    "valid": ["123", "907", "045", "9F3A0C7B1D2E4F68", "q8Zt3Yw1Lk0Pn5Rb2sXc7A=="],
    # Two digits, four (an Amex CID or a year), a letter among them; a filler where a ciphertext goes.
    "invalid": ["12", "1234", "12a", "FFFFFFFFFFFFFFFF"],
}

KEY_WORDS = ("cvv", "cvv2", "cvn", "cvn2", "cvc", "cvc2", "cvv2code", "cvn2code", "aqm")
CN_WORDS = ("安全码", "卡验证码", "卡片验证码", "卡校验码", "卡片校验码", "信用卡验证码")
# The Chinese words, or CVV2/CVN2 as a word, then a separator, a space or nothing (安全码123, CVV2 123).
_CN_KEY = (r"(?:" + "|".join(CN_WORDS) + r"|(?<![A-Za-z0-9_])(?i:cv[vnc]2?)码?)[ \t]*(?:[:=]|为|是)?[ \t]*[\"']?")
# Not a decimal's or a time's first digits (安全码 123.45).
_DIGITS = r"(\d{3})(?![0-9A-Za-z]|[\-./:]\d)"
# A key that names a verification number kept encrypted, and the Chinese words that do.
CIPHER_KEYS = ciphertext.cipher_keys(KEY_WORDS)
CN_CIPHER_WORDS = ciphertext.cn_cipher_words(CN_WORDS)
_CN_CIPHER_KEY = (r"(?:" + "|".join(CN_CIPHER_WORDS) + r"|(?<![A-Za-z0-9_])(?i:cv[vnc]2?)(?![A-Za-z0-9_])(?:码|密文)?)"
                  r"[ \t]*(?:[:=]|为|是)?[ \t]*[\"']?")


def names_a_cvn(name: str) -> bool:
    """Tell whether a column's name or header names a verification number: it ends with one
    of its words (``card_cvv2``, 信用卡安全码); ``cvv_result`` does not.

    >>> [names_a_cvn(n) for n in ("card_cvv2", "CVN2", "安全码", "cvv_result", "aqm_flag")]
    [True, True, True, False, False]
    """
    return name_ends_with(name, CN_WORDS, KEY_WORDS)


def names_an_encrypted_cvn(name: str) -> bool:
    """Tell whether a column's name or header names a verification number, kept encrypted or not
    (``cvv2_enc``, ``encCvn2``, 安全码密文).

    >>> [names_an_encrypted_cvn(n) for n in ("cvv2_enc", "encCvn2", "cvn2_cipher", "安全码密文", "cvv_result")]
    [True, True, True, True, False]
    """
    return name_ends_with(name, CN_CIPHER_WORDS, CIPHER_KEYS)


class CardCvnRecognizer(ChineseRecognizer):
    """Card verification numbers (CVN2, CVV2, CVC2) after a key that names them (C3)."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("card_cvn", field_key_regex(KEY_WORDS, ending=True) + _DIGITS, 0.6),
        Pattern("card_cvn_cn", _CN_KEY + _DIGITS, 0.6),
        # A cell's whole value, reported under a column that names it (_decide_verdict).
        Pattern("card_cvn_cell", r"\A(\d{3})\Z", 0.2),
    )
    MASKED_PATTERNS = (
        Pattern("card_cvn_masked", field_key_regex(KEY_WORDS, ending=True) + r"(\*{3})(?![*0-9A-Za-z])", 0.6),
        Pattern("card_cvn_cn_masked", _CN_KEY + r"(\*{3})(?![*0-9A-Za-z])", 0.6),
        Pattern("card_cvn_cell_masked", r"\A(\*{3})\Z", 0.2),  # under a verification number's column
    )
    CIPHERTEXT_PATTERNS = (
        Pattern("card_cvn_ciphertext", field_key_regex(CIPHER_KEYS, ending=True) + ciphertext.VALUE, 0.6),
        Pattern("card_cvn_cn_ciphertext", _CN_CIPHER_KEY + ciphertext.VALUE, 0.6),
        # A cell's whole value, under a column that names it (_decide_verdict).
        Pattern("card_cvn_cell_ciphertext", r"\A" + ciphertext.VALUE + r"\Z", 0.2),
    )
    CONTEXT = CN_WORDS + ("cvv2", "cvn2", "cvc2")
    COLUMN_HINTS = KEY_WORDS
    # A key that names one kept encrypted (cvn_cipher=) holds no needle of CONTEXT.
    SCREENS = (field_key_screen(CIPHER_KEYS),)
    RISK = Risk("C3", True)  # 鉴别信息: 卡片验证码 (CVN, CVN2)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for three ASCII digits."""
        return len(pattern_text) == 3 and pattern_text.isdigit() and pattern_text.isascii()

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        """+1 when a column's name or header ends with a verification number's word, with or
        without one that says it is encrypted (``names_an_encrypted_cvn``)."""
        return 1 if any(word and names_an_encrypted_cvn(word) for word in context) else 0

    def holds_binary(self, column: str) -> bool:
        """Tell whether a column's binary values may be this entity kept as bytes (``names_an_encrypted_cvn``)."""
        return names_an_encrypted_cvn(column)

    def normalize(self, value: str) -> str:
        """Return the three digits, or the ciphertext as stored (``ciphertext.normalized``)."""
        return value if len(value) == 3 else ciphertext.normalized(value)

    def mask(self, value: str) -> str:
        """Return three stars, or ``***(密文)`` for a ciphertext: no character of either is shown."""
        return "***" if len(value) == 3 else ciphertext.MASK
