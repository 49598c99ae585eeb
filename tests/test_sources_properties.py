"""Document properties (docProps/core.xml, app.xml, custom.xml; an .ods's meta.xml) read as lines
of their own, a custom property's name the context of its value; the staff's names not reported."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from openpyxl.packaging.custom import StringProperty
from pptx import Presentation

from conftest import DATA
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions, TargetCoverage, properties
from pii_audit.sources.documents import read_document
from zip_helpers import rewrite

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
ID18_B = "110101199003070011"  # recognizers' example, synthetic
MOBILE = "13812345678"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def scan_one(target, key):
    (result,) = scan_targets([str(target)], ScanOptions(jobs=1, sample_rows=None), key)
    return result


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
    result = scan_one(path, key)
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
    result = scan_one(path, key)
    assert ("CN_RESIDENT_ID", str(path), at(path, "docProps/core.xml", 3, "creator")) in found(result)
    assert not [s for f in result.findings.values() if f.entity_type == "PERSON"
                for s in f.samples if s.location["part"] == "docProps/core.xml"]


def test_a_custom_property_named_with_pi_gives_no_name_and_no_context(tmp_path, key):
    """A property named after a phone number is no field's name: it names no location, no context."""
    plain = tmp_path / "plain.docx"
    docx.Document().save(plain)
    path = with_custom(plain, tmp_path / "a.docx", {MOBILE: "张三", "备用": MOBILE})
    result = scan_one(path, key)
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
    result = scan_one(path, key)
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
    result = scan_one(path, key)
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
    result = scan_one(path, key)
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
    result = scan_one(path, key)
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
    result = scan_one(path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert found(result) == sorted([
        ("CN_RESIDENT_ID", str(path), at(path, "docProps/core.xml", 1, "title")),
        ("PERSON", str(path), at(path, "docProps/custom.xml", 1, "客户姓名")),
    ])


def test_a_workbook_with_a_damaged_core_xml_is_still_read(tmp_path, key):
    """Bad XML in an .xlsx's core.xml is one problem line; the sheets and custom.xml are read."""
    book = openpyxl.Workbook()
    book.active.append(["身份证号"])
    book.active.append([ID18])
    book.custom_doc_props.append(StringProperty(name="联系电话", value=MOBILE))
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = rewrite(plain, tmp_path / "坏.xlsx", {"docProps/core.xml": b"<cp:coreProperties><dc:title>"})
    result = scan_one(path, key)
    assert [p.reason for p in result.coverage.problems] == [
        "docProps/core.xml is damaged (ExpatError); the rest of the file is read"]
    assert {(f.entity_type, f.container) for f in result.findings.values()} == {
        ("CN_RESIDENT_ID", f"{path}!Sheet!身份证号"), ("CN_MOBILE_PHONE", str(path))}
