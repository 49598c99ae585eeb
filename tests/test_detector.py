"""The detector finds exactly what the recognizers find through Presidio's AnalyzerEngine."""

from __future__ import annotations

import random

import pytest

import pii_audit.detector as detector_module
from pii_audit.detector import Detector
from pii_audit.models import Chunk
from recognizers import MIN_SCORE, build_analyzer
from recognizers.base import to_halfwidth
from tests_corpus import corpus_lines


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


def presidio_spans(analyzer, line, context=()):
    results = analyzer.analyze(to_halfwidth(line), language="zh", context=list(context) or None,
                               score_threshold=MIN_SCORE)
    return sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in results)


def detector_spans(detector, line, context=()):
    chunk = Chunk(line, {"path": "x"}, "x", tuple(context))
    return sorted((o.entity_type, o.location["start"], o.location["end"], round(o.score, 6))
                  for o in detector.detect_chunk(chunk))


def test_same_occurrences_as_presidio_line_by_line(analyzer, key):
    detector = Detector(key)
    lines = corpus_lines(random.Random(7), 3000)
    found = 0
    for line in lines:
        expected = presidio_spans(analyzer, line)
        assert detector_spans(detector, line) == expected, line
        found += len(expected)
    assert found > 1000  # the corpus really exercises the recognizers


@pytest.mark.parametrize("context", [["sfzh"], ["sjhm"], ["yhkh"], ["jyje"], ["备注"]])
def test_same_occurrences_with_column_context(analyzer, key, context):
    detector = Detector(key)
    for line in corpus_lines(random.Random(11), 500):
        assert detector_spans(detector, line, context) == presidio_spans(analyzer, line, context), line


def test_multiline_chunks_give_line_numbers_and_offsets(key):
    detector = Detector(key)
    lines = corpus_lines(random.Random(3), 400)
    text = "\n".join(lines)
    chunk = Chunk(text, {"path": "app.log", "line": 101}, "app.log", multiline=True)
    got = [(o.location["line"], o.location["start"], o.location["end"], o.entity_type)
           for o in detector.detect_chunk(chunk)]
    expected = []
    for number, line in enumerate(lines, start=101):
        for o in detector.detect_chunk(Chunk(line, {"path": "app.log"}, "app.log")):
            expected.append((number, o.location["start"], o.location["end"], o.entity_type))
    assert got == expected and got


def test_no_raw_value_in_occurrences(key):
    detector = Detector(key)
    text = "客户张三 身份证11010519491231002X 手机13812345678 卡号6200000000000005"
    occurrences = list(detector.detect_chunk(Chunk(text, {"path": "x"}, "x")))
    assert {o.entity_type for o in occurrences} >= {"CN_RESIDENT_ID", "CN_MOBILE_PHONE", "CN_BANK_CARD"}
    dumped = repr([o.to_json() for o in occurrences])
    for raw in ("11010519491231002X", "13812345678", "6200000000000005"):
        assert raw not in dumped


def test_a_mask_never_shows_the_whole_value(key):
    """Masks keep parts (an address to its district); a value that is all 'part' must not survive."""
    detector = Detector(key)
    text = "家庭地址：浙江省杭州市西湖区 联系地址：北京市海淀区中关村大街27号"
    occurrences = list(detector.detect_chunk(Chunk(text, {"path": "x"}, "x")))
    assert len(occurrences) == 2
    for occurrence in occurrences:
        raw = text[occurrence.location["start"]:occurrence.location["end"]]
        assert raw not in occurrence.masked


def occurrence_tuples(occurrences):
    return [(o.entity_type, o.location, o.container, round(o.score, 6), o.masked, o.fingerprint,
             o.already_masked) for o in occurrences]


@pytest.mark.parametrize("batch", [pytest.param(1, id="batch-1"), pytest.param(7, id="batch-7"),
                                   pytest.param(4096, id="one-batch")])
def test_batched_cells_equal_per_chunk_path(key, batch, monkeypatch):
    monkeypatch.setattr(detector_module, "VALUE_BATCH", batch)
    detector = Detector(key)
    rng = random.Random(5)
    lines = corpus_lines(rng, 1500)
    # Cells: corpus lines, bare values split over neighbouring cells, empty-ish and multiline chunks.
    chunks = []
    for n, line in enumerate(lines):
        context = (rng.choice(["sfzh", "sjhm", "备注", "金额"]),) if n % 3 else ()
        chunks.append(Chunk(line, {"path": "x", "cell": f"A{n}"}, f"x!{n % 5}", context))
        if n % 50 == 0:
            chunks.append(Chunk(line[:len(line) // 2], {"path": "x", "cell": f"B{n}"}, "x!B"))
            chunks.append(Chunk(line[len(line) // 2:], {"path": "x", "cell": f"C{n}"}, "x!C"))
            chunks.append(Chunk("\n".join(lines[n:n + 3]), {"path": "x", "line": n}, "x", multiline=True))
    expected = occurrence_tuples(o for chunk in chunks for o in detector.detect_chunk(chunk))
    assert len(expected) > 500
    assert occurrence_tuples(detector.detect(chunks)) == expected
