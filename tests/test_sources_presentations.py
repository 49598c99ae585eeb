"""PowerPoint presentations (.pptx): slides in the order shown, with their tables, groups, notes,
comments and charts, read as lines; every kind of bad presentation one problem line. A .ppt is
read by ``ppt97`` (tests/test_sources_ppt97.py)."""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from ledger_helpers import statuses_by_file
from ole2_helpers import compound_file
from pii_audit.sources import ScanOptions, TargetCoverage, ooxml
from pii_audit.sources.presentations import read_presentation
from pii_audit.sources.xlsx_book import relationships
from zip_helpers import rewrite, with_bad_local_name, with_damaged_lzma, with_method, with_offset_before_start
from scan_helpers import scan_one

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
ID18_2 = "44030519900101123X"
MOBILE = "13812345678"
MOBILE_2 = "13912345670"
CARD = "6222021234567890128"
RAW = (ID18, ID18_2, MOBILE, MOBILE_2, CARD)
CHART_BOOK = "Microsoft_Excel_Sheet1.xlsx!Sheet1!A"  # the workbook python-pptx embeds for a chart, its column A
DATA = Path(__file__).parent / "data" / "presentations"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def found(result):
    """Return sorted (entity, part, slide, line or cell) of a scan's samples."""
    return sorted((f.entity_type, s.location.get("part", ""), s.location.get("slide", 0),
                   s.location.get("line", s.location.get("cell"))) for f in result.findings.values() for s in f.samples)


def case_review(path):
    """Write a case review as PowerPoint users make them: a title slide, a table of customers with
    notes, a grouped call-out and a chart whose categories are customers. The third slide made
    is moved to the front, so the parts' names no longer follow the order the slides are shown in."""
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])  # ppt/slides/slide1.xml
    first.shapes.title.text = "案例复盘"
    first.placeholders[1].text = f"借款人身份证号：{ID18}"
    table_slide = deck.slides.add_slide(deck.slide_layouts[5])  # slide2.xml
    table_slide.shapes.title.text = "客户名单"
    table = table_slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for row, cells in enumerate([("身份证号", "手机号"), (ID18_2, MOBILE), ("无", "无")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    table_slide.notes_slide.notes_text_frame.text = f"回访电话 {MOBILE_2}"
    moved = deck.slides.add_slide(deck.slide_layouts[6])  # slide3.xml, shown first
    group = moved.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1)).text_frame.text = "说明"
    group.shapes.add_textbox(Inches(1), Inches(2), Inches(4), Inches(1)).text_frame.text = f"还款卡号 {CARD}"
    chart = CategoryChartData()
    chart.categories = ["甲", f"客户 {MOBILE}"]
    chart.add_series("余额", (1.0, 2.0))
    moved.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(3), Inches(6), Inches(3), chart)
    listed = deck.slides._sldIdLst
    third = listed[2]
    listed.remove(third)
    listed.insert(0, third)
    deck.save(str(path))


def test_a_case_review_is_read_slide_by_slide_in_the_order_shown(tmp_path, key):
    """Each paragraph is a line of its part; slide 1 is the part slide3.xml, which is shown first.
    Table cells, a grouped text box, the notes and a chart's categories are read; the chart's own
    workbook, embedded in the file, is read as a spreadsheet."""
    path = tmp_path / "案例复盘.pptx"
    case_review(path)
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    deck_findings = [f for f in result.findings.values() if f.container == str(path)]
    assert found(result) == sorted([
        ("CN_BANK_CARD", "ppt/slides/slide3.xml", 1, 2),
        ("CN_MOBILE_PHONE", "ppt/charts/chart1.xml", 1, 3),  # 余额, 甲, then the customer
        ("CN_MOBILE_PHONE", "ppt/notesSlides/notesSlide1.xml", 3, 1),
        ("CN_MOBILE_PHONE", "ppt/slides/slide2.xml", 3, 5),
        ("CN_MOBILE_PHONE", "", 0, "A3"),  # the chart's workbook
        ("CN_RESIDENT_ID", "ppt/slides/slide1.xml", 2, 2),
        ("CN_RESIDENT_ID", "ppt/slides/slide2.xml", 3, 4),
    ])
    assert sum(f.occurrences for f in deck_findings) == 6
    workbook = {f.container for f in result.findings.values()} - {str(path)}
    assert workbook == {f"{path}!ppt/embeddings/Microsoft_Excel_Sheet1.xlsx!Sheet1!A"}
    assert result.coverage.files == 2  # the deck, and its chart's workbook
    embedded = zipfile.ZipFile(path).getinfo("ppt/embeddings/Microsoft_Excel_Sheet1.xlsx").file_size
    assert result.coverage.bytes == path.stat().st_size + embedded


def test_lines_are_numbered_in_their_part_and_chunks_cut_anywhere_give_the_same(tmp_path, monkeypatch):
    deck = Presentation()
    body = deck.slides.add_slide(deck.slide_layouts[1]).placeholders[1].text_frame
    body.text = "第1行"
    for n in range(2, 300):
        body.add_paragraph().text = f"第{n}行 {'手机' + MOBILE if n % 7 == 0 else '正常'}"
    deck.save(str(tmp_path / "long.pptx"))
    lines = []
    for chars in (ooxml.CHUNK_CHARS, 50):
        monkeypatch.setattr(ooxml, "CHUNK_CHARS", chars)
        chunks = [c for c in read_presentation(str(tmp_path / "long.pptx"), ScanOptions(), TargetCoverage("t"))
                  if c.location["part"] == "ppt/slides/slide1.xml"]
        assert (len(chunks) > 1) == (chars == 50)
        lines.append([chunk.location["line"] + i for chunk in chunks
                      for i, text in enumerate(chunk.text.split("\n")) if MOBILE in text])
    assert lines[0] == lines[1] == list(range(7 + 1, 300 + 1, 7))  # the title placeholder is line 1


def with_parts(path, parts: dict[str, str], links: dict[str, list[tuple[str, str]]]) -> None:
    """Add XML ``parts`` to a presentation written by python-pptx, and relationships (type, target)
    to the rels of the ``links`` parts (python-pptx writes no comments)."""
    with zipfile.ZipFile(path) as archive:
        replaced = {name: data.encode() for name, data in parts.items()}
        for part, relations in links.items():
            folder, name = part.rsplit("/", 1)
            rels = f"{folder}/_rels/{name}.rels"
            added = "".join(f'<Relationship Id="rIdT{n}" Type="{kind}" Target="{target}"/>'
                            for n, (kind, target) in enumerate(relations))
            replaced[rels] = archive.read(rels).replace(b"</Relationships>", added.encode() + b"</Relationships>")
    moved = path.with_suffix(".tmp")
    path.rename(moved)
    rewrite(moved, path, replaced)
    moved.unlink()


def test_legacy_and_modern_comments_and_smartart_are_read_with_their_slide(tmp_path, key):
    deck = Presentation()
    for text in ("第一页", "第二页"):
        deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = text
    deck.save(str(tmp_path / "评审.pptx"))
    modern = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"
    with_parts(tmp_path / "评审.pptx", {
        "ppt/comments/comment1.xml": f'<p:cmLst xmlns:p="{P}"><p:cm authorId="0" idx="1"><p:pos x="0" y="0"/>'
                                     f'<p:text>客户手机 {MOBILE}，请回访</p:text></p:cm></p:cmLst>',
        "ppt/comments/modernComment_101_1A2B3C4D.xml":
            f'<p188:cmLst xmlns:a="{A}" xmlns:p188="{modern}"><p188:cm id="{{1}}" authorId="{{2}}">'
            f'<p188:txBody><a:bodyPr/><a:p><a:r><a:t>已核对</a:t></a:r></a:p>'
            f'<a:p><a:r><a:t>身份证 </a:t></a:r><a:fld id="{{3}}" type="x"><a:t>{ID18}</a:t></a:fld></a:p>'
            f'</p188:txBody></p188:cm></p188:cmLst>',
        "ppt/diagrams/data1.xml":
            f'<dgm:dataModel xmlns:a="{A}" xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram">'
            f'<dgm:ptLst><dgm:pt modelId="{{1}}"><dgm:t><a:bodyPr/><a:p><a:r><a:t>流程</a:t></a:r></a:p></dgm:t>'
            f'</dgm:pt><dgm:pt modelId="{{2}}"><dgm:t><a:p><a:r><a:t>联系 {MOBILE_2}</a:t></a:r></a:p></dgm:t>'
            f'</dgm:pt></dgm:ptLst></dgm:dataModel>',
    }, {
        "ppt/slides/slide1.xml": [(f"{RELS}/comments", "../comments/comment1.xml"),
                                  (f"{RELS}/diagramData", "../diagrams/data1.xml")],
        "ppt/slides/slide2.xml": [("http://schemas.microsoft.com/office/2018/10/relationships/comments",
                                   "../comments/modernComment_101_1A2B3C4D.xml")],
    })
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert found(result) == [("CN_MOBILE_PHONE", "ppt/comments/comment1.xml", 1, 1),
                             ("CN_MOBILE_PHONE", "ppt/diagrams/data1.xml", 1, 2),
                             ("CN_RESIDENT_ID", "ppt/comments/modernComment_101_1A2B3C4D.xml", 2, 2)]


def slide_xml(body: str) -> str:
    """Return a slide whose shape tree holds ``body``."""
    return (f'<?xml version="1.0" encoding="UTF-8"?><p:sld xmlns:a="{A}" xmlns:p="{P}"><p:cSld><p:spTree>'
            f'{body}</p:spTree></p:cSld></p:sld>')


def text_shape(*paragraphs: str) -> str:
    return "<p:sp><p:txBody>" + "".join(f"<a:p><a:r><a:t>{p}</a:t></a:r></a:p>" for p in paragraphs) + \
        "</p:txBody></p:sp>"


def three_slides(path):
    """Write three slides, each with one mobile number on its second line."""
    deck = Presentation()
    for n in range(3):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"第{n + 1}页"
        slide.placeholders[1].text = f"手机 {MOBILE}"
    deck.save(str(path))


def test_a_damaged_slide_is_one_problem_line_and_the_other_slides_are_read(tmp_path, key):
    three_slides(tmp_path / "a.pptx")
    rewrite(tmp_path / "a.pptx", tmp_path / "b.pptx", {"ppt/slides/slide2.xml": slide_xml(text_shape("未闭合"))[:-20]})
    (tmp_path / "a.pptx").unlink()
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "b.pptx"), "ppt/slides/slide2.xml is damaged: malformed XML (ExpatError); the other parts are read")]
    assert found(result) == [("CN_MOBILE_PHONE", f"ppt/slides/slide{n}.xml", n, 2) for n in (1, 3)]
    assert not result.coverage.containers[str(tmp_path / "b.pptx")].complete


@pytest.mark.parametrize("damage, reason", [
    pytest.param(lambda path: with_method(path, "ppt/slides/slide2.xml", 1), "a compression method or feature not supported here (NotImplementedError)", id="unknown-method"),
    pytest.param(lambda path: with_damaged_lzma(path, "ppt/slides/slide2.xml"), "corrupt compressed data (LZMAError)", id="damaged-lzma"),
    # Found by tests/fuzz/fuzz_reader.py on a.pptx: zipfile decodes the local header's name as UTF-8.
    pytest.param(lambda path: with_bad_local_name(path, "ppt/slides/slide2.xml"),
                 "text not in the encoding it declares (UnicodeDecodeError)",
                 id="bad-local-name"),
])
def test_a_slide_zipfile_cannot_inflate_is_one_problem_line_and_the_others_are_read(tmp_path, key, damage, reason):
    """A slide stored with a compression method zipfile does not read, or with damaged LZMA data,
    stopped the whole deck (no slide read, 'unreadable (NotImplementedError)'). A damaged local
    header is also a line of the package's (``xlsx_guard.package_damage``), which opens no slide."""
    three_slides(tmp_path / "a.pptx")
    damage(tmp_path / "a.pptx")
    result = scan_one(tmp_path, key)
    package = [(str(tmp_path / "a.pptx"), "damaged zip: 1 of its 42 entries are named otherwise in its directory than "
                                          "in their own headers, or point where none begins; what they hold may not "
                                          "be read")] if "UnicodeDecodeError" in reason else []
    assert [(p.where, p.reason) for p in result.coverage.problems] == package + [
        (str(tmp_path / "a.pptx"), f"ppt/slides/slide2.xml is damaged: {reason}; the other parts are read")]
    assert found(result) == [("CN_MOBILE_PHONE", f"ppt/slides/slide{n}.xml", n, 2) for n in (1, 3)]


def test_a_slide_list_over_the_cap_is_a_problem_line_and_the_slides_are_read_by_name(tmp_path, monkeypatch):
    from pii_audit.sources import presentations

    monkeypatch.setattr(presentations, "MAX_SLIDES", 2)
    three_slides(tmp_path / "a.pptx")
    coverage = TargetCoverage("t")
    chunks = list(read_presentation(str(tmp_path / "a.pptx"), ScanOptions(), coverage))
    assert [p.reason for p in coverage.problems] == [
        "refused: ppt/presentation.xml lists more than 2 slides; the slides are read in the order of their names"]
    assert [(c.location["part"], "slide" in c.location) for c in chunks if MOBILE in c.text] == [
        (f"ppt/slides/slide{n}.xml", False) for n in (1, 2, 3)]


@pytest.mark.parametrize("dropped, read", [
    pytest.param(("ppt/_rels/presentation.xml.rels",), [1, 2, 3], id="relationships"),
    pytest.param(("ppt/_rels/presentation.xml.rels", "ppt/slides/slide1.xml", "ppt/slides/slide2.xml",
                  "ppt/slides/slide3.xml"), [], id="relationships-and-slides"),
])
def test_slides_a_damaged_zip_directory_lost_are_a_problem_line(tmp_path, dropped, read):
    """A zip whose directory lost the presentation's relationships (a byte changed in a name's
    length swallows the entries after it, and zipfile raises nothing) read no slide in the
    order shown, or none at all, and said nothing: the byte-mutation test below drew such a
    file now and then. It is one problem line; the slides still there are read by name."""
    three_slides(tmp_path / "a.pptx")
    with zipfile.ZipFile(tmp_path / "a.pptx") as old, zipfile.ZipFile(tmp_path / "b.pptx", "w") as new:
        for info in old.infolist():
            if info.filename not in dropped:
                new.writestr(info, old.read(info.filename))
    coverage = TargetCoverage("t")
    chunks = list(read_presentation(str(tmp_path / "b.pptx"), ScanOptions(), coverage))
    assert [p.reason for p in coverage.problems] == [
        "3 of the 3 slides ppt/presentation.xml lists have no relationship to their part (damaged presentation?): "
        "the slides found are read in the order of their names"]
    assert [c.location["part"] for c in chunks if MOBILE in c.text] == [f"ppt/slides/slide{n}.xml" for n in read]


def test_text_in_a_line_break_a_field_and_a_fallback(tmp_path):
    """A line break is a space, a field's text is read, and a shape's copy for older versions
    (mc:Fallback) is not, as it repeats the shape."""
    three_slides(tmp_path / "a.pptx")
    shape = text_shape("x")
    alternate = (f'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                 f'<mc:Choice Requires="a14">{text_shape("甲")}</mc:Choice><mc:Fallback>{text_shape("甲")}'
                 f'</mc:Fallback></mc:AlternateContent>')
    body = shape.replace("<a:r><a:t>x</a:t></a:r>", '<a:r><a:t>手机</a:t></a:r><a:br/><a:fld id="{1}" type="slidenum">'
                                                   '<a:t>7</a:t></a:fld>') + alternate
    rewrite(tmp_path / "a.pptx", tmp_path / "b.pptx", {"ppt/slides/slide1.xml": slide_xml(body)})
    chunks = [c for c in read_presentation(str(tmp_path / "b.pptx"), ScanOptions(), TargetCoverage("t"))
              if c.location["part"] == "ppt/slides/slide1.xml"]
    assert [c.text for c in chunks] == ["手机 7\n甲"]


def bomb(path):
    three_slides(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ppt/slides/slide9.xml", b"<p:sld>" + b" " * (64 << 20) + b"</p:sld>")


def dtd_slide(path):
    three_slides(path)
    hostile = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>' + slide_xml(text_shape("&a;"))[21:])
    moved = path.with_suffix(".tmp")
    path.rename(moved)
    rewrite(moved, path, {"ppt/slides/slide2.xml": hostile})


def encrypted(path):
    three_slides(path)
    plain = io.BytesIO(path.read_bytes())
    sealed = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", sealed)
    path.write_bytes(sealed.getvalue())


def truncated(path):
    three_slides(path)
    path.write_bytes(path.read_bytes()[:3000])


def huge_paragraph(path):
    three_slides(path)
    moved = path.with_suffix(".tmp")
    path.rename(moved)
    rewrite(moved, path, {"ppt/slides/slide2.xml": slide_xml(text_shape("号码" * 700))})


LEGACY = compound_file({"PowerPoint Document": bytes(5000), "Current User": bytes(60)})  # a .ppt's streams, empty
PPT97 = Path(__file__).parent / "data" / "ppt97" / "case_review.ppt"  # read by ``ppt97``: test_sources_ppt97.py


@pytest.mark.parametrize("make, reason, others_read", [
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), "corrupt presentation: OLE2 version 0",
     False),
    (lambda p: p.write_bytes(LEGACY), "corrupt .ppt presentation: its PowerPoint Document stream holds no "
                                      "DocumentContainer record", False),
    (encrypted, "an encrypted presentation, which is not read here", False),
    (lambda p: p.write_bytes(compound_file({"WordDocument": bytes(5000)})), "holds no PowerPoint presentation", False),
    (lambda p: p.write_text(f"手机{MOBILE}"), "not a .pptx presentation: no zip signature", False),
    (lambda p: zipfile.ZipFile(p, "w").writestr("ppt/slides/slide1.xml", slide_xml(text_shape(MOBILE))),
     "the zip holds no ppt/presentation.xml", False),
    (bomb, "(zip bomb?)", False),
    (truncated, "unreadable: a corrupt zip structure or checksum (BadZipFile)", False),
    (dtd_slide, "refused: ppt/slides/slide2.xml declares a DTD or entities", True),
    (huge_paragraph, "a paragraph of over 1,000 characters in ppt/slides/slide2.xml", True),
    # Found by tests/fuzz/fuzz_reader.py on a.pptx: zipfile seeks there, "cannot read: Invalid argument".
    (lambda p: with_offset_before_start(three_slides(p) or p, "ppt/slides/slide2.xml"),
     "corrupt .pptx presentation: its zip directory puts ppt/slides/slide2.xml before the file's start", False),
], ids=["ole2", "ppt97", "encrypted", "ole2-no-deck", "not-a-zip", "no-presentation-xml", "bomb", "truncated",
        "dtd", "huge-paragraph", "member-before-start"])
def test_a_bad_presentation_is_one_problem_line_and_the_scan_goes_on(tmp_path, key, make, reason, others_read,
                                                                     monkeypatch):
    monkeypatch.setattr(ooxml, "MAX_PARAGRAPH_CHARS", 1000)
    make(tmp_path / "bad.pptx")
    case_review(tmp_path / "good.pptx")
    result = scan_one(tmp_path, key)
    (problem,) = result.coverage.problems
    assert problem.where == str(tmp_path / "bad.pptx") and reason in problem.reason, problem
    assert "\n" not in problem.reason and not any(value in problem.reason for value in RAW)
    bad = [f for f in result.findings.values() if f.container == str(tmp_path / "bad.pptx")]
    assert sum(f.occurrences for f in bad) == (2 if others_read else 0)  # slides 1 and 3
    assert any(f.container == str(tmp_path / "good.pptx") for f in result.findings.values())


def test_wps_and_legacy_presentations_in_a_folder(tmp_path, key):
    """WPS's .dps is read when it is a zip, and an OLE2 .ppt or .dps (PowerPoint 97-2003) as the
    .ppt it is (``ppt97``), where it was a binary file skipped as a notice, then a problem line. A
    .dps or .pot holding text is read as text; an empty .pptx is a notice."""
    three_slides(tmp_path / "汇报.dps")
    shutil.copy(PPT97, tmp_path / "旧版.ppt")
    shutil.copy(PPT97, tmp_path / "旧版.dps")
    (tmp_path / "空.pptx").write_bytes(b"")
    (tmp_path / "说明.dps").write_text(f"手机 {MOBILE_2}")
    (tmp_path / "messages.pot").write_text(f'msgid "手机 {MOBILE_2}"')
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert [(Path(n.where).name, n.reason) for n in result.coverage.notices] == [
        ("空.pptx", "empty file: nothing to read")]
    per_file: dict[str, int] = {}
    for finding in result.findings.values():
        per_file[Path(finding.container).name] = per_file.get(Path(finding.container).name, 0) + finding.occurrences
    assert per_file == {"messages.pot": 1, "汇报.dps": 3, "说明.dps": 1, "旧版.ppt": 10, "旧版.dps": 10}  # ppt97's 8, 2 names


def test_a_presentation_inside_a_zip_is_read_from_memory(tmp_path, key):
    case_review(tmp_path / "r.pptx")
    with zipfile.ZipFile(tmp_path / "案例.zip", "w") as archive:
        archive.write(tmp_path / "r.pptx", "2024/案例复盘.pptx")
        archive.write(PPT97, "2024/旧版.ppt")
    (tmp_path / "r.pptx").unlink()
    result = scan_one(tmp_path, key)
    where = f"{tmp_path / '案例.zip'}!2024/"
    assert result.coverage.problems == []
    deck = [f for f in result.findings.values() if f.container == f"{where}案例复盘.pptx"]
    assert sum(f.occurrences for f in deck) == 6
    assert sum(f.occurrences for f in result.findings.values() if f.container == f"{where}旧版.ppt") == 10


def test_a_presentation_embedded_in_a_document_is_read(tmp_path, key):
    from pii_audit.demo_estate import docx_bytes

    case_review(tmp_path / "r.pptx")
    (tmp_path / "报告.docx").write_bytes(docx_bytes(["见附件"]))
    with zipfile.ZipFile(tmp_path / "报告.docx", "a") as archive:
        archive.write(tmp_path / "r.pptx", "word/embeddings/Microsoft_PowerPoint_Presentation.pptx")
    (tmp_path / "r.pptx").unlink()
    result = scan_one(tmp_path, key)
    inner = f"{tmp_path / '报告.docx'}!word/embeddings/Microsoft_PowerPoint_Presentation.pptx"
    assert result.coverage.problems == []
    assert sum(f.occurrences for f in result.findings.values() if f.container == inner) == 6
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (inner, "1 file(s) embedded in this embedded file not read (one level deep is read); "
         "open it and save it apart")]


def test_the_cli_writes_slide_locations_and_no_raw_value(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder = tmp_path / "decks"
    folder.mkdir()
    case_review(folder / "案例复盘.pptx")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(folder), "--jsonl", str(out)])
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    slides = sorted((r["location"]["slide"], r["location"]["part"], r["location"]["line"]) for r in records
                    if "part" in r["location"])
    assert slides == [(1, "ppt/charts/chart1.xml", 3), (1, "ppt/slides/slide3.xml", 2),
                      (2, "ppt/slides/slide1.xml", 2), (3, "ppt/notesSlides/notesSlide1.xml", 1),
                      (3, "ppt/slides/slide2.xml", 4), (3, "ppt/slides/slide2.xml", 5)]
    assert all(set(r["location"]) == {"path", "part", "slide", "line", "start", "end"} for r in records
               if "part" in r["location"])
    text = out.read_text("utf-8") + result.output
    assert not any(value in text for value in RAW)
    assert "138****5678" in text and "slide 3 ppt/slides/slide2.xml line 5" in result.output


def test_a_slide_cleaned_verifies_its_items(tmp_path, monkeypatch):
    """The remedy for a slide of customer numbers: delete them, or the deck. Read in full with
    nothing found, or gone from a folder walked without a problem, its items verify."""
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder, ledger = tmp_path / "decks", f"sqlite:///{tmp_path / 'ledger.db'}"
    folder.mkdir()
    three_slides(folder / "a.pptx")
    case_review(folder / "b.pptx")
    statuses = functools.partial(statuses_by_file, ledger)
    scan = lambda: CliRunner().invoke(cli, ["scan", str(folder), "--ledger", ledger]).exit_code  # noqa: E731
    assert scan() == 1 and statuses() == {"a.pptx": {"open"}, "b.pptx": {"open"}, CHART_BOOK: {"open"}}
    deck = Presentation(str(folder / "a.pptx"))
    for slide in deck.slides:
        slide.placeholders[1].text = "手机 已脱敏"
    deck.save(str(folder / "a.pptx"))
    (folder / "b.pptx").unlink()
    assert scan() == 0 and statuses() == {"a.pptx": {"verified"}, "b.pptx": {"verified"},
                                      CHART_BOOK: {"verified"}}


def test_a_damaged_slide_keeps_the_items_of_its_deck_open(tmp_path, monkeypatch):
    """A deck read in part proves nothing gone: its items stay open."""
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder, ledger = tmp_path / "decks", f"sqlite:///{tmp_path / 'ledger.db'}"
    folder.mkdir()
    three_slides(folder / "a.pptx")
    scan = lambda: CliRunner().invoke(cli, ["scan", str(folder), "--ledger", ledger]).exit_code  # noqa: E731
    assert scan() == 1
    rewrite(folder / "a.pptx", tmp_path / "b.pptx", {f"ppt/slides/slide{n}.xml": slide_xml(text_shape("已脱敏"))
                                                     for n in (1, 2)} | {"ppt/slides/slide3.xml": "<p:sld"})
    (tmp_path / "b.pptx").replace(folder / "a.pptx")
    assert scan() == 3 and statuses_by_file(ledger) == {"a.pptx": {"open"}}  # 3: not everything was read


def test_a_presentation_libreoffice_wrote_is_read(key):
    """A second producer: LibreOffice Impress saved a case review (tests/data/presentations/make_presentations.py)."""
    result = scan_one(DATA / "libreoffice.pptx", key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert found(result) == [
        ("CN_BANK_CARD", "ppt/slides/slide1.xml", 1, 2),
        ("CN_MOBILE_PHONE", "ppt/notesSlides/notesSlide2.xml", 2, 1),
        ("CN_MOBILE_PHONE", "ppt/slides/slide2.xml", 2, 7),
        ("CN_MOBILE_PHONE", "ppt/slides/slide2.xml", 2, 10),
        ("CN_RESIDENT_ID", "ppt/slides/slide2.xml", 2, 6),
        ("CN_RESIDENT_ID", "ppt/slides/slide2.xml", 2, 9),
        ("PERSON", "ppt/slides/slide2.xml", 2, 5),  # under the table's 姓名 header
        ("PERSON", "ppt/slides/slide2.xml", 2, 8),
    ]


def test_a_slide_table_header_is_the_context_of_its_column(tmp_path, key):
    """A table on a slide names its columns in its first row: a bare name under 客户姓名 is
    reported; the same name in a text box is not."""
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "王建国"
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for row, cells in enumerate([("客户姓名", "手机号"), ("王建国", MOBILE), ("李秀英", MOBILE_2)]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    deck.save(str(tmp_path / "名单.pptx"))
    result = scan_one(tmp_path, key)
    assert found(result) == [("CN_MOBILE_PHONE", "ppt/slides/slide1.xml", 1, 5),
                             ("CN_MOBILE_PHONE", "ppt/slides/slide1.xml", 1, 7),
                             ("PERSON", "ppt/slides/slide1.xml", 1, 4), ("PERSON", "ppt/slides/slide1.xml", 1, 6)]


def test_a_slide_table_under_a_title_row_is_named_by_its_second_row(tmp_path, key):
    """A title merged across a slide's table (PowerPoint keeps the covered cells, marked hMerge)
    names nothing: the row under it names the columns."""
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(0, 0).text = "客户名单"
    for row, cells in ((1, ("联系人", "住址")), (2, ("王建国", "北京市朝阳区建国路88号院3号楼1单元502室"))):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    deck.save(str(tmp_path / "名单.pptx"))
    result = scan_one(tmp_path, key)
    assert found(result) == [("CN_ADDRESS", "ppt/slides/slide1.xml", 1, 6), ("PERSON", "ppt/slides/slide1.xml", 1, 5)]


def test_a_slide_table_headed_by_two_rows_names_its_columns_under_their_headings(tmp_path, key):
    """A slide's customer table headed by two rows: 序号 merged down over both (rowSpan), 客户信息
    across 姓名 and 联系人 (gridSpan, the covered cell kept and marked hMerge). The second row was
    read as data, so the first name took 客户信息 alone, and the covered cell a column of its own,
    with no header, so the second name had none. Neither was reported; both are now. The deck is
    the one tests/data/ppt97/two_rows.ppt was saved from (备注 merged down too)."""
    spec = importlib.util.spec_from_file_location("make_ppt_fixtures",
                                                  Path(__file__).parent / "data/ppt97/make_ppt_fixtures.py")
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    fixtures.two_row_header().save(str(tmp_path / "名单.pptx"))
    result = scan_one(tmp_path, key)
    assert [entry[0] for entry in found(result)] == ["PERSON", "PERSON"]


def test_a_part_named_with_thousands_of_digits_leaves_the_presentation_readable(tmp_path, key):
    """The parts no slide links to are sorted by the numbers in their names, which int() read: it
    refuses one of over 4,300 digits (Python's limit), so such a name made the presentation
    "unreadable (ValueError)", its other parts, properties and embedded files unread."""
    three_slides(tmp_path / "a.pptx")
    with_parts(tmp_path / "a.pptx", {f"ppt/slides/slide{'1' * 5000}.xml": slide_xml(text_shape(f"证件 {ID18}"))}, {})
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert [entry[:3] for entry in found(result)] == (
        [("CN_MOBILE_PHONE", f"ppt/slides/slide{n}.xml", n) for n in (1, 2, 3)]
        + [("CN_RESIDENT_ID", f"ppt/slides/slide{'1' * 5000}.xml", 0)])


def test_a_slide_listed_many_times_is_read_once_and_its_links_parsed_once(tmp_path, key, monkeypatch):
    """A slide list naming one slide again and again (PowerPoint never does) parsed the slide's
    relationships again for each listing: 10,000 listings in a 47 KB file took 146 s."""
    from pii_audit.sources import presentations

    three_slides(tmp_path / "a.pptx")
    with zipfile.ZipFile(tmp_path / "a.pptx") as archive:
        listing = archive.read("ppt/presentation.xml").decode()
    first = listing[listing.index("<p:sldId "):listing.index("/>", listing.index("<p:sldId ")) + 2]
    with_parts(tmp_path / "a.pptx", {"ppt/presentation.xml": listing.replace(first, first * 1000)}, {})
    parsed = []
    monkeypatch.setattr(presentations, "relationships",
                        lambda archive, part: parsed.append(part) or relationships(archive, part))
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == [] and len(parsed) == 1 + 3  # the presentation's, each slide's
    assert [entry[:3] for entry in found(result)] == [
        ("CN_MOBILE_PHONE", f"ppt/slides/slide{n}.xml", n) for n in (1, 2, 3)]
    assert result.findings[(str(tmp_path / "a.pptx"), "CN_MOBILE_PHONE")].occurrences == 3


def test_a_part_the_zip_names_twice_is_read_once(tmp_path, key):
    """A zip may name a member twice, and zipfile opens the last of those names each time: a slide
    no list names, so read by name, was read once a name, its values counted twice."""
    three_slides(tmp_path / "a.pptx")
    unlisted = slide_xml(text_shape(f"证件 {ID18}"))
    with_parts(tmp_path / "a.pptx", {"ppt/slides/slide9.xml": unlisted}, {})
    with zipfile.ZipFile(tmp_path / "a.pptx", "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("ppt/slides/slide9.xml", unlisted)
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert result.findings[(str(tmp_path / "a.pptx"), "CN_RESIDENT_ID")].occurrences == 1


NAMED = "ppt/slides/客户\n名单.xml"  # a zip's member names may hold a line break; a relationship's target too
DTD = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d/>'


def listed_slide(path, slide: str, rels: str | None = None) -> None:
    """List the part ``slide`` (holding ``rels``, if any, as its relationships) in the slide list."""
    with zipfile.ZipFile(path) as archive:
        listing = archive.read("ppt/presentation.xml").decode()
    parts = {"ppt/presentation.xml": listing.replace("</p:sldIdLst>", '<p:sldId id="999" r:id="rIdT0"/></p:sldIdLst>'),
             slide: slide_xml(text_shape(f"证件 {ID18}"))}
    if rels is not None:
        folder, name = slide.rsplit("/", 1)
        parts[f"{folder}/_rels/{name}.rels"] = rels
    with_parts(path, parts, {"ppt/presentation.xml": [(f"{RELS}/slide", slide[4:].replace("\n", "&#10;"))]})


@pytest.mark.parametrize("make, reason", [
    (lambda path: with_parts(path, {}, {"ppt/slides/slide1.xml": [(f"{RELS}/comments", "../comments/a&#10;b.xml")]}),
     "ppt/comments/a?b.xml, which a slide links to, is missing (damaged presentation?)"),
    (lambda path: with_parts(path, {NAMED: "<p:sld>"}, {}),
     "ppt/slides/客户?名单.xml is damaged: malformed XML (ExpatError); the other parts are read"),
    (lambda path: with_parts(path, {NAMED: DTD}, {}),
     "refused: ppt/slides/客户?名单.xml declares a DTD or entities (billion laughs / XXE?); the other parts are read"),
    (lambda path: listed_slide(path, NAMED, DTD),
     "refused: ppt/slides/_rels/客户?名单.xml.rels declares a DTD or entities (billion laughs / XXE?); its notes "
     "and comments are read by name"),
], ids=["missing", "damaged", "dtd", "dtd-in-its-relationships"])
def test_a_part_named_with_a_line_break_is_named_on_one_line(tmp_path, key, make, reason):
    """A problem naming a part named with a line break (a relationship's target ``a&#10;b``, a zip
    member so named) was two lines; the name is shown as the zip's other names are, ? for the break."""
    three_slides(tmp_path / "a.pptx")
    make(tmp_path / "a.pptx")
    result = scan_one(tmp_path, key)
    assert [p.reason for p in result.coverage.problems] == [reason]
    assert [entry[:3] for entry in found(result) if entry[0] == "CN_MOBILE_PHONE"] == [
        ("CN_MOBILE_PHONE", f"ppt/slides/slide{n}.xml", n) for n in (1, 2, 3)]


@pytest.mark.parametrize("encoding, reason", [("UTF-7", "a corrupt or malformed value (ValueError)"), ("U-FT8", "an encoding that is not known (LookupError)")],
                         ids=["utf-7", "unknown-encoding"])
def test_a_slide_in_an_encoding_expat_does_not_read_is_one_problem_line(tmp_path, key, encoding, reason):
    """expat refuses an encoding it does not read (UTF-7) with ValueError, one it does not know with
    LookupError, not ExpatError: one such slide made the whole presentation "unreadable" (found by
    tests/fuzz/fuzz_part.py on a comments part)."""
    three_slides(tmp_path / "a.pptx")
    with zipfile.ZipFile(tmp_path / "a.pptx") as archive:
        slide = archive.read("ppt/slides/slide2.xml").replace(b"UTF-8", encoding.encode(), 1)
    rewrite(tmp_path / "a.pptx", tmp_path / "b.pptx", {"ppt/slides/slide2.xml": slide})
    (tmp_path / "a.pptx").unlink()
    result = scan_one(tmp_path, key)
    assert [p.reason for p in result.coverage.problems] == [
        f"ppt/slides/slide2.xml is damaged: {reason}; the other parts are read"]
    assert found(result) == [("CN_MOBILE_PHONE", f"ppt/slides/slide{n}.xml", n, 2) for n in (1, 3)]


def test_alt_text_of_pictures_and_shapes_is_read_on_its_slide(tmp_path, key):
    """Bank decks paste a scanned card with alt text "客户张伟身份证正面…" (``p:cNvPr descr``), or
    title a shape (``title``): no paragraph holds it, and it was not read. Each is a line of its
    slide, where the shape is."""
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(png, "PNG")
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    picture = slide.shapes.add_picture(png, Inches(1), Inches(1))
    picture._element.nvPicPr.cNvPr.set("descr", f"客户张伟身份证正面 {ID18}")
    shape = slide.shapes.add_shape(1, Inches(3), Inches(1), Inches(1), Inches(1))
    shape._element.nvSpPr.cNvPr.set("title", f"联系人手机{MOBILE}")
    shape.text_frame.text = "备注"
    deck.save(tmp_path / "案例.pptx")
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    slide1 = "ppt/slides/slide1.xml"
    assert found(result) == [("CN_MOBILE_PHONE", slide1, 1, 2), ("CN_RESIDENT_ID", slide1, 1, 1)]
