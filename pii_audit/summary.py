"""The end-of-scan summary: per target what was read, what was found (masked) and what was not read."""

from __future__ import annotations

from typing import Iterable

from pii_audit.results import Finding, TargetResult
from pii_audit.sources import TargetCoverage

EXIT_CLEAN = 0  # every target read, nothing found
EXIT_FOUND = 1  # personal information found in plaintext, every target read
EXIT_USAGE = 2  # usage or configuration error (click and PiiAuditError)
EXIT_INCOMPLETE = 3  # some target or part could not be read; wins over EXIT_FOUND
EXIT_INTERNAL = 4  # a bug: Python's own exit status, 1, would have said "found" (cli.main)

_UNITS = ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))


def exit_code(results: Iterable[TargetResult]) -> int:
    """Return the scan's exit code: 3 if anything could not be read, else 1 if anything was found.

    An incomplete scan wins over a finding because it is the one that needs the operator: the
    findings are in the summary either way, and a scan that missed something proves nothing.
    """
    results = list(results)
    if any(not r.coverage.complete for r in results):
        return EXIT_INCOMPLETE
    return EXIT_FOUND if any(r.plaintext_found for r in results) else EXIT_CLEAN


def human_bytes(count: int) -> str:
    """Return a byte count the way a person reads it.

    >>> human_bytes(512), human_bytes(3 * 1024 * 1024 + 1)
    ('512 B', '3.0 MiB')
    """
    for size, name in _UNITS:
        if count >= size:
            return f"{count / size:.1f} {name}"
    return f"{count} B"


def render_target(result: TargetResult) -> list[str]:
    """Return the summary lines of one target."""
    lines = [f"{result.target}: {_read(result.coverage)}"]
    for finding in sorted(result.findings.values(), key=lambda f: (f.container, f.entity_type)):
        lines.append("  " + _finding(finding))
    for problem in result.coverage.problems:
        lines.append(f"  NOT SCANNED {problem.where}: {problem.reason}")
    for notice in result.coverage.notices:
        lines.append(f"  note {notice.where}: {notice.reason}")
    for reason, count in result.coverage.notices_over.items():
        lines.append(f"  note {result.target}: {count:,} more part(s) with the same note: {reason}")
    return lines


def _read(coverage: TargetCoverage) -> str:
    parts = []
    if coverage.files or coverage.kind == "files":
        parts.append(f"{coverage.files:,} file(s)")
    if coverage.kind != "database":  # a database's bytes are not counted: "0 B" said nothing
        parts.append(human_bytes(coverage.bytes))
    lines = sum(c.units for c in coverage.containers.values() if c.unit == "lines")
    if lines:
        parts.append(f"{lines:,} line(s)")
    if coverage.rows:
        parts.append(f"{coverage.rows:,} row(s)")
    if coverage.cells:
        parts.append(f"{coverage.cells:,} cell(s)")
    sampled = any(c.sampled for c in coverage.containers.values())
    if coverage.containers or coverage.complete:
        parts.append("sampled" if sampled else "read in full")
    else:  # a missing path, a database that refused the connection: "read in full" said otherwise
        parts.append("nothing read")
    if not coverage.complete:
        parts.append(f"{len(coverage.problems)} part(s) not scanned")
    return ", ".join(parts)


def _finding(finding: Finding) -> str:
    samples = ", ".join(f"{s.masked} ({_where(s.location)})" for s in finding.samples[:3])
    about = "about " if finding.distinct.estimated else ""  # past distinct.EXACT_LIMIT
    text = (f"{finding.entity_type} in {finding.container}: {finding.occurrences:,} occurrence(s), "
            f"{about}{finding.distinct_values:,} distinct, {finding.masked_occurrences:,} already masked")
    return text + (f"; e.g. {samples}" if samples else "")


def _where(location: dict) -> str:
    inside = _inside_file(location)
    if "table" not in location:
        return inside or "?"
    row = location.get("row")
    if isinstance(row, dict):  # its primary key: "row lsh=2024…", not a Python dict's repr
        row = "row " + ", ".join(f"{column}={value}" for column, value in row.items())
    else:
        row = f"row {row}" if row is not None else "?"
    # A document stored in the value (sources/db_documents.py): its place inside it too.
    return f"{row} {inside}" if inside else row


def _inside_file(location: dict) -> str:
    if "line" in location:
        # A Word document's header, footer, notes or comments; a PDF's page; a presentation's slide.
        part = location.get("part") or (f"page {location['page']}" if "page" in location else None)
        if "slide" in location:
            part = f"slide {location['slide']} {part}"
        if "sheet" in location:  # a picture on a sheet (``sources.pictures``)
            part = f"{location['sheet']}!{location.get('cell', '')} {part}"
        if "property" in location:  # a document property (``sources.properties``)
            part = f"{part} ({location['property']})"
        line = ("OCR " if location.get("ocr") else "") + f"line {location['line']}"  # sources/images.py
        if "column" in location:  # a batch file's field (``sources.layouts``)
            line += f" {location['column']}"
        return f"{part} {line}" if part else line
    if "cell" in location:
        return f"{location.get('sheet', '')}!{location['cell']}"
    return ""


def render_summary(results: list[TargetResult]) -> str:
    """Return the whole summary: each target, then totals and the exit code's meaning."""
    lines = []
    for result in results:
        lines.extend(render_target(result))
    found = sum(f.occurrences for r in results for f in r.findings.values())
    masked = sum(f.masked_occurrences for r in results for f in r.findings.values())
    incomplete = sum(1 for r in results if not r.coverage.complete)
    lines.append(f"Total: {len(results)} target(s), {found:,} plaintext occurrence(s), "
                 f"{masked:,} already masked, {incomplete} target(s) not fully scanned.")
    return "\n".join(lines)
