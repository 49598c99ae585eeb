"""PERSON: a common word after a key that says "name" without saying whose is no name; a name that
is also a word is one after a keyword or a person's key."""

from __future__ import annotations

import re

import pytest

from pii_audit.models import Chunk
from recognizers import MIN_SCORE, build_analyzer
from recognizers.person import COLUMN_HINTS, GENERIC_HINTS, PERSON_HINTS, _name_regex, common_words, is_valid
from recognizers.regions import place_names
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


LOG = "2024-03-12 22:34:51,592 INFO [http-nio-8080-exec-172] c.b.CustService - "


@pytest.mark.parametrize("text, names", [
    pytest.param(LOG + '{"code":"01","name":"余杭","sort":1}', [], id="dictionary-row"),
    pytest.param(LOG + "NAME=闵行", [], id="upper-key"),
    pytest.param(LOG + "name: 龙岗", [], id="yaml-like"),
    pytest.param(LOG + "<name>徐汇</name>", [], id="xml"),
    pytest.param(LOG + '{"areaCode":"350900","name":"宁德","level":2}', [], id="prefecture"),
    pytest.param(LOG + '{"areaCode":"330109","name":"萧山","level":3}', [], id="district"),
    pytest.param(LOG + '{"name":"萧山","contact":{"name":"刘洋"}}', ["刘洋"], id="a-name-beside-a-district"),
    pytest.param(LOG + '{"xm":"张伟","name":"闵行"}', ["张伟"], id="a-persons-key-beside-a-district"),
])
def test_a_district_under_a_generic_key_is_no_name(key, analyzer, text, names):
    """Region and branch dictionaries log a district's or a city's short name under a bare
    `name`: 余杭, 闵行, 龙岗, 徐汇, 宁德 and 萧山 there were reported as 余*, 闵*, ... (jieba, which
    the word list was drawn from, tags five of them as persons' names and lacks 闵行); a name
    beside them is still reported."""
    assert found(key, text) == names
    assert presidio_found(analyzer, text) == names


@pytest.mark.parametrize("column", ["name", "area_name"])
def test_a_district_as_a_cell_of_a_generic_column_is_no_name(key, analyzer, column):
    """A region table's `name` column holds districts (闵行, 宁德); a name in it still is one."""
    for cell, names in (("闵行", []), ("宁德", []), ("龙岗", []), ("刘洋", ["刘洋"])):
        assert found(key, cell, (column,)) == names, cell
        assert presidio_found(analyzer, cell, (column,)) == names, cell


@pytest.mark.parametrize("word", ["萧山", "宁德", "闵行"])
def test_a_district_is_a_name_only_where_a_key_says_whose(key, analyzer, word):
    """A person may be named 宁德 or 萧山: under a bare `name` the word is a place, but after a
    keyword, a person's key or in a person's column the word list weighs nothing."""
    assert found(key, f'{{"name":"{word}"}}') == found(key, word, ("name",)) == []
    for text in (f"姓名：{word}", f"custName={word}, ", f'{{"khxm":"{word}"}}', f"收款人{word}已确认"):
        assert found(key, text) == [word], text
        assert presidio_found(analyzer, text) == [word], text
    assert found(key, word, ("xm",)) == presidio_found(analyzer, word, ("xm",)) == [word]


def test_districts_without_their_suffix_are_common_words_unless_a_common_name():
    """Every GB/T 2260 district or county whose name less 区, 县 or 市 leaves two characters the
    name pattern takes is in the word list, unless those are a surname and one of the commonest
    given names (Faker zh_CN's: 高明 of 高明区, 黄平 of 黄平县), as often a person's name."""
    from faker.providers.person.zh_CN import Provider

    given = {name for name in Provider.first_names if len(name) == 1}
    pattern, words = re.compile(_name_regex()), common_words()
    short = {name[:2] for name in place_names() if len(name) == 3 and name[2] in "区县市"}
    places = {word for word in short if pattern.fullmatch(word) and is_valid(word) and word[1] not in given}
    assert len(places) > 400 and places <= words
    assert {"萧山", "余杭", "闵行", "徐汇", "龙岗", "宁德"} <= words
    assert {"高明", "黄平", "金平", "梁平"}.isdisjoint(words)
