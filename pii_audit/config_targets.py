"""Read the ``[[targets]]`` of an ``audit.toml``: name, kind, location, owner, schedule, overrides."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from pii_audit.config import KINDS, Settings, Target
from pii_audit.config_values import ValueReader

COMMON_KEYS = ("name", "kind", "owner", "department")
PATH_KEYS = ("paths", "include", "exclude")
KIND_KEYS = {
    "files": PATH_KEYS,
    "spreadsheets": PATH_KEYS,
    "database": ("url", "url_env", "password_env", "schemas", "exclude_schemas", "include",
                 "exclude"),
}


def read_targets(values: ValueReader, value, defaults: Settings) -> tuple[Target, ...]:
    """Return every well-formed target; record problems, duplicate names included."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        values.problem(("targets",), "must be a list of [[targets]] tables")
        return ()
    seen: dict[str, int] = {}
    for i, table in enumerate(value):
        name = table.get("name")
        if not isinstance(name, str):
            continue  # read_target says what is wrong with it
        if name in seen:
            values.problem(("targets", i, "name"),
                           f"duplicate target name {name!r} (also targets[{seen[name]}])")
        seen.setdefault(name, i)
    targets = [read_target(values, table, ("targets", i), defaults) for i, table in enumerate(value)]
    return tuple(t for t in targets if t is not None)


def read_target(values: ValueReader, table: dict, where: tuple, defaults: Settings) -> Target | None:
    """Return one target, or None when it has a problem (recorded)."""
    kind = values.text(table, "kind", where, required=True)
    if kind is not None and kind not in KINDS:
        values.problem(where + ("kind",), f"must be one of {', '.join(KINDS)}, not {kind!r}")
        kind = None
    kind_keys = KIND_KEYS[kind] if kind else tuple(k for keys in KIND_KEYS.values() for k in keys)
    count = len(values.problems)
    name = values.text(table, "name", where, required=True)
    owner = values.text(table, "owner", where, required=True)
    department = values.text(table, "department", where) or ""
    settings = values.settings(table, where, defaults, extra=COMMON_KEYS + kind_keys)
    if settings.schedule is None and "schedule" not in table:
        values.problem(where + ("schedule",), "missing; give a cron expression here or in [defaults]")
    location = {}
    if kind == "database":
        location = _database(values, table, where)
    elif kind:
        location = _files(values, table, where)
    if len(values.problems) > count or kind is None:
        return None
    return Target(name=name, kind=kind, owner=owner, department=department, settings=settings,
                  **location)


def _files(values: ValueReader, table: dict, where: tuple) -> dict:
    paths = values.strings(table, "paths", where)
    if paths is None and "paths" not in table:
        values.problem(where + ("paths",), "missing; give a list of files, folders or globs")
    resolved = tuple(str(values.base / os.path.expanduser(p)) for p in paths or ())
    for i, path in enumerate(resolved):
        _check_readable(values, path, where + ("paths", i))
    return {"paths": resolved, "include": values.strings(table, "include", where) or (),
            "exclude": values.strings(table, "exclude", where) or ()}


def _database(values: ValueReader, table: dict, where: tuple) -> dict:
    url = values.database_url(table, "url", where)
    url_env = values.env_name(table, "url_env", where)
    if "url" not in table and "url_env" not in table:
        values.problem(where + ("url",), "missing; give url (without a password) or url_env")
    elif url and url_env:
        values.problem(where + ("url_env",), "set url or url_env, not both")
    if url and url.startswith("sqlite:///"):
        _check_readable(values, url.removeprefix("sqlite:///"), where + ("url",))
    return {
        "url": url, "url_env": url_env,
        "password_env": values.env_name(table, "password_env", where),
        "schemas": values.strings(table, "schemas", where) or (),
        "exclude_schemas": values.strings(table, "exclude_schemas", where) or (),
        "include": values.strings(table, "include", where) or (),
        "exclude": values.strings(table, "exclude", where) or (),
    }


def _check_readable(values: ValueReader, path: str, where: tuple) -> None:
    """Record a path that does not exist or cannot be read; for a glob, check its fixed folder."""
    if glob.has_magic(path):
        fixed = Path(path)
        while glob.has_magic(str(fixed)):
            fixed = fixed.parent
        if not fixed.is_dir() or not os.access(fixed, os.R_OK | os.X_OK):
            values.problem(where, f"unreadable path: folder {fixed} of {path} does not exist "
                           "or cannot be read")
        return
    if not os.path.exists(path):
        values.problem(where, f"unreadable path: {path} does not exist")
    elif not os.access(path, os.R_OK):
        values.problem(where, f"unreadable path: {path}: permission denied")
