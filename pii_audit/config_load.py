"""Read an ``audit.toml`` into an ``AuditConfig``, collecting every problem instead of the first.

Each problem is an ``Issue``: the file, the line when it can be found, the dotted key
(``targets[2].schedule``) and what is wrong. Relative paths, and relative SQLite URLs, are
taken relative to the configuration file's folder, so a scheduled run works from any folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from pii_audit.config import AuditConfig, KeySource, LedgerSettings, ReportSettings, RunSettings
from pii_audit.config import DEFAULT_KEY_FILE, DEFAULT_LEDGER_FILE, LANGS, REPORT_FORMATS
from pii_audit.config_layouts import read_layouts
from pii_audit.config_lines import LineFinder
from pii_audit.config_values import ValueReader
from pii_audit.errors import ConfigError

TOP_KEYS = ("ledger", "key", "defaults", "targets", "layouts", "run", "reports")
_TOML_POSITION_RE = re.compile(r"\(at line (\d+), column \d+\)$")


@dataclass(frozen=True)
class Issue:
    """One problem in a configuration file, printable as one line."""

    file: Path
    line: int | None
    key: str  # dotted path, "" for the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigInvalid(ConfigError):
    """A configuration file has problems; ``issues`` lists every one."""

    def __init__(self, path: Path, issues: list[Issue]):
        self.path = path
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{path}: {len(issues)} problem(s); nothing was run:\n{lines}")


def load(path: Path) -> AuditConfig:
    """Return the configuration in ``path``; raise ``ConfigInvalid`` listing every problem."""
    config, issues = check(path)
    if issues:
        raise ConfigInvalid(path, issues)
    return config


def check(path: Path) -> tuple[AuditConfig | None, list[Issue]]:
    """Return the configuration (None when it cannot be built) and every problem found."""
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, [_syntax_issue(path, error)]
    values = ValueReader(path.resolve().parent, LineFinder(text))
    config = _config(values, path, data)
    issues = [Issue(path, line, key, message) for line, key, message in values.problems]
    issues.sort(key=lambda issue: issue.line or 0)  # file order; stable within a line
    return (None if issues else config), issues


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist; create one with: pii-audit init") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None


def _syntax_issue(path: Path, error: tomllib.TOMLDecodeError) -> Issue:
    message = str(error)
    match = _TOML_POSITION_RE.search(message)
    line = int(match.group(1)) if match else None
    return Issue(path, line, "", f"not valid TOML: {_TOML_POSITION_RE.sub('', message).strip()}")


def _config(values: ValueReader, path: Path, data: dict) -> AuditConfig:
    values.known_keys(data, (), TOP_KEYS)
    defaults_table = values.table(data, ("defaults",))
    defaults = values.settings(defaults_table, ("defaults",), extra=("lang",))
    lang = values.choice(defaults_table, "lang", ("defaults",), LANGS) or "zh"
    layouts = read_layouts(values, data.get("layouts", []))
    # A layout describes a file format, whichever target's folder holds such files.
    targets = tuple(t if t.kind == "database" else replace(t, layouts=layouts)
                    for t in values.targets(data.get("targets", []), defaults))
    return AuditConfig(
        path=path.resolve(),
        ledger=_ledger(values, values.table(data, ("ledger",))),
        key=_key(values, values.table(data, ("key",))),
        defaults=defaults,
        lang=lang,
        targets=targets,
        layouts=layouts,
        run=_run(values, values.table(data, ("run",))),
        reports=_reports(values, values.table(data, ("reports",))),
        notes=tuple(values.notes) + (() if targets else ("no targets are declared yet",)),
    )


def _ledger(values: ValueReader, table: dict) -> LedgerSettings:
    where = ("ledger",)
    values.known_keys(table, where, ("url", "url_env", "password_env"))
    url_env = values.env_name(table, "url_env", where)
    url = values.database_url(table, "url", where)
    if url and url_env:
        values.problem(where + ("url_env",), "set url or url_env, not both")
    if not url and not url_env:
        url = f"sqlite:///{values.base / DEFAULT_LEDGER_FILE}"
    return LedgerSettings(url=url, url_env=url_env,
                          password_env=values.env_name(table, "password_env", where))


def _key(values: ValueReader, table: dict) -> KeySource:
    where = ("key",)
    values.known_keys(table, where, ("file", "env"))
    env = values.env_name(table, "env", where)
    file = values.path(table, "file", where)
    if file and env:
        values.problem(where + ("env",), "set file or env, not both")
    if env:
        return KeySource(env=env)
    file = file or values.base / DEFAULT_KEY_FILE
    if not file.exists():
        values.notes.append(f"key file {file} does not exist yet (pii-audit init creates one)")
    elif file.stat().st_mode & 0o077:
        values.problem(where + ("file",), f"key file {file} is readable by others; "
                       f"run: chmod 600 {file}")
    return KeySource(file=file)


def _run(values: ValueReader, table: dict) -> RunSettings:
    where = ("run",)
    values.known_keys(table, where, ("state_dir", "summary_file"))
    state_dir = values.path(table, "state_dir", where) or values.base / RunSettings.state_dir
    return RunSettings(state_dir=state_dir, summary_file=values.path(table, "summary_file", where))


def _reports(values: ValueReader, table: dict) -> ReportSettings:
    where = ("reports",)
    values.known_keys(table, where, ("formats", "output_dir"))
    formats = values.strings(table, "formats", where)
    for i, name in enumerate(formats or ()):
        if name not in REPORT_FORMATS:
            values.problem(where + ("formats", i),
                           f"unknown report format {name!r}; known: {', '.join(REPORT_FORMATS)}")
    output_dir = values.path(table, "output_dir", where)
    return ReportSettings(formats=formats or ReportSettings.formats,
                          output_dir=output_dir or values.base / ReportSettings.output_dir)
