"""Card authentication data kept encrypted: a ciphertext under a key that names a CVN or track data.

PCI DSS requirement 3.3 forbids keeping sensitive authentication data (full track, CVV2/CVN2,
PIN and PIN block) after authorization *even if encrypted*, and JR/T 0171-2020 lets no party but
the issuer keep C3 card data: an audit asks whether any system stores them, encrypted or not. A
ciphertext says nothing of itself, so only its key or column tells what it is: a value under one
whose name ends with a CVN's or a track's word (``cvv2_enc``, ``encCvn2``, ``track2_data``,
磁道信息密文) that is ciphertext (``is_ciphertext``) is reported as that entity, masked as
``***(密文)``, fingerprinted as stored. A binary value of a database column so named arrives as
its hex (``pii_audit.sources.db_tables``).
"""

from __future__ import annotations

import re

# Words after a CVN's or a track's word that say the value is kept encrypted or as data
# (cvv2_enc, cvn2Cipher, track2_data; mw is 密文's pinyin).
CIPHER_SUFFIXES = ("enc", "encrypt", "encrypted", "cipher", "ciphertext", "crypt", "mw", "data", "value")
# Chinese words after a CVN's or a track's word that say so (安全码密文, 磁道信息加密值).
CN_CIPHER_SUFFIXES = ("密文", "加密值", "加密数据", "加密")
MASK = "***(密文)"
HEX_DIGITS = 16  # 8 bytes: one DES or SM4 block's half, the least an encrypted CVN takes
BASE64_CHARS = 12  # 9 bytes
# The longest: track 1 is at most 79 characters, so a few cipher blocks even with an IV and a MAC,
# in hex or base64; a longer value under such a key is something else (a file, a message).
MAX_CHARS = 1024

# A ciphertext as a log line or a JSON field writes it: jasypt's ENC(...), hex (0x or \x before it
# as a dump writes a BLOB: mysqldump --hex-blob, PostgreSQL's bytea), or base64. The
# characters after it cannot continue it (a JWT's "." and a letter, a call's "(").
VALUE = (r"((?:ENC|enc)\([A-Za-z0-9+/=_\-]{1,4096}\)|(?:\\x)?[A-Za-z0-9+/]{10,}={0,2})"
         r"(?![A-Za-z0-9+/=_\-(]|\.[A-Za-z0-9])")

_HEX = re.compile(r"(?:0[xX]|\\x)?([0-9A-Fa-f]+)")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_ENC = re.compile(r"(?:ENC|enc)\(([A-Za-z0-9+/=_\-]+)\)")
# Test data and fillers, not a stored secret.
_COUNTING = "0123456789abcdef" * 2
PLACEHOLDERS = frozenset("encrypted ciphertext placeholder notavailable notapplicable undefined".split())


def cipher_keys(words: tuple[str, ...]) -> tuple[str, ...]:
    """Return ``words`` and each of them followed by a word that says it is kept encrypted.

    >>> cipher_keys(("cvv2",))[:4]
    ('cvv2', 'cvv2enc', 'cvv2encrypt', 'cvv2encrypted')
    """
    return words + tuple(word + suffix for word in words for suffix in CIPHER_SUFFIXES)


def cn_cipher_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """Return the Chinese ``words`` and each of them followed by 密文, 加密值 or the like."""
    return words + tuple(word + suffix for word in words for suffix in CN_CIPHER_SUFFIXES)


def is_ciphertext(value: str, limit: int | None = MAX_CHARS) -> bool:
    """Tell whether a value is a ciphertext: hex of 16 or more digits (a digit and a letter among
    them: all digits is a number), base64 of 12 or more characters, padding counted (one DES
    block of 8 bytes is 11 and "="), its length a multiple of 4, upper and lower case, and a
    digit, ``+``, ``/`` or ``=`` (a word is no ciphertext), or
    jasypt's ``ENC(...)``; not one character repeated, a counting run or a placeholder, nor
    longer than ``limit`` characters (an encrypted CVN or track is a few cipher blocks).

    >>> [is_ciphertext(v) for v in ("9F3A0C7B1D2E4F68", "q8Zt3Yw1Lk0Pn5Rb", "ENC(G6N718UuyPE5bHyW)")]
    [True, True, True]
    >>> [is_ciphertext(v) for v in ("6222021234567890128", "FFFFFFFFFFFFFFFF", "NotAvailable", "${CVV2}", "")]
    [False, False, False, False, False]
    """
    if limit is not None and len(value) > limit:
        return False
    enclosed = _ENC.fullmatch(value)
    if enclosed is not None:
        return not is_filler(enclosed.group(1))
    if is_filler(value):
        return False
    digits = hex_digits(value)
    if digits is not None and len(digits) >= HEX_DIGITS:
        return not digits.isdigit() and not digits.isalpha() and not is_filler(digits)
    if len(value) < BASE64_CHARS or len(value) % 4 or not _BASE64.fullmatch(value):
        return False
    letters = value.rstrip("=")
    mixed_case = not letters.islower() and not letters.isupper()
    return mixed_case and (not letters.isalpha() or letters != value)


def hex_digits(value: str) -> str | None:
    """Return a hex value's digits, without a 0x or \\x before them; None for a value that is no hex.

    >>> hex_digits("0x9F3A"), hex_digits("9f3a"), hex_digits("q8Zt")
    ('9F3A', '9f3a', None)
    """
    match = _HEX.fullmatch(value)
    return None if match is None else match.group(1)


def normalized(value: str) -> str:
    """Return a ciphertext as stored, hex as its digits in lower case: the bytes of a BLOB (its
    hex), a dump's ``0x…`` and a log's upper-case hex of one ciphertext share a fingerprint.

    >>> normalized("0x9F3A0C7B1D2E4F68"), normalized("q8Zt3Yw1Lk0Pn5Rb")
    ('9f3a0c7b1d2e4f68', 'q8Zt3Yw1Lk0Pn5Rb')
    """
    digits = hex_digits(value)
    return value if digits is None else digits.lower()


def is_filler(value: str) -> bool:
    """Tell whether a value is empty, one character repeated, a counting run or a placeholder.

    >>> is_filler("0000000000000000"), is_filler("0123456789ABCDEF"), is_filler("9F3A0C7B1D2E4F68")
    (True, True, False)
    """
    bare = value.rstrip("=").lower()
    return len(set(bare)) <= 1 or bare in _COUNTING or bare in PLACEHOLDERS
