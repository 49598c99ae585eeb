"""CN_ADDRESS: a full address, from a place name to a house number, is found with no keyword; a
place name alone, a street without a place, a branch's address and a street named after a city
are not."""

from __future__ import annotations

import pytest

from pii_audit.models import Chunk
from recognizers import MIN_SCORE, build_analyzer
from recognizers.cn_address import full_addresses
from scan_helpers import detector_for


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


def found(key: bytes, text: str, context: tuple[str, ...] = ()) -> list[str]:
    """Return the plaintext CN_ADDRESS values the detector reports in ``text``."""
    chunk = Chunk(text, {"path": "a.log"}, "a.log", context)
    return [text[o.location["start"]:o.location["end"]] for o in detector_for(key).detect_chunk(chunk)
            if o.entity_type == "CN_ADDRESS" and not o.already_masked]


FULL = [
    pytest.param("2026-11-01 10:00:00 INFO 配送至北京市朝阳区建国路88号 处理完成", "北京市朝阳区建国路88号",
                 id="city-district-road-number"),
    pytest.param("deliver to 上海市浦东新区世纪大道100号3号楼502室 ok", "上海市浦东新区世纪大道100号3号楼502室",
                 id="building-and-room"),
    pytest.param("收件人在广东深圳南山区科技园路1号B座1201室", "广东深圳南山区科技园路1号B座1201室",
                 id="short-province-and-city"),
    pytest.param("退回原址：朝阳区建国路甲88-2号", "朝阳区建国路甲88-2号", id="district-first"),
    pytest.param('{"remark":"新疆维吾尔自治区乌鲁木齐市天山区解放南路12号2单元301室"}',
                 "新疆维吾尔自治区乌鲁木齐市天山区解放南路12号2单元301室", id="autonomous-region-in-json"),
    pytest.param("河北省石家庄市长安区中山东路３２６号", "河北省石家庄市长安区中山东路326号", id="full-width-digits"),
]


@pytest.mark.parametrize("text, address", FULL)
def test_a_full_address_is_found_without_a_keyword(key, analyzer, text, address):
    from recognizers.base import to_halfwidth

    assert [to_halfwidth(value) for value in found(key, text)] == [address]
    results = analyzer.analyze(text, language="zh", entities=["CN_ADDRESS"], score_threshold=MIN_SCORE)
    assert [to_halfwidth(text[r.start:r.end]) for r in results] == [address]


@pytest.mark.parametrize("text", [
    pytest.param("支付通道3号处理完成", id="no-place-name"),
    pytest.param("客户住在北京市朝阳区建国路", id="no-house-number"),
    pytest.param("门店在北京路88号", id="street-named-after-a-city"),
    pytest.param("营业网点：北京市朝阳区建国路88号", id="a-branch"),
    pytest.param("商户北京市朝阳区建国路88号 交易成功", id="a-merchant"),
    pytest.param("北京市 朝阳区 3号线 88号出口", id="a-metro-exit"),
])
def test_what_is_no_full_address(key, text):
    assert found(key, text) == []


def test_an_address_after_a_keyword_is_found_once(key):
    text = "家庭住址：北京市朝阳区建国路88号3号楼502室，手机号码：未填"
    assert found(key, text) == ["北京市朝阳区建国路88号3号楼502室"]


def test_a_merchant_address_named_an_address_is_still_reported(key):
    """The negative words keep bare addresses out; a keyword saying 地址 still wins."""
    assert found(key, "商户地址：北京市朝阳区建国路88号") == ["北京市朝阳区建国路88号"]


def test_a_full_address_in_an_unnamed_column(key):
    assert found(key, "北京市海淀区中关村大街27号 100080", ("bz",)) == ["北京市海淀区中关村大街27号"]
    assert found(key, "北京市海淀区中关村大街27号", ("wdmc",)) == ["北京市海淀区中关村大街27号"]


def test_a_full_address_in_a_log_block_wakes_the_recognizer(key):
    """The detector's screen must pass the line: nothing else on it names an address."""
    lines = ["2026-11-01 10:00:0%d INFO heartbeat ok" % n for n in range(5)]
    lines.insert(3, "2026-11-01 10:00:03 INFO 改派至浙江省杭州市西湖区文三路90号")
    text = "\n".join(lines)
    chunk = Chunk(text, {"path": "a.log", "line": 1}, "a.log", (), multiline=True)
    occurrences = [o for o in detector_for(key).detect_chunk(chunk) if o.entity_type == "CN_ADDRESS"]
    assert [(o.location["line"], lines[3][o.location["start"]:o.location["end"]]) for o in occurrences] == \
        [(4, "浙江省杭州市西湖区文三路90号")]
    assert occurrences[0].masked == "浙江省杭州市西湖区****"


def test_two_addresses_on_one_line():
    text = "从北京市朝阳区建国路88号寄往上海市黄浦区南京东路1号"
    assert [text[s:e] for s, e in full_addresses(text)] == ["北京市朝阳区建国路88号", "上海市黄浦区南京东路1号"]
