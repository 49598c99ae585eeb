"""Write the presentation fixtures of tests/test_sources_presentations.py (kept in git; rerun by hand).

    .venv/bin/python tests/data/presentations/make_presentations.py   # needs LibreOffice Impress's soffice on PATH

python-pptx writes a case review, and LibreOffice Impress (Debian: libreoffice-impress-nogui) opens
it and saves it again as libreoffice.pptx: a second producer's XML, written its own way.
Every value in them is synthetic: ID numbers, mobiles and cards with valid check digits, no one's.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from pptx import Presentation
from pptx.util import Inches

HERE = Path(__file__).resolve().parent
ROWS = [("姓名", "身份证号", "手机号"), ("王建国", "11010519491231002X", "13812345678"),
        ("李秀英", "44030519900101123X", "15912345670")]


def case_review() -> Presentation:
    """Two slides: a grouped call-out with a card number, then a table of customers with notes."""
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[5])
    first.shapes.title.text = "案例复盘：逾期客户回访"
    group = first.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame.text = "还款卡号 6222021234567890128"
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "客户名单"
    table = second.shapes.add_table(len(ROWS), 3, Inches(0.5), Inches(2), Inches(9), Inches(2)).table
    for row, cells in enumerate(ROWS):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    second.notes_slide.notes_text_frame.text = "客户经理回访电话 13912345670"
    return deck


def convert(source: Path, target: Path, filter_name: str) -> None:
    """Save ``source`` as ``target`` with a LibreOffice export filter."""
    suffix = target.suffix[1:]
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["soffice", "--headless", "--convert-to", f"{suffix}:{filter_name}", "--outdir", out,
                        str(source)], check=True, capture_output=True)
        (Path(out) / f"{source.stem}.{suffix}").replace(target)


def main() -> None:
    """Write every fixture beside this script."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source.pptx"
        case_review().save(str(source))
        convert(source, HERE / "libreoffice.pptx", "Impress MS PowerPoint 2007 XML")


if __name__ == "__main__":
    main()
