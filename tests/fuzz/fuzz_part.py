"""Coverage-guided fuzzing of one XML part of an Office zip: the part mutated, the zip rebuilt whole.

Usage (atheris is the ``fuzz`` extra: ``.venv/bin/pip install -e '.[fuzz]'``):

    .venv/bin/python tests/fuzz/fuzz_part.py TEMPLATE PART SEED_DIR... [libFuzzer options]

TEMPLATE is a real file (``a.xlsx``, ``report.docx``, ``deck.pptx``, ``book.ods``...), PART one of
its members (``xl/worksheets/sheet1.xml``, ``xl/sharedStrings.xml``, ``word/document.xml``,
``content.xml``, ``docProps/custom.xml``...). Each input is that part's bytes: the template is
zipped again with it in place, every member with a valid CRC, and read through the same entry
point as ``fuzz_reader`` (``archives.read_member``, by the template's name). Mutating the zip
itself (``fuzz_reader``) mostly breaks its CRCs and never reaches the XML parsers; this does.
SEED_DIR starts with the part's own bytes (``seed_parts`` below writes them, of any templates).

Findings are ``fuzz_reader``'s (an exception but ``SourceError``, a problem or notice of more
than one line, a hang, memory past the limit), and two more:

* a problem or notice quoting the file's text: every seed holds ``CANARY`` in its values, which
  no message may repeat;
* a worksheet cell's digits changed: when PART is a worksheet and the input is a sheet a person
  could open (well-formed, no DTD, every cell in order with its reference), each cell holding a
  whole number in General format (``<v>13812345678</v>``), or an inline string of digits, must
  read as those digits, as Excel shows them.

As in ``fuzz_reader``, each finding is fixed with a regression test in the reader's own module.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import re
import sys
import zipfile
from xml.etree import ElementTree

import atheris

with atheris.instrument_imports(include=["pii_audit", "recognizers"]):
    from pii_audit import sources
    from pii_audit.errors import SourceError
    from pii_audit.models import Cells
    from pii_audit.sources import ScanOptions, TargetCoverage
    from pii_audit.sources.archives import read_member
    # Only what is imported in this block is instrumented, and read_member imports most readers
    # late (presentations, emails, outlook, rtf, word97, xlsx_stream...): each is imported here.
    for _module in pkgutil.iter_modules(sources.__path__):
        importlib.import_module(f"pii_audit.sources.{_module.name}")

OPTIONS = ScanOptions(jobs=1)
CANARY = "CANARY"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_WHOLE = re.compile(r"[1-9][0-9]{0,14}")  # a whole number General format shows digit for digit
_DIGITS = re.compile(r"[0-9]{1,40}")


def seed_parts(templates: list[str], part: str, folder: str) -> None:
    """Write ``part`` of each template zip into ``folder``, as the seeds of a run."""
    os.makedirs(folder, exist_ok=True)
    for number, template in enumerate(templates):
        with zipfile.ZipFile(template) as archive:
            if part in archive.NameToInfo:
                with open(os.path.join(folder, f"seed{number}"), "wb") as out:
                    out.write(archive.read(part))


def rezipped(members: list[tuple[zipfile.ZipInfo, bytes]], part: str, data: bytes) -> bytes:
    """Return the template zip with ``part`` holding ``data``, every CRC valid."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info, content in members:
            archive.writestr(info, data if info.filename == part else content)
    return out.getvalue()


def read_as_file(name: str, data: bytes) -> list[Cells]:
    """Read ``data`` as the file ``name``; fail on what a reader must never do; return its cells."""
    coverage, cells = TargetCoverage(name), []
    try:
        for item in read_member(name, io.BufferedReader(io.BytesIO(data)), OPTIONS, coverage, 1):
            if isinstance(item, Cells):
                cells.append(item)
    except SourceError as error:
        assert "\n" not in str(error), str(error)
        assert CANARY not in str(error), str(error)
    for line in coverage.problems + coverage.notices:
        assert "\n" not in line.reason and "\n" not in line.where, (line.where, line.reason)
        assert CANARY not in line.reason and CANARY not in line.where, line.reason
    return cells


def expected_digits(sheet: bytes) -> dict[str, str] | None:
    """Return ``{cell: digits}`` of the cells of a sound sheet that must read as their digits;
    None when the sheet is not one a person could open as it is."""
    if b"<!" in sheet:
        return None  # a DTD is refused, and a comment or CDATA is left to the other checks
    try:
        root = ElementTree.fromstring(sheet)
    except (ElementTree.ParseError, ValueError, LookupError):  # an encoding ElementTree does not read
        return None
    expected, last_row = {}, 0
    for row in root.iter(MAIN + "row"):
        number = row.get("r", "")
        # Past 1,000 rows the scan's sample (ScanOptions.sample_rows) stops reading.
        if not number.isdigit() or int(number) <= last_row or int(number) > 1000:
            return None
        last_row, last_column = int(number), ""
        for cell in row.findall(MAIN + "c"):
            reference = cell.get("r", "")
            found = re.fullmatch(r"([A-Z]{1,3})([0-9]+)", reference)
            if (not found or found[2] != number or (len(found[1]), found[1]) <= (len(last_column), last_column)
                    or (len(found[1]), found[1]) > (3, "XFD")):
                return None
            last_column = found[1]
            digits = _cell_digits(cell)
            if digits is not None:
                expected[reference] = digits
    return expected


def _cell_digits(cell: ElementTree.Element) -> str | None:
    """Return the digits a General cell holding a whole number or an inline string of digits shows."""
    kind, style = cell.get("t", "n"), cell.get("s", "0")
    if kind == "n" and style == "0":
        values = cell.findall(MAIN + "v")
        if len(values) == 1 and _WHOLE.fullmatch(values[0].text or ""):
            return values[0].text
    if kind == "inlineStr":
        inline = cell.findall(MAIN + "is")
        texts = inline[0].findall(MAIN + "t") if len(inline) == 1 and len(cell) == 1 else []
        if len(texts) == 1 and len(inline[0]) == 1 and _DIGITS.fullmatch(texts[0].text or ""):
            return texts[0].text
    return None


def read_cells(cells: list[Cells], sheet: str) -> dict[str, str]:
    """Return ``{cell: text}`` of the cells read of the sheet named ``sheet``."""
    found = {}
    for block in cells:
        for column, values in enumerate(block.columns):
            for row, text in enumerate(values.texts):
                if text:
                    location = block.locate(column, row)
                    if location.get("sheet") == sheet and not location.get("comment"):
                        found[location["cell"]] = text
    return found


def main() -> None:
    """Fuzz the part named on the command line."""
    template, part = sys.argv.pop(1), sys.argv.pop(1)
    name = os.path.basename(template)
    with zipfile.ZipFile(template) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    # The first sheet's name, for the digits check: every template's first sheet is sheet1.xml.
    first_sheet = _first_sheet_name(members) if part == "xl/worksheets/sheet1.xml" else None

    def one_input(data: bytes) -> None:
        cells = read_as_file(name, rezipped(members, part, data))
        if first_sheet is None:
            return
        expected = expected_digits(data)
        if expected:
            got = read_cells(cells, first_sheet)
            for reference, digits in expected.items():
                assert got.get(reference) == digits, (reference, digits, got.get(reference))

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


def _first_sheet_name(members: list[tuple[zipfile.ZipInfo, bytes]]) -> str:
    workbook = dict((info.filename, content) for info, content in members)["xl/workbook.xml"]
    return ElementTree.fromstring(workbook).find(f"{MAIN}sheets/{MAIN}sheet").get("name")


if __name__ == "__main__":
    main()
