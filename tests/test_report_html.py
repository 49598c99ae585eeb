"""The HTML report: self-contained, escaped, masked only, written 0600."""

from __future__ import annotations

import datetime
import re
import stat

import pytest

from pii_audit.reporting.html import render_html, write_html
from pii_audit.reporting.viewmodel import build_report
from reporting_data import XSS_IMG, XSS_SCRIPT, build_report_data

NOW = datetime.datetime(2024, 7, 15, 10, 0)


@pytest.fixture(scope="module")
def data():
    return build_report_data()


@pytest.fixture(scope="module")
def html(data):
    return render_html(build_report(data.items, data.scans, now=NOW))


def test_no_raw_value_in_the_page(data, html):
    assert len(data.raw_values) > 100  # the corpus really held plaintext values
    leaked = [v for v in data.raw_values if v in html]
    assert not leaked, f"{len(leaked)} raw values in the HTML"  # count only: never print them


def test_masked_samples_are_in_the_page(data, html):
    masked = {s.masked for i in data.items for s in i.samples}
    assert masked and all(m in html for m in masked)


@pytest.mark.parametrize("payload", [pytest.param(XSS_SCRIPT, id="script"), pytest.param(XSS_IMG, id="img")])
def test_markup_in_scanned_names_is_escaped(html, payload):
    assert payload not in html
    assert payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in html


def test_only_the_reports_own_script(html):
    assert html.count("<script") == 1  # the inline filter/sort script; every payload is escaped


def test_loads_nothing_from_outside(html):
    urls = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert urls and all(u.startswith("#") or u == "data:," for u in urls)
    assert "@import" not in html and "url(" not in html


@pytest.mark.parametrize("lang, words", [
    pytest.param("zh", ["个人信息审计报告", "整改台账", "扫描覆盖", "待整改"], id="zh"),
    pytest.param("en", ["Personal information audit report", "Remediation ledger", "Scan coverage"], id="en"),
])
def test_labels_follow_the_language(data, lang, words):
    page = render_html(build_report(data.items, data.scans, lang=lang, now=NOW))
    assert all(w in page for w in words)


def test_font_stack_and_print_stylesheet(html):
    assert '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif' in html
    assert "@media print" in html


def test_every_item_has_its_expandable_details(data, html):
    assert html.count('<tbody class="item"') == len(data.items)
    assert html.count("<details>") == len(data.items)


def test_file_is_written_0600(data, tmp_path):
    path = write_html(build_report(data.items, data.scans, now=NOW), tmp_path / "r.html")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_large_page_is_written_a_piece_at_a_time(data, tmp_path):
    """A ledger of 20,000 items made a 35 MB page, held whole as text and then as bytes: 368 MB."""
    import dataclasses
    import tracemalloc

    items = [dataclasses.replace(item, id=f"PI-{n + 1:06d}") for n, item in enumerate(data.items * 20)]
    report = build_report(items, data.scans, now=NOW)
    tracemalloc.start()
    path = write_html(report, tmp_path / "r.html")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    page = path.read_bytes()
    assert page.decode("utf-8") == render_html(report) and len(page) > 4_000_000
    assert peak < len(page) // 4


def test_existing_file_becomes_0600(data, tmp_path):
    path = tmp_path / "r.html"
    path.write_text("stale report 7f3a")
    path.chmod(0o644)
    write_html(build_report(data.items, data.scans, now=NOW), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "stale report 7f3a" not in path.read_text("utf-8")


def test_amounts_and_history_speak_the_reports_language(data):
    """What a scan read and what happened to an item are in the report's words: ``40 行`` and
    ``新发现``, not ``40 lines`` and ``created``; a table's rows carry no byte count, where a 0
    read as an empty table."""
    from dataclasses import replace

    from pii_audit.views import CoverageView

    table = CoverageView("postgresql://audit@db/core", "kh_jbxx.zjhm", "rows", 200, 0, False, True)
    scans = [*data.scans[:-1], replace(data.scans[-1], coverage=(*data.scans[-1].coverage, table))]
    zh = render_html(build_report(data.items, scans, now=NOW))
    en = render_html(build_report(data.items, scans, lang="en", now=NOW))
    assert "40 行" in zh and "200 条记录</td>\n        <td class=\"num\">—</td>" in zh and "新发现" in zh
    assert not re.search(r"\d (lines|rows)\b|>created<|>status<", zh)
    assert "40 lines" in en and "200 rows" in en and ">Found<" in en
