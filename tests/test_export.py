"""Export: JSON lines, both reports and a manifest that ``sha256sum -c`` accepts; nothing raw, all 0600."""

from __future__ import annotations

import datetime
import json
import shutil
import stat
import subprocess
import zipfile

import pytest

from pii_audit.reporting.export import MANIFEST, export
from reporting_data import build_report_data

NOW = datetime.datetime(2024, 7, 15, 10, 0)
NAMES = ["items.jsonl", "scans.jsonl", "report.html", "report.xlsx", MANIFEST]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    data = build_report_data()
    out = tmp_path_factory.mktemp("e") / "audit-2024Q3"
    files = export(data.items, data.scans, out, now=NOW)
    return data, out, files


def test_writes_every_file_0600(exported):
    _, out, files = exported
    assert sorted(f.name for f in files) == sorted(NAMES)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_jsonl_holds_every_item_and_scan(exported):
    data, out, _ = exported
    items = [json.loads(line) for line in (out / "items.jsonl").read_text("utf-8").splitlines()]
    scans = [json.loads(line) for line in (out / "scans.jsonl").read_text("utf-8").splitlines()]
    assert [i["id"] for i in items] == sorted(i.id for i in data.items)
    assert [s["id"] for s in scans] == [1, 2, 3, 4]
    assert items[0]["samples"][0]["masked"] and items[0]["history"][0]["at"].startswith("2024-05-01T")


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum (coreutils) is not installed")
def test_manifest_verifies_with_sha256sum(exported):
    _, out, _ = exported
    done = subprocess.run(["sha256sum", "-c", MANIFEST], cwd=out, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == 4


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum (coreutils) is not installed")
def test_manifest_catches_a_changed_file(exported, tmp_path):
    _, out, _ = exported
    copy = shutil.copytree(out, tmp_path / "copy")
    with open(copy / "items.jsonl", "ab") as handle:
        handle.write(b"{}\n")
    done = subprocess.run(["sha256sum", "-c", MANIFEST], cwd=copy, capture_output=True, text=True)
    assert done.returncode != 0 and "items.jsonl: FAILED" in done.stdout


def test_no_raw_value_in_any_byte(exported):
    data, out, _ = exported
    blobs = [f.read_bytes() for f in out.iterdir()]
    with zipfile.ZipFile(out / "report.xlsx") as archive:
        blobs += [archive.read(n) for n in archive.namelist()]
    text = b"\n".join(blobs).decode("utf-8", "replace")
    leaked = [v for v in data.raw_values if v in text]
    assert len(data.raw_values) > 100 and not leaked, f"{len(leaked)} raw values exported"


def test_lone_surrogate_stays_valid_json(tmp_path):
    import dataclasses
    data = build_report_data(lines_per=5)
    odd = dataclasses.replace(data.items[0], container="bad\ud800name")
    export([odd], data.scans, tmp_path / "x", now=NOW)
    [line] = (tmp_path / "x" / "items.jsonl").read_text("utf-8").splitlines()
    assert json.loads(line)["container"] == "bad\ud800name"
