"""Macau Resident Identity Card numbers (FORMATS.md §5.13): found only where a keyword, a field's
key or a column names the card, and what is written of them."""

from __future__ import annotations

import pytest

from scan_helpers import found, samples_of, write_workbook, written

NUMBER = "1234567(8)"


@pytest.mark.parametrize("text,expected", [
    pytest.param(f"2026-11-28 10:01:02 INFO 澳门居民身份证：{NUMBER} 已核验", [NUMBER], id="keyword"),
    pytest.param("持澳門居民身份證 5123456（7）辦理", ["5123456(7)"], id="traditional-full-width"),
    pytest.param("澳门身份证号=71234568|", ["71234568"], id="without-parentheses"),
    pytest.param('{"amsfzh":"1234567(8)"}', [NUMBER], id="field"),
])
def test_numbers_in_log_lines(text, expected):
    assert found(text) == [("MO_ID_CARD", value) for value in expected]


# Each look-alike beside a line where the same characters are reported: the defence, not a blind spot.
@pytest.mark.parametrize("number_line,look_alike", [
    pytest.param(f"澳门身份证 {NUMBER}", f"处理请求 {NUMBER} 完成", id="bare"),
    pytest.param(f"澳门身份证 {NUMBER}", "澳门身份证 2234567(8)", id="no-issuer-2"),
    pytest.param("澳门身份证号 12345678", "台胞证号 12345678", id="a-taiwan-permits-8-digits"),
    pytest.param("澳门身份证 12345678", "澳门身份证 订单号 12345678", id="order-number-after-a-keyword"),
])
def test_look_alikes_beside_the_number(number_line, look_alike):
    assert [entity for entity, _ in found(number_line)] == ["MO_ID_CARD"]
    assert "MO_ID_CARD" not in [entity for entity, _ in found(look_alike)]


@pytest.mark.parametrize("column", ["澳门身份证号", "amsfzhm", "macau_id"])
def test_a_column_named_for_the_card_gives_its_cells_context(column):
    assert found("12345678", context=[column]) == [("MO_ID_CARD", "12345678")]
    assert found("12345678", context=["ddh"]) == []


def test_a_sheet_and_a_log_write_the_masked_number_and_never_the_number(tmp_path, key):
    sheet = write_workbook(tmp_path / "kyc.xlsx", [["客户姓名", "澳门身份证号", "订单号"],
                                                   ["何嘉欣", NUMBER, "12345678"]])
    log = tmp_path / "kyc.log"
    log.write_text(f"2026-11-28 开户 澳门居民身份证 {NUMBER}\n2026-11-28 订单 12345678\n", "utf-8")
    for target in (sheet, log):
        samples = samples_of(target, key, "MO_ID_CARD")
        assert [s.masked for s in samples] == ["1*****78"]
        assert samples[0].risk.as_dict() == {"category": "C2", "sensitive": True, "minor": False}
        assert "1234567" not in written(samples)
