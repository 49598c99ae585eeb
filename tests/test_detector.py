"""The detector finds exactly what the recognizers find through Presidio's AnalyzerEngine."""

from __future__ import annotations

import html
import json
import random
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from presidio_analyzer import EntityRecognizer, RecognizerResult

import pii_audit.detector as detector_module
from pii_audit.detector import Detector
from pii_audit.escapes import unescape, unescaped_block, unescaped_texts
from pii_audit.models import Cells, Chunk, Column
from recognizers import MIN_SCORE, build_analyzer
from recognizers.base import to_halfwidth
from recognizers.person import RECORD_SCORE
from tests_corpus import corpus_lines, value


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


@pytest.mark.parametrize("line, name", [
    pytest.param("20240601|0001|王建国|11010519491231002X|1000.00|北京分行营业部|正常", "王建国", id="id-number"),
    pytest.param("欧阳娜娜^13812345678^高明^黄金", "欧阳娜娜", id="mobile-caret"),
    pytest.param("张三\t6222020200112345679\n李四\t正常", "张三", id="card-tab-two-lines"),
    pytest.param('"王五","138****5678"', "王五", id="masked-mobile-quoted"),
    pytest.param("孙八｜13812345678｜正常", "孙八", id="full-width-bar"),
    pytest.param("0001|王*|110105********0021|138****5678", "王*", id="masked-name-masked-record"),
    # An order number is no mobile number, a placeholder is one after its keyword.
    pytest.param("订单号|13812345678|赵六|" + "备注" * 16 + "\n钱七|13800000000|手机", "钱七", id="scored-in-context"),
])
def test_a_records_names_equal_presidios(analyzer, key, line, name):
    """A delimited record's names, which the detector adds where it found a person's identifier,
    are those ``PersonRecognizer.enhance_using_context`` adds in Presidio's AnalyzerEngine from
    the other recognizers' results, scored in context."""
    expected = presidio_spans(analyzer, line)
    assert detector_spans(Detector(key), line) == expected
    assert [line[start:end] for entity, start, end, _ in expected if entity == "PERSON"] == [name]


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


def test_a_chunk_with_its_utf8_bytes_gives_the_same_occurrences(key):
    detector = Detector(key)
    text = "\n".join(corpus_lines(random.Random(5), 300)) + "\n全角：１１０１０５１９４９１２３１００２Ｘ"
    plain = Chunk(text, {"path": "a.log", "line": 1}, "a.log", multiline=True)
    with_bytes = Chunk(text, {"path": "a.log", "line": 1}, "a.log", multiline=True, utf8=text.encode())
    expected = list(detector.detect_chunk(plain))
    assert list(detector.detect_chunk(with_bytes)) == expected and len(expected) > 100


def lines_found(detector, lines, path="app.log"):
    """Return what the detector finds in ``lines`` read as one block of a log."""
    return list(detector.detect_chunk(Chunk("\n".join(lines), {"path": path, "line": 1}, path, multiline=True)))


def identities(occurrences):
    """Return what says which value each occurrence is, and where, but its offsets."""
    return [(o.location["line"], o.entity_type, o.fingerprint, o.masked) for o in occurrences]


def test_json_lines_with_escaped_characters_give_what_the_plain_lines_give(key):
    """json.dumps escapes every Chinese character by default: context keywords, names and
    addresses must still be seen, and offsets must point into the line as stored."""
    detector = Detector(key)
    messages = corpus_lines(random.Random(13), 300) + ["客户身份证号 110105491231002 地址 北京市朝阳区建国路88号"]
    escaped = [json.dumps({"msg": m}) for m in messages]
    plain = [json.dumps({"msg": m}, ensure_ascii=False) for m in messages]
    assert sum("\\u" in line for line in escaped) > 200

    got, expected = lines_found(detector, escaped), lines_found(detector, plain)
    assert identities(got) == identities(expected)
    assert {"CN_RESIDENT_ID", "CN_ADDRESS"} <= {o.entity_type for o in got if o.location["line"] == len(messages)}
    for mine, theirs in zip(got, expected):
        line, plain_line = escaped[mine.location["line"] - 1], plain[theirs.location["line"] - 1]
        stored = line[mine.location["start"]:mine.location["end"]]
        assert unescape(stored)[0] == plain_line[theirs.location["start"]:theirs.location["end"]]


# Pieces of escaped log text, backslashes and line breaks among them, for the property below.
_ESCAPED_PIECES = st.sampled_from([
    "\\u5ba2", "\\u6237", "\\uff1a", "\\u000a", "\\u000D", "\\ud83d", "\\ude00", "\\u001b[33m", "\\u0026#23385;",
    "\\u005c", "\\u005cu5ba2", "\\\\", "\\", "u5ba2", "\\\"", "\\n", "\\u12", "%E5%BC%A0", "%3D", "&#23385;", "&lt;",
    "\x1b[1;33m", "\x1b[0m", "<![CDATA[", "]]>", "孙丽", "13812345678", " ", "\"", ":"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ESCAPED_PIECES, max_size=12).map("".join))
def test_the_screen_sees_an_escaped_line_as_the_detector_reads_it(line):
    """A block is screened with its escapes decoded (``unescaped_block``) and the lines it hits
    are read unescaped (``unescape``): the two must agree, or the screen would choose the
    recognizers of a different text. Before, \\u escapes were not decoded in the block: each
    line holding one was screened again alone, 16-28 µs a line of a JSON log (measured)."""
    assert unescaped_block(line.encode("utf-8")) == unescape(line)[0].encode("utf-8", "surrogatepass")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_ESCAPED_PIECES | st.sampled_from(["\n", "eyJtb2JpbGUiOiIxMzgxMjM0NTY3OCJ9"]), max_size=8)
                .map("".join), max_size=6))
def test_a_batch_of_values_is_read_as_each_value_alone(values):
    """A table's values are unescaped together, their places worked out only for those that hold
    an occurrence (``escapes.unescaped_texts``, ``detector._Places``): each must read as it does
    alone, values with line breaks and base64 among them."""
    assert unescaped_texts(values) == [unescape(value)[0] for value in values]


def test_a_log_coloured_for_a_terminal_gives_what_the_plain_log_gives(key):
    """A console appender colours its fields (``\\x1b[1;33m13812345678\\x1b[0m``): the values
    are found as in the plain log, in lines and in a table's values, located as stored. Before,
    the letter of the code before a value hid every coloured one."""
    detector = Detector(key)
    plain = corpus_lines(random.Random(17), 300)
    coloured = [" ".join(f"\x1b[1;3{n % 8}m{word}\x1b[0m" if n % 2 else word for n, word in enumerate(line.split(" ")))
                for line in plain]
    assert sum("\x1b" in line for line in coloured) > 200

    got, expected = lines_found(detector, coloured), lines_found(detector, plain)
    assert identities(got) == identities(expected)
    assert len(got) > 100
    for mine, theirs in zip(got, expected):
        line, plain_line = coloured[mine.location["line"] - 1], plain[theirs.location["line"] - 1]
        stored = line[mine.location["start"]:mine.location["end"]]  # a value may span a code
        assert unescape(stored)[0] == plain_line[theirs.location["start"]:theirs.location["end"]]
        assert not stored.startswith("\x1b") and not stored.endswith("\x1b[0m")

    def in_cells(values):
        cells = Cells([Column(values, "a.xlsx!客户!备注")], lambda column, row: {"cell": f"A{row + 2}"})
        return [(o.location["cell"], o.fingerprint) for o in detector.detect([cells])]

    assert in_cells(coloured) == in_cells(plain) and in_cells(plain)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_percent_encoded_log_gives_what_the_plain_log_gives(key, encoding):
    """An access log holds query strings and form bodies percent-encoded (``idNo%3D1101…``,
    ``name=%E5%BC%A0…``, in GBK on older Chinese servers): every other line of the corpus
    encoded whole, its values are found as in the plain lines, located as stored, in lines and
    in table values. Before, a value after ``%3D`` or ``%22`` was missed, and so was any name."""
    detector = Detector(key)
    plain = corpus_lines(random.Random(19), 300)
    encoded = [f"GET /q?{urllib.parse.quote(line, safe='', encoding=encoding)} HTTP/1.1" if n % 2 else line
               for n, line in enumerate(plain)]
    prefix = len("GET /q?")

    got, expected = lines_found(detector, encoded, "access.log"), lines_found(detector, plain, "access.log")
    assert identities(got) == identities(expected)
    assert sum(o.location["line"] % 2 == 0 for o in got) > 50  # line n + 1 was encoded
    for mine, theirs in zip(got, expected):
        number = mine.location["line"] - 1
        stored = encoded[number][mine.location["start"]:mine.location["end"]]
        value = plain[number][theirs.location["start"]:theirs.location["end"]]
        assert urllib.parse.unquote(stored, encoding=encoding) == value
        if number % 2:
            assert urllib.parse.quote(value, safe="", encoding=encoding) == stored and mine.location["start"] >= prefix

    def in_cells(values):
        cells = Cells([Column(values, "t!备注")], lambda column, row: {"row": row})
        return [(o.location["row"], o.fingerprint) for o in detector.detect([cells])]

    assert in_cells(encoded) == in_cells(plain) and in_cells(plain)


def xml_referenced(text, hexadecimal=False):
    """Return ``text`` as an XML serializer that writes ASCII only writes it: markup as named
    references, every other non-ASCII character as a numeric one."""
    named = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
    return "".join(named.get(c) or (c if c.isascii() else f"&#x{ord(c):X};" if hexadecimal else f"&#{ord(c)};")
                   for c in text)


@pytest.mark.parametrize("hexadecimal", [False, True], ids=["decimal", "hex"])
def test_xml_character_references_give_what_the_plain_log_gives(key, hexadecimal):
    """A SOAP or XML message logged as its serializer wrote it holds its Chinese as character
    references (``<custName>&#23385;&#20029;</custName>``) and its markup as named ones: every
    other line of the corpus so written, its values are found as in the plain lines, located as
    stored, in lines and in table values. Before, every name and keyword in them was missed."""
    detector = Detector(key)
    plain = corpus_lines(random.Random(23), 299) + ["<req><custName>孙丽</custName><addr>北京市朝阳区建国路88号</addr></req>"]
    referenced = [f"<msg>{xml_referenced(line, hexadecimal)}</msg>" if n % 2 else line for n, line in enumerate(plain)]
    assert "&#" in referenced[-1]

    got, expected = lines_found(detector, referenced), lines_found(detector, plain)
    assert identities(got) == identities(expected)
    assert sum(o.location["line"] % 2 == 0 for o in got) > 50  # line n + 1 was written with references
    assert {o.entity_type for o in got if o.location["line"] == len(plain)} == {"PERSON", "CN_ADDRESS"}
    for mine, theirs in zip(got, expected):
        number = mine.location["line"] - 1
        stored = referenced[number][mine.location["start"]:mine.location["end"]]
        assert html.unescape(stored) == plain[number][theirs.location["start"]:theirs.location["end"]]

    def in_cells(values):
        cells = Cells([Column(values, "t!备注")], lambda column, row: {"row": row})
        return [(o.location["row"], o.fingerprint) for o in detector.detect([cells])]

    assert in_cells(referenced) == in_cells(plain) and in_cells(plain)


def test_a_containers_json_log_of_a_coloured_console_is_read_as_the_console_showed_it(key):
    """Docker's json-file log holds a console's colour codes with their ESC escaped: the 15-digit
    ID is found beside its keyword, located where it is stored."""
    line = json.dumps({"log": "\x1b[32mINFO\x1b[0m 客户身份证号 \x1b[1;33m110105491231002\x1b[0m\n", "stream": "stdout"})
    assert "\\u001b[1;33m" in line and "\\u5ba2" in line
    chunk = Chunk(line + "\n" + line, {"path": "c.log", "line": 1}, "c.log", multiline=True)
    found = list(Detector(key).detect_chunk(chunk))
    assert [(o.entity_type, o.location["line"]) for o in found] == [("CN_RESIDENT_ID", 1), ("CN_RESIDENT_ID", 2)]
    assert {line[o.location["start"]:o.location["end"]] for o in found} == {"110105491231002"}


def test_no_raw_value_in_occurrences(key):
    detector = Detector(key)
    text = "客户张三 身份证11010519491231002X 手机13812345678 卡号6200000000000005"
    occurrences = list(detector.detect_chunk(Chunk(text, {"path": "x"}, "x")))
    assert {o.entity_type for o in occurrences} >= {"CN_RESIDENT_ID", "CN_MOBILE_PHONE", "CN_BANK_CARD"}
    dumped = repr([o.to_json() for o in occurrences])
    for raw in ("11010519491231002X", "13812345678", "6200000000000005"):
        assert raw not in dumped


@pytest.mark.parametrize("name", ["path", "sheet", "table", "column", "part", "property"])
def test_no_raw_value_in_the_names_a_location_took_from_the_file(key, name):
    """A document's part, an attachment's name or a custom property's name is the file's own
    text, as a path or a sheet's name is: an ID number in one is masked where it is recorded."""
    location = {"path": "a.docx", name: "客户11010519491231002X"}
    (occurrence,) = Detector(key).detect_chunk(Chunk("手机13812345678", location, "a.docx"))
    assert occurrence.location[name] == "客户110105********002X"


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


def cell_blocks(rng, lines, rows=40):
    """Blocks of Cells of corpus lines and bare values, with the awkward cells a source hands on."""
    contexts = [(), ("sfzh",), ("sjhm",), ("备注",), ("金额",), ("khxm",), ("jtzz",)]
    blocks = []
    for start in range(0, len(lines), rows * 3):
        columns = []
        for number in range(3):
            texts = []
            for n in range(rows):
                kind = rng.randrange(10)
                text = lines[(start + number * rows + n) % len(lines)]
                texts.append("" if kind == 0 else value(rng) if kind < 4 else
                             text.replace(" ", "\n", 1) if kind == 4 else text)  # a newline inside a cell
            columns.append(Column(texts, f"t.c{number}", rng.choice(contexts)))
        locate = (lambda block: lambda column, row: {"path": "x", "cell": f"{column}:{block}:{row}"})(start)
        blocks.append(Cells(columns, locate))
    return blocks


def test_cells_equal_one_chunk_per_cell(key):
    """A block of Cells finds what one chunk per cell finds, in the same order, full-width forms,
    newlines in cells, empty cells and column context included; and, which a cell alone cannot
    tell, the names of rows read as records (a bare name beside an ID number's cell in columns
    no header names: tests/test_headerless_records.py)."""
    detector = Detector(key)
    rng = random.Random(13)
    blocks = cell_blocks(rng, corpus_lines(rng, 1200))
    stream = [blocks[0], Chunk("身份证 11010519491231002X", {"path": "y"}, "y"), *blocks[1:],
              Chunk("a\n手机13812345678", {"path": "z", "line": 1}, "z", multiline=True)]
    expected = occurrence_tuples(o for item in stream
                                 for chunk in (item.chunks() if isinstance(item, Cells) else [item])
                                 for o in detector.detect_chunk(chunk))
    assert len(expected) > 300
    assert any("１" in t for b in blocks for c in b.columns for t in c.texts)
    got = occurrence_tuples(detector.detect(stream))
    names = [o for o in got if o not in expected]
    assert [o for o in got if o in expected] == expected
    assert names and {(o[0], o[3]) for o in names} == {("PERSON", RECORD_SCORE)}


def test_cells_with_escaped_json_give_what_their_plain_json_gives(key):
    """A column of JSON written by json.dumps (every Chinese character a \\u escape) finds what
    the same JSON written unescaped finds, through Cells, value batches and single chunks."""
    detector = Detector(key)
    rng = random.Random(17)
    messages = corpus_lines(rng, 240) + ["客户身份证号 110105491231002 地址 北京市朝阳区建国路88号"] * 3

    def stream(ensure_ascii):
        blocks = cell_blocks(random.Random(3), [json.dumps({"m": m}, ensure_ascii=ensure_ascii) for m in messages])
        return blocks, [chunk for block in blocks for chunk in block.chunks()]

    def found(occurrences):
        return [(o.entity_type, o.location["cell"], o.fingerprint, o.masked) for o in occurrences]

    (escaped_blocks, escaped_chunks), (plain_blocks, plain_chunks) = stream(True), stream(False)
    expected = found(detector.detect(plain_blocks))
    assert len(expected) > 100 and "CN_ADDRESS" in {e[0] for e in expected}
    assert found(detector.detect(escaped_blocks)) == expected
    assert found(detector.detect(escaped_chunks)) == expected
    assert found(o for c in escaped_chunks for o in detector.detect_chunk(c)) == expected
    by_cell = {c.location["cell"]: c.text for c in escaped_chunks}
    plain_by_cell = {c.location["cell"]: c.text for c in plain_chunks}
    for mine, theirs in zip(detector.detect(escaped_blocks), detector.detect(plain_blocks)):
        stored = by_cell[mine.location["cell"]][mine.location["start"]:mine.location["end"]]
        assert unescape(stored)[0] == plain_by_cell[theirs.location["cell"]][theirs.location["start"]:theirs.location["end"]]


def test_cells_below_the_screening_score_equal_one_chunk_per_cell(key):
    detector = Detector(key, min_score=0.3)
    rng = random.Random(17)
    blocks = cell_blocks(rng, corpus_lines(rng, 300))
    expected = occurrence_tuples(o for b in blocks for c in b.chunks() for o in detector.detect_chunk(c))
    assert occurrence_tuples(detector.detect(blocks)) == expected


def test_empty_text_holds_nothing_even_in_a_named_column(key):
    """Sources hand on "" for NULLs and skipped values: no recognizer may find anything there."""
    detector = Detector(key, min_score=0.0)
    assert detector.analyze("", ("sfzh",)) == []
    for recognizer in detector.recognizers:
        assert recognizer.analyze_halfwidth("") == []


def random_found(rng, recognizers):
    found = []
    for _ in range(rng.randint(2, 6)):
        start = rng.randint(0, 40)
        found.append((start, start + rng.randint(1, 12), rng.choice([0.0, 0.3, 0.5, 0.85, 1.0]),
                      rng.choice(recognizers), "x", rng.random() < 0.2))
    if rng.random() < 0.2:
        found.append(found[0])
    return found


def test_duplicates_fast_path_equals_presidio():
    """What ``find`` keeps of overlapping values is what Presidio's remove_duplicates keeps, in
    the order the occurrences are emitted (by start, then entity)."""
    detector = Detector(bytes(32))
    recognizers = [detector.by_entity[e] for e in ("CN_RESIDENT_ID", "CN_MOBILE_PHONE", "PERSON")]
    rng = random.Random(23)
    fast = 0
    for _ in range(5000):
        found = random_found(rng, recognizers)
        results = [RecognizerResult(r.ENTITY, start, end, score, {}) for start, end, score, r, _, _ in found]
        expected = sorted(EntityRecognizer.remove_duplicates(results), key=lambda r: (r.start, r.entity_type))
        got = detector_module._without_duplicates(list(found))
        assert [(r.ENTITY, start, end, score) for start, end, score, r, _, _ in got] == \
            [(r.entity_type, r.start, r.end, r.score) for r in expected], found
        fast += len(got) == len(found)
    assert fast > 500  # the fast path is taken often enough to be tested


def test_texts_found_clean_are_remembered_per_context_and_hold_nothing(key):
    """A text in which nothing was found is skipped next time in the same context only, and
    what is remembered never holds a value a recognizer reports."""
    detector = Detector(key)
    phone = "13812345678"
    column = lambda context: Column(["已脱敏", phone, "已脱敏", phone], "t.c", (context,))  # noqa: E731
    locate = lambda c, r: {"row": r}  # noqa: E731
    assert list(detector.detect([Cells([column("jyje")], locate)])) == []  # an amount column
    found = list(detector.detect([Cells([column("sjhm")], locate)]))
    assert [o.location["row"] for o in found] == [1, 3]
    rng = random.Random(29)
    list(detector.detect(cell_blocks(rng, corpus_lines(rng, 600))))
    assert ("已脱敏", ("sjhm",)) in detector._clean and len(detector._clean) > 50
    assert all(not detector.analyze(text, context) for text, context in detector._clean)


def test_masked_mobile_numbers_do_not_wake_the_id_recognizer(key):
    """A masked ID holds at least seven stars in a row; 138****5678, the commonest masked value in
    bank logs, has four, so its line no longer runs the ID recognizer for nothing."""
    detector = Detector(key)
    (chosen,) = detector.screen("短信已发送至138****5678").values()
    assert "CN_RESIDENT_ID" not in {detector.recognizers[n].ENTITY for n in chosen}
    (chosen,) = detector.screen("证件 110105********002X").values()
    assert "CN_RESIDENT_ID" in {detector.recognizers[n].ENTITY for n in chosen}


@pytest.mark.parametrize("text", ["短信已发送至138****5678", "+86138****5678", "0086 138 **** 5678",
                                  "(+86)138-****-5678"])
def test_masked_mobile_numbers_do_not_wake_the_card_recognizer(key, text):
    """A masked card the card recognizer reports holds at least five stars, in one run or in
    groups; a masked mobile number holds one run of four, so its line no longer runs the card
    recognizer for nothing, whatever its prefix (the card pattern reads 86138 as a prefix)."""
    detector = Detector(key)
    (chosen,) = detector.screen(text).values()
    assert {detector.recognizers[n].ENTITY for n in chosen} == {"CN_MOBILE_PHONE"}


@pytest.mark.parametrize("text", ["卡号 622202******1234", "6222 **** **** 1234", "**** **** **** 1234",
                                  "622202-**-***-1234", "370247*****1234"])
def test_masked_cards_still_wake_the_card_recognizer(key, text):
    detector = Detector(key)
    card = next(n for n, r in enumerate(detector.recognizers) if r.ENTITY == "CN_BANK_CARD")
    assert detector.recognizers[card].analyze(text, None)  # reported, so it must be screened
    (chosen,) = detector.screen(text).values()
    assert card in chosen


@pytest.mark.parametrize("line, reported", [
    ("客户联系 Tel: 010-62345678", True), ("TEL：010-62345678", True), ("telNo=010-62345678", True),
    ("Tel 010-62345678", True), ('{"tel":"010-62345678"}', True), ("tel_no=010-62345678", True),
    ("txn=8001 tellerNo=T0012 brNo=0101 contact 010-62345678", False),
])
def test_tel_is_a_landlines_context_as_a_field_names_it_not_inside_teller(key, line, reported):
    """``teller`` (柜员) holds ``tel``: a core system's transaction line naming its teller gave a
    landline number near it its context, and woke the landline recognizer on every such line."""
    detector = Detector(key)
    found = [o.entity_type for o in lines_found(detector, [line])]
    assert found == (["CN_LANDLINE_PHONE"] if reported else [])
    assert detector.screen("2024-06-01 12:00:01 INFO TxnService - txnCode=8001 tellerNo=T0012 status=00") == {}


def test_an_ip_address_is_screened_by_its_dots_not_by_ip_inside_words(key):
    """``ip`` stands in description, skip and ship: it woke the IP recognizer on each such line
    (12.8 µs a line where 0.4 without). Every address holds its dots (or ``::``), which wake it;
    a private one is still reported beside its keyword."""
    detector = Detector(key)
    assert detector.screen("INFO JobRunner - skip description: no change, ship to branch") == {}
    found = [(o.entity_type, o.location["line"]) for o in lines_found(detector, [
        "登录IP 192.168.1.10 成功", "client ip: 10.0.0.8", "remote=2001:db8::1 login", "build 192.168.1.11 ok"])]
    assert found == [("IP_ADDRESS", 1), ("IP_ADDRESS", 2), ("IP_ADDRESS", 3)]


def test_a_name_is_screened_by_its_keyword_or_whole_key_not_by_name_inside_words(key):
    """``name`` stands in fileName, hostname and className: the person recognizer ran on every
    such line (16.8-19.5 µs a line where 0.5 without), and on every userName=zhangsan (13.3). In a line a name is reported only after a
    keyword or a whole key; a cell's column chooses the recognizer without the screen."""
    detector = Detector(key)
    assert detector.screen("INFO FileService - fileName=/data/in/a.dat hostname=app01 className=Txn 处理完成") == {}
    # A key wakes it only before a Chinese character: a login's userName=zhangsan names no one found.
    assert detector.screen("INFO LoginService - userName=zhangsan realName=abc vip=1 登录成功") == {}
    lines = ["custName=张三", "name=李四", '{"name":"王五"}', "cust_name=王建国", "<xm>赵六</xm>", "姓名：孙丽华",
             "客户 name: 周杰", "name = 王*", "<Dbtr><Nm>詹雷</Nm></Dbtr>", "fileName=张三"]
    found = [(o.entity_type, o.location["line"]) for o in lines_found(detector, lines)]
    assert found == [("PERSON", line) for line in range(1, 10)]
    cells = Cells([Column(("张三", "李四"), "t.name", ("name",))], lambda column, row: {"row": row})
    assert [o.entity_type for o in detector.detect([cells])] == ["PERSON", "PERSON"]


def test_plates_and_track_data_are_screened_by_their_values_not_by_template_or_trackid(key):
    """``plate`` stands in template, ``track`` in trackId and tracking: each woke its recognizer
    on every such line (trackId= lines 42 µs where 0.4 without). A plate begins with its province
    and authority letter, track data with its number or its Chinese key (磁道): those wake them."""
    detector = Detector(key)
    assert detector.screen("INFO SmsService - templateId=SMS_001 trackId=a1b2c3 tracking 发送成功") == {}
    lines = ["车牌 京A12345", "plate=粤BD12345", "车牌号：沪A***45", "磁道信息密文：" + "3f" * 16]
    found = [(o.entity_type, o.location["line"]) for o in lines_found(detector, lines)]
    assert found == [("CN_LICENSE_PLATE", 1), ("CN_LICENSE_PLATE", 2), ("CN_LICENSE_PLATE", 3), ("CARD_TRACK_DATA", 4)]


def test_an_address_is_screened_by_its_keyword_or_a_key_before_chinese_not_by_addr_inside_words(key):
    """``addr`` stands in ipAddress, macAddress and remoteAddr: the address recognizer ran on
    every such line. An address a line reports follows a keyword, or a key then Chinese, or is a
    full address with its street and number."""
    detector = Detector(key)
    assert detector.screen("INFO Net - macAddress=AA:BB:CC remoteAddr=gw01 ok") == {}
    lines = ["address=北京市海淀区中关村大街27号", "mailingAddress=广东省深圳市南山区科技园", "住址：浙江省杭州市西湖区文三路",
             '{"addr":"江苏省南京市鼓楼区"}', "送达 上海市浦东新区世纪大道100号"]
    found = [(o.entity_type, o.location["line"]) for o in lines_found(detector, lines)]
    assert found == [("CN_ADDRESS", line) for line in range(1, 6)]

