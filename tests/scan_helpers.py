"""What the source tests share: scanning one target in-process (or with the command, its JSONL
read back), one detector per key, and a reader's sheets as cells; what the recognizers' tests share: what a line holds, and a finding's
samples as written."""

from __future__ import annotations

import dataclasses
import functools
import json

import pytest
from click.testing import CliRunner

from pii_audit.cli import cli
from pii_audit.detector import Detector
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions


def scan_one(target, key, jobs: int = 1, **options):
    """Scan one target in-process with ``jobs`` workers (``options`` for the rest of
    ``ScanOptions``) and return its TargetResult."""
    (result,) = scan_targets([str(target)], ScanOptions(jobs=jobs, **options), key)
    return result


def scanned_jsonl(tmp_path, target, key: str) -> tuple[list[dict], str]:
    """Run ``pii-audit scan TARGET --jsonl`` with one worker and ``key``; return its JSONL records
    and the command's output."""
    out = tmp_path / "found.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_AUDIT_KEY", key)
        result = CliRunner().invoke(cli, ["scan", str(target), "--jsonl", str(out), "--jobs", "1"])
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()], result.output


def cells_of(sheets) -> dict[str, dict[tuple[int, int], str]]:
    """Return ``{sheet: {(row number, column): text}}`` of the non-empty cells of ``sheets``."""
    found = {}
    for name, rows in sheets:
        cells = found.setdefault(name, {})
        for number, first, values in rows:
            cells.update({(number, column): value for column, value in enumerate(values, first) if value})
    return found


@functools.lru_cache(maxsize=2)
def detector_for(key: bytes) -> Detector:
    """Return one detector per key, for tests that detect in many texts or files: building one
    (its Hyperscan database) takes about 0.2 s, and a test of 240 fuzzed files took 54 s, most
    of it building detectors."""
    return Detector(key)


def found(text: str, context=()) -> list[tuple[str, str]]:
    """Return ``(entity, value)`` of what the scan's detector reports in one line of text."""
    from recognizers.base import to_halfwidth

    text = to_halfwidth(text)
    return [(recognizer.ENTITY, text[start:end])
            for start, end, _, recognizer, _, _ in detector_for(bytes(32)).find(text, tuple(context))]


def samples_of(target, key, entity: str) -> list:
    """Return the samples of the one finding of ``entity`` that a scan of ``target`` makes."""
    finding, = [f for (_, name), f in scan_one(target, key).findings.items() if name == entity]
    return finding.samples


def written(samples) -> str:
    """Return samples as JSON, as a report or a JSONL file would hold them."""
    return json.dumps([dataclasses.asdict(s) for s in samples], ensure_ascii=False)


def write_workbook(path, rows):
    """Write ``rows`` (the first the headers) to one sheet of a new .xlsx at ``path``; return it."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path
