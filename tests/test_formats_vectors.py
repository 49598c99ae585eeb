"""Every test vector of FORMATS.md (tests/data/formats-vectors.json) goes through the analyzer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DATA
from recognizers import build_analyzer

VECTORS = json.loads((DATA / "formats-vectors.json").read_text("utf-8"))
SHARED = Path("/work/shared/formats-vectors.json")

# vector group -> (entity, keyword put before the value, whether it must be found)
GROUPS = {
    "cn_id_valid": ("CN_RESIDENT_ID", "身份证号", True),
    "cn_id_invalid": ("CN_RESIDENT_ID", "身份证号", False),
    "uscc_valid": ("CN_USCC", "统一社会信用代码", True),
    "uscc_invalid": ("CN_USCC", "统一社会信用代码", False),
    "card_valid_luhn": ("CN_BANK_CARD", "卡号", True),
    "card_invalid": ("CN_BANK_CARD", "卡号", False),
    "mobile_valid": ("CN_MOBILE_PHONE", "手机", True),
    "mobile_invalid": ("CN_MOBILE_PHONE", "手机", False),
    "landline_valid": ("CN_LANDLINE_PHONE", "电话", True),
    "landline_invalid": ("CN_LANDLINE_PHONE", "电话", False),
    "non_personal_numbers": (None, "电话", False),
    "passport": ("CN_PASSPORT", "护照号码", True),
    "hkmo_to_mainland_permit": ("CN_HK_MACAU_PERMIT", "回乡证", True),
    "mainland_to_hkmo_permit": ("CN_HK_MACAU_PERMIT", "往来港澳通行证", True),
    "plate_valid": ("CN_LICENSE_PLATE", "车牌", True),
    "plate_invalid": ("CN_LICENSE_PLATE", "车牌", False),
}
CASES = [pytest.param(group, vector, id=f"{group}-{vector if isinstance(vector, str) else vector['v']}")
         for group in GROUPS for vector in VECTORS[group]]


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


def test_every_vector_group_is_exercised():
    assert set(VECTORS) - {"_note"} == set(GROUPS)


def test_copy_equals_shared_file():
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not on this machine")
    assert (DATA / "formats-vectors.json").read_bytes() == SHARED.read_bytes()


@pytest.mark.parametrize("group,vector", CASES)
def test_vector(analyzer, group, vector):
    entity, keyword, expected = GROUPS[group]
    value = vector if isinstance(vector, str) else vector["v"]
    text = f"{keyword}：{value}。"
    found = analyzer.analyze(text, language="zh", entities=[entity] if entity else None)
    spans = [(r.entity_type, r.start, r.end) for r in found]
    if expected:
        assert spans == [(entity, len(keyword) + 1, len(keyword) + 1 + len(value))], group
    else:
        assert spans == [], group
