"""The report's view model: built once from the ledger's views (sorted, counted, labelled), read by
both the HTML and the Excel writer, so the two formats always say the same thing.

Everything here comes from ``ItemView``/``ScanView``, which hold masked values only.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Iterable, Iterator

from pii_audit.errors import ConfigError
from pii_audit.ledger.ids import parse_id
from pii_audit.ledger.lifecycle import ACTIVE
from pii_audit.reporting import charts, labels
from pii_audit.reporting.figures import Figures, Tally, risk_rank
from pii_audit.views import STATUSES, CoverageView, HistoryEntry, ItemView, ScanView

STATUS_ORDER = {status: rank for rank, status in enumerate(STATUSES)}
OTHER_STATUS = 99
TREND_SCANS = 12  # scans shown in the trend charts


@dataclass(frozen=True)
class SampleRow:
    """A masked sample and its location in words."""

    masked: str
    location: str


@dataclass(frozen=True)
class HistoryRow:
    """One history entry in words."""

    at: datetime.datetime
    by: str
    action: str
    change: str
    note: str


@dataclass(frozen=True)
class ItemRow:
    """One ledger item as the reports print it."""

    item: ItemView
    status_label: str
    entity_label: str
    risk_label: str
    days_overdue: int  # 0 when not overdue
    samples: tuple[SampleRow, ...]
    history: tuple[HistoryRow, ...]
    coverage: CoverageView | None  # what the latest scan that covered its container read


@dataclass(frozen=True)
class Changes:
    """What the report's scan changed: item IDs new, reopened and verified by it."""

    new: tuple[str, ...] = ()
    reopened: tuple[str, ...] = ()
    verified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything a report shows, ready to print."""

    lang: str
    text: dict
    generated_at: datetime.datetime
    today: datetime.date
    scan: ScanView | None  # the scan the report is about (the latest, or --scan)
    previous: ScanView | None
    items: tuple[ItemRow, ...]
    figures: Figures
    overdue: tuple[ItemRow, ...]
    changes: Changes
    trend: tuple[charts.LineChart, ...]
    scans: tuple[ScanView, ...]  # newest first
    choices: dict  # filter name -> sorted (value, label) pairs, for the HTML filters

    def status_label(self, status: str) -> str:
        """Return a status in the report's language."""
        return labels.status_label(status, self.lang)

    def rows(self) -> Iterator[ItemRow]:
        """Return the rows in report order (as a streamed report does)."""
        return iter(self.items)

    @property
    def by_status(self) -> tuple[charts.Bar, ...]:
        """Items by status."""
        return self.figures.by_status

    @property
    def by_risk(self) -> tuple[charts.Bar, ...]:
        """Items by risk category."""
        return self.figures.by_risk

    @property
    def by_entity(self) -> tuple[charts.Bar, ...]:
        """Items by entity."""
        return self.figures.by_entity

    @property
    def by_owner(self) -> tuple[charts.Bar, ...]:
        """Items by owner."""
        return self.figures.by_owner


def format_location(location: dict, lang: str = "zh") -> str:
    """Return a sample's location in words: file and line, sheet and cell, or table, column and row.

    >>> format_location({"path": "app.log", "line": 7, "start": 3, "end": 14})
    'app.log:7 [3-14]'
    >>> format_location({"url": "sqlite:///a.db", "table": "kh", "column": "zjhm", "row": {"id": 2}})
    'sqlite:///a.db kh.zjhm {"id": 2}'
    >>> format_location({"url": "sqlite:///a.db", "table": "rz", "column": "nr", "row": 7})
    'sqlite:///a.db rz.nr 第7行'
    >>> format_location({"path": "a.xlsx", "sheet": "客户", "cell": "B2", "comment": True, "start": 8, "end": 26})
    'a.xlsx 客户!B2 批注 [8-26]'
    >>> format_location({"path": "r.docx", "part": "word/header1.xml", "line": 1, "start": 6, "end": 17})
    'r.docx word/header1.xml:1 [6-17]'
    >>> format_location({"path": "回单.pdf", "page": 2, "line": 5, "start": 3, "end": 14})
    '回单.pdf 第2页:5 [3-14]'
    >>> format_location({"path": "回单.pdf", "page": 2, "line": 5}, "en")
    '回单.pdf page 2:5'
    >>> format_location({"path": "a.pptx", "part": "ppt/slides/slide3.xml", "slide": 2, "line": 4})
    'a.pptx 幻灯片2 ppt/slides/slide3.xml:4'
    >>> format_location({"path": "a.ppt", "part": "PowerPoint Document", "slide": 3, "line": 6})
    'a.ppt 幻灯片3 PowerPoint Document:6'
    >>> format_location({"path": "r.docx", "part": "docProps/custom.xml", "line": 2, "property": "证件号码"})
    'r.docx docProps/custom.xml:2 (证件号码)'
    >>> format_location({"url": "sqlite:///a.db", "table": "ht", "column": "wj", "row": {"id": 3}, "page": 2, "line": 5})
    'sqlite:///a.db ht.wj {"id": 3} 第2页:5'
    >>> format_location({"path": "影像/身份证.png", "line": 3, "ocr": True, "start": 6, "end": 24})
    '影像/身份证.png:3 OCR识别 [6-24]'
    >>> format_location({"path": "扫描件.pdf", "page": 2, "line": 1, "ocr": True}, "en")
    '扫描件.pdf page 2:1 OCR'
    >>> format_location({"path": "CUST_20240601.dat", "line": 12, "column": "证件号码", "start": 0, "end": 18})
    'CUST_20240601.dat:12 证件号码 [0-18]'
    """
    words = labels.LOCATION[lang]
    inside = _inside_file(location, words)
    if "table" in location:
        row = location.get("row", {})
        # A table without a primary key: its rows are numbered in scan order (sources/db_tables.py).
        row = words["row"].format(row) if isinstance(row, int) else \
            json.dumps(row, ensure_ascii=False, sort_keys=True, default=str)
        # A document stored in the value (sources/db_documents.py) adds its place inside it.
        text = f"{location.get('url', '')} {location['table']}.{location.get('column', '')} {row}{inside}"
    elif inside:
        text = f"{location.get('path', '')}{inside}"
    else:
        text = json.dumps(location, ensure_ascii=False, sort_keys=True, default=str)
    if location.get("ocr"):  # read by OCR in an image (sources/images.py): its line is the text's
        text += f" {words['ocr']}"
    if "start" in location and "end" in location:
        text += f" [{location['start']}-{location['end']}]"
    return text.strip()


def _inside_file(location: dict, words: dict) -> str:
    """Return what follows a file's path in its location: a sheet and cell, a part, a page, a line."""
    if "sheet" in location:
        text = f" {location['sheet']}!{location.get('cell', '')}"
        if location.get("comment"):  # the cell's comment, not its value (spreadsheets.COMMENTS)
            text += " " + words["comment"]
        return text
    if "line" in location and location.get("part"):  # a Word document's header, notes or comments; a slide's
        # A slide's part keeps the order slides were made in; PowerPoint shows its number.
        slide = " " + words["slide"].format(location["slide"]) if "slide" in location else ""
        text = f"{slide} {location['part']}:{location['line']}"
        if "property" in location:  # a document property, named (``sources.properties``)
            text += f" ({location['property']})"
        return text
    if "line" in location and "page" in location:  # a PDF's
        return f" {words['page'].format(location['page'])}:{location['line']}"
    if "line" in location and "column" in location:  # a batch file's field (``sources.layouts``)
        return f":{location['line']} {location['column']}"
    if "line" in location:
        return f":{location['line']}"
    return ""


def risk_label(item: ItemView, lang: str) -> str:
    """Return the item's risk: category, plus PIPL-sensitive and minors' data when they apply."""
    words = labels.TEXT[lang]
    parts = [item.risk_category]
    if item.sensitive:
        parts.append(words["sensitive"])
    if item.minor:
        parts.append(words["minor"])
    return " · ".join(parts)


def check_status(status: str | None) -> None:
    """Refuse a status filter that names no status."""
    if status is not None and status not in STATUSES:
        raise ConfigError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")


def select_items(items: list[ItemView], scan_id: int | None = None, status: str | None = None,
                 owner: str | None = None) -> list[ItemView]:
    """Return the items a report shows: touched by scan ``scan_id``, in ``status``, of ``owner``.

    ``streamed.report_filter`` is the same selection in SQL.
    """
    check_status(status)
    chosen = []
    for item in items:
        if status is not None and item.status != status:
            continue
        if owner is not None and (item.owner or "") != owner:
            continue
        if scan_id is not None and not any(h.scan_id == scan_id for h in item.history):
            continue
        chosen.append(item)
    return chosen


def _history_row(entry: HistoryEntry, lang: str) -> HistoryRow:
    change = ""
    if entry.from_status or entry.to_status:
        before = labels.status_label(entry.from_status, lang) if entry.from_status else "-"
        change = f"{before} → {labels.status_label(entry.to_status or '', lang)}"
    note = labels.history_note(entry.note, lang) if entry.note else ""
    return HistoryRow(entry.at, entry.by, labels.action_label(entry.action, lang), change, note)


def days_overdue(item: ItemView, today: datetime.date) -> int:
    """Return how many days an item still to be fixed is past its due date (0 when it is not)."""
    return (today - item.due_date).days if item.overdue(today) else 0


def item_row(item: ItemView, lang: str, today: datetime.date,
             coverage: dict[tuple[str, str], CoverageView]) -> ItemRow:
    """Return the row of ``item`` as the reports print it."""
    return ItemRow(
        item=item,
        status_label=labels.status_label(item.status, lang),
        entity_label=labels.entity_label(item.entity_type, lang),
        risk_label=risk_label(item, lang),
        days_overdue=days_overdue(item, today),
        samples=tuple(SampleRow(s.masked, format_location(s.location, lang)) for s in item.samples),
        history=tuple(_history_row(h, lang) for h in sorted(item.history, key=lambda h: h.at)),
        coverage=coverage.get((item.target, item.container)),
    )


def sort_key(row: ItemRow) -> tuple:
    """Return a row's place in the report: risk, status, longest overdue first, then item number.

    ``streamed.report_order`` is the same order in SQL.
    """
    item = row.item
    return (risk_rank(item.risk_category), STATUS_ORDER.get(item.status, OTHER_STATUS),
            -row.days_overdue, parse_id(item.id))


def changes_of(history: Iterable[HistoryEntry], scan_id: int) -> set[str]:
    """Return what scan ``scan_id`` made of an item, by its history: new, reopened, verified."""
    kinds = set()
    for entry in history:
        if entry.scan_id != scan_id:
            continue
        if entry.action == "created":
            kinds.add("new")
        if entry.to_status in ("reopened", "verified"):
            kinds.add(entry.to_status)
    return kinds


def _changes(made: dict[str, set[str]]) -> Changes:
    """Return the IDs of each kind of change, from ``changes_of`` by item ID."""
    return Changes(*(tuple(sorted(i for i, kinds in made.items() if kind in kinds))
                     for kind in ("new", "reopened", "verified")))


def _choices(rows: list[ItemRow], lang: str) -> dict:
    def pairs(values):
        return tuple(sorted(set(values)))
    return {
        "status": tuple((s, labels.status_label(s, lang)) for s in STATUSES
                        if any(r.item.status == s for r in rows)),
        "owner": tuple((o, o or labels.TEXT[lang]["unassigned"]) for o in pairs(r.item.owner or "" for r in rows)),
        "entity": pairs((r.item.entity_type, r.entity_label) for r in rows),
        "risk": tuple((k, k) for k in sorted({r.item.risk_category for r in rows}, key=risk_rank)),
        "target": tuple((t, t) for t in pairs(r.item.target for r in rows)),
    }


def _trend(scans: list[ScanView], items: list[ItemView], lang: str) -> tuple[charts.LineChart, ...]:
    """The open items and the occurrences of the report's targets after each recent scan.

    Each point is the whole of what the report covers at that moment, not what that scan alone
    read: a scheduled run records one scan per target, and a line that went from one system's
    count to the next one's said nothing about progress."""
    targets = {item.target for item in items}
    latest: dict[str, int] = {}  # target -> occurrences in the latest scan that recorded it
    occurrences = []
    for scan in scans:
        latest.update(scan.occurrences_by_target)
        occurrences.append(sum(n for target, n in latest.items() if target in targets))
    start = max(len(scans) - TREND_SCANS, 0)
    recent = scans[start:]
    words = labels.TEXT[lang]
    return (charts.line_chart(words["open_items"], [(f"#{s.id}", _active_after(items, s)) for s in recent]),
            charts.line_chart(words["occurrences"],
                              [(f"#{s.id}", n) for s, n in zip(recent, occurrences[start:])]))


def _active_after(items: list[ItemView], scan: ScanView) -> int:
    """Return how many of ``items`` waited for remediation once ``scan`` was recorded, by their
    history: the changes scans up to it made, and people's changes until it finished."""
    until = scan.finished_at or scan.started_at
    count = 0
    for item in items:
        status = None
        for entry in item.history:
            made_by_then = entry.at <= until if entry.scan_id is None else entry.scan_id <= scan.id
            if made_by_then and entry.to_status is not None:
                status = entry.to_status
        count += status in ACTIVE
    return count


def _coverage_index(scans: list[ScanView]) -> dict[tuple[str, str], CoverageView]:
    index = {}
    for scan in scans:  # oldest first, so the latest coverage of a container wins
        for record in scan.coverage:
            index[(record.target, record.container)] = record
    return index


def scans_as_of(scans: Iterable[ScanView], scan_id: int | None) -> list[ScanView]:
    """Return the scans up to ``scan_id`` (default: every scan), oldest first."""
    ordered = sorted(scans, key=lambda s: s.id)
    if scan_id is None:
        return ordered
    if not any(s.id == scan_id for s in ordered):
        raise ConfigError(f"no scan with ID {scan_id} in the ledger")
    return [s for s in ordered if s.id <= scan_id]


def build_report(items: list[ItemView], scans: list[ScanView], *, lang: str = "zh",
                 scan_id: int | None = None, now: datetime.datetime | None = None) -> Report:
    """Build the view model of a report on ``items`` as of scan ``scan_id`` (default: the latest)."""
    labels.check_lang(lang)
    now = now or datetime.datetime.now()
    ordered = scans_as_of(scans, scan_id)
    scan = ordered[-1] if ordered else None
    previous = ordered[-2] if len(ordered) > 1 else None
    coverage = _coverage_index(ordered)
    rows = sorted((item_row(i, lang, now.date(), coverage) for i in items), key=sort_key)
    made = {i.id: changes_of(i.history, scan.id) for i in items} if scan is not None else {}
    tally = Tally(lang)
    for row in rows:
        tally.add(row)
        tally.add_changes(made.get(row.item.id, ()))
    return Report(
        lang=lang, text=labels.TEXT[lang], generated_at=now, today=now.date(), scan=scan,
        previous=previous, items=tuple(rows), figures=tally.figures(),
        overdue=tuple(sorted((r for r in rows if r.days_overdue), key=lambda r: -r.days_overdue)),
        changes=_changes(made), trend=_trend(ordered, items, lang),
        scans=tuple(reversed(ordered)), choices=_choices(rows, lang),
    )
