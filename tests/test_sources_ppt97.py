"""PowerPoint 97-2003 presentations (.ppt, .pps, .pot, and WPS's .dps in that format): read from
real files LibreOffice wrote (tests/data/ppt97/make_ppt_fixtures.py) and from streams built here
as PowerPoint lays them out, with the workbooks and documents embedded in them; every kind of bad
one is one problem line, and the scan goes on."""

from __future__ import annotations

import json
import random
import shutil
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from ole2_helpers import compound_file
from pii_audit.sources import ScanOptions, TargetCoverage, ole2, ppt97
from pii_audit.sources.embedded import EMBEDDED_MAX_BYTES, NOT_A_WORKBOOK
from pii_audit.sources.presentations import read_presentation
from xls_helpers import cfb, workbook_stream
from scan_helpers import scan_one

CASE_REVIEW = Path(__file__).parent / "data" / "ppt97" / "case_review.ppt"
EMBEDDED_WORKBOOK = Path(__file__).parent / "data" / "ppt97" / "embedded_workbook.ppt"
# What case_review.ppt holds: 8 values, and the two names under its table's 姓名 (ppt_tables).
CASE_REVIEW_FOUND = 10
# The customers of its workbook (tests_corpus.resident_id(random.Random(20240617))).
CUSTOMER_IDS = ("620102197901173036", "620102194704248234", "110103199512157353")
ID18, ID18_2 = "11010519491231002X", "44030519900101123X"  # synthetic, as every value here
MOBILE, MOBILE_2, MOBILE_3 = "13812345678", "13912345670", "15912345670"
CARD = "6222021234567890128"
RAW = (ID18, ID18_2, MOBILE, MOBILE_2, MOBILE_3, CARD)
PART = "PowerPoint Document"
OLD_LINE = "a PowerPoint 97-2003 presentation (.ppt), which is not read here"


def too_deep(count: int) -> str:
    """Return the notice of the ``count`` files embedded in a file itself embedded (``embedded.nested_notice``)."""
    return (f"{count:,} file(s) embedded in this embedded file not read (one level deep is read); "
            "open it and save it apart")


def found(result):
    """Return sorted (entity, slide (0: none), line) of a scan's samples."""
    return sorted((f.entity_type, s.location.get("slide", 0), s.location["line"])
                  for f in result.findings.values() for s in f.samples)


def read(path, coverage=None, data=None):
    """Return [(slide or None, line number, text)] of every line the reader yields for ``path``,
    its document properties (``ole_properties``; test_sources_properties.py) left out."""
    coverage = coverage if coverage is not None else TargetCoverage(str(path))
    lines = []
    for chunk in read_presentation(str(path), ScanOptions(), coverage, data):
        if chunk.location["part"] in ("SummaryInformation", "DocumentSummaryInformation"):
            continue
        assert chunk.location["part"] == PART and chunk.container == str(path)
        for k, text in enumerate(chunk.text.split("\n")):
            lines.append((chunk.location.get("slide"), chunk.location["line"] + k, text))
    return lines


# Records of a PowerPoint Document stream ([MS-PPT] 2.3.1), built as PowerPoint lays them out.

def rec(kind: int, body: bytes = b"", instance: int = 0, version: int = 0, length: int | None = None) -> bytes:
    """Return one record: its header (``length`` claimed, else the body's) and body."""
    return struct.pack("<HHI", version | instance << 4, kind, len(body) if length is None else length) + body


def box(kind: int, *children: bytes, instance: int = 0) -> bytes:
    """Return a container record holding ``children``."""
    return rec(kind, b"".join(children), instance, 0xF)


def chars(text: str) -> bytes:
    return rec(0x0FA0, text.encode("utf-16-le"))


def latin(text: str) -> bytes:
    return rec(0x0FA8, text.encode("latin-1"))


def cstring(text: str, instance: int = 0) -> bytes:
    return rec(0x0FBA, text.encode("utf-16-le"), instance)


def header(text_type: int) -> bytes:
    return rec(0x0F9F, struct.pack("<I", text_type))


def persist(persist_id: int, slide_id: int) -> bytes:
    """A SlidePersistAtom: the slide's persist id, flags, its texts' count, its id, reserved."""
    return rec(0x03F3, struct.pack("<IIiII", persist_id, 0, 0, slide_id, 0))


def shape(*texts: bytes) -> bytes:
    """A shape (OfficeArtSpContainer) holding a text box's records (OfficeArtClientTextbox)."""
    return box(0xF004, rec(0xF00A, bytes(8), version=2), box(0xF00D, *texts))


def drawing(*shapes: bytes) -> bytes:
    """A slide's drawing: PPDrawing, OfficeArtDgContainer, the shapes' group (OfficeArtSpgrContainer)."""
    return box(0x040C, box(0xF002, box(0xF003, *shapes)))


def slide(*children: bytes) -> bytes:
    return box(0x03EE, rec(0x03EF, bytes(24), version=2), *children)


def stream(document: bytes, objects: dict[int, bytes]) -> bytes:
    """Return a stream: the DocumentContainer (persist id 1), each object by its persist id, a
    PersistDirectoryAtom naming them all, and the UserEditAtom."""
    data, offsets = bytearray(document), {1: 0}
    for persist_id, record in objects.items():
        offsets[persist_id] = len(data)
        data += record
    entries = b"".join(struct.pack("<II", persist_id | 1 << 20, offset) for persist_id, offset in offsets.items())
    directory = len(data)
    data += rec(0x1772, entries)
    data += rec(0x0FF5, struct.pack("<IHBBIIIIHH", 256, 0, 0, 3, 0, directory, 1, max(offsets) + 1, 1, 0))
    return bytes(data)


def ole_object(data: bytes, compressed: bool = True, size: int | None = None) -> bytes:
    """An ExOleObjStg storing ``data``: as PowerPoint does, its size (``size`` claimed) then the
    data compressed with zlib (recInstance 1), or the data as it is (0)."""
    if not compressed:
        return rec(0x1011, data)
    return rec(0x1011, struct.pack("<I", len(data) if size is None else size) + zlib.compress(data), instance=1)


def equation() -> bytes:
    """An OLE2 file as an equation object stores itself: no workbook, no Word document."""
    return compound_file({"Equation Native": bytes(300)})


def customers_workbook(*ids: str) -> bytes:
    """An OLE2 file holding an Excel 97-2003 workbook (sheet 客户) whose column 身份证号 holds ``ids``."""
    return cfb(workbook_stream([("身份证号",), *((value,) for value in ids)]))


def current_user(token: int = 0xE391C05F, edit: int = 0) -> bytes:
    """The Current User stream: a CurrentUserAtom with its token and the last edit's offset."""
    return rec(0x0FF6, struct.pack("<IIIHHBBH", 0x14, token, edit, 4, 0x03F4, 3, 0, 0) + b"user" + bytes(4))


def ppt(data: bytes, **streams: bytes) -> bytes:
    """Return a .ppt holding the PowerPoint Document stream ``data`` (and ``streams``, names with _ for
    spaces), in 4,096-byte sectors when it is large (the helper writes no DIFAT)."""
    named = {name.replace("_", " "): value for name, value in streams.items()}
    sector_size = 4096 if len(data) > 4 << 20 else 512
    return compound_file({"Current User": current_user(), **named, PART: data}, sector_size)


def powerpoint_deck() -> bytes:
    """A deck laid out as PowerPoint writes one: the placeholders' text in the slide list, slide 1
    stored after slide 2, a text box, a comment (in the slide's ___PPT10 tag data) and notes in
    the slides' own records, a footer in the document, an embedded object."""
    document = box(0x03E8, rec(0x03E9, bytes(40), version=1),
                   box(0x0FF0, persist(3, 256), header(0), chars("客户回访"),
                       header(1), chars(f"身份证号：{ID18}\r手机\x0b{MOBILE}"),
                       persist(2, 257), header(0), latin(f"Card {CARD}"), instance=0),
                   box(0x0FF0, persist(5, 257), instance=2),
                   box(0x0FD9, cstring(f"客户经理 {MOBILE_2}", instance=2)))
    comment = box(0x2EE0, cstring("张经理", 0), cstring(f"请核对卡号 {CARD}", 1), cstring("ZJL", 2),
                  rec(0x2EE1, bytes(28)))
    tags = box(0x1388, box(0x138A, cstring("___PPT10"), rec(0x138B, comment)))
    second = slide(drawing(shape(header(4), chars(f"备注 {MOBILE_3}"))), tags)
    first = slide(drawing(shape(header(0), rec(0x0F9E, struct.pack("<I", 0)))))  # its text is in the list
    notes = box(0x03F0, rec(0x03F1, struct.pack("<IHH", 257, 0, 0), version=1),
                drawing(shape(header(2), chars(f"回访电话 {MOBILE_2}"))))
    return stream(document, {2: second, 3: first, 5: notes, 6: ole_object(equation())})


def test_a_case_review_libreoffice_wrote_is_read_slide_by_slide(tmp_path, key):
    """LibreOffice puts every text, a placeholder's too, in the slides' own drawings: the third
    slide made is shown first, and is slide 1; the table's cells, the text box, its grouped
    neighbour and the notes are lines of their slide. The table (a group of shapes, a cell each)
    names its columns in its first row, so the customers' bare names under 姓名 are reported: they
    were not, its cells being lines without context."""
    path = tmp_path / "案例复盘.ppt"
    shutil.copy(CASE_REVIEW, path)
    lines = read(path)
    assert [line for line in lines if line[0] is not None] == [
        (1, 1, f"还款卡号 {CARD}"), (1, 2, "第二段 换行"), (1, 3, "Contact: manager.wang@example.com"),
        (2, 1, "案例复盘：逾期客户回访"), (2, 2, f"借款人身份证号：{ID18}"),
        (3, 1, "客户名单"), (3, 2, "姓名"), (3, 3, "身份证号"), (3, 4, "手机"), (3, 5, "王建国"), (3, 6, ID18),
        (3, 7, MOBILE), (3, 8, "李秀英"), (3, 9, ID18_2), (3, 10, MOBILE_3),
        (2, 3, f"客户经理回访电话 {MOBILE_2}"), (2, 4, "*")]  # the notes page's slide-number field
    masters = [text for slide_number, _, text in lines if slide_number is None]
    assert masters[:4] == ["*", "*", "*", "Click to edit the title text format"] and len(masters) == 28
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert found(result) == sorted([
        ("CN_BANK_CARD", 1, 1), ("EMAIL_ADDRESS", 1, 3), ("CN_RESIDENT_ID", 2, 2), ("CN_MOBILE_PHONE", 2, 3),
        ("CN_RESIDENT_ID", 3, 6), ("CN_MOBILE_PHONE", 3, 7), ("CN_RESIDENT_ID", 3, 9), ("CN_MOBILE_PHONE", 3, 10),
        ("PERSON", 3, 5), ("PERSON", 3, 8)])
    assert {f.container for f in result.findings.values()} == {str(path)}
    assert result.coverage.files == 1 and result.coverage.bytes == path.stat().st_size
    # and the two values of its DocumentSummaryInformation: AppVersion, PresentationFormat (ole_properties)
    assert result.coverage.containers[str(path)].units == len(lines) + 2


def table_group(*cells: tuple[tuple[int, int, int, int], str]) -> bytes:
    """A table as a .ppt holds one: a group whose own shape's third properties (OfficeArtTertiaryFOPT)
    hold tableProperties, then a shape a cell, placed by its OfficeArtChildAnchor (left, top,
    right, bottom), holding its text; then a border, a shape of no height."""
    properties = rec(0xF122, struct.pack("<HI", 0x039F, 1) + struct.pack("<HI", 0x03A0 | 0x4000, 0), instance=2,
                     version=3)
    own = box(0xF004, rec(0xF009, bytes(16), version=1), rec(0xF00A, bytes(8), version=2), properties)
    shapes = [box(0xF004, rec(0xF00A, bytes(8), version=2), rec(0xF00F, struct.pack("<4i", *place)),
                  box(0xF00D, header(4), chars(text))) for place, text in cells]
    border = box(0xF004, rec(0xF00A, bytes(8), version=2), rec(0xF00F, struct.pack("<4i", 0, 100, 9000, 100)))
    return box(0xF003, own, *shapes, border)


def test_a_value_under_a_merged_header_of_a_ppt_table_gets_that_header(tmp_path, key):
    """A .ppt table's header 客户姓名 merged over two columns is one wider cell: a cell is under the
    header cell its right edge ends in, so the co-borrower's name and the address right of it
    take 客户姓名 and 住址. Lines of no table after it take no context."""
    table = table_group(((0, 100, 1000, 400), "序号"), ((1000, 100, 5000, 400), "客户姓名"),
                        ((5000, 100, 9000, 400), "住址"),
                        ((0, 400, 1000, 700), "1"), ((1000, 400, 3000, 700), "王建国"),
                        ((3000, 400, 5000, 700), "李秀英"), ((5000, 400, 9000, 700), "上海市浦东新区陆家嘴环路1000号"))
    first = slide(box(0x040C, box(0xF002, box(0xF003, table, shape(header(4), chars("赵敏"))))))
    document = box(0x03E8, rec(0x03E9, bytes(40), version=1), box(0x0FF0, persist(2, 256), instance=0))
    (tmp_path / "借款人.ppt").write_bytes(ppt(stream(document, {2: first})))
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert found(result) == [("CN_ADDRESS", 1, 7), ("PERSON", 1, 5), ("PERSON", 1, 6)]


def test_a_ppt_table_headed_by_two_rows_names_its_columns_under_their_headings(tmp_path, key):
    """A .ppt table headed by two rows (LibreOffice's save of a deck: tests/data/ppt97/two_rows.ppt):
    序号 and 备注 merged down over both are taller shapes, 客户信息 spans 姓名 and 联系人 below it. The
    second row was read as data, so the names took 客户信息 alone and were not reported; it names the
    columns now, the shapes merged down from above taking their place in it."""
    shutil.copy(Path(__file__).parent / "data" / "ppt97" / "two_rows.ppt", tmp_path / "客户.ppt")
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert [entity for entity, _, _ in found(result)] == ["PERSON", "PERSON"]


def test_a_deck_laid_out_as_powerpoint_writes_it(tmp_path, key):
    """Placeholders' text in the slide list (a line break a space, TextBytesAtom as Latin-1), a
    text box, a comment and the author in a tag's data, notes, a footer of no slide: each text
    record read once, numbered in its slide in the order of the stream; the embedded object, an
    equation, is a notice."""
    path = tmp_path / "汇报.ppt"
    path.write_bytes(ppt(powerpoint_deck()))
    coverage = TargetCoverage(str(path))
    assert read(path, coverage) == [
        (1, 1, "客户回访"), (1, 2, f"身份证号：{ID18}"), (1, 3, f"手机 {MOBILE}"), (2, 1, f"Card {CARD}"),
        (None, 1, f"客户经理 {MOBILE_2}"),
        (2, 2, f"备注 {MOBILE_3}"), (2, 3, "张经理"), (2, 4, f"请核对卡号 {CARD}"), (2, 5, "ZJL"),
        (2, 6, f"回访电话 {MOBILE_2}")]
    assert coverage.problems == []
    assert [(n.where, n.reason) for n in coverage.notices] == [(f"{path}!ExOleObjStg1", NOT_A_WORKBOOK)]
    result = scan_one(path, key)
    assert found(result) == sorted([
        ("CN_RESIDENT_ID", 1, 2), ("CN_MOBILE_PHONE", 1, 3), ("CN_BANK_CARD", 2, 1), ("CN_MOBILE_PHONE", 0, 1),
        ("CN_MOBILE_PHONE", 2, 2), ("CN_BANK_CARD", 2, 4), ("CN_MOBILE_PHONE", 2, 6)])


def test_lines_are_the_same_whatever_the_window_and_chunk_sizes(tmp_path, monkeypatch):
    """Records straddle the window, and chunks are cut within a slide: each line keeps its text
    and its number in its slide."""
    texts = [chars("\r".join(f"第{n}行 手机 {MOBILE}" for n in range(1, 41))) for _ in range(3)]
    document = box(0x03E8, box(0x0FF0, *(persist(2 + k, 256 + k) for k in range(3)), instance=0))
    path = tmp_path / "长.ppt"
    path.write_bytes(ppt(stream(document, {2 + k: slide(drawing(shape(header(4), texts[k]))) for k in range(3)})))
    whole = read(path)
    assert whole == [(k + 1, n, f"第{n}行 手机 {MOBILE}") for k in range(3) for n in range(1, 41)]
    monkeypatch.setattr(ppt97, "WINDOW", 13)
    monkeypatch.setattr(ppt97, "CHUNK_CHARS", 100)
    chunks = list(read_presentation(str(path), ScanOptions(), TargetCoverage("t")))
    assert len(chunks) > 20
    assert read(path) == whole


def test_each_suffix_and_an_archive_member_is_read_where_it_was_a_problem_line(tmp_path, key):
    """A .ppt, .pps, .pot and a WPS .dps or .dpt in that format were each "not read here"; now
    read, in a folder and inside a zip (from memory)."""
    for name in ("旧版.ppt", "放映.pps", "模板.pot", "汇报.dps", "模板.dpt"):
        shutil.copy(CASE_REVIEW, tmp_path / name)
    with zipfile.ZipFile(tmp_path / "案例.zip", "w") as archive:
        archive.write(CASE_REVIEW, "2024/案例复盘.ppt")
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == [] and result.coverage.notices == []
    assert not any(OLD_LINE in p.reason for p in result.coverage.problems)
    per_file: dict[str, int] = {}
    for finding in result.findings.values():
        name = finding.container.removeprefix(f"{tmp_path}/")
        per_file[name] = per_file.get(name, 0) + finding.occurrences
    assert per_file == dict.fromkeys(["旧版.ppt", "放映.pps", "模板.pot", "汇报.dps", "模板.dpt", "案例.zip!2024/案例复盘.ppt"],
                                     CASE_REVIEW_FOUND)


def test_the_cli_scan_of_a_folder_with_a_ppt(tmp_path, monkeypatch):
    """``pii-audit scan`` on a folder holding a .ppt: exit 1 (found), slide locations in the JSONL
    and the summary, and no raw value anywhere."""
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder = tmp_path / "decks"
    folder.mkdir()
    shutil.copy(CASE_REVIEW, folder / "案例复盘.ppt")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(folder), "--jsonl", str(out),
                                      "--ledger", f"sqlite:///{tmp_path / 'ledger.db'}"])
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert sorted((r["entity_type"], r["location"]["slide"], r["location"]["line"]) for r in records) == sorted([
        ("CN_BANK_CARD", 1, 1), ("EMAIL_ADDRESS", 1, 3), ("CN_RESIDENT_ID", 2, 2), ("CN_MOBILE_PHONE", 2, 3),
        ("CN_RESIDENT_ID", 3, 6), ("CN_MOBILE_PHONE", 3, 7), ("CN_RESIDENT_ID", 3, 9), ("CN_MOBILE_PHONE", 3, 10),
        ("PERSON", 3, 5), ("PERSON", 3, 8)])
    assert all(set(r["location"]) == {"path", "part", "slide", "line", "start", "end"} and r["location"]["part"] == PART
               for r in records)
    text = out.read_text("utf-8") + result.output
    assert not any(value in text for value in RAW)
    assert "slide 3 PowerPoint Document line 6" in result.output and OLD_LINE not in result.output


def edited(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1
    return data.replace(old, new)


def deck_with_a_slide(*records: bytes) -> bytes:
    """A stream whose one slide holds a line read, then ``records``."""
    document = box(0x03E8, box(0x0FF0, persist(2, 256), instance=0))
    return stream(document, {2: slide(drawing(shape(header(4), chars(f"手机 {MOBILE}"))), *records)})


def nested(depth: int) -> bytes:
    record = chars(f"身份证 {ID18}")
    for _ in range(depth):
        record = box(0xF003, record)
    return record


def encrypted_edit() -> bytes:
    """A deck whose last edit (UserEditAtom, 32 bytes) names an encryption session, as the Current
    User stream points to it."""
    data = deck_with_a_slide()
    edit = data.rindex(rec(0x0FF5)[:4])
    data = data[:edit] + rec(0x0FF5, data[edit + 8:] + struct.pack("<I", 7))
    return compound_file({"Current User": current_user(edit=edit), PART: data})


HUGE_TEXT = ppt97.MAX_TEXT_BYTES + 2


@pytest.mark.parametrize("make, reason, first_line_read", [
    (lambda: ppt(deck_with_a_slide(rec(0x0FA0, b"\x31\x00" * 8, length=0xFFFFFFFF))),
     "corrupt .ppt presentation: the record at byte 188 claims 4,294,967,295 bytes, past the end of the record holding "
     "it (truncated or damaged file)", True),
    (lambda: ppt(deck_with_a_slide() + rec(0x03EE, b"", length=1 << 30)),
     "past the end of the stream (truncated or damaged file)", True),
    (lambda: ppt(deck_with_a_slide(box(0x1388, b"\x01\x02\x03"))),
     "corrupt .ppt presentation: the record at byte 196 is cut short (damaged file)", True),
    (lambda: ppt(deck_with_a_slide(nested(ppt97.MAX_DEPTH))),
     f"refused: records nested over {ppt97.MAX_DEPTH} deep (corrupt or hostile .ppt)", True),
    (lambda: ppt(deck_with_a_slide(rec(0x0FA0, "号".encode("utf-16-le") * (HUGE_TEXT // 2)))),
     f"refused: a text record of {HUGE_TEXT:,} bytes, over {ppt97.MAX_TEXT_BYTES:,} (corrupt or hostile .ppt)", True),
    (lambda: ppt(bytes(5000)), "corrupt .ppt presentation: its PowerPoint Document stream holds no DocumentContainer "
                               "record", False),
    (lambda: ppt(deck_with_a_slide(), EncryptedSummary=bytes(100)), ppt97.ENCRYPTED, False),
    (lambda: compound_file({"Current User": current_user(ppt97.ENCRYPTED_TOKEN), PART: deck_with_a_slide()}),
     ppt97.ENCRYPTED, False),
    (encrypted_edit, ppt97.ENCRYPTED, False),
    (lambda: ppt(box(0x2F14, rec(0x2F15, bytes(40))) + deck_with_a_slide()), ppt97.ENCRYPTED, False),
    (lambda: compound_file({"PP40": bytes(5000)}), "a PowerPoint 95 presentation, which is not read here", False),
    (lambda: CASE_REVIEW.read_bytes()[:20000], "corrupt presentation: a sector number past the end of the file", False),
], ids=["length-past-container", "length-past-stream", "cut-short", "deep", "huge-text", "no-document",
        "encrypted-summary", "encrypted-token", "encrypted-edit", "crypt-session", "powerpoint-95", "truncated-file"])
def test_a_bad_ppt_is_one_problem_line_and_the_scan_goes_on(tmp_path, key, make, reason, first_line_read):
    """What is read before the damage is kept; memory stays bounded; no value is quoted."""
    (tmp_path / "bad.ppt").write_bytes(make())
    shutil.copy(CASE_REVIEW, tmp_path / "good.ppt")
    tracemalloc.start()
    try:
        coverage = TargetCoverage("t")
        lines = read(tmp_path / "bad.ppt", coverage)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * ppt97.MAX_TEXT_BYTES + (4 << 20)
    assert lines[:1] == ([(1, 1, f"手机 {MOBILE}")] if first_line_read else [])
    result = scan_one(tmp_path, key)
    (problem,) = result.coverage.problems
    assert problem.where == str(tmp_path / "bad.ppt") and reason in problem.reason, problem
    assert "\n" not in problem.reason and not any(value in problem.reason for value in RAW)
    bad = sum(f.occurrences for f in result.findings.values() if f.container == str(tmp_path / "bad.ppt"))
    assert bad == (1 if first_line_read else 0)
    assert not result.coverage.containers[str(tmp_path / "bad.ppt")].complete
    assert sum(f.occurrences for f in result.findings.values() if f.container == str(tmp_path / "good.ppt")) == \
        CASE_REVIEW_FOUND


def test_a_huge_claimed_length_costs_no_memory(tmp_path):
    """A record claiming 4 GB in a small file is refused before anything is allocated for it, and a
    deck of many records is read a window at a time: memory does not grow with the stream."""
    many = [slide(drawing(*(shape(header(4), chars(f"第{n}段 " + "正常文本" * 300)) for n in range(200))))
            for _ in range(20)]
    document = box(0x03E8, box(0x0FF0, *(persist(2 + k, 256 + k) for k in range(20)), instance=0))
    data = ppt(stream(document, {2 + k: record for k, record in enumerate(many)}))
    path = tmp_path / "大.ppt"
    path.write_bytes(data)
    size, data, many = len(data), None, None
    assert size > 8 << 20
    tracemalloc.start()
    try:
        count = sum(chunk.text.count("\n") + 1 for chunk in read_presentation(str(path), ScanOptions(),
                                                                                TargetCoverage("t")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20 * 200 and peak < size // 2


def test_byte_mutated_decks_give_lines_or_one_line_problems():
    """A few hundred copies of the LibreOffice deck with bytes changed at random: each is read, or
    its damage is a problem line, never an exception, and no problem line quotes a value."""
    original = CASE_REVIEW.read_bytes()
    rng = random.Random(20240611)
    outcomes = {"read": 0, "problems": 0}
    for n in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(1536, len(data))] = rng.randrange(256)  # past the OLE2 header and FAT
        coverage = TargetCoverage(f"m{n}.ppt")
        texts = [c.text for c in read_presentation(f"m{n}.ppt", ScanOptions(), coverage, bytes(data))]
        assert any(ID18 in text for text in texts) or coverage.problems, n
        for problem in coverage.problems + coverage.notices:
            assert "\n" not in problem.reason and not any(value in problem.reason for value in RAW), problem
        outcomes["read" if not coverage.problems else "problems"] += 1
    assert min(outcomes.values()) > 10, outcomes


# Embedded objects (ExOleObjStg): a workbook or a Word document pasted into a slide.

def test_a_workbook_pasted_into_a_slide_is_read_as_the_xls_it_is(tmp_path, key):
    """LibreOffice stores an Excel 97-2003 object pasted into a slide as PowerPoint does: a
    compressed ExOleObjStg holding the object's OLE2 file. Every row of it is read, located
    ``附表.ppt!ExOleObjStg1`` with its sheet and the header of its column, in a folder and inside a
    zip; until now it was a notice ("not read")."""
    path = tmp_path / "附表.ppt"
    shutil.copy(EMBEDDED_WORKBOOK, path)
    with zipfile.ZipFile(tmp_path / "归档.zip", "w") as archive:
        archive.write(EMBEDDED_WORKBOOK, "2024/附表.ppt")
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    found_in = sorted((f.container, f.entity_type, tuple((k, v) for k, v in sample.location.items()
                                                         if k not in ("start", "end")))
                      for f in result.findings.values() for sample in f.samples)
    expected = []
    for deck in (str(path), f"{tmp_path / '归档.zip'}!2024/附表.ppt"):
        expected.append((deck, "CN_MOBILE_PHONE", (("path", deck), ("part", PART), ("slide", 1), ("line", 2))))
        sheet = f"{deck}!ExOleObjStg1!客户"
        for row in (2, 3, 4):
            where = (("path", f"{deck}!ExOleObjStg1"), ("sheet", "客户"))
            expected += [(f"{sheet}!姓名", "PERSON", (*where, ("cell", f"A{row}"))),
                         (f"{sheet}!身份证号", "CN_RESIDENT_ID", (*where, ("cell", f"B{row}"))),
                         (f"{sheet}!手机", "CN_MOBILE_PHONE", (*where, ("cell", f"C{row}")))]
    assert found_in == sorted(expected)
    cells = [chunk for item in read_presentation(str(path), ScanOptions(), TargetCoverage(str(path)))
             if not hasattr(item, "text") for chunk in item.chunks()]
    assert [chunk.text for chunk in cells if chunk.location["cell"][0] == "B"] == ["身份证号", *CUSTOMER_IDS]


def deck_with_objects(*objects: bytes) -> bytes:
    """A stream whose one slide holds a line, then ``objects`` (ExOleObjStg records) in its order,
    as PowerPoint stores them: records of their own, which the document's object list names."""
    return stream(box(0x03E8, box(0x0FF0, persist(2, 256), instance=0)),
                  {2: slide(drawing(shape(header(4), chars(f"手机 {MOBILE}")))),
                   **{3 + k: record for k, record in enumerate(objects)}})


def test_a_word_document_pasted_into_a_slide_is_read_and_its_own_objects_are_too_deep(tmp_path, key):
    """A Word 97-2003 document stored as it is (recInstance 0) is read as the .doc it is, located
    ``deck.ppt!ExOleObjStg1``; the workbook embedded in it is one level too deep: a notice."""
    from test_sources_word97 import with_objects

    document = with_objects({"ObjectPool/_1/Workbook": workbook_stream([("身份证号",), (ID18,)])})
    path = tmp_path / "汇报.ppt"
    path.write_bytes(ppt(deck_with_objects(ole_object(document, compressed=False))))
    result = scan_one(path, key)
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [(f"{path}!ExOleObjStg1", too_deep(1))]
    per_container = {}
    for finding in result.findings.values():
        per_container[finding.container] = per_container.get(finding.container, 0) + finding.occurrences
    assert per_container == {str(path): 1, f"{path}!ExOleObjStg1": 11}  # report.doc's own, as test_sources_word97


def test_objects_of_a_ppt_itself_embedded_are_one_level_too_deep(tmp_path):
    """A .ppt read as a file embedded in another (here a .docx's) reads its text; its own objects
    are notices, as a .doc's are."""
    target = f"{tmp_path / 'r.docx'}!word/embeddings/deck.ppt"
    coverage = TargetCoverage(target)
    data = ppt(deck_with_objects(ole_object(customers_workbook(ID18)), ole_object(equation())))
    assert read(target, coverage, data) == [(1, 1, f"手机 {MOBILE}")]
    assert coverage.problems == []
    assert [(n.where, n.reason) for n in coverage.notices] == [(target, too_deep(2))]


def test_the_objects_of_embedded_decks_are_one_notice_a_deck(tmp_path, key, monkeypatch):
    """Each object of a deck itself embedded was a notice of its own: a deck of 1,000 decks of
    1,000 objects each gave a million. Each embedded deck's objects are one notice, counting them
    all, those past MAX_OBJECTS too."""
    monkeypatch.setattr(ppt97, "MAX_OBJECTS", 30)
    inner = ppt(deck_with_objects(*[ole_object(equation())] * 40))
    path = tmp_path / "汇总.ppt"
    path.write_bytes(ppt(deck_with_objects(*[ole_object(inner)] * 3)))
    result = scan_one(path, key)
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (f"{path}!ExOleObjStg{n}", too_deep(40)) for n in (1, 2, 3)]
    decks = {f"{path}!ExOleObjStg{n}" for n in (1, 2, 3)}  # each inner deck's text is read
    assert {f.container for f in result.findings.values()} == {str(path)} | decks


def bomb() -> bytes:
    """An object whose size says 7,168 bytes and whose data inflates past the bound."""
    return rec(0x1011, struct.pack("<I", 7168) + zlib.compress(bytes(EMBEDDED_MAX_BYTES + (1 << 20)), 9), instance=1)


def cut(record: bytes, by: int) -> bytes:
    """Return an ExOleObjStg whose data lacks its last ``by`` bytes, its length told so."""
    return rec(0x1011, record[8:-by], instance=struct.unpack_from("<H", record)[0] >> 4)


BAD_OBJECTS = [
    pytest.param(bomb, f"refused: an embedded object inflating past {EMBEDDED_MAX_BYTES:,} bytes (a zlib bomb?)",
                 id="zlib-bomb"),
    pytest.param(lambda: ole_object(customers_workbook(ID18), size=EMBEDDED_MAX_BYTES + 1),
                 f"an embedded object larger than {EMBEDDED_MAX_BYTES:,} bytes is not read", id="size-past-bound"),
    pytest.param(lambda: cut(ole_object(customers_workbook(ID18)), 20),
                 "corrupt embedded object: its compressed data is cut short", id="truncated"),
    pytest.param(lambda: rec(0x1011, struct.pack("<I", 4096) + b"\x78\x9c" + bytes(range(256)) * 4, instance=1),
                 "corrupt embedded object: its compressed data is damaged (zlib.error)", id="damaged"),
    pytest.param(lambda: rec(0x1011, b"\x00\x10", instance=1), "corrupt embedded object: it is cut short",
                 id="no-size"),
    pytest.param(lambda: rec(0x1011, zlib.compress(customers_workbook(ID18)), instance=2),
                 "corrupt embedded object: a storage of an unknown kind (recInstance 2)", id="unknown-instance"),
]


@pytest.mark.parametrize("make, reason", BAD_OBJECTS)
def test_a_bad_object_is_one_problem_line_and_the_rest_is_read(tmp_path, key, make, reason):
    """The slide's text and the next object, a workbook, are read; memory stays within the bound."""
    path = tmp_path / "bad.ppt"
    path.write_bytes(ppt(deck_with_objects(make(), ole_object(customers_workbook(ID18_2)))))
    tracemalloc.start()
    try:
        coverage = TargetCoverage(str(path))
        items = list(read_presentation(str(path), ScanOptions(), coverage))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < EMBEDDED_MAX_BYTES + (8 << 20)
    assert [item.text for item in items if hasattr(item, "text")] == [f"手机 {MOBILE}"]
    (problem,) = coverage.problems
    assert problem.where == f"{path}!ExOleObjStg1" and reason in problem.reason, problem
    assert coverage.notices == []
    result = scan_one(path, key)
    assert sorted((f.container, f.occurrences) for f in result.findings.values()) == [
        (str(path), 1), (f"{path}!ExOleObjStg2!客户!身份证号", 1)]
    assert result.coverage.containers[str(path)].complete


def test_an_object_over_the_bound_is_neither_read_nor_inflated(tmp_path, monkeypatch):
    """Stored as it is or compressed (incompressible data), an object whose record is over the
    bound is one problem line; one inflating to exactly the bound is read, and one inflating a
    byte past it, whatever its size says, is a problem line."""
    monkeypatch.setattr(ppt97, "EMBEDDED_MAX_BYTES", 64 << 10)
    noise = random.Random(1).randbytes(70 << 10)
    path = tmp_path / "大.ppt"
    path.write_bytes(ppt(deck_with_objects(ole_object(noise, compressed=False), ole_object(noise, size=1000),
                                           ole_object(bytes(64 << 10)), ole_object(bytes((64 << 10) + 1), size=1000))))
    coverage = TargetCoverage(str(path))
    assert read(path, coverage) == [(1, 1, f"手机 {MOBILE}")]
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (f"{path}!ExOleObjStg{n}", reason) for n, reason in (
            (1, "an embedded object larger than 65,536 bytes is not read; open it and save it apart to scan it"),
            (2, "an embedded object larger than 65,536 bytes is not read; open it and save it apart to scan it"),
            (4, "refused: an embedded object inflating past 65,536 bytes (a zlib bomb?)"))]
    assert [(n.where, n.reason) for n in coverage.notices] == [(f"{path}!ExOleObjStg3", NOT_A_WORKBOOK)]


def test_objects_past_the_cap_are_one_notice(tmp_path, monkeypatch):
    monkeypatch.setattr(ppt97, "MAX_OBJECTS", 2)
    path = tmp_path / "多.ppt"
    path.write_bytes(ppt(deck_with_objects(ole_object(equation()), ole_object(customers_workbook(ID18)),
                                           ole_object(customers_workbook(ID18_2)), ole_object(equation()))))
    coverage = TargetCoverage(str(path))
    items = list(read_presentation(str(path), ScanOptions(), coverage))
    assert [chunk.text for item in items if not hasattr(item, "text") for chunk in item.chunks()] == ["身份证号", ID18]
    assert coverage.problems == []
    assert [(n.where, n.reason) for n in coverage.notices] == [
        (f"{path}!ExOleObjStg1", NOT_A_WORKBOOK),
        (str(path), "2 embedded object(s) past the first 2 not read; open them and save them apart to scan them")]


def test_objects_before_a_damaged_record_are_read(tmp_path, key):
    """The stream's damage is the file's problem line, after the text and the objects before it."""
    path = tmp_path / "坏.ppt"
    path.write_bytes(ppt(deck_with_objects(ole_object(customers_workbook(ID18))) + rec(0x03EE, b"", length=1 << 30)))
    result = scan_one(path, key)
    (problem,) = result.coverage.problems
    assert problem.where == str(path) and "past the end of the stream" in problem.reason
    assert sorted((f.container, f.occurrences) for f in result.findings.values()) == [
        (str(path), 1), (f"{path}!ExOleObjStg1!客户!身份证号", 1)]


def fixture_streams(path: Path) -> dict[str, bytes]:
    """Return every stream of a compound file by its path."""
    with open(path, "rb") as handle:
        compound = ole2.CompoundFile(handle)
        return {name: compound.stream(*entry).read(0, entry[1]) for name, entry in compound.streams().items()}


def test_byte_mutated_objects_give_rows_or_one_line_problems():
    """Copies of the deck with a workbook object changed at random, in its compressed data (zlib
    finds most) or in the workbook's own bytes, compressed again: each is read, or its damage is
    a problem line or a notice, never an exception. (A changed header makes the record one of
    another type, which is skipped as any unknown one.)"""
    streams = fixture_streams(EMBEDDED_WORKBOOK)
    document = streams[PART]
    start = document.index(b"\x11\x10") - 2  # the ExOleObjStg's header: version and instance, 0x1011
    assert struct.unpack_from("<HHI", document, start)[:2] == (0x10, 0x1011)
    end = start + 8 + struct.unpack_from("<I", document, start + 4)[0]
    workbook = zlib.decompress(document[start + 12:end])
    rng = random.Random(20240618)
    outcomes = {"read": 0, "problems": 0}
    for n in range(200):
        if n % 2:
            changed = bytearray(document)
            for _ in range(rng.randint(1, 4)):
                changed[rng.randrange(start + 8, end)] = rng.randrange(256)
        else:
            book = bytearray(workbook)
            for _ in range(rng.randint(1, 8)):
                book[rng.randrange(512, len(book))] = rng.randrange(256)  # past the OLE2 header
            changed = document[:start] + ole_object(bytes(book)) + document[end:]  # later records move: no matter
        coverage = TargetCoverage(f"m{n}.ppt")
        data = compound_file({**streams, PART: bytes(changed)})
        items = list(read_presentation(f"m{n}.ppt", ScanOptions(), coverage, data))
        cells = [chunk.text for item in items if not hasattr(item, "text") for chunk in item.chunks()]
        for problem in coverage.problems + coverage.notices:
            assert "\n" not in problem.reason and not any(value in problem.reason for value in CUSTOMER_IDS), problem
        outcomes["read" if CUSTOMER_IDS[0] in cells else "problems"] += 1
        assert CUSTOMER_IDS[0] in cells or coverage.problems or coverage.notices, n
    assert min(outcomes.values()) > 5, outcomes
