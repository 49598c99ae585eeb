"""Taiwan ID card numbers (FORMATS.md §5.13): the check against public examples, found only in
context, their look-alikes, and what is written of them."""

from __future__ import annotations

import pytest

from recognizers.tw_id_card import is_valid
from scan_helpers import found, samples_of, write_workbook, written

NUMBER = "A123456789"


# A123456789 is the example of every source read (validid, chaoswey/taiwan-id-validator, a worked
# sum in mgleon08's post: 1+0+8+14+18+20+20+18+14+8+9 = 130); validid's tests add the other two.
@pytest.mark.parametrize("number,valid", [
    pytest.param("A123456789", True, id="validid-chaoswey-mgleon08"),
    pytest.param("M115187864", True, id="validid-M"),
    pytest.param("Z256783650", True, id="validid-Z-33"),
    pytest.param("A123456788", False, id="wrong-check"),
    pytest.param("A12345678X", False, id="validid-X"),
    pytest.param("A323456789", False, id="sex-digit-3"),
    pytest.param("A823456789", False, id="new-residence-certificate-left-out"),
])
def test_the_check_agrees_with_public_examples(number, valid):
    assert is_valid(number) is valid


def test_the_letters_stand_for_their_own_two_digits():
    """J to Z are out of alphabetical order (I=34, J=18, X=30, Y=31, Z=33): with the letter read
    as A=10 .. Z=35 these valid numbers would fail."""
    assert all(map(is_valid, ["I123456781", "J123456787", "X123456787", "Y123456788", "Z123456780"]))


@pytest.mark.parametrize("text,expected", [
    pytest.param(f"2026-11-28 10:01:02 INFO 台湾居民身份证号：{NUMBER} 已核验", [NUMBER], id="keyword"),
    pytest.param("客戶國民身分證統一編號 M115187864", ["M115187864"], id="traditional-keyword"),
    pytest.param('{"twIdNo":"Z256783650"}', ["Z256783650"], id="field"),
    pytest.param(f"台胞证号 12345678 身分證 {NUMBER}", [("CN_TAIWAN_PERMIT", "12345678"), NUMBER],
                 id="beside-a-taiwan-permit"),
])
def test_numbers_in_log_lines(text, expected):
    expected = [e if isinstance(e, tuple) else ("TW_ID_CARD", e) for e in expected]
    assert found(text) == expected


# Each look-alike beside a line where the same characters are reported: the defence, not a blind spot.
@pytest.mark.parametrize("number_line,look_alike", [
    pytest.param(f"台湾身份证 {NUMBER}", f"处理请求 {NUMBER} 完成", id="bare"),
    pytest.param(f"台湾身份证 {NUMBER}", "台湾身份证 A123456788", id="wrong-check"),
    pytest.param("台湾身份证 B123456780", "台湾身份证 订单号 B123456780", id="order-code-after-a-keyword"),
    pytest.param("身分證 B123456780", "台胞证 B123456780", id="a-permits-keyword-names-no-id-card"),
    pytest.param("身分證 C212345671", "订单号 B123456780 批次 C212345671", id="order-and-batch-codes"),
])
def test_look_alikes_beside_the_number(number_line, look_alike):
    assert [entity for entity, _ in found(number_line)] == ["TW_ID_CARD"]
    assert "TW_ID_CARD" not in [entity for entity, _ in found(look_alike)]


@pytest.mark.parametrize("column", ["台湾身份证号", "twsfzh", "tw_id_no"])
def test_a_column_named_for_the_card_gives_its_cells_context(column):
    assert found(NUMBER, context=[column]) == [("TW_ID_CARD", NUMBER)]
    assert found(NUMBER, context=["order_no"]) == []


def test_a_sheet_and_a_log_write_the_masked_number_and_never_the_number(tmp_path, key):
    sheet = write_workbook(tmp_path / "kyc.xlsx", [["客户姓名", "台湾身份证号", "产品编码"],
                                                   ["林志明", NUMBER, "M115187864"]])  # a code: no context
    log = tmp_path / "kyc.log"
    log.write_text(f"2026-11-28 开户 台湾居民身份证 {NUMBER}\n2026-11-28 批次 Z256783650\n", "utf-8")
    for target in (sheet, log):
        samples = samples_of(target, key, "TW_ID_CARD")
        assert [s.masked for s in samples] == ["A******789"]
        assert samples[0].risk.as_dict() == {"category": "C2", "sensitive": True, "minor": False}
        assert NUMBER not in written(samples) and "123456" not in written(samples)
