"""Render the report's view model as one self-contained HTML file (inline CSS, JS and SVG).

Bank intranets are offline, so the page loads nothing: no CDN, no web font, no external script.
Autoescape is on and undefined names fail, so scanned text always prints as text.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import jinja2

from pii_audit import __version__
from pii_audit.distinct import is_estimate, shown_count
from pii_audit.reporting.files import open_private
from pii_audit.reporting import labels
from pii_audit.reporting.labels import LEDGER_COLUMNS
from pii_audit.reporting.figures import RISK_ORDER
from pii_audit.reporting.viewmodel import Report
from pii_audit.views import STATUSES

# A lone surrogate (a badly decoded name) cannot be written as UTF-8: show U+FFFD instead.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def template_dir() -> Path:
    """Return the directory of the report templates: the installed package, else the source tree."""
    try:
        from importlib.resources import files

        installed = Path(str(files("pii_audit.report_templates")))
        if (installed / "report.html").is_file():
            return installed
    except ModuleNotFoundError:
        pass  # running from a checkout: the templates are in reports/templates/
    return Path(__file__).resolve().parents[2] / "reports" / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Return the jinja2 environment of the reports (autoescape on, StrictUndefined)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(ledger_columns=LEDGER_COLUMNS, statuses=STATUSES, risk_rank=RISK_ORDER, version=__version__)
    env.globals.update(amount_read=labels.amount_read, bytes_read=labels.bytes_read)
    env.filters["distinct"] = shown_count  # an estimated count of distinct values marked "≈"
    env.tests["estimate"] = is_estimate
    return env


def render_html(report: Report) -> str:
    """Return the HTML report of ``report``."""
    return environment().get_template("report.html").render(report=report)


def write_html(report: Report, path: str | os.PathLike) -> Path:
    """Write the HTML report of ``report`` to ``path`` (mode 0600) and return the path.

    The page is written as the template yields it: rendered whole, a ledger of 20,000 items (a
    35 MB page) held it as text, then as its bytes, and peaked at 368 MB (measured)."""
    with open_private(path) as handle:
        for piece in environment().get_template("report.html").generate(report=report):
            handle.write(_SURROGATE_RE.sub("\ufffd", piece).encode("utf-8"))
    return Path(path)
