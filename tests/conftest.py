"""Shared fixtures: a fixed fingerprint key, and the repository's paths."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
TEST_KEY = bytes(range(32))

# The screen's compiled database (``pii_audit.screen_cache``) is kept for the run in a folder of
# its own, not in the developer's ~/.cache: each ``pii-audit`` the tests start loads it from there.
os.environ["PII_AUDIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="pii-audit-test-cache-")
atexit.register(shutil.rmtree, os.environ["PII_AUDIT_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def key() -> bytes:
    """A fixed 32-byte fingerprint key, so fingerprints are reproducible in tests."""
    return TEST_KEY


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch):
    """Keep a developer's own PII_AUDIT_KEY out of the tests."""
    monkeypatch.delenv("PII_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PII_AUDIT_KEY_FILE", raising=False)


@pytest.fixture
def workers_at_reads(monkeypatch) -> list[int]:
    """Record, at each ``read_target`` the scan engine makes in this process, how many worker
    processes exist (a connection must not cross a fork: the pool forks before the main process
    reads)."""
    import multiprocessing

    from pii_audit import scan

    seen: list[int] = []
    real_read_target = scan.read_target

    def watched(target, options, coverage):
        seen.append(len(multiprocessing.active_children()))
        return real_read_target(target, options, coverage)

    monkeypatch.setattr(scan, "read_target", watched)
    return seen


@pytest.fixture
def parent_reads(monkeypatch) -> list[str]:
    """Record the documents this process reads as an archive's members are (``read_member``, by
    the name a stored value is read by): a forked worker records in its own copy of the list."""
    from pii_audit.sources import archives

    names: list[str] = []
    real = archives.read_member

    def watched(where, *args, **kwargs):
        names.append(where)
        return real(where, *args, **kwargs)

    monkeypatch.setattr(archives, "read_member", watched)
    return names


@pytest.fixture
def parent_ocr_runs(monkeypatch) -> list[tuple]:
    """Record the tesseract commands this process runs: a forked worker records in its own copy."""
    from pii_audit.sources import images

    runs: list[tuple] = []
    run = subprocess.run

    def counted(command, *args, **kwargs):
        if command[:2] == images.COMMAND[:2]:
            runs.append(command)
        return run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    return runs


def server_url(variable: str) -> str:
    """Return a test server's URL from the environment, or skip with the reason."""
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"${variable} is not set (.ci/run sets it; a laptop may have no server)")
    return url


# A real process that holds a target's lock (pii_audit.schedule.target_lock) until killed.
HOLDER = """
import sys, time
from pathlib import Path
from pii_audit.schedule import target_lock
with target_lock(Path(sys.argv[1]), sys.argv[2]):
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path):
    """Start a real process that holds a target's lock; yield it; kill it at the end."""
    processes = []

    def start(name: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "state"), name],
                                   cwd=REPO, stdout=subprocess.PIPE, text=True)
        processes.append(process)
        assert process.stdout.readline().strip() == "locked"
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
