"""Speed of `pii-audit scan` on >= 200 MB of synthetic Chinese logs, against Presidio and grep.

Usage:  .venv/bin/python bench/logs.py [--mb 200] [--pi-share 4] [--jobs 1 2] [--repeat 2]

Writes bench/out/logs/app-<MB>mb.log once (kept between runs; synthetic values only; 4% of its
lines carry personal information, or --pi-share percent, in app-<MB>mb-pi<share>.log), then prints:
  * pii-audit scan --jobs N: MB/s and seconds (best of --repeat runs with nothing watching them),
    then the peak RSS and PSS of its process tree in one more run, polled every 20 ms (reading
    smaps_rollup that often took a core's share from the two workers: +8% on --jobs 2, measured);
  * Presidio's AnalyzerEngine (recognizers.build_analyzer()) on the first 10,000 lines, best of 3
    before the scans and 3 after, the faster taken, extrapolated to the whole file (target: scan
    >= 50x faster);
  * grep -P -o with a candidate pattern under LC_ALL=C over the same file (the speed limit;
    target: scan --jobs 1 within 4x of it);
  * the scan's start-up (the same command on an empty log: Python and Presidio's imports), and
    the rate without it, as on a file far larger than this one;
  * with --compressed, the same scans of the corpus as .gz, .zst, in a tar.gz and in a .7z (written
    once), which the main process decompresses for the workers, beside the plain file's time.
Figures are noisy when other work runs on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from tests_corpus import card, resident_id  # noqa: E402

OUT = ROOT / "bench" / "out" / "logs"
GREP_PATTERN = r"\d{15}|1\d{2}[ \-]?[\d*]{4}[ \-]?\d{4}|\d{4}[ \-]\d{4}[ \-]\d{4}"
CLASSES = ["c.b.core.account.AccountService", "c.b.pay.TransferController", "c.b.loan.CreditCheck",
           "c.b.gateway.AccessFilter", "c.b.batch.SettleJob", "c.b.cust.CustomerInfoService"]
ORDINARY = ["查询账户余额成功, 耗时={ms}ms", "用户登录成功 sessionId={hex}", "心跳检测正常 node={n}",
            "交易流水号={order} 状态=SUCCESS 金额={amount}元", "缓存命中率 {pct}%, 队列长度={n}",
            "调用核心系统超时, 重试第{n}次", "订单号{order}已提交, 渠道=MOBILE", "批量任务完成 处理{n}条 耗时{ms}ms",
            "GET /api/v1/accounts/{n}/summary 200 {ms}ms", "定时任务启动 traceId={hex}"]
WITH_PI = ["客户开户成功 身份证号={id} 手机={mobile}", "绑卡请求 卡号={card} 预留手机{mobile}",
           "实名认证失败 证件号码：{id}", '{{"event":"transfer","payeeCard":"{card}","mobile":"{mobile}"}}',
           "短信已发送至{masked_mobile}", "客户信息更新 idNo={masked_id} phone={mobile}"]


def log_line(rng: random.Random, people: list[tuple[str, str, str]], when: int, pi_share: float = 0.04) -> str:
    """Return one log line; a ``pi_share`` of them (4%) carry personal information."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when)) + f".{rng.randrange(1000):03d}"
    head = f"{stamp} [exec-{rng.randrange(64)}] {rng.choice(['INFO ', 'INFO ', 'DEBUG', 'WARN '])} " \
           f"{rng.choice(CLASSES)} - "
    pid, pmobile, pcard = rng.choice(people)
    template = rng.choice(WITH_PI) if rng.random() < pi_share else rng.choice(ORDINARY)
    return head + template.format(
        ms=rng.randrange(2000), hex=f"{rng.getrandbits(64):016x}", n=rng.randrange(10000),
        order=f"2024{rng.randrange(10**14):014d}", amount=f"{rng.randrange(10**6)}.{rng.randrange(100):02d}",
        pct=rng.randrange(100), id=pid, mobile=pmobile, card=pcard,
        masked_mobile=pmobile[:3] + "****" + pmobile[7:], masked_id=pid[:6] + "********" + pid[-4:])


def generate(path: Path, megabytes: int, pi_share: float = 0.04) -> None:
    """Write ``megabytes`` MB of log lines to ``path`` unless it is there already."""
    if path.exists() and path.stat().st_size >= megabytes * 10**6:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2024)
    people = [(resident_id(rng), "13" + f"{rng.randrange(10**9):09d}", card(rng)) for _ in range(20000)]
    when, written = 1_710_000_000, 0
    with open(path, "w", encoding="utf-8") as handle:
        while written < megabytes * 10**6:
            block = "\n".join(log_line(rng, people, when + i // 50, pi_share) for i in range(10000)) + "\n"
            when += 200
            written += handle.write(block) and len(block.encode("utf-8"))


def run_timed(argv: list[str], env: dict | None = None) -> tuple[float, int]:
    """Run a command with nothing polling it; return its wall seconds and exit code (output to a
    file, as in ``run_measured``)."""
    start = time.perf_counter()
    with open(OUT.parent / "command.out", "wb") as sink:
        code = subprocess.run(argv, stdout=sink, env=env, cwd=ROOT).returncode
    return time.perf_counter() - start, code


def run_measured(argv: list[str], env: dict | None = None) -> tuple[float, int, int, int]:
    """Run a command; return its wall seconds, the peak RSS and the peak PSS of its process tree
    (bytes) and its exit code.

    RSS summed over processes counts the pages that forked workers share with their parent once
    per process; PSS divides each shared page among its sharers, so its sum is the memory the tree
    really holds. Output goes to a file, not /dev/null: GNU grep stops at the first match when it
    sees /dev/null.

    Commands run in this checkout's root: ``python -m pii_audit`` imports from the working
    directory before $PYTHONPATH, so a bench of another checkout run from here measured this one.
    """
    start = time.perf_counter()
    with open(OUT.parent / "command.out", "wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, env=env, cwd=ROOT)
        peak_rss = peak_pss = 0
        while process.poll() is None:
            rss, pss = tree_memory(process.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.02)
    return time.perf_counter() - start, peak_rss, peak_pss, process.returncode


def tree_memory(pid: int) -> tuple[int, int]:
    """Return the summed RSS and PSS of a process and its descendants, in bytes."""
    rss = pss = 0
    for status, rollup in tree_processes(pid):
        rss += _kib(status, "VmRSS:")
        pss += _kib(rollup, "Pss:")
    return rss, pss


def tree_processes(pid: int) -> Iterator[tuple[str, str]]:
    """Yield the ``/proc`` status and smaps_rollup of a process and of each of its descendants."""
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        yield status, rollup
        todo.extend(int(c) for c in children)


def _kib(text: str, field: str) -> int:
    return next((int(line.split()[1]) * 1024 for line in text.splitlines() if line.startswith(field)), 0)


def presidio_rate(path: Path, lines: int = 10_000, repeat: int = 3) -> float:
    """Return Presidio AnalyzerEngine's bytes/s over the first ``lines`` lines of the file, best
    of ``repeat`` passes (a 2,000-line sample measured anywhere from 0.43 to 1.20 MB/s)."""
    from recognizers import build_analyzer

    analyzer = build_analyzer()
    with open(path, encoding="utf-8") as handle:
        sample = [next(handle).rstrip("\n") for _ in range(lines)]
    analyzer.analyze(sample[0], language="zh")
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for line in sample:
            analyzer.analyze(line, language="zh")
        best = min(best, time.perf_counter() - start)
    return sum(len(l.encode("utf-8")) + 1 for l in sample) / best


def main() -> None:
    """Generate the corpus and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2], help="none: baselines only")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each command, best taken")
    parser.add_argument("--pi-share", type=float, default=4.0,
                        help="percent of lines that carry personal information (the scan's cost grows with it)")
    parser.add_argument("--compressed", action="store_true",
                        help="also scan the corpus as .gz, .zst, in a .tar.gz and in a .7z")
    args = parser.parse_args()
    # One file per size and share: --mb 200 never measures a larger one.
    path = OUT / (f"app-{args.mb}mb.log" if args.pi_share == 4.0 else f"app-{args.mb}mb-pi{args.pi_share:g}.log")
    generate(path, args.mb, args.pi_share / 100)
    size = path.stat().st_size
    mb = size / 1e6
    # Bytecode cached as an installed package has it: PYTHONDONTWRITEBYTECODE would make every
    # start compile the project's modules again.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env.update(PII_AUDIT_KEY="ab" * 32, PYTHONPATH=str(ROOT))
    print(f"corpus: {path} {mb:.0f} MB, {os.cpu_count()} cores (noisy if others are running)")
    grep_s = min(run_timed(["grep", "-P", "-o", GREP_PATTERN, str(path)], env={**os.environ, "LC_ALL": "C"})[0]
                 for _ in range(args.repeat))
    print(f"{'grep -P -o (LC_ALL=C)':<28} {mb / grep_s:8.1f} MB/s {grep_s:7.2f} s  (speed limit)")
    # Measured before and after the scans, the faster taken: the machine's speed drifts within
    # minutes, and a baseline caught in a slow phase would flatter the scan.
    before = presidio_rate(path) / 1e6
    empty = OUT / "empty.log"
    empty.write_bytes(b"")
    startup = min(run_timed(scan_command(1, empty), env=env)[0] for _ in range(3))
    scans = []
    for jobs in args.jobs:
        seconds = min(run_timed(scan_command(jobs, path), env=env)[0] for _ in range(args.repeat))
        _, rss, pss, code = run_measured(scan_command(jobs, path), env=env)
        scans.append((jobs, seconds, rss, pss, code))
    after = presidio_rate(path) / 1e6
    presidio = max(before, after)
    print(f"{'Presidio AnalyzerEngine':<28} {presidio:8.2f} MB/s {mb / presidio:7.0f} s  (extrapolated "
          f"from 10,000 lines, best of 3 before the scans, {before:.2f} MB/s, and 3 after, {after:.2f})")
    print(f"{'start-up (empty log)':<28} {'':>13} {startup:7.2f} s")
    for jobs, seconds, rss, pss, code in scans:
        rate, steady = mb / seconds, mb / max(seconds - startup, 1e-9)
        print(f"{f'pii-audit scan --jobs {jobs}':<28} {rate:8.1f} MB/s {seconds:7.2f} s  "
              f"peak RSS {rss / 2**20:4.0f} MiB, PSS {pss / 2**20:4.0f} MiB  exit {code}  "
              f"{rate / presidio:6.0f}x Presidio  grep/scan {grep_s and seconds / grep_s:5.1f}x")
        print(f"{'  without start-up':<28} {steady:8.1f} MB/s {seconds - startup:7.2f} s  "
              f"{'':35}{steady / presidio:6.0f}x Presidio  grep/scan {grep_s and (seconds - startup) / grep_s:5.1f}x")
    if args.compressed:
        plain = {jobs: seconds for jobs, seconds, *_ in scans}
        for copy in compressed_copies(path):
            for jobs in args.jobs:
                seconds = min(run_timed(scan_command(jobs, copy), env=env)[0] for _ in range(args.repeat))
                _, _, pss, code = run_measured(scan_command(jobs, copy), env=env)
                print(f"{f'{copy.name} --jobs {jobs}':<28} {mb / seconds:8.1f} MB/s {seconds:7.2f} s  "
                      f"peak PSS {pss / 2**20:4.0f} MiB  exit {code}  {seconds / plain[jobs]:5.2f}x the plain file's time")


def compressed_copies(path: Path) -> list[Path]:
    """Return the corpus gzipped, zstd-compressed, in a tar.gz and in a 7z, written once beside it."""
    import gzip
    import shutil
    import tarfile

    import libarchive

    from pii_audit.sources.streams import zstd

    gzipped, archived = path.with_name(path.name + ".gz"), path.with_name(path.stem + ".tar.gz")
    zstded = path.with_name(path.name + ".zst")
    if not gzipped.exists():
        with open(path, "rb") as source, gzip.open(gzipped, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
    if not zstded.exists():
        with open(path, "rb") as source, zstd.open(zstded, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
    if not archived.exists():
        with tarfile.open(archived, "w:gz") as archive:
            archive.add(path, path.name)
    sevenzip = path.with_name(path.stem + ".7z")
    if not sevenzip.exists():  # LZMA, as 7-Zip writes by default; libarchive reads the file in blocks
        with libarchive.file_writer(str(sevenzip), "7zip") as archive:
            archive.add_files(str(path), pathname=path.name)
    return [gzipped, zstded, archived, sevenzip]


def scan_command(jobs: int, path: Path) -> list[str]:
    """Return the argv of ``pii-audit scan`` with ``jobs`` workers on one file."""
    return [sys.executable, "-m", "pii_audit", "scan", "-q", "--jobs", str(jobs), str(path)]


if __name__ == "__main__":
    main()
