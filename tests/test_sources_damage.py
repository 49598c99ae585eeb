"""A parser's exception on a damaged file becomes a line a person can act on, quoting nothing of it."""

from __future__ import annotations

import lzma
import struct
import zipfile
import zlib
from xml.parsers.expat import ExpatError

import pytest

from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks
from pii_audit.sources.damage import damaged, reason, unreadable
from pii_audit.sources.spreadsheets import read_spreadsheet
from test_sources_spreadsheets import make_xlsx
from zip_helpers import garbled

SECRET = "110105194912310029"  # what a parser's message may quote of the file


class PdfStreamError(Exception):
    """Named as pypdf's, which is not imported here."""


class PanicException(BaseException):
    """Named as pyo3's (python-calamine's Rust panics)."""


@pytest.mark.parametrize("error, expected", [
    pytest.param(zlib.error(SECRET), "unreadable: corrupt compressed data (zlib.error)", id="zlib"),
    pytest.param(lzma.LZMAError(SECRET), "unreadable: corrupt compressed data (LZMAError)", id="lzma"),
    pytest.param(zipfile.BadZipFile(SECRET), "unreadable: a corrupt zip structure or checksum (BadZipFile)", id="zip"),
    pytest.param(EOFError(SECRET), "unreadable: a truncated file, its data cut short (EOFError)", id="eof"),
    pytest.param(struct.error(SECRET), "unreadable: a record cut short, truncated or corrupt (struct.error)",
                 id="struct"),
    pytest.param(ExpatError(SECRET), "unreadable: malformed XML (ExpatError)", id="xml"),
    pytest.param(UnicodeDecodeError("utf-8", SECRET.encode(), 0, 1, SECRET),
                 "unreadable: text not in the encoding it declares (UnicodeDecodeError)", id="unicode"),
    pytest.param(NotImplementedError(SECRET),
                 "unreadable: a compression method or feature not supported here (NotImplementedError)",
                 id="unknown-method"),
    pytest.param(KeyError(SECRET), "unreadable: a corrupt reference to a part or object it does not hold (KeyError)",
                 id="key"),
    pytest.param(IndexError(SECRET), "unreadable: a corrupt reference past the end of a table (IndexError)", id="index"),
    pytest.param(LookupError(SECRET), "unreadable: an encoding that is not known (LookupError)", id="encoding"),
    pytest.param(ValueError(SECRET), "unreadable: a corrupt or malformed value (ValueError)", id="value"),
    pytest.param(RecursionError(SECRET), "unreadable: structures nested too deep, corrupt or hostile (RecursionError)",
                 id="recursion"),
    pytest.param(PdfStreamError(SECRET), "unreadable: a corrupt PDF structure (PdfStreamError)", id="pdf"),
    pytest.param(PanicException(SECRET), "unreadable: corrupt content python-calamine's parser failed on "
                                         "(PanicException)", id="rust-panic"),
    pytest.param(TypeError(SECRET), "unreadable (TypeError): corrupt or not a spreadsheet", id="unknown"),
])
def test_each_common_exception_reads_as_what_it_means_and_its_type(error, expected):
    """A catch-all line named the type only, and a zlib.error read "unreadable (error)": the common
    types say what they mean in a damaged file, the type after it; an unknown type is named alone.
    The exception's message, which may quote the file, is never in the line."""
    assert unreadable(error, "spreadsheet") == expected
    assert SECRET not in damaged("xl/worksheets/sheet1.xml", error)
    assert (reason(error) is None) == expected.startswith("unreadable (")


def test_a_sheet_whose_compressed_data_is_damaged_says_so(tmp_path):
    """Found by mutating a workbook: a sheet's deflate stream damaged read "unreadable (error):
    corrupt or not a spreadsheet", zlib.error's type being named "error"."""
    src = make_xlsx(tmp_path / "a.xlsx", {"客户": [["证件号码"], [SECRET]], "汇总": [["合计"], [1]]})
    path = tmp_path / "坏.xlsx"
    path.write_bytes(garbled(src.read_bytes(), "xl/worksheets/sheet1.xml"))
    coverage = TargetCoverage(str(path))
    chunks = list(as_chunks(read_spreadsheet(str(path), ScanOptions(), coverage)))
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (f"{path}!客户", "unreadable: corrupt compressed data (zlib.error)")]
    assert {c.text for c in chunks if c.location.get("sheet") == "汇总"} >= {"合计"}
