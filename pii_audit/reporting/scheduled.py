"""The reports a scheduled run leaves behind: the whole ledger as HTML, Excel and/or JSON lines.

Each file is written under a temporary name and renamed over the old one, so someone opening
the report while a run writes it sees the previous report or the new one, never half of one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from pii_audit.errors import ConfigError

FILE_NAMES = {"html": "pii-audit-report.html", "xlsx": "pii-audit-report.xlsx",
              "jsonl": "pii-audit-items.jsonl"}


def write_reports(ledger, formats: Sequence[str], output_dir: str | os.PathLike,
                  lang: str = "zh") -> list[Path]:
    """Write the ledger's report in each format into ``output_dir`` (mode 0600); return the files."""
    from pii_audit.reporting.export import write_jsonl
    from pii_audit.reporting.html import write_html
    from pii_audit.reporting.streamed import write_ledger_workbook
    from pii_audit.reporting.viewmodel import build_report

    out = Path(output_dir)
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create {out}: {error.strerror}") from None
    # The workbook streams from the ledger; only HTML and JSON lines need the items in memory.
    items = list(ledger.items(history=True)) if {"html", "jsonl"} & set(formats) else []
    report = build_report(items, list(ledger.scans(details=True)), lang=lang) if "html" in formats else None
    writers = {"html": lambda p: write_html(report, p),
               "xlsx": lambda p: write_ledger_workbook(ledger, p, lang=lang)[0],
               "jsonl": lambda p: write_jsonl(sorted(items, key=lambda i: i.id), p)}
    return [_replace(out / FILE_NAMES[fmt], writers[fmt]) for fmt in formats]


def _replace(path: Path, write) -> Path:
    """Write through ``write`` to a temporary file next to ``path``, then rename it over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
