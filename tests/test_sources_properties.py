"""Document properties (docProps/core.xml, app.xml, custom.xml; an .ods's meta.xml) read as lines
of their own, a custom property's name the context of its value; the staff's names not reported."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from openpyxl.packaging.custom import StringProperty
from pptx import Presentation

from conftest import DATA
from pii_audit.sources import ScanOptions, TargetCoverage, ole_properties, properties
from pii_audit.sources.documents import read_document
from zip_helpers import rewrite, with_bad_local_name, with_damaged_lzma, with_method
from scan_helpers import scan_one

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
ID18_B = "110101199003070011"  # recognizers' example, synthetic
MOBILE = "13812345678"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def found(result, part_prefix=("docProps/", "meta.xml")):
    """Return sorted (entity, container, location without offsets) of the properties' findings."""
    return sorted((f.entity_type, f.container,
                   json.dumps({k: v for k, v in s.location.items() if k not in ("start", "end")},
                              ensure_ascii=False, sort_keys=True))
                  for f in result.findings.values() for s in f.samples
                  if s.location.get("part", "").startswith(part_prefix))


def at(path, part, line, prop=None):
    location = {"path": str(path), "part": part, "line": line, **({"property": prop} if prop else {})}
    return json.dumps(location, ensure_ascii=False, sort_keys=True)


def custom_xml(props: dict[str, str]) -> bytes:
    """Return docProps/custom.xml as Word writes it: each property a vt:lpwstr under its name."""
    body = "".join(f'<property fmtid="{FMTID}" pid="{pid}" name="{name}"><vt:lpwstr>{value}</vt:lpwstr></property>'
                   for pid, (name, value) in enumerate(props.items(), 2))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f'{body}</Properties>').encode()


def with_custom(src: Path, dst: Path, props: dict[str, str]) -> Path:
    """Copy an OOXML package adding docProps/custom.xml, its content type and its relationship."""
    with zipfile.ZipFile(src) as old:
        types = old.read("[Content_Types].xml").decode()
        rels = old.read("_rels/.rels").decode()
    types = types.replace("</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_TYPE}"/></Types>')
    rels = rels.replace("</Relationships>",
                        f'<Relationship Id="rIdCustom" Type="{CUSTOM_REL}" Target="docProps/custom.xml"/></Relationships>')
    return rewrite(src, dst, {"[Content_Types].xml": types.encode(), "_rels/.rels": rels.encode(),
                              "docProps/custom.xml": custom_xml(props)})


def credit_report(path: Path, author: str = "李四") -> Path:
    """Write a .docx whose properties a bank's template filled in, and whose body holds no PI."""
    document = docx.Document()
    document.add_paragraph("客户经理意见：同意。")
    core = document.core_properties
    core.title, core.subject, core.comments = f"授信报告 {ID18}", "客户回访", f"客户手机 {MOBILE}"
    core.keywords, core.author, core.last_modified_by = "授信", author, "王五"
    plain = path.with_suffix(".plain.docx")
    document.save(plain)
    return with_custom(plain, path, {"客户姓名": "张三", "证件号码": ID18_B, "备注": "赵六"})


def test_a_documents_properties_are_read_with_their_names_as_context(tmp_path, key):
    """Title and comments are lines of core.xml; a bare name under the custom property 客户姓名
    is reported, an ID under 证件号码 too; the author's bare name and one under 备注 are not."""
    path = credit_report(tmp_path / "授信报告.docx")
    result = scan_one(path, key, sample_rows=None)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    core, custom = "docProps/core.xml", "docProps/custom.xml"
    assert found(result) == sorted([
        ("CN_RESIDENT_ID", str(path), at(path, core, 1, "title")),
        ("CN_MOBILE_PHONE", str(path), at(path, core, 5, "description")),
        ("PERSON", str(path), at(path, custom, 1, "客户姓名")),
        ("CN_RESIDENT_ID", str(path), at(path, custom, 2, "证件号码")),
    ])
    assert {f.entity_type for f in result.findings.values()} == {"CN_RESIDENT_ID", "CN_MOBILE_PHONE", "PERSON"}


def test_an_id_typed_as_the_author_is_still_reported(tmp_path, key):
    """The author names the staff, so it has no context: a bare name is not reported, an ID is."""
    path = credit_report(tmp_path / "报告.docx", author=ID18_B)
    result = scan_one(path, key, sample_rows=None)
    assert ("CN_RESIDENT_ID", str(path), at(path, "docProps/core.xml", 3, "creator")) in found(result)
    assert not [s for f in result.findings.values() if f.entity_type == "PERSON"
                for s in f.samples if s.location["part"] == "docProps/core.xml"]


def test_a_custom_property_named_with_pi_gives_no_name_and_no_context(tmp_path, key):
    """A property named after a phone number is no field's name: it names no location, no context."""
    plain = tmp_path / "plain.docx"
    docx.Document().save(plain)
    path = with_custom(plain, tmp_path / "a.docx", {MOBILE: "张三", "备用": MOBILE})
    result = scan_one(path, key, sample_rows=None)
    assert found(result) == [("CN_MOBILE_PHONE", str(path), at(path, "docProps/custom.xml", 2, "备用"))]


def test_a_workbooks_properties_and_custom_properties(tmp_path, key):
    """openpyxl writes core.xml and custom.xml: both read after the sheets, container the file."""
    book = openpyxl.Workbook()
    book.active.append(["备注"])
    book.active.append(["无"])
    book.properties.title = f"客户 {ID18} 流水"
    book.properties.creator = "李四"
    book.custom_doc_props.append(StringProperty(name="联系电话", value=MOBILE))
    book.custom_doc_props.append(StringProperty(name="户名", value="张三"))
    path = tmp_path / "流水.xlsx"
    book.save(path)
    result = scan_one(path, key, sample_rows=None)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    core, custom = "docProps/core.xml", "docProps/custom.xml"
    assert found(result) == sorted([
        ("CN_RESIDENT_ID", str(path), at(path, core, 2, "title")),
        ("CN_MOBILE_PHONE", str(path), at(path, custom, 1, "联系电话")),
        ("PERSON", str(path), at(path, custom, 2, "户名")),
    ])
    assert result.coverage.containers[str(path)].unit == "lines"


def test_a_presentations_properties(tmp_path, key):
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = "案例复盘"
    deck.core_properties.subject = f"回访客户 手机{MOBILE}"
    deck.core_properties.author = "李四"
    path = tmp_path / "案例.pptx"
    deck.save(path)
    result = scan_one(path, key, sample_rows=None)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    lines = {s.location["line"] for f in result.findings.values() for s in f.samples}
    assert found(result) == [("CN_MOBILE_PHONE", str(path), at(path, "docProps/core.xml", min(lines), "subject"))]


def meta_xml(title: str, user_defined: dict[str, str], creator: str = "李四") -> bytes:
    """Return an .ods's meta.xml as LibreOffice writes it, with a title, an author and user-defined properties."""
    fields = "".join(f'<meta:user-defined meta:name="{name}">{value}</meta:user-defined>'
                     for name, value in user_defined.items())
    return ('<?xml version="1.0" encoding="UTF-8"?><office:document-meta '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'office:version="1.3"><office:meta><meta:initial-creator>{creator}</meta:initial-creator>'
            '<meta:creation-date>2024-01-05T10:00:00</meta:creation-date>'
            f'<dc:title>{title}</dc:title><meta:keyword>授信</meta:keyword><meta:keyword>{ID18_B}</meta:keyword>'
            f'{fields}<meta:document-statistic meta:table-count="1"/></office:meta></office:document-meta>').encode()


def test_an_ods_meta_xml(tmp_path, key):
    """meta.xml's title, keywords and user-defined properties are lines; the author's name is not reported."""
    path = rewrite(DATA / "ods" / "export.ods", tmp_path / "导出.ods",
                   {"meta.xml": meta_xml(f"客户 {ID18}", {"客户姓名": "张三", "说明": "无"})})
    result = scan_one(path, key, sample_rows=None)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert found(result) == sorted([
        ("CN_RESIDENT_ID", str(path), at(path, "meta.xml", 2, "title")),
        ("CN_RESIDENT_ID", str(path), at(path, "meta.xml", 4, "keyword")),
        ("PERSON", str(path), at(path, "meta.xml", 5, "客户姓名")),
    ])


@pytest.mark.parametrize("core", [
    pytest.param(b"<cp:coreProperties xmlns:cp='x'><dc:title>", id="bad-xml"),
    pytest.param(b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]><cp:coreProperties/>', id="dtd"),
])
def test_a_damaged_core_xml_is_one_problem_and_the_body_is_read(tmp_path, key, core):
    document = docx.Document()
    document.add_paragraph(f"借款人身份证号：{ID18}")
    plain = tmp_path / "plain.docx"
    document.save(plain)
    path = with_custom(plain, tmp_path / "坏.docx", {"证件号码": ID18_B})
    path = rewrite(path, tmp_path / "坏2.docx", {"docProps/core.xml": core})
    result = scan_one(path, key, sample_rows=None)
    assert len(result.coverage.problems) == 1
    assert "docProps/core.xml" in result.coverage.problems[0].reason
    assert ID18 not in result.coverage.problems[0].reason
    body = [s.location for f in result.findings.values() for s in f.samples if "part" not in s.location]
    assert body == [{"path": str(path), "line": 1, "start": 8, "end": 26}]
    assert found(result) == [("CN_RESIDENT_ID", str(path), at(path, "docProps/custom.xml", 1, "证件号码"))]


def test_a_huge_property_is_cut_and_said_so(tmp_path, monkeypatch):
    """A value past MAX_VALUE_CHARS keeps its first characters; one problem line says so."""
    monkeypatch.setattr(properties, "MAX_VALUE_CHARS", 1000)
    plain = tmp_path / "plain.docx"
    docx.Document().save(plain)
    path = with_custom(plain, tmp_path / "大.docx", {"备注": f"手机{MOBILE}" + "啊" * 100_000, "户名": "张三"})
    coverage = TargetCoverage(str(path))
    chunks = [c for c in read_document(str(path), ScanOptions(), coverage)
              if c.location.get("part") == "docProps/custom.xml"]
    assert [(len(c.text), c.context) for c in chunks] == [(1000, ("备注",)), (2, ("户名",))]
    assert [p.reason for p in coverage.problems] == [
        "a property in docProps/custom.xml of over 1,000 characters: its first 1,000 are read"]


def test_too_many_properties_stop_the_part(tmp_path, monkeypatch):
    monkeypatch.setattr(properties, "MAX_PROPERTIES", 3)
    plain = tmp_path / "plain.docx"
    docx.Document().save(plain)
    path = with_custom(plain, tmp_path / "多.docx", {f"字段{n}": f"值{n}" for n in range(10)})
    coverage = TargetCoverage(str(path))
    chunks = [c for c in read_document(str(path), ScanOptions(), coverage)
              if c.location.get("part") == "docProps/custom.xml"]
    assert [c.text for c in chunks] == ["值0", "值1", "值2"]
    assert [p.reason for p in coverage.problems] == [
        "docProps/custom.xml holds over 3 properties: the rest are not read"]



@pytest.mark.parametrize("damage, reason", [
    pytest.param(lambda path: with_method(path, "meta.xml", 1), "a compression method or feature not supported here (NotImplementedError)", id="unknown-method"),
    pytest.param(lambda path: with_damaged_lzma(path, "meta.xml"), "corrupt compressed data (LZMAError)", id="damaged-lzma"),
    # Found by tests/fuzz/fuzz_reader.py on a.ods: zipfile decodes the local header's name as UTF-8.
    pytest.param(lambda path: with_bad_local_name(path, "meta.xml"), "text not in the encoding it declares (UnicodeDecodeError)", id="bad-local-name"),
])
def test_an_ods_meta_xml_zipfile_cannot_inflate_is_one_problem(tmp_path, key, damage, reason):
    """A meta.xml stored with a compression method zipfile does not read (a damaged method field)
    or with damaged LZMA data is one problem line after the sheets; NotImplementedError and
    LZMAError escaped the reader, and the scan lost the file's findings. A damaged local header is
    also a line of the package's (``xlsx_guard.package_damage``), which opens no part."""
    path = damage(rewrite(DATA / "ods" / "export.ods", tmp_path / "导出.ods",
                          {"meta.xml": meta_xml(f"客户 {ID18}", {"客户姓名": "张三"})}))
    result = scan_one(path, key, sample_rows=None)
    package = ["damaged zip: 1 of its 15 entries are named otherwise in its directory than in their own headers, or "
               "point where none begins; what they hold may not be read"] if "UnicodeDecodeError" in reason else []
    assert [p.reason for p in result.coverage.problems] == package + [
        f"meta.xml is damaged: {reason}; the rest of the file is read"]
    assert found(result) == []
    assert result.findings  # the sheets'


def core_xml(**values: str) -> bytes:
    """Return docProps/core.xml holding ``values`` (title=..., creator=...) in the dc namespace."""
    body = "".join(f"<dc:{name}>{value}</dc:{name}>" for name, value in values.items())
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/">{body}</cp:coreProperties>').encode()


def test_an_xlsb_workbooks_properties(tmp_path, key):
    """An .xlsb is a zip too: its docProps are read after its sheets."""
    from xlsb_helpers import grid, xlsb_parts, zipped

    parts = xlsb_parts({"Sheet1": grid([["备注"], ["无"]])})
    parts["docProps/core.xml"] = core_xml(title=f"客户 {ID18}", creator="李四")
    parts["docProps/custom.xml"] = custom_xml({"客户姓名": "张三"})
    path = tmp_path / "流水.xlsb"
    path.write_bytes(zipped(parts))
    result = scan_one(path, key, sample_rows=None)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert found(result) == sorted([
        ("CN_RESIDENT_ID", str(path), at(path, "docProps/core.xml", 1, "title")),
        ("PERSON", str(path), at(path, "docProps/custom.xml", 1, "客户姓名")),
    ])


@pytest.mark.parametrize("core, reason", [
    pytest.param(b"<cp:coreProperties><dc:title>", "malformed XML (ExpatError)", id="bad-xml"),
    # Found by tests/fuzz/fuzz_part.py: expat refuses these encodings with no ExpatError, and the
    # whole file was "unreadable (ValueError)" or "(LookupError)".
    pytest.param(core_xml(title="x").replace(b"UTF-8", b"UTF-7"), "a corrupt or malformed value (ValueError)", id="utf-7"),
    pytest.param(core_xml(title="x").replace(b"UTF-8", b"U-FT8"), "an encoding that is not known (LookupError)", id="unknown-encoding"),
])
def test_a_workbook_with_a_damaged_core_xml_is_still_read(tmp_path, key, core, reason):
    """Bad XML in an .xlsx's core.xml is one problem line; the sheets and custom.xml are read."""
    book = openpyxl.Workbook()
    book.active.append(["身份证号"])
    book.active.append([ID18])
    book.custom_doc_props.append(StringProperty(name="联系电话", value=MOBILE))
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = rewrite(plain, tmp_path / "坏.xlsx", {"docProps/core.xml": core})
    result = scan_one(path, key, sample_rows=None)
    assert [p.reason for p in result.coverage.problems] == [
        f"docProps/core.xml is damaged: {reason}; the rest of the file is read"]
    assert {(f.entity_type, f.container) for f in result.findings.values()} == {
        ("CN_RESIDENT_ID", f"{path}!Sheet!身份证号"), ("CN_MOBILE_PHONE", str(path))}


# Legacy Office files: OLE2 property sets ([MS-OLEPS]), read by ole_properties.

OLE_DATA = DATA / "ole_properties"  # make_ole_property_fixtures.py: LibreOffice wrote the property sets
SUMMARY, DOCUMENT_SUMMARY = "SummaryInformation", "DocumentSummaryInformation"
FMTID_SUMMARY = bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9")
FMTID_DOCUMENT = bytes.fromhex("02d5cdd59c2e1b10939708002b2cf9ae")
FMTID_CUSTOM = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")
VT_I2, VT_I4, VT_R8, VT_BOOL, VT_LPSTR, VT_LPWSTR, VT_FILETIME = 0x02, 0x03, 0x05, 0x0B, 0x1E, 0x1F, 0x40


def legacy_found(result):
    return found(result, (SUMMARY, DOCUMENT_SUMMARY))


@pytest.mark.parametrize("name,custom_lines", [
    pytest.param("report.doc", (3, 4), id="doc"), pytest.param("book.xls", (3, 4), id="xls"),
    pytest.param("deck.ppt", (4, 5), id="ppt"),  # PresentationFormat before them
])
def test_a_legacy_files_property_sets_are_read_with_their_names_as_context(tmp_path, key, name, custom_lines):
    """LibreOffice's SummaryInformation (title, comments) and custom properties: the ID in the
    title, the mobile in the comments, the bare name under 客户姓名 and the ID under 证件号码 are
    reported, in the file's container; the author's and last author's bare names and one under 备注 are not."""
    path = tmp_path / f"授信报告{Path(name).suffix}"
    path.write_bytes((OLE_DATA / name).read_bytes())
    result = scan_one(path, key, sample_rows=None)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert legacy_found(result) == sorted([
        ("CN_RESIDENT_ID", str(path), at(path, SUMMARY, 1, "title")),
        ("CN_MOBILE_PHONE", str(path), at(path, SUMMARY, 5, "comments")),
        ("PERSON", str(path), at(path, DOCUMENT_SUMMARY, custom_lines[0], "客户姓名")),
        ("CN_RESIDENT_ID", str(path), at(path, DOCUMENT_SUMMARY, custom_lines[1], "证件号码")),
    ])
    assert {f.entity_type for f in result.findings.values()} == {"CN_RESIDENT_ID", "CN_MOBILE_PHONE", "PERSON"}


def typed(kind: int, value: bytes) -> bytes:
    return struct.pack("<HH", kind, 0) + value


def lpstr(text: str, codec: str = "gbk") -> bytes:
    data = text.encode(codec) + b"\0"
    return typed(VT_LPSTR, struct.pack("<I", len(data)) + data)


def lpwstr(text: str) -> bytes:
    return typed(VT_LPWSTR, struct.pack("<I", len(text) + 1) + (text + "\0").encode("utf-16-le"))


def code_page(number: int) -> bytes:
    return typed(VT_I2, struct.pack("<hxx", number - 65536 if number > 32767 else number))


def dictionary(names: dict[int, str], codec: str = "gbk") -> bytes:
    """Return a dictionary (property 0, no type): each id, the name's length and the name."""
    body = b""
    for number, name in names.items():
        if codec == "utf-16-le":
            data = (name + "\0").encode(codec)
            body += struct.pack("<II", number, len(name) + 1) + data + bytes(-len(data) % 4)
        else:
            data = name.encode(codec) + b"\0"
            body += struct.pack("<II", number, len(data)) + data
    return struct.pack("<I", len(names)) + body


def section(values: list[tuple[int, bytes]]) -> bytes:
    """Return a property set section: its size, count, (id, offset) pairs, then each value padded to 4."""
    offsets, body = [], b""
    start = 8 + 8 * len(values)
    for number, value in values:
        offsets.append((number, start + len(body)))
        body += value + bytes(-len(value) % 4)
    pairs = b"".join(struct.pack("<II", number, offset) for number, offset in offsets)
    return struct.pack("<II", start + len(body), len(values)) + pairs + body


def property_set(*sections: tuple[bytes, bytes]) -> bytes:
    """Return a property set stream holding ``(fmtid, section)`` pairs."""
    head = struct.pack("<HHI16sI", 0xFFFE, 0, 0x00020006, bytes(16), len(sections))
    at, listed, body = 28 + 20 * len(sections), b"", b""
    for fmtid, data in sections:
        listed += fmtid + struct.pack("<I", at + len(body))
        body += data
    return head + listed + body


def summary(**values: str) -> bytes:
    """Return a SummaryInformation stream in code page 936 (GBK), as Word on Chinese Windows writes it."""
    ids = {"title": 2, "subject": 3, "author": 4, "comments": 6, "lastAuthor": 8}
    return property_set((FMTID_SUMMARY, section([(1, code_page(936))] + [(ids[k], lpstr(v)) for k, v in values.items()])))


def custom(values: list[tuple[int, str, bytes]], codec: str = "gbk", number: int = 936) -> bytes:
    """Return a DocumentSummaryInformation stream: a first section with a company, and the custom
    properties' section, ``(id, name, typed value)`` each."""
    first = section([(1, code_page(number)), (15, lpstr("某银行", codec) if number != 1200 else lpwstr("某银行"))])
    names = dictionary({pid: name for pid, name, _ in values}, codec)
    second = section([(0, names), (1, code_page(number))] + [(pid, value) for pid, _, value in values])
    return property_set((FMTID_DOCUMENT, first), (FMTID_CUSTOM, second))


def workbook(path: Path, streams: dict[str, bytes], rows=(("身份证号",), (ID18,))) -> Path:
    """Write an .xls (xlwt's Workbook stream) with the given property set streams beside it."""
    from ole2_helpers import compound_file
    from xls_helpers import xlwt_book

    from pii_audit.sources import ole2

    book = xlwt_book(list(rows), sheet="Sheet1")
    compound = ole2.CompoundFile(io.BytesIO(book))
    written = {name: compound.stream(*entry).read(0, entry[1]) for name, entry in compound.streams().items()}
    path.write_bytes(compound_file({**written, **{f"\x05{name}": data for name, data in streams.items()}}))
    return path


def legacy_chunks(path: Path, coverage: TargetCoverage) -> list[tuple[str, int, str, str, tuple]]:
    """Return (part, line, property, text, context) of the property lines read of ``path``."""
    with open(path, "rb") as handle:
        return [(c.location["part"], c.location["line"], c.location.get("property", ""), c.text, c.context)
                for c in ole_properties.ole_property_chunks(handle, str(path), coverage)]


def test_gbk_strings_unicode_and_number_custom_values_dates_and_booleans_skipped(tmp_path):
    """Word's forms: GBK strings in code page 936, a custom text as VT_LPWSTR, a phone typed as a
    Number (past 2^31: a VT_R8) read as its digits, an integer's digits; a date and a yes/no not read."""
    filetime = typed(VT_FILETIME, struct.pack("<Q", 133_000_000_000_000_000))
    path = workbook(tmp_path / "a.xls", {
        SUMMARY: summary(title="客户回访", author=ID18_B, lastAuthor="王五"),
        DOCUMENT_SUMMARY: custom([(2, "客户姓名", lpwstr("张三")), (3, "联系电话", typed(VT_R8, struct.pack("<d", 13812345678))),
                                  (4, "客户号", typed(VT_I4, struct.pack("<i", -42))), (5, "开户日期", filetime),
                                  (6, "已核实", typed(VT_BOOL, struct.pack("<hxx", -1))),
                                  (7, "利率", typed(VT_R8, struct.pack("<d", 4.35)))])})
    coverage = TargetCoverage(str(path))
    assert legacy_chunks(path, coverage) == [
        (SUMMARY, 1, "title", "客户回访", ("标题",)), (SUMMARY, 2, "author", ID18_B, ()),
        (SUMMARY, 3, "lastAuthor", "王五", ()),
        (DOCUMENT_SUMMARY, 1, "company", "某银行", ()),
        (DOCUMENT_SUMMARY, 2, "客户姓名", "张三", ("客户姓名",)),
        (DOCUMENT_SUMMARY, 3, "联系电话", MOBILE, ("联系电话",)),
        (DOCUMENT_SUMMARY, 4, "客户号", "-42", ("客户号",))]
    assert coverage.problems == []


def test_an_id_typed_as_a_legacy_files_author_is_reported_a_name_is_not(tmp_path, key):
    path = workbook(tmp_path / "报告.xls", {SUMMARY: summary(author=ID18_B, lastAuthor="王五")}, rows=(("备注",), ("无",)))
    result = scan_one(path, key, sample_rows=None)
    assert legacy_found(result) == [("CN_RESIDENT_ID", str(path), at(path, SUMMARY, 1, "author"))]
    assert {f.entity_type for f in result.findings.values()} == {"CN_RESIDENT_ID"}


def test_unicode_code_page_names_and_strings(tmp_path):
    """Code page 1200: the dictionary's names are UTF-16, padded to 4 bytes, and so are VT_LPSTR strings."""
    wide = typed(VT_LPSTR, struct.pack("<I", 6) + "张三\0".encode("utf-16-le"))
    path = workbook(tmp_path / "u.xls", {DOCUMENT_SUMMARY: custom([(2, "客户姓名", wide), (3, "证件号码", lpwstr(ID18_B))],
                                                                   codec="utf-16-le", number=1200)})
    coverage = TargetCoverage(str(path))
    assert [(line, name, text) for _, line, name, text, _ in legacy_chunks(path, coverage)] == [
        (1, "company", "某银行"), (2, "客户姓名", "张三"), (3, "证件号码", ID18_B)]
    assert coverage.problems == []


def summary_with(values: list[tuple[int, bytes]]) -> bytes:
    return property_set((FMTID_SUMMARY, section([(1, code_page(936)), (2, lpstr("客户回访"))] + values)))


def past_the_end() -> bytes:
    data = bytearray(summary_with([(6, lpstr(f"手机{MOBILE}"))]))
    struct.pack_into("<I", data, 48 + 8 + 8 * 2 + 4, 0x7FFF_FFF0)  # the comments' offset
    return bytes(data)


def huge_count() -> bytes:
    data = bytearray(summary_with([]))
    struct.pack_into("<I", data, 48 + 4, 0xFFFF_FFFF)
    return bytes(data)


def huge_string() -> bytes:
    return summary_with([(6, typed(VT_LPSTR, struct.pack("<I", 0xFFFF_FFF0) + f"手机{MOBILE}".encode("gbk")))])


def huge_name() -> bytes:
    names = struct.pack("<III", 1, 2, 0xFFFF_FFF0) + "证件号码".encode("gbk")
    second = section([(0, names), (1, code_page(936)), (2, lpstr(ID18_B))])
    return property_set((FMTID_DOCUMENT, section([(15, lpstr("某银行"))])), (FMTID_CUSTOM, second))


@pytest.mark.parametrize("part,stream,read,reason", [
    pytest.param(SUMMARY, past_the_end(), ["客户回访"], "a property lies past its end", id="offset-past-end"),
    pytest.param(SUMMARY, huge_count(), [], "a section lists more properties than it holds", id="huge-count"),
    pytest.param(SUMMARY, huge_string(), ["客户回访"], "a property runs past its end", id="huge-string"),
    pytest.param(DOCUMENT_SUMMARY, huge_name(), ["某银行"], "a name in its dictionary runs past its end",
                 id="huge-name"),
    pytest.param(SUMMARY, b"\0" * 40, [], "no property set's header", id="not-a-property-set"),
    pytest.param(SUMMARY, summary_with([])[:30], [], "its header lies past its end", id="cut-short"),
])
def test_a_damaged_property_set_is_one_problem_and_the_workbook_is_read(tmp_path, key, part, stream, read, reason):
    """Each hostile form is one problem line naming the stream, nothing of its bytes, after the
    values read before it; the sheet's ID is still found."""
    path = workbook(tmp_path / "坏.xls", {part: stream})
    coverage = TargetCoverage(str(path))
    assert [text for _, _, _, text, _ in legacy_chunks(path, coverage)] == read
    assert [p.reason for p in coverage.problems] == [f"{part} is damaged ({reason}); the rest of the file is read"]
    result = scan_one(path, key, sample_rows=None)
    assert [p.reason for p in result.coverage.problems] == [f"{part} is damaged ({reason}); the rest of the file is read"]
    assert {(f.entity_type, f.container) for f in result.findings.values()} == {
        ("CN_RESIDENT_ID", f"{path}!Sheet1!身份证号")}


def test_a_damaged_property_set_in_a_doc_leaves_its_text_read(tmp_path, key):
    """report.doc with its SummaryInformation's header cut: one problem line; the custom properties
    and the body (no PI in it) are read."""
    from ole2_helpers import compound_file

    from pii_audit.sources import ole2

    with open(OLE_DATA / "report.doc", "rb") as handle:
        compound = ole2.CompoundFile(handle)
        streams = {name: compound.stream(*entry).read(0, entry[1]) for name, entry in compound.streams().items()}
    streams["\x05SummaryInformation"] = streams["\x05SummaryInformation"][:20]
    path = tmp_path / "坏.doc"
    path.write_bytes(compound_file(streams))
    result = scan_one(path, key, sample_rows=None)
    assert [p.reason for p in result.coverage.problems] == [
        "SummaryInformation is damaged (its header lies past its end); the rest of the file is read"]
    assert legacy_found(result) == sorted([
        ("PERSON", str(path), at(path, DOCUMENT_SUMMARY, 3, "客户姓名")),
        ("CN_RESIDENT_ID", str(path), at(path, DOCUMENT_SUMMARY, 4, "证件号码"))])
    assert result.coverage.containers[str(path)].units == 1 + 4  # the body's line, the custom properties'


@pytest.mark.parametrize("kind", [VT_FILETIME, VT_BOOL, 0x1000 | VT_LPSTR, 0x100C])  # vectors: of strings, of variants
def test_a_value_of_a_type_not_read_is_skipped_quietly(tmp_path, kind):
    stream = summary_with([(4, typed(kind, b"\0" * 8)), (6, lpstr(f"手机{MOBILE}"))])
    path = workbook(tmp_path / "t.xls", {SUMMARY: stream})
    coverage = TargetCoverage(str(path))
    assert [text for _, _, _, text, _ in legacy_chunks(path, coverage)] == ["客户回访", f"手机{MOBILE}"]
    assert coverage.problems == []


@pytest.mark.parametrize("stream, reason", [
    pytest.param(summary_with([(4, typed(0x7777, b"\xff" * 8)), (6, lpstr(f"手机{MOBILE}"))]),
                 "a property of a type no property set holds", id="no-such-type"),
    pytest.param(property_set((FMTID_SUMMARY, section([(1, code_page(936)), (2, lpstr("客户回访")),
                                                        (6, lpstr(f"手机{MOBILE}"))])),
                              (bytes(16), section([(2, lpstr(ID18_B))]))),
                 "a section of a kind these properties never hold", id="unknown-section"),
])
def test_a_type_or_section_no_property_set_holds_is_damage_told_after_the_rest(tmp_path, stream, reason):
    """A value's type no property set holds, or a section of a kind these streams never hold, is
    damage (a changed byte of a type, an offset or an FMTID): skipped quietly, the value it held
    was lost without a word. The rest is read, then the stream is one problem line."""
    path = workbook(tmp_path / "t.xls", {SUMMARY: stream})
    coverage = TargetCoverage(str(path))
    assert [text for _, _, _, text, _ in legacy_chunks(path, coverage)] == ["客户回访", f"手机{MOBILE}"]
    assert [p.reason for p in coverage.problems] == [f"{SUMMARY} is damaged ({reason}); the rest of the file is read"]


@pytest.mark.parametrize("name, told", [("SummaryInformatioX", True), ("SummaryInfXrmatioX", True),
                                        ("SummaryInfXrmXtioX", False), ("Summary", False)])
def test_a_property_streams_name_damaged_in_the_directory_is_a_problem_line(tmp_path, name, told):
    """The OLE2 directory has no checksum: one damaged byte of \\x05SummaryInformation's name and
    the stream was passed over without a word, its title and author unread (17 of 400 randomly
    damaged copies of a 7 KB .xls). A stream one or two characters from its name is one problem
    line; a name further from it is another stream."""
    path = workbook(tmp_path / "t.xls", {name: summary(title="客户回访", author=ID18_B)})
    coverage = TargetCoverage(str(path))
    assert legacy_chunks(path, coverage) == []
    assert [p.reason for p in coverage.problems] == (
        ["SummaryInformation is damaged (its name in the OLE2 directory); the rest of the file is read"] if told else [])


def test_legacy_caps_on_properties_and_values(tmp_path, monkeypatch):
    """Past MAX_PROPERTIES a section stops, one problem line; a value past MAX_VALUE_CHARS is cut, one more."""
    monkeypatch.setattr(properties, "MAX_PROPERTIES", 3)
    monkeypatch.setattr(properties, "MAX_VALUE_CHARS", 1000)
    stream = summary_with([(6, lpstr(f"手机{MOBILE}" + "啊" * 5000)), (3, lpstr("主题")), (5, lpstr("关键"))])
    path = workbook(tmp_path / "c.xls", {SUMMARY: stream})
    coverage = TargetCoverage(str(path))
    chunks = legacy_chunks(path, coverage)
    assert [(len(text), name) for _, _, name, text, _ in chunks] == [(4, "title"), (1000, "comments")]
    assert [p.reason for p in coverage.problems] == [
        "SummaryInformation holds over 3 properties: the rest are not read",
        "a property in SummaryInformation of over 1,000 characters: its first 1,000 are read"]


def test_overlapping_values_are_damage(tmp_path):
    """Many properties pointing at one long value would read it again and again: past the
    stream's size in all, the stream is damaged."""
    value = lpstr("啊" * 1000)
    data = bytearray(summary_with([(6, value)] + [(100 + k, typed(VT_I2, bytes(4))) for k in range(20)]))
    start = 48 + 8
    (offset,) = struct.unpack_from("<I", data, start + 8 * 2 + 4)
    for k in range(3, 23):
        struct.pack_into("<II", data, start + 8 * k, 6, offset)  # each a comments property at the same place
    path = workbook(tmp_path / "o.xls", {SUMMARY: bytes(data)})
    coverage = TargetCoverage(str(path))
    assert len(legacy_chunks(path, coverage)) < 5
    assert [p.reason for p in coverage.problems] == [
        "SummaryInformation is damaged (its values overlap); the rest of the file is read"]
