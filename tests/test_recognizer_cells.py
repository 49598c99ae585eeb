"""Whole cells under a named column: found only with the column, masked cells flagged, and the
detector's prefilter agrees with Presidio's AnalyzerEngine on them."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from pii_audit.detector import Detector
from pii_audit.models import Cells, Chunk, Column
from recognizers import MIN_SCORE, build_analyzer
from scan_helpers import detector_for
from tests_corpus import resident_id

CELLS = [
    pytest.param("张三", "khxm", "PERSON", False, id="name"),
    pytest.param("欧阳娜娜", "cust_name", "PERSON", False, id="compound-surname"),
    pytest.param("王*", "xm", "PERSON", True, id="masked-name"),
    pytest.param("北京市海淀区中关村大街 100080", "jtzz", "CN_ADDRESS", False, id="address-postcode"),
    pytest.param("12345678", "tbzh", "CN_TAIWAN_PERMIT", False, id="taiwan-8-digits"),
    pytest.param("京A12345", "cph", "CN_LICENSE_PLATE", False, id="plate"),
    pytest.param("E12345678", "hzhm", "CN_PASSPORT", False, id="passport"),
    pytest.param("0755-82345678", "gddh", "CN_LANDLINE_PHONE", False, id="landline"),
    pytest.param("192.168.1.10", "dlip", "IP_ADDRESS", False, id="private-ip-login-column"),
]


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


def detect(key, text, context):
    chunk = Chunk(text, {"path": "x.xlsx"}, "x.xlsx!Sheet1!A", tuple(context))
    return [(o.entity_type, o.already_masked) for o in detector_for(key).detect_chunk(chunk)]


@pytest.mark.parametrize("text,column,entity,masked", CELLS)
def test_cell_found_only_under_its_column(key, analyzer, text, column, entity, masked):
    assert detect(key, text, [column]) == [(entity, masked)]
    assert detect(key, text, ["bz"]) == []
    presidio = analyzer.analyze(text, language="zh", context=[column], score_threshold=MIN_SCORE)
    assert [r.entity_type for r in presidio] == [entity]


@pytest.mark.parametrize("text", ["姓名：张先生", "户名：北京某某科技有限公司", "地址：未知"])
def test_keyword_look_alikes_are_not_names_or_addresses(key, text):
    assert detect(key, text, []) == []


@pytest.mark.parametrize("column", ["idCard", "ID_CARD_NO", "idCardNo", "identity_card"])
def test_an_id_column_holding_card_in_its_name_finds_no_cards(key, analyzer, column):
    """idCard holds "card": ID numbers under it that also pass a card's checks (about 2 in 100)
    were reported as bank cards too, a false card finding for every such column."""
    rng = random.Random(9)
    ids = [resident_id(rng) for _ in range(2000)]
    detector = Detector(key)
    card = detector.by_entity["CN_BANK_CARD"]
    assert sum(card.validated(value) for value in ids) > 20  # card-shaped ID numbers are there
    column_of_ids = Cells([Column(ids, f"t.{column}", (column,))], lambda number, row: {"row": row})
    assert Counter(o.entity_type for o in detector.detect([column_of_ids])) == {"CN_RESIDENT_ID": 2000}
    shaped = next(value for value in ids if card.validated(value))
    presidio = analyzer.analyze(shaped, language="zh", context=[column], score_threshold=MIN_SCORE)
    assert [r.entity_type for r in presidio] == ["CN_RESIDENT_ID"]


def test_card_in_an_id_field_of_a_log_line_is_no_card_keyword(key):
    """In a log line, idCard= before an ID number that passes a card's checks is no card keyword;
    card, cardNo and bankCard still are."""
    rng = random.Random(9)
    card = Detector(key).by_entity["CN_BANK_CARD"]
    shaped = [value for value in (resident_id(rng) for _ in range(2000)) if card.validated(value)][:20]
    for value in shaped:
        assert detect(key, f"INFO 实名 idCard:{value} ok", []) == [("CN_RESIDENT_ID", False)]
        assert ("CN_BANK_CARD", False) in detect(key, f"INFO 绑卡 cardNo:{value} ok", [])
    assert detect(key, "绑卡 bankCard=6222021234567890128 idCard=11010519491231002X", []) == \
        [("CN_BANK_CARD", False), ("CN_RESIDENT_ID", False)]
    assert Detector(key).by_entity["CN_BANK_CARD"].context_verdict(("bankCardNo",)) == 1
