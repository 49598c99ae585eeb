"""The audit configuration (``audit.toml``) as frozen dataclasses; every default lives here.

``load_config(path)`` reads and checks a file (``pii_audit.config_load``) and returns an
``AuditConfig``; a wrong file raises ``ConfigInvalid`` listing every problem, one per line.
Secrets are never in the file: passwords and whole URLs come from environment variables the
file names, resolved only when asked (``target.scan_options(env)``, ``ledger.resolve_url(env)``).

Example (what a scan or a scheduled run does with it)::

    config = load_config("audit.toml")            # ConfigInvalid before anything runs
    key = config.key.load()
    for target in config.select(["core-banking"]):  # no names: every target
        options = target.scan_options()           # password from $CORE_DB_PASSWORD
        for location in target.locations():       # a url_env URL comes from the environment
            ...  # read_target(location, options, coverage); owner/department onto the result
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from pii_audit.errors import ConfigError
from pii_audit.sources import ScanOptions
from pii_audit.sources.layouts import Layout

DEFAULT_CONFIG_FILE = "audit.toml"
DEFAULT_LEDGER_FILE = "pii-audit-ledger.db"
DEFAULT_KEY_FILE = "pii-audit.key"
DEFAULT_STATE_DIR = ".pii-audit"  # lock files of running scans
DEFAULT_REPORTS_DIR = "reports"
KINDS = ("database", "files", "spreadsheets")
LANGS = ("zh", "en")
REPORT_FORMATS = ("html", "xlsx", "jsonl")
RISK_LEVELS = ("C3", "C2", "C1")


@dataclass(frozen=True)
class DueDays:
    """Days to remediate a finding, per JR/T 0171-2020 risk level."""

    C3: int = 7
    C2: int = 30
    C1: int = 90

    def as_dict(self) -> dict[str, int]:
        """Return ``{"C3": days, "C2": days, "C1": days}`` (what ``Ledger`` takes)."""
        return {level: getattr(self, level) for level in RISK_LEVELS}


@dataclass(frozen=True)
class Settings:
    """What ``[defaults]`` sets and a target may override."""

    entities: tuple[str, ...] = ()  # empty = every entity pii-audit recognizes
    min_score: float = ScanOptions.min_score  # recognizers.MIN_SCORE, without importing Presidio
    full_scan: bool = False  # True reads every row; False samples ``sample_rows``
    sample_rows: int = ScanOptions.sample_rows
    ocr: bool = False  # True reads text in images by OCR (slow); False counts them as not read
    guess_layouts: bool = ScanOptions.guess_layouts  # a fixed-width file no layout names: its layout guessed
    connect_timeout: int = ScanOptions.connect_timeout  # seconds
    statement_timeout: int = ScanOptions.statement_timeout  # seconds
    due_days: DueDays = DueDays()
    schedule: str | None = None  # cron expression; every target must end up with one
    timezone: str | None = None  # IANA name for the schedule; None = this machine's local time


@dataclass(frozen=True)
class Target:
    """One thing to audit: a database, a set of log/text files or a set of spreadsheets."""

    name: str
    kind: str  # one of KINDS
    owner: str  # 谁的系统谁负责: who remediates what is found here
    department: str = ""
    paths: tuple[str, ...] = ()  # files/spreadsheets: absolute paths or globs
    url: str | None = None  # database: SQLAlchemy URL without a password
    url_env: str | None = None  # database: environment variable holding the whole URL
    password_env: str | None = None  # database: environment variable holding the password
    schemas: tuple[str, ...] = ()  # database: schemas to scan (empty = all visible)
    exclude_schemas: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # globs on file paths, or on ``schema.table``
    exclude: tuple[str, ...] = ()
    settings: Settings = Settings()  # [defaults] with this target's overrides applied
    layouts: tuple[Layout, ...] = ()  # files/spreadsheets: the file's [[layouts]] (headerless batch files)

    @property
    def location(self) -> list[str]:
        """Return where the target is, as written in the file (empty for a ``url_env`` URL)."""
        return [self.url] if self.url else list(self.paths)

    @property
    def entities(self) -> tuple[str, ...]:
        """Return the entities to look for (empty = all)."""
        return self.settings.entities

    @property
    def min_score(self) -> float:
        """Return the minimum score a result needs to count."""
        return self.settings.min_score

    @property
    def due_days(self) -> dict[str, int]:
        """Return days to remediate per risk level."""
        return self.settings.due_days.as_dict()

    @property
    def schedule(self) -> str:
        """Return the cron expression saying when this target is due."""
        return self.settings.schedule or ""

    def locations(self, env: Mapping[str, str] | None = None) -> list[str]:
        """Return what to pass to the source readers, taking a ``url_env`` URL from ``env``."""
        if self.url_env:
            return [_required_env(env, self.url_env, f"the URL of target {self.name!r}")]
        return self.location

    def scan_options(self, env: Mapping[str, str] | None = None) -> ScanOptions:
        """Return the scanner's options for this target, with the password from ``env``."""
        password = None
        if self.password_env:
            password = _required_env(env, self.password_env, f"the password of target {self.name!r}")
        s = self.settings
        return ScanOptions(
            sample_rows=None if s.full_scan else s.sample_rows,
            connect_timeout=s.connect_timeout,
            statement_timeout=s.statement_timeout,
            schemas=self.schemas,
            include=self.include,
            exclude=self.exclude + tuple(f"{schema}.*" for schema in self.exclude_schemas),
            password=password,
            entities=s.entities,
            min_score=s.min_score,
            ocr=s.ocr,
            layouts=self.layouts,
            guess_layouts=s.guess_layouts,
        )


@dataclass(frozen=True)
class LedgerSettings:
    """Where the remediation ledger is: a URL, or an environment variable holding one."""

    url: str | None = None  # None with no url_env: DEFAULT_LEDGER_FILE next to the config
    url_env: str | None = None
    password_env: str | None = None

    def resolve_url(self, env: Mapping[str, str] | None = None) -> str | None:
        """Return the ledger URL with its password from ``env`` (for ``Ledger.open``)."""
        if self.url_env:
            return _required_env(env, self.url_env, "the ledger URL")
        if not self.password_env or self.url is None:
            return self.url
        from sqlalchemy.engine import make_url

        password = _required_env(env, self.password_env, "the ledger password")
        return make_url(self.url).set(password=password).render_as_string(hide_password=False)


@dataclass(frozen=True)
class KeySource:
    """Where the fingerprint key comes from: a key file (0600) or an environment variable."""

    file: Path | None = None
    env: str | None = None

    def load(self, env: Mapping[str, str] | None = None) -> bytes:
        """Return the fingerprint key; a missing key is a ``ConfigError`` saying how to make one."""
        from pii_audit import keys

        if self.env:
            value = _required_env(env, self.env, "the fingerprint key")
            return keys._parse_key(value, f"${self.env}")
        return keys.load_key(self.file, create=False)


@dataclass(frozen=True)
class RunSettings:
    """What a scheduled run uses besides the targets."""

    state_dir: Path = Path(DEFAULT_STATE_DIR)  # lock files; relative to the config file
    summary_file: Path | None = None  # a run's summary is also written here


@dataclass(frozen=True)
class ReportSettings:
    """Which reports a scheduled run writes, and where."""

    formats: tuple[str, ...] = ("html", "xlsx")
    output_dir: Path = Path(DEFAULT_REPORTS_DIR)


@dataclass(frozen=True)
class AuditConfig:
    """A whole ``audit.toml``: ledger, key, defaults, report language, targets, run and reports."""

    path: Path
    ledger: LedgerSettings = LedgerSettings()
    key: KeySource = KeySource()
    defaults: Settings = Settings()
    lang: str = "zh"
    targets: tuple[Target, ...] = ()
    layouts: tuple[Layout, ...] = ()  # [[layouts]]: record layouts of headerless batch files
    run: RunSettings = RunSettings()
    reports: ReportSettings = ReportSettings()
    notes: tuple[str, ...] = field(default=(), compare=False)  # things worth saying, not errors

    def target(self, name: str) -> Target:
        """Return the target called ``name``; an unknown name is a ``ConfigError``."""
        for target in self.targets:
            if target.name == name:
                return target
        known = ", ".join(t.name for t in self.targets) or "none"
        raise ConfigError(f"{self.path}: no target named {name!r}; targets: {known}")

    def select(self, names: tuple[str, ...] | list[str] = ()) -> list[Target]:
        """Return the targets named (in the order given), or every target when none is named."""
        return [self.target(n) for n in names] if names else list(self.targets)


def load_config(path: str | os.PathLike) -> AuditConfig:
    """Read and check an ``audit.toml``; raise ``ConfigInvalid`` listing every problem."""
    from pii_audit.config_load import load

    return load(Path(path))


def _required_env(env: Mapping[str, str] | None, name: str, what: str) -> str:
    value = (os.environ if env is None else env).get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set; it must hold {what}")
    return value
