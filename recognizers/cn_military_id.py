"""Military identity documents (军官证, 士兵证, 文职干部证), with context only.

Rules: FORMATS.md §5.7. No numbering rule was ever published for the 1998 documents; their
printed form is a unit or region character, 字第, four to eight digits and 号:
``南字第12345678号``. The 2016 documents (国防部, 2016-06-29: 军官证 and 文职干部证 "统一采取'军'冠字头
加7位数字"; 义务兵证 "兵", 士官证 "士", 文职人员证 "文", 职工证 "职" and digits; 2022: 军士证 "士",
军士/警士退休证 "军退"/"警退") print a head character and digits: ``军1234567``. Forms found here:

* ``南字第12345678号``, the 1998 form, and ``南字 12345678`` without 第 (a unit character from
  ``UNITS`` only: 数字 and 汉字 end in 字 too);
* ``军1234567`` (exactly seven digits), ``兵``/``士``/``文``/``职``/``军退``/``警退`` and 5-10 digits;
* a bare number, ``12345678`` (6-8 digits) or ``第1234号``, only with its keyword or key right
  before it (``军官证号：12345678``, ``证件类型:军官证 证件号码:12345678``, ``"jgzh":"12345678"``)
  or in a column that names the document: six to eight digits are everywhere, and a keyword 30
  characters away may name the number before (军官证 南字第… 有效期 20301231).

字第 also numbers court cases, property certificates and official letters (京民初字第123号), so
every form is reported only where a keyword (军官证, 士兵证, 军人证...), a field's key or a
column names the document.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle
from recognizers.context import field_key_regex
from recognizers.presidio_light import Pattern

ENTITY = "CN_MILITARY_ID"
EXAMPLES = {
    "valid": ["南字第12345678号", "空字第0012345号", "北字第4321号", "海字第87654321", "南字 12345678",
              "军1234567", "士20161234"],
    # Too few digits, too many, no unit character, a letter among the digits, 数字 (no unit),
    # 军 with six digits.
    "invalid": ["南字第123号", "南字第123456789号", "字第12345678号", "南字第1234567A号", "数字 12345678",
                "军123456"],
}

# Unit and region characters of the 1998 numbers [R: FORMATS.md §5.7; "解放军证件编号一般为兵种或所属军区
# 第一个汉字开头" on answer sites]: the seven military regions, the services, the general departments,
# the theatres since 2016, and 武 (武警).
UNITS = "北沈济南广成兰海空炮火战联武参政后装总东西中军"

_ZI_DI = r"[\u4e00-\u9fa5]字第\d{4,8}(?![0-9A-Za-z])号?"
_ZI = "[" + UNITS + r"]字 ?\d{4,8}(?![0-9A-Za-z])号?"
# A head character glued to digits must not end a word (护士12345, 公文123456): after a CJK
# character only after 号, 码 or 证 (军官证号军1234567).
_HEAD = r"(?:(?<![\u4e00-\u9fa5])|(?<=[号码证]))"
_NEW = _HEAD + r"(?:军\d{7}|(?:军退|警退|[兵士文职])\d{5,10})(?![0-9A-Za-z])"
_BARE = r"(?<![0-9A-Za-z])(?:第 ?\d{4,8} ?号?|\d{6,8})(?![0-9A-Za-z])"
_NUMBER_RE = re.compile("|".join((_ZI_DI, _ZI, _NEW)), re.ASCII)
_BARE_RE = re.compile(_BARE, re.ASCII)
_HEAD_RE = re.compile(r"[^0-9]*")

KEYWORDS = ("军官证", "士兵证", "军人证", "文职干部证", "文职人员证", "军人保障卡", "武警警官证", "军人身份",
            "义务兵证", "士官证", "军士证", "military id")
COLUMN_HINTS = ("jgz", "jgzh", "jgzhm", "sbz", "sbzh", "wzgbz", "jrz", "jrzh", "militaryid", "militaryno",
                "militaryidno")
# What may stand between a keyword and a bare number: 号, 号码, a field of its own (证件号码), and
# what parts a label from its value. Searched at the end of the text before the number.
_KEYWORD_JUST_BEFORE = re.compile(
    "(?:" + "|".join(map(re.escape, KEYWORDS)) + r")(?:号码|证号|编号|号)?"
    r"""(?:[\s,;|]*(?:证件号码|证件号|号码|编号|no|number))?["'\s]*[:=]?["'\s]*$""", re.IGNORECASE)
_KEY_JUST_BEFORE = re.compile(field_key_regex(COLUMN_HINTS) + "$", re.ASCII)
# Characters before a bare number searched for its keyword: 证件类型:文职干部证 证件号码: is 16.
_JUST_BEFORE_WINDOW = 24


def is_valid(number: str) -> bool:
    """Tell whether a number has a printed form: 南字第12345678号, 南字 12345678, 军1234567.

    >>> is_valid("南字第12345678号"), is_valid("南字 12345678"), is_valid("军1234567"), is_valid("南字第123号")
    (True, True, True, False)
    """
    return _NUMBER_RE.fullmatch(number) is not None


def is_bare(number: str) -> bool:
    """Tell whether a number is bare digits, or 第 digits 号: it says nothing of its document.

    >>> is_bare("12345678"), is_bare("第1234号"), is_bare("12345"), is_bare("南字第1234号")
    (True, True, False, False)
    """
    return _BARE_RE.fullmatch(number) is not None and len(set(number.strip("第号 "))) > 1


class CnMilitaryIdRecognizer(ChineseRecognizer):
    """军官证, 士兵证 and 文职干部证 numbers, reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_military_id", "(" + _ZI_DI + ")", 0.4),
        Pattern("cn_military_id_unit", "(" + _ZI + ")", 0.4),
        Pattern("cn_military_id_2016", "(" + _NEW + ")", 0.4),
        # Bare: context only from a keyword or key right before it or a column (_contextual_score).
        Pattern("cn_military_id_bare", "(" + _BARE + ")", 0.4),
    )
    CONTEXT = KEYWORDS
    COLUMN_HINTS = COLUMN_HINTS
    # 字第 numbers of other papers: a court case's, an official letter's, a property certificate's.
    NEGATIVE_CONTEXT = ("案号", "文号", "发文", "判决", "裁定", "房权证", "产权证", "不动产", "土地证")
    NEGATIVE_COLUMN_HINTS = ("ah", "wh", "fwzh", "cqzh")
    NEGATIVE_BEFORE_WINS = True  # 案号 just before a number outweighs a keyword further back
    RISK = Risk("C2", True)  # an identity document, and a military one: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a number of a printed form, or a bare one (scored by its context)."""
        return is_valid(pattern_text) or is_bare(pattern_text)

    def _contextual_score(self, text: str, start: int, end: int, score: float, external: int) -> float:
        """Score a bare number up only where a column names the document or its keyword or key
        stands right before it; any other number as every recognizer does."""
        if external <= 0 and is_bare(text[start:end]) and not _named_just_before(text, start):
            return score
        return super()._contextual_score(text, start, end, score, external)

    def normalize(self, value: str) -> str:
        """Return the head (南字第, 军, nothing for a bare number) and the digits, without 号."""
        number = value.replace(" ", "").removesuffix("号").removeprefix("第")
        if len(number) > 1 and number[1] == "字" and number[2:3] != "第":
            number = number[:2] + "第" + number[2:]
        return number

    def mask(self, value: str) -> str:
        """Keep the head and the last two digits: 南字第******78号, 军*****67, 第******78号."""
        number = value.replace(" ", "").removesuffix("号")
        head = _HEAD_RE.match(number).end()
        masked = number[:head] + mask_middle(number[head:], 0, 2)
        return masked + "号" if value.endswith("号") else masked


def _named_just_before(text: str, start: int) -> bool:
    """Tell whether a keyword (军官证号：) or a field's key (``"jgzh":"``) ends right before ``start``."""
    before = text[max(0, start - _JUST_BEFORE_WINDOW):start]
    return _KEYWORD_JUST_BEFORE.search(before) is not None or _KEY_JUST_BEFORE.search(before) is not None
