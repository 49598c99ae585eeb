"""Already-masked bank accounts and Hong Kong, Macau and Taiwan ID numbers: counted as masked under
their plaintext's context rules, never as plaintext, never twice, and never in the way of a
plaintext finding in the ledger."""

from __future__ import annotations

import datetime

import pytest

from ledger_helpers import KEY, fast_dir, scan_lines
from pii_audit.detector import Detector
from pii_audit.ledger import Ledger
from recognizers.base import to_halfwidth

ACCOUNT = "310066123018010012345"  # 21 digits: no card, no ID, no phone
DETECTOR = Detector(bytes(32))


def masked_found(text, context=()):
    """Return ``(entity, value, already masked)`` of what the detector reports in one line."""
    text = to_halfwidth(text)
    return [(recognizer.ENTITY, text[start:end], masked)
            for start, end, _, recognizer, _, masked in DETECTOR.find(text, tuple(context))]


@pytest.mark.parametrize("text,value", [
    pytest.param("收款账号：3100****2345，", "3100****2345", id="keyword"),
    pytest.param("acctNo=310066********2345, ok", "310066********2345", id="field-key"),
    pytest.param("对方账号 4405 **** **** 0123 已入账", "4405 **** **** 0123", id="grouped"),
    pytest.param('{"payeeAcct":"4405-****-****-0123"}', "4405-****-****-0123", id="json-dashes"),
    pytest.param("付款账户6222****1234", "6222****1234", id="card-prefix-but-no-card-length"),
])
def test_a_masked_account_is_counted_as_masked_where_its_keyword_names_it(text, value):
    assert masked_found(text) == [("CN_BANK_ACCOUNT", value, True)]


@pytest.mark.parametrize("column", ["jyje", "备注"])
def test_a_masked_account_in_a_column_naming_an_account(column):
    assert masked_found("3100****2345", ["dfzh"]) == [("CN_BANK_ACCOUNT", "3100****2345", True)]
    assert masked_found("3100****2345", [column]) == []


# Each look-alike beside a line where a masked account is counted: the defence, not a blind spot.
@pytest.mark.parametrize("text", [
    pytest.param("处理请求 3100****2345 完成", id="bare"),
    pytest.param("订单号：2024****1234", id="masked-order-number"),
    pytest.param("收款账号已变更 订单号 2024****1234", id="order-number-after-an-account-keyword"),
    pytest.param("收款账号变更 交易金额 1000****0000", id="amount-after-an-account-keyword"),
    pytest.param("金额 3100****2345 收款账号已变更", id="keyword-after"),
    pytest.param("登录账号：3100****2345", id="login-account"),
    pytest.param("付款账号 12****34", id="too-short"),
])
def test_masked_look_alikes_are_no_masked_account(text):
    assert [e for e, _, _ in masked_found("收款账号：3100****2345")] == ["CN_BANK_ACCOUNT"]
    assert "CN_BANK_ACCOUNT" not in [entity for entity, _, _ in masked_found(text)]


@pytest.mark.parametrize("text,entity", [
    pytest.param("账号 138****5678", "CN_MOBILE_PHONE", id="masked-mobile-next-to-an-account-keyword"),
    pytest.param("收款账号：6222 **** **** 1234", "CN_BANK_CARD", id="masked-card"),
    pytest.param("收款账号：622202*********1234", "CN_BANK_CARD", id="masked-card-first-six"),
    pytest.param("收款账号：**** **** **** 1234", "CN_BANK_CARD", id="masked-card-stars-first"),
    pytest.param("账号 110105********002X", "CN_RESIDENT_ID", id="masked-id"),
    pytest.param("账号 110105********0021", "CN_RESIDENT_ID", id="masked-id-ending-in-a-digit"),
])
def test_a_masked_value_another_recognizer_counts_is_counted_once_as_its_own(text, entity):
    """Beside the same keyword, a masked account is the account's; these stay their own."""
    assert [e for e, _, _ in masked_found("收款账号：3100 **** **** 1234")] == ["CN_BANK_ACCOUNT"]
    assert [(e, masked) for e, _, masked in masked_found(text)] == [(entity, True)]


def test_no_masked_value_is_counted_by_two_recognizers():
    """The detector keeps the results of two entities on one span (only one entity's duplicates
    are removed), so a masked value two recognizers took would be counted twice."""
    counted = set()
    for lead in ("4405", "6222", "622202", "436742", "3100", "310066", "110105", "95588", "0200", "86138", "1381"):
        for middle, tail in (("****", "5678"), ("********", "002X"), ("********", "0021"), (" **** **** ", "0123"),
                             ("*********", "1234"), ("-****-****-****-", "0123"), ("***", "5678")):
            for keyword in ("收款账号：", "卡号 ", "身份证号 ", "acctNo="):
                entities = [entity for entity, _, masked in masked_found(keyword + lead + middle + tail) if masked]
                assert len(entities) <= 1, (lead, middle, keyword, entities)
                counted.update(entities)
    assert counted == {"CN_BANK_ACCOUNT", "CN_BANK_CARD", "CN_RESIDENT_ID"}


def test_masked_cards_without_a_chinese_issuer_prefix_are_no_masked_cards():
    """As a plaintext card needs a Chinese issuer's prefix, so does a masked one: 4405 is a branch's
    first digits (a CCB Guangdong account), not a card's."""
    assert masked_found("4405 **** **** 0123") == []
    assert masked_found("6222 **** **** 1234") == [("CN_BANK_CARD", "6222 **** **** 1234", True)]
    assert masked_found("4367 **** **** 1234") == [("CN_BANK_CARD", "4367 **** **** 1234", True)]


def test_a_masked_account_beside_a_plaintext_one_leaves_the_plaintext_reported():
    text = f"付款账号：{ACCOUNT}，收款账号：3100****2345"
    assert masked_found(text) == [("CN_BANK_ACCOUNT", ACCOUNT, False), ("CN_BANK_ACCOUNT", "3100****2345", True)]


@pytest.mark.parametrize("text,entity,value", [
    pytest.param("客户 A123***(*) 已核验", "HK_ID_CARD", "A123***(*)", id="hk-bare-parentheses"),
    pytest.param("A12****(3)", "HK_ID_CARD", "A12****(3)", id="hk-check-shown"),
    pytest.param("证件 AB1234**(*)", "HK_ID_CARD", "AB1234**(*)", id="hk-two-letters"),
    pytest.param("香港身份证：A123****", "HK_ID_CARD", "A123****", id="hk-no-parentheses-keyword"),
    pytest.param('{"hkidNo":"A1234**3"}', "HK_ID_CARD", "A1234**3", id="hk-no-parentheses-key"),
    pytest.param("澳门居民身份证 1234***(*)", "MO_ID_CARD", "1234***(*)", id="macau-keyword"),
    pytest.param("澳門身份證：5123****", "MO_ID_CARD", "5123****", id="macau-no-parentheses"),
    pytest.param("台湾居民身份证 A12345****", "TW_ID_CARD", "A12345****", id="taiwan-keyword"),
    pytest.param("twIdNo=A1*******9, ", "TW_ID_CARD", "A1*******9", id="taiwan-key"),
])
def test_masked_cross_border_ids_are_counted_as_masked(text, entity, value):
    assert masked_found(text) == [(entity, value, True)]


# Each look-alike beside a line where the masked number is counted.
@pytest.mark.parametrize("counted,text", [
    pytest.param("香港身份证 A123****", "A123****", id="hk-no-parentheses-bare"),
    pytest.param("A1234**(3)", "A12345*(3)", id="hk-one-star-the-check-gives-it-back"),
    pytest.param("AB12****(3)", "型号：AB12****(3)", id="hk-model-code"),
    pytest.param("A123***(*)", "订单号 A123***(*)", id="hk-order-number"),
    pytest.param("澳门居民身份证 1234***(*)", "1234***(*)", id="macau-bare"),
    pytest.param("澳门居民身份证 1234***(*)", "澳门居民身份证 2234***(*)", id="macau-no-issuer"),
    pytest.param("澳门居民身份证 1234****", "澳门居民身份证 订单号 1234****", id="macau-order-number"),
    pytest.param("台湾居民身份证 A12345****", "A12345****", id="taiwan-bare"),
    pytest.param("台湾居民身份证 A1234567**", "台湾居民身份证 A12345678*", id="taiwan-one-star"),
    pytest.param("台湾居民身份证 A12345****", "台湾居民身份证 A32345****", id="taiwan-no-sex-digit"),
    pytest.param("台湾居民身份证 A12345****", "台湾居民身份证 批次 A12345****", id="taiwan-batch"),
    pytest.param("香港身份证 A123***(*)", "香港身份证 手机 138****5678", id="masked-mobile-beside-a-keyword"),
])
def test_masked_cross_border_look_alikes(counted, text):
    cross_border = ("HK_ID_CARD", "MO_ID_CARD", "TW_ID_CARD")
    assert [masked for e, _, masked in masked_found(counted) if e in cross_border] == [True]
    assert not [e for e, _, _ in masked_found(text) if e in cross_border]


NOW = datetime.datetime(2026, 11, 28, 9, 0)


def _scan(ledger, lines, now):
    result = scan_lines("t", {"transfer.log": lines})
    scan_id = ledger.begin_scan("auditor", ["t"], {}, now=now)
    ledger.record_target(scan_id, result, now=now)
    ledger.finish_scan(scan_id, now=now)
    (item,) = ledger.items(entity="CN_BANK_ACCOUNT")
    return item


def test_masked_counts_never_change_a_plaintext_items_status():
    """A masked account beside plaintext ones is counted on the plaintext's item, which stays
    open; only a rescan with no plaintext left (masked ones only) verifies it."""
    plaintext, masked = f"付款账号：{ACCOUNT}", "收款账号：3100****2345"
    with fast_dir() as path, Ledger.open(f"sqlite:///{path}/ledger.db", KEY) as ledger:
        item = _scan(ledger, [plaintext], NOW)
        assert (item.status, item.occurrences, item.masked_occurrences) == ("open", 1, 0)
        item = _scan(ledger, [plaintext, masked, f"{plaintext} {masked}"], NOW + datetime.timedelta(days=1))
        assert (item.status, item.occurrences, item.masked_occurrences) == ("open", 2, 2)
        item = _scan(ledger, [masked, "对方账号 4405 **** **** 0123"], NOW + datetime.timedelta(days=2))
        assert (item.status, item.occurrences, item.masked_occurrences) == ("verified", 0, 2)
