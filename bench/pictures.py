"""Speed and memory of `pii-audit scan` on a Word report holding photos of ID and bank cards, with
and without --ocr (sources/pictures.py, sources/ole_pictures.py).

Usage:  .venv/bin/python bench/pictures.py [--photos 3] [--jobs 1 2] [--repeat 3] [--formats docx doc xls]

Writes bench/out/pictures/报告-<N>.docx once: a credit report (授信调查报告) of 40 paragraphs and a
table, and N phone photos of application forms (bench/images.py's form, 1.6 MP, upscaled to
3200 x 2000 = 6.4 MP as a phone takes it, a colour JPEG of about 1 MB each; synthetic values).
With ``--formats doc`` LibreOffice (soffice on PATH) saves it as Word 97-2003 (报告-<N>.doc, its
photos in the Data stream); with ``xls`` a workbook of 200 customer rows showing the same photos
on its sheet is written as .xlsx and saved as Excel 97-2003 (名单-<N>.xls, the photos in its
MsoDrawingGroup records).
Then, for each document named as the target, without --ocr and with it for each --jobs, prints
the best wall seconds of --repeat runs with the CPU seconds of the whole process tree, then the
peak RSS and PSS of the process tree and the largest peak RSS of one tesseract (one more run,
polled every 20 ms), and how many ID numbers the photos gave.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import docx  # noqa: E402
import openpyxl  # noqa: E402
from docx.shared import Cm  # noqa: E402
from openpyxl.drawing.image import Image as SheetImage  # noqa: E402
from PIL import Image  # noqa: E402

from image_helpers import cjk_font_file  # noqa: E402
from images import application_form, measured, timed  # noqa: E402

OUT = ROOT / "bench" / "out" / "pictures"


def photos_of(count: int) -> list[bytes]:
    """Return ``count`` phone photos of application forms, as JPEGs (the same each run)."""
    rng, font_file, found = random.Random(20240105), cjk_font_file(), []
    for _ in range(count):
        photo = application_form(rng, font_file).resize((3200, 2000), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        photo.save(buffer, "JPEG", quality=85)
        found.append(buffer.getvalue())
    return found


def write_report(photos: int) -> Path:
    """Write the report once; return its path."""
    path = OUT / f"报告-{photos}.docx"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    document.add_heading("授信调查报告", 0)
    for number in range(40):
        document.add_paragraph(f"第{number + 1}段：借款人经营情况正常，资产负债结构合理，还款来源稳定。" * 3)
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([("姓名", "职务", "备注"), ("张伟", "法定代表人", "无"), ("王芳", "财务负责人", "无")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    for photo in photos_of(photos):
        document.add_picture(io.BytesIO(photo), width=Cm(15))
    document.save(path)
    return path


def write_book(photos: int) -> Path:
    """Write the workbook as .xlsx once, its photos on its sheet 20 rows apart; return its path."""
    path = OUT / f"名单-{photos}.xlsx"
    if path.exists():
        return path
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append(["序号", "姓名", "备注"])
    for number in range(200):
        sheet.append([number + 1, "张伟", "见影像"])
    for number, photo in enumerate(photos_of(photos)):
        image = SheetImage(io.BytesIO(photo))
        image.width, image.height = 640, 400
        sheet.add_image(image, f"E{2 + 20 * number}")
    workbook.save(path)
    return path


def legacy(path: Path, kind: str) -> Path:
    """Return ``path`` saved once by LibreOffice as ``kind`` ("doc", "xls")."""
    target = path.with_suffix(f".{kind}")
    if not target.exists():
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(["soffice", "--headless", "--convert-to", kind, "--outdir", out, str(path)], check=True,
                           capture_output=True)
            (Path(out) / target.name).replace(target)
    return target


def command(path: Path, jobs: int, ocr: bool) -> list[str]:
    return [sys.executable, "-m", "pii_audit", "scan", *(["--ocr"] if ocr else []), "--jobs", str(jobs),
            "--ledger", f"sqlite:///{OUT / 'ledger.db'}", str(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", nargs="+", default=["docx"], choices=["docx", "doc", "xls"])
    args = parser.parse_args()
    os.environ.setdefault("PII_AUDIT_KEY", "ab" * 32)
    os.environ["PYTHONPATH"] = str(ROOT)
    paths = {"docx": lambda: write_report(args.photos), "doc": lambda: legacy(write_report(args.photos), "doc"),
             "xls": lambda: legacy(write_book(args.photos), "xls")}
    (ROOT / "bench" / "out" / "images").mkdir(parents=True, exist_ok=True)  # measured() writes there
    for kind in args.formats:
        path = paths[kind]()
        print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MiB, {args.photos} photos")
        for ocr, jobs in [(False, 1)] + [(True, jobs) for jobs in args.jobs]:
            run(command(path, jobs, ocr), ocr, jobs, args.repeat)


def run(argv: list[str], ocr: bool, jobs: int, repeat: int) -> None:
    """Time a scan, then poll one more run for its memory; print both and the pictures whose ID was read."""
    best, cpu = min(timed(argv) for _ in range(repeat))
    (OUT / "ledger.db").unlink(missing_ok=True)
    seconds, rss, pss, tesseract, output = measured(argv)
    (OUT / "ledger.db").unlink(missing_ok=True)
    found = sum(line.strip().startswith("CN_RESIDENT_ID in ") and "!" in line for line in output.splitlines())
    print(f"{'--ocr' if ocr else 'no --ocr'} --jobs {jobs}: {best:5.2f} s ({cpu:5.2f} s CPU)   polled run "
          f"{seconds:5.2f} s, peak RSS {rss / 2**20:4.0f} MiB, PSS {pss / 2**20:4.0f} MiB, one tesseract "
          f"{tesseract / 2**20:4.0f} MiB   pictures with an ID number: {found}")


if __name__ == "__main__":
    main()
