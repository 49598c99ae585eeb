"""Speed and memory of the PowerPoint 97-2003 reader (``pii_audit.sources.ppt97``), beside the
.pptx reader on the same deck.

Usage: ``python bench/ppt.py [--slides 300] [--repeat 3]``. Generates (once, into ``bench/out/``) a
case-review deck of synthetic customers with python-pptx, and LibreOffice Impress (``soffice`` on
PATH) saves it as .ppt: each slide a title, a body of three paragraphs, a table of 12 customers
(姓名 | 身份证号 | 手机 | 住址) and notes.

Each reader runs in its own subprocess after its imports (``bench/subprocess_measure``): its time
starts then, and its peak RSS growth is the read's own. Readers: ``ppt`` (``read_presentation`` on
the .ppt, lines alone), ``ppt-scan`` (with the detector, as a scan runs them), and ``pptx`` and
``pptx-scan``, the same on the .pptx the deck was made from.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench.subprocess_measure import child, measure  # noqa: E402

from bench.samples import NAMES, PLACES  # noqa: E402


def make_deck(slides: int, pptx: Path) -> None:
    """Write ``slides`` slides of a case review to ``pptx``."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    from tests_corpus import mobile, resident_id

    rng = random.Random(42)
    deck = Presentation()
    for number in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = f"案例{number + 1}：逾期客户回访情况"
        body = slide.shapes.add_textbox(Inches(0.5), Inches(1.3), Inches(9), Inches(0.8)).text_frame
        body.text = f"客户经理 {rng.choice(NAMES)} 于第{number + 1}周完成回访，联系电话 {mobile(rng)}。"
        for text in ("客户对还款计划无异议，已签署确认书。", "后续跟进：每月电话回访一次，记录归档。"):
            body.add_paragraph().text = text
        table = slide.shapes.add_table(13, 4, Inches(0.3), Inches(2.2), Inches(9.4), Inches(4.5)).table
        for column, title in enumerate(("姓名", "身份证号", "手机", "住址")):
            table.cell(0, column).text = title
        for row in range(1, 13):
            for column, text in enumerate((rng.choice(NAMES), resident_id(rng), mobile(rng), rng.choice(PLACES))):
                table.cell(row, column).text = text
                table.cell(row, column).text_frame.paragraphs[0].runs[0].font.size = Pt(9)
        slide.notes_slide.notes_text_frame.text = f"备注：借款人身份证号 {resident_id(rng)}，核实无误。"
    deck.save(str(pptx))


def decks(slides: int) -> dict[str, Path]:
    """Return the bench decks (.ppt and .pptx), generating them when missing."""
    OUT.mkdir(parents=True, exist_ok=True)
    pptx, ppt = OUT / f"deck-{slides}.pptx", OUT / f"deck-{slides}.ppt"
    if not pptx.exists():
        make_deck(slides, pptx)
    if not ppt.exists():
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run(["soffice", "--headless", "--convert-to", "ppt", "--outdir", scratch, str(pptx)],
                           check=True, capture_output=True)
            (Path(scratch) / ppt.name).replace(ppt)
    return {"ppt": ppt, "pptx": pptx}


def lines(path: str) -> int:
    """Read the deck's lines with read_presentation; return their characters."""
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.presentations import read_presentation

    coverage = TargetCoverage(path)
    chars = sum(len(chunk.text) + 1 for chunk in read_presentation(path, ScanOptions(), coverage)
                if hasattr(chunk, "text"))
    assert not coverage.problems, coverage.problems
    return chars


def scan(path: str) -> int:
    """Run read_presentation and the detector, as a scan does; return the occurrences found."""
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.presentations import read_presentation

    coverage, options = TargetCoverage(path), ScanOptions()
    found = sum(1 for _ in make_detector(b"k" * 32, options).detect(read_presentation(path, options, coverage)))
    assert not coverage.problems, coverage.problems
    return found


MEASURES = {"lines": lines, "scan": scan}


def imports(name: str) -> None:
    """Import the readers and what recording coverage loads (Presidio, for masking names), and build
    the recognizers before a scan is timed: they are not the reader's time."""
    from pii_audit.sources import presentations, shown  # noqa: F401

    shown("deck.ppt")
    if name == "scan":
        from pii_audit.scan import make_detector
        from pii_audit.sources import ScanOptions

        make_detector(b"k" * 32, ScanOptions())


def main() -> None:
    """Generate the decks and print seconds, slides/s and peak RSS growth per reader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is shown")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, path = args.child
        child(lambda: imports(name), MEASURES[name], path)
        return
    for kind, path in decks(args.slides).items():
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB, {args.slides} slides")
        for name in MEASURES:
            found = [measure(__file__, name, path) for _ in range(args.repeat)]
            seconds = min(r["seconds"] for r in found)
            unit = "characters" if name == "lines" else "occurrences"
            print(f"  {kind}-{name:6s}{seconds:7.3f} s {args.slides / seconds:8.0f} slides/s "
                  f"{found[0]['count']:>9,} {unit} | peak RSS +{max(r['peak_mb'] - r['base_mb'] for r in found):.1f} MB")


if __name__ == "__main__":
    main()
