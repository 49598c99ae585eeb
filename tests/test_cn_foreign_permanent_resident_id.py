"""Foreign Permanent Resident ID Card numbers (FORMATS.md §5.6): both forms in real log lines and
sheets, their look-alikes, and what is written of them."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest
from stdnum.iso7064 import mod_11_2

from pii_audit.detector import Detector, build_recognizers
from recognizers.base import to_halfwidth
from recognizers.cn_foreign_permanent_resident_id import is_valid
from scan_helpers import scan_one

NEW = "911840198001010128"  # 9, Beijing (11), the USA (840), born 1980-01-01, order 012, check 8
OLD = "USA110079060141"  # the USA, Beijing 1100, born (19)79-06-01, order 4, check 1


def found(text, context=()):
    """Return ``(entity, value)`` of what the scan's detector reports in one line of text."""
    text = to_halfwidth(text)
    return [(recognizer.ENTITY, text[start:end])
            for start, end, _, recognizer, _, _ in Detector(bytes(32)).find(text, context)]


def with_check(body: str) -> str:
    """Return a 2023 number's 17 digits with their right MOD 11-2 check character."""
    return body + mod_11_2.calc_check_digit(body)


@pytest.mark.parametrize("text,expected", [
    pytest.param(f"客户{NEW}办理开户", [NEW], id="2023-bare"),
    pytest.param(f"certNo={NEW}, ok", [NEW], id="2023-field"),
    pytest.param(f"永久居留身份证号码：{OLD}", [OLD], id="2017-keyword"),
    pytest.param(f"证件号码={OLD}|", [OLD], id="2017-document-number"),
    pytest.param(f'{{"custCertNo":"{OLD}"}}', [OLD], id="2017-field"),
    pytest.param(f"{OLD} 已核验", [], id="2017-bare"),
])
def test_numbers_in_text(text, expected):
    assert found(text) == [("CN_FOREIGN_PERMANENT_RESIDENT_ID", value) for value in expected]


@pytest.mark.parametrize("text", [
    pytest.param(f"订单号 {with_check('91184020990101012')}", id="2023-future-birth"),
    pytest.param(f"交易 {with_check('97184019800101012')}", id="2023-taiwan-office"),
    pytest.param(f"交易 {with_check('91199919800101012')}", id="2023-no-country-999"),
    pytest.param(f"id={NEW}0", id="19-digit-run"),
    pytest.param(f"x{NEW}", id="letter-glued"),
    pytest.param("批次号 ABC202401011234", id="2017-no-country-abc"),
    pytest.param("SKU USA990079060141", id="2017-no-city-9900"),
    pytest.param("ref CHN110124133012", id="2017-no-month-13"),
])
def test_look_alikes_are_not_reported(text):
    assert found(text) == []


def test_a_resident_id_is_not_a_foreign_ones_and_back():
    """Both pass MOD 11-2: the leading 9 sets them apart (no citizen's number starts with it)."""
    assert found("身份证号11010519491231002X") == [("CN_RESIDENT_ID", "11010519491231002X")]
    assert found(f"身份证号{NEW}") == [("CN_FOREIGN_PERMANENT_RESIDENT_ID", NEW)]


@pytest.mark.parametrize("column", ["yjjlsfz", "zjhm", "cust_cert_no"])
def test_a_column_named_for_the_card_or_a_document_gives_the_2017_number_context(column):
    assert found(OLD, context=[column]) == [("CN_FOREIGN_PERMANENT_RESIDENT_ID", OLD)]
    assert is_valid(OLD) and is_valid(NEW)


def test_a_scanned_log_writes_the_masked_number_and_never_the_number(tmp_path, key):
    log = tmp_path / "kyc.log"
    log.write_text(f"2026-11-28 开户 客户证件 {NEW}\n2026-11-28 永久居留身份证 {OLD}\n", "utf-8")
    result = scan_one(log, key)
    finding = result.findings[(str(log), "CN_FOREIGN_PERMANENT_RESIDENT_ID")]
    assert [s.masked for s in finding.samples] == ["911840********0128", "USA1100******41"]
    assert [s.location["line"] for s in finding.samples] == [1, 2]
    assert finding.samples[0].risk.as_dict() == {"category": "C2", "sensitive": True, "minor": False}
    written = json.dumps([dataclasses.asdict(s) for s in finding.samples], ensure_ascii=False)
    assert NEW not in written and OLD not in written


def metadata_of(text, scan_date):
    """Return the Presidio metadata of the one number found in ``text`` on ``scan_date``."""
    recognizer, = [r for r in build_recognizers(["CN_FOREIGN_PERMANENT_RESIDENT_ID"], scan_date)]
    result, = recognizer.analyze(text, ["CN_FOREIGN_PERMANENT_RESIDENT_ID"])
    return result.recognition_metadata


def test_a_holder_under_14_on_the_scan_date_is_a_minor_in_both_forms():
    """PIPL Art. 28 counts a child's data sensitive whatever the document; YYMMDD is read 20YY."""
    child_2023 = with_check("91184020150101012")  # born 2015-01-01
    child_2017 = "USA110015010141"  # born (20)15-01-01
    for number in (child_2023, child_2017):
        assert metadata_of(f"永久居留身份证 {number}", datetime.date(2026, 11, 28)).get("minor") is True
        assert "minor" not in metadata_of(f"永久居留身份证 {number}", datetime.date(2029, 1, 2))
    assert "minor" not in metadata_of(f"永久居留身份证 {NEW}", datetime.date(2026, 11, 28))
    assert "minor" not in metadata_of(f"永久居留身份证 {OLD}", datetime.date(2026, 11, 28))


def test_a_birth_date_after_the_scan_date_is_no_number():
    """Validity is judged on the scan date, as for a resident ID, not on the clock's today."""
    born_2020 = with_check("91184020200101012")
    assert metadata_of(f"永久居留身份证 {born_2020}", datetime.date(2026, 11, 28)) is not None
    recognizer, = build_recognizers(["CN_FOREIGN_PERMANENT_RESIDENT_ID"], datetime.date(2019, 12, 31))
    assert recognizer.analyze(f"永久居留身份证 {born_2020}", ["CN_FOREIGN_PERMANENT_RESIDENT_ID"]) == []


def test_a_minors_number_in_a_log_is_written_as_a_minors(tmp_path, key):
    log = tmp_path / "kyc.log"
    log.write_text(f"2026-11-28 开户 客户证件 {with_check('91184020150101012')}\n", "utf-8")
    finding = scan_one(log, key).findings[(str(log), "CN_FOREIGN_PERMANENT_RESIDENT_ID")]
    assert finding.samples[0].risk.as_dict() == {"category": "C2", "sensitive": True, "minor": True}
