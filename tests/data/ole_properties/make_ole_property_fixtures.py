"""Write the legacy Office fixtures of tests/test_sources_properties.py whose document properties
are OLE2 property sets (kept in git; rerun by hand).

    .venv/bin/python tests/data/ole_properties/make_ole_property_fixtures.py   # needs LibreOffice's soffice

The test file's credit report (``credit_report``: a title holding an ID number, a subject,
comments holding a mobile, keywords, author 李四, last saved by 王五, custom properties 客户姓名
张三, 证件号码 an ID, 备注 赵六) is written as .docx and as .pptx, and LibreOffice saves them as
.doc and .ppt: it writes the properties into ``\\x05SummaryInformation`` and the custom ones into
the second section of ``\\x05DocumentSummaryInformation``, in code page 65001 (UTF-8).

- report.doc: LibreOffice's file as written.
- deck.ppt: LibreOffice puts a 600 KB thumbnail of the first slide into its SummaryInformation, so
  its streams are copied into a new compound file (``tests/ole2_helpers.compound_file``) with the
  SummaryInformation stream LibreOffice wrote for report.doc (the same properties, no thumbnail).
- book.xls: this machine's LibreOffice has no Calc, so xlwt writes the workbook (a 备注 column, no
  personal information) and the two property set streams LibreOffice wrote for report.doc are added.
Every value is synthetic: ID numbers and mobiles with valid check digits, no one's.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # tests/

from ole2_helpers import compound_file  # noqa: E402
from pptx import Presentation  # noqa: E402
from test_sources_properties import ID18, ID18_B, MOBILE, credit_report, with_custom  # noqa: E402
from xls_helpers import xlwt_book  # noqa: E402

from pii_audit.sources import ole2  # noqa: E402

SUMMARY, DOCUMENT_SUMMARY = "\x05SummaryInformation", "\x05DocumentSummaryInformation"


def streams_of(data: bytes) -> dict[str, bytes]:
    """Return every stream of a compound file, by path."""
    compound = ole2.CompoundFile(io.BytesIO(data))
    return {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}


def converted(source: Path, kind: str) -> bytes:
    """Return ``source`` saved by LibreOffice as ``kind`` (doc, ppt)."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["soffice", "--headless", "--convert-to", kind, "--outdir", out, str(source)],
                       check=True, capture_output=True)
        return (Path(out) / f"{source.stem}.{kind}").read_bytes()


def deck(path: Path) -> Path:
    """Write a one-slide .pptx with the credit report's properties."""
    presentation = Presentation()
    presentation.slides.add_slide(presentation.slide_layouts[5]).shapes.title.text = "案例复盘"
    core = presentation.core_properties
    core.title, core.subject, core.comments = f"授信报告 {ID18}", "客户回访", f"客户手机 {MOBILE}"
    core.keywords, core.author, core.last_modified_by = "授信", "李四", "王五"
    plain = path.with_suffix(".plain.pptx")
    presentation.save(plain)
    return with_custom(plain, path, {"客户姓名": "张三", "证件号码": ID18_B, "备注": "赵六"})


def main() -> None:
    """Write every fixture beside this script."""
    with tempfile.TemporaryDirectory() as scratch:
        report = converted(credit_report(Path(scratch) / "report.docx"), "doc")
        (HERE / "report.doc").write_bytes(report)
        written = streams_of(report)
        slides = {path: data for path, data in streams_of(converted(deck(Path(scratch) / "deck.pptx"), "ppt")).items()
                  if path != SUMMARY}
        (HERE / "deck.ppt").write_bytes(compound_file({**slides, SUMMARY: written[SUMMARY]}))
        book = streams_of(xlwt_book([("备注",), ("无",)], sheet="Sheet1"))
        (HERE / "book.xls").write_bytes(compound_file({**book, SUMMARY: written[SUMMARY],
                                                       DOCUMENT_SUMMARY: written[DOCUMENT_SUMMARY]}))


if __name__ == "__main__":
    main()
