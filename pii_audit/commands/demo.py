"""``pii-audit demo``: a synthetic bank estate, scanned and recorded as a scheduled run would,
its reports written, then one fix verified by a second scan.

The estate and the audit.toml are made fresh each time; the ledger and the key stay, so a
second demo shows the history of both (the fixed column comes back with the fresh estate, is
reopened, and is verified again).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from pii_audit.errors import ConfigError

MARKER = ".pii-audit-demo"  # says a folder is the demo's, so cleaning it up is safe
CORE, EXPORT, LOGS = "核心系统", "客户名单导出", "应用日志"
FRESH = ("core_banking.db", "exports", "logs", "credit", "reports", "audit.toml", "last-run.jsonl")

CONFIG = '''\
# The demo's audit configuration (written by `pii-audit demo`; rewritten on each demo).
[ledger]
url = "sqlite:///pii-audit-ledger.db"

[key]
file = "pii-audit.key"

[defaults]
full_scan = true              # read every row: only a full read can verify a fix
schedule = "30 1 * * *"       # every night at 01:30
timezone = "Asia/Shanghai"
lang = "zh"

[run]
state_dir = ".pii-audit"
summary_file = "last-run.jsonl"

[reports]
formats = ["html", "xlsx"]
output_dir = "reports"

[[targets]]
name = "核心系统"
kind = "database"
url = "sqlite:///core_banking.db"
owner = "张伟"
department = "信息科技部"

[[targets]]
name = "客户名单导出"
kind = "spreadsheets"
paths = ["exports"]
owner = "李娜"
department = "零售银行部"

[[targets]]
name = "应用日志"
kind = "files"
paths = ["logs"]
owner = "王芳"
department = "运维中心"
schedule = "0 * * * *"        # hourly

[[targets]]
name = "信贷档案"
kind = "files"
paths = ["credit"]            # Word reports and PDF receipts
owner = "赵敏"
department = "授信审批部"
'''


def prepare(directory: Path) -> Path:
    """Make ``directory`` hold a fresh estate, its audit.toml and a key; return the config path."""
    from pii_audit.demo_estate import build_estate
    from pii_audit.keys import create_key_file

    if directory.exists() and any(directory.iterdir()) and not (directory / MARKER).exists():
        raise ConfigError(f"{directory} is not empty and not a demo folder; choose another --dir")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MARKER).touch()
        for name in FRESH:
            path = directory / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot prepare {directory}: {error.strerror}") from None
    build_estate(directory)
    if not (directory / "pii-audit.key").exists():
        create_key_file(directory / "pii-audit.key")
    (directory / "audit.toml").write_text(CONFIG, encoding="utf-8")
    return directory / "audit.toml"


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default="demo-output",
              show_default=True, help="Folder for the sample estate, its ledger and reports.")
def demo(directory: Path):
    """Scan a synthetic bank estate, record it in a ledger, write the reports, verify a fix.

    Every value in the estate is generated (valid checksums, no real person). Run it again:
    the estate is made afresh, the ledger keeps the history.

    \b
    Example:
        pii-audit demo --dir demo-output && xdg-open demo-output/reports/pii-audit-report.html
    """
    from pii_audit.commands.run import run_once
    from pii_audit.config import load_config

    directory = directory.resolve()
    config_path = prepare(directory)
    config = load_config(config_path)
    click.echo(f"sample estate in {directory}: a core-banking database, a customer export, logs, "
               "a credit report (Word) and a receipt (PDF)")
    click.echo(f"\n== 1. scheduled run of every target (as `pii-audit run --config {config_path}`)")
    first = run_once(config_path, [t.name for t in config.targets], "demo", config=config)
    click.echo(f"\n== 2. {CORE}'s owner masks the ID-number column (kh_jbxx.sfzh); scan it again in full")
    from pii_audit.demo_estate import remediate_core_banking

    remediate_core_banking(directory / "core_banking.db")
    second = run_once(config_path, [CORE], "张伟", config=config)
    _show_verification(config)
    _next_steps(config)
    raise SystemExit(3 if 3 in (first, second) else 0)


def _show_verification(config) -> None:
    from pii_audit.ledger import Ledger

    with Ledger.open(config.ledger.resolve_url(), config.key.load(), create=False) as ledger:
        scans = len(ledger.scans())
        for item in ledger.items(target=CORE, samples=False):
            if item.container.endswith("sfzh"):
                item = ledger.item(item.id)
                trail = " → ".join(h.to_status for h in item.history if h.to_status)
                click.echo(f"{item.id} {item.entity_type} in {item.container}: {item.status} "
                           f"(history: {trail})")
    click.echo(f"the ledger now holds {scans} scan(s) across every demo run")


def _next_steps(config) -> None:
    directory = config.path.parent
    click.echo(f"\nreports: {config.reports.output_dir}/pii-audit-report.html and .xlsx\n"
               f"ledger:  {directory / 'pii-audit-ledger.db'} (key {directory / 'pii-audit.key'})\n"
               "next:\n"
               f"  cd {directory}\n"
               "  pii-audit ledger list                      # the problem list (reads ./audit.toml)\n"
               "  pii-audit ledger list --status verified\n"
               "  pii-audit schedule                         # last runs and next due times\n"
               "  pii-audit schedule --crontab               # the cron line that runs it for real\n"
               "  pii-audit report --format xlsx --out 整改台账.xlsx --owner 张伟")
