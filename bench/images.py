"""Speed and memory of `pii-audit scan --ocr` on a folder of scanned account-opening forms (影像件).

Usage:  .venv/bin/python bench/images.py [--images 50] [--jobs 1 2] [--budget 160] [--repeat 1] [--worst]

Writes bench/out/images/forms-<N>/ once: N application forms (1600 x 1000, 1.6 MP: a title, a
table of name, ID number, mobile, card and address, turned by up to 2 degrees and blurred as a
scan is; synthetic values), a colour JPEG (a phone's photo) and a grey PNG (a scanner's) in turn.
Then, for each --budget (images.OCR_BUDGET_MIB: what the images a scan reads at once may hold;
80 reads one form at a time, 160 two) and --jobs, prints images/s, MB/s and seconds (best of --repeat runs with nothing watching them) with
the CPU seconds of the whole process tree (tesseract's among them: they move far less than the
wall time when other work shares the machine), then the peak RSS and PSS of the process tree and the largest peak RSS of one tesseract process (one
more run, polled every 20 ms), and how many forms' ID numbers were found.

--worst scans, with --jobs 2, the largest images the limits accept side by side (written once):
a 40 MP grey PNG (3500 x 11428, lines of text and the speckle of a dirty scan, twelve bands) and a 12 MP colour PNG of
noise (4000 x 3000: 46 MiB decoded, just under the cap), and prints the same memory figures.
Figures are noisy when other work runs on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from PIL import Image, ImageDraw, ImageFilter, ImageFont  # noqa: E402

from image_helpers import cjk_font_file  # noqa: E402
from logs import _kib, tree_processes  # noqa: E402
from tests_corpus import card, mobile, resident_id  # noqa: E402

OUT = ROOT / "bench" / "out" / "images"
# Runs the command line with images.OCR_BUDGET_MIB set from the first argument.
RUNNER = ("import sys; from pii_audit.sources import images; images.OCR_BUDGET_MIB = int(sys.argv.pop(1)); "
          "from pii_audit.cli import main; main()")


def application_form(rng: random.Random, font_file: str) -> Image.Image:
    """Return a scanned account-opening form (个人客户开户申请书) of one synthetic customer."""
    image = Image.new("RGB", (1600, 1000), (236, 234, 228))
    draw = ImageDraw.Draw(image)
    title, body = ImageFont.truetype(font_file, 56), ImageFont.truetype(font_file, 30)
    draw.text((60, 40), "个人客户开户申请书", font=title, fill=(20, 20, 20))
    fields = [("姓  名", rng.choice(["张伟", "王芳", "李娜", "刘洋", "陈静"])), ("证件号码", resident_id(rng)),
              ("手机号码", mobile(rng)), ("银行卡号", card(rng)), ("联系地址", "北京市海淀区中关村大街1号")]
    for number, (label, value) in enumerate(fields):
        y = 160 + number * 70
        draw.rectangle((50, y - 10, 1550, y + 55), outline=(0, 0, 0), width=2)
        draw.line((330, y - 10, 330, y + 55), fill=(0, 0, 0), width=2)
        draw.text((70, y), label, font=body, fill=(0, 0, 0))
        draw.text((360, y), value, font=body, fill=(10, 10, 60))
    draw.text((1000, 850), "客户签字：", font=body, fill=(0, 0, 0))
    image = image.rotate(rng.uniform(-2, 2), resample=Image.Resampling.BICUBIC, fillcolor=(236, 234, 228))
    return image.filter(ImageFilter.GaussianBlur(0.8))


def write_forms(count: int) -> Path:
    """Write ``count`` forms once; return their folder."""
    folder = OUT / f"forms-{count}"
    if folder.exists() and len(list(folder.iterdir())) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng, font_file = random.Random(20240105), cjk_font_file()
    for number in range(count):
        image = application_form(rng, font_file)
        if number % 2:
            image.convert("L").save(folder / f"申请书{number:03d}.png")
        else:
            image.save(folder / f"申请书{number:03d}.jpg", quality=85)
    return folder


def write_worst() -> Path:
    """Write once the largest images the limits accept (see the module's docstring)."""
    folder = OUT / "worst"
    if folder.exists():
        return folder
    folder.mkdir(parents=True)
    rng, font = random.Random(7), ImageFont.truetype(cjk_font_file(), 36)
    tall = Image.new("L", (3500, 11428), 255)
    draw = ImageDraw.Draw(tall)
    for y in range(40, 11428 - 60, 64):
        draw.text((40, y), f"客户 {resident_id(rng)} 手机 {mobile(rng)} 卡号 {card(rng)} 地址 北京市海淀区", font=font,
                  fill=0)
    speckle = Image.effect_noise((3500, 11428), 40).point(lambda v: 0 if v < 40 else 255)
    Image.composite(speckle, tall, speckle.point(lambda v: 255 if v == 0 else 0)).save(folder / "tall-40mp.png")
    Image.merge("RGB", [Image.effect_noise((4000, 3000), 90) for _ in range(3)]).save(folder / "noise-12mp.png")
    return folder


def measured(argv: list[str]) -> tuple[float, int, int, int, str]:
    """Run a command polled every 20 ms; return seconds, peak RSS and PSS of its tree, the largest
    peak RSS of a tesseract process in it (bytes) and its output."""
    out = OUT / "command.out"
    start = time.perf_counter()
    with open(out, "wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, cwd=ROOT)
        peak_rss = peak_pss = peak_tesseract = 0
        while process.poll() is None:
            rss, pss, tesseract = _tree(process.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            peak_tesseract = max(peak_tesseract, tesseract)
            time.sleep(0.02)
    return time.perf_counter() - start, peak_rss, peak_pss, peak_tesseract, out.read_text("utf-8")


def _tree(pid: int) -> tuple[int, int, int]:
    """Return the summed RSS and PSS of a process tree and the largest VmHWM of a tesseract in it."""
    rss = pss = tesseract = 0
    for status, rollup in tree_processes(pid):
        rss += _kib(status, "VmRSS:")
        pss += _kib(rollup, "Pss:")
        if re.search(r"^Name:\s+tesseract$", status, re.M):
            tesseract = max(tesseract, _kib(status, "VmHWM:"))
    return rss, pss, tesseract


def timed(argv: list[str]) -> tuple[float, float]:
    """Run a command; return its wall seconds and the CPU seconds of its whole tree (workers and
    tesseract processes included): the CPU time moves far less than the wall time when other
    work shares the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, cwd=ROOT, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def command(budget: int, jobs: int, folder: Path) -> list[str]:
    return [sys.executable, "-c", RUNNER, str(budget), "scan", "-q", "--ocr", "--jobs", str(jobs), str(folder)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--budget", type=int, nargs="+", default=[160])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--worst", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PII_AUDIT_KEY", "ab" * 32)
    os.environ["PYTHONPATH"] = str(ROOT)
    folder = write_forms(args.images)
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"{args.images} forms, {size / 2**20:.1f} MiB, in {folder}")
    for budget in args.budget:
        for jobs in args.jobs:
            best, cpu = min(timed(command(budget, jobs, folder)) for _ in range(args.repeat))
            seconds, rss, pss, tesseract, _ = measured(command(budget, jobs, folder))
            found = _summary(folder, budget, jobs)
            print(f"budget {budget} MiB  --jobs {jobs}: {args.images / best:5.2f} images/s  {size / 2**20 / best:5.2f} "
                  f"MB/s  {best:6.1f} s ({cpu:6.1f} s CPU, {args.images / cpu:4.2f} images a CPU second)   "
                  f"polled run {seconds:6.1f} s, peak RSS {rss / 2**20:4.0f} MiB, "
                  f"PSS {pss / 2**20:4.0f} MiB, one tesseract {tesseract / 2**20:4.0f} MiB   ID numbers found in "
                  f"{found} of {args.images} forms")
    if args.worst:
        worst = write_worst()
        for budget in args.budget:
            seconds, rss, pss, tesseract, output = measured(command(budget, 2, worst))
            print(f"worst images, budget {budget} MiB  --jobs 2: {seconds:6.1f} s, peak RSS {rss / 2**20:4.0f} MiB, "
                  f"PSS {pss / 2**20:4.0f} MiB, one tesseract {tesseract / 2**20:4.0f} MiB; {output.strip()}")


def _summary(folder: Path, budget: int, jobs: int) -> int:
    """Return in how many forms a scan finds an ID number (the summary's lines, not quiet)."""
    argv = [a for a in command(budget, jobs, folder) if a != "-q"]
    output = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False).stdout
    return sum(1 for line in output.splitlines() if line.strip().startswith("CN_RESIDENT_ID in "))


if __name__ == "__main__":
    main()
