"""Write the PowerPoint 97-2003 fixtures of tests/test_sources_ppt97.py (kept in git; rerun by hand).

    .venv/bin/python tests/data/ppt97/make_ppt_fixtures.py [NAME...]   # needs LibreOffice Impress's soffice on PATH

python-pptx writes a case review as .pptx, and LibreOffice Impress (Debian: libreoffice-impress-nogui)
saves it as PowerPoint 97-2003 (.ppt): no Python package writes .ppt. The second deck holds an
Excel 97-2003 workbook pasted into a slide as an object (``shapes.add_ole_object``, progId
Excel.Sheet.8, the .xls written by xlwt), which LibreOffice stores as PowerPoint does: a compressed
ExOleObjStg record holding the object's OLE2 file with its Workbook stream. An .xlsx object
(``PROG_ID.XLSX``, as openpyxl writes it) would not do: LibreOffice 7.4 keeps it as an object of
no known class and writes only its picture (an ``\\x02OlePres000`` stream), no workbook.

LibreOffice puts a 600 KB thumbnail of the first slide in the ``\\x05SummaryInformation`` stream,
which this reader never opens; to keep the fixtures small, every other stream is copied byte for
byte into a new compound file (``tests/ole2_helpers.compound_file``): the PowerPoint Document
stream is LibreOffice's as written.
Every value in them is synthetic: ID numbers, mobiles and cards with valid check digits, no one's.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

from pptx import Presentation
from pptx.util import Inches

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # tests/, for ole2_helpers

from ole2_helpers import compound_file  # noqa: E402
from xls_helpers import xlwt_book  # noqa: E402

from pii_audit.sources import ole2  # noqa: E402

ROWS = [("姓名", "身份证号", "手机"), ("王建国", "11010519491231002X", "13812345678"),
        ("李秀英", "44030519900101123X", "15912345670")]
# In the embedded workbook: IDs from tests_corpus.resident_id(random.Random(20240617)).
CUSTOMERS = [("姓名", "身份证号", "手机"), ("张伟", "620102197901173036", "13812345678"),
             ("刘芳", "620102194704248234", "15912345670"), ("陈静", "110103199512157353", "13912345670")]
THUMBNAIL_STREAM = "\x05SummaryInformation"


def case_review() -> Presentation:
    """Three slides, shown in another order than made: a text box that is no placeholder (made
    third, shown first), a title and body with notes, and a table of customers."""
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "案例复盘：逾期客户回访"
    first.placeholders[1].text = "借款人身份证号：11010519491231002X"
    first.notes_slide.notes_text_frame.text = "客户经理回访电话 13912345670"
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "客户名单"
    table = second.shapes.add_table(len(ROWS), 3, Inches(0.5), Inches(2), Inches(9), Inches(2)).table
    for row, cells in enumerate(ROWS):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    moved = deck.slides.add_slide(deck.slide_layouts[6])
    moved.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame.text = \
        "还款卡号 6222021234567890128\n第二段\v换行"
    group = moved.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(3), Inches(6), Inches(1)).text_frame.text = \
        "Contact: manager.wang@example.com"
    listed = deck.slides._sldIdLst
    third = listed[2]
    listed.remove(third)
    listed.insert(0, third)
    return deck


def embedded_workbook() -> Presentation:
    """One slide: a title, a line of text, and a customer workbook pasted in as an Excel 97-2003 object."""
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "逾期客户名单（附表）"
    slide.shapes.add_textbox(Inches(1), Inches(1.5), Inches(6), Inches(0.5)).text_frame.text = \
        "客户经理 13912345670"
    slide.shapes.add_ole_object(io.BytesIO(xlwt_book(CUSTOMERS)), "Excel.Sheet.8", Inches(1), Inches(2.5),
                                Inches(6), Inches(2))
    return deck


def two_row_header() -> Presentation:
    """One slide: a customer table headed by two rows, 序号 and 备注 merged down over both, 客户信息
    across 姓名 and 联系人; then one customer."""
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    table = slide.shapes.add_table(3, 4, Inches(1), Inches(2), Inches(8), Inches(2)).table
    table.cell(0, 0).merge(table.cell(1, 0))
    table.cell(0, 0).text = "序号"
    table.cell(0, 1).merge(table.cell(0, 2))
    table.cell(0, 1).text = "客户信息"
    table.cell(0, 3).merge(table.cell(1, 3))
    table.cell(0, 3).text = "备注"
    table.cell(1, 1).text, table.cell(1, 2).text = "姓名", "联系人"
    for column, text in enumerate(("1", "王建国", "李秀英", "无")):
        table.cell(2, column).text = text
    return deck


FIXTURES = {"case_review": case_review, "embedded_workbook": embedded_workbook, "two_rows": two_row_header}


def convert(source: Path, target: Path) -> None:
    """Save ``source`` as a .ppt with LibreOffice, then copy its streams but the thumbnail into ``target``."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["soffice", "--headless", "--convert-to", "ppt:MS PowerPoint 97", "--outdir", out,
                        str(source)], check=True, capture_output=True)
        with open(Path(out) / f"{source.stem}.ppt", "rb") as handle:
            compound = ole2.CompoundFile(handle)
            streams = {path: compound.stream(start, size) for path, (start, size) in compound.streams().items()
                       if path != THUMBNAIL_STREAM}
            target.write_bytes(compound_file({path: stream.read(0, stream.size) for path, stream in streams.items()}))


def main(names: list[str]) -> None:
    """Write the fixtures named (every one when none is) beside this script."""
    with tempfile.TemporaryDirectory() as scratch:
        for name in names or FIXTURES:
            deck = FIXTURES[name]()
            source = Path(scratch) / f"{name}.pptx"
            deck.save(str(source))
            convert(source, HERE / f"{name}.ppt")


if __name__ == "__main__":
    main(sys.argv[1:])
