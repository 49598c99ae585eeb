"""What the ``ledger`` and ``scans`` commands share: options, opening the ledger, output."""

from __future__ import annotations

import dataclasses
import getpass
import json
import os

import click

from pii_audit.keys import load_key

FORMAT = click.option("--format", "output_format", type=click.Choice(["table", "json"]),
                      default="table", show_default=True, help="Output format.")
LEDGER = click.option("--ledger", "ledger_url", metavar="URL", default=None, envvar="PII_AUDIT_LEDGER",
                      help="Ledger database URL (also $PII_AUDIT_LEDGER)  [default: the ledger of "
                           "./audit.toml, else the SQLite file ./pii-audit-ledger.db]")
BY = click.option("--by", default=None, help="Who makes the change  [default: your OS user]")
DATE = click.DateTime(formats=["%Y-%m-%d"])
DEFAULT_CONFIG = "audit.toml"


def open_ledger(url: str | None):
    """Open an existing ledger with the fingerprint key (never creating one).

    Without a URL, an ``audit.toml`` in the working directory names the ledger and the key.
    """
    from pii_audit.ledger import Ledger

    key = None
    if url is None and os.path.exists(DEFAULT_CONFIG):
        from pii_audit.config import load_config

        config = load_config(DEFAULT_CONFIG)
        url, key = config.ledger.resolve_url(), config.key.load()
    return Ledger.open(url, key or load_key(create=False), create=False)


def who(by: str | None) -> str:
    """Return the name a change is recorded under: ``--by``, else the OS user."""
    return by or getpass.getuser()


def echo_json(value) -> None:
    """Print views (dataclasses) as indented JSON; dates and times in ISO 8601."""
    data = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else \
        [dataclasses.asdict(v) for v in value]
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_iso))


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def echo_table(headers: list[str], rows: list[list]) -> None:
    """Print rows as aligned columns under their headers."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    # One write, not one per row: a 40,000-row listing printed line by line took seconds.
    click.echo("\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells))
