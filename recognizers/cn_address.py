"""Chinese postal addresses, best effort: a keyword or an address column, and admin levels.

Rules: FORMATS.md §5.12. An address is found after a keyword (住址：…, 家庭地址 …) or a field's
key that a column hint names (address=…, "jtzz":"…"), or as a whole cell in a column such as
jtzz or addr, and must hold at least two hierarchical levels
(省, 市, 区, 县, 镇, 路, 街, 号, 室 …). It stops before a digit run of seven or more (a phone)
and before the next keyword (手机, 电话), so neighbouring fields are not swallowed.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk
from recognizers.context import field_key_regex
from recognizers.presidio_light import Pattern

ENTITY = "CN_ADDRESS"
EXAMPLES = {
    "valid": ["北京市海淀区中关村大街27号", "广东省深圳市南山区科技园路1号", "上海市浦东新区陆家嘴环路1000号3楼",
              "内蒙古自治区呼和浩特市新城区"],
    "invalid": ["未知", "无", "同上", "北京"],
}

KEYWORDS = ("地址", "住址", "户籍地", "居住地", "住所", "所在地", "通讯地址", "家庭地址", "联系地址", "现住址")
_LEVEL_RE = re.compile(
    "特别行政区|自治区|自治州|自治县|街道|胡同|单元|小区|花园|大厦|公寓|"
    "[省市州盟区县旗镇乡村路街道巷弄号栋幢座室楼层苑院]"
)
_DISTRICT_RE = re.compile(r"^.{0,12}?(?:区|县|旗)|^.{0,8}?(?:市|州|盟)|^.{0,6}?省")
# Fields that often follow an address in one log line.
_STOP = "手机|电话|邮箱|身份证|姓名|证件|卡号|联系人|邮编"
_TOKEN = r"(?:(?!" + _STOP + r")[\u4e00-\u9fa5A-Za-z#\-()（）]|\d{1,6}(?!\d))"
_ADDRESS = r"[\u4e00-\u9fa5]" + _TOKEN + "{3,60}"
COLUMN_HINTS = ("dz", "zz", "jtzz", "hjdz", "txdz", "xzz", "jzd", "jzdz", "dwdz", "lxdz", "csd", "addr", "address",
                "homeaddr", "homeaddress", "custaddr", "contactaddr", "contactaddress")
# A keyword, or a field's key in a log line that a column hint names (address=, "jtzz":") or
# that ends in addr or address (mailingAddress=, reg_addr=): the value must still read as a
# Chinese address of two levels, so remoteAddr=10.0.0.1 or "ipAddress":"…" gives nothing.
_KEYWORD_RE = ("(?:" + "|".join(KEYWORDS) + "|" + field_key_regex(COLUMN_HINTS) + "|"
               + field_key_regex(("addr", "address"), ending=True) + ")")
_AFTER_KEYWORD = r"(?:[:：=\s]|为|是|在)*"
_SPACES_RE = re.compile(r"\s+")


def levels(address: str) -> int:
    """Return how many administrative or street-level markers an address holds.

    >>> levels("北京市海淀区中关村大街27号"), levels("同上")
    (5, 0)
    """
    return len(_LEVEL_RE.findall(address))


def is_valid(address: str) -> bool:
    """Tell whether a text holds at least two levels of an address.

    >>> is_valid("广东省深圳市南山区"), is_valid("北京")
    (True, False)
    """
    return levels(address) >= 2


class CnAddressRecognizer(ChineseRecognizer):
    """Chinese postal addresses (地址), after a keyword or in an address column."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_address_keyword", _KEYWORD_RE + _AFTER_KEYWORD + "(" + _ADDRESS + ")", 0.3),
        # A whole cell; a trailing postcode is allowed (北京市…27号 100080).
        Pattern("cn_address_cell", r"^\s*(" + _ADDRESS + r")(?:\s+\d{6})?\s*$", 0.3),
    )
    MASKED_PATTERNS = (
        Pattern("cn_address_masked", _KEYWORD_RE + _AFTER_KEYWORD
                + r"([\u4e00-\u9fa5]{2,14}\*{3,})", 0.4),
    )
    CONTEXT = KEYWORDS + ("address", "addr")
    COLUMN_HINTS = COLUMN_HINTS
    NEGATIVE_COLUMN_HINTS = ("ipdz", "ip", "mac", "url", "wz", "email")
    RISK = Risk("C2", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for text with at least two address levels."""
        return is_valid(pattern_text)

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Score fuller addresses higher: three levels and a number look like a real address."""
        full = levels(value) >= 3 and any(c.isdigit() for c in value)
        return pattern.score + (0.1 if full else 0.0)

    def normalize(self, value: str) -> str:
        """Return the address without spaces."""
        return _SPACES_RE.sub("", value)

    def mask(self, value: str) -> str:
        """Keep the address down to its district: 北京市海淀区****."""
        value = self.normalize(value)
        match = _DISTRICT_RE.search(value)
        kept = match.group() if match else value[:2]
        if len(value) - len(kept) < 4:  # a bare district would be shown whole: keep less
            kept = value[:min(3, len(value) // 2)]
        return kept + "****"
