"""When targets are due, from their cron schedules and last runs; and one lock per running target.

A target is due when its latest scheduled time at or before now is after its last run (or it
never ran). So a run missed while the machine was off runs once when it is back, not once per
missed slot. Times are compared as aware datetimes; a naive one is taken as this machine's
local time (Python's own rule for ``astimezone``). Schedules are read in the target's
``timezone`` (IANA name), else in local time.

The lock is ``fcntl.flock`` on a file in the state folder: non-blocking, and released by the
kernel when the holding process dies, however it dies, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping
from zoneinfo import ZoneInfo

from croniter import croniter

from pii_audit.errors import PiiAuditError

if TYPE_CHECKING:  # only for annotations: a lock holder need not import Presidio
    from pii_audit.config import AuditConfig, Target


class TargetBusy(PiiAuditError):
    """Another process is scanning this target now."""


def _aware(moment: datetime, timezone: str | None) -> datetime:
    """Return ``moment`` in the schedule's time zone (local time when None)."""
    return moment.astimezone(ZoneInfo(timezone) if timezone else None)


def latest_slot(target: Target, now: datetime) -> datetime:
    """Return the latest time at or before ``now`` that the target's schedule names.

    croniter's ``get_prev`` is strictly before its start, so start one second past ``now``
    (cron has no finer unit than a minute).
    """
    start = _aware(now, target.settings.timezone).replace(microsecond=0) + timedelta(seconds=1)
    return croniter(target.schedule, start).get_prev(datetime)


def is_due(target: Target, last_run: datetime | None, now: datetime) -> bool:
    """Tell whether the target should run now: never ran, or a slot passed since its last run."""
    if last_run is None:
        return True
    return _aware(last_run, target.settings.timezone) < latest_slot(target, now)


def next_due(target: Target, last_run: datetime | None, now: datetime) -> datetime:
    """Return when the target is due: the slot it is overdue since, else its next slot."""
    slot = latest_slot(target, now)
    if is_due(target, last_run, now):
        return slot
    return croniter(target.schedule, _aware(now, target.settings.timezone)).get_next(datetime)


def due_targets(config: AuditConfig, last_runs: Mapping[str, datetime | None],
                now: datetime) -> list[Target]:
    """Return the targets due at ``now``, in the file's order; a target absent from
    ``last_runs`` never ran."""
    return [t for t in config.targets if is_due(t, last_runs.get(t.name), now)]


def lock_path(state_dir: Path, target_name: str) -> Path:
    """Return the lock file of a target: a readable part of its name plus a hash of all of it.

    >>> lock_path(Path("/s"), "核心 core/db").name
    'core_db-a6e3aac928144b8d.lock'
    """
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", target_name).strip("_.")[:40]
    digest = hashlib.sha256(target_name.encode("utf-8")).hexdigest()[:16]
    return state_dir / f"{readable}-{digest}.lock" if readable else state_dir / f"{digest}.lock"


@contextmanager
def target_lock(state_dir: Path, target_name: str) -> Iterator[Path]:
    """Hold the target's lock while the block runs; raise ``TargetBusy`` if another process has it."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = lock_path(state_dir, target_name)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "unknown"
        os.close(descriptor)
        raise TargetBusy(f"target {target_name!r} is being scanned by another process "
                         f"(pid {holder}; lock {path})") from None
    try:
        # The pid is only for the message above; the lock itself is the flock, never the file.
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
        yield path
    finally:
        os.close(descriptor)  # closing the descriptor releases the flock
