"""Chinese personal names, best effort: a surname, one or two more characters, and context.

Rules: FORMATS.md §5.11. Two- to four-character strings that start with a surname are
everywhere in Chinese text, so a name is found only right after a keyword (姓名：张三) or a
field's key that a column hint names (custName=张三, "khxm":"张三", <xm>张三</xm>), or as a
whole cell, which then needs a column that says "name" (xm, khxm) to be reported.
"""

from __future__ import annotations

import functools
from importlib import resources

from presidio_analyzer import Pattern

from recognizers.base import ChineseRecognizer, Risk
from recognizers.context import field_key_regex

ENTITY = "PERSON"
EXAMPLES = {
    "valid": ["张三", "王小明", "欧阳娜娜", "司马懿", "阿卜杜拉·艾买提"],
    "invalid": ["张某", "李先生", "王某某", "中国银行", "123"],
}

KEYWORDS = ("姓名", "户名", "联系人", "持卡人", "收款人", "付款人", "开户人", "客户姓名", "法定代表人",
            "借款人", "申请人", "投保人", "被保险人", "经办人", "紧急联系人", "收件人", "账户名")
# Words that make a "name" a title or an anonymised form: 张先生, 王某.
NOT_NAMES = ("某", "先生", "女士", "小姐", "老师", "经理", "总", "行长", "主任", "同学", "师傅",
             # 借款人于今日已还款: 于 is a surname, and a day is no given name.
             "今日", "今天", "昨日", "当日", "次日", "本日")
# Field labels that follow a keyword on forms and receipts (收款人信息, 申请人单位, 联系人关系) and
# begin with a surname (信, 单, 关, ...): the label, not a name.
FIELD_WORDS = ("信息", "单位", "关系", "户名", "代码", "国籍", "年龄", "名称", "签名", "签字", "签章", "证件",
               "地址", "电话", "账号", "帐号", "编号", "类型", "性别", "职业", "住址", "联系")


@functools.lru_cache(maxsize=1)
def surnames() -> tuple[str, str]:
    """Return the single-character surnames as one string, and a regex of the compound ones."""
    text = resources.files("recognizers").joinpath("data/surnames.txt").read_text("utf-8")
    names = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    single = "".join(n for n in names if len(n) == 1)
    compound = "|".join(n for n in names if len(n) == 2)
    return single, compound


def _name_regex() -> str:
    single, compound = surnames()
    han = r"[\u4e00-\u9fa5]"
    return (f"(?:{compound}|[{single}]){han}{{1,2}}"  # 张三, 王小明, 欧阳娜娜
            f"|{han}{{1,8}}·{han}{{1,8}}")  # 阿卜杜拉·艾买提


def _masked_regex() -> str:
    single, compound = surnames()
    return f"(?:{compound}|[{single}])\\*{{1,3}}"


def is_valid(name: str) -> bool:
    """Tell whether a name is not a title, an anonymised form or a form's field label.

    >>> is_valid("张三"), is_valid("张某"), is_valid("李先生"), is_valid("信息")
    (True, False, False, False)
    """
    return not any(word in name[1:] for word in NOT_NAMES) and not name.startswith(FIELD_WORDS)


# Words that may follow a name with no space or punctuation between (收款人张三已确认, 客户李四办理开户):
# Chinese writes none, so a name glued to one of them ends there. Only words that begin no given
# name: a name glued to other text stays unreported, where its end cannot be told.
FOLLOW_WORDS = ("已", "办理", "申请", "的", "先生", "女士", "来电", "来行", "名下", "本人", "签字", "签名", "确认")


def _keyword(word: str) -> str:
    """Return the regex of a keyword: 用户名 is a login name, not a person's (请输入用户名和密码
    named 和密码), and 名单 a list (客户名单如下 named 单如下)."""
    return ("(?<!用)" if word == "户名" else "") + word + ("(?!单)" if word.endswith("名") else "")


COLUMN_HINTS = ("xm", "khxm", "khmc", "hm", "zhmc", "ckrxm", "skrxm", "fkrxm", "lxr", "fddbr", "cyrxm", "name",
                "custname", "customername", "acctname", "accountname", "holdername", "contactname",
                "payername", "payeename", "username", "realname", "fullname",
                # The roles a bank's systems name people by, as Java fields (borrowerName=).
                "clientname", "borrowername", "guarantorname", "spousename", "applicantname",
                "receivername", "recvname", "truename", "userrealname", "legalperson",
                "legalrepname", "cardholder", "custnm")
# A keyword, or a field's key in a log line that a column hint names (custName=, "khxm":").
_KEYWORD_RE = "(?:" + "|".join(map(_keyword, KEYWORDS)) + "|" + field_key_regex(COLUMN_HINTS) + ")"
_AFTER_KEYWORD = r"(?:[:：=\s]|为|是)*"
# After a name: no more Chinese (nor a star), unless a follow word starts there; and no name ends
# with 已 or 的, so 张三已确认 is 张三 before 已确认, not 张三已 before 确认.
_NAME_END = r"(?<![已的])(?:(?![\u4e00-\u9fa5*])|(?=" + "|".join(FOLLOW_WORDS) + "))"


class PersonRecognizer(ChineseRecognizer):
    """Chinese personal names (姓名), after a keyword or in a name column."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("person_keyword", _KEYWORD_RE + _AFTER_KEYWORD + "(" + _name_regex() + ")" + _NAME_END, 0.6),
        Pattern("person_cell", r"^\s*(" + _name_regex() + r")\s*$", 0.3),
    )
    MASKED_PATTERNS = (
        Pattern("person_keyword_masked", _KEYWORD_RE + _AFTER_KEYWORD + "(" + _masked_regex() + ")" + _NAME_END,
                0.6),
        Pattern("person_cell_masked", r"^\s*(" + _masked_regex() + r")\s*$", 0.3),
    )
    CONTEXT = KEYWORDS + ("name",)
    COLUMN_HINTS = COLUMN_HINTS
    NEGATIVE_COLUMN_HINTS = ("jgmc", "dwmc", "gsmc", "yhmc", "company", "branch", "product")
    NEEDLES = KEYWORDS  # the patterns that score 0.5 or more follow a keyword
    RISK = Risk("C2", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True unless the name is a title or anonymised."""
        return is_valid(pattern_text)

    def normalize(self, value: str) -> str:
        """Return the name as written."""
        return value.strip()

    def mask(self, value: str) -> str:
        """Keep the surname: 张*, 王**, 欧阳*."""
        _, compound = surnames()
        keep = 2 if value[:2] in compound.split("|") else 1
        return value[:keep] + "*" * (len(value) - keep)
