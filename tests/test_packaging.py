"""`pip install .` (not only editable) ships both packages and the report templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(REPO)], check=True, capture_output=True)
    (path,) = out.glob("pii_audit-*.whl")
    return path


def test_wheel_holds_packages_and_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "pii_audit/cli.py" in names and "pii_audit/detector.py" in names
    assert "recognizers/__init__.py" in names and "recognizers/cn_resident_id.py" in names
    templates = {p.name for p in (REPO / "reports" / "templates").iterdir() if p.is_file()}
    assert templates, "reports/templates/ is empty"
    assert {f"pii_audit/report_templates/{t}" for t in templates} <= names


def test_installed_wheel_runs_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    script = ("import importlib.resources, pii_audit, recognizers;"
              "assert pii_audit.__file__.startswith(%r), pii_audit.__file__;"
              "names = [p.name for p in importlib.resources.files('pii_audit.report_templates').iterdir()];"
              "print(len(recognizers.ALL_RECOGNIZERS), sorted(names))") % str(target)
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert ".html" in run.stdout
