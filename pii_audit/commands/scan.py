"""``pii-audit scan``: scan files, folders, globs, spreadsheets and databases; print a summary."""

from __future__ import annotations

import os
import sys

import click

from dataclasses import replace

from pii_audit.errors import ConfigError
from pii_audit.keys import load_key
from pii_audit.sources import ScanOptions
from pii_audit.summary import exit_code, render_summary


@click.command()
@click.argument("targets", nargs=-1)
@click.option("--jsonl", "jsonl_path", type=click.Path(dir_okay=False, writable=True),
              help="Write one JSON object per occurrence to FILE (mode 0600; no raw value in it).")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N",
              help="Read the first N rows of each table or sheet  [default: 1000].")
@click.option("--full", is_flag=True, help="Read every row of every table and sheet.")
@click.option("--ocr", is_flag=True,
              help="Read text in images by OCR (Tesseract): image files, scanned PDF pages, images in "
                   "binary columns. Slow, a second or more an image; without it images are counted, "
                   "not read. Needs: apt-get install tesseract-ocr tesseract-ocr-chi-sim.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker processes; 0 starts one per core the scan may run on, at most 4. "
                   "Each adds 20-35 MiB of memory: more than 4 may pass 300 MB.")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Read only the files, archive members and tables matching GLOB (repeatable): a "
                   "file by its path below the target or its name (the members of an archive that "
                   "does not match are chosen so too), a table by schema.table or its name.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out the files, archive members and tables matching GLOB (repeatable), "
                   "as audit.toml's exclude.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no per-target summary lines.")
@click.option("--ledger", "ledger_url", metavar="URL", default=None,
              help="Record the scan in this ledger (SQLAlchemy URL); with --config, its ledger is used.")
@click.option("--by", default=None, help="Who ran the scan, for the ledger  [default: your OS user]")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Scan the targets of this audit.toml, with their owners, into its ledger.")
@click.option("--target", "target_names", multiple=True, metavar="NAME",
              help="With --config: scan only this target (repeatable).")
def scan(targets, jsonl_path, sample, full, ocr, jobs, include, exclude, quiet, ledger_url, by, config_path,
         target_names):
    """Scan TARGETs for personal information and print a summary.

    A TARGET is a file, a folder (read recursively), a glob or a SQLAlchemy database URL; a
    SQLite file given as a path is scanned as a database. Logs may be rotated and gzip, bzip2,
    xz or zstd (app.log.1.gz belongs to the stream app.log), in UTF-8, GB18030 or UTF-16, and inside
    zip and tar archives (read, never extracted). Logs are always read in full; --sample and --full apply to
    tables and sheets. Images (PNG, JPEG, TIFF, BMP, GIF, WebP; scanned PDF pages; images in binary
    columns) are read by OCR with --ocr, and only counted without it. Fixed-width
    batch files are read as tables: with the layout an audit.toml [[layouts]]
    entry gives them, or the one their first records show (said in the summary).

    \b
    Exit status:
        0  every target read, no personal information found
        1  personal information found (in plaintext)
        2  usage or configuration error
        3  some target or part could not be scanned (wins over 1)
        4  internal error (a bug in pii-audit: where it happened is printed, its message not)

    A database password never belongs on the command line (other users can read it there):
    set $PII_AUDIT_DB_PASSWORD, or $PII_AUDIT_DB_PASSWORD_FILE naming a file of mode 0600.

    \b
    Examples:
        pii-audit scan /var/log/core-banking 'exports/*.xlsx' --jsonl found.jsonl
        pii-audit scan /data/share --exclude '*.jpg' --exclude 'tmp/*'
        pii-audit scan --ocr /data/影像件
        pii-audit scan postgresql+psycopg://audit@db.example/core --ledger sqlite:///ledger.db
        pii-audit scan --config audit.toml --target 核心系统
    """
    if sample is not None and full:
        raise click.UsageError("--sample and --full cannot be used together")
    if bool(targets) == bool(config_path):
        raise click.UsageError("name TARGETs or give --config, not both and not neither")
    if target_names and not config_path:
        raise click.UsageError("--target selects targets of --config")
    audit_targets, key, ledger_url, due_days = _plan(targets, config_path, target_names, sample, full,
                                                     jobs, ledger_url)
    if ocr:  # as audit.toml's ocr = true, for every target
        audit_targets = [replace(t, options=replace(t.options, ocr=True)) for t in audit_targets]
    if include or exclude:  # added to what audit.toml says of each target
        audit_targets = [replace(t, options=replace(t.options, include=t.options.include + include,
                                                    exclude=t.options.exclude + exclude))
                         for t in audit_targets]
    _warn_about_passwords(audit_targets)
    show_progress = not quiet and sys.stderr.isatty()
    ledger = _open_ledger(ledger_url, key, due_days) if ledger_url or config_path else None
    try:
        with _jsonl_file(jsonl_path) as jsonl:
            results = _run(audit_targets, key, jsonl, show_progress, ledger, by)
    finally:
        if ledger is not None:
            ledger.close()
    click.echo(render_summary(results) if not quiet else render_summary(results).splitlines()[-1])
    # SystemExit, not ctx.exit(): cli.main() runs with standalone_mode=False, which returns
    # click's Exit code instead of exiting with it.
    raise SystemExit(exit_code(results))


def _plan(targets, config_path, target_names, sample, full, jobs, ledger_url):
    """Return the targets to scan, the key, the ledger URL and the due days per risk level."""
    # Imported here, as in each function below: the scan imports Presidio (about a second), which
    # `pii-audit --help` and `pii-audit scan --help` need not wait for.
    from pii_audit.audit import targets_from_command_line, targets_from_config
    from pii_audit.config import load_config

    if config_path is None:
        options = ScanOptions(sample_rows=None if full else (sample or ScanOptions.sample_rows), jobs=jobs)
        return targets_from_command_line(targets, options), load_key(), ledger_url, None

    config = load_config(config_path)
    audit_targets = targets_from_config(config, target_names, jobs=jobs)
    if sample is not None or full:
        audit_targets = [replace(t, options=replace(t.options, sample_rows=None if full else sample))
                         for t in audit_targets]
    return (audit_targets, config.key.load(), ledger_url or config.ledger.resolve_url(),
            config.defaults.due_days.as_dict())


def _warn_about_passwords(audit_targets) -> None:
    """Say how to pass a database password when one was written into a URL."""
    from pii_audit.sources import is_database_url

    for target in audit_targets:
        for location in target.locations:
            if is_database_url(location):
                from pii_audit.sources.databases import resolve_password

                _, warning = resolve_password(location, target.options.password)
                if warning:
                    click.echo(f"pii-audit: warning: {warning}", err=True)


def _open_ledger(url, key, due_days):
    from pii_audit.ledger import Ledger

    return Ledger.open(url, key, due_days=due_days)


def _run(audit_targets, key, jsonl, show_progress, ledger, by):
    """Scan (recording each target in the ledger, if any), drawing a progress bar when asked."""
    if not show_progress:
        return _scan(audit_targets, key, jsonl, None, ledger, by)
    # Beside the bar, how far a table, workbook or gzip file has been read: such a file counts in
    # the bar only once it is done, and a database has no bytes to count at all.
    reading = [None]
    with click.progressbar(length=1, label="scanning", file=sys.stderr, show_pos=False,
                           item_show_func=lambda _: reading[0]) as bar:
        def progress(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        def read_so_far(status):
            reading[0] = status
            bar.render_progress()
        results = _scan(audit_targets, key, jsonl, progress, ledger, by, read_so_far)
        bar.update(bar.length - bar.pos)  # a database has no bytes to count: done is 100%
        return results


def _scan(audit_targets, key, jsonl, progress, ledger, by, reading=None):
    from pii_audit.audit import record_audit, scan_audit_targets

    results = scan_audit_targets(audit_targets, key, jsonl=jsonl, on_progress=progress, on_reading=reading)
    if ledger is None:
        return list(results)
    recorded, scan_view = record_audit(ledger, audit_targets, results, by)
    click.echo(f"ledger: scan {scan_view.id} recorded: {scan_view.new_items} new, "
               f"{scan_view.reopened_items} reopened, {scan_view.verified_items} verified, "
               f"{scan_view.open_items} open", err=True)
    return recorded


class _NoFile:
    """Stands in for the JSONL file when none was asked for."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _jsonl_file(path):
    """Open the JSONL output for writing with mode 0600, even if it existed with wider mode."""
    if path is None:
        return _NoFile()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None
    return os.fdopen(descriptor, "wb")
