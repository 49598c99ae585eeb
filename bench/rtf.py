"""Speed and memory of the RTF reader (``pii_audit.sources.rtf``) against striprtf.

Usage: ``python bench/rtf.py [--paragraphs 40000] [--pictures 60] [--striprtf PYTHON]``. Generates
(once, into ``bench/out/``) three RTF documents of synthetic customers:

* ``text-lo.rtf``: paragraphs of Chinese text, saved as RTF by LibreOffice (``soffice`` on PATH)
  from a .docx python-docx wrote: each character a ``\\uN`` and a ``\\'3f`` fallback;
* ``text-gbk.rtf``: the same paragraphs as Word writes them under ``\\ansicpg936``: runs of
  ``\\'hh`` GBK bytes between formatting control words;
* ``pictures-lo.rtf``: fewer paragraphs and ``--pictures`` photos (incompressible PNGs), saved by
  LibreOffice: mostly hex.

Each reader runs in its own subprocess after its imports; its time starts then, the peak RSS is
reset then (``/proc/self/clear_refs``), and its growth is the read's peak RSS less the RSS before.
Readers: ``rtf`` (``RtfText.lines``), ``rtf-scan`` (``read_rtf`` and the detector, as a scan runs
them) and ``striprtf`` (``rtf_to_text`` on the file read as a str, as its README shows), the last
run by ``--striprtf``, a Python that has striprtf (never a dependency of this project).
"""

from __future__ import annotations

import argparse
import io
import random
import re
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


def paragraphs(count: int):
    """Yield ``count`` paragraphs of a visit log, each with a name, an ID, a mobile and an address."""
    from tests_corpus import mobile, resident_id

    rng = random.Random(42)
    for number in range(count):
        yield (f"第{number + 1}条 客户姓名：{rng.choice(NAMES)}，身份证号 {resident_id(rng)}，手机 {mobile(rng)}，"
               f"住址：{rng.choice(PLACES)}。客户经理已电话回访，客户对服务表示满意，无其他意见。")


def by_libreoffice(path: Path, count: int, pictures: int) -> None:
    """Write ``count`` paragraphs and ``pictures`` photos to a .docx, and save it as RTF with LibreOffice."""
    import docx
    from docx.shared import Inches
    from PIL import Image

    document = docx.Document()
    rng = random.Random(7)
    for number, text in enumerate(paragraphs(count)):
        document.add_paragraph(text)
        if pictures and number % max(1, count // pictures) == 0 and len(document.inline_shapes) < pictures:
            photo = io.BytesIO()
            Image.frombytes("RGB", (480, 360), rng.randbytes(480 * 360 * 3)).save(photo, "PNG")
            document.add_picture(photo, width=Inches(3))
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / (path.stem + ".docx")
        document.save(str(source))
        subprocess.run(["soffice", "--headless", "--convert-to", "rtf", "--outdir", scratch, str(source)],
                       check=True, capture_output=True)
        (Path(scratch) / (path.stem + ".rtf")).replace(path)


def as_word_writes(path: Path, count: int) -> None:
    """Write the paragraphs as Word does under \\ansicpg936: GBK bytes as \\'hh runs, ASCII as is."""
    head = (b"{\\rtf1\\adeflang1025\\ansi\\ansicpg936\\uc2\\deff0\\deflang1033\\deflangfe2052{\\fonttbl"
            b"{\\f0\\froman\\fcharset0\\fprq2 Times New Roman;}"
            b"{\\f13\\fbidi\\fnil\\fcharset134\\fprq2 \\'cb\\'ce\\'cc\\'e5;}}"
            b"{\\*\\generator Microsoft Word 11.0.0000;}\\pard\\plain \\ltrpar\\ql \\f0\\fs21\\lang1033\\langfe2052\n")
    with open(path, "wb") as out:
        out.write(head)
        for text in paragraphs(count):
            runs = re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]+", text)
            body = b"".join(run.encode() if run.isascii() else
                            b"{\\rtlch\\fcs1 \\af0 \\ltrch\\fcs0 \\f13\\insrsid9046330 " +
                            b"".join(b"\\'%02x" % byte for byte in run.encode("gbk")) + b"}"
                            for run in runs)
            out.write(b"\\pard \\ltrpar\\ql \\li0\\ri0\\widctlpar\\wrapdefault\\aspalpha\\aspnum\\faauto\\adjustright"
                      b"\\rin0\\lin0\\itap0 " + body + b"\\par\n")
        out.write(b"}")


def documents(count: int, pictures: int) -> dict[str, Path]:
    """Return the bench documents by name, generating those missing."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = {name: OUT / f"{name}-{count}.rtf" for name in ("text-lo", "text-gbk", "pictures-lo")}
    if not paths["text-lo"].exists():
        by_libreoffice(paths["text-lo"], count, 0)
    if not paths["text-gbk"].exists():
        as_word_writes(paths["text-gbk"], count)
    if not paths["pictures-lo"].exists():
        by_libreoffice(paths["pictures-lo"], count // 20, pictures)
    return paths


def ours(path: str) -> int:
    """Read the document's lines with RtfText; return their characters."""
    from pii_audit.sources.rtf import RtfText

    with open(path, "rb") as handle:
        return sum(len(line) + 1 for line in RtfText().lines(handle))


def scan(path: str) -> int:
    """Run read_rtf and the detector, as a scan does; return the characters read."""
    from pii_audit.scan import make_detector
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.rtf import read_rtf

    coverage, options, chars = TargetCoverage(path), ScanOptions(), 0

    def counted(chunks):
        nonlocal chars
        for chunk in chunks:
            chars += len(chunk.text) + 1
            yield chunk

    sum(1 for _ in make_detector(b"k" * 32, options).detect(counted(read_rtf(path, options, coverage))))
    assert not coverage.problems, coverage.problems
    return chars


def striprtf(path: str) -> int:
    """Convert the document with striprtf, as its README does; return the characters."""
    from striprtf.striprtf import rtf_to_text

    with open(path, encoding="latin-1") as handle:
        return len(rtf_to_text(handle.read()))


MEASURES = {"rtf": ours, "rtf-scan": scan, "striprtf": striprtf}


def imports(name: str) -> None:
    """Build the recognizers before a scan is timed: they are not the reader's time."""
    if name == "rtf-scan":
        from pii_audit.scan import make_detector
        from pii_audit.sources import ScanOptions

        make_detector(b"k" * 32, ScanOptions())


def main() -> None:
    """Generate the documents and print MB/s and peak RSS growth per reader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=40_000)
    parser.add_argument("--pictures", type=int, default=60)
    parser.add_argument("--striprtf", metavar="PYTHON", help="a Python with striprtf installed")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest is shown")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, path = args.child
        child(lambda: imports(name), MEASURES[name], path)
        return
    readers = [("rtf", sys.executable), ("rtf-scan", sys.executable)]
    readers += [("striprtf", args.striprtf)] if args.striprtf else []
    for document, path in documents(args.paragraphs, args.pictures).items():
        size = path.stat().st_size / 1e6
        print(f"{path.name}: {size:.1f} MB")
        for name, python in readers:
            found = [measure(__file__, name, path, python) for _ in range(args.repeat)]
            seconds = min(r["seconds"] for r in found)
            print(f"  {name:9s}{size / seconds:8.1f} MB/s {seconds:7.2f} s  {found[0]['count']:>11,} characters"
                  f" | peak RSS +{max(r['peak_mb'] - r['base_mb'] for r in found):.0f} MB")


if __name__ == "__main__":
    main()
