"""Passwords and PINs written in clear after their key (鉴别信息: 登录/交易/查询密码, 银行卡密码).

JR/T 0171-2020 §4.2 puts authentication information in C3, the most sensitive category
(FORMATS.md §6.1): a password logged in clear (``loginPwd=Abc@1234``, ``"tranPwd":"123456"``,
``<pwd>123456</pwd>``, ``交易密码：123456``, ``您的初始密码为 Xy7!k2``) is the finding an
inspection looks for first. A value is reported only right after a key that names a password:

* a field's key that ends with password, passwd, pwd, pswd, passcode or the pinyin of a kind
  of password (jymm 交易密码, dlmm 登录密码, cxmm, zfmm, qkmm), as a log line or a config
  file writes it (``spring.datasource.password=``: a system's password is authentication
  information too, and the security team wants it);
* ``pin``/``pinCode`` with 4-12 digits;
* 密码, with what kind before it (交易密码, 初始密码, 新密码), then ``:``, ``=``, 为 or 是, or
  a space or nothing before a value that holds a digit (交易密码 135790);
* a cell under a column or header whose name ends with one of those (``login_pwd``, 交易密码;
  not ``password_updated_at``, ``pwd_err_count`` nor ``passwordHash``).

The value is 4-64 printable ASCII characters. What is not a password in clear stays unreported:
a placeholder (null, ``[PROTECTED]``, ``${DB_PASSWORD}``, ``ENC(...)``, xxxxxx), what a log
says of one (``reset password: success``), Java's identity of a ``char[]`` (``[C@5e2de80c``), a hash (bcrypt, argon2, PBKDF2,
``{SSHA}``, 32 or more hex digits) or ciphertext (22 or more base64 characters): storing a
password so is what the rules ask. Stars after the key (``password=******``) or in a password's
column count as masked.

A PIN block is the exception: ISO 9564's encrypted PIN block, 16 hex digits (32 for format 4,
under AES) after a key that names one (``pinBlock=``, ``pin_block``, ``"pinblk":``, PIN密文, ``pin=`` with 16 hex digits), is
sensitive authentication data that PCI DSS 3.3 forbids keeping after authorization even
encrypted. It is reported as this entity, masked as ``******(PIN块)``; 16 hex digits under any
other key (a trace or session id) are not. A 16-hex-digit value under a password's own key is
one too (a payment switch logs the PIN block as ``password``), and is shown so.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk
from recognizers.ciphertext import is_filler
from recognizers.context import column_tokens, field_key_regex, field_key_screen, name_ends_with
from recognizers.presidio_light import Pattern

ENTITY = "AUTH_PASSWORD"
EXAMPLES = {
    "valid": ["Abc@12345", "123456", "P@ssw0rd!", "qwer1234"],
    # A placeholder, a configuration reference, a bcrypt hash, an MD5, ciphertext, too short.
    "invalid": ["null", "${DB_PASSWORD}", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
                "e10adc3949ba59abbe56e057f20f883e", "U2FsdGVkX1+f3kP0q9ZxY2w8bA==", "abc"],
}

# The words a key that names a password ends with; pinyin of 交易/登录/查询/支付/取款 密码.
KEY_WORDS = ("password", "passwd", "pwd", "pswd", "passcode", "passphrase", "jymm", "dlmm", "cxmm",
             "zfmm", "qkmm")
PIN_KEYS = ("pin", "pincode", "pinno")
# A key that names an (encrypted) PIN block, after words of its own (userPinBlock, encPinBlk).
PIN_BLOCK_KEYS = ("pinblock", "pinblk", "pinblockdata", "encpin", "pinenc", "pindata")
PIN_BLOCK_WORDS = ("PIN密文", "PIN块")
# 16 hex digits (ISO 9564 formats 0-3, under DES), or 32 (format 4, under AES).
_PIN_BLOCK = r"([0-9A-Fa-f]{16}(?:[0-9A-Fa-f]{16})?)(?![0-9A-Za-z])"
PIN_BLOCK_MASK = "******(PIN块)"
# What may name the kind of password before 密码.
_KINDS = "交易|登录|登陆|查询|支付|取款|初始|临时|默认|新|旧|原|确认|网银|银行卡|卡|账户|账号|用户|客户"
# Printable ASCII but what ends a value in a log line, a JSON or XML field, a URL or a toString:
# quotes, <>, , ; & | and closing brackets; ( too, so ENCRYPT(...) is no value.
_CHAR = r"[!#$%*+\-./0-9:=?@A-Z\[\\^_`a-z{~]"
# Not begun by : or =: 初始密码为：806239 is 806239. A Spring encoder's or a cipher's {id} before
# it is part of it ({bcrypt}$2a$…, {cipher}AQB…, {noop}secret): } ends a value anywhere else.
_VALUE = r"(?![:=])((?:\{[A-Za-z0-9]{1,10}\})?" + _CHAR + r"{4,64})(?!" + _CHAR + r"|\()"
# 动态密码 and 一次性密码 are one-time codes (auth_otp).
_NOT_ONE_TIME = r"(?<!动态)(?<!一次性)"
_CN_KEY = _NOT_ONE_TIME + r"(?:" + _KINDS + r")?密码[ \t]*(?:[:=]|[为是][ \t]*[:=]?)[ \t]*[\"']?"
# 密码 with a space or nothing before the value: then the value must hold a digit (交易密码 135790),
# so 密码 reset and 密码 expired are no passwords.
_CN_KEY_GLUED = _NOT_ONE_TIME + r"(?:" + _KINDS + r")?密码[ \t]*(?![:=])(?=" + _CHAR + r"{0,63}\d)"
_STARS = r"(\*{3,})(?![*" + _CHAR[1:] + ")"

PLACEHOLDERS = frozenset(
    "null none nil undefined empty true false n/a na unknown secret hidden masked protected filtered redacted "
    "password changeme".split())
# What a log says of a password rather than the password (reset password: success).
STATUS_WORDS = frozenset(
    "ok success succeeded successful fail failed failure error invalid valid expired changed updated reset "
    "required missing incorrect wrong mismatch matched match locked unlocked set unset blank correct verified "
    "sent saved pending yes no".split())
_HASH_PREFIXES = ("$2a$", "$2b$", "$2y$", "$argon2", "$pbkdf2", "pbkdf2_", "$1$", "$5$", "$6$", "{bcrypt}",
                  "{ssha}", "{sha}", "{md5}", "{sm3}", "{pbkdf2}", "{scrypt}", "{argon2}", "{sha256}")
_REFERENCE_PREFIXES = ("${", "#{", "{{", "{cipher}")
_HEX = re.compile(r"[0-9A-Fa-f]{32,}")
# Java's default toString of an array or an object: a char[] password logged as User(password=[C@5e2de80c)
# shows its identity, not its characters.
_JAVA_IDENTITY = re.compile(r"(?:\[+(?:[BCSIJFDZ]|L[\w.$]+;)|[A-Za-z_$][\w$]*(?:\.[\w$]+)+)@[0-9a-f]{5,8}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{22,}={0,2}")
_PIN_HEX = re.compile(r"[0-9A-Fa-f]+")


def is_plaintext(value: str) -> bool:
    """Tell whether a value after a password's key is a password in clear: no placeholder,
    reference, hash or ciphertext, and not all stars.

    >>> is_plaintext("Abc@12345"), is_plaintext("123456"), is_plaintext("${DB_PASSWORD}")
    (True, True, False)
    >>> is_plaintext("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"), is_plaintext("xxxxxx")
    (False, False)
    >>> is_plaintext("[PROTECTED"), is_plaintext("success"), is_plaintext("[C@5e2de80c")
    (False, False, False)
    """
    lowered = value.lower()
    bare = lowered.strip("[]<>{}")  # [PROTECTED], <hidden>
    if bare in PLACEHOLDERS or bare in STATUS_WORDS or "**" in value or set(lowered) <= set("x#?-"):
        return False
    if lowered.startswith(_HASH_PREFIXES) or lowered.startswith(_REFERENCE_PREFIXES):
        return False
    return _HEX.fullmatch(value) is None and _BASE64.fullmatch(value) is None and \
        _JAVA_IDENTITY.fullmatch(value) is None


def names_a_password(name: str) -> bool:
    """Tell whether a column's name or header names a password: it ends with a password's word
    (``login_pwd``, ``USER_PIN``, 交易密码), so ``pwd_err_count`` and 密码修改时间 do not.

    >>> [names_a_password(n) for n in ("login_pwd", "jymm", "交易密码", "USER_PIN", "pin_block")]
    [True, True, True, True, True]
    >>> [names_a_password(n) for n in ("password_updated_at", "passwordHash", "spin", "密码修改时间")]
    [False, False, False, False]
    """
    tokens, _ = column_tokens(name)
    return name_ends_with(name, ("密码",), KEY_WORDS) or bool(tokens) and tokens[-1] in PIN_KEYS or \
        name_ends_with(name, PIN_BLOCK_WORDS, PIN_BLOCK_KEYS)


class AuthPasswordRecognizer(ChineseRecognizer):
    """Passwords and PINs in clear after a key that names them (鉴别信息, C3)."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("auth_password", field_key_regex(KEY_WORDS, ending=True) + _VALUE, 0.6),
        Pattern("auth_password_cn", _CN_KEY + _VALUE, 0.6),
        Pattern("auth_password_cn_glued", _CN_KEY_GLUED + _VALUE, 0.6),
        Pattern("auth_pin", field_key_regex(PIN_KEYS) + r"(\d{4,12})(?![0-9A-Za-z])", 0.6),
        # A cell's whole value, reported under a column that names a password (_decide_verdict).
        Pattern("auth_password_cell", r"\A" + _VALUE + r"\Z", 0.2),
    )
    CIPHERTEXT_PATTERNS = (
        Pattern("auth_pin_block", field_key_regex(PIN_BLOCK_KEYS, ending=True) + _PIN_BLOCK, 0.6),
        Pattern("auth_pin_block_pin", field_key_regex(PIN_KEYS) + _PIN_BLOCK, 0.6),
        Pattern("auth_pin_block_cn", r"(?i:PIN)(?:密文|块|加密值)[ \t]*(?:[:=]|为|是)?[ \t]*[\"']?" + _PIN_BLOCK, 0.6),
        # A cell's whole value, under a column that names a PIN block or a password (_decide_verdict):
        # 16 hex digits only, as 32 in a password's column are an MD5.
        Pattern("auth_pin_block_cell", r"\A([0-9A-Fa-f]{16})\Z", 0.2),
    )
    MASKED_PATTERNS = (
        Pattern("auth_password_masked", field_key_regex(KEY_WORDS + PIN_KEYS, ending=True) + _STARS, 0.6),
        Pattern("auth_password_cn_masked", _CN_KEY + _STARS, 0.6),
        Pattern("auth_password_cell_masked", r"\A" + _STARS + r"\Z", 0.2),  # under a password's column
    )
    CONTEXT = ("密码", "password", "passwd", "passcode")
    COLUMN_HINTS = KEY_WORDS  # a PIN's column is named by names_a_password, its key by SCREENS
    SCREENS = (field_key_screen(PIN_KEYS), field_key_screen(PIN_BLOCK_KEYS), "pin(?:密文|块|加密值)")
    RISK = Risk("C3", True)  # 鉴别信息; a financial account's password: PIPL Art. 28 金融账户

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a password in clear (``is_plaintext``)."""
        return is_plaintext(pattern_text)

    def is_ciphertext(self, value: str) -> bool:
        """Return True for a PIN block's hex digits, not one digit repeated or a counting run."""
        return not is_filler(value)

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        """+1 when a column's name or header ends with a password's word (``names_a_password``):
        a column holding one in its name (``password_updated_at``) holds no password."""
        return 1 if any(word and names_a_password(word) for word in context) else 0

    def holds_binary(self, column: str) -> bool:
        """Tell whether a column's binary values may be PIN blocks kept as bytes (``pin_block``, PIN密文)."""
        return name_ends_with(column, PIN_BLOCK_WORDS, PIN_BLOCK_KEYS)

    def normalize(self, value: str) -> str:
        """Return the value as it is: a password's case and every character count."""
        return value

    def mask(self, value: str) -> str:
        """Return six stars, whatever the value: not even its length is shown; for a PIN block's
        16 or 32 hex digits, six stars that say so (32 are no password in clear: ``is_plaintext``)."""
        return PIN_BLOCK_MASK if len(value) in (16, 32) and _PIN_HEX.fullmatch(value) else "******"
