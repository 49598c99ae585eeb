"""Typed reads of TOML values that record a problem, with its key path and line, when one is wrong.

Every getter returns None (or the default) after recording a problem, so a reader goes on
and reports all problems of a file in one pass.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pii_audit.config import RISK_LEVELS, DueDays, Settings
from pii_audit.config_lines import LineFinder

SETTINGS_KEYS = ("entities", "min_score", "full_scan", "sample_rows", "ocr", "guess_layouts", "connect_timeout",
                 "statement_timeout", "due_days", "schedule", "timezone")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MISSING = object()


def dotted(path: tuple) -> str:
    """Return a key path as text.

    >>> dotted(("targets", 2, "schedule"))
    'targets[2].schedule'
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class ValueReader:
    """Read and check values of one configuration file, collecting problems and notes."""

    def __init__(self, base: Path, lines: LineFinder):
        self.base = base  # the configuration file's folder
        self.lines = lines
        self.problems: list[tuple[int | None, str, str]] = []
        self.notes: list[str] = []

    def problem(self, path: tuple, message: str) -> None:
        """Record that the value at ``path`` is wrong, and why."""
        self.problems.append((self.lines.find(path), dotted(path), message))

    def known_keys(self, table: dict, where: tuple, allowed) -> None:
        """Record every key of ``table`` that is not in ``allowed``, suggesting a close one."""
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problem(where + (key,), f"unknown key {key!r}{hint}")

    def value(self, table: dict, key: str, where: tuple, kind: type | tuple, what: str,
              required: bool = False):
        """Return ``table[key]`` when it has type ``kind``; record a problem otherwise."""
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.problem(where + (key,), f"missing; give {what}")
            return None
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            value = _MISSING  # TOML true is not a number
        if value is _MISSING or not isinstance(value, kind):
            self.problem(where + (key,), f"must be {what}")
            return None
        return value

    def table(self, data: dict, path: tuple) -> dict:
        """Return the table at ``data[path[-1]]``, or an empty one (recording a problem)."""
        return self.value(data, path[-1], path[:-1], dict, "a table ([name] section)") or {}

    def text(self, table: dict, key: str, where: tuple, required: bool = False) -> str | None:
        """Return a non-empty string value."""
        value = self.value(table, key, where, str, "a non-empty string", required)
        if value is not None and not value.strip():
            self.problem(where + (key,), "must not be empty")
            return None
        return value

    def strings(self, table: dict, key: str, where: tuple) -> tuple[str, ...] | None:
        """Return a list of non-empty strings as a tuple."""
        value = self.value(table, key, where, list, "a list of strings")
        if value is None:
            return None
        if not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(where + (key,), "must be a list of non-empty strings")
            return None
        return tuple(value)

    def integer(self, table: dict, key: str, where: tuple, minimum: int = 1) -> int | None:
        """Return an integer of at least ``minimum``."""
        value = self.value(table, key, where, int, f"a whole number ≥ {minimum}")
        if value is not None and value < minimum:
            self.problem(where + (key,), f"must be a whole number ≥ {minimum}, not {value}")
            return None
        return value

    def choice(self, table: dict, key: str, where: tuple, choices: tuple) -> str | None:
        """Return a string that is one of ``choices``."""
        value = self.text(table, key, where)
        if value is not None and value not in choices:
            self.problem(where + (key,), f"must be one of {', '.join(choices)}, not {value!r}")
            return None
        return value

    def env_name(self, table: dict, key: str, where: tuple) -> str | None:
        """Return the name of an environment variable (never its value)."""
        value = self.text(table, key, where)
        if value is not None and not _ENV_NAME_RE.match(value):
            self.problem(where + (key,), f"{value!r} is not an environment variable name")
            return None
        return value

    def path(self, table: dict, key: str, where: tuple) -> Path | None:
        """Return a path, relative ones taken from the configuration file's folder."""
        value = self.text(table, key, where)
        return None if value is None else self.base / os.path.expanduser(value)

    def database_url(self, table: dict, key: str, where: tuple) -> str | None:
        """Return a SQLAlchemy URL without a password; a relative SQLite file becomes absolute."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        value = self.text(table, key, where)
        if value is None:
            return None
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):
            self.problem(where + (key,), "is not a database URL (dialect+driver://user@host/db)")
            return None
        if url.password is not None:
            self.problem(where + (key,), "contains a password; remove it from the URL and name "
                         "the environment variable that holds it with password_env = \"NAME\" "
                         "(or put the whole URL in one and use url_env = \"NAME\")")
            return None
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            url = url.set(database=str(self.base / url.database))
        return url.render_as_string(hide_password=True)

    def cron(self, table: dict, key: str, where: tuple) -> str | None:
        """Return a cron expression (5 fields, or @daily-style) that has upcoming times."""
        from croniter import croniter
        from croniter.croniter import CroniterError

        value = self.text(table, key, where)
        if value is None:
            return None
        fields = value.split()
        if not (len(fields) == 5 or (len(fields) == 1 and value.startswith("@"))):
            self.problem(where + (key,), f"bad cron expression {value!r}: need 5 fields "
                         "(minute hour day-of-month month day-of-week), e.g. \"0 2 * * 6\"")
            return None
        try:
            croniter(value, datetime(2000, 1, 1)).get_next(datetime)
        except CroniterError as error:
            self.problem(where + (key,), f"bad cron expression {value!r}: {error}")
            return None
        return value

    def timezone(self, table: dict, key: str, where: tuple) -> str | None:
        """Return an IANA time zone name such as Asia/Shanghai."""
        value = self.text(table, key, where)
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(where + (key,), f"unknown time zone {value!r} (e.g. \"Asia/Shanghai\")")
            return None
        return value

    def entities(self, table: dict, where: tuple) -> tuple[str, ...] | None:
        """Return entity names, each one pii-audit recognizes."""
        from recognizers import ALL_RECOGNIZERS

        names = self.strings(table, "entities", where)
        known = [cls.ENTITY for cls in ALL_RECOGNIZERS]
        for i, name in enumerate(names or ()):
            if name not in known:
                self.problem(where + ("entities", i),
                             f"unknown entity {name!r}; known: {', '.join(known)}")
        return names

    def due_days(self, table: dict, where: tuple, base: DueDays) -> DueDays:
        """Return ``base`` with the days per risk level given in ``table['due_days']``."""
        days = self.table(table, where + ("due_days",)) if "due_days" in table else {}
        self.known_keys(days, where + ("due_days",), RISK_LEVELS)
        given = {lvl: self.integer(days, lvl, where + ("due_days",)) for lvl in RISK_LEVELS}
        return replace(base, **{lvl: d for lvl, d in given.items() if d is not None})

    def settings(self, table: dict, where: tuple, base: Settings = Settings(),
                 extra: tuple = ()) -> Settings:
        """Return ``base`` overridden by the settings in ``table``; check unknown keys."""
        self.known_keys(table, where, SETTINGS_KEYS + extra)
        given = {
            "entities": self.entities(table, where),
            "min_score": self._score(table, where),
            "full_scan": self.value(table, "full_scan", where, bool, "true or false"),
            "sample_rows": self.integer(table, "sample_rows", where),
            "ocr": self.value(table, "ocr", where, bool, "true or false"),
            "guess_layouts": self.value(table, "guess_layouts", where, bool, "true or false"),
            "connect_timeout": self.integer(table, "connect_timeout", where),
            "statement_timeout": self.integer(table, "statement_timeout", where),
            "schedule": self.cron(table, "schedule", where),
            "timezone": self.timezone(table, "timezone", where),
        }
        given = {k: v for k, v in given.items() if v is not None}
        return replace(base, due_days=self.due_days(table, where, base.due_days), **given)

    def _score(self, table: dict, where: tuple) -> float | None:
        value = self.value(table, "min_score", where, (int, float), "a number from 0 to 1")
        if value is not None and not 0 <= value <= 1:
            self.problem(where + ("min_score",), f"must be from 0 to 1, not {value}")
            return None
        return None if value is None else float(value)

    def targets(self, value, defaults: Settings):
        """Return the targets of ``[[targets]]``; see ``pii_audit.config_targets``."""
        from pii_audit.config_targets import read_targets

        return read_targets(self, value, defaults)
