"""Pictures inside documents read by OCR with --ocr: photos pasted into Word, Excel, PowerPoint and
RTF files (and PowerPoint 97-2003 ones), and pictures on PDF pages that have text; counted, not
opened, without it."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pptx
import pytest
from click.testing import CliRunner
from docx.shared import Cm
from openpyxl.drawing.image import Image as SheetImage
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from image_helpers import ID18, MOBILE, encoded, form, needs_tesseract, png_header
from ledger_helpers import statuses_by_file
from pii_audit.audit import scan_audit_targets, targets_from_command_line
from pii_audit.cli import cli
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions
from scan_helpers import scan_one
from test_sources_ppt97 import box, ppt, rec, stream
from zip_helpers import rewrite

NOT_READ = "image(s) not read: give --ocr to read text in images"
RULE = Image.new("L", (400, 4), 0)  # a horizontal rule: too small to hold a line of text

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def ocr_samples(result) -> dict[str, list[dict]]:
    """Return each entity's samples read by OCR: location, masked value, container."""
    found: dict[str, list[dict]] = {}
    for finding in result.findings.values():
        found.setdefault(finding.entity_type, []).extend(
            {**s.location, "masked": s.masked, "container": finding.container} for s in finding.samples
            if s.location.get("ocr"))
    return found


def without_ocr(target, key):
    """Scan as the command line does without --ocr (images not read said once), one process."""
    (result,) = scan_audit_targets(targets_from_command_line([str(target)], ScanOptions(jobs=1)), key)
    return result


def report(path, text: str = "授信调查报告", pictures=(form(mode="RGB"), RULE)) -> None:
    """Write a Word report: a paragraph, then the pictures (a photo of a form as a JPEG, a rule)."""
    document = docx.Document()
    document.add_paragraph(text)
    for picture in pictures:
        fmt = "JPEG" if picture.mode == "RGB" else "PNG"
        document.add_picture(io.BytesIO(encoded(picture, fmt)), width=Cm(8))
    document.save(path)


def deck(path) -> None:
    """Write a deck whose second slide shows a form."""
    presentation = pptx.Presentation()
    presentation.slides.add_slide(presentation.slide_layouts[6])
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])
    slide.shapes.add_picture(io.BytesIO(encoded(form(), "PNG")), 0, 0)
    presentation.save(path)


def book(path) -> None:
    """Write a workbook whose sheet 客户 shows a form anchored at C3."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "客户"
    workbook.active["A1"] = "备注"
    workbook.active.add_image(SheetImage(io.BytesIO(encoded(form(), "PNG"))), "C3")
    workbook.save(path)


def rich_text(path) -> None:
    """Write an RTF as Word does with a photo pasted in line with its text: a PNG in \\shppict, and
    a metafile copy for old readers in \\nonshppict."""
    digits = encoded(form(), "PNG").hex().encode()
    lines = b"\n".join(digits[at:at + 128] for at in range(0, len(digits), 128))
    path.write_bytes(rb"{\rtf1\ansi\ansicpg936{\fonttbl{\f0 SimSun;}}\f0 \u25253?\u21578?\par "
                     rb"{\*\shppict{\pict{\*\picprop{\sp{\sn fLine}{\sv 0}}}\picw100\pich50\pngblip" + b"\n" + lines +
                     rb"}}{\nonshppict{\pict\wmetafile8\picw100 0100090000}}\par}")


def old_deck(path) -> None:
    """Write a PowerPoint 97-2003 deck whose Pictures stream holds a metafile (a drawing) and a PNG."""
    pictures = rec(0xF01B, bytes(40), instance=0x216) + rec(0xF01E, bytes(16) + b"\xff" + encoded(form(), "PNG"),
                                                            instance=0x6E0)
    path.write_bytes(ppt(stream(box(0x03E8, rec(0x03E9, bytes(40), version=1)), {}), Pictures=pictures))


@needs_tesseract
def test_pictures_in_word_excel_powerpoint_and_rtf_files_are_read_with_ocr_and_counted_without(tmp_path, key):
    report(tmp_path / "报告.docx")
    deck(tmp_path / "案例.pptx")
    book(tmp_path / "名单.xlsx")
    rich_text(tmp_path / "回单.rtf")
    old_deck(tmp_path / "旧版.ppt")
    result = scan_one(tmp_path, key, ocr=True)
    assert result.coverage.problems == []
    where = {name: str(tmp_path / name) for name in ("报告.docx", "案例.pptx", "名单.xlsx", "回单.rtf", "旧版.ppt")}
    found = ocr_samples(result)
    assert sorted(found["CN_RESIDENT_ID"], key=lambda s: s["path"][-4:]) == [  # .ppt, .rtf, docx, pptx, xlsx
        {"path": where["旧版.ppt"], "part": "Pictures/1", "line": 3, "start": 6, "end": 24, "ocr": True,
         "masked": "110105********002X", "container": f"{where['旧版.ppt']}!Pictures/1"},
        {"path": where["回单.rtf"], "part": "pict1", "line": 3, "start": 6, "end": 24, "ocr": True,
         "masked": "110105********002X", "container": f"{where['回单.rtf']}!pict1"},
        {"path": where["报告.docx"], "part": "word/media/image1.jpg", "line": 3, "start": 6, "end": 24, "ocr": True,
         "masked": "110105********002X", "container": f"{where['报告.docx']}!word/media/image1.jpg"},
        {"path": where["案例.pptx"], "part": "ppt/media/image1.png", "slide": 2, "line": 3, "start": 6, "end": 24,
         "ocr": True, "masked": "110105********002X", "container": f"{where['案例.pptx']}!ppt/media/image1.png"},
        {"path": where["名单.xlsx"], "part": "xl/media/image1.png", "sheet": "客户", "cell": "C3", "line": 3,
         "start": 6, "end": 24, "ocr": True, "masked": "110105********002X",
         "container": f"{where['名单.xlsx']}!xl/media/image1.png"}]
    assert f"{where['报告.docx']}!word/media/image2.png" not in result.coverage.containers  # the rule
    assert ID18 not in repr(result.findings) and MOBILE not in repr(result.findings)
    without = without_ocr(tmp_path, key)
    assert (without.findings, without.coverage.problems) == ({}, [])
    # Counted, not opened: the rule too; the RTF's metafile copy of its photo and the .ppt's metafile are not.
    assert [n.reason for n in without.coverage.notices] == [f"6 {NOT_READ}"]


@needs_tesseract
@pytest.mark.parametrize("header, reason", [
    (png_header(50000, 50000), "an image of more than 40,000,000 pixels: not read"),
    (png_header(4000, 4000, colour=2), "an image of 4,000 x 4,000 pixels in colour (61 MiB decoded, over the "
                                       "48 MiB read here): not read"),
], ids=["pillow-bomb", "colour-over-48-MiB"])
def test_a_bomb_picture_in_a_document_is_one_line_and_its_text_is_read(tmp_path, key, header, reason):
    report(tmp_path / "photo.docx", f"身份证号 {ID18}", pictures=[form(mode="L")])
    rewrite(tmp_path / "photo.docx", tmp_path / "报告.docx", {"word/media/image1.png": header})
    (tmp_path / "photo.docx").unlink()
    result = scan_one(tmp_path, key, ocr=True)
    picture = f"{tmp_path / '报告.docx'}!word/media/image1.png"
    assert [(p.where, p.reason) for p in result.coverage.problems] == [(picture, reason)]
    assert [f.container for f in result.findings.values()] == [str(tmp_path / "报告.docx")]


def statement(path, pages: list[tuple[str, list[Image.Image]]]) -> None:
    """Write a PDF of pages each with a line of text and pictures, as Word exports a report."""
    pdf = canvas.Canvas(str(path))
    for text, pictures in pages:
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(60, 780, text)
        for number, picture in enumerate(pictures):
            pdf.drawImage(ImageReader(picture), 60, 560 - 200 * number, width=400, preserveAspectRatio=True,
                          height=180)
        pdf.showPage()
    pdf.save()


@needs_tesseract
def test_pictures_on_pdf_pages_with_text_are_read_each_object_once(tmp_path, key):
    photo = form()
    statement(tmp_path / "报告.pdf", [(f"身份证号：{ID18}", [photo, RULE]),
                                    ("第二页", [photo, form([f"手机 {MOBILE}"])])])
    path = str(tmp_path / "报告.pdf")
    result = scan_one(tmp_path, key, ocr=True)
    assert result.coverage.problems == []
    found = ocr_samples(result)
    assert found["CN_RESIDENT_ID"] == [{"path": path, "page": 1, "line": 3, "start": 6, "end": 24, "ocr": True,
                                        "masked": "110105********002X", "container": f"{path}!图片"}]
    # The photo shown again on page 2 is the same image object: read once. The rule is not read.
    assert [(s["page"], s["line"]) for s in found["CN_MOBILE_PHONE"]] == [(1, 4), (2, 1)]
    assert {f.container for f in result.findings.values()} == {path, f"{path}!图片"}
    without = without_ocr(tmp_path, key)
    assert [f.container for f in without.findings.values()] == [path]  # the text, read in full
    assert without.coverage.containers[path].complete
    assert [n.reason for n in without.coverage.notices] == [f"2 {NOT_READ}"]


@needs_tesseract
def test_a_scan_without_ocr_verifies_the_text_of_a_document_but_not_its_pictures(tmp_path, monkeypatch):
    """A picture is a container of its own: a scan that does not read it leaves what OCR found in it
    open, and verifies what was removed from the document's text."""
    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    scans = tmp_path / "报告"
    scans.mkdir()
    report(scans / "r.docx", f"身份证号 {ID18}", pictures=[form(mode="RGB")])
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert CliRunner().invoke(cli, ["scan", "--ocr", "--full", "--ledger", ledger, str(scans)]).exit_code == 1
    # The picture's container is r.docx!word/media/image1.jpg: by its last name, image1.jpg.
    assert statuses_by_file(ledger) == {"r.docx": {"open"}, "image1.jpg": {"open"}}
    report(scans / "r.docx", "身份证号 已删除", pictures=[form(mode="RGB")])
    assert CliRunner().invoke(cli, ["scan", "--full", "--ledger", ledger, str(scans)]).exit_code == 0
    assert statuses_by_file(ledger) == {"r.docx": {"verified"}, "image1.jpg": {"open"}}


@needs_tesseract
def test_the_workers_read_the_pictures_of_what_the_main_process_reads(tmp_path, key, parent_ocr_runs):
    """A document and an archive named as targets are read by the main process: the images in them
    go to the workers, each as a unit of its own, and the findings are those of one process."""
    report(tmp_path / "报告.docx", pictures=[form(mode="RGB")])
    with zipfile.ZipFile(tmp_path / "影像.zip", "w") as archive:
        archive.writestr("身份证.png", encoded(form(), "PNG"))
    runs = parent_ocr_runs
    targets = [str(tmp_path / "报告.docx"), str(tmp_path / "影像.zip")]
    by_workers = list(scan_targets(targets, ScanOptions(jobs=2, ocr=True), key))
    assert runs == []
    alone = list(scan_targets(targets, ScanOptions(jobs=1, ocr=True), key))
    assert len(runs) == 2
    assert [ocr_samples(r) for r in by_workers] == [ocr_samples(r) for r in alone]
    assert {f.container for r in by_workers for f in r.findings.values()} == {
        f"{targets[0]}!word/media/image1.jpg", f"{targets[1]}!身份证.png"}
