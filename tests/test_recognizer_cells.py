"""Whole cells under a named column: found only with the column, masked cells flagged, and the
detector's prefilter agrees with Presidio's AnalyzerEngine on them."""

from __future__ import annotations

import pytest

from pii_audit.detector import Detector
from pii_audit.models import Chunk
from recognizers import MIN_SCORE, build_analyzer

CELLS = [
    pytest.param("张三", "khxm", "PERSON", False, id="name"),
    pytest.param("欧阳娜娜", "cust_name", "PERSON", False, id="compound-surname"),
    pytest.param("王*", "xm", "PERSON", True, id="masked-name"),
    pytest.param("北京市海淀区中关村大街27号 100080", "jtzz", "CN_ADDRESS", False, id="address-postcode"),
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
    return [(o.entity_type, o.already_masked) for o in Detector(key).detect_chunk(chunk)]


@pytest.mark.parametrize("text,column,entity,masked", CELLS)
def test_cell_found_only_under_its_column(key, analyzer, text, column, entity, masked):
    assert detect(key, text, [column]) == [(entity, masked)]
    assert detect(key, text, ["bz"]) == []
    presidio = analyzer.analyze(text, language="zh", context=[column], score_threshold=MIN_SCORE)
    assert [r.entity_type for r in presidio] == [entity]


@pytest.mark.parametrize("text", ["姓名：张先生", "户名：北京某某科技有限公司", "地址：未知"])
def test_keyword_look_alikes_are_not_names_or_addresses(key, text):
    assert detect(key, text, []) == []
