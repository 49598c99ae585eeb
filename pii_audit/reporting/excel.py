"""Write the report's view model as a workbook: overview, the ledger owners work in, scans, samples.

Written in openpyxl's write-only (streaming) mode, in one pass over the report's rows, so a
report streamed from the ledger (``streamed.py``) is written within bounded memory whatever its
size. Scanned text is cleaned (item 12) and always stored as text, never as a formula (item 11).
"""

from __future__ import annotations

import datetime
import os
from copy import copy
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pii_audit.distinct import is_estimate
from pii_audit.reporting import labels, ledger_sheet
from pii_audit.reporting.files import open_private
from pii_audit.reporting.ledger_sheet import DATE_FORMAT, DATETIME_FORMAT, clean_text, is_formula_like
from pii_audit.reporting.figures import Figures
from pii_audit.reporting.viewmodel import ItemRow, Report
from pii_audit.views import STATUSES

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
EDITABLE_FILL = PatternFill("solid", fgColor="FFF9E5")  # marks the columns owners fill in
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
UNLOCKED = Protection(locked=False)
ESTIMATE_FORMAT = '"≈"0'  # distinct.shown_count, as a number format


class Cells:
    """Make the write-only cells of one sheet, reusing each look's style.

    Setting ``font``/``fill``/``protection`` per cell makes openpyxl hash the style objects every
    time; building each distinct look once and copying its style array cut the ledger sheet's write
    time (profiled: style lookups were a fifth of it).
    """

    def __init__(self, ws):
        self.ws = ws
        self._looks: dict[tuple, object] = {}

    def __call__(self, value, *, bold: bool = False, number_format: str | None = None,
                 editable: bool = False, wrap: bool | None = None):
        """Return a cell; text is cleaned and, whatever it starts with, stored as text."""
        result = WriteOnlyCell(self.ws)
        quote = False
        if isinstance(value, str):
            text = clean_text(value)
            result.value = text
            result.data_type = "s"  # openpyxl would store a leading "=" as a live formula
            quote = is_formula_like(text)  # and Excel keeps it text even after the cell is edited
        else:
            result.value = value
        look = (bold, number_format, editable, wrap, quote)
        if look != (False, None, False, None, False):
            result._style = copy(self._style(look))
        return result

    def _style(self, look: tuple):
        if look not in self._looks:
            bold, number_format, editable, wrap, quote = look
            prototype = WriteOnlyCell(self.ws)
            if bold:
                prototype.font = BOLD
                prototype.fill = HEADER_FILL
            if number_format:
                prototype.number_format = number_format
            if editable:
                prototype.protection = UNLOCKED
                prototype.fill = EDITABLE_FILL
            if wrap is not None:
                prototype.alignment = WRAP if wrap else TOP
            if quote:
                prototype.quotePrefix = True
            self._looks[look] = prototype._style
        return self._looks[look]


def cell(ws, value, **look):
    """Return one write-only cell of ``ws`` (see ``Cells``)."""
    return Cells(ws)(value, **look)


def _date_format(value) -> str | None:
    if isinstance(value, datetime.datetime):
        return DATETIME_FORMAT
    if isinstance(value, datetime.date):
        return DATE_FORMAT
    return None


def _row(cells: Cells, values, bold: bool = False) -> list:
    return [cells(v, bold=bold, number_format=_date_format(v)) for v in values]


def _overview(ws, report: Report, figures: Figures) -> None:
    t = report.text
    cells = Cells(ws)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 16
    ws.append([cells(t["title"], bold=True)])
    ws.append(_row(cells, [t["generated"], report.generated_at.replace(second=0, microsecond=0)]))
    if report.scan is not None:
        ws.append(_row(cells, [t["report_of_scan"], f"#{report.scan.id}"]))
    ws.append(_row(cells, [t["n_items"], figures.items]))
    ws.append(_row(cells, [t["overdue"], figures.overdue]))
    for key in ("new", "reopened", "verified"):
        ws.append(_row(cells, [f"{t['changes']}: {t[key]}", getattr(figures, key)]))
    for title, bars in ((t["by_status"], figures.by_status), (t["by_risk"], figures.by_risk),
                        (t["by_entity"], figures.by_entity), (t["by_owner"], figures.by_owner)):
        ws.append([])
        ws.append(_row(cells, [title, t["value"]], bold=True))
        for bar in bars:
            ws.append(_row(cells, [bar.label, bar.value]))
    ws.append([])
    ws.append(_row(cells, [t["scan"], t["started"], t["open_items"], t["occurrences"]], bold=True))
    for scan in reversed(report.scans):
        ws.append(_row(cells, [f"#{scan.id}", scan.started_at.replace(tzinfo=None), scan.open_items,
                            scan.occurrences]))


def _ledger_top(ws, lang: str) -> None:
    """Set what openpyxl writes before the ledger sheet's rows: panes and columns."""
    ws.freeze_panes = "B2"
    for index, key in enumerate(ledger_sheet.COLUMNS, start=1):
        dimension = ws.column_dimensions[get_column_letter(index)]
        dimension.width = ledger_sheet.WIDTHS[key]
        dimension.hidden = key == "updated_at"
    ws.append(_row(Cells(ws), ledger_sheet.header(lang), bold=True))


def _ledger_tail(ws, lang: str, rows: int) -> None:
    """Set what openpyxl writes after the rows (at save): filter, protection, the drop-down."""
    last = get_column_letter(len(ledger_sheet.COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{rows + 1}"
    # Owners may filter, sort and resize; they may change only the unlocked cells.
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    if rows:
        choices = ",".join(labels.status_label(s, lang) for s in STATUSES)
        validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=False,
                                    showErrorMessage=True)
        status_column = get_column_letter(ledger_sheet.COLUMNS.index("status") + 1)
        validation.add(f"{status_column}2:{status_column}{rows + 1}")
        ws.data_validations.append(validation)


def _ledger_cell(cells: Cells, key: str, value):
    # An estimated count of distinct values stays a number (sortable, summable), shown "≈".
    number_format = ESTIMATE_FORMAT if key == "distinct" and is_estimate(value) else _date_format(value)
    return cells(value, number_format=number_format, editable=key in ledger_sheet.EDITABLE,
                 wrap=key in ledger_sheet.WRAPPED)


def _ledger_and_samples(ledger_ws, samples_ws, report: Report) -> None:
    """Write the ledger and samples sheets in one pass over the report's rows."""
    _ledger_top(ledger_ws, report.lang)
    _samples_top(samples_ws, report.lang)
    ledger_cells, sample_cells = Cells(ledger_ws), Cells(samples_ws)
    count = 0
    for row in report.rows():
        values = ledger_sheet.ledger_values(row.item, report.lang)
        ledger_ws.append([_ledger_cell(ledger_cells, key, values[key]) for key in ledger_sheet.COLUMNS])
        _sample_rows(samples_ws, sample_cells, row)
        count += 1
    _ledger_tail(ledger_ws, report.lang, count)


def _scans(ws, report: Report) -> None:
    t = report.text
    cells = Cells(ws)
    for letter, width in zip("ABCDEFGHIJK", (8, 17, 17, 12, 40, 10, 12, 10, 10, 10, 12)):
        ws.column_dimensions[letter].width = width
    ws.append(_row(cells, [t["scan"], t["started"], t["finished"], t["by"], t["targets"], t["complete"],
                        t["occurrences"], t["new"], t["reopened"], t["verified"], t["open_items"]], bold=True))
    for s in report.scans:
        ws.append(_row(cells, [s.id, _naive(s.started_at), _naive(s.finished_at), s.by, "\n".join(s.targets),
                            t["complete"] if s.complete else t["incomplete"], s.occurrences, s.new_items,
                            s.reopened_items, s.verified_items, s.open_items]))
    ws.append([])
    ws.append(_row(cells, [t["scan"], t["targets"], t["location"], t["units"], t["bytes"], t["mode"],
                        t["complete"]], bold=True))
    for s in report.scans:
        for c in s.coverage:
            ws.append(_row(cells, [s.id, c.target, c.container, labels.amount_read(c.units, c.unit, report.lang),
                                labels.bytes_read(c.bytes, c.unit), t["sampled"] if c.sampled else t["full"],
                                t["complete"] if c.complete else t["incomplete"]]))
    ws.append([])
    ws.append(_row(cells, [t["scan"], t["targets"], t["problems"], t["reason"]], bold=True))
    for s in report.scans:
        for p in s.problems:
            ws.append(_row(cells, [s.id, p.target, p.where, p.reason]))


def _samples_top(ws, lang: str) -> None:
    for letter, width in zip("ABCDEF", (11, 14, 28, 32, 24, 60)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    # The item's columns headed as in the ledger sheet, so the two sheets read side by side.
    columns, t = labels.LEDGER_COLUMNS[lang], labels.TEXT[lang]
    ws.append(_row(Cells(ws), [columns["id"], columns["entity"], columns["target"], columns["container"],
                               t["samples"], t["sample_location"]], bold=True))


def _sample_rows(ws, cells: Cells, row: ItemRow) -> None:
    for sample in row.samples:
        ws.append(_row(cells, [row.item.id, row.entity_label, row.item.target, row.item.container,
                               sample.masked, sample.location]))


def _naive(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone().replace(tzinfo=None)


def write_workbook(report: Report, path: str | os.PathLike) -> Path:
    """Write the workbook of ``report`` (a ``Report`` or a ``streamed.StreamedReport``) to ``path``
    (mode 0600), streaming, and return the path."""
    wb = Workbook(write_only=True)
    sheets = [wb.create_sheet(labels.SHEETS[report.lang][name])
              for name in ("overview", "ledger", "scans", "samples")]
    overview, ledger, scans, samples = sheets
    _ledger_and_samples(ledger, samples, report)
    _scans(scans, report)
    # The overview comes first in the workbook but is written last: a streamed report knows its
    # figures once its rows are written (each write-only sheet streams to its own file).
    _overview(overview, report, report.figures)
    with open_private(path) as handle:
        wb.save(handle)
    return Path(path)
