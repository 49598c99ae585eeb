"""E-mail addresses, found without tldextract.

Rules: FORMATS.md §5.9. Presidio's own email recognizer calls tldextract, which downloads the
Public Suffix List on first use; bank intranets are offline and a scanner must not phone home,
so the syntax is checked here: lengths, dots, hyphens, and an alphabetic top-level label that
is not a file extension (``icon@2x.png`` is not an address).
"""

from __future__ import annotations

from recognizers.base import ChineseRecognizer, Risk
from recognizers.presidio_light import Pattern

ENTITY = "EMAIL_ADDRESS"
EXAMPLES = {
    "valid": ["zhang.san@163.com", "12345678@qq.com", "li_si+bank@example.com.cn", "A.B-C@mail.icbc.com.cn"],
    "invalid": ["icon@2x.png", "zhang..san@163.com", "user@localhost", "a@b.c", "x@-bad.com", ".a@b.com"],
}

# Top-level labels that are file extensions far more often than domains in logs.
FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg bmp webp ico js css html htm java class jar py log txt xml json yml yaml"
    " zip gz tar rar pdf doc docx xls xlsx csv properties".split()
)
_LOCAL = r"[A-Za-z0-9._%+\-]{1,64}"
_DOMAIN = r"(?:[A-Za-z0-9\-]{1,63}\.){1,8}[A-Za-z]{2,24}"


def is_valid(address: str) -> bool:
    """Tell whether an address has a sound local part and domain.

    >>> is_valid("zhang.san@163.com"), is_valid("icon@2x.png"), is_valid("a..b@163.com")
    (True, False, False)
    """
    local, _, domain = address.rpartition("@")
    if not local or len(address) > 254 or not address.isascii():
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or any(not label or label[0] == "-" or label[-1] == "-" for label in labels):
        return False
    return labels[-1].isalpha() and labels[-1].lower() not in FILE_EXTENSIONS


class EmailAddressRecognizer(ChineseRecognizer):
    """E-mail addresses (电子邮箱)."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("email_address", r"(?<![A-Za-z0-9._%+\-])(" + _LOCAL + "@" + _DOMAIN + r")(?![A-Za-z0-9\-]|\.[A-Za-z0-9])",
                0.7),
    )
    MASKED_PATTERNS = (
        Pattern("email_address_masked",
                r"(?<![A-Za-z0-9._%+\-*])([A-Za-z0-9._%+\-]{0,3}\*{2,}[A-Za-z0-9._%+\-]{0,2}@" + _DOMAIN
                + r")(?![A-Za-z0-9\-]|\.[A-Za-z0-9])", 0.6),
    )
    CONTEXT = ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "mail")
    COLUMN_HINTS = ("yx", "dzyx", "email", "mail", "emailaddr", "emailaddress")
    NEEDLES = ("@",)
    RISK = Risk("C2", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a syntactically sound address."""
        return is_valid(pattern_text)

    def normalize(self, value: str) -> str:
        """Return the address lower-cased (domains are case-insensitive, and so in practice are mailboxes)."""
        return value.lower()

    def mask(self, value: str) -> str:
        """Keep the first character of the local part and the domain: z***@163.com."""
        local, _, domain = value.rpartition("@")
        return local[:1] + "***@" + domain
