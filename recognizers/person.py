"""Chinese personal names, best effort: a surname, one or two more characters, and context.

Rules: FORMATS.md §5.11. Two- to four-character strings that start with a surname are
everywhere in Chinese text, so a name is found only right after a keyword (姓名：张三) or a
field's key that a column hint names (custName=张三, "khxm":"张三", <xm>张三</xm>), or as a
whole cell, which then needs a column that says "name" (xm, khxm) to be reported. A key or a
column that says "name" without saying whose (``GENERIC_HINTS``: name, userName) names a product,
a branch or a setting as often as a person, so a common word there (黄金, 周一, 张家港:
``is_common_word``) is not reported; after a keyword or a person's key (姓名：高峰, custName=高峰)
it still is.

A delimited record (a batch file's line, ``20240601|0001|王建国|110105…|138…``; a headerless
CSV's row) names none of its fields: a field there is a name when it has a name's shape, is no
common word, organisation, product, status or place (``is_record_name``), and the same record
holds a person's identifier that its recognizer reports (``RECORD_ENTITIES``: an ID number, a
card, a mobile number): a customer's record. Without one, such a field stays unreported.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Iterable

from recognizers.base import CONTEXT_BOOST, MIN_SCORE, ChineseRecognizer, Risk, to_halfwidth
from recognizers.context import field_key_alternatives, field_key_regex, hint_matches
from recognizers.presidio_light import Pattern, RecognizerResult
from recognizers.records import field_span, record_fields
from recognizers.regions import place_names

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


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Return the common words that the name pattern takes whole (recognizers/data/common_words.txt,
    written from jieba's dictionary and GB/T 2260 by bench/common_words.py)."""
    text = resources.files("recognizers").joinpath("data/common_words.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def is_common_word(value: str) -> bool:
    """Tell whether a name-shaped value is a common word (a weekday, a product, a place) and not only a name.

    >>> is_common_word("黄金"), is_common_word("周一"), is_common_word("张家港"), is_common_word("张伟")
    (True, True, True, False)
    >>> is_common_word("萧山"), is_common_word("高明")  # a district; a district's and a common name
    (True, False)
    """
    return value in common_words()


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
    if word == "户名":  # its lookbehind after its first character: see _KEYWORD_RE
        return "户(?<!用户)名(?!单)"
    return word + ("(?!单)" if word.endswith("名") else "")


COLUMN_HINTS = ("xm", "khxm", "khmc", "hm", "zhmc", "ckrxm", "skrxm", "fkrxm", "lxr", "fddbr", "cyrxm", "name",
                "custname", "customername", "acctname", "accountname", "holdername", "contactname",
                "payername", "payeename", "username", "realname", "fullname",
                # The roles a bank's systems name people by, as Java fields (borrowerName=).
                "clientname", "borrowername", "guarantorname", "spousename", "applicantname",
                "receivername", "recvname", "truename", "userrealname", "legalperson",
                "legalrepname", "cardholder", "custnm",
                # A service bus's abbreviated tags (<AcctNm>, <PyeeNm>) and the pinyin of 收款人名称,
                # 付款人户名 and 对方户名 (skrmc, fkrhm, dfhm), as bank messages and files name them.
                "acctnm", "pyeenm", "pyernm", "cstnm", "clntnm", "rcvrnm",
                "skrmc", "fkrmc", "skrhm", "fkrhm", "dfhm", "dfxm",
                # ISO 20022's (CNAPS2's) debtor and creditor: <Dbtr><Nm>, or flattened, <DbtrNm>.
                "dbtr", "cdtr", "dbtrnm", "cdtrnm")
# Hints that say "a name" but not whose: a product's, a branch's or a setting's as often as a
# person's ({"name":"黄金"}, a dictionary table's name column, a login's userName).
GENERIC_HINTS = ("name", "username")
PERSON_HINTS = tuple(hint for hint in COLUMN_HINTS if hint not in GENERIC_HINTS)
# ISO 20022's (CNAPS2's) parties: a debtor's or a creditor's name is the <Nm> in its element.
_PARTY_NAME = r"<(?:[A-Za-z]\w*:)?(?i:dbtr|cdtr|ultmtdbtr|ultmtcdtr)>\s*<(?:[A-Za-z]\w*:)?(?i:nm)>"
# A keyword, or a field's key in a log line that a column hint names (custName=, "khxm":").
# Each alternative begins with a character of its own, so that `re` skips ahead to where one is:
# it tried the whole alternation at every character, 14 ms for a value of 48,000 Chinese
# characters (a service bus's message), now 0.7 (measured).
_KEYWORD_RE = "(?:" + "|".join([*map(_keyword, KEYWORDS), *field_key_alternatives(COLUMN_HINTS), _PARTY_NAME]) + ")"
_AFTER_KEYWORD = r"(?:[:：=\s]|为|是)*"
# After a name: no more Chinese (nor a star), unless a follow word starts there; and no name ends
# with 已 or 的, so 张三已确认 is 张三 before 已确认, not 张三已 before 确认.
_NAME_END = r"(?<![已的])(?:(?![\u4e00-\u9fa5*])|(?=" + "|".join(FOLLOW_WORDS) + "))"


# The score of a common word after a generic key: below MIN_SCORE even with the boost of the key
# itself or of a keyword nearby ({"xm":"张三","name":"黄金"}).
WORD_SCORE = MIN_SCORE - CONTEXT_BOOST - 0.05
# A generic key ending where a value starts, searched for only before a common word: a pattern
# of its own, run on every line, took 1.5-4 us a line (measured), this 0.1 us a candidate.
_GENERIC_KEY_BEFORE = re.compile(field_key_regex(GENERIC_HINTS) + _AFTER_KEYWORD + r"\Z", re.ASCII)
# How far before a value the search starts: a key, its quotes and the spaces after it.
_GENERIC_KEY_REACH = 40
# A person's own identifiers' keys: a record that holds one beside a bare `name` is a person's
# ({"name":"宁德","idNo":"…"}), where a district's or a product's dictionary entry holds none
# ({"code":"350900","name":"宁德"}); searched for only around a common word after a generic key.
_PERSON_RECORD_KEY = re.compile(field_key_regex(("idno", "idcardno", "certno", "custcertno", "sfzh", "zjhm",
                                                 "mobile", "mobileno", "sjhm")), re.ASCII)
# How far around the value the record's other keys are looked for.
_PERSON_RECORD_REACH = 60
# context_verdict of a column that only a generic hint names (name, product_name): above 0 as any
# named column's, so every cell is analysed, but a common word as a cell gets no boost from it.
NAMED_GENERICALLY = 2


def _record_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Return where the record holding ``text[start:end]`` starts and ends: its object's braces or
    parentheses ({…}, Lombok's (…)), at most ``_PERSON_RECORD_REACH`` characters either side.

    >>> text = '{"name":"宁德","idNo":"1"} {"name":"余杭"}'
    >>> [text[slice(*_record_around(text, *span))] for span in ((9, 11), (32, 34))]
    ['"name":"宁德","idNo":"1"', '"name":"余杭"']
    """
    first = max(text.rfind("{", 0, start), text.rfind("(", 0, start), start - _PERSON_RECORD_REACH - 1) + 1
    after = [at for at in (text.find("}", end), text.find(")", end)) if at >= 0]
    return max(0, first), min(after + [end + _PERSON_RECORD_REACH])


# A person's own identifiers: one reported in a delimited record makes the record a customer's,
# and a name-shaped field of it a name.
RECORD_ENTITIES = frozenset({"CN_RESIDENT_ID", "CN_BANK_CARD", "CN_MOBILE_PHONE", "CN_PASSPORT", "CN_HK_MACAU_PERMIT",
                             "CN_TAIWAN_PERMIT", "CN_FOREIGN_PERMANENT_RESIDENT_ID", "CN_MILITARY_ID",
                             "HK_ID_CARD", "MO_ID_CARD", "TW_ID_CARD"})
# The score of a name in a customer's record: a keyword's, as the record's identifier says whose.
RECORD_SCORE = 0.6
# Endings of what else a record's field of a name's shape names: a branch (城东支行 is longer
# than a name, 江北行 is not), an organisation, a product (安心险, 薪金贷) or a unit; none ends
# one of Faker zh_CN's given names.
NOT_RECORD_NAMES = ("分行", "支行", "营业部", "营业所", "分理处", "储蓄所", "公司", "银行", "中心", "存款", "理财",
                    "基金", "保险", "贷款", "账户", "行", "部", "处", "所", "局", "院", "厅", "店", "社", "科",
                    "室", "队", "卡", "贷", "险", "币", "宝", "司", "园", "期")
# Suffixes of a county or a city that a record may leave out: 高明 of 高明区, 金平 of 金平区.
_PLACE_SUFFIXES = ("区", "县", "市", "旗")
_NAME_FIELD_RE = re.compile(_name_regex())
_MASKED_FIELD_RE = re.compile(_masked_regex())  # a surname and stars: a name a system masked (王*, 欧阳**)


def is_record_name(field: str) -> bool:
    """Tell whether a field of a delimited record, which no key or header names, has a person's
    name's shape and is no common word, organisation, product or place.

    A place's short name that is as often a person's (高明 of 高明区) is a name under a key that
    says "name" (``is_common_word``); in a record, where nothing says so, it is a place.

    >>> [is_record_name(w) for w in ("王建国", "欧阳娜娜", "黄金", "正常", "江北行", "高明", "张某")]
    [True, True, False, False, False, False, False]
    """
    return _NAME_FIELD_RE.fullmatch(field) is not None and is_valid(field) and not is_common_word(field) \
        and not field.endswith(NOT_RECORD_NAMES) and not _is_place(field)


def _is_place(word: str) -> bool:
    places = place_names()
    return word in places or any(word + suffix in places for suffix in _PLACE_SUFFIXES)


def record_name_fields(text: str) -> list[tuple[int, int, int, bool]]:
    """Return ``(line start, start, end, masked)`` of each field of the delimited lines of
    ``text`` that holds a name (``is_record_name``) or a masked one (王*: ``masked`` True).

    >>> text = "0001|王建国|正常|王*|13812345678"
    >>> [(text[start:end], masked) for _, start, end, masked in record_name_fields(text)]
    [('王建国', False), ('王*', True)]
    """
    found, line_start = [], 0
    for line in text.split("\n"):
        for start, end in record_fields(line):
            masked = _is_masked_span(line, start, end)
            if masked or _is_name_span(line, start, end):
                found.append((line_start, line_start + start, line_start + end, masked))
        line_start += len(line) + 1
    return found


def name_in_field(field: str) -> tuple[int, int, bool] | None:
    """Return where the name a field of a record holds (a headerless sheet's cell) is, its
    spaces and quotes left out, and whether it is masked (王*), or None when it holds none
    (``is_record_name``).

    >>> name_in_field(" 王建国 "), name_in_field("王**"), name_in_field("北京分行营业部")
    ((1, 4, False), (0, 3, True), None)
    """
    start, end = field_span(field)
    masked = _is_masked_span(field, start, end)
    return (start, end, masked) if masked or _is_name_span(field, start, end) else None


def _is_name_span(text: str, start: int, end: int) -> bool:
    # A name is two to four characters, or a transliteration with its "·": most fields of a log
    # line are neither, and cost no regex.
    return (2 <= end - start <= 4 or "·" in text[start:end]) and is_record_name(text[start:end])


def _is_masked_span(text: str, start: int, end: int) -> bool:
    # A surname and one to three stars; a star costs no regex on the fields that hold none.
    return 2 <= end - start <= 5 and text[end - 1] == "*" and _MASKED_FIELD_RE.fullmatch(text, start, end) is not None


def record_names(text: str, identifiers: Iterable[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """Return where the name fields (``record_name_fields``) of the records of ``text`` that hold
    an identifier are, given where the identifiers are, and whether each is masked.

    >>> text = "0001|王建国|13812345678\\n0002|李小红|正常"
    >>> [text[start:end] for start, end, _ in record_names(text, [(9, 20)])]
    ['王建国']
    """
    spans = list(identifiers)
    if not spans:
        return []
    names = []
    for line_start, start, end, masked in record_name_fields(text):
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if any(line_start <= at < line_end and not (at < end and start < to) for at, to in spans):
            names.append((start, end, masked))
    return names


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
    NEEDLES = KEYWORDS  # the patterns that score 0.5 or more follow a keyword (or a key: SCREENS)
    # ISO 20022's party (<Dbtr><Nm>), whose name follows a tag of its own, not the key's.
    SCREENS = (r"<(?:[a-z]\w*:)?(?:dbtr|cdtr|ultmtdbtr|ultmtcdtr)>\s*<(?:[a-z]\w*:)?nm>",)
    # Those that score less match a whole cell, which its column names (it chooses this recognizer
    # without the screen): in a line, every name follows a keyword or a key. "name" and the hints
    # stand inside fileName, hostname and className, and woke this recognizer on every such line.
    NEEDLES_HOLD_ALL = True
    WHOLE_KEYS = True  # _KEYWORD_RE's keys are whole: hostname= names no person
    # After a key, spaces or quotes, then the name's (or masked name's) first Chinese character:
    # a UTF-8 lead byte of U+3400-U+9FFF.
    KEY_VALUE_START = r"""[ \t"']*[\xe3-\xe9]"""
    RISK = Risk("C2", False)

    def validate_result(self, pattern_text: str) -> bool:
        """Return True unless the name is a title or anonymised."""
        return is_valid(pattern_text)

    def _candidates(self, text: str) -> list[tuple[int, int, float, str, bool]]:
        """Return ``ChineseRecognizer``'s candidates, a common word after a generic key (name=黄金)
        scored ``WORD_SCORE``, below MIN_SCORE whatever the context, unless a person's ID or
        mobile number's key stands near it (``_PERSON_RECORD_KEY``: name=宁德, idNo=…)."""
        found = super()._candidates(text)
        for number, (start, end, _, value, masked) in enumerate(found):
            if not masked and is_common_word(value) and _GENERIC_KEY_BEFORE.search(
                    text, max(0, start - _GENERIC_KEY_REACH), start) and not _PERSON_RECORD_KEY.search(
                    text, *_record_around(text, start, end)):
                found[number] = (start, end, WORD_SCORE, value, masked)
        return found

    def enhance_using_context(self, text, raw_recognizer_results, other_raw_recognizer_results, nlp_artifacts,
                              context=None):
        """``ChineseRecognizer``'s, plus the names of the delimited records in ``text`` that hold a
        person's identifier the other recognizers report (``record_names``).

        AnalyzerEngine enhances each recognizer's results in the registry's order, in place: the
        identifiers' recognizers come before this one in ``ALL_RECOGNIZERS``, so their results are
        scored in context here (a mobile number after 订单号 is none), as the detector reads them."""
        results = super().enhance_using_context(text, raw_recognizer_results, other_raw_recognizer_results,
                                                nlp_artifacts, context)
        identifiers = [(r.start, r.end) for r in other_raw_recognizer_results or ()
                       if r.entity_type in RECORD_ENTITIES and r.score >= MIN_SCORE]
        for start, end, score, value, masked in self.record_found(to_halfwidth(text), identifiers):
            result = self.presidio_result(start, end, score, value, masked)
            result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
            results = [*results, result]
        return results

    def record_found(self, text: str, identifiers: Iterable[tuple[int, int]]
                     ) -> list[tuple[int, int, float, str, bool]]:
        """Return ``(start, end, RECORD_SCORE, name, masked)`` for each name ``record_names`` finds."""
        return [(start, end, RECORD_SCORE, text[start:end], masked)
                for start, end, masked in record_names(text, identifiers)]

    def _decide_verdict(self, context: tuple[str, ...]) -> int:
        """Return ``NAMED_GENERICALLY`` for a column that only ``GENERIC_HINTS`` or "name" name
        (name, product_name), else the verdict of ``ChineseRecognizer``."""
        verdict = super()._decide_verdict(context)
        if verdict > 0 and not any(word and hint_matches(word, PERSON_HINTS, KEYWORDS) for word in context):
            return NAMED_GENERICALLY
        return verdict

    def _contextual_score(self, text: str, start: int, end: int, score: float, external: int) -> float:
        # A generic column boosts no common word; a keyword in the cell (姓名：高峰) still does.
        if external == NAMED_GENERICALLY and is_common_word(text[start:end]):
            external = 0
        return super()._contextual_score(text, start, end, score, external)

    def normalize(self, value: str) -> str:
        """Return the name as written."""
        return value.strip()

    def mask(self, value: str) -> str:
        """Keep the surname: 张*, 王**, 欧阳*."""
        _, compound = surnames()
        keep = 2 if value[:2] in compound.split("|") else 1
        return value[:keep] + "*" * (len(value) - keep)
