"""Export the ledger for another team: items and scans as JSON lines, the HTML and Excel reports,
and a ``MANIFEST.sha256`` the receiver checks with ``sha256sum -c MANIFEST.sha256``.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from pii_audit.errors import ConfigError
from pii_audit.reporting.excel import write_workbook
from pii_audit.reporting.files import open_private, write_private
from pii_audit.reporting.html import write_html
from pii_audit.reporting.viewmodel import build_report
from pii_audit.views import ItemView, ScanView

MANIFEST = "MANIFEST.sha256"


def _json_default(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot export a {type(value).__name__}")


def json_line(record) -> bytes:
    """Return one dataclass as a JSON line in UTF-8.

    A lone surrogate (from a badly decoded name) cannot be UTF-8; ``backslashreplace`` writes it as
    the JSON escape ``\\udXXX``, so the line stays valid JSON.
    """
    text = json.dumps(dataclasses.asdict(record), ensure_ascii=False, sort_keys=True,
                      default=_json_default)
    return text.encode("utf-8", "backslashreplace") + b"\n"


def write_jsonl(records: Iterable, path: Path) -> Path:
    """Write ``records`` (dataclasses) to ``path`` as JSON lines, mode 0600."""
    with open_private(path) as handle:
        for record in records:
            handle.write(json_line(record))
    return path


def sha256_of(path: Path) -> str:
    """Return the SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path, files: list[Path]) -> Path:
    """Write ``MANIFEST.sha256`` of ``files`` in ``sha256sum`` format (relative names, sorted)."""
    lines = [f"{sha256_of(f)}  {f.relative_to(directory).as_posix()}\n" for f in sorted(files)]
    return write_private(directory / MANIFEST, "".join(lines).encode("utf-8"))


def export(items: list[ItemView], scans: list[ScanView], directory: str | os.PathLike, *,
           lang: str = "zh", now: datetime.datetime | None = None) -> list[Path]:
    """Write the export of ``items`` and ``scans`` into ``directory``; return every file written."""
    out = Path(directory)
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create {out}: {error.strerror}") from None
    report = build_report(items, scans, lang=lang, now=now)
    files = [
        write_jsonl(sorted(items, key=lambda i: i.id), out / "items.jsonl"),
        write_jsonl(sorted(scans, key=lambda s: s.id), out / "scans.jsonl"),
        write_html(report, out / "report.html"),
        write_workbook(report, out / "report.xlsx"),
    ]
    return files + [write_manifest(out, files)]
