"""One-time codes after their key: SMS verification codes and dynamic passwords (短信验证码, 动态口令).

JR/T 0171-2020 counts them as authentication's auxiliary information (鉴别辅助信息, FORMATS.md
§6.1): C2, and C3 where one alone completes an authentication. A service that logs the code it
sends (``smsCode=482913``, ``"verifyCode":"4829"``, ``短信验证码：482913``, ``动态口令 482913``)
lets whoever reads the log take over the account while the code holds; an inspection lists it.
A value is 4 to 8 digits, reported only right after a key that names such a code or in a cell
under a column or header so named. A picture's code (图形验证码, captcha) is none: it proves a
person, not who. Stars after the key count as masked.
"""

from __future__ import annotations

from recognizers.base import ChineseRecognizer, Risk
from recognizers.context import field_key_regex, name_ends_with
from recognizers.presidio_light import Pattern

ENTITY = "AUTH_OTP"
EXAMPLES = {
    "valid": ["482913", "4829", "10293847"],
    # Three digits, nine, letters among them.
    "invalid": ["482", "482913475", "48a913"],
}

KEY_WORDS = ("smscode", "smsverifycode", "verifycode", "verificationcode", "validatecode", "otp", "otpcode",
             "dynamiccode", "dynamicpwd", "yzm", "dxyzm", "dtkl")
CN_WORDS = ("短信验证码", "验证码", "动态口令", "动态密码", "一次性密码", "校验短信")
# A picture's or a slider's code (图形验证码, captcha) proves a person, not who.
_NOT_A_PICTURE = r"(?<!图形)(?<!图片)(?<!滑块)"
_CN_KEY = _NOT_A_PICTURE + r"(?:" + "|".join(CN_WORDS) + r")[ \t]*(?:[:=]|[为是][ \t]*[:=]?)?[ \t]*[\"']?"
# Not a date's, a time's or a decimal's first digits (验证码 2024-11-02, 1234.5).
_DIGITS = r"(\d{4,8})(?![0-9A-Za-z]|[\-./:]\d)"
_STARS = r"(\*{4,8})(?![*0-9A-Za-z])"


def names_an_otp(name: str) -> bool:
    """Tell whether a column's name or header names a one-time code: it ends with one of its
    words (``sms_code``, ``DXYZM``, 短信验证码); a picture's code does not.

    >>> [names_an_otp(n) for n in ("sms_code", "DXYZM", "短信验证码", "otp")]
    [True, True, True, True]
    >>> [names_an_otp(n) for n in ("图形验证码", "sms_code_sent_at", "captcha")]
    [False, False, False]
    """
    return not name_ends_with(name, ("图形验证码", "图片验证码"), ()) and name_ends_with(name, CN_WORDS, KEY_WORDS)


class AuthOtpRecognizer(ChineseRecognizer):
    """SMS verification codes and dynamic passwords after a key that names them (鉴别辅助信息, C2)."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("auth_otp", field_key_regex(KEY_WORDS, ending=True) + _DIGITS, 0.6),
        Pattern("auth_otp_cn", _CN_KEY + _DIGITS, 0.6),
        # A cell's whole value, reported under a column that names it (_decide_verdict).
        Pattern("auth_otp_cell", r"\A(\d{4,8})\Z", 0.2),
    )
    MASKED_PATTERNS = (
        Pattern("auth_otp_masked", field_key_regex(KEY_WORDS, ending=True) + _STARS, 0.6),
        Pattern("auth_otp_cn_masked", _CN_KEY + _STARS, 0.6),
    )
    CONTEXT = CN_WORDS
    COLUMN_HINTS = KEY_WORDS
    RISK = Risk("C2", True)  # 鉴别辅助信息: it opens a financial account while it holds

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for 4 to 8 ASCII digits."""
        return 4 <= len(pattern_text) <= 8 and pattern_text.isdigit() and pattern_text.isascii()

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        """+1 when a column's name or header ends with a one-time code's word (``names_an_otp``)."""
        return 1 if any(word and names_an_otp(word) for word in context) else 0

    def normalize(self, value: str) -> str:
        """Return the digits."""
        return value

    def mask(self, value: str) -> str:
        """Return stars as many as the digits: a code's length says nothing of it."""
        return "*" * len(value)
