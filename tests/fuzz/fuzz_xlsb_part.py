"""Coverage-guided fuzzing of the .xlsb record readers (``xlsb_stream``, ``xlsb_caches``) with
atheris: the bytes are one part of a sound workbook, so no mutation is spent breaking the zip.

Usage (atheris is the ``fuzz`` extra; see ``fuzz_reader.py``):

    .venv/bin/python tests/fuzz/fuzz_xlsb_part.py SEED_DIR... [libFuzzer options]

The workbook (``TEMPLATE``, written by ``tests/xlsb_helpers.py``) holds two worksheets, one with
a comment, shared strings, styles, three pivot caches (records as BrtPCRRecord, as BrtPCRRecordDt,
none) and an external link. An input's first byte picks a ``.bin`` part (``PARTS``, by its index
modulo their count), the rest is that part's bytes; a seed is a part as it is, after its index
(``python tests/fuzz/fuzz_xlsb_part.py --seeds DIR`` writes them). The workbook is read as
``spreadsheets.read_spreadsheet`` reads it: every sheet's rows and comments, a ``SheetError`` ending
one sheet, a ``WorkbookRefused`` the workbook.

A finding is any other exception (``spreadsheets`` would turn it into "unreadable (IndexError)"
and lose the sheets after it), a message of more than one line or one that is not ASCII (the
readers' are; text from the file would not be), a hang, or memory past the limit.
"""

from __future__ import annotations

import datetime
import io
import sys
import zipfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).parents[1]))  # the tests' helpers

with atheris.instrument_imports(include=["pii_audit", "recognizers"]):
    from pii_audit.sources import spreadsheets, xlsb_caches  # noqa: F401 -- imported late by xlsb_stream
    from pii_audit.sources.xlsb_stream import xlsb_sheets
    from pii_audit.sources.xlsx_book import SheetError
    from pii_audit.sources.xlsx_guard import WorkbookRefused

from xlsb_helpers import (  # noqa: E402
    Error, PivotField, definition_part, external_link_part, grid, records_part, with_caches, xlsb_parts,
)

FIELDS = [PivotField("备注", run=True), PivotField("开户日期", shared=False), PivotField("余额", shared=False),
          PivotField("到期日"), PivotField("已核实"), PivotField("状态")]
ROWS = [["已回访", datetime.datetime(2024, 1, 5), 12.5, datetime.datetime(2025, 1, 5, 10, 30), True, None],
        ["未回访", datetime.datetime(2023, 3, 1, 9, 30), -0.5, datetime.datetime(2025, 1, 5), False, Error("#N/A")]]
SHEETS = {"客户": grid([["姓名", "证件号码", "手机"], ["张三", "11010519491231002X", 13812345678.0]]),
          "第二页": grid([[None, "备注"], [True, 45296.5, "文本"]], first_row=2)}
TEMPLATE = with_caches(
    xlsb_parts(SHEETS, comments={"第二页": [(2, 1, "批注")]}), 2,
    pivots=[(definition_part(FIELDS, ROWS), records_part(FIELDS, ROWS)),
            (definition_part(FIELDS, ROWS), records_part(FIELDS, ROWS, dt=True)),
            (definition_part(FIELDS, ROWS, with_records=False), None)],
    links=[external_link_part(["其他", "客户"], {1: [[None, "甲", 1.5, True, Error("#REF!")], [], ["乙"]]})])
PARTS = sorted(name for name in TEMPLATE if name.endswith(".bin"))


def workbook(data: bytes) -> bytes:
    """Return the template's zip with the part ``data[0]`` picks replaced by ``data[1:]``."""
    parts = dict(TEMPLATE)
    if data:
        parts[PARTS[data[0] % len(PARTS)]] = data[1:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, part in parts.items():
            archive.writestr(name, part)
    return out.getvalue()


def read_workbook(data: bytes) -> None:
    """Read the workbook ``data`` makes; fail on what a reader must never do."""
    comments: dict = {}
    try:
        for _, rows in xlsb_sheets(workbook(data), comments):
            try:
                for _ in rows:
                    pass
            except SheetError as error:
                check(str(error))
    except (SheetError, WorkbookRefused) as error:
        check(str(error))


def check(message: str) -> None:
    assert "\n" not in message and message.isascii(), message


def write_seeds(folder: str) -> None:
    """Write each part of the template as a seed: its index, then its bytes."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(PARTS):
        Path(folder, name.replace("/", "_")).write_bytes(bytes([index]) + TEMPLATE[name])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--seeds"]:
        write_seeds(sys.argv[2])
    else:
        atheris.Setup(sys.argv, read_workbook)
        atheris.Fuzz()
