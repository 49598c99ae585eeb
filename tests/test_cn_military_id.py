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
