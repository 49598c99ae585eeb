"""The screen's compiled Hyperscan database kept on disk (``pii_audit.screen_cache``): loaded when
it is ours and intact, compiled anew otherwise, and never needed for a scan to work."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from conftest import REPO
from pii_audit import screen, screen_cache
from pii_audit.detector import build_recognizers

LINES = ("客户开户 身份证号=11010519491231002X 手机=13812345678\n"
         "订单号202406011234567890 已提交\n"
         '{"lxdh":"13912345678"} 卡号 6222021234567890128\n').encode("utf-8")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of this test's, and no database kept in the process."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PII_AUDIT_CACHE_DIR", str(folder))
    screen._compiled.cache_clear()
    yield folder
    screen._compiled.cache_clear()


@pytest.fixture
def compiles(monkeypatch) -> list[int]:
    """Count the compiles: each is followed by one attempt to store its database."""
    counted: list[int] = []
    real_store = screen_cache._store

    def counting_store(database, path):
        counted.append(1)
        real_store(database, path)

    monkeypatch.setattr(screen_cache, "_store", counting_store)
    return counted


def candidates() -> list:
    """The candidate lines of LINES, by a screen built afresh in this process."""
    screen._compiled.cache_clear()
    return screen.Screen(build_recognizers(["CN_MOBILE_PHONE", "CN_RESIDENT_ID", "CN_BANK_CARD"])).candidates(LINES)


def stored(folder) -> list:
    return sorted(folder.glob("screen-*.hsdb"))


def test_compiled_once_then_loaded_with_the_same_hits(cache, compiles):
    first = candidates()
    assert [index for index, *_ in first] == [0, 2]
    assert len(compiles) == 1
    [path] = stored(cache)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert candidates() == first
    assert len(compiles) == 1  # the second screen loaded the file


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_file_is_compiled_again_and_replaced(cache, compiles, damage):
    first = candidates()
    [path] = stored(cache)
    content = path.read_bytes()
    path.write_bytes({"garbage": b"\x00" * 4096, "truncated": content[: len(content) // 2], "empty": b""}[damage])
    assert candidates() == first
    assert len(compiles) == 2
    assert path.read_bytes() == content
    assert candidates() == first and len(compiles) == 2


def test_a_file_others_may_write_is_not_loaded(cache, compiles):
    first = candidates()
    [path] = stored(cache)
    path.chmod(0o666)
    assert candidates() == first
    assert len(compiles) == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # written anew, ours


def test_a_folder_others_may_write_is_neither_read_nor_written(cache, compiles):
    candidates()
    cache.chmod(0o777)
    [path] = stored(cache)
    path.unlink()
    assert candidates()
    assert len(compiles) == 2 and stored(cache) == []


def test_a_symlink_is_not_followed(cache, compiles, tmp_path):
    candidates()
    [path] = stored(cache)
    elsewhere = tmp_path / "elsewhere.hsdb"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert candidates()
    assert len(compiles) == 2
    assert not path.is_symlink()  # replaced by a file of its own


def test_a_cache_that_cannot_be_written_costs_only_the_compile(tmp_path, monkeypatch, compiles):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PII_AUDIT_CACHE_DIR", str(blocker / "cache"))
    assert [index for index, *_ in candidates()] == [0, 2]
    assert [index for index, *_ in candidates()] == [0, 2]
    assert len(compiles) == 2
    screen._compiled.cache_clear()


def test_an_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("PII_AUDIT_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert screen_cache.cache_folder() is None
    assert [index for index, *_ in candidates()] == [0, 2]
    assert list(tmp_path.iterdir()) == []
    screen._compiled.cache_clear()


def test_the_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("PII_AUDIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert screen_cache.cache_folder() == tmp_path / "pii-audit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert screen_cache.cache_folder() == tmp_path / ".cache" / "pii-audit"


def test_at_most_sixteen_files_are_kept_the_oldest_going_first(cache):
    cache.mkdir(mode=0o700)
    for number in range(20):
        old = cache / f"screen-{number:032x}.hsdb"
        old.write_bytes(b"old")
        os.utime(old, (1_000_000 + number, 1_000_000 + number))
    candidates()
    kept = stored(cache)
    assert len(kept) == screen_cache.KEPT_FILES
    assert cache / f"screen-{0:032x}.hsdb" not in kept and cache / f"screen-{19:032x}.hsdb" in kept


def test_every_process_names_the_same_file(tmp_path):
    # The screen's expressions were built from sets, whose order changes with the hash seed:
    # each command compiled a database of its own and the cache never hit.
    folder = tmp_path / "cache"
    program = "from pii_audit.detector import Detector; Detector(bytes(32))"
    for seed in ("1", "2", "3"):
        environment = {**os.environ, "PII_AUDIT_CACHE_DIR": str(folder), "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", program], cwd=REPO, env=environment, check=True)
    assert len(stored(folder)) == 1
