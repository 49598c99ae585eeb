"""Hong Kong Identity Card numbers (FORMATS.md §5.13): the check against public examples, both
written forms in log lines and sheets, their look-alikes, and what is written of them."""

from __future__ import annotations

import pytest

from recognizers.hk_id_card import calc_check_digit, is_valid
from scan_helpers import found, samples_of, write_workbook, written

NUMBER = "A123456(3)"


# Examples published with four independent libraries and a project's brief; every one agrees
# with the check as the module computes it. validid's README gives AB9876542, its own tests
# AB9876543: the tests agree with the other three sources' algorithm, the README is a typo.
@pytest.mark.parametrize("number,valid", [
    pytest.param("CA182361(1)", True, id="iLexN/HKID-Check-Digit"),
    pytest.param("Z437626A", True, id="twinh/wei-isIdCardHk"),
    pytest.param("G123456A", True, id="validid-G-check-A"),
    pytest.param("A5555550", True, id="validid-check-0"),
    pytest.param("AB9876543", True, id="validid-two-letters"),
    pytest.param("WX1234569", True, id="validid-WX"),
    pytest.param("TP1490258", True, id="idnumbers-two-letters"),
    pytest.param("D360546A", True, id="idnumbers-check-A"),
    pytest.param("A123456(3)", True, id="brief"),
    pytest.param("AB9876542", False, id="validid-readme-typo"),
    pytest.param("TP1490253", False, id="idnumbers-wrong-check"),
    pytest.param("A12345670", False, id="validid-seven-digits"),
    pytest.param("A555555X", False, id="validid-check-X"),
])
def test_the_check_agrees_with_public_examples(number, valid):
    assert is_valid(number) is valid


def test_the_check_counts_a_missing_letter_as_36_and_11_as_0():
    # A5555550: 36*9 + 10*8 + 5*(7+6+5+4+3+2) = 539 = 49*11, so 11 - 0 = 11, written 0.
    assert calc_check_digit("A555555") == "0"
    # XA123456: 33*9 + 10*8 + 1*7 + 2*6 + 3*5 + 4*4 + 5*3 + 6*2 = 454 = 41*11 + 3, 11 - 3 = 8.
    assert calc_check_digit("XA123456") == "8"


@pytest.mark.parametrize("text,expected", [
    pytest.param(f"2026-11-28 10:01:02 INFO 开户 客户证件 {NUMBER} 已核验", [NUMBER], id="bare-in-parentheses"),
    pytest.param("客户持香港身份證 G123456(A)辦理", ["G123456(A)"], id="check-A-traditional"),
    pytest.param("证件号：A123456（3）", ["A123456(3)"], id="full-width-parentheses"),
    pytest.param("香港身份证号码:A1234563,", ["A1234563"], id="plain-after-keyword"),
    pytest.param('{"hkidNo":"CA1823611"}', ["CA1823611"], id="plain-after-field"),
])
def test_numbers_in_log_lines(text, expected):
    assert found(text) == [("HK_ID_CARD", value) for value in expected]


# Each look-alike beside a line where the same characters are reported: the defence, not a blind spot.
@pytest.mark.parametrize("number_line,look_alike", [
    pytest.param("开户 A123456(3) 完成", "开户 A1234563 完成", id="plain-bare"),
    pytest.param("开户 A123456(3) 完成", "开户 A123456(4) 完成", id="wrong-check"),
    pytest.param("证件 AB987654(3) 已核验", "型号 AB987654(3) 库存 12", id="model-code-whose-check-holds"),
    pytest.param("香港身份证 AB1234569", "料号AB123456 批次E12345678", id="part-and-error-codes"),
    pytest.param("香港身份证 EA1234563", "护照号码 EA1234563", id="a-passport-of-the-same-shape"),
])
def test_look_alikes_beside_the_number(number_line, look_alike):
    assert [entity for entity, _ in found(number_line)] == ["HK_ID_CARD"]
    assert "HK_ID_CARD" not in [entity for entity, _ in found(look_alike)]


@pytest.mark.parametrize("column", ["香港身份证号", "hkid", "cust_xgsfzh"])
def test_a_column_named_for_the_card_gives_the_plain_form_context(column):
    assert found("A1234563", context=[column]) == [("HK_ID_CARD", "A1234563")]
    assert found("A1234563", context=["备注"]) == []


def test_a_sheet_and_a_log_write_the_masked_number_and_never_the_number(tmp_path, key):
    sheet = write_workbook(tmp_path / "kyc.xlsx", [["客户姓名", "香港身份证号", "备注"],
                                                   ["陈大文", "A1234563", "AB9876543"],  # a note: no context
                                                   ["李小明", "Z437626(A)", ""]])
    log = tmp_path / "kyc.log"
    log.write_text(f"2026-11-28 开户 客户证件 {NUMBER}\n", "utf-8")
    for target, masked in ((sheet, ["A*****63", "Z*****6A"]), (log, ["A*****63"])):
        samples = samples_of(target, key, "HK_ID_CARD")
        assert [s.masked for s in samples] == masked
        assert samples[0].risk.as_dict() == {"category": "C2", "sensitive": True, "minor": False}
        assert not any(raw in written(samples) for raw in ("A1234563", "123456", "Z437626", "AB9876543"))
