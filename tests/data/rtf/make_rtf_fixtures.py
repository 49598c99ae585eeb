"""Write the RTF fixtures of tests/test_sources_rtf.py (kept in git; rerun by hand).

    .venv/bin/python tests/data/rtf/make_rtf_fixtures.py   # needs LibreOffice's soffice on PATH

python-docx writes an account-opening record as .docx (a footnote added through its package
API, which has none of its own), and LibreOffice saves it as RTF, as a word processor does, and
as plain text: the text export is what the RTF reader's lines are checked against.
Every value in them is synthetic: ID numbers and cards with valid check digits, no one's.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml

HERE = Path(__file__).resolve().parent
ROWS = [("王建国", "11010519491231002X", "13812345678"), ("李秀英", "44030519900101123X", "15912345670")]
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
FOOTNOTES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes {W}>
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r>
<w:r><w:t xml:space="preserve"> 紧急联系人：赵丽华，手机 13987654321</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""


def opening_record() -> docx.Document:
    """An account-opening record: paragraphs, a table, a header, a footer, a footnote, a comment."""
    document = docx.Document()
    document.add_heading("个人客户开户资料", level=1)
    document.add_paragraph("姓名：王建国，身份证号：11010519491231002X，手机：13812345678。")
    document.add_paragraph("住址：北京市朝阳区建国路88号院3号楼1单元502室")
    paragraph = document.add_paragraph("联系邮箱 wang.jianguo@example.com，还款卡号 6222021234567890128。")
    table = document.add_table(rows=1, cols=3)
    for cell, title in zip(table.rows[0].cells, ("姓名", "身份证号", "手机号")):
        cell.text = title
    for row in ROWS:
        for cell, value in zip(table.add_row().cells, row):
            cell.text = value
    noted = document.add_paragraph("审批意见：同意开户")
    _footnote(document, noted)
    document.add_comment(paragraph.runs, text="请核对客户手机 15012345678", author="审核员", initials="SH")
    document.sections[0].header.paragraphs[0].text = "客户经理：陈志强 手机 13912345678"
    document.sections[0].footer.paragraphs[0].text = "内部资料 注意保密"
    return document


def _footnote(document: docx.Document, paragraph) -> None:
    """Add the footnote of ``FOOTNOTES`` to the document, referenced at the end of ``paragraph``."""
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                FOOTNOTES.encode("utf-8"), document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    paragraph._p.append(parse_xml(f'<w:r {W}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                                  '<w:footnoteReference w:id="1"/></w:r>'))


def long_record(paragraphs: int) -> docx.Document:
    """Many paragraphs, each with a name and a mobile, so the text spans several blocks and chunks."""
    document = docx.Document()
    for number in range(paragraphs):
        document.add_paragraph(f"第{number + 1}条 客户姓名：王秀兰，手机 139{number:08d}，已回访。")
    return document


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
        for name, document in (("record", opening_record()), ("long", long_record(100))):
            source = Path(scratch) / f"{name}.docx"
            document.save(str(source))
            convert(source, HERE / f"{name}.rtf", "Rich Text Format")
            convert(HERE / f"{name}.rtf", HERE / f"{name}.txt", "Text (encoded):UTF8,LF,,,")


if __name__ == "__main__":
    main()
