"""Due times from cron schedules and last runs, and per-target locks held by real processes."""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pii_audit.config import AuditConfig, Settings, Target
from pii_audit.schedule import (TargetBusy, due_targets, is_due, latest_slot, lock_path,
                                next_due, target_lock)

SH = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parent.parent


def target(schedule="0 2 * * *", name="core", tz="Asia/Shanghai") -> Target:
    return Target(name=name, kind="files", owner="张三", paths=("/x",),
                  settings=Settings(schedule=schedule, timezone=tz))


def at(day, hour, minute=0, second=0) -> datetime:
    return datetime(2024, 5, day, hour, minute, second, tzinfo=SH)


@pytest.mark.parametrize("last_run, now, due", [
    pytest.param(None, at(4, 1), True, id="never-ran"),
    pytest.param(at(3, 2, 5), at(4, 1, 59), False, id="before-todays-slot"),
    pytest.param(at(3, 2, 5), at(4, 2, 0, 0), True, id="exactly-at-slot"),
    pytest.param(at(3, 2, 5), at(4, 2, 0, 30), True, id="just-after-slot"),
    pytest.param(at(4, 2, 0, 0), at(4, 2, 0, 30), False, id="ran-at-the-slot"),
    pytest.param(at(4, 2, 1), at(4, 23), False, id="ran-after-todays-slot"),
    pytest.param(at(4, 3), at(4, 2), False, id="last-run-in-the-future"),
])
def test_is_due_daily(last_run, now, due):
    assert is_due(target(), last_run, now) is due


def test_missed_slots_run_once():
    """Off for a week: due once now; once it ran, not due again until the next slot."""
    daily, now = target(), at(11, 9)
    assert is_due(daily, at(4, 2, 10), now)
    ran = now + timedelta(minutes=20)
    assert not is_due(daily, ran, ran + timedelta(minutes=1))
    assert next_due(daily, ran, ran) == at(12, 2)


def test_next_due_is_the_overdue_slot_or_the_next_one():
    weekly = target("0 2 * * 6")  # Saturdays; 2024-05-04 is a Saturday
    assert next_due(weekly, None, at(8, 12)) == at(4, 2)
    assert next_due(weekly, at(4, 3), at(8, 12)) == at(11, 2)
    assert next_due(weekly, at(1, 3), at(8, 12)) == at(4, 2)


def test_schedule_is_read_in_the_target_time_zone():
    """02:00 in Shanghai is 18:00 UTC the day before; times given in UTC compare right."""
    utc = timezone.utc
    now = datetime(2024, 5, 3, 18, 30, tzinfo=utc)
    assert latest_slot(target(), now) == at(4, 2)
    assert is_due(target(), datetime(2024, 5, 3, 17, 0, tzinfo=utc), now)
    assert not is_due(target(), datetime(2024, 5, 3, 18, 5, tzinfo=utc), now)
    assert not is_due(target(tz="UTC"), datetime(2024, 5, 3, 2, 5, tzinfo=utc), now)


def test_naive_times_are_local_time():
    local = target(tz=None)
    assert is_due(local, datetime(2024, 5, 3, 2, 5), datetime(2024, 5, 4, 2, 1))
    assert not is_due(local, datetime(2024, 5, 4, 2, 5), datetime(2024, 5, 4, 9))


def test_due_targets_keeps_file_order_and_treats_absent_as_never_ran():
    config = AuditConfig(path=Path("audit.toml"), targets=(
        target(name="a"), target("0 * * * *", name="b"), target(name="c"), target(name="d")))
    now = at(4, 10, 30)
    last = {"a": at(4, 2, 10), "b": at(4, 9, 15), "c": at(3, 2, 10), "d": None}
    assert [t.name for t in due_targets(config, last, now)] == ["b", "c", "d"]
    assert due_targets(config, {n: now for n in "abcd"}, now) == []



def test_lock_held_by_another_process_refuses_then_frees_on_its_death(tmp_path, holder):
    state = tmp_path / "state"
    process = holder("core")
    with pytest.raises(TargetBusy, match=rf"'core' is being scanned .*pid {process.pid}"):
        with target_lock(state, "core"):
            pytest.fail("the lock was taken twice")
    os.kill(process.pid, signal.SIGKILL)  # no cleanup runs: the kernel must release the lock
    process.wait()
    with target_lock(state, "core") as path:
        assert path.read_text().strip() == str(os.getpid())


def test_locks_of_different_targets_are_independent(tmp_path, holder):
    holder("核心系统")
    with target_lock(tmp_path / "state", "日志") as path:
        assert path.exists()
    with pytest.raises(TargetBusy):
        with target_lock(tmp_path / "state", "核心系统"):
            pass


def test_lock_is_released_when_the_block_ends(tmp_path, holder):
    state = tmp_path / "state"
    with target_lock(state, "core"):
        pass
    holder("core")  # a new process takes it at once


def test_lock_files_are_private(tmp_path):
    state = tmp_path / "state"
    with target_lock(state, "core/../x") as path:
        assert path.parent == state and path == lock_path(state, "core/../x")
        assert path.stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700
