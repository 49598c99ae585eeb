"""``pii-audit schedule``: each target's last run, its result and when it is next due; or the crontab line."""

from __future__ import annotations

import datetime
import os
import shlex
import shutil
import sys
from pathlib import Path

import click

from pii_audit.commands.run import CONFIG

CRON_EVERY = "*/5 * * * *"


@click.command()
@CONFIG
@click.option("--crontab", is_flag=True, help="Print the crontab line that runs `pii-audit run` every 5 minutes.")
def schedule(config_path, crontab):
    """Show each target's schedule, last run, its result and when it is next due.

    \b
    Examples:
        pii-audit schedule --config /etc/pii-audit/audit.toml
        (crontab -l; pii-audit schedule --crontab --config /etc/pii-audit/audit.toml) | crontab -
    """
    from pii_audit.config import load_config

    config = load_config(config_path)
    if crontab:
        click.echo(crontab_text(config))
        return
    from pii_audit.commands.ledger_common import echo_table
    from pii_audit.ledger import Ledger

    with Ledger.open(config.ledger.resolve_url(), config.key.load(), create=False) as ledger:
        rows = schedule_rows(config, ledger, datetime.datetime.now().astimezone())
    echo_table(["target", "schedule", "last run", "result", "next due"], rows)


def schedule_rows(config, ledger, now: datetime.datetime) -> list[list[str]]:
    """Return one row per target: name, cron schedule, last run, its result, next due time."""
    from pii_audit.runner import utc
    from pii_audit.schedule import is_due, next_due

    rows = []
    for target in config.targets:
        scan = ledger.last_run(target.name)
        last = utc(scan.started_at) if scan else None
        due = next_due(target, last, now)
        due_text = _when(due) + (" (due now)" if is_due(target, last, now) else "")
        rows.append([target.name, target.schedule, _when(last) if last else "never",
                     _result(scan, target.name), due_text])
    return rows


def _result(scan, name: str) -> str:
    if scan is None:
        return "-"
    problems = [p for p in scan.problems if p.target == name]
    state = "complete" if not problems else f"INCOMPLETE ({len(problems)} problem(s))"
    return f"scan {scan.id}: {state}, {scan.new_items} new, {scan.verified_items} verified, {scan.open_items} open"


def _when(moment: datetime.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def executable() -> list[str]:
    """Return the command that starts pii-audit, as absolute paths (cron's PATH is minimal)."""
    invoked = Path(sys.argv[0])
    if invoked.name == "pii-audit" and invoked.exists():
        return [str(invoked.resolve())]
    found = shutil.which("pii-audit")
    if found:
        return [os.path.abspath(found)]
    return [sys.executable, "-m", "pii_audit"]  # run as `python -m pii_audit` from a checkout


def crontab_text(config) -> str:
    """Return the crontab lines (a comment, then the entry) that run the due targets every 5 minutes."""
    log = Path(config.run.state_dir).resolve() / "run.log"
    command = [*executable(), "run", "--config", str(config.path.resolve())]
    line = f"{' '.join(shlex.quote(c) for c in command)} >> {shlex.quote(str(log))} 2>&1"
    # cron turns an unescaped % into a newline
    return ("# pii-audit: runs the targets that are due; safe every few minutes (one lock per target).\n"
            "# Environment variables the config names (passwords, key) must be set here too.\n"
            f"{CRON_EVERY} {line.replace('%', chr(92) + '%')}")
