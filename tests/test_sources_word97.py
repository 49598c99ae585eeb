"""Word 97-2003 documents (.doc, .wps): read from real files LibreOffice wrote
(tests/data/word97/make_fixtures.py), paragraph by paragraph; every kind of bad one is one
problem line, and the scan goes on."""

from __future__ import annotations

import io
import random
import shutil
import struct
import zipfile
from array import array
from pathlib import Path

import docx
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from pii_audit.models import Cells
from pii_audit.sources import ScanOptions, TargetCoverage, ole2, word97
from pii_audit.sources.documents import read_document
from ole2_helpers import compound_file
from pii_audit.sources.embedded import NOT_A_WORKBOOK
from xls_helpers import cfb, small_workbook_stream, workbook_stream
from scan_helpers import scan_one

DATA = Path(__file__).parent / "data" / "word97"
REPORT, LONG = DATA / "report.doc", DATA / "long.doc"
ID18 = "11010519491231002X"  # synthetic, as every value in the fixtures


def occurrences(result):
    """Return sorted (entity, masked, line) of every sample a scan kept."""
    return sorted((f.entity_type, s.masked, s.location["line"]) for f in result.findings.values() for s in f.samples)


def body(chunks) -> list:
    """Return the chunks of a document's text: its document properties (located with their
    ``part``, ``ole_properties``; test_sources_properties.py) left out."""
    return [chunk for chunk in chunks if "part" not in chunk.location]


def lines_of(path: Path) -> list[str]:
    coverage = TargetCoverage(str(path))
    chunks = body(read_document(str(path), ScanOptions(), coverage))
    assert coverage.problems == []
    return "\n".join(chunk.text for chunk in chunks).split("\n")


def test_a_word_97_report_is_read_paragraph_by_paragraph(tmp_path, key):
    """Body paragraphs, each table cell and the header are lines, in Word's order, numbered from 1."""
    path = tmp_path / "授信调查报告.doc"
    shutil.copy(REPORT, path)
    lines = lines_of(path)
    assert lines[:6] == ["客户授信调查报告", f"借款人身份证号码：{ID18}，联系电话：13812345678。",
                         "Contact: manager.wang@example.com, card 6222020200112345679.", "姓名", "身份证号", "手机号"]
    assert lines[7:10] == ["王建国", ID18, "13812345678"] and "客户经理手机 13912345678" in lines
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert occurrences(result) == sorted([
        ("CN_RESIDENT_ID", "110105********002X", 2), ("CN_MOBILE_PHONE", "138****5678", 2),
        ("EMAIL_ADDRESS", "m***@example.com", 3), ("CN_BANK_CARD", "622202*********5679", 3),
        ("CN_RESIDENT_ID", "110105********002X", 9), ("CN_MOBILE_PHONE", "138****5678", 10),
        ("CN_RESIDENT_ID", "440305********123X", 13), ("CN_MOBILE_PHONE", "159****5670", 14),
        ("CN_MOBILE_PHONE", "139****5678", 17),
        ("PERSON", "王**", 8), ("PERSON", "李**", 12)])  # under the table's 姓名 header
    (finding, *_) = result.findings.values()
    assert finding.container == str(path)


def test_a_long_document_is_read_a_block_at_a_time_with_the_same_lines(monkeypatch):
    """Pieces are read in blocks and lines handed over in chunks; cut small, the text (UTF-16,
    CJK) comes out the same, and each paragraph keeps its line number."""
    whole = lines_of(LONG)
    assert len(whole) == 400 and whole[399] == "第400条 回访客户，手机 13900000399，已登记。"
    monkeypatch.setattr(word97, "BLOCK_BYTES", 38)  # not a multiple of a paragraph's bytes
    monkeypatch.setattr(word97, "CHUNK_CHARS", 1000)
    coverage = TargetCoverage(str(LONG))
    chunks = body(read_document(str(LONG), ScanOptions(), coverage))
    assert len(chunks) > 10 and "\n".join(c.text for c in chunks).split("\n") == whole
    for chunk in chunks:
        first = chunk.location["line"]
        assert chunk.text.split("\n")[0].startswith(f"第{first}条")


def fib_changed(tmp_path: Path, name: str, changes: dict[int, bytes]) -> Path:
    """Copy report.doc as ``name`` with bytes of its Word header (the FIB, at the start of the
    WordDocument stream) changed at the given offsets."""
    data = bytearray(REPORT.read_bytes())
    with open(REPORT, "rb") as handle:
        _, stream = ole2.open_stream(handle, ("WordDocument",))
    first = stream.starts[0]  # the header lies in the stream's first sector
    for offset, value in changes.items():
        data[first + offset:first + offset + len(value)] = value
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def clx_offset() -> int:
    """Return the offset in the FIB of (fcClx, lcbClx): after FibBase and two counted arrays."""
    with open(REPORT, "rb") as handle:
        _, stream = ole2.open_stream(handle, ("WordDocument",))
        fib = stream.read(0, 1024)
    csw = struct.unpack_from("<H", fib, 32)[0]
    cslw = struct.unpack_from("<H", fib, 34 + 2 * csw)[0]
    return 34 + 2 * csw + 2 + 4 * cslw + 2 + 8 * word97.CLX_INDEX


def encrypted_docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("手机13812345678")
    plain, sealed = io.BytesIO(), io.BytesIO()
    document.save(plain)
    plain.seek(0)
    OOXMLFile(plain).encrypt("secret", sealed)
    path.write_bytes(sealed.getvalue())


@pytest.mark.parametrize("make, reason", [
    (lambda d: fib_changed(d, "bad.doc", {10: b"\x00\x03"}), "an encrypted Word document, which is not read here"),
    (lambda d: fib_changed(d, "bad.doc", {2: struct.pack("<H", 0x68)}), "a Word 6.0/95 document"),
    (lambda d: fib_changed(d, "bad.doc", {0: b"\x00\x00"}), "its WordDocument stream has no Word header"),
    (lambda d: fib_changed(d, "bad.doc", {clx_offset(): struct.pack("<I", 10**9)}),
     "corrupt Word document: its piece table lies outside its table stream"),
    (lambda d: fib_changed(d, "bad.doc", {clx_offset() + 4: struct.pack("<I", 10**9)}),
     "refused: a piece table of 1,000,000,000 bytes"),
    (lambda d: (d / "bad.doc").write_bytes(REPORT.read_bytes()[:9000]), "corrupt Word document"),
    (lambda d: encrypted_docx(d / "bad.docx"), "an encrypted Word document, which is not read here"),
    (lambda d: (d / "bad.doc").write_bytes(cfb(bytes(5000))), "holds no WordDocument stream (an older WPS format?)"),
    (lambda d: (d / "bad.wps").write_bytes(b"WPS\x00" + bytes(600)), "in a format before Word 97, which is not read here"),
], ids=["encrypted", "word95", "no-header", "clx-outside", "clx-huge", "truncated", "encrypted-docx", "xls-named-doc",
        "old-wps"])
def test_a_bad_word_97_document_is_one_problem_line_and_the_scan_goes_on(tmp_path, key, make, reason):
    make(tmp_path)
    shutil.copy(REPORT, tmp_path / "good.doc")
    result = scan_one(tmp_path, key)
    (problem,) = result.coverage.problems
    assert Path(problem.where).stem == "bad" and reason in problem.reason, problem
    assert "13812345678" not in problem.reason and ID18 not in problem.reason
    assert {s.location["path"] for f in result.findings.values() for s in f.samples} == {str(tmp_path / "good.doc")}


def test_pieces_that_name_more_bytes_than_the_stream_holds_are_refused():
    """A hostile piece table may name the same bytes a million times; the pieces may hold no more
    than the WordDocument stream in all."""
    plc = struct.pack("<3I", 0, 3000, 6000) + struct.pack("<HIH", 0, 0x200, 0) * 2
    with pytest.raises(word97.DocumentRefused, match="lies outside its WordDocument stream"):
        word97._pieces(plc, document_size=10_000)
    assert word97._pieces(plc[:4] + struct.pack("<2I", 3000, 3000) + plc[12:], 10_000) == [
        (0x200, 6000, "utf-16-le"), (0x200, 0, "utf-16-le")]


def test_rtf_and_html_saved_as_doc_are_read_as_text(tmp_path, key):
    """Systems export "Word" files that are RTF or HTML under .doc; they are text, and read so."""
    customer_id = "".join(f"\\'{byte:02x}" for byte in "客户身份证".encode("gbk"))  # as RTF writes CJK
    (tmp_path / "导出.doc").write_text(f"{{\\rtf1\\ansi\\ansicpg936 {customer_id} {ID18}\\par}}", encoding="ascii")
    (tmp_path / "报表.doc").write_text("<html><body><td>手机</td><td>13812345678</td></body></html>")
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert {f.entity_type for f in result.findings.values()} == {"CN_RESIDENT_ID", "CN_MOBILE_PHONE"}


def test_a_doc_inside_a_zip_is_read(tmp_path, key):
    with zipfile.ZipFile(tmp_path / "档案.zip", "w") as archive:
        archive.write(REPORT, "2024/授信报告.doc")
    result = scan_one(tmp_path / "档案.zip", key)
    assert result.coverage.problems == []
    paths = {s.location["path"] for f in result.findings.values() for s in f.samples}
    assert paths == {f"{tmp_path / '档案.zip'}!2024/授信报告.doc"}
    assert len(occurrences(result)) == 11  # 9, and the two names under the table's 姓名 header


def test_mutated_documents_never_escape_as_errors(tmp_path):
    """300 copies of the report with random bytes changed: each is read or refused in one line."""
    rng = random.Random(97)
    original = REPORT.read_bytes()
    for number in range(300):
        data = bytearray(original)
        for _ in range(rng.choice([1, 4, 16])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"m{number}.doc"
        path.write_bytes(bytes(data))
        coverage = TargetCoverage(str(path))
        chunks = list(read_document(str(path), ScanOptions(), coverage))
        # One line for the text, and one for each damaged property set stream (ole_properties).
        reasons = [problem.reason for problem in coverage.problems]
        assert [reason for reason in reasons if "SummaryInformation" not in reason][1:] == []
        assert len(reasons) <= 3 and (chunks or coverage.problems or coverage.notices)
        for problem in coverage.problems:
            assert "\n" not in problem.reason and "Traceback" not in problem.reason
        path.unlink()


def long_doc_streams() -> dict[str, bytes]:
    """Return the streams of long.doc (a Word document to embed in another)."""
    with open(LONG, "rb") as handle:
        compound = ole2.CompoundFile(handle)
        return {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}


def with_objects(objects: dict[str, bytes]) -> bytes:
    """Return report.doc with more streams (an ObjectPool), written again as a compound file."""
    with open(REPORT, "rb") as handle:
        compound = ole2.CompoundFile(handle)
        streams = {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}
    return compound_file({**streams, **objects})


def test_workbooks_and_documents_pasted_into_a_doc_as_objects_are_read(tmp_path, key):
    """An Excel 97-2003 table pasted into a Word 97 report keeps its whole workbook in the
    document's ObjectPool: every row is read, as is a Word document embedded so. An equation
    object is a notice."""
    workbook = workbook_stream([("客户姓名", "手机号")] + [(f"客户{n}", f"1371234{n:04d}") for n in range(25)])
    (tmp_path / "授信报告.doc").write_bytes(with_objects({
        "ObjectPool/_1234567890/Workbook": workbook,
        "ObjectPool/_1234567890/\x01CompObj": b"\x01\x00\xfe\xff" + bytes(60),
        "ObjectPool/_1234567891/Equation Native": bytes(300),
        **{f"ObjectPool/_1234567892/{name}": data for name, data in long_doc_streams().items()}}))
    result = scan_one(tmp_path, key)
    where = str(tmp_path / "授信报告.doc")
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [(f"{where}!ObjectPool/_1234567891", NOT_A_WORKBOOK)]
    assert result.findings[(f"{where}!ObjectPool/_1234567890!客户!手机号", "CN_MOBILE_PHONE")].occurrences == 25
    assert result.findings[(f"{where}!ObjectPool/_1234567892", "CN_MOBILE_PHONE")].occurrences == 400  # long.doc
    assert sum(f.occurrences for f in result.findings.values() if f.container == where) == 11  # the report's own
    assert result.coverage.files == 3 and result.coverage.bytes == (tmp_path / "授信报告.doc").stat().st_size


def test_a_damaged_object_storage_is_one_problem_line_worded_for_the_document():
    """A storage in the ObjectPool that names a child entry the directory lacks: the text is read,
    the properties and the objects are each one line, worded for a document (the objects' was
    ole2's refusal as it words it for a workbook: "corrupt .xls workbook: ...")."""
    data = bytearray(with_objects({"ObjectPool/_1234567890/Equation Native": bytes(300)}))
    at = data.find("_1234567890".encode("utf-16-le"))
    struct.pack_into("<I", data, at + 76, 4000)  # the directory entry's child (an index)
    coverage = TargetCoverage("报告.doc")
    chunks = list(read_document("报告.doc", ScanOptions(), coverage, bytes(data)))
    assert chunks and [problem.reason for problem in coverage.problems] == [
        "the document properties could not be read (a damaged OLE2 directory)",
        "its embedded objects could not be read (a damaged OLE2 directory)"]


def directory_reads(monkeypatch) -> dict[str, int]:
    """Count, from now on, the compound files opened (their headers read) and the directory
    entries read, by wrapping ole2's functions that still do the work."""
    counts = {"files": 0, "entries": 0}

    def header(*args, real=ole2._read_header):
        counts["files"] += 1
        return real(*args)

    def entry(*args, real=ole2._entry):
        counts["entries"] += 1
        return real(*args)

    monkeypatch.setattr(ole2, "_read_header", header)
    monkeypatch.setattr(ole2, "_entry", entry)
    return counts


def test_every_object_of_a_doc_is_read_from_the_document_opened_once(monkeypatch):
    """Each object was read by opening the whole .doc again and walking its directory anew (two to
    four times an object): 2,000 small workbooks in a 1.6 MB .doc took 300 s, so past a budget of
    entries walked the rest were one notice. The objects' streams are read from the document
    opened once, its directory walked a fixed number of times: every object is read."""
    count = 300
    data = with_objects({f"ObjectPool/_{k:010d}/{name}": stream for k in range(count) for name, stream in (
        ("Workbook", small_workbook_stream("手机号", f"1381234{k:04d}")),
        ("\x01CompObj", b"\x01\x00\xfe\xff" + bytes(60)), ("\x03ObjInfo", bytes(6)))})
    entries = len(ole2.CompoundFile(io.BytesIO(data)).streams()) + count + 2  # its storages too
    reads = directory_reads(monkeypatch)
    coverage = TargetCoverage("报告.doc")
    values = {(chunk.container, chunk.text) for item in read_document("报告.doc", ScanOptions(), coverage, data)
              if isinstance(item, Cells) for chunk in item.chunks() if chunk.text != "手机号"}
    assert (coverage.problems, coverage.notices) == ([], [])
    assert values == {(f"报告.doc!ObjectPool/_{k:010d}!客户!手机号", f"1381234{k:04d}") for k in range(count)}
    assert reads["files"] <= 3  # the text, the properties, the objects: not one an object
    assert reads["entries"] <= 3 * entries


def test_many_objects_that_hold_no_file_are_a_bounded_number_of_notices():
    """Every object is read since each is cheap, so a .doc of 5,000 equations gave 5,000 notices
    (the walk budget had cut them to 20). The first MAX_OTHER_NOTICES are a notice each, the rest one."""
    from pii_audit.sources.embedded import MAX_OTHER_NOTICES

    data = with_objects({f"ObjectPool/_{k:04d}/Equation Native": bytes(100) for k in range(MAX_OTHER_NOTICES + 5)})
    coverage = TargetCoverage("报告.doc")
    list(read_document("报告.doc", ScanOptions(), coverage, data))
    assert coverage.problems == []
    assert [(n.where, n.reason) for n in coverage.notices] == [
        *((f"报告.doc!ObjectPool/_{k:04d}", NOT_A_WORKBOOK) for k in range(MAX_OTHER_NOTICES)),
        ("报告.doc", "5 more embedded object(s) that are no workbook, Word document or packaged file (equations, "
                    "drawings) not read")]


def test_objects_of_a_doc_embedded_in_a_docx_are_one_level_too_deep(tmp_path, key):
    from test_sources_documents import credit_report

    credit_report(tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx", "a") as archive:
        archive.writestr("word/embeddings/oleObject1.bin", with_objects(
            {f"ObjectPool/_{k}/Workbook": bytes(600) for k in range(3)}))
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [(  # one for all of them
        f"{tmp_path / 'r.docx'}!word/embeddings/oleObject1.bin",
        "3 file(s) embedded in this embedded file not read (one level deep is read); open it and save it apart")]
    assert f"{tmp_path / 'r.docx'}!word/embeddings/oleObject1.bin" in {f.container for f in result.findings.values()}


def test_a_document_embedded_in_a_doc_is_a_container_whose_items_verify(tmp_path, monkeypatch):
    """The Word document inside the .doc is a container of its own: once its numbers are gone
    (here it is replaced by another document) and the folder scanned again, its items verify."""
    from click.testing import CliRunner

    from ledger_helpers import statuses_by_file
    from pii_audit.cli import cli

    def embed(streams: dict[str, bytes]) -> None:
        (folder / "卷宗.doc").write_bytes(with_objects({f"ObjectPool/_7/{name}": data for name, data in streams.items()}))

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder, ledger = tmp_path / "docs", f"sqlite:///{tmp_path / 'ledger.db'}"
    folder.mkdir()
    scan = lambda: CliRunner().invoke(cli, ["scan", str(folder), "--ledger", ledger]).exit_code  # noqa: E731
    embed(long_doc_streams())  # its container, "卷宗.doc!ObjectPool/_7", listed by its last part
    assert scan() == 1 and statuses_by_file(ledger)["_7"] == {"open"}
    embed(digits_starred(long_doc_streams()))
    assert scan() == 1 and statuses_by_file(ledger)["_7"] == {"verified"}  # the report's own stay open


def digits_starred(streams: dict[str, bytes]) -> dict[str, bytes]:
    """Return a Word document's streams with every digit of its text (UTF-16) made a star."""
    document = bytearray(streams["WordDocument"])
    as_stream = ole2.Stream(io.BytesIO(bytes(document)), array("Q", [0]), len(document), len(document))
    table_name, clx = word97._header(as_stream)
    table = streams[table_name]
    table_stream = ole2.Stream(io.BytesIO(table), array("Q", [0]), len(table), len(table))
    for start, length, encoding in word97._pieces(word97._clx(table_stream, *clx), len(document)):
        assert encoding == "utf-16-le"
        for at in range(start, start + length, 2):
            if 0x30 <= document[at] <= 0x39 and document[at + 1] == 0:
                document[at] = ord("*")
    return {**streams, "WordDocument": bytes(document)}


CUSTOMERS = DATA / "customers.doc"
CUSTOMER_LINES = ["客户名单如下：", "姓名", "身份证号", "备注", "住址", "",
                  "王建国", ID18, "", "（常住地址）", "北京市朝阳区建国路88号院3号楼1单元502室", "",
                  "李秀英", "44030519900101123X", "老客户", "上海市浦东新区陆家嘴环路1000号", "", "王建国"]


def test_a_table_header_is_the_context_of_its_column(tmp_path, key):
    """A customer table in a .doc names its columns in its first row, as in a .docx: a bare name or
    address under 姓名 or 住址 is reported, past an empty cell (which only the paragraphs' properties
    tell from a row's end) and in a cell's second paragraph; the same name after the table is not.
    The lines are those the text alone gives, each row's end an empty line."""
    assert lines_of(CUSTOMERS) == CUSTOMER_LINES
    shutil.copy(CUSTOMERS, tmp_path / "客户名单.doc")
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert sorted((entity, line) for entity, _, line in occurrences(result)) == [
        ("CN_ADDRESS", 11), ("CN_ADDRESS", 16), ("CN_RESIDENT_ID", 8), ("CN_RESIDENT_ID", 14),
        ("PERSON", 7), ("PERSON", 13)]


def test_a_value_under_a_merged_header_gets_that_header(tmp_path, key):
    """客户姓名 merged over the borrower's and the co-borrower's columns (LibreOffice saves it as one
    wider cell): cells were counted one by one, so the co-borrower took 住址 and the address right
    of it no header (not reported). A cell's right edge, from its row's definition (read ahead at
    the row's end mark), says which header it is under."""
    shutil.copy(DATA / "merged.doc", tmp_path / "借款人.doc")
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert sorted((entity, line) for entity, _, line in occurrences(result)) == [
        ("CN_ADDRESS", 9), ("CN_ADDRESS", 14), ("PERSON", 7), ("PERSON", 8), ("PERSON", 12), ("PERSON", 13)]


def test_a_header_of_two_rows_names_the_columns_under_its_headings(tmp_path, key):
    """序号 merged down over two header rows (a TC80's vertMerge), 客户信息 across 姓名 and 证件号码,
    联系方式 across 手机 and 住址: the second row was read as data, so the name and the address took
    the headings alone and were not reported. It names the columns now, under their headings."""
    shutil.copy(DATA / "two-rows.doc", tmp_path / "客户名单.doc")
    assert contexts(DATA / "two-rows.doc")[12:16] == [
        ("王建国", ("客户信息", "姓名")), ("11010519491231002X", ("客户信息", "证件号码")),
        ("13812345678", ("联系方式", "手机")), ("北京市朝阳区建国路88号院3号楼1单元502室", ("联系方式", "住址"))]
    result = scan_one(tmp_path, key)
    assert sorted((entity, line) for entity, _, line in occurrences(result)) == [
        ("CN_ADDRESS", 16), ("CN_MOBILE_PHONE", 15), ("CN_RESIDENT_ID", 14), ("PERSON", 13)]


def contexts(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Return each line of a .doc's body with its context."""
    with open(path, "rb") as handle:
        return [(line, chunk.context) for chunk in word97.paragraph_chunks(handle, str(path))
                for line in chunk.text.split("\n")]


def test_a_cell_word_97_merged_into_the_one_before_takes_its_header(tmp_path):
    """Word 97 merges cells by flags (a TC80's fMerged) and leaves the merged cell empty: its
    column had the empty cell's header (none); it has the header of the cell it is merged into."""
    with open(CUSTOMERS, "rb") as handle:
        _, stream = ole2.open_stream(handle, ("WordDocument",))
        document = stream.read(0, stream.size)
    remark = document.index("备注".encode("utf-16-le"))  # the header row's 备注, blanked as Word leaves it
    changes = {remark: "  ".encode("utf-16-le")}
    definitions = [at for at in range(len(document) - 1) if document[at:at + 2] == b"\x08\xd6"]
    assert definitions
    for at in definitions:  # sprmTDefTable: cb (2), itcMac, the edges, then a TC80 of 20 bytes a cell
        count = document[at + 4]
        flags = at + 5 + 2 * (count + 1) + 20 * 2  # cell 2's, 备注
        changes[flags] = bytes([document[flags] | 0x02])
    path = papx_changed(tmp_path, changes)
    assert contexts(path)[12:16] == [("李秀英", ("姓名",)), ("44030519900101123X", ("身份证号",)),
                                     ("老客户", ("身份证号",)), ("上海市浦东新区陆家嘴环路1000号", ("住址",))]
    assert contexts(CUSTOMERS)[14] == ("老客户", ("备注",))


def papx_changed(tmp_path: Path, changes: dict[int, bytes]) -> Path:
    """Copy customers.doc with bytes of its WordDocument stream changed at the given offsets."""
    data = bytearray(CUSTOMERS.read_bytes())
    with open(CUSTOMERS, "rb") as handle:
        _, stream = ole2.open_stream(handle, ("WordDocument",))
    for offset, value in changes.items():
        sector, within = divmod(offset, stream.sector_size)
        data[stream.starts[sector] + within:stream.starts[sector] + within + len(value)] = value
    path = tmp_path / "客户名单.doc"
    path.write_bytes(bytes(data))
    return path


def papx_places() -> tuple[int, list[int]]:
    """Return the offset in the FIB of (fcPlcfBtePapx, lcbPlcfBtePapx), and the offsets in the
    WordDocument stream of the pages of paragraph properties it names."""
    with open(CUSTOMERS, "rb") as handle:
        compound = ole2.CompoundFile(handle)
        streams = {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}
    fib = streams["WordDocument"][:1024]
    csw = struct.unpack_from("<H", fib, 32)[0]
    cslw = struct.unpack_from("<H", fib, 34 + 2 * csw)[0]
    at = 34 + 2 * csw + 2 + 4 * cslw + 2 + 8 * word97.PAPX_INDEX
    offset, size = struct.unpack_from("<II", fib, at)
    count = (size - 4) // 8
    table = streams["1Table" if struct.unpack_from("<H", fib, 10)[0] & word97.TABLE_1 else "0Table"]
    pages = struct.unpack_from(f"<{count}I", table, offset + 4 * (count + 1))
    return at, [(page & 0x3FFFFF) * 512 for page in pages]


@pytest.mark.parametrize("change", [
    lambda at, pages: {at: struct.pack("<I", 10**9)},  # the PlcBtePapx past the table stream
    lambda at, pages: {at + 4: struct.pack("<I", 10**9)},  # a PlcBtePapx of a billion bytes
    lambda at, pages: {page + 511: b"\xff" for page in pages},  # pages of 255 runs
], ids=["papx-outside", "papx-huge", "pages-overfull"])
def test_damaged_paragraph_properties_leave_the_text_without_context(tmp_path, key, change):
    """Context is a gain in recall: where the paragraphs' properties are damaged, a .doc's text is
    read as it was before, its cells' lines without context, and no problem is recorded."""
    path = papx_changed(tmp_path, change(*papx_places()))
    assert lines_of(path) == CUSTOMER_LINES
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    # No name without its header; the full addresses need none (recognizers/cn_address.py).
    assert sorted({entity for entity, _, _ in occurrences(result)}) == ["CN_ADDRESS", "CN_RESIDENT_ID"]


def test_a_page_of_paragraph_properties_listed_many_times_is_read_once(monkeypatch):
    """A hostile PlcBtePapx may list one page 65,536 times (its cap): a page of 29 runs of no table
    place, each of 89 properties, read so took 16 s for 8,000 listings of it (an 84 KB .doc), and
    minutes for 65,536. A page listed twice is no Word's: the cells' lines have no context."""
    at, _ = papx_places()
    with open(CUSTOMERS, "rb") as handle:
        compound = ole2.CompoundFile(handle)
        streams = {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}
    document = bytearray(streams["WordDocument"])
    document += bytes(-len(document) % 512)
    page = bytearray(512)
    struct.pack_into("<30I", page, 0, *range(30))
    page[120:120 + 13 * 29:13] = bytes([120]) * 29  # every run's properties at byte 240: 89 sprms 0x0000
    page[241], page[511] = 135, 29
    number, document = len(document) // 512, document + page
    table_name = "1Table" if struct.unpack_from("<H", document, 10)[0] & word97.TABLE_1 else "0Table"
    plc = struct.pack("<4001I", *range(4001)) + struct.pack("<I", number) * 4000
    struct.pack_into("<II", document, at, len(streams[table_name]), len(plc))
    streams.update({"WordDocument": bytes(document), table_name: streams[table_name] + plc})
    read_pages = []
    monkeypatch.setattr(word97, "_page_runs", lambda page: read_pages.append(1) or iter(()))
    chunks = list(word97.paragraph_chunks(io.BytesIO(compound_file(streams)), "a.doc"))
    assert "\n".join(chunk.text for chunk in chunks).split("\n") == CUSTOMER_LINES and len(read_pages) <= 1


def test_mutated_paragraph_properties_never_change_the_lines(tmp_path):
    """300 copies of customers.doc with random bytes of its pages of paragraph properties changed:
    the text's lines stay the same, whatever context they get, and nothing escapes."""
    rng = random.Random(2416)
    _, pages = papx_places()
    for number in range(300):
        page = rng.choice(pages)
        path = papx_changed(tmp_path, {page + rng.randrange(512): bytes([rng.randrange(256)])
                                       for _ in range(rng.choice([1, 4, 16]))})
        coverage = TargetCoverage(str(path))
        chunks = body(read_document(str(path), ScanOptions(), coverage))
        assert coverage.problems == [] and "\n".join(chunk.text for chunk in chunks).split("\n") == CUSTOMER_LINES


def test_a_table_in_a_cell_has_no_context_and_the_outer_table_goes_on(tmp_path, key):
    """A table nested in a cell (Word 2000's, which LibreOffice writes too) is read as lines
    without context; the outer table's cells after it keep their columns' headers."""
    shutil.copy(DATA / "nested.doc", tmp_path / "嵌套.doc")
    assert lines_of(tmp_path / "嵌套.doc") == [
        "姓名", "住址", "", "王建国", "北京市朝阳区建国路88号院3号楼1单元502室", "", "李秀英", "",
        "联系方式", "手机号", "", "本人", "13812345678", "", "", "", "张伟", "", "", "审批意见：同意。"]
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert sorted((entity, line) for entity, _, line in occurrences(result)) == [
        ("CN_ADDRESS", 5), ("CN_MOBILE_PHONE", 13), ("PERSON", 4), ("PERSON", 7), ("PERSON", 17)]
