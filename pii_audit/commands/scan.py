"""``pii-audit scan``: scan files, folders, globs, spreadsheets and databases; print a summary."""

from __future__ import annotations

import os
import sys

import click

from pii_audit.errors import ConfigError
from pii_audit.keys import load_key
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions
from pii_audit.summary import exit_code, render_target, render_summary


@click.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--jsonl", "jsonl_path", type=click.Path(dir_okay=False, writable=True),
              help="Write one JSON object per occurrence to FILE (mode 0600; no raw value in it).")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N",
              help="Read the first N rows of each table or sheet  [default: 1000].")
@click.option("--full", is_flag=True, help="Read every row of every table and sheet.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker processes; 0 uses every core.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no per-target summary lines.")
def scan(targets, jsonl_path, sample, full, jobs, quiet):
    """Scan TARGETs for personal information and print a summary.

    A TARGET is a file, a folder (read recursively), a glob or a SQLAlchemy database URL; a
    SQLite file given as a path is scanned as a database. Logs may be gzip and rotated
    (app.log.1.gz belongs to the stream app.log), in UTF-8 or GB18030. Logs are always read in
    full; --sample and --full apply to tables and sheets.

    \b
    Exit status:
        0  every target read, no personal information found
        1  personal information found (in plaintext)
        2  usage or configuration error
        3  some target or part could not be scanned (wins over 1)

    \b
    Example:
        pii-audit scan /var/log/core-banking 'exports/*.xlsx' --jsonl found.jsonl
    """
    if sample is not None and full:
        raise click.UsageError("--sample and --full cannot be used together")
    options = ScanOptions(sample_rows=None if full else (sample or ScanOptions.sample_rows), jobs=jobs)
    key = load_key()
    show_progress = not quiet and sys.stderr.isatty()
    with _jsonl_file(jsonl_path) as jsonl:
        results = _run(targets, options, key, jsonl, show_progress)
    click.echo(render_summary(results) if not quiet else render_summary(results).splitlines()[-1])
    # SystemExit, not ctx.exit(): cli.main() runs with standalone_mode=False, which returns
    # click's Exit code instead of exiting with it.
    raise SystemExit(exit_code(results))


def _run(targets, options, key, jsonl, show_progress):
    """Scan and collect the results, drawing a progress bar on stderr when asked."""
    if not show_progress:
        return list(scan_targets(targets, options, key, jsonl=jsonl))
    with click.progressbar(length=1, label="scanning", file=sys.stderr, show_pos=False) as bar:
        def progress(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)
        return list(scan_targets(targets, options, key, on_progress=progress, jsonl=jsonl))


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
