"""Bank account numbers that are not card numbers (存折, 对公/结算账户, 内部账户), with context only.

Rules: FORMATS.md §2.4. No national format or check digit exists: an account number is 9-30
digits, written whole or in groups of four (``4405 0110 0408 0000 0123``), and reported only
where a keyword before it (账号, 收款账号, 对方账户...), a field's key or a column says so. A
number that is a card (Luhn and a Chinese issuer), a resident ID or a mobile number is left to
its own recognizer.

Three rules that differ from most recognizers', because an account's keywords stand in every
transfer log beside amounts, times and serials (``ChineseRecognizer``'s class attributes):

* a keyword counts only before the number (``KEYWORD_PLACE``, ``付款账号：…``): in
  ``金额 100000000 付款账号 …`` the keyword after the amount names the next field;
* a negative word just before the number (金额, 余额, 流水号, 联行号...) outweighs a keyword
  further back (``NEGATIVE_BEFORE_WINS``, ``收款账号 6222… 金额 100000000``);
* the screen wakes the recognizer only where a keyword stands before nine digits, or four to
  six digits and two stars (``VALUE_START``): woken by every line holding 账户 (查询账户余额成功),
  it had cost a log scan 32% more instructions.

Already-masked numbers (``3100****2345``, ``310066********2345``, ``4405 **** **** 0123``: four
to six digits shown first, stars, the last four) are counted as masked under the same context
rules. A masked value another recognizer counts stays its own (``is_masked``): a masked card
whose first digits may be a Chinese issuer's (``6222 **** **** 1234``), a masked ID
(``110105********002X``), a masked mobile number (``138****5678``, ``86138****5678``): the
detector keeps two entities' results on one span, so both would count it.
"""

from __future__ import annotations

import datetime
import re

from recognizers import cn_bank_card, cn_mobile_phone, cn_resident_id
from recognizers.base import NO_DECIMALS_AFTER, NOT_A_FRACTION, ChineseRecognizer, Risk, mask_middle, not_after
from recognizers.context import own_key
from recognizers.presidio_light import Pattern

ENTITY = "CN_BANK_ACCOUNT"
EXAMPLES = {
    "valid": ["310066123018010012345", "44050110040800000123", "1234567890123456789012",
              "4405 0110 0408 0000 0123", "110501613600"],
    # Too short, one repeated digit, a card number, a resident ID, a mobile number, a timestamp.
    "invalid": ["12345678", "000000000000", "6222021234567894", "11010519491231002X",
                "13812345678", "20261102101201"],
}

MIN_DIGITS = 9
MAX_DIGITS = 30


def compact(number: str) -> str:
    """Drop the spaces or dashes between groups.

    >>> compact("4405 0110 0408 0000 0123")
    '44050110040800000123'
    """
    return number.replace(" ", "").replace("-", "")


def _is_timestamp(digits: str) -> bool:
    """Tell whether 14 or 17 digits read as a time, yyyyMMddHHmmss[SSS], as logs write them."""
    if len(digits) not in (14, 17) or digits[:2] not in ("19", "20"):
        return False
    try:
        datetime.datetime.strptime(digits[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


# A masked value of a mobile number's length that starts as one (1381***5678), after 86 or 0086.
_MASKED_MOBILE_RE = re.compile(r"(?:0086|86)?1[3-9][0-9*]{9}", re.ASCII)


def is_masked(value: str) -> bool:
    """Tell whether a value the masked pattern matched is a masked account that no other
    recognizer counts: 9-30 digits and stars, and neither a masked card, ID or mobile number.

    >>> is_masked("3100****2345"), is_masked("4405 **** **** 0123"), is_masked("6222 **** **** 1234")
    (True, True, False)
    >>> is_masked("86138****5678"), is_masked("110105********0021")
    (False, False)
    """
    number = compact(value)
    if not MIN_DIGITS <= len(number) <= MAX_DIGITS:
        return False
    return not (cn_bank_card.is_masked_card(value) or cn_resident_id.is_masked_id(number)
                or _MASKED_MOBILE_RE.fullmatch(number))


def is_valid(number: str) -> bool:
    """Tell whether a number may be a bank account's that no other recognizer reports.

    >>> is_valid("310066123018010012345"), is_valid("6222021234567894"), is_valid("20261102101201")
    (True, False, False)
    """
    digits = compact(number)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or not digits.isdigit() or not digits.isascii():
        return False
    if len(set(digits)) == 1 or _is_timestamp(digits):
        return False
    return not (cn_bank_card.is_valid(digits) or cn_bank_card.lost_its_last_digits(digits)
                or cn_resident_id.is_valid(digits) or cn_mobile_phone.is_valid(digits))


class CnBankAccountRecognizer(ChineseRecognizer):
    """Bank account numbers (账号) that are not card numbers, reported with context only."""

    ENTITY = ENTITY
    PATTERNS = (
        Pattern("cn_bank_account", r"(\d" + not_after("0-9A-Za-z") + NOT_A_FRACTION + r"\d{8,29})(?![0-9A-Za-z])"
                + NO_DECIMALS_AFTER, 0.3),
        Pattern("cn_bank_account_grouped",
                r"(\d" + not_after("0-9A-Za-z\\-") + r"\d{3}([ \-])\d{4}(?:\2\d{4}){1,5}(?:\2\d{1,3})?)"
                r"(?![0-9A-Za-z\-])", 0.3),
    )
    # The bank's own masking: the first 4-6 digits, stars in one run or in groups, the last 4.
    # Star-led values (**** 2345) are left out: four digits say nothing of whose number they end,
    # and the card counts **** **** **** 1234.
    MASKED_PATTERNS = (
        Pattern("cn_bank_account_masked",
                r"(\d" + not_after("0-9A-Za-z*+") + r"\d{3,5}(?:[ \-]?\*{2,}){1,6}[ \-]?\d{4})(?![0-9A-Za-z*])",
                0.3),
    )
    CONTEXT = ("账号", "帐号", "账户", "帐户", "存折", "对公账", "结算账", "account no", "acct no")
    COLUMN_HINTS = ("zh", "yhzh", "zhh", "khzh", "skzh", "fkzh", "dfzh", "jyzh", "jszh", "dgzh",
                    "skrzh", "fkrzh",  # 收款人账号, 付款人账号
                    # ISO 20022's (CNAPS2's) debtor's and creditor's accounts: <DbtrAcct><Id><Othr><Id>.
                    "dbtracct", "cdtracct", "dbtracctid", "cdtracctid",
                    "acctno", "accno", "acctnum", "accountno", "accountnum", "bankacct", "bankaccount",
                    "payeracct", "payeeacct", "settleacct")
    # Accounts that are no bank account: a login's, an operator's, a WeChat or e-mail account; and
    # an account's other fields, whose numbers are amounts, dates or codes.
    NOT_KEYWORDS = ("登录账号", "登陆账号", "用户账号", "操作员账号", "柜员账号", "系统账号", "管理员账号",
                    "员工账号", "微信账号", "qq账号", "邮箱账号", "会员账号", "账号名", "账号状态", "账号类型",
                    "账户名", "账户类型", "账户状态", "账户余额", "账户性质", "账户等级", "账户级别",
                    "账户数", "账号数")
    NEGATIVE_CONTEXT = ("金额", "余额", "额度", "限额", "积分", "笔数", "流水", "订单", "交易号", "单号",
                        "序列号", "批次", "联行号", "行号", "机构号", "网点号", "柜员", "工号", "客户号",
                        "合同号", "凭证号", "日期", "时间", "手机", "电话", "amount", "balance", "order",
                        "serial", "trace")
    NEGATIVE_COLUMN_HINTS = ("je", "jyje", "ye", "amt", "amount", "balance", "ddh", "lsh", "jylsh",
                             "orderno", "serialno", "traceno", "lhh", "jgh", "gyh")
    KEYWORD_PLACE = "before"
    NEGATIVE_BEFORE_WINS = True
    # 9 digits, whole or in fours; or a masked value's first 4-6 digits and stars (138****5678
    # shows three digits first: a masked mobile number after 账号 wakes nobody here).
    VALUE_START = r"(?:[0-9]{4}[ \-]?[0-9]{4}[ \-]?[0-9]|[0-9]{4}[ \-]?\*\*)"
    RISK = Risk("C2", True)  # a financial account: PIPL Art. 28 金融账户

    def _keyword_near(self, text: str, start: int, end: int) -> bool:
        """Tell whether a keyword before the value names an account; after a field's key
        (``own_key``: ``<Seq>``, ``amount=``) only that key can: a serial or an amount in the
        field after an account's (``<AcctNo>…</AcctNo><Seq>2024…``) had taken the account's key."""
        key = own_key(text, start)
        if key is None:
            return super()._keyword_near(text, start, end)
        return self._context.near(self._without_not_keywords(key[0]))

    def validate_result(self, pattern_text: str) -> bool:
        """Return True for 9-30 digits that no other recognizer reports (``is_valid``)."""
        return is_valid(pattern_text)

    def is_valid_masked(self, value: str) -> bool:
        """Return True for a masked account no other recognizer counts (``is_masked``)."""
        return is_masked(value)

    def normalize(self, value: str) -> str:
        """Return the bare digits."""
        return compact(value)

    def mask(self, value: str) -> str:
        """Keep the last four digits, and the first four of a number of 12 or more (a bank's
        branch, not the customer): 3100*************2345."""
        number = compact(value)
        return mask_middle(number, 4 if len(number) >= 12 else 0, 4)
