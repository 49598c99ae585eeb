"""Write the Office 97-2003 and RTF fixtures of tests/test_sources_ole_pictures.py (kept in git:
CI has no LibreOffice; rerun by hand).

    .venv/bin/python tests/data/pictures/make_picture_fixtures.py   # needs LibreOffice's soffice on PATH

Pillow draws pictures of synthetic text with a CJK font (``image_helpers.form``: WenQuanYi Micro
Hei, 40-pixel characters, grey PNGs of 5-20 KB), python-docx and openpyxl put them into a .docx
and an .xlsx, and LibreOffice 7.4 (``libreoffice-writer-nogui``, ``libreoffice-calc-nogui``)
saves those as Word 97-2003, Excel 97-2003 and RTF, as a bank's word processor does:

- report.doc: a credit report whose text holds a mobile, a picture in line with the text (a copy of
  an ID card: 身份证号 110101199003074514), kept by LibreOffice in the Data stream, and a floating
  picture (手机 13812345678: python-docx writes pictures in line only, so its ``wp:inline`` is made a
  ``wp:anchor`` here), kept in the BLIP store of the table stream's drawings, its bytes in the
  WordDocument stream (the "delay stream").
- book.xls: sheet 客户 (a name, a note) showing the ID card's picture anchored at C3, and sheet 影像
  showing at D5 a picture of 20 KB (specks of noise added so that it does not compress), which the
  MsoDrawingGroup record holds over two Continue records.
- floating.rtf: a note whose ID card picture floats (a shape's ``pib`` property, as LibreOffice and
  Word write it).
Every value is synthetic: an ID number and mobiles with valid check digits, no one's.
"""

from __future__ import annotations

import copy
import io
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # tests/

import docx  # noqa: E402
import openpyxl  # noqa: E402
from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls, qn  # noqa: E402
from docx.shared import Cm  # noqa: E402
from openpyxl.drawing.image import Image as SheetImage  # noqa: E402

from image_helpers import encoded, form  # noqa: E402

ID_CARD = ["居民身份证复印件", "身份证号 110101199003074514"]
SIGNED = ["客户签字确认", "手机 13812345678"]
_ANCHOR = ('<wp:anchor {} distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="2" '
           'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
           '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
           '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV></wp:anchor>')


def picture(lines: list[str], specks: int = 0) -> bytes:
    """Return a PNG of ``lines``; ``specks`` light grey dots scattered over it (random, seeded)."""
    image = form(lines, mode="L")
    pixels, rng = image.load(), random.Random(20240105)
    for _ in range(specks):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.randrange(200, 256)
    return encoded(image, "PNG")


def floated(run) -> None:
    """Make the picture of ``run`` float (``wp:anchor``, square wrapping) instead of standing in line."""
    inline = run._r.find(".//" + qn("wp:inline"))
    anchor = parse_xml(_ANCHOR.format(nsdecls("wp", "a", "pic", "r")))
    anchor.append(copy.deepcopy(inline.find(qn("wp:extent"))))
    anchor.append(parse_xml(f'<wp:wrapSquare {nsdecls("wp")} wrapText="bothSides"/>'))
    anchor.append(copy.deepcopy(inline.find(qn("wp:docPr"))))
    anchor.append(parse_xml(f'<wp:cNvGraphicFramePr {nsdecls("wp")}/>'))
    anchor.append(copy.deepcopy(inline.find(qn("a:graphic"))))
    inline.getparent().replace(inline, anchor)


def report(path: Path, inline: bool = True) -> Path:
    """Write the credit report as .docx: text, the ID card in line (``inline``), the floating picture."""
    document = docx.Document()
    document.add_paragraph("客户授信调查报告")
    document.add_paragraph("借款人联系电话：13912345678。")
    if inline:
        document.add_picture(io.BytesIO(picture(ID_CARD)), width=Cm(8))
    document.add_paragraph("审批意见：同意。")
    run = document.add_paragraph().add_run()
    run.add_picture(io.BytesIO(picture(ID_CARD if not inline else SIGNED)), width=Cm(8))
    floated(run)
    document.save(path)
    return path


def book(path: Path) -> Path:
    """Write the workbook as .xlsx: sheet 客户 with the ID card at C3, sheet 影像 with the large picture at D5."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append(["姓名", "备注"])
    sheet.append(["张三", "见影像"])
    sheet.add_image(SheetImage(io.BytesIO(picture(ID_CARD))), "C3")
    workbook.create_sheet("影像").add_image(SheetImage(io.BytesIO(picture(SIGNED, specks=3000))), "D5")
    workbook.save(path)
    return path


def convert(source: Path, kind: str, target: Path) -> None:
    """Save ``source`` with LibreOffice as ``kind`` ("doc:MS Word 97") at ``target``."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["soffice", "--headless", "--convert-to", kind, "--outdir", out, str(source)],
                       check=True, capture_output=True)
        (Path(out) / f"{source.stem}.{kind.split(':')[0]}").replace(target)


def main() -> None:
    """Write every fixture beside this script."""
    with tempfile.TemporaryDirectory() as scratch:
        convert(report(Path(scratch) / "report.docx"), "doc:MS Word 97", HERE / "report.doc")
        convert(book(Path(scratch) / "book.xlsx"), "xls:MS Excel 97", HERE / "book.xls")
        convert(report(Path(scratch) / "floating.docx", inline=False), "rtf", HERE / "floating.rtf")


if __name__ == "__main__":
    main()
