"""PERSON: a common word after a key that says "name" without saying whose is no name; a name that
is also a word is one after a keyword or a person's key."""

from __future__ import annotations

import re

import pytest

from pii_audit.models import Chunk
from recognizers import MIN_SCORE, build_analyzer
from recognizers.person import COLUMN_HINTS, GENERIC_HINTS, PERSON_HINTS, _name_regex, common_words, is_valid
from scan_helpers import detector_for


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


def found(key: bytes, text: str, context: tuple[str, ...] = ()) -> list[str]:
    """Return the PERSON values the detector reports in ``text`` (a log line, or a cell in ``context``)."""
    chunk = Chunk(text, {"path": "a.log"}, "a.log", context)
    return [text[o.location["start"]:o.location["end"]] for o in detector_for(key).detect_chunk(chunk)
            if o.entity_type == "PERSON"]


def presidio_found(analyzer, text: str, context: tuple[str, ...] = ()) -> list[str]:
    results = analyzer.analyze(text, language="zh", entities=["PERSON"], context=list(context),
                               score_threshold=MIN_SCORE)
    return [text[r.start:r.end] for r in results]


@pytest.mark.parametrize("text, names", [
    pytest.param('{"name":"周一"}', [], id="weekday"),
    pytest.param('{"name":"黄金"}', [], id="product"),
    pytest.param('{"name":"高端"}', [], id="adjective"),
    pytest.param('{"name":"张家港"}', [], id="city"),
    pytest.param('{"code":"0301","name":"金融","sort":3}', [], id="dictionary-row"),
    pytest.param("<name>安全</name>", [], id="xml"),
    pytest.param("userName=方案, ", [], id="user-name"),
    pytest.param('{"cardLevel":"1","name":"龙卡"}', [], id="card-brand"),
    pytest.param('{"name":"浦发"}', [], id="bank-short-name"),
    pytest.param("<name>季末</name>", [], id="period"),
    pytest.param('{"xm":"张伟","name":"黄金"}', ["张伟"], id="a-persons-key-nearby-lifts-no-word"),
    pytest.param('{"name":"程序","owner":{"name":"刘洋"}}', ["刘洋"], id="a-name-beside-a-word"),
    pytest.param('[{"name":"欧阳娜娜"},{"name":"高端"}]', ["欧阳娜娜"], id="compound-surname-beside-a-word"),
])
def test_a_common_word_after_a_generic_key_is_no_name(key, analyzer, text, names):
    """JSON logs of product catalogues, configs and dictionary tables name things under a bare
    `name`: 周一, 黄金, 高端 and 张家港 there were reported as 周*, 黄*, 高*, 张**; a name that is
    no word (张伟, 刘洋, 欧阳娜娜) is still reported there."""
    assert found(key, text) == names
    assert presidio_found(analyzer, text) == names


@pytest.mark.parametrize("word", ["江山", "和平", "海洋", "文静", "金华"])
def test_a_name_that_is_a_word_is_found_after_a_persons_key(key, analyzer, word):
    """The word list weighs only where a key or a column says "name" and not whose: after a
    keyword, a person's key, or in a person's column, a name that is a word is reported."""
    assert word in common_words()
    for text in (f"姓名：{word}", f"客户姓名:{word}，", f'{{"xm":"{word}"}}', f"custName={word}, ",
                 f"<khxm>{word}</khxm>", f"收款人{word}已确认"):
        assert found(key, text) == [word], text
        assert presidio_found(analyzer, text) == [word], text
    for cell, column in ((word, "xm"), (word, "cust_name"), (word, "姓名"), (f"姓名：{word}", "name")):
        assert found(key, cell, (column,)) == [word], column
        assert presidio_found(analyzer, cell, (column,)) == [word], column
    assert found(key, f'{{"name":"{word}"}}') == found(key, word, ("name",)) == []


@pytest.mark.parametrize("column", ["name", "NAME", "product_name", "userName"])
def test_a_common_word_as_a_cell_of_a_generic_column_is_no_name(key, analyzer, column):
    """A dictionary table's or a product table's `name` column holds words (黄金, 周一), which
    were reported as names; a name in it still is."""
    for cell, names in (("黄金", []), ("周一", []), ("张家港", []), ("张伟", ["张伟"])):
        assert found(key, cell, (column,)) == names, cell
        assert presidio_found(analyzer, cell, (column,)) == names, cell


def test_the_word_list_holds_only_what_the_name_pattern_would_report():
    """bench/common_words.py keeps the words that the pattern takes whole and validation keeps;
    rerun it when the surnames change."""
    pattern = re.compile(_name_regex())
    words = common_words()
    assert len(words) > 10_000
    assert all(pattern.fullmatch(word) and is_valid(word) for word in words)
    assert {"张伟", "刘洋", "王芳", "李娜", "高峰", "欧阳娜娜"}.isdisjoint(words)


def test_generic_hints_are_column_hints():
    assert set(GENERIC_HINTS) <= set(COLUMN_HINTS) and set(PERSON_HINTS) == set(COLUMN_HINTS) - set(GENERIC_HINTS)
