"""Military IDs (FORMATS.md §5.7): X字第N号 found only where a keyword, a field's key or a column
names a military document, never the 字第 numbers of courts and certificates, and what is
written of them."""

from __future__ import annotations

import pytest

from scan_helpers import found, samples_of, write_workbook, written

NUMBER = "南字第12345678号"


@pytest.mark.parametrize("text,expected", [
    pytest.param(f"2026-11-28 10:01:02 INFO 开户 证件类型:军官证 证件号码:{NUMBER} 已核验", [NUMBER], id="keyword"),
    pytest.param("士兵证号 空字第0012345号，", ["空字第0012345号"], id="soldier"),
    pytest.param("文职干部证：海字第87654321", ["海字第87654321"], id="without-hao"),
    pytest.param(f'{{"jgzh":"{NUMBER}"}}', [NUMBER], id="field"),
])
def test_numbers_in_log_lines(text, expected):
    assert found(text) == [("CN_MILITARY_ID", value) for value in expected]


@pytest.mark.parametrize("text,expected", [
    pytest.param("军官证号：12345678", "12345678", id="bare-after-keyword"),
    pytest.param("军官证号码 1234567，", "1234567", id="bare-seven-digits"),
    pytest.param("证件类型:军官证 证件号码:12345678 已核验", "12345678", id="bare-after-the-type-field"),
    pytest.param("军官证：第12345678号", "第12345678号", id="di-hao-without-unit"),
    pytest.param("士兵证 南字 12345678", "南字 12345678", id="unit-without-di"),
    pytest.param("士兵证：空字12345678号", "空字12345678号", id="unit-glued-without-di"),
    pytest.param("军官证 军1234567", "军1234567", id="2016-officer"),
    pytest.param("文职干部证号军7654321", "军7654321", id="2016-glued-after-hao"),
    pytest.param("士官证号 士20161234", "士20161234", id="2016-nco"),
    pytest.param("义务兵证：兵2023123456", "兵2023123456", id="2016-conscript"),
    pytest.param('{"jgzh":"12345678","ok":true}', "12345678", id="bare-field-key"),
    pytest.param("militaryId=7654321, ", "7654321", id="bare-field-key-camel"),
])
def test_numbers_without_zi_di(text, expected):
    assert found(text) == [("CN_MILITARY_ID", expected)]


@pytest.mark.parametrize("text,number", [
    pytest.param("军官证 南字 12345678 有效期 20301231", "南字 12345678", id="date-after-a-number"),
    pytest.param("军官证号：12345678 电话 87654321", "12345678", id="phone-after-a-number"),
])
def test_a_number_after_the_number_is_not_one(text, number):
    """A keyword 30 characters away names the number just after it, not a date or phone further on."""
    assert found(text) == [("CN_MILITARY_ID", number)]


# Each look-alike beside a line where the same characters are reported.
@pytest.mark.parametrize("number_line,look_alike", [
    pytest.param("军官证号 12345678", "军官证已核验 交易金额 12345678", id="amount"),
    pytest.param("军官证号 12345678", "军官证已核验 订单号 12345678", id="order-number"),
    pytest.param("军官证 第12345678号", "军官证 订单号：第12345678号", id="order-number-di-hao"),
    pytest.param("军官证号 12345678", "处理请求 12345678 完成", id="bare-no-keyword"),
    pytest.param("军官证号 12345678", "数字 12345678 军官证", id="keyword-after"),
    pytest.param("军官证号：第2024号", "军官证号：2024", id="four-digits-bare"),
    pytest.param("军官证号：88888878", "军官证号：88888888", id="one-repeated-digit"),
    pytest.param("军官证 南字 12345678", "军官证 数字 12345678", id="shu-zi-is-no-unit"),
    pytest.param("军官证 士123456", "军官证 护士123456", id="a-word-ending-in-a-head-character"),
    pytest.param("军官证 军1234567", "军官证 军123456", id="2016-officer-six-digits"),
    pytest.param("军官证号：13812345", "军官证 手机 138****5678", id="masked-mobile"),
    pytest.param("军官证：第1234号", "军官证 案号 第1234号", id="case-number"),
])
def test_numbers_without_zi_di_look_alikes(number_line, look_alike):
    assert [entity for entity, _ in found(number_line)] == ["CN_MILITARY_ID"]
    assert "CN_MILITARY_ID" not in [entity for entity, _ in found(look_alike)]


@pytest.mark.parametrize("value", ["12345678", "第12345678号", "军1234567"])
def test_a_bare_number_in_a_column_named_for_the_document(value):
    assert found(value, context=["jgzh"]) == [("CN_MILITARY_ID", value)]
    assert found(value, context=["军官证号"]) == [("CN_MILITARY_ID", value)]


def test_written_forms_of_one_number_share_a_fingerprint_and_are_masked(tmp_path, key):
    log = tmp_path / "kyc.log"
    log.write_text("开户 士兵证 南字 12345678\n开户 士兵证号 南字第12345678号\n开户 军官证号：第7654321号\n"
                   "开户 军官证 军1234567\n", "utf-8")
    samples = samples_of(log, key, "CN_MILITARY_ID")
    assert [s.masked for s in samples] == ["南字******78", "南字第******78号", "第*****21号", "军*****67"]
    assert samples[0].fingerprint == samples[1].fingerprint
    assert "123456" not in written(samples) and "7654321" not in written(samples)


# Each look-alike beside a line where the same characters are reported: the defence, not a blind spot.
@pytest.mark.parametrize("number_line,look_alike", [
    pytest.param(f"军官证 {NUMBER}", f"处理请求 {NUMBER} 完成", id="bare"),
    pytest.param("军官证 初字第12345号", "民事判决书 (2024)京0105民初字第12345号", id="court-case"),
    pytest.param("军官证 初字第12345号", "军官证已核验 案号 京民初字第12345号", id="court-case-after-a-keyword"),
    pytest.param("军官证 南字第1234号", "军官证 南字第123号", id="three-digits"),
])
def test_look_alikes_beside_the_number(number_line, look_alike):
    assert [entity for entity, _ in found(number_line)] == ["CN_MILITARY_ID"]
    assert "CN_MILITARY_ID" not in [entity for entity, _ in found(look_alike)]


@pytest.mark.parametrize("column", ["军官证号", "jgzhm", "military_id"])
def test_a_column_named_for_the_document_gives_its_cells_context(column):
    assert found(NUMBER, context=[column]) == [("CN_MILITARY_ID", NUMBER)]
    assert found(NUMBER, context=["备注"]) == []


def test_a_sheet_and_a_log_write_the_masked_number_and_never_the_number(tmp_path, key):
    sheet = write_workbook(tmp_path / "kyc.xlsx", [["客户姓名", "军官证号", "房产证号"],
                                                   ["王建军", NUMBER, "京房权证海字第123456号"]])
    log = tmp_path / "kyc.log"
    log.write_text(f"2026-11-28 开户 军官证 {NUMBER}\n2026-11-28 判决 京民初字第12345678号\n", "utf-8")
    for target in (sheet, log):
        samples = samples_of(target, key, "CN_MILITARY_ID")
        assert [s.masked for s in samples] == ["南字第******78号"]
        assert samples[0].risk.as_dict() == {"category": "C2", "sensitive": True, "minor": False}
        assert "123456" not in written(samples)
