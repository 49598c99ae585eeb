"""Silent losses under random damage, per format: copies of a file with bytes changed at random,
each read as the scan reads it, counted as read whole, told (a problem line), an exception, or
a silent loss (a value the undamaged file gives is missing, and no problem line says so).

Usage:  .venv/bin/python bench/damage.py [--copies 400] [--other OTHER_CHECKOUT] [--only NAME ...]

A silent loss is what non-negotiable 3 forbids: a scan that read less than the file holds passes
as complete, and a rescan takes what it missed for fixed. Files without a checksum (an .rtf, a .doc's
directory) can be damaged into other content no reader can tell from the original, so a few
remain; the figures say how many, and ``--other`` puts another checkout's beside them.

The files are made here once (zip-based ones by ``tests/test_zip_damage.py``'s makers, with fixed
dates; the legacy ones are the test fixtures), the values each holds taken from this checkout's
reading of it, and every checkout reads the same damaged copies (a fixed seed; each copy one to
eight bytes changed, half of them drawn in a zip's directory, never a value's own bytes). Each
checkout runs in a child process that imports it and reads through ``archives.read_attached``,
as an archive's member or an e-mail's attachment is read, by its name and from memory.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import json
import lzma
import random
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
VALUE = re.compile(r"\d{17}[\dX]|1[3-9]\d{9}|62\d{14,17}")  # ID numbers, mobiles, UnionPay cards
LEGACY = {"customers.doc": "word97/customers.doc", "report.doc": "packaged/report.doc",
          "case_review.ppt": "ppt97/case_review.ppt", "book.xls": "ole_properties/book.xls",
          "record.rtf": "rtf/record.rtf"}


def made_files() -> dict[str, bytes]:
    """Return the files damaged, by the name each is read as (its suffix says how)."""
    sys.path[:0] = [str(ROOT), str(TESTS)]
    import test_sources_emails
    import test_sources_pdfs
    import test_zip_damage

    scratch = Path(tempfile.mkdtemp())
    files = {name: make(scratch) for name, make in test_zip_damage.FILES.items()}
    lines = "".join(f"2024-01-05 10:00:{n % 60:02d} INFO 客户{n} 身份证号 {test_zip_damage.ID} 手机 13812345678\n"
                    if n % 50 == 7 else f"2024-01-05 10:00:{n % 60:02d} INFO 批处理第{n}步 完成\n"
                    for n in range(400)).encode()
    files.update({"a.log.gz": gzip.compress(lines, mtime=0), "a.log.bz2": bz2.compress(lines),
                  "a.log.xz": lzma.compress(lines), "批量.tar": _tar(files["批量.zip"], "w"),
                  "批量.tar.gz": _tar(files["批量.zip"], "w:gz")})
    files.update({name: (TESTS / "data" / path).read_bytes() for name, path in LEGACY.items()})
    # The same bytes each run: reportlab's invariant mode leaves out the time and the document id,
    # and the e-mail's boundaries come from the random module.
    from reportlab import rl_config

    rl_config.invariant = 1
    files["回单.pdf"] = test_sources_pdfs.statement(test_sources_pdfs.RECEIPT)
    random.seed(20241129)
    files["审批.eml"] = test_sources_emails.mail()
    return files


def _tar(zipped: bytes, mode: str) -> bytes:
    """Return a tar of the zip's members, dated as they are."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zipped)) as source, tarfile.open(fileobj=out, mode=mode) as packed:
        for name in source.namelist():
            data = source.read(name)
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1704412800
            packed.addfile(info, io.BytesIO(data))
    return out.getvalue()


def texts(items) -> str:
    """Return the text of every chunk and non-empty cell of ``items``, joined."""
    found = []
    for item in items:
        if hasattr(item, "text"):
            found.append(item.text)
        else:
            found += [text for column in item.columns for text in column.texts if text]
    return "\n".join(found)


def read(name: str, data: bytes) -> tuple[str, list[str]]:
    """Read ``data`` as a file named ``name`` with the checkout imported; return its text and problems."""
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.archives import read_attached

    coverage = TargetCoverage(name)
    text = texts(read_attached(name, data, ScanOptions(sample_rows=None), coverage))
    return text, [problem.reason for problem in coverage.problems]


def damaged(rng: random.Random, data: bytes, spared: set[int]) -> bytes:
    """Return ``data`` with one to eight bytes changed, half drawn in a zip's directory (where
    damage loses entries), none in ``spared`` (the values' own bytes)."""
    changed = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    directory = struct.unpack_from("<I", data, end + 16)[0] if end >= 0 and end + 20 <= len(data) else 0
    directory = directory if directory < len(data) else 0
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(directory, len(data)) if directory and rng.random() < 0.5 else rng.randrange(len(data))
        if at not in spared:
            changed[at] = rng.randrange(256)
    return bytes(changed)


def spared_bytes(data: bytes, values: list[str]) -> set[int]:
    """Return the offsets of the values' bytes as stored (ASCII or UTF-16)."""
    spared: set[int] = set()
    for value in values:
        for stored in (value.encode(), value.encode("utf-16-le")):
            at = data.find(stored)
            while at >= 0:
                spared.update(range(at, at + len(stored)))
                at = data.find(stored, at + 1)
    return spared


def child(checkout: str, folder: str, copies: int) -> None:
    """Count each file's outcomes with ``checkout`` imported; print them as JSON."""
    sys.path.insert(0, checkout)
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    counts = {}
    for name, values in manifest.items():
        data = (Path(folder) / f"{len(counts)}.bin").read_bytes()
        rng, spared = random.Random(20241129), spared_bytes(data, values)
        outcome = {"read": 0, "told": 0, "exception": 0, "silent": 0}
        for _ in range(copies):
            copy = damaged(rng, data, spared)
            try:
                text, problems = read(name, copy)
            except Exception:  # noqa: BLE001 -- counted: an exception is what the scan must never let out
                outcome["exception"] += 1
                continue
            if problems:
                outcome["told"] += 1
            else:
                outcome["read" if all(value in text for value in values) else "silent"] += 1
        counts[name] = outcome
    print(json.dumps(counts))


def counted(checkout: Path, folder: str, copies: int) -> dict[str, dict[str, int]]:
    """Run a child for ``checkout``; return its counts."""
    done = subprocess.run([sys.executable, __file__, "--child", str(checkout), folder, str(copies)],
                          capture_output=True, text=True, check=True, cwd=checkout)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=400)
    parser.add_argument("--other", type=Path, help="another checkout, read beside this one")
    parser.add_argument("--only", nargs="*", help="the files to damage (their names below)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    files = {name: data for name, data in made_files().items() if not args.only or name in args.only}
    with tempfile.TemporaryDirectory() as folder:
        manifest = {}
        for number, (name, data) in enumerate(files.items()):
            text, problems = read(name, data)
            assert not problems, (name, problems)  # an undamaged file reads whole
            manifest[name] = sorted(set(VALUE.findall(text)))
            (Path(folder) / f"{number}.bin").write_bytes(data)
        (Path(folder) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
        runs = [("this", counted(ROOT, folder, args.copies))]
        if args.other:
            runs.append(("other", counted(args.other.resolve(), folder, args.copies)))
    print(f"{args.copies} damaged copies of each file; silent: a value missing and no problem line")
    print(f"{'file':18} {'bytes':>7} {'values':>6}  " + "  ".join(
        f"{label + ' read/told/exception/silent':>32}" for label, _ in runs))
    for name, values in manifest.items():
        cells = ["{read}/{told}/{exception}/{silent}".format(**counts[name]) for _, counts in runs]
        print(f"{name:18} {len(files[name]):>7,} {len(values):>6}  " + "  ".join(f"{cell:>32}" for cell in cells))


if __name__ == "__main__":
    main()
