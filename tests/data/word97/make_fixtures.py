"""Write the Word 97-2003 fixtures of tests/test_sources_word97.py (kept in git; rerun by hand).

    .venv/bin/python tests/data/word97/make_fixtures.py [NAME...]   # needs LibreOffice's soffice on PATH

python-docx writes each document as .docx, and LibreOffice saves it as Word 97-2003 (.doc). No
Python package writes .doc, and these are files a real word processor wrote (LibreOffice 7.4
no longer exports Word 6.0/95; the tests change a copy's version field for that).
Every value in them is synthetic: ID numbers and cards with valid check digits, no one's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import docx

HERE = Path(__file__).resolve().parent
ROWS = [("王建国", "11010519491231002X", "13812345678"), ("李秀英", "44030519900101123X", "15912345670")]


def report() -> docx.Document:
    """A credit report: body paragraphs, a table with a header row, a header and a footer."""
    document = docx.Document()
    document.add_heading("客户授信调查报告", level=1)
    document.add_paragraph("借款人身份证号码：11010519491231002X，联系电话：13812345678。")
    document.add_paragraph("Contact: manager.wang@example.com, card 6222020200112345679.")
    table = document.add_table(rows=1, cols=3)
    for cell, title in zip(table.rows[0].cells, ("姓名", "身份证号", "手机号")):
        cell.text = title
    for row in ROWS:
        for cell, value in zip(table.add_row().cells, row):
            cell.text = value
    document.add_paragraph("审批意见：同意。")
    document.sections[0].header.paragraphs[0].text = "客户经理手机 13912345678"
    document.sections[0].footer.paragraphs[0].text = "内部资料 注意保密"
    return document


def customer_table() -> docx.Document:
    """A customer list: a table whose first row names its columns (姓名 | 身份证号 | 备注 | 住址), with
    an empty cell, a cell of two paragraphs, and the first name again after the table."""
    document = docx.Document()
    document.add_paragraph("客户名单如下：")
    rows = [("姓名", "身份证号", "备注", "住址"),
            ("王建国", "11010519491231002X", "", "（常住地址）"),
            ("李秀英", "44030519900101123X", "老客户", "上海市浦东新区陆家嘴环路1000号")]
    table = document.add_table(rows=0, cols=4)
    for values in rows:
        for cell, value in zip(table.add_row().cells, values):
            cell.text = value  # the empty one: only its paragraph's marks tell it from a row's end
    table.rows[1].cells[3].add_paragraph("北京市朝阳区建国路88号院3号楼1单元502室")  # a cell's second paragraph
    document.add_paragraph("王建国")  # under no header: a bare name is nobody's
    return document


def nested_table() -> docx.Document:
    """A table whose second row holds, in its 住址 cell, a table of its own (联系方式 | 手机号)."""
    document = docx.Document()
    table = document.add_table(rows=0, cols=2)
    for values in (("姓名", "住址"), ("王建国", "北京市朝阳区建国路88号院3号楼1单元502室"), ("李秀英", "")):
        for cell, value in zip(table.add_row().cells, values):
            cell.text = value
    inner = table.rows[2].cells[1].add_table(rows=2, cols=2)
    for row, values in zip(inner.rows, (("联系方式", "手机号"), ("本人", "13812345678"))):
        for cell, value in zip(row.cells, values):
            cell.text = value
    table.add_row().cells[0].text = "张伟"
    document.add_paragraph("审批意见：同意。")
    return document


def merged_header() -> docx.Document:
    """A table of borrowers whose header 客户姓名 is merged over two columns (the borrower and the
    co-borrower): LibreOffice saves the header row as one cell fewer, the merged one wider."""
    document = docx.Document()
    document.add_paragraph("借款人名单")
    table = document.add_table(rows=3, cols=4)
    header = table.rows[0].cells
    header[0].text, header[3].text = "序号", "住址"
    header[1].merge(header[2]).text = "客户姓名"
    for row, values in zip(table.rows[1:], (("1", "王建国", "李秀英", "上海市浦东新区陆家嘴环路1000号"),
                                             ("2", "赵敏", "孙丽", "北京市朝阳区建国路88号院3号楼1单元502室"))):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_paragraph("王建国")  # under no header
    return document


def two_row_header() -> docx.Document:
    """A customer table headed by two rows: 序号 merged down over both, 客户信息 across 姓名 and
    证件号码, 联系方式 across 手机 and 住址; then one customer."""
    document = docx.Document()
    document.add_paragraph("客户名单")
    table = document.add_table(rows=3, cols=5)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "序号"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "客户信息"
    table.cell(0, 3).merge(table.cell(0, 4)).text = "联系方式"
    for column, text in enumerate(("姓名", "证件号码", "手机", "住址"), 1):
        table.cell(1, column).text = text
    for cell, value in zip(table.rows[2].cells, ("1", "王建国", "11010519491231002X", "13812345678",
                                                 "北京市朝阳区建国路88号院3号楼1单元502室")):
        cell.text = value
    return document


def long_report(paragraphs: int) -> docx.Document:
    """Many paragraphs, each with a mobile number, so the text spans several blocks and chunks."""
    document = docx.Document()
    for number in range(paragraphs):
        document.add_paragraph(f"第{number + 1}条 回访客户，手机 139{number:08d}，已登记。")
    return document


def convert(source: Path, target: Path, filter_name: str) -> None:
    """Save ``source`` as ``target`` with a LibreOffice export filter."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["soffice", "--headless", "--convert-to", f"doc:{filter_name}", "--outdir", out, str(source)],
                       check=True, capture_output=True)
        (Path(out) / (source.stem + ".doc")).replace(target)


FIXTURES = {"report": report, "long": lambda: long_report(400), "customers": customer_table, "nested": nested_table,
            "merged": merged_header, "two-rows": two_row_header}


def main(names: list[str]) -> None:
    """Write the fixtures named (every one when none is) beside this script."""
    with tempfile.TemporaryDirectory() as scratch:
        for name in names or FIXTURES:
            document = FIXTURES[name]()
            source = Path(scratch) / f"{name}.docx"
            document.save(str(source))
            convert(source, HERE / f"{name}.doc", "MS Word 97")


if __name__ == "__main__":
    main(sys.argv[1:])
