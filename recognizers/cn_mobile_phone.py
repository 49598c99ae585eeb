"""Mainland mobile numbers (11 digits, assigned segments), with +86 / 0086 / (+86) prefixes.

Rules: FORMATS.md §3.1. phonenumbers rejects the assigned 149 data segment, so the segment
table is ours; 174 is assigned only to 17400-17412 and 1749. A bare 86 before the number
(``8613812345678``, as SMS gateways log it) and the trunk 0 that dialling another city's mobile
once took (``013812345678``, kept in old customer records) are read only beside a mobile's context
word (FORMATS.md: "accept it only with context"): without one, a 13-digit number beginning 86 or
a 12-digit one beginning 01 is as likely an account or an order number.
"""

from __future__ import annotations

import re

from recognizers.base import NO_DECIMALS_AFTER, NOT_A_FRACTION, ChineseRecognizer, Risk, mask_middle, not_after
from recognizers.presidio_light import Pattern

ENTITY = "CN_MOBILE_PHONE"
EXAMPLES = {
    "valid": ["13812345678", "+86 138-1234-5678", "008613812345678", "(+86)138 1234 5678",
              "19212345678", "16212345678", "14712345678"],
    "invalid": ["14612345678", "19412345678", "15412345678", "1700000000123"],
}

_SEGMENT_REST = r"(?:3\d|4[579]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"  # after the 1; 174: post-check
_SEGMENT = "1" + _SEGMENT_REST
# Nor one of a run of numbers joined by dashes: SVG path data ("-10-195-4444-1860-5822") and
# dash-separated codes hold 11 digits in mobile-like groups (seen scanning a web app's assets).
_NOT_IN_DASHED_RUN = r"(?<!\d-.)"
_ALONE = not_after("0-9A-Za-z+") + NOT_A_FRACTION + _NOT_IN_DASHED_RUN
_ALONE_MASKED = not_after("0-9A-Za-z*+")
_SATELLITE_174 = re.compile(r"174(?:0\d|1[0-2]|9)")
# Compiled once: re.fullmatch(_SEGMENT + ...) per call paid a concatenation and a cache lookup.
_MOBILE = re.compile(_SEGMENT + r"\d{8}")
_SEPARATORS = re.compile(r"[\s\-()]")


def compact(number: str) -> str:
    """Drop separators and a +86, 0086, (+86) or bare 86 prefix, or a trunk 0.

    >>> compact("(+86)138 1234-5678"), compact("86-13812345678"), compact("013812345678")
    ('13812345678', '13812345678', '13812345678')
    """
    if len(number) == 11 and number.isdigit() and not number.startswith("0086"):
        return number  # the common case, without a regex call (compact runs for every candidate)
    number = _SEPARATORS.sub("", number)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            return number[len(prefix):]
    if (len(number) == 13 and number.startswith("86")) or (len(number) == 12 and number.startswith("01")):
        return number[-11:]
    return number


def is_valid(number: str) -> bool:
    """Tell whether a number is 11 digits in an assigned mobile segment.

    >>> is_valid("13812345678"), is_valid("17400123456"), is_valid("17450123456"), is_valid("14612345678")
    (True, True, False, False)
    """
    number = compact(number)
    if len(number) != 11 or not number.isdigit() or not number.isascii():
        return False
    if _MOBILE.fullmatch(number) is None:
        return False
    return not number.startswith("174") or _SATELLITE_174.match(number) is not None


def is_placeholder(number: str) -> bool:
    """Tell whether the subscriber part is one repeated digit (13800000000): test data or an amount.

    >>> is_placeholder("13800000000"), is_placeholder("13888888888"), is_placeholder("13812345678")
    (True, True, False)
    """
    tail = compact(number)[3:]
    return len(set(tail)) == 1


class CnMobilePhoneRecognizer(ChineseRecognizer):
    """Mainland mobile numbers (手机号码)."""

    ENTITY = ENTITY
    PATTERNS = (
        # +86, 0086, (+86), (86), a bare 86, a trunk 0 or nothing before the number, and no letter,
        # digit or + before that: one alternative per first character, the boundary checked after
        # it (base.not_after). A bare 86 or a trunk 0 scores below the threshold (``base_score``):
        # one pattern, not a second one for them, which cost the bench logs 30% more instructions.
        Pattern("cn_mobile_phone",
                r"((?:\+" + _ALONE + r"86[ \-]?1|0" + _ALONE + r"(?:086[ \-]?)?1|\(" + _ALONE + r"\+?86\) ?1|8" + _ALONE
                + r"6[ \-]?1|1" + _ALONE + ")" + _SEGMENT_REST + r"(?:[ \-]?\d{4}){2})(?![0-9A-Za-z]|-\d)"
                + NO_DECIMALS_AFTER, 0.7),
    )
    MASKED_PATTERNS = (
        Pattern("cn_mobile_phone_masked",
                r"((?:\+" + _ALONE_MASKED + r"86[ \-]?1|0" + _ALONE_MASKED + r"086[ \-]?1|1" + _ALONE_MASKED
                + r")[3-9]\d[ \-]?\*{4}[ \-]?\d{4})(?![0-9A-Za-z*])", 0.6),
    )
    CONTEXT = ("手机", "移动电话", "联系电话", "联系方式", "电话", "预留手机", "绑定手机", "紧急联系人",
               "mobile", "phone", "tel:", "tel ")
    COLUMN_HINTS = ("sjhm", "sjh", "sj", "yddh", "lxdh", "dh", "ylsjh", "jjlxrdh", "mobile",
                    "mobileno", "phone", "phoneno", "tel", "cellphone")
    # Sizes in bytes: 17179869184 (16 GiB) and 16769056768 are 11 digits in assigned segments, and
    # JVM and Node.js reports print them as "maxMemory:" and "total_memory" (seen scanning a server).
    NEGATIVE_CONTEXT = ("金额", "余额", "订单", "流水", "单号", "amount", "balance", "order", "qq",
                        "memory", "内存", "bytes", "字节", "size", "大小", "容量", "heap", "swap", "disk", "磁盘")
    NEGATIVE_COLUMN_HINTS = ("je", "jyje", "ye", "amt", "amount", "balance", "ddh", "lsh", "orderno")
    # 11 digits with or without the two separators.
    NEEDLES = ("00000000000", "000-0000-0000", "0000000-0000", "000-00000000")
    # The masked pattern after its +86 or 0086: every masked value holds it. A needle "****" was
    # matched at each star of every masked value, and woke this recognizer for masked cards.
    SCREENS = (r"1[3-9][0-9][ \-]?\*{4}[ \-]?[0-9]{4}",)
    RUN_LENGTHS = (11, 12, 13, 15)  # 11 digits, or glued to a trunk 0, to 86 or to 0086
    RUN_PATTERN = r"(?:0086|86|0)?" + _SEGMENT + r"\d{8}"
    RISK = Risk("C2", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a number in an assigned segment."""
        return is_valid(pattern_text)

    def run_may_hold(self, run: str) -> bool:
        """Tell whether a run is 11 valid digits, alone or glued to a trunk 0, or to the country
        code 86 or 0086."""
        prefix = {11: "", 12: "0", 13: "86", 15: "0086"}.get(len(run))
        return prefix is not None and run.startswith(prefix) and self.validated(run[len(prefix):])

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Score placeholders (13800000000), and numbers after a bare 86 or a trunk 0, below the
        threshold unless context supports them."""
        return 0.3 if is_placeholder(value) or value.startswith(("86", "01")) else pattern.score

    def normalize(self, value: str) -> str:
        """Return the bare 11 digits."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the first 3 and last 4 digits: 138****5678."""
        return mask_middle(compact(value), 3, 4)
