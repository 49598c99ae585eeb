"""One reader measured in a fresh process: the time and the peak RSS of the read alone.

``bench/xls.py``, ``bench/xlsb.py`` and ``bench/rtf.py`` run each reader in its own subprocess, after its modules
are imported, so that neither an earlier reader's memory nor the imports count: the time starts
after the imports, and the process's peak RSS is reset then (``/proc/self/clear_refs``), so its
``VmHWM`` afterwards is the read's own.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable


def child(imports: Callable[[], None], read: Callable[[str], int], path: str) -> None:
    """Run ``imports()``, then ``read(path)`` (it returns what it counted: rows, characters), and
    print the figures as JSON."""
    imports()
    with open("/proc/self/statm") as statm:
        base_mb = int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak RSS so far (the imports') forgotten: VmHWM is the read's own
    start, cpu = time.perf_counter(), time.process_time()
    count = read(path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    with open("/proc/self/status") as status:
        peak_mb = int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1)) / 1024
    print(json.dumps({"count": count, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "base_mb": base_mb}))


def measure(script: str, name: str, path: Path, python: str = sys.executable) -> dict:
    """Run ``script --child name path`` in a fresh ``python`` (another one: a scratch venv holding a
    library compared with, which finds the project by PYTHONPATH) and return the figures its
    ``child`` printed."""
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([python, script, "--child", name, str(path)], check=True, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": root})
    return json.loads(done.stdout.strip().splitlines()[-1])
