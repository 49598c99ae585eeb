"""Chinese postal addresses, best effort: a keyword or an address column, and admin levels.

Rules: FORMATS.md §5.12. An address is found after a keyword (住址：…, 家庭地址 …) or a field's
key that a column hint names (address=…, "jtzz":"…"), or as a whole cell in a column such as
jtzz or addr, and must hold at least two hierarchical levels
(省, 市, 区, 县, 镇, 路, 街, 号, 室 …). It stops before a digit run of seven or more (a phone)
and before the next keyword (手机, 电话), so neighbouring fields are not swallowed.

A full address is found with no keyword at all (配送至北京市朝阳区建国路88号3号楼502室): from a
place name of GB/T 2260 (``recognizers.regions.place_names``) to a street's house number, three
levels or more. FORMATS.md §5.12 calls that shape high-confidence; a log line or an unnamed column
holds such addresses as often as an address field does.
"""

from __future__ import annotations

import re

from recognizers.base import MIN_SCORE, ChineseRecognizer, Risk
from recognizers.context import field_key_alternatives
from recognizers.presidio_light import Pattern
from recognizers.regions import place_names

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
# Each alternative begins with a character of its own, so that `re` skips ahead (person's _KEYWORD_RE).
_KEYWORD_RE = ("(?:" + "|".join([*KEYWORDS, *field_key_alternatives(COLUMN_HINTS),
                                 *field_key_alternatives(("addr", "address"), ending=True)]) + ")")
_AFTER_KEYWORD = r"(?:[:：=\s]|为|是|在)*"
_SPACES_RE = re.compile(r"\s+")

# A street and its house number (建国路88号, 中关村大街27号, 世纪大道甲100-2号, 幸福里3号): where a
# full address is searched for backwards; the detector's screen searches the same (its bytes,
# where a class of Chinese characters would be a class of bytes: alternations only).
_STREET_NUMBER = r"(?:路|街|道|巷|弄|胡同|里)(?:甲|乙|丙|丁)?[0-9]{1,5}(?:-[0-9]{1,4})?号"
_STREET_NUMBER_RE = re.compile(_STREET_NUMBER)
# What follows the house number: building, unit, floor and room (3号楼2单元502室, B座1201室).
_AFTER_NUMBER_RE = re.compile(r"(?:[A-Za-z]?[0-9]{1,5}(?:-[0-9]{1,5})*(?:号楼|号院|号|栋|幢|座|单元|层|楼|室)"
                              r"|[A-Za-z]座)*")
# The characters an address is written in, searched back from its street at most this far.
_ADDRESS_CHAR_RE = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9#\-()（）]")
_FULL_REACH = 40
# The lengths of place names looked for, 广东 to 新疆维吾尔自治区; a longer name (克孜勒苏柯尔克孜自治州)
# starts with its own name without suffix, which is one of these.
_NAME_SIZES = range(2, 9)
# A full address scores this with no context: reported, though nothing names it an address.
FULL_SCORE = MIN_SCORE + 0.05


def levels(address: str) -> int:
    """Return how many administrative or street-level markers an address holds.

    >>> levels("北京市海淀区中关村大街27号"), levels("同上")
    (5, 0)
    """
    return len(_LEVEL_RE.findall(address))


def full_address_start(text: str, street: int, floor: int = 0) -> int:
    """Return where the full address whose street starts at ``street`` begins: the first place
    name of ``place_names`` in the run of address characters before it (not before ``floor``),
    or -1 if none.

    >>> full_address_start("配送至北京市朝阳区建国路88号", 9), full_address_start("支付通道3号", 3)
    (3, -1)
    """
    start = street
    while start > max(floor, street - _FULL_REACH) and _ADDRESS_CHAR_RE.match(text, start - 1):
        start -= 1
    names = place_names()
    for position in range(start, street):
        if any(text[position:position + size] in names for size in _NAME_SIZES):
            return position
    return -1


def full_addresses(text: str) -> list[tuple[int, int]]:
    """Return the spans of full addresses in ``text``: a place name, then a street's house
    number, three address levels or more, and the building and room after it.

    >>> text = "配送至上海市浦东新区世纪大道100号3号楼502室 ok"
    >>> [text[s:e] for s, e in full_addresses(text)]
    ['上海市浦东新区世纪大道100号3号楼502室']
    """
    spans: list[tuple[int, int]] = []
    for street in _STREET_NUMBER_RE.finditer(text):
        floor = spans[-1][1] if spans else 0
        if street.start() < floor:  # a second house number within the address (3号楼 after 88号)
            continue
        start = full_address_start(text, street.start(), floor)
        end = _AFTER_NUMBER_RE.match(text, street.end()).end()
        if start >= 0 and levels(text[start:end]) >= 3:
            spans.append((start, end))
    return spans


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
    # A branch's or a company's address is no person's: these just before a full address keep
    # it below MIN_SCORE unless a keyword or column names it an address (商户地址 still does).
    NEGATIVE_CONTEXT = ("网点", "营业厅", "营业部", "支行", "分行", "门店", "商户", "机构", "公司", "总部")
    NEGATIVE_COLUMN_HINTS = ("ipdz", "ip", "mac", "url", "wz", "email")
    SCREENS = (_STREET_NUMBER,)  # the full addresses, which need no keyword
    # Every other address a line reports follows a keyword (these needles) or a key (the keys'
    # screen), and begins with a Chinese character: "addr" inside ipAddress, macAddress and
    # remoteAddr=10.0.0.1 no longer wakes this recognizer (13.5 µs a line where 0.5 without).
    NEEDLES = KEYWORDS
    NEEDLES_HOLD_ALL = True
    KEY_VALUE_START = r"""[ \t"']*[\xe3-\xe9]"""
    RISK = Risk("C2", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for text with at least two address levels."""
        return is_valid(pattern_text)

    def base_score(self, value: str, pattern: Pattern) -> float:
        """Score fuller addresses higher: three levels and a number look like a real address, and
        a value that starts with a full address (``full_addresses``) needs no context."""
        spans = full_addresses(value)
        if spans and spans[0][0] == 0:
            return FULL_SCORE
        full = levels(value) >= 3 and any(c.isdigit() for c in value)
        return pattern.score + (0.1 if full else 0.0)

    def _candidates(self, text: str) -> list[tuple[int, int, float, str, bool]]:
        """Return ``ChineseRecognizer``'s candidates, and the full addresses, scored ``FULL_SCORE``.

        A keyword's value or a cell that starts where a full address starts is that address
        (``base_score`` scored it). One that starts before it holds other words in front (a
        remark: 客户住北京市…88号): the full address replaces it, its span the address's own.
        """
        found = super()._candidates(text)
        for start, end in full_addresses(text):
            overlapping = [item for item in found if item[0] < end and start < item[1] and not item[4]]
            if any(item[0] == start for item in overlapping):
                continue
            found = [item for item in found if item not in overlapping]
            found.append((start, end, FULL_SCORE, text[start:end], False))
        return found

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
