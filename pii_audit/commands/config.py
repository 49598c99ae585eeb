"""``pii-audit config check``: check an audit.toml without running anything."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from pii_audit.config import DEFAULT_CONFIG_FILE, AuditConfig

EXIT_INVALID = 2


@click.group()
def config():
    """Work with the audit configuration (audit.toml)."""


@config.command()
@click.option("--config", "config_path", default=DEFAULT_CONFIG_FILE, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The file to check.")
def check(config_path: Path):
    """Check an audit.toml; list every problem, one per line; exit 0 if valid, 2 if not.

    \b
    Example:
        pii-audit config check --config /etc/pii-audit/audit.toml
    """
    from pii_audit.config_load import check as check_file

    parsed, issues = check_file(config_path)
    for issue in issues:
        click.echo(str(issue), err=True)
    if issues:
        click.echo(f"{config_path}: {len(issues)} problem(s)", err=True)
        # SystemExit, not ctx.exit(): cli.main runs click with standalone_mode=False, where
        # ctx.exit's code is returned and lost.
        raise SystemExit(EXIT_INVALID)
    _describe(parsed)


def _describe(parsed: AuditConfig) -> None:
    """Print what a valid file declares, its notes and the environment variables it needs."""
    from pii_audit.schedule import next_due

    now = datetime.now().astimezone()
    click.echo(f"{parsed.path}: valid, {len(parsed.targets)} target(s)")
    for target in parsed.targets:
        upcoming = next_due(target, now, now).strftime("%Y-%m-%d %H:%M %z")
        click.echo(f"  {target.name}: {target.kind}, owner {target.owner}, "
                   f"schedule \"{target.schedule}\" (next {upcoming})")
    for layout in parsed.layouts:
        shape = f"fixed-width, {sum(layout.widths)} bytes" if layout.delimiter is None else \
            f"delimited by {layout.delimiter!r}"
        click.echo(f"  layout for {', '.join(layout.files)}: {len(layout.columns)} columns, {shape}")
    for note in parsed.notes:
        click.echo(f"note: {note}")
    for name in _needed_env(parsed):
        if not os.environ.get(name):
            click.echo(f"note: environment variable {name} is not set here; a run will need it")


def _needed_env(parsed: AuditConfig) -> list[str]:
    names = [parsed.ledger.url_env, parsed.ledger.password_env, parsed.key.env]
    for target in parsed.targets:
        names += [target.url_env, target.password_env]
    return sorted({n for n in names if n})
