"""Bank account numbers that are no card numbers (FORMATS.md §2.4): found where a keyword, a
field's key or a column names an account, and left alone beside amounts, balances and codes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pii_audit.detector import Detector
from recognizers.base import to_halfwidth
from scan_helpers import scan_one

ACCOUNT = "310066123018010012345"  # 21 digits: no card, no ID, no phone


def found(text, context=()):
    """Return ``(entity, value)`` of what the scan's detector reports in one line of text."""
    text = to_halfwidth(text)
    return [(recognizer.ENTITY, text[start:end])
            for start, end, _, recognizer, _, _ in Detector(bytes(32)).find(text, context)]


@pytest.mark.parametrize("text,expected", [
    pytest.param(f"转账成功 付款账号：{ACCOUNT} 户名：", [ACCOUNT], id="keyword"),
    pytest.param(f"对方账户{ACCOUNT}", [ACCOUNT], id="keyword-glued"),
    pytest.param("收款账号 4405 0110 0408 0000 0123 已入账", ["4405 0110 0408 0000 0123"], id="grouped"),
    pytest.param(f'{{"payeeAcct":"{ACCOUNT}"}}', [ACCOUNT], id="field"),
    pytest.param(f"acctNo={ACCOUNT}, ok", [ACCOUNT], id="field-acctno"),
    pytest.param(f"处理请求 {ACCOUNT} 完成", [], id="bare"),
    pytest.param("账户余额：1234567890", [], id="balance"),
    pytest.param("登录账号：1000234567", [], id="login-account"),
    pytest.param("收款账号变更 交易金额 1234567890", [], id="amount-after-a-keyword"),
    pytest.param("金额 1234567890 收款账号已变更", [], id="keyword-after-an-amount"),
    pytest.param("账户开户时间：20261102101201", [], id="timestamp"),
    pytest.param("收款账号 联行号 102100099996", [], id="bank-branch-code"),
    pytest.param("付款账号 12345678 ", [], id="too-short"),
])
def test_an_account_is_found_where_its_keyword_names_it(text, expected):
    assert [value for entity, value in found(text) if entity == "CN_BANK_ACCOUNT"] == expected


@pytest.mark.parametrize("text,entity", [
    pytest.param("收款账号：6222021234567894", "CN_BANK_CARD", id="card"),
    pytest.param("账号：13812345678", "CN_MOBILE_PHONE", id="mobile"),
    pytest.param("账号 11010519491231002X", "CN_RESIDENT_ID", id="id"),
])
def test_a_number_another_recognizer_reports_is_reported_once_as_its_own(text, entity):
    assert [e for e, _ in found(text)] == [entity]


@pytest.mark.parametrize("column,expected", [("dfzh", [ACCOUNT]), ("acct_no", [ACCOUNT]),
                                             ("jyje", []), ("ye", [])])
def test_a_column_naming_an_account_gives_its_cells_context(column, expected):
    assert [value for _, value in found(ACCOUNT, context=[column])] == expected


def test_a_scanned_log_writes_the_masked_account_and_never_the_account(tmp_path, key):
    log = tmp_path / "transfer.log"
    log.write_text(f"2026-11-28 转账 付款账号：{ACCOUNT}\n2026-11-28 存折账号 123456789\n", "utf-8")
    finding = scan_one(log, key).findings[(str(log), "CN_BANK_ACCOUNT")]
    assert [s.masked for s in finding.samples] == ["3100*************2345", "*****6789"]
    assert finding.samples[0].risk.as_dict() == {"category": "C2", "sensitive": True, "minor": False}
    written = json.dumps([dataclasses.asdict(s) for s in finding.samples], ensure_ascii=False)
    assert ACCOUNT not in written and "123456789" not in written
