"""The HTML report in real headless Chromium: loads offline, filters, sorts, expands, stays escaped."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from pii_audit.reporting.html import write_html
from pii_audit.reporting.viewmodel import build_report
from reporting_data import XSS_IMG, XSS_SCRIPT, build_report_data

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NOW = datetime.datetime(2024, 7, 15, 10, 0)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"{CHROMIUM} is missing: apt-get install chromium fonts-wqy-microhei"),
]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    data = build_report_data(lines_per=20)
    return data, write_html(build_report(data.items, data.scans, now=NOW),
                            tmp_path_factory.mktemp("html") / "报告.html")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, report_file):
    _, path = report_file
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.requests, page.problems = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: message.type in ("error", "warning") and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.goto(path.as_uri())
    yield page
    page.close()


def _visible_ids(page) -> list[str]:
    return page.eval_on_selector_all("#ledger tbody.item:not([hidden])", "bs => bs.map(b => b.id)")


def test_loads_without_errors_or_network(page, report_file):
    _, path = report_file
    assert page.problems == []
    assert page.requests == [path.as_uri()]
    assert page.evaluate("window.__xss") is None  # no payload ran


def test_markup_renders_as_text(page):
    cells = page.locator("#ledger td.wrap").all_inner_texts()
    assert any(XSS_SCRIPT in c for c in cells) and any(XSS_IMG in c for c in cells)
    assert page.locator("img").count() == 0


def test_status_and_owner_filters(page, report_file):
    data, _ = report_file
    page.select_option("#filter-status", "open")
    expected = {i.id for i in data.items if i.status == "open"}
    assert set(_visible_ids(page)) == expected
    assert page.inner_text("#shown") == str(len(expected))
    page.select_option("#filter-owner", "张伟")
    assert set(_visible_ids(page)) == {i.id for i in data.items if i.status == "open" and i.owner == "张伟"}


def test_text_search(page, report_file):
    data, _ = report_file
    page.fill("#search", "postgresql://audit")
    assert set(_visible_ids(page)) == {i.id for i in data.items if "postgresql://audit" in i.target}


def test_sorting_by_occurrences(page, report_file):
    data, _ = report_file
    page.click("th[data-sort=occ]")
    ascending = page.eval_on_selector_all("#ledger tbody.item", "bs => bs.map(b => Number(b.dataset.occ))")
    assert ascending == sorted(i.occurrences for i in data.items)
    page.click("th[data-sort=occ]")
    descending = page.eval_on_selector_all("#ledger tbody.item", "bs => bs.map(b => Number(b.dataset.occ))")
    assert descending == sorted(ascending, reverse=True)


def test_an_item_expands_to_its_samples(page, report_file):
    data, _ = report_file
    item = data.items[0]
    details = page.locator(f"tbody[id='{item.id}'] details")
    assert not details.locator("table").first.is_visible()
    details.locator("summary").click()
    text = details.inner_text()
    assert all(s.masked in text for s in item.samples) and details.locator("table").first.is_visible()


def test_overview_screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-overview.png"
    page.screenshot(path=str(shot), full_page=False)
    page.evaluate("document.getElementById('ledger-section').scrollIntoView()")
    page.locator("tbody.item details summary").first.click()
    page.screenshot(path=str(ARTIFACTS / "report-ledger.png"))
    assert shot.stat().st_size > 10_000
