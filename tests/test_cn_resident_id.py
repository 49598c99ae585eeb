"""Resident ID numbers: FORMATS.md §1 vectors, minors, masked forms and look-alikes."""

from __future__ import annotations

import datetime
import json

import pytest

from conftest import DATA
from recognizers.cn_resident_id import CnResidentIdRecognizer, age_on, is_valid, to_18

VECTORS = json.loads((DATA / "formats-vectors.json").read_text("utf-8"))


def found(text, context=(), scan_date=None):
    recognizer = CnResidentIdRecognizer(scan_date=scan_date)
    results = recognizer.enhance_using_context(text, recognizer.analyze(text, None), [], None, list(context))
    return [(text[r.start:r.end], round(r.score, 2), r.recognition_metadata) for r in results if r.score >= 0.5]


@pytest.mark.parametrize("vector", VECTORS["cn_id_valid"], ids=lambda v: v["v"])
def test_valid_vectors(vector):
    assert is_valid(vector["v"])
    if "upgrades_to" in vector:
        assert to_18(vector["v"]) == vector["upgrades_to"]


@pytest.mark.parametrize("vector", VECTORS["cn_id_invalid"], ids=lambda v: v["v"])
def test_invalid_vectors(vector):
    assert not is_valid(vector["v"])
    assert found(f"身份证号：{vector['v']}") == []


@pytest.mark.parametrize("text,expected", [
    pytest.param("身份证号11010519491231002X。", ["11010519491231002X"], id="cjk-neighbours"),
    pytest.param("客户11010519491231002x办理", ["11010519491231002x"], id="lower-x-no-context"),
    pytest.param("订单号 1101011990030700112", [], id="19-digit-order-no"),
    pytest.param("流水20240101123456789012", [], id="serial"),
    pytest.param("id=A11010519491231002X", [], id="letter-glued"),
    pytest.param("110105491231002", [], id="15-digit-needs-context"),
    pytest.param("身份证：110105491231002", ["110105491231002"], id="15-digit-with-context"),
    # 嘉峪关 (620200) is a city without counties: its 市辖区 code 620201 is missing from stdnum's table.
    pytest.param("客户620201195408156013办理", ["620201195408156013"], id="city-district-code"),
])
def test_in_text(text, expected):
    assert [value for value, _, _ in found(text)] == expected


def test_column_context_rescues_15_digit():
    assert [v for v, _, _ in found("110105491231002", context=["cust_sfzh"])] == ["110105491231002"]


def test_masked_forms_are_flagged_masked():
    results = found("证件号 110105********002X 或 1****************4")
    assert [(v, m.get("masked")) for v, _, m in results] == [("110105********002X", True),
                                                             ("1****************4", True)]


def test_minor_flag_depends_on_scan_date():
    number = "110105201501010017"
    assert is_valid(number, datetime.date(2026, 1, 1))
    assert age_on(number, datetime.date(2026, 11, 27)) == 11
    (_, _, metadata), = found(f"身份证{number}", scan_date=datetime.date(2026, 11, 27))
    assert metadata.get("minor") is True
    (_, _, metadata), = found(f"身份证{number}", scan_date=datetime.date(2029, 1, 2))
    assert "minor" not in metadata


def test_a_new_scan_date_is_not_answered_from_remembered_validations():
    number = "110105202601150011"  # born 2026-01-15
    recognizer = CnResidentIdRecognizer(scan_date=datetime.date(2026, 1, 1))
    assert not recognizer.validated(number)  # not born yet on the scan date
    recognizer.scan_date = datetime.date(2026, 2, 1)
    assert recognizer.validated(number) and recognizer.validate_result(number)


def test_mask_hides_birth_date():
    assert CnResidentIdRecognizer().mask("11010519491231002x") == "110105********002X"


def test_a_run_of_digits_and_stars_that_is_no_masked_id_is_not_reported_in_part():
    """18 characters of digits and stars with 13 digits after the stars fit no masked ID; the
    pattern used to stop inside the run and report its first ten characters as one."""
    assert found("编号 1****1234567890123 结束") == []
    assert [v for v, _, _ in found("编号 1****1234 结束 证件 1101**********002X")] == ["1101**********002X"]


def test_remembered_validations_keep_no_value():
    """validated() remembers by hash, as the detector's cache of clean texts keeps no personal value."""
    recognizer = CnResidentIdRecognizer()
    assert recognizer.validated("11010519491231002X") and not recognizer.validated("110105194912310021")
    assert recognizer._validated and all(isinstance(key, int) for key in recognizer._validated)


@pytest.mark.parametrize("text,expected", [
    pytest.param("证件号码：110105 19491231 002X", ["110105 19491231 002X"], id="spaces"),
    pytest.param("客户440524-18800101-0014办理", ["440524-18800101-0014"], id="dashes-glued"),
    pytest.param("110105 19491231-002X", [], id="mixed-separators"),
    pytest.param("110105 19491231 0021", [], id="bad-check"),
    pytest.param("tel-110105-19491231-002X", [], id="dash-before"),
    pytest.param("110105 19491231 002X 5", ["110105 19491231 002X"], id="digit-after-a-space"),
])
def test_grouped_numbers(text, expected):
    """Forms and apps show an ID as area, birth date and the rest; found, masked, minors known."""
    assert [value for value, _, _ in found(text)] == expected


def test_a_grouped_number_is_one_value_with_the_ungrouped_one():
    recognizer = CnResidentIdRecognizer(scan_date=datetime.date(2026, 1, 1))
    assert recognizer.normalize("110105 19491231 002x") == recognizer.normalize("11010519491231002X")
    assert recognizer.mask("110105-19491231-002X") == "110105********002X"
    assert found("身份证 110105 20150101 0017", scan_date=datetime.date(2026, 1, 1))[0][2]["minor"] is True


@pytest.mark.parametrize("text,context,expected", [
    pytest.param("110105194912310000", ["身份证号"], ["110105194912310000"], id="header"),
    pytest.param("身份证号码：110105194912310000", [], ["110105194912310000"], id="keyword"),
    pytest.param("110105194912310000", [], [], id="bare"),
    pytest.param("110105194912310000", ["订单号"], [], id="order-column"),
    pytest.param("110105209912310000", ["身份证号"], [], id="future-birth"),
    pytest.param("119999194912310000", ["身份证号"], [], id="no-such-area"),
])
def test_an_id_whose_last_digits_excel_lost(text, context, expected):
    """An 18-digit ID typed into an Excel cell as a number keeps 15 significant digits."""
    assert [value for value, _, _ in found(text, context=context)] == expected


def test_a_workbook_column_of_ids_kept_as_numbers_is_reported(tmp_path, key):
    import openpyxl

    from scan_helpers import scan_one

    book = openpyxl.Workbook()
    book.active.append(["姓名", "身份证号"])
    for number in (110105194912310025, 440524188001010014, 360426199101010071):
        book.active.append(["张三", float(number)])  # openpyxl, as Excel, keeps 15 digits: 1.1010519491231e+17
    book.save(tmp_path / "customers.xlsx")
    result = scan_one(tmp_path / "customers.xlsx", key)
    ids = [f for (_, entity), f in result.findings.items() if entity == "CN_RESIDENT_ID"]
    assert [s.masked for s in ids[0].samples] == ["110105********0000", "440524********0000",
                                                 "360426********0000"]
