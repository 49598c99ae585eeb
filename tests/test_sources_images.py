"""Images read by OCR with --ocr (sources/images.py): forms found and masked, counted in one line
without it, scanned PDF pages and images in BLOBs read, limits and damage said in one line each,
and nothing written to a temporary file. Real tesseract, real images rendered here."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile

import pytest
from click.testing import CliRunner
from PIL import Image

from image_helpers import FORM, ID18, MOBILE, encoded, form, needs_tesseract, png_header
from pii_audit.audit import scan_audit_targets, targets_from_command_line
from pii_audit.cli import cli
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources import images
from pii_audit.sources.images import NOT_ASKED, bands, read_image
from scan_helpers import scan_one

KEY_HEX = "ab" * 32
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def samples(result) -> dict[str, list[dict]]:
    """Return each entity's sample locations, with the masked value under "masked"."""
    return {f.entity_type: [{**s.location, "masked": s.masked} for s in f.samples]
            for f in result.findings.values()}


def audited(target, key, **options):
    """Scan one target as the command line does (images not read said once), with one process."""
    (result,) = scan_audit_targets(targets_from_command_line([str(target)], ScanOptions(jobs=1, **options)), key)
    return result


def ocr_text(name: str, data: bytes) -> str:
    """Return what read_image reads in an image's bytes, failing on any problem."""
    coverage = TargetCoverage("t")
    text = "\n".join(chunk.text for chunk in read_image(name, ScanOptions(ocr=True), coverage, data))
    assert (coverage.problems, coverage.notices) == ([], [])
    return text


@needs_tesseract
def test_the_rendered_digits_are_read_right():
    text = images.ocr(form(), time.monotonic() + 120, 120)
    assert [line for line in text.splitlines() if line.strip()] == FORM


@needs_tesseract
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_form_image_is_read_with_ocr_and_its_values_masked(tmp_path, key, jobs):
    (tmp_path / "开户申请表.png").write_bytes(encoded(form(), "PNG"))
    (tmp_path / "app.log").write_text("登录成功\n", encoding="utf-8")
    result = scan_one(tmp_path, key, jobs, ocr=True)
    assert (result.coverage.problems, result.coverage.images_unread) == ([], {})
    found = samples(result)
    path = str(tmp_path / "开户申请表.png")
    assert found["CN_RESIDENT_ID"] == [{"path": path, "line": 3, "start": 6, "end": 24, "ocr": True,
                                        "masked": "110105********002X"}]
    assert found["CN_MOBILE_PHONE"] == [{"path": path, "line": 4, "start": 3, "end": 14, "ocr": True,
                                         "masked": "138****5678"}]
    assert {f.container for f in result.findings.values()} == {path}
    assert ID18 not in repr(result.findings) and MOBILE not in repr(result.findings)


@needs_tesseract
def test_the_command_line_reads_images_with_ocr_and_counts_them_once_without(tmp_path, monkeypatch):
    monkeypatch.setenv("PII_AUDIT_KEY", KEY_HEX)
    for name in ("身份证.png", "银行卡.jpg", "签字表.tif"):
        form().save(tmp_path / name)
    (tmp_path / "app.log").write_text("登录成功\n", encoding="utf-8")
    without = CliRunner().invoke(cli, ["scan", str(tmp_path)])
    assert without.exit_code == 0, without.output  # nothing found, nothing failed: the images are a note
    assert f"note {tmp_path}: 3 image(s) not read: give --ocr to read text in images" in without.output
    assert without.output.count("image(s) not read") == 1
    read = CliRunner().invoke(cli, ["scan", "--ocr", str(tmp_path)])
    assert read.exit_code == 1, read.output
    assert "110105********002X (OCR line 3)" in read.output and "not read" not in read.output
    assert ID18 not in read.output and MOBILE not in read.output


@needs_tesseract
@pytest.mark.parametrize("name, make", [
    ("grey.png", lambda: encoded(form(), "PNG")),
    ("colour.jpg", lambda: encoded(form(mode="RGB"), "JPEG", quality=85)),
    ("fax.tif", lambda: encoded(form(mode="1"), "TIFF", compression="group4")),
    ("scan.bmp", lambda: encoded(form(mode="RGB"), "BMP")),
    ("screen.gif", lambda: encoded(form(mode="P"), "GIF")),
    ("chat.webp", lambda: encoded(form(mode="RGB"), "WEBP", lossless=True)),
    ("16-bit.png", lambda: encoded(form().convert("I;16").point(lambda v: v * 256), "PNG")),
    ("transparent.png", lambda: encoded(_transparent(form()), "PNG")),
    ("photo.jpg", lambda: encoded(form(mode="RGB").transpose(Image.Transpose.ROTATE_90), "JPEG",
                                  exif=_orientation(6))),
], ids=lambda value: value if isinstance(value, str) else "")
def test_each_image_format_is_read(name, make):
    text = ocr_text(name, make())
    assert ID18 in text and MOBILE in text, text


def _transparent(grey: Image.Image) -> Image.Image:
    """Black text on nothing (alpha only), as a signature pad or a screenshot tool saves it: read as
    plain grey, all of it would be black."""
    black = Image.new("L", grey.size, 0)
    return Image.merge("RGBA", (black, black, black, grey.point(lambda v: 255 - v)))


def _orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value  # a phone's photo stored sideways, with the tag that turns it upright
    return exif.tobytes()


@needs_tesseract
def test_a_scanned_pdf_page_is_read_and_counted_without_ocr(tmp_path, key):
    """A PDF whose pages are images only (Pillow saves one so; so do scanners)."""
    pages = [form(mode="RGB"), form([f"联系电话 {MOBILE}"], mode="RGB")]
    pages[0].save(tmp_path / "扫描件.pdf", "PDF", resolution=200, save_all=True, append_images=pages[1:])
    result = scan_one(tmp_path, key, ocr=True)
    assert result.coverage.problems == []
    path = str(tmp_path / "扫描件.pdf")
    found = samples(result)
    assert found["CN_RESIDENT_ID"] == [{"path": path, "page": 1, "line": 3, "start": 6, "end": 24, "ocr": True,
                                        "masked": "110105********002X"}]
    assert [(s["page"], s["line"]) for s in found["CN_MOBILE_PHONE"]] == [(1, 4), (2, 1)]
    without = audited(tmp_path, key)
    assert without.findings == {}
    assert [n.reason for n in without.coverage.notices] == ["2 image(s) not read: give --ocr to read text in images"]


@needs_tesseract
def test_the_pages_of_a_tiff_are_read_each(tmp_path, key):
    pages = [form(mode="1"), form([f"第二页 手机 {MOBILE}"], mode="1")]
    pages[0].save(tmp_path / "档案.tif", save_all=True, append_images=pages[1:], compression="group4")
    found = samples(scan_one(tmp_path, key, ocr=True))
    assert [(s["page"], s["line"]) for s in found["CN_MOBILE_PHONE"]] == [(1, 4), (2, 1)]


@needs_tesseract
def test_images_in_a_sqlite_blob_are_read_at_their_row(tmp_path, key):
    """A JPEG within the first 64 KiB selected, and a BMP longer than that, fetched again by key."""
    database = tmp_path / "影像.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE yxj (id INTEGER PRIMARY KEY, zp BLOB)")
        connection.execute("INSERT INTO yxj VALUES (7, ?)", (encoded(form(mode="RGB"), "JPEG", quality=90),))
        connection.execute("INSERT INTO yxj VALUES (8, ?)", (encoded(form(mode="RGB"), "BMP"),))
    assert len(encoded(form(mode="RGB"), "BMP")) > 64 << 10
    result = scan_one(database, key, ocr=True)
    assert result.coverage.problems == []
    assert sorted((s["row"]["id"], s["line"], s["ocr"], s["column"]) for s in samples(result)["CN_RESIDENT_ID"]) == [
        (7, 3, True, "zp"), (8, 3, True, "zp")]
    without = audited(database, key)
    assert without.findings == {}
    assert [n.reason for n in without.coverage.notices] == ["2 image(s) not read: give --ocr to read text in images"]


@needs_tesseract
def test_an_image_in_a_zip_is_read_from_memory(tmp_path, key):
    with zipfile.ZipFile(tmp_path / "影像.zip", "w") as archive:
        archive.writestr("2024/身份证.png", encoded(form(), "PNG"))
    found = samples(scan_one(tmp_path, key, ocr=True))
    assert [(s["path"], s["line"]) for s in found["CN_RESIDENT_ID"]] == [(f"{tmp_path / '影像.zip'}!2024/身份证.png", 3)]


@needs_tesseract
@pytest.mark.parametrize("header, reason", [
    (png_header(8000, 6000), "an image of 8,000 x 6,000 pixels, over the 40,000,000 read here: not read"),
    (png_header(50000, 50000), "an image of more than 40,000,000 pixels: not read"),
    (png_header(4000, 4000, colour=2), "an image of 4,000 x 4,000 pixels in colour (61 MiB decoded, over the "
                                       "48 MiB read here): not read"),
], ids=["over-the-cap", "pillow-bomb", "colour-over-48-MiB"])
def test_an_image_too_large_by_its_header_is_one_line_and_the_scan_goes_on(tmp_path, key, header, reason):
    (tmp_path / "大图.png").write_bytes(header)
    (tmp_path / "身份证.png").write_bytes(encoded(form(), "PNG"))
    result = scan_one(tmp_path, key, ocr=True)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [(str(tmp_path / "大图.png"), reason)]
    assert "CN_RESIDENT_ID" in samples(result)


@needs_tesseract
def test_a_corrupt_image_is_one_line_and_the_scan_goes_on(tmp_path, key):
    jpeg = encoded(form(mode="RGB"), "JPEG")
    (tmp_path / "损坏.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "截断.jpg").write_bytes(jpeg[:len(jpeg) // 2])
    (tmp_path / "不是图.gif").write_bytes(f"身份证 {ID18}".encode())
    (tmp_path / "身份证.png").write_bytes(encoded(form(), "PNG"))
    result = scan_one(tmp_path, key, ocr=True)
    problems = {p.where.rsplit("/", 1)[-1]: p.reason for p in result.coverage.problems}
    assert set(problems) == {"损坏.png", "截断.jpg", "不是图.gif"}
    assert all(reason.startswith("unreadable image (") for reason in problems.values()), problems
    assert ID18 not in repr(problems)
    assert [s["path"] for s in samples(result)["CN_RESIDENT_ID"]] == [str(tmp_path / "身份证.png")]


@needs_tesseract
def test_ocr_past_its_time_limit_is_stopped_in_one_line(tmp_path, key):
    (tmp_path / "身份证.png").write_bytes(encoded(form(), "PNG"))
    result = scan_one(tmp_path, key, ocr=True, ocr_timeout=0)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(tmp_path / "身份证.png"), "OCR took longer than 0 s: stopped, not read")]


@needs_tesseract
def test_no_temporary_file_is_written_while_ocr_runs(tmp_path):
    """TMPDIR is an empty folder for a whole scan with two workers (tesseract inherits it too):
    it stays empty. (strace of the same scan showed no file opened for writing: bench/README.md.)"""
    scans, temporary = tmp_path / "影像", tmp_path / "tmp"
    scans.mkdir()
    temporary.mkdir()
    form().save(scans / "身份证.png")
    form(mode="RGB").save(scans / "扫描件.pdf", "PDF", resolution=200)
    form(mode="1").save(scans / "档案.tif", compression="group4")
    done = subprocess.run([sys.executable, "-m", "pii_audit", "scan", "--ocr", "--jobs", "2", str(scans)],
                          capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": REPO, "PII_AUDIT_KEY": KEY_HEX, "TMPDIR": str(temporary)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.count("CN_RESIDENT_ID") == 3
    assert list(temporary.iterdir()) == []


@pytest.fixture
def no_tesseract(tmp_path, monkeypatch):
    """A PATH without tesseract, as on a laptop that never installed it."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    images.tesseract_missing.cache_clear()
    yield
    images.tesseract_missing.cache_clear()


def test_ocr_without_tesseract_is_one_line_saying_what_to_install(tmp_path, key, no_tesseract):
    scans = tmp_path / "影像"
    scans.mkdir()
    for number in range(3):
        (scans / f"{number}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (scans / "app.log").write_text(f"手机 {MOBILE}\n", encoding="utf-8")
    result = audited(scans, key, ocr=True)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(scans), "3 image(s) not read: tesseract is not installed; on Debian or Ubuntu: "
                     "apt-get install tesseract-ocr tesseract-ocr-chi-sim")]
    assert "CN_MOBILE_PHONE" in samples(result)  # the scan went on


def test_bands_are_cut_between_lines_of_text():
    lines = [f"第{number}行 手机 1391234{number:04d}" for number in range(40)]
    page = form(lines, px=20)
    cut = list(bands(page, pixels=page.width * 150))
    assert len(cut) > 4 and sum(band.height for band in cut) == page.height
    assert all(band.width * band.height <= page.width * 150 for band in cut)
    for band in cut[:-1]:  # each band ends on a white row: no line of text is cut
        assert band.crop((0, band.height - 1, band.width, band.height)).getextrema() == (255, 255)


@needs_tesseract
def test_a_tall_image_is_read_band_by_band_its_lines_numbered_over_them():
    """4.4 MP: two bands for tesseract. Every line is read once, none cut in two at the cut, and
    the second band's lines are numbered on from the first's."""
    lines = [f"第{number + 1}行 客户手机 1391234{number:04d}" for number in range(30)]
    page = form(lines, width=2000)
    assert page.width * page.height > images.BAND_PIXELS
    coverage = TargetCoverage("t")
    chunks = list(read_image("长图.png", ScanOptions(ocr=True), coverage, encoded(page, "PNG")))
    assert coverage.problems == [] and len(chunks) == 2
    assert [c.location["line"] for c in chunks] == [1, 1 + chunks[0].text.count("\n") + 1]
    assert "\n".join(c.text for c in chunks).splitlines() == lines


def test_an_image_name_and_first_bytes_tell_an_image():
    assert images.is_image_name("影像/身份证.JPEG") and not images.is_image_name("a.log")
    assert images.image_name(encoded(form(), "PNG")) == "image.png"
    assert images.image_name(b"%PDF-1.7") is None


def test_without_ocr_no_image_is_opened(tmp_path, key):
    """Not asked for OCR, an image is counted by its name: its bytes (here no image's) are not read."""
    (tmp_path / "a.png").write_bytes(b"not an image at all")
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.images_unread) == ([], {NOT_ASKED: 1})


def test_an_image_waits_until_its_cost_fits_in_the_budget():
    """Two forms fit side by side in the scan's budget, a third waits; an image costing more than
    the whole budget waits for all of it."""
    import threading

    form_cost = images.cost_mib(Image.open(io.BytesIO(encoded(form(mode="RGB"), "JPEG"))))
    assert images.TESSERACT_MIB < form_cost < images.OCR_BUDGET_MIB // 2
    budget = images.OcrBudget(2 * form_cost)
    read = []

    def third():
        with budget.taken(form_cost, 600):
            read.append("third")

    with budget.taken(form_cost, 600), budget.taken(form_cost, 600):
        waiting = threading.Thread(target=third)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and read == []
    waiting.join()
    assert read == ["third"]
    with budget.taken(10 * budget.total, 600):  # not forever: it takes the whole budget
        pass
    with budget.taken(budget.total, 600), pytest.raises(images.ImageRefused, match="waited 0 s for the memory"):
        with budget.taken(1, 0):  # a worker killed holding the budget: the others do not wait forever
            pass
    # Each worker past two holds memory of its own: less budget, but one form's worth at least.
    assert [images.budget_for(workers).total for workers in (1, 2, 4, 16)] == [160, 160, 120, 80]


@needs_tesseract
def test_a_scan_without_ocr_verifies_nothing_ocr_found(tmp_path, monkeypatch):
    """What OCR found in an image file, a scanned PDF and a BLOB stays open when a later scan does
    not read images: their containers were not read in full (the PDF's, the column's), or not at
    all (the image's, still on disk). Deleted, the image is verified."""
    import json

    monkeypatch.setenv("PII_AUDIT_KEY", KEY_HEX)
    scans = tmp_path / "影像"
    scans.mkdir()
    form().save(scans / "身份证.png")
    form(mode="RGB").save(scans / "扫描件.pdf", "PDF", resolution=200)
    with sqlite3.connect(scans / "影像.db") as connection:
        connection.execute("CREATE TABLE yxj (id INTEGER PRIMARY KEY, zp BLOB)")
        connection.execute("INSERT INTO yxj VALUES (7, ?)", (encoded(form(), "PNG"),))
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"

    def statuses() -> dict[str, set[str]]:
        listed = CliRunner().invoke(cli, ["ledger", "list", "--format", "json", "--ledger", ledger])
        found: dict[str, set[str]] = {}
        for item in json.loads(listed.output):
            found.setdefault(item["container"].rsplit("/", 1)[-1], set()).add(item["status"])
        return found

    assert CliRunner().invoke(cli, ["scan", "--ocr", "--full", "--ledger", ledger, str(scans)]).exit_code == 1
    opened = {"身份证.png": {"open"}, "扫描件.pdf": {"open"}, "yxj.zp": {"open"}}
    assert statuses() == opened
    assert CliRunner().invoke(cli, ["scan", "--full", "--ledger", ledger, str(scans)]).exit_code == 0
    assert statuses() == opened
    (scans / "身份证.png").unlink()
    assert CliRunner().invoke(cli, ["scan", "--full", "--ledger", ledger, str(scans)]).exit_code == 0
    assert statuses() == {**opened, "身份证.png": {"verified"}}
