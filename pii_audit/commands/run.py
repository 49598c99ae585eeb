"""``pii-audit run``: scan the targets that are due, record them, write the reports; or loop."""

from __future__ import annotations

import datetime
import os
import signal
import sys
import time

import click

from pii_audit.errors import PiiAuditError

CONFIG = click.option("--config", "config_path", type=click.Path(dir_okay=False), default="audit.toml",
                      show_default=True, help="The audit.toml naming the targets, ledger and reports.")


@click.command()
@CONFIG
@click.option("--target", "target_names", multiple=True, metavar="NAME",
              help="Run this target now, whatever its schedule (repeatable).")
@click.option("--by", default=None, help="Who ran the scan, for the ledger  [default: your OS user]")
@click.option("--daemon", is_flag=True, help="Stay in the foreground and run what is due every --interval.")
@click.option("--interval", type=click.IntRange(min=1), default=60, show_default=True, metavar="SECONDS",
              help="With --daemon: how often to look for due targets.")
def run(config_path, target_names, by, daemon, interval):
    """Scan every target whose schedule is due, record it in the ledger and write the reports.

    Each target runs under a lock, so calling this from cron every few minutes is safe: a
    target still being scanned by an earlier run is skipped. A run missed while the machine
    was off runs once. A target that fails is reported, recorded as failed, and tried again
    at its next slot; the others go on. One line per target is printed and, with [run]
    summary_file, appended to that file as JSON. Exit status as for `scan` (3: a target
    failed or was incomplete).

    \b
    Examples:
        pii-audit run --config /etc/pii-audit/audit.toml
        pii-audit run --target 核心系统 --by 张伟
        pii-audit run --daemon --interval 60     # hosts without cron; stop with SIGTERM
    """
    if daemon and target_names:
        raise click.UsageError("--target forces targets once; it cannot be used with --daemon")
    if daemon:
        raise SystemExit(run_daemon(config_path, by, interval))
    raise SystemExit(run_once(config_path, target_names, by))


def run_once(config_path, names=(), by=None, should_stop=lambda: False, config=None) -> int:
    """Run the due (or named) targets of ``config_path`` once; return the exit code."""
    from pii_audit.config import load_config
    from pii_audit.ledger import Ledger
    from pii_audit.runner import append_summary, exit_code, run_targets, select_targets

    config = config or load_config(config_path)
    key = config.key.load()
    with Ledger.open(config.ledger.resolve_url(), key, due_days=config.defaults.due_days.as_dict()) as ledger:
        targets = select_targets(config, ledger, names)
        if not targets:
            _say_nothing_due(config, ledger)
            return 0
        started = datetime.datetime.now().astimezone()
        runs = run_targets(config, ledger, key, targets, by, should_stop,
                           on_done=lambda r: click.echo(r.line()), forced=bool(names))
        code = exit_code(runs, forced=bool(names))
        if any(r.scan_id is not None for r in runs) and not _reports(config, ledger):
            code = max(code, 3)
    if config.run.summary_file is not None and runs:
        append_summary(config.run.summary_file, runs, started)
    return code


def _reports(config, ledger) -> bool:
    """Write the configured reports; say where, or say why not."""
    from pii_audit.reporting.scheduled import write_reports

    try:
        paths = write_reports(ledger, config.reports.formats, config.reports.output_dir, config.lang)
    except PiiAuditError as error:
        click.echo(f"pii-audit: error: reports not written: {error}", err=True)
        return False
    click.echo("reports: " + ", ".join(str(p) for p in paths))
    return True


def _say_nothing_due(config, ledger) -> None:
    """Tell a person at a terminal when the next target is due; cron's log stays quiet."""
    if not sys.stdout.isatty() or not config.targets:
        return
    from pii_audit.runner import last_runs
    from pii_audit.schedule import next_due

    now = datetime.datetime.now().astimezone()
    runs = last_runs(ledger, config)
    soonest = min(config.targets, key=lambda t: next_due(t, runs[t.name], now))
    when = next_due(soonest, runs[soonest.name], now).astimezone()
    click.echo(f"nothing due; next: {soonest.name} at {when:%Y-%m-%d %H:%M %Z}")


class StopFlag:
    """Set by SIGTERM or SIGINT; the daemon checks it between targets and while it waits."""

    def __init__(self):
        self.stopped = False

    def install(self) -> None:
        """Catch SIGTERM and SIGINT from now on."""
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._handle)

    def _handle(self, number, _frame) -> None:
        self.stopped = True
        click.echo(f"pii-audit: {signal.Signals(number).name}: stopping after the current target", err=True)

    def __call__(self) -> bool:
        return self.stopped

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if a stop was asked for."""
        end = time.monotonic() + seconds
        while not self.stopped and time.monotonic() < end:
            time.sleep(min(0.2, max(0.0, end - time.monotonic())))


def run_daemon(config_path, by, interval: int) -> int:
    """Run what is due every ``interval`` seconds until SIGTERM or SIGINT; return 0.

    The configuration is read again each time, so an edited audit.toml applies without a
    restart; a broken one is reported and the daemon waits for it to be fixed.
    """
    from pii_audit.config import load_config

    load_config(config_path).key.load()  # a wrong file or key stops here, exit status 2
    stop = StopFlag()
    stop.install()
    click.echo(f"pii-audit run --daemon: checking {config_path} every {interval} s "
               f"(pid {os.getpid()}); stop with SIGTERM or Ctrl-C")
    while not stop():
        try:
            run_once(config_path, (), by, stop)
        except PiiAuditError as error:
            click.echo(f"pii-audit: error: {error}", err=True)
        stop.sleep(interval)
    click.echo("pii-audit run --daemon: stopped")
    return 0
