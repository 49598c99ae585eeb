"""PDF files: each page's text read line by line; scans, passwords and damaged files said once."""

from __future__ import annotations

import io
import logging
import zipfile
import zlib

import pypdf
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from pii_audit.demo_estate import pdf_file
from pii_audit.sources import ScanOptions
from scan_helpers import scan_one

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
MOBILE = "13812345678"
CARD = "6222021234567890128"

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # an Adobe GB font: no font file needed


def statement(pages: list[list[str]]) -> bytes:
    """Return a PDF whose pages hold these lines, in Chinese text as bank systems print it."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for lines in pages:
        pdf.setFont("STSong-Light", 11)
        for number, line in enumerate(lines):
            pdf.drawString(60, 780 - 18 * number, line)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


RECEIPT = [["中国工商银行 电子回单", f"付款人身份证号：{ID18}", "金额：1,000.00 元"],
           ["收款人信息", f"联系电话：{MOBILE}", f"收款卡号：{CARD}"]]


def places(result):
    return sorted((f.entity_type, s.location["page"], s.location["line"], s.location["start"], s.location["end"])
                  for f in result.findings.values() for s in f.samples)


def test_a_receipt_is_read_page_by_page_line_by_line(tmp_path, key):
    (tmp_path / "电子回单.pdf").write_bytes(statement(RECEIPT))
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert places(result) == [("CN_BANK_CARD", 2, 3, 5, 24), ("CN_MOBILE_PHONE", 2, 2, 5, 16),
                              ("CN_RESIDENT_ID", 1, 2, 8, 26)]
    assert {f.container for f in result.findings.values()} == {str(tmp_path / "电子回单.pdf")}


@pytest.mark.parametrize("jobs", [1, 2])
def test_pdfs_in_a_folder_are_read_by_the_workers_alike(tmp_path, key, jobs):
    for number in range(6):
        (tmp_path / f"回单{number}.pdf").write_bytes(statement(RECEIPT * 30))  # about 1 MB of pages each
    result = scan_one(tmp_path, key, jobs)
    assert sum(f.occurrences for f in result.findings.values()) == 6 * 30 * 3
    assert result.coverage.problems == []


def test_a_pdf_protected_against_editing_is_read_and_one_with_a_password_is_not(tmp_path, key):
    """Banks' systems protect statements against editing (AES-256, no password to open): they are
    read. A statement that needs a password to open (often the holder's ID digits) is a problem."""
    for name, user in (("可读.pdf", ""), ("加密.pdf", "123456")):
        writer = pypdf.PdfWriter(clone_from=io.BytesIO(statement(RECEIPT)))
        writer.encrypt(user_password=user, owner_password="bank-owner", algorithm="AES-256")
        writer.write(tmp_path / name)
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "加密.pdf"), "a password-protected PDF: not read")]
    assert {f.container for f in result.findings.values()} == {str(tmp_path / "可读.pdf")}


def test_a_pdf_without_text_or_images_is_a_notice(tmp_path, key):
    """A page of images is read by OCR or counted (test_sources_images.py); one of drawings only
    holds nothing to read."""
    pdf = canvas.Canvas(str(tmp_path / "身份证复印件.pdf"))
    pdf.rect(50, 50, 300, 200, fill=1)
    pdf.showPage()
    pdf.save()
    result = scan_one(tmp_path, key, ocr=True)
    assert (result.coverage.problems, result.coverage.images_unread) == ([], {})
    assert [p.reason for p in result.coverage.notices] == ["no text and no image in its 1 page(s): nothing to read"]


def bomb() -> bytes:
    """A PDF whose one page's content inflates to 64 MB: past the limit a stream may inflate to."""
    content = zlib.compress(b"q " * (32 << 20), 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"]
    return pdf_file(objects)


@pytest.mark.parametrize("data, reason", [
    (f"身份证号{ID18}".encode(), "not a PDF: no %PDF- signature"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 40, "unreadable: "),
], ids=["text", "garbage"])
def test_a_bad_pdf_is_one_problem_line_and_the_scan_goes_on(tmp_path, key, data, reason):
    (tmp_path / "bad.pdf").write_bytes(data)
    (tmp_path / "odd.pdf").write_bytes(statement(RECEIPT).replace(b"/UniGB-UCS2-H", b"/13812345678"))
    (tmp_path / "good.pdf").write_bytes(statement(RECEIPT))
    reached = RootRecords()
    logging.getLogger().addHandler(reached)
    try:
        result = scan_one(tmp_path, key)
    finally:
        logging.getLogger().removeHandler(reached)
    (problem,) = result.coverage.problems
    assert problem.where == str(tmp_path / "bad.pdf") and problem.reason.startswith(reason), problem
    assert ID18 not in problem.reason
    assert str(tmp_path / "good.pdf") in {f.container for f in result.findings.values()}
    # pypdf logged an encoding it does not know, as the file names it (to stderr): nothing of its
    # log reaches the root logger now. (pytest's caplog would not tell: it hooks its handler onto
    # a logger that does not propagate, as pdfs makes pypdf's.)
    assert [name for name in reached.names if name.startswith("pypdf")] == []


class RootRecords(logging.Handler):
    """The names of the loggers whose records reach the root logger."""

    def __init__(self):
        super().__init__()
        self.names = []

    def emit(self, record):
        self.names.append(record.name)


def with_font_widths_damaged(data: bytes) -> bytes:
    """A byte of the Chinese font's widths (``/W [ 1 [ 207 …``) no number holds: pypdf skips the
    rest of the font's dictionary, its encoding with it, and the page's Chinese text comes out as
    other characters."""
    at = data.index(b"/W [ 1 [ ") + len(b"/W [ 1 [ ") + 1
    return data[:at] + b"\xc4" + data[at + 1:]


def with_content_damaged(data: bytes) -> bytes:
    """A character of the first page's content stream (ASCII85, then deflate) changed: it no longer
    inflates past that point, and pypdf keeps what did."""
    at = data.index(b"stream\n", data.index(b"/FlateDecode")) + len(b"stream\n") + 8
    return data[:at] + (b"!" if data[at:at + 1] != b"!" else b"#") + data[at + 1:]


@pytest.mark.parametrize("damage", [with_font_widths_damaged, with_content_damaged])
def test_damage_pypdf_reads_past_is_a_problem_line(tmp_path, key, damage):
    """pypdf reads on past damage (strict=False) and says so only in its log, which goes nowhere:
    a receipt whose font or content stream was damaged read as complete without its ID number
    (335 of 1,000 randomly damaged copies of a statement lost a value so). Its damage is now one
    problem line, quoting nothing, and the target not fully scanned; what was read is kept."""
    path = tmp_path / "回单.pdf"
    path.write_bytes(damage(statement(RECEIPT)))
    result = scan_one(path, key)
    assert "CN_RESIDENT_ID" not in {f.entity_type for f in result.findings.values()}
    (problem,) = result.coverage.problems
    assert problem.where == str(path) and problem.reason.startswith("damaged PDF: read on past ") and problem.reason.endswith(
        " damaged object(s) or stream(s); what they held may be missing or garbled"), problem.reason
    assert not result.coverage.complete


def test_a_pdf_whose_page_tree_holds_no_page_is_a_problem_line(tmp_path, key):
    """One damaged byte of ``/Type /Pages``: pypdf found no page, and the receipt passed as a PDF
    of no pages, no notice, no problem (5 of 9 silent losses left in 400 randomly damaged copies
    of a statement). No program writes a PDF without a page: it is one problem line."""
    path = tmp_path / "回单.pdf"
    path.write_bytes(statement(RECEIPT).replace(b"/Type /Pages", b"/Type /Pa\x02es", 1))
    result = scan_one(path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(path), "no page found in its page tree (a damaged PDF?): nothing read")]
    assert not result.findings


def test_a_stream_inflating_past_the_limit_stays_within_memory(tmp_path, key):
    """pypdf stops inflating a stream at the limit the reader gives it (16 MiB, where its own is
    75 MB), and gives the page no text; looking for the page's images, pypdf parses the content
    again and says the limit was reached: one problem line, and memory stays bounded."""
    import tracemalloc

    from pii_audit.sources import TargetCoverage
    from pii_audit.sources.pdfs import read_pdf

    (tmp_path / "bomb.pdf").write_bytes(bomb())
    coverage = TargetCoverage(str(tmp_path))
    tracemalloc.start()
    try:
        assert list(read_pdf(str(tmp_path / "bomb.pdf"), ScanOptions(), coverage)) == []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20, peak
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (f"{tmp_path / 'bomb.pdf'} page 1", "its images cannot be listed (LimitReachedError)")]
    assert coverage.notices == []


def test_a_pdf_inside_a_zip_is_read_from_memory(tmp_path, key):
    with zipfile.ZipFile(tmp_path / "回单.zip", "w") as archive:
        archive.writestr("2024/01/回单.pdf", statement(RECEIPT))
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert {f.container for f in result.findings.values()} == {f"{tmp_path / '回单.zip'}!2024/01/回单.pdf"}
    assert sum(f.occurrences for f in result.findings.values()) == 3


def test_no_raw_value_reaches_the_jsonl_or_the_summary(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    (tmp_path / "r.pdf").write_bytes(statement(RECEIPT))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "r.pdf"), "--jsonl", str(out)])
    assert result.exit_code == 1, result.output
    written = out.read_text("utf-8")
    assert len(written.splitlines()) == 3 and '"page": 2' in written
    for value in (ID18, MOBILE, CARD):
        assert value not in result.output and value not in written
    assert "page 2 line 2" in result.output
