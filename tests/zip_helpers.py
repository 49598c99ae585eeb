"""Zip surgery for the spreadsheet tests: a workbook with some members replaced or added."""

from __future__ import annotations

import zipfile
from pathlib import Path


def rewrite(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    """Copy a zip, replacing (or adding) the named members."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, replace.get(info.filename, old.read(info.filename)))
        for name in replace.keys() - set(old.namelist()):
            new.writestr(name, replace[name])
    return dst
