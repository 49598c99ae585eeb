"""Word documents (.docx): paragraphs, tables, headers, comments, tracked deletions and text boxes
read as lines, and every kind of bad document one problem line."""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import warnings
import zipfile
from pathlib import Path

import docx
import pytest

from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources import ooxml
from ledger_helpers import statuses_by_file
from pii_audit.sources.documents import read_document
from scan_helpers import scan_one
from zip_helpers import rewrite, with_empty_entries, with_offset_before_start, with_repeated_entry

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
MOBILE = "13812345678"
CARD = "6222021234567890128"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def found(result):
    """Return {(entity, location without offsets)} of a scan's samples."""
    return sorted((f.entity_type, json.dumps({k: v for k, v in s.location.items() if k not in ("start", "end")},
                                             ensure_ascii=False, sort_keys=True))
                  for f in result.findings.values() for s in f.samples)


def credit_report(path):
    """Write a .docx as Word users make them: paragraphs, a table, a header and a comment."""
    document = docx.Document()
    document.add_heading("授信调查报告", level=1)
    document.add_paragraph(f"借款人身份证号：{ID18}，经核实无误。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "联系电话", "还款卡号"
    table.cell(1, 0).text, table.cell(1, 1).text = f"手机{MOBILE}", f"卡号{CARD}"
    note = document.add_paragraph("客户经理意见：同意。")
    document.add_comment(note.runs, text=f"客户手机 {MOBILE}，请回访", author="张伟")
    document.sections[0].header.paragraphs[0].text = f"经办人电话 {MOBILE}"
    document.save(path)


def test_a_credit_report_is_read_paragraph_by_paragraph(tmp_path, key):
    """Body paragraphs and table cells are lines of the body; the header and the comment are
    lines of their own parts, numbered from 1."""
    path = tmp_path / "授信调查报告.docx"
    credit_report(path)
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    where = str(path)
    assert found(result) == sorted([
        ("CN_BANK_CARD", json.dumps({"line": 6, "path": where}, ensure_ascii=False, sort_keys=True)),
        ("CN_MOBILE_PHONE", json.dumps({"line": 1, "part": "word/comments.xml", "path": where},
                                       ensure_ascii=False, sort_keys=True)),
        ("CN_MOBILE_PHONE", json.dumps({"line": 1, "part": "word/header1.xml", "path": where},
                                       ensure_ascii=False, sort_keys=True)),
        ("CN_MOBILE_PHONE", json.dumps({"line": 5, "path": where}, ensure_ascii=False, sort_keys=True)),
        ("CN_RESIDENT_ID", json.dumps({"line": 2, "path": where}, ensure_ascii=False, sort_keys=True)),
    ])
    assert {f.container for f in result.findings.values()} == {where}
    assert result.coverage.files == 1 and result.coverage.bytes == path.stat().st_size


def with_body(path, body: str) -> None:
    """Write a .docx whose document.xml body is ``body`` (WordprocessingML written by hand)."""
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           f'<w:document xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
           f'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
           f'<w:body>{body}</w:body></w:document>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", xml)


def test_tracked_deletions_are_read_and_a_text_box_once(tmp_path, key):
    """An ID deleted with track changes on is still in the file; a text box's VML copy for old
    Word versions (mc:Fallback) would count its mobile number twice."""
    box = f"<w:txbxContent><w:p><w:r><w:t>手机{MOBILE}</w:t></w:r></w:p></w:txbxContent>"
    with_body(tmp_path / "a.docx",
              f"<w:p><w:del><w:r><w:delText>身份证{ID18}</w:delText></w:r></w:del></w:p>"
              f"<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing>{box}</w:drawing>"
              f"</mc:Choice><mc:Fallback><w:pict>{box}</w:pict></mc:Fallback></mc:AlternateContent>"
              f"<w:t>框外</w:t></w:r></w:p>"
              f"<w:p><w:r><w:t xml:space=\"preserve\">卡号 6222</w:t><w:tab/><w:t>0212</w:t></w:r></w:p>")
    result = scan_one(tmp_path, key)
    assert [(f.entity_type, f.occurrences, [s.location["line"] for s in f.samples])
            for f in sorted(result.findings.values(), key=lambda f: f.entity_type)] == \
        [("CN_MOBILE_PHONE", 1, [2]), ("CN_RESIDENT_ID", 1, [1])]


def test_chunks_cut_anywhere_give_the_same_lines(tmp_path, monkeypatch):
    paragraphs = "".join(f"<w:p><w:r><w:t>第{n}段 {'手机' + MOBILE if n % 7 == 0 else '正常'}</w:t></w:r></w:p>"
                         for n in range(1, 300))
    with_body(tmp_path / "long.docx", paragraphs)
    lines = []
    for chars in (ooxml.CHUNK_CHARS, 50):
        monkeypatch.setattr(ooxml, "CHUNK_CHARS", chars)
        coverage = TargetCoverage(str(tmp_path))
        chunks = list(read_document(str(tmp_path / "long.docx"), ScanOptions(), coverage))
        assert (len(chunks) > 1) == (chars == 50)
        lines.append([chunk.location["line"] + i for chunk in chunks
                      for i, text in enumerate(chunk.text.split("\n")) if MOBILE in text])
        assert coverage.containers[str(tmp_path / "long.docx")].units == 299
    assert lines[0] == lines[1] == list(range(7, 300, 7))


def bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (64 << 20) + b"</w:document>")


def dtd(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>'
                                              f'<w:document xmlns:w="{W}"><w:body>&a;</w:body></w:document>')


def truncated(path):
    credit_report(path)
    path.write_bytes(path.read_bytes()[:3000])


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), "corrupt Word document: OLE2 version 0"),
    (lambda p: p.write_text(f"手机{MOBILE}"), "no zip signature"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("x.txt", "x"), "holds no word/document.xml"),
    (bomb, "(zip bomb?)"),
    (dtd, "declares a DTD or entities"),
    (truncated, "unreadable: a corrupt zip structure or checksum (BadZipFile)"),
    (lambda p: with_body(p, "<w:p><w:r><w:t>未闭合"), "word/document.xml is damaged: malformed XML (ExpatError)"),
    (lambda p: with_body(p, "<w:p><w:r><w:t>" + "号码" * 700 + "</w:t></w:r></w:p>"), "a paragraph of over 1,000"),
    # Tabs and breaks were not counted: a paragraph of them grew past the cap without a word.
    (lambda p: with_body(p, "<w:p><w:r>" + "<w:tab/>" * 1500 + "</w:r></w:p>"), "a paragraph of over 1,000"),
    # Each level held a table (and expat its tag): a 59 KB file of a million took 590 MB and 23 s.
    (lambda p: with_body(p, "<w:tbl>" * 2000 + "</w:tbl>" * 2000), "elements nested over 1,000 deep"),
    # Found by tests/fuzz/fuzz_reader.py on a.docx: zipfile seeks there, "cannot read: Invalid argument".
    (lambda p: with_offset_before_start(credit_report(p) or p, "docProps/core.xml"),
     "corrupt .docx document: its zip directory puts docProps/core.xml before the file's start"),
], ids=["ole2", "not-a-zip", "no-body", "bomb", "dtd", "truncated", "bad-xml", "huge-paragraph", "paragraph-of-tabs",
        "nested-tables", "member-before-start"])
def test_a_bad_document_is_one_problem_line_and_the_scan_goes_on(tmp_path, key, make, reason, monkeypatch):
    monkeypatch.setattr(ooxml, "MAX_PARAGRAPH_CHARS", 1000)
    make(tmp_path / "bad.docx")
    credit_report(tmp_path / "good.docx")
    result = scan_one(tmp_path, key)
    (problem,) = result.coverage.problems
    assert problem.where == str(tmp_path / "bad.docx") and reason in problem.reason, problem
    assert MOBILE not in problem.reason
    assert {f.container for f in result.findings.values()} == {str(tmp_path / "good.docx")}


def cut(xml: bytes) -> bytes:
    return xml[:len(xml) // 2]


def with_dtd(_xml: bytes) -> bytes:
    return b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d/>'


@pytest.mark.parametrize("part, damage, reason", [
    ("word/document.xml", cut, "word/document.xml is damaged: malformed XML (ExpatError); the other parts are read"),
    ("word/header1.xml", cut, "word/header1.xml is damaged: malformed XML (ExpatError); the other parts are read"),
    ("word/comments.xml", with_dtd, "refused: word/comments.xml declares a DTD or entities (billion laughs / "
                                    "XXE?); the other parts are read"),
], ids=["body", "header", "comments-dtd"])
def test_a_damaged_part_is_one_problem_line_and_the_other_parts_are_read(tmp_path, key, part, damage, reason):
    """One damaged part (cut XML, a DTD) made the whole document "unreadable": the parts after it,
    its properties and embedded files were lost (a damaged body lost the header and comments).
    Each damaged part is now one problem line and the others are read, as a presentation's slides."""
    credit_report(tmp_path / "a.docx")
    with zipfile.ZipFile(tmp_path / "a.docx") as archive:
        xml = archive.read(part)
    rewrite(tmp_path / "a.docx", tmp_path / "b.docx", {part: damage(xml)})
    (tmp_path / "a.docx").unlink()
    result = scan_one(tmp_path, key)
    assert [p.reason for p in result.coverage.problems] == [reason]
    read = {json.loads(location).get("part", "word/document.xml") for _, location in found(result)}
    assert read == {"word/document.xml", "word/header1.xml", "word/comments.xml"} - {part}


def test_a_document_inside_a_zip_is_read_from_memory(tmp_path, key):
    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "reports.zip", "w") as archive:
        archive.write(tmp_path / "r.docx", "2024/授信报告.docx")
    (tmp_path / "r.docx").unlink()
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert {f.container for f in result.findings.values()} == {f"{tmp_path / 'reports.zip'}!2024/授信报告.docx"}
    assert sum(f.occurrences for f in result.findings.values()) == 5


def test_no_raw_value_reaches_the_jsonl_or_the_summary(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    credit_report(tmp_path / "r.docx")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "r.docx"), "--jsonl", str(out)])
    assert result.exit_code == 1, result.output
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 5 and json.loads(lines[0])["location"]["path"] == str(tmp_path / "r.docx")
    for value in (ID18, MOBILE, CARD):
        assert value not in result.output and all(value not in line for line in lines)
    assert "138****5678" in result.output


def test_a_document_cleaned_or_deleted_verifies_its_items(tmp_path, monkeypatch):
    """The remedies for a report full of customer numbers: mask them, or delete the file. Read in
    full with nothing found, or gone from a folder walked without a problem, its items verify."""
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder, ledger = tmp_path / "reports", f"sqlite:///{tmp_path / 'ledger.db'}"
    folder.mkdir()
    credit_report(folder / "a.docx")
    credit_report(folder / "b.docx")

    statuses = functools.partial(statuses_by_file, ledger)
    scan = lambda: CliRunner().invoke(cli, ["scan", str(folder), "--ledger", ledger]).exit_code  # noqa: E731
    assert scan() == 1 and statuses() == {"a.docx": {"open"}, "b.docx": {"open"}}
    with_body(folder / "a.docx", "<w:p><w:r><w:t>借款人身份证号：已脱敏</w:t></w:r></w:p>")
    (folder / "b.docx").unlink()
    assert scan() == 0 and statuses() == {"a.docx": {"verified"}, "b.docx": {"verified"}}


def test_a_damaged_word_97_document_leaves_the_scan_incomplete(tmp_path, key):
    """A .doc (or WPS Writer's .wps) is read when it is an OLE2 file (``test_sources_word97``);
    one that only starts like one is a problem line each, as it was when none was read."""
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    (tmp_path / "开户申请.doc").write_bytes(ole2)
    (tmp_path / "说明.wps").write_bytes(ole2)
    result = scan_one(tmp_path, key)
    assert sorted(f"{p.where}: {p.reason}" for p in result.coverage.problems) == sorted(
        f"{tmp_path / name}: corrupt Word document: OLE2 version 0 with sectors of 2^0 bytes is not one Office writes"
        for name in ("开户申请.doc", "说明.wps"))


def workbook_bytes(rows: list[list]) -> bytes:
    """Return an .xlsx of one sheet holding ``rows``, as Excel embeds one in a document."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    embedded = io.BytesIO()
    book.save(embedded)
    return embedded.getvalue()


@pytest.mark.parametrize("entries", [1, 2], ids=["once", "named-twice"])
def test_a_workbook_embedded_in_a_document_is_read_as_a_spreadsheet(tmp_path, key, entries):
    """An Excel table pasted into a report as an object keeps its whole workbook inside the
    .docx, every customer row of it, though the page shows a few. A zip may hold two entries of
    one name (each its own data, so not refused as a bomb): both were read, each value counted
    twice; the last is read, as zipfile opens it by name and as the parts are."""
    embedded = workbook_bytes([["客户姓名", "手机号"]] + [[f"客户{n}", f"1391234{n:04d}"] for n in range(40)])
    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx", "a") as archive, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
        for _ in range(entries):
            archive.writestr("word/embeddings/Microsoft_Excel_Worksheet.xlsx", embedded)
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    sheet = f"{tmp_path / 'r.docx'}!word/embeddings/Microsoft_Excel_Worksheet.xlsx!Sheet!手机号"
    assert result.findings[(sheet, "CN_MOBILE_PHONE")].occurrences == 40


def test_excel_and_word_97_objects_embedded_in_a_document_are_read(tmp_path, key):
    """An object pasted from Excel or Word 97-2003 is an OLE2 file (oleObject1.bin) holding the
    .xls or .doc; it is read as that. An equation object is a notice, not a problem (a packaged
    file is read: test_sources_packaged)."""
    from xls_helpers import cfb, xlwt_book

    rows = [("客户姓名", "手机号")] + [(f"客户{n}", f"1391234{n:04d}") for n in range(30)]
    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx", "a") as archive:
        archive.writestr("word/embeddings/oleObject1.bin", xlwt_book(rows))
        archive.writestr("word/embeddings/oleObject2.bin",
                         (Path(__file__).parent / "data" / "word97" / "report.doc").read_bytes())
        archive.writestr("word/embeddings/oleObject3.bin", cfb(bytes(5000), "Equation Native"))
    result = scan_one(tmp_path, key)
    where = f"{tmp_path / 'r.docx'}!word/embeddings/"
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (f"{where}oleObject3.bin", "an embedded object that is no workbook, Word document or packaged file (an "
                                   "equation, a drawing) is not read")]
    assert result.findings[(f"{where}oleObject1.bin!客户!手机号", "CN_MOBILE_PHONE")].occurrences == 30
    assert result.findings[(f"{where}oleObject2.bin", "CN_RESIDENT_ID")].occurrences == 3


@pytest.mark.parametrize("name, renamed", [("Workbook", "WORKBOOK"), ("Workbook", "workbook"),
                                           ("WordDocument", "WORDDOCUMENT"), ("PowerPoint Document", "POWERPOINT DOCUMENT")])
def test_an_ole_objects_streams_are_named_without_case(tmp_path, key, name, renamed):
    """OLE2 names compare without case (MS-CFB): a writer may store "WORKBOOK". An object's
    streams were matched by their exact names, so such a workbook, document or deck was a notice
    ("no workbook, Word document or packaged file") and nothing in it was read."""
    from ole2_helpers import compound_file
    from pii_audit.sources import ole2
    from xls_helpers import xlwt_book

    data = Path(__file__).parent / "data"
    files = {"Workbook": lambda: xlwt_book([("手机号",), (MOBILE,)]),
             "WordDocument": lambda: (data / "word97" / "report.doc").read_bytes(),
             "PowerPoint Document": lambda: (data / "ppt97" / "case_review.ppt").read_bytes()}
    compound = ole2.CompoundFile(io.BytesIO(files[name]()))
    streams = {renamed if path == name else path: compound.stream(*entry).read(0, entry[1])
               for path, entry in compound.streams().items()}
    assert renamed in streams
    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx", "a") as archive:
        archive.writestr("word/embeddings/oleObject1.bin", compound_file(streams))
    result = scan_one(tmp_path, key)
    where = f"{tmp_path / 'r.docx'}!word/embeddings/oleObject1.bin"
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert any(container.startswith(where) for container, _ in result.findings)


def test_a_powerpoint_97_object_embedded_in_a_document_is_read_as_a_ppt(tmp_path, key):
    """A slide pasted from PowerPoint 97-2003 into a report is an OLE2 file holding the .ppt's
    PowerPoint Document stream: it is read as the .ppt it is, not left as a notice."""
    deck = Path(__file__).parent / "data" / "ppt97" / "case_review.ppt"
    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx", "a") as archive:
        archive.writestr("word/embeddings/oleObject1.bin", deck.read_bytes())
    result = scan_one(tmp_path, key)
    where = f"{tmp_path / 'r.docx'}!word/embeddings/oleObject1.bin"
    alone = scan_one(deck, key)
    assert alone.findings  # the deck holds personal data of its own
    assert result.coverage.problems == [] and result.coverage.notices == []
    assert {entity: f.occurrences for (container, entity), f in result.findings.items() if container == where} == \
        {entity: f.occurrences for (_, entity), f in alone.findings.items()}


def test_files_embedded_in_a_workbook_are_read_one_level_deep(tmp_path, key):
    """A report or a customer list pasted into a workbook as an object keeps its whole file in
    xl/embeddings/. Each is read from memory; one embedded in it again is a notice."""
    import openpyxl

    from pii_audit.demo_estate import docx_bytes

    inner = openpyxl.Workbook()
    inner.active.append(["身份证号"])
    inner.active.append([ID18])
    inner_bytes = io.BytesIO()
    inner.save(inner_bytes)
    with zipfile.ZipFile(inner_bytes, "a") as packed:  # nested once more: not read
        packed.writestr("xl/embeddings/deeper.docx", docx_bytes([f"手机{MOBILE}"]))
    outer = openpyxl.Workbook()
    outer.active.append(["说明"])
    outer.save(tmp_path / "汇总.xlsx")
    with zipfile.ZipFile(tmp_path / "汇总.xlsx", "a") as packed:
        packed.writestr("xl/embeddings/Microsoft_Word_Document.docx", docx_bytes([f"卡号：{CARD}"]))
        packed.writestr("xl/embeddings/Microsoft_Excel_Worksheet.xlsx", inner_bytes.getvalue())
    result = scan_one(tmp_path, key)
    book = str(tmp_path / "汇总.xlsx")
    assert sorted((f.container, f.entity_type) for f in result.findings.values()) == [
        (f"{book}!xl/embeddings/Microsoft_Excel_Worksheet.xlsx!Sheet!身份证号", "CN_RESIDENT_ID"),
        (f"{book}!xl/embeddings/Microsoft_Word_Document.docx", "CN_BANK_CARD")]
    assert result.coverage.problems == []
    assert [(p.where, p.reason) for p in result.coverage.notices] == [
        (f"{book}!xl/embeddings/Microsoft_Excel_Worksheet.xlsx",
         "1 file(s) embedded in this embedded file not read (one level deep is read); "
         "open it and save it apart")]


def customer_table(path, header):
    """Write a .docx holding a customer table whose first row is ``header``."""
    document = docx.Document()
    document.add_paragraph("客户名单如下：")
    table = document.add_table(rows=1, cols=3)
    for cell, title in zip(table.rows[0].cells, header):
        cell.text = title
    for values in (("王建国", ID18, "北京市朝阳区建国路88号院3号楼1单元502室"), ("李秀英", "", "上海市浦东新区陆家嘴环路1000号")):
        for cell, value in zip(table.add_row().cells, values):
            cell.text = value
    document.add_paragraph("王建国")  # under no header: a bare name is nobody's
    document.save(path)


def test_a_table_header_is_the_context_of_its_column(tmp_path, key):
    """A customer table in a report names its columns in its first row, as a sheet does: a bare
    name or address under 姓名 or 住址 is reported, as in a workbook; outside the table it is not."""
    path = tmp_path / "客户名单.docx"
    customer_table(path, ("姓名", "身份证号", "住址"))
    result = scan_one(tmp_path, key)
    lines = sorted((entity, json.loads(where)["line"]) for entity, where in found(result))
    assert lines == [("CN_ADDRESS", 7), ("CN_ADDRESS", 10), ("CN_RESIDENT_ID", 6), ("PERSON", 5), ("PERSON", 8)]


def test_a_title_row_and_merged_headers_name_the_right_columns(tmp_path, key):
    """Reports put a title across a table (客户名单, one cell merged over every column) above the row
    that names the columns, and merge a header over two (联系方式 over a mobile and a landline):
    the title names nothing, the next row names the columns, and the address under 住址, right of
    the merged header, takes 住址."""
    document = docx.Document()
    table = document.add_table(rows=3, cols=4)
    title = table.cell(0, 0).merge(table.cell(0, 3))
    title.text = "客户名单"
    table.cell(1, 0).text = "姓名"
    table.cell(1, 1).merge(table.cell(1, 2)).text = "联系方式"
    table.cell(1, 3).text = "住址"
    for cell, value in zip(table.rows[2].cells, ("王建国", MOBILE, "010-62345678", "北京市朝阳区建国路88号院3号楼1单元502室")):
        cell.text = value
    document.save(tmp_path / "名单.docx")
    result = scan_one(tmp_path, key)
    lines = sorted((entity, json.loads(where)["line"]) for entity, where in found(result))
    assert lines == [("CN_ADDRESS", 8), ("CN_LANDLINE_PHONE", 7), ("CN_MOBILE_PHONE", 6), ("PERSON", 5)]


def test_a_header_of_two_rows_names_the_columns_under_its_headings(tmp_path, key):
    """Reports head a customer table with two rows: 序号 merged down over both, 客户信息 across 姓名
    and 证件号码 below it, 联系方式 across 手机 and 住址. The second row was read as data, so the
    name and the address took the headings 客户信息 and 联系方式, which name no person and no
    address, and were not reported. A header cell merged down (vMerge) makes the row below a header
    too, each of its columns named by the heading above it and its own. The document is the one
    tests/data/word97/two-rows.doc was saved from."""
    spec = importlib.util.spec_from_file_location("make_fixtures", Path(__file__).parent / "data/word97/make_fixtures.py")
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    fixtures.two_row_header().save(tmp_path / "名单.docx")
    result = scan_one(tmp_path, key)
    lines = sorted((entity, json.loads(where)["line"]) for entity, where in found(result))
    assert lines == [("CN_ADDRESS", 14), ("CN_MOBILE_PHONE", 13), ("CN_RESIDENT_ID", 12), ("PERSON", 11)]


@pytest.mark.parametrize("header_span, value_span", [("²", "²"), ("0" * 5000 + "2", "9" * 5000)],
                         ids=["unicode-digit", "thousands-of-digits"])
def test_a_span_int_refuses_leaves_the_document_readable(tmp_path, key, header_span, value_span):
    """``"²".isdigit()`` is true and ``int("²")`` fails, and int() refuses a string of over 4,300
    digits (Python's limit): a cell's gridSpan of either made the whole document "unreadable
    (ValueError)". "²" is read as a span of one column, 5,000 zeros and a 2 as a span of two."""
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="{}"/></w:tcPr><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>'
    with_body(tmp_path / "span.docx", f'<w:tbl><w:tr>{cell.format(header_span, "身份证号")}</w:tr>'
                                      f'<w:tr>{cell.format(value_span, ID18)}</w:tr></w:tbl>')
    result = scan_one(tmp_path / "span.docx", key)
    assert result.coverage.problems == [] and [f[1] for f in result.findings] == ["CN_RESIDENT_ID"]


def test_a_part_the_zip_names_twice_is_read_once(tmp_path, key):
    """A zip may name a member twice, and zipfile opens the last of those names each time: a
    header so named was read once a name, its values counted twice."""
    with_body(tmp_path / "a.docx", "<w:p><w:r><w:t>正文</w:t></w:r></w:p>")
    header = f'<w:hdr xmlns:w="{W}"><w:p><w:r><w:t>客户手机 {MOBILE}</w:t></w:r></w:p></w:hdr>'
    with zipfile.ZipFile(tmp_path / "a.docx", "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("word/header1.xml", header)
        archive.writestr("word/header1.xml", header)
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert result.findings[(str(tmp_path / "a.docx"), "CN_MOBILE_PHONE")].occurrences == 1


def test_an_embedded_file_named_with_a_line_break_is_named_on_one_line(tmp_path, key):
    """A zip member's name is the file's own bytes: a damaged workbook embedded as
    ``word/embeddings/坏\\n表.xlsx`` made its problem line two lines; the break shows as ?."""
    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx", "a") as archive:
        archive.writestr("word/embeddings/坏\n表.xlsx", b"PK\x03\x04 damaged")
    result = scan_one(tmp_path, key)
    assert [p.where for p in result.coverage.problems] == [f"{tmp_path / 'r.docx'}!word/embeddings/坏?表.xlsx"]


def test_a_zip_listing_one_members_data_many_times_is_refused(tmp_path, key):
    """A zip directory listing one member 1,000 times more, each entry pointing at its one data
    (no writer makes one), had a 112 KB document's embedded workbook read 1,001 times, 3 s, each
    value counted 1,001 times. It is refused, as a zip bomb."""
    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx", "a") as archive:
        archive.writestr("word/embeddings/Microsoft_Excel_Worksheet.xlsx", workbook_bytes([["手机号", MOBILE]]))
    with_repeated_entry(tmp_path / "r.docx", "word/embeddings/Microsoft_Excel_Worksheet.xlsx", 1000)
    result = scan_one(tmp_path, key)
    assert [p.reason for p in result.coverage.problems] == [
        "refused: 1,000 zip entries repeat another's data (zip bomb?)"]
    assert result.findings == {}


@pytest.mark.parametrize("entries, directory_cap, reason", [
    (70_000, None, "refused: its zip directory lists 70,019 entries, over the 65,535 cap (zip bomb?)"),
    (50_000, 2**20, "refused: its zip directory takes 2 MB, over the 1 MB cap (zip bomb?)"),
], ids=["entries", "directory-size"])
def test_a_zip_directory_larger_than_an_office_files_is_refused_before_it_is_read(tmp_path, key, monkeypatch,
                                                                                 entries, directory_cap, reason):
    """zipfile builds an object for each entry of the directory before anything is checked: 200,000
    empty entries took 3.1 s and 107 MB before the document was refused or read. The end record's
    count (and the directory's size, which bounds a count that lies) is checked first."""
    if directory_cap:
        monkeypatch.setattr("pii_audit.sources.xlsx_guard.MAX_DIRECTORY_BYTES", directory_cap)
    credit_report(tmp_path / "r.docx")
    with_empty_entries(tmp_path / "r.docx", entries)
    built, init = [], zipfile.ZipInfo.__init__
    monkeypatch.setattr(zipfile.ZipInfo, "__init__", lambda info, *args: built.append(info) or init(info, *args))
    result = scan_one(tmp_path, key)
    assert [p.reason for p in result.coverage.problems] == [reason]
    assert result.findings == {} and built == []


def test_files_embedded_in_a_workbook_are_read_when_one_sheet_is_damaged(tmp_path, key):
    """A damaged sheet is a problem line of its own; the zip is sound, so the files embedded in
    the workbook are read still. Any problem line had turned them off: a sheet cut short lost the
    customer list pasted into the workbook."""
    import openpyxl

    from pii_audit.demo_estate import docx_bytes

    book = openpyxl.Workbook()
    book.active.append(["说明"])
    book.create_sheet("坏").append(["x"])
    book.save(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as plain:
        sheet = plain.read("xl/worksheets/sheet2.xml")
    cut = sheet[:sheet.index(b"<sheetData>") + 30]  # cut inside its rows
    rewrite(tmp_path / "plain.xlsx", tmp_path / "汇总.xlsx", {"xl/worksheets/sheet2.xml": cut})
    (tmp_path / "plain.xlsx").unlink()
    with zipfile.ZipFile(tmp_path / "汇总.xlsx", "a") as packed:
        packed.writestr("xl/embeddings/Microsoft_Word_Document.docx", docx_bytes([f"卡号：{CARD}"]))
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "汇总.xlsx")
    assert [p.where for p in result.coverage.problems] == [f"{where}!坏"]
    assert [(f.container, f.entity_type) for f in result.findings.values()] == [
        (f"{where}!xl/embeddings/Microsoft_Word_Document.docx", "CN_BANK_CARD")]


def test_a_pictures_alt_text_is_a_line_where_the_picture_is(tmp_path, key):
    """Word keeps a picture's alt text in ``wp:docPr descr`` ("客户张伟身份证正面…" under a pasted
    card), in no paragraph's text, and it was not read. It is a line of its own before the
    paragraph that holds the picture."""
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(png, "PNG")
    document = docx.Document()
    document.add_paragraph("附件：影像件")
    document.add_picture(png)
    pictures = list(document.element.body.iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"))
    assert len(pictures) == 1
    pictures[0].set("descr", f"客户张伟身份证正面 {ID18}")
    path = tmp_path / "影像.docx"
    document.save(path)
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert found(result) == [("CN_RESIDENT_ID", json.dumps({"line": 2, "path": str(path)}, ensure_ascii=False,
                                                           sort_keys=True))]
