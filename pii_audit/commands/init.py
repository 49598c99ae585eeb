"""``pii-audit init [DIR]``: write an example audit.toml, a fingerprint key and an empty ledger."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pii_audit.config import DEFAULT_CONFIG_FILE, DEFAULT_KEY_FILE, LedgerSettings
from pii_audit.errors import ConfigError
from pii_audit.keys import KEY_ENV, create_key_file, load_key

# Every active value below is a default, so a fresh file passes `pii-audit config check`.
# The [[targets]] are commented examples; the tests uncomment them and check them too.
TEMPLATE = '''\
# pii-audit configuration. Check it with: pii-audit config check --config {config_name}
# Relative paths (and relative sqlite:/// files) are taken from this file's folder.
# Secrets never go in this file: name the environment variables that hold them.

[ledger]
# The remediation ledger: a SQLite file here by default, or any SQLAlchemy URL
# (without its password: add password_env = "NAME", or put the whole URL in url_env).
url = "sqlite:///pii-audit-ledger.db"

[key]
# The secret key of value fingerprints (HMAC-SHA256): a 0600 key file, or env = "VAR".
# Keep a copy somewhere safe: without it, fingerprints of old and new scans no longer match.
{key_line}

[defaults]
# Any of these may be set again in a target to override it there.
entities = []                 # empty = all; see `pii-audit entities`
min_score = 0.5               # results scoring below this are not counted
full_scan = false             # false reads the first sample_rows rows of each table/sheet
sample_rows = 1000
ocr = false                   # true reads text in scans and photos by OCR (slow; needs tesseract)
guess_layouts = true          # a fixed-width batch file no [[layouts]] names: read with the layout its records show
connect_timeout = 10          # seconds
statement_timeout = 300       # seconds, per database statement
schedule = "0 2 * * 6"        # cron: minute hour day-of-month month day-of-week (Sat 02:00)
# timezone = "Asia/Shanghai"  # of the schedules; this machine's local time when not set
lang = "zh"                   # report language: zh or en
due_days = {{ C3 = 7, C2 = 30, C1 = 90 }}   # days to remediate, per JR/T 0171-2020 level

[run]
state_dir = ".pii-audit"      # lock files of running scans
# summary_file = "last-run.txt"

[reports]
formats = ["html", "xlsx"]    # html, xlsx, jsonl
output_dir = "reports"

# ---- Targets: uncomment and edit. Each needs name, kind, owner and a location. ----
#
# [[targets]]
# name = "core-banking"
# kind = "database"             # database, files or spreadsheets
# url = "postgresql+psycopg://pii_audit_ro@db.example.internal:5432/core"
# password_env = "CORE_DB_PASSWORD"
# schemas = ["public"]          # empty = every schema the account can see
# exclude_schemas = ["audit_tmp"]
# include = ["public.kh_*"]     # globs on schema.table
# exclude = ["public.*_bak"]
# owner = "张伟"
# department = "信息科技部"
# schedule = "30 1 * * *"       # every night at 01:30
# full_scan = true
# due_days = {{ C3 = 3 }}
#
# [[targets]]
# name = "app-logs"
# kind = "files"
# paths = ["logs/app/*.log*"]   # files, folders or globs
# exclude = ["*.tmp"]
# owner = "李娜"
# department = "运维中心"
# entities = ["CN_RESIDENT_ID", "CN_MOBILE_PHONE"]
#
# [[targets]]
# name = "customer-exports"
# kind = "spreadsheets"
# paths = ["exports"]
# include = ["*.xlsx", "*.csv"]
# owner = "王芳"
# department = "零售银行部"
# min_score = 0.6

# ---- Layouts of headerless batch files (批量文件, 对账文件): uncomment and edit. ----
# A file a layout's globs match (by its path's tail or its name, in any target) is read as a
# table: each record's fields are cells under these column names, as a CSV's under its header.
#
# [[layouts]]
# files = ["**/CUST_*.dat"]     # globs
# encoding = "gb18030"          # optional: UTF-8 or GB18030, decided from the file, otherwise
# widths = [8, 4, 20, 18, 11, 19, 12]    # fixed-width: bytes of each field, in that encoding
# columns = ["交易日期", "序号", "姓名", "证件号码", "手机号", "银行卡号", "金额"]
# skip_lines = 1                # lines before the records (a line of totals)
#
# [[layouts]]
# files = ["batch/JYMX_*.txt"]
# delimiter = "|"               # or "^", "\\t": a delimited file
# columns = ["流水号", "姓名", "金额", "地址", "状态"]
'''


def render_template(use_env_key: bool) -> str:
    """Return the example audit.toml, naming the key file or the key's environment variable."""
    key_line = f'env = "{KEY_ENV}"' if use_env_key else f'file = "{DEFAULT_KEY_FILE}"'
    return TEMPLATE.format(config_name=DEFAULT_CONFIG_FILE, key_line=key_line)


def _write_config(path: Path, text: str) -> None:
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; refusing to overwrite it") from None
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None


def _key(directory: Path, use_env_key: bool) -> tuple[bytes, str]:
    """Return the fingerprint key and a line saying where it came from."""
    if use_env_key:
        return load_key(), f"using the key in ${KEY_ENV} (no key file written)"
    path = directory / DEFAULT_KEY_FILE
    if path.exists():
        return load_key(path, create=False), f"kept the existing key file {path}"
    return create_key_file(path), f"created {path} (mode 0600; keep it secret, back it up)"


def _ledger(settings: LedgerSettings, key: bytes) -> str:
    """Create the empty ledger and say so (never with its password)."""
    from pii_audit.ledger import Ledger

    Ledger.open(settings.resolve_url(), key).close()
    return f"created the ledger {settings.url or '$' + str(settings.url_env)}"


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path):
    """Write an example audit.toml, a fingerprint key (0600) and an empty ledger in DIRECTORY.

    Refuses to overwrite an existing audit.toml; an existing key file is kept.

    \b
    Example:
        pii-audit init /etc/pii-audit
    """
    from pii_audit.config import load_config

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create {directory}: {error.strerror}") from None
    config_path = directory / DEFAULT_CONFIG_FILE
    use_env_key = bool(os.environ.get(KEY_ENV))
    _write_config(config_path, render_template(use_env_key))
    click.echo(f"created {config_path} (an example: edit it)")
    key, said = _key(directory, use_env_key)
    click.echo(said)
    click.echo(_ledger(load_config(config_path).ledger, key))
    click.echo("Next:\n"
               f"  1. edit {config_path}: declare your targets, their owners and schedules\n"
               f"  2. pii-audit config check --config {config_path}\n"
               f"  3. pii-audit scan --config {config_path}")
