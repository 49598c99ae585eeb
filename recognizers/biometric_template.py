"""Biometric templates used for authentication (生物识别特征: 人脸特征值, 指纹模板, 虹膜, 声纹).

JR/T 0171-2020 puts biometric data used for authentication in C3 and PIPL Art. 28 makes
biometrics sensitive personal information (FORMATS.md §6.1, §6.3): a face-recognition service
that stores each customer's face embedding, or a teller system that keeps fingerprint templates,
is a finding. A template says nothing of itself, so a value is reported only after a key, or in
a column or header, whose name ends with a face, fingerprint, iris, voiceprint, palm or vein word
and a feature's or template's word (``face_feature``, ``faceTemplate``, ``finger_template``,
``irisEmbedding``; pinyin ``rltz``, ``rlsbtz``, ``zwtz``, ``zwmb``; 人脸特征值, 指纹模板, 声纹特征),
when it is base64 of 64 or more characters, hex of 64 or more digits (a binary value of a
database column so named arrives as its hex: ``pii_audit.sources.db_tables``), or an array of
64 or more numbers (an embedding: ``[0.0123, -0.4411, …]``).

``fingerprint`` alone is not such a word: in IT it is mostly a certificate's, a key's or a
device's fingerprint (``cert_fingerprint``, ``sha256_fingerprint``, ``device_fingerprint``),
which is no person's; only ``fingerprint`` followed by a template's word (``fingerprint_template``,
``fingerprintFeature``) names one. The mask shows no part of the value: ``[特征数据 512 字节]``,
``[特征向量 128 维]``.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk
from recognizers.ciphertext import hex_digits, is_ciphertext, is_filler, normalized
from recognizers.context import field_key_regex, field_key_screen, name_ends_with
from recognizers.presidio_light import Pattern

ENTITY = "BIOMETRIC_TEMPLATE"
_EMBEDDING = "[" + ", ".join(f"{(n * 37 % 200 - 100) / 1000:.4f}" for n in range(64)) + "]"
EXAMPLES = {
    "valid": ["Rk1SACAyMAAAAAFiAAABQAHgAMUAxQEAAABkJ0CNAC9oAEB+ADRwAEDQAD9eAECmAEZrAEB0AElwAA8zAEtoAA==",
              "3f1a9c0e7b2d4f68a1c3e5079b2d4f6813579bdf02468ace1122334455667788", _EMBEDDING],
    # Too short, one digit repeated, a certificate's fingerprint-sized hash of 40 digits.
    "invalid": ["q8Zt3Yw1Lk0Pn5Rb2sXc7A==", "0" * 64, "3f1a9c0e7b2d4f68a1c3e5079b2d4f6813579bdf"],
}

MODALITIES = ("face", "facial", "finger", "fingerprint", "fingervein", "iris", "voice", "voiceprint",
              "palm", "palmprint", "vein")
KINDS = ("feature", "features", "template", "tpl", "embedding", "vector")
# Pinyin: 人脸特征(值), 人脸识别特征, 人脸模板, 指纹特征/模板, 虹膜特征/模板, 声纹特征/模板.
PINYIN_KEYS = ("rltz", "rltzz", "rlsbtz", "rlmb", "zwtz", "zwtzz", "zwmb", "hmtz", "hmmb", "swtz", "swmb")
KEY_WORDS = tuple(m + k for m in MODALITIES for k in KINDS) + PINYIN_KEYS
CN_WORDS = tuple(m + k for m in ("人脸", "面部", "人脸识别", "指纹", "虹膜", "声纹", "掌纹", "指静脉", "掌静脉", "生物识别")
                 for k in ("特征值", "特征", "特征码", "特征数据", "特征向量", "模板", "模版"))
MIN_CHARS = 64  # base64 or hex: 48 or 32 bytes, less than any face or fingerprint template
MIN_NUMBERS = 64  # an embedding's dimensions: face models give 128 to 512

_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_ARRAY = r"\[[ \t]*" + _NUMBER + r"(?:[ \t]*,[ \t]*" + _NUMBER + r"){63,}[ \t]*\]"
# A cell may hold the numbers without brackets, parted by commas, semicolons or spaces.
_LIST = r"\[?[ \t]*" + _NUMBER + r"(?:[ \t]*[,;][ \t]*" + _NUMBER + r"|[ \t]+" + _NUMBER + r"){63,}[ \t]*\]?"
_ENCODED = r"(?:\\x)?[A-Za-z0-9+/]{64,}={0,2}"
_END = r"(?![A-Za-z0-9+/=_\-(]|\.[A-Za-z0-9])"
_CN_KEY = r"(?:" + "|".join(CN_WORDS) + r")[ \t]*(?:[:=]|为|是)?[ \t]*[\"']?"
_NUMBERS = re.compile(_NUMBER)


def is_template(value: str) -> bool:
    """Tell whether a value has a template's form: an array of ``MIN_NUMBERS`` numbers or more,
    not all one number, or base64 or hex of ``MIN_CHARS`` characters or more that is no filler.

    >>> is_template(EXAMPLES["valid"][0]), is_template(_EMBEDDING), is_template("[" + "0, " * 63 + "0]")
    (True, True, False)
    """
    if value[:1] == "[" or "," in value or " " in value or ";" in value:
        numbers = _NUMBERS.findall(value)
        return len(numbers) >= MIN_NUMBERS and len({float(n) for n in numbers}) > 1
    return len(value) >= MIN_CHARS and is_ciphertext(value, limit=None) and not is_filler(value)


def names_a_template(name: str) -> bool:
    """Tell whether a column's name or header names a biometric template: it ends with a
    modality's and a feature's word (``face_feature``, ``zwtz``, 人脸特征值); a certificate's or a
    device's ``fingerprint`` does not.

    >>> [names_a_template(n) for n in ("face_feature", "faceTemplate", "ZWTZ", "指纹模板", "声纹特征")]
    [True, True, True, True, True]
    >>> [names_a_template(n) for n in ("fingerprint", "device_fingerprint", "cert_fingerprint", "feature_flag")]
    [False, False, False, False]
    """
    return name_ends_with(name, CN_WORDS, KEY_WORDS)


def mask(value: str) -> str:
    """Return the template's size, never a part of it: dimensions of an array, bytes of hex or base64.

    >>> mask(_EMBEDDING), mask("ab" * 32), mask("QUJD" * 16)
    ('[特征向量 64 维]', '[特征数据 32 字节]', '[特征数据 48 字节]')
    """
    digits = hex_digits(value)
    if digits is not None:
        return f"[特征数据 {len(digits) // 2} 字节]"
    if not re.fullmatch(_ENCODED, value):
        return f"[特征向量 {len(_NUMBERS.findall(value))} 维]"
    return f"[特征数据 {len(value) * 3 // 4 - (len(value) - len(value.rstrip('=')))} 字节]"


class BiometricTemplateRecognizer(ChineseRecognizer):
    """Face, fingerprint, iris and voiceprint templates after a key or in a column that names them (C3)."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("biometric_template", field_key_regex(KEY_WORDS, ending=True) + "(" + _ENCODED + "|" + _ARRAY + ")"
                + _END, 0.6),
        Pattern("biometric_template_cn", _CN_KEY + "(" + _ENCODED + "|" + _ARRAY + ")" + _END, 0.6),
        # A cell's whole value, reported under a column that names a template (_decide_verdict).
        Pattern("biometric_template_cell", r"\A(" + _ENCODED + "|" + _LIST + r")\Z", 0.2),
    )
    CONTEXT = CN_WORDS
    COLUMN_HINTS = KEY_WORDS
    RISK = Risk("C3", True)  # 鉴别信息: 用于身份鉴别的生物识别信息; PIPL Art. 28 生物识别

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a template's form (``is_template``)."""
        return is_template(pattern_text)

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        """+1 when a column's name or header names a template (``names_a_template``)."""
        return 1 if any(word and names_a_template(word) for word in context) else 0

    def holds_binary(self, column: str) -> bool:
        """Tell whether a column's binary values may be this entity kept as bytes (``names_a_template``)."""
        return names_a_template(column)

    def normalize(self, value: str) -> str:
        """Return the value as stored, hex as its digits in lower case (``ciphertext.normalized``):
        its fingerprint tells the same template stored twice."""
        return normalized(value)

    def mask(self, value: str) -> str:
        """Return the template's size (``mask``), never a part of it."""
        return mask(value)
