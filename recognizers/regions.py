"""GB/T 2260 county-level codes: the first six digits of a resident ID number.

Built from python-stdnum's ``cn/loc.dat`` as the union of every code ever published, ignoring
its validity years: codes are frozen at assignment, so an abolished code (110103 崇文区) still
appears on the cards of the people who hold it, and stdnum's year windows reject 1,296 of 2,000
Faker IDs for that reason alone (FORMATS.md §1.3, §7.1).
"""

from __future__ import annotations

import functools
import os
import re

import stdnum.cn

# Residence permits for Hong Kong, Macau and Taiwan residents use these province-level codes.
RESIDENCE_PERMIT_CODES = frozenset({"810000", "820000", "830000"})
# Province prefixes of mainland citizens, plus 71 (Taiwan) and 81-83 (residence permits).
PROVINCE_PREFIXES = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
                      *range(50, 55), *range(61, 66))] + ["71", "81", "82", "83"]
)

_LINE_RE = re.compile(r"^(\s*)(\d+) ")
# A name in the table: county="[1983-]朝阳区" (its years), or two names of one code (丽水地区,[1982-1994]台州地区).
_NAME_RE = re.compile(r'(?:^|,)(?:\[[^\]]*\])?([^,"\[]+)')
_NAMED_LINE_RE = re.compile(r'^(\s*)(\d+) (?:province|county)="([^"]*)"')
# Entries that name a kind of area, not a place (北京 110100 市辖区).
_NOT_PLACES = frozenset({"市辖区", "县", "区", "城区", "郊区", "矿区", "东区", "西区", "南区", "北区", "中区",
                         "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖行政单位"})
# What a province's or a prefecture's name ends with; the name without it is how addresses are
# often written (广东深圳南山区…, 广西南宁…).
_LEVEL_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "自治州", "地区",
                   "省", "市", "盟")


@functools.lru_cache(maxsize=1)
def county_codes() -> frozenset[str]:
    """Return every six-digit area code stdnum's table has ever listed, plus residence permits."""
    path = os.path.join(os.path.dirname(stdnum.cn.__file__), "loc.dat")
    codes = set(RESIDENCE_PERMIT_CODES)
    province = ""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            match = _LINE_RE.match(line)
            if match is None:
                continue
            indent, digits = match.groups()
            if not indent:
                province = digits
            elif len(province + digits) == 6:
                codes.add(province + digits)
    # Every prefecture-level city has a 市辖区 code, xxxx01 (FORMATS.md §1.3), but the table lists
    # it only where Wikipedia's pages did: 嘉峪关 (620200) has none, and its residents' IDs start
    # 620201 (Faker draws such IDs; the accuracy corpus of 2026-11-28 missed one).
    codes.update(code[:4] + "01" for code in list(codes) if code.endswith("00") and not code.endswith("0000"))
    return frozenset(codes)


def is_known_area(code: str) -> bool:
    """Tell whether a six-digit code is a GB/T 2260 area (any year) or a residence-permit code.

    >>> is_known_area("110105"), is_known_area("110103"), is_known_area("810000"), is_known_area("620201")
    (True, True, True, True)
    >>> is_known_area("119999"), is_known_area("201234")
    (False, False)
    """
    return code[:2] in PROVINCE_PREFIXES and code in county_codes()


@functools.lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Return the place names an address may start with: every province, prefecture and county
    that stdnum's GB/T 2260 table has ever listed, and the provinces' and prefectures' names
    without their suffix (广东, 深圳). A bare address must start with one (``cn_address``).

    >>> {"北京市", "北京", "朝阳区", "延边朝鲜族自治州", "广西", "深圳"} <= place_names()
    True
    >>> "市辖区" in place_names() or "城区" in place_names()
    False
    """
    path = os.path.join(os.path.dirname(stdnum.cn.__file__), "loc.dat")
    names = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            match = _NAMED_LINE_RE.match(line)
            if match is None:
                continue
            indent, digits, listed = match.groups()
            county_level = bool(indent) and not digits.endswith("00")
            for name in _NAME_RE.findall(listed):
                names.add(name)
                if not county_level:
                    names.update(_short_name(name))
    return frozenset(name for name in names if len(name) >= 2 and name not in _NOT_PLACES)


def _short_name(name: str) -> list[str]:
    """Return a province's or prefecture's name without its suffix, where two characters or more are left."""
    for suffix in _LEVEL_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return [name[:-len(suffix)]]
    return []
