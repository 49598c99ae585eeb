"""Military identity documents (军官证, 士兵证, 文职干部证), with context only.

Rules: FORMATS.md §5.7. No official numbering rule was found; the printed form is a unit or
region character, 字第, four to eight digits and 号: ``南字第12345678号``. 字第 also numbers court
cases, property certificates and official letters (京民初字第123号), so a number is reported only
where a keyword (军官证, 士兵证, 军人证...), a field's key or a column names the document. A
number written without 字第 (军官证号 12345678) has no shape of its own and is not found.
"""

from __future__ import annotations

import re

from recognizers.base import ChineseRecognizer, Risk, mask_middle
from recognizers.presidio_light import Pattern

ENTITY = "CN_MILITARY_ID"
EXAMPLES = {
    "valid": ["南字第12345678号", "空字第0012345号", "北字第4321号", "海字第87654321"],
    # Too few digits, too many, no unit character, a letter among the digits.
    "invalid": ["南字第123号", "南字第123456789号", "字第12345678号", "南字第1234567A号"],
}

_NUMBER = r"[\u4e00-\u9fa5]字第\d{4,8}(?![0-9A-Za-z])号?"
_NUMBER_RE = re.compile(_NUMBER, re.ASCII)


def is_valid(number: str) -> bool:
    """Tell whether a number has the printed form: a character, 字第, 4-8 digits, 号.

    >>> is_valid("南字第12345678号"), is_valid("南字第123号"), is_valid("12345678")
    (True, False, False)
    """
    return _NUMBER_RE.fullmatch(number.replace(" ", "")) is not None


class CnMilitaryIdRecognizer(ChineseRecognizer):
    """军官证, 士兵证 and 文职干部证 numbers, reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_military_id", "(" + _NUMBER + ")", 0.4),
    )
    CONTEXT = ("军官证", "士兵证", "军人证", "文职干部证", "文职人员证", "军人保障卡", "武警警官证", "军人身份",
               "military id")
    COLUMN_HINTS = ("jgz", "jgzh", "jgzhm", "sbz", "sbzh", "wzgbz", "jrz", "jrzh", "militaryid", "militaryno",
                    "militaryidno")
    # 字第 numbers of other papers: a court case's, an official letter's, a property certificate's.
    NEGATIVE_CONTEXT = ("案号", "文号", "发文", "判决", "裁定", "房权证", "产权证", "不动产", "土地证")
    NEGATIVE_COLUMN_HINTS = ("ah", "wh", "fwzh", "cqzh")
    NEGATIVE_BEFORE_WINS = True  # 案号 just before a number outweighs a keyword further back
    RISK = Risk("C2", True)  # an identity document, and a military one: PIPL Art. 28 特定身份

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for a number of the printed form."""
        return is_valid(pattern_text)

    def normalize(self, value: str) -> str:
        """Return the character, 字第 and the digits, without 号."""
        return value.replace(" ", "").removesuffix("号")

    def mask(self, value: str) -> str:
        """Keep the unit's character and the last two digits: 南字第******78号."""
        number = self.normalize(value)
        masked = number[:3] + mask_middle(number[3:], 0, 2)
        return masked + "号" if value.endswith("号") else masked
