"""A workbook's drawings: pictures' and shapes' alt text and text boxes' paragraphs, read as lines."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from openpyxl.drawing.image import Image as SheetImage
from PIL import Image

from pii_audit.detector import Detector
from pii_audit.sources import ScanOptions, TargetCoverage, as_chunks
from pii_audit.sources.spreadsheets import read_spreadsheet
from zip_helpers import rewrite

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
MOBILE = "13812345678"
DRAWING = "xl/drawings/drawing1.xml"
# A text box as Excel writes one over a sheet (xdr:sp holding xdr:txBody), with alt text of its own.
TEXT_BOX = ('<xdr:twoCellAnchor xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:from><xdr:col>4</xdr:col>'
            '<xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to>'
            '<xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>4</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
            '<xdr:sp><xdr:nvSpPr><xdr:cNvPr id="3" name="文本框 2" title="备注框"/><xdr:cNvSpPr txBox="1"/>'
            '</xdr:nvSpPr><xdr:spPr/><xdr:txBody><a:bodyPr/><a:p><a:r><a:t>客户：张伟</a:t></a:r></a:p>'
            f'<a:p><a:r><a:t>电话 {MOBILE}</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/>'
            '</xdr:twoCellAnchor>')


def picture_workbook(tmp_path):
    """A customer sheet with a scanned card pasted over it (openpyxl's picture, its alt text set as
    Excel sets it) and a text box typed beside it."""
    png = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(png, "PNG")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet["A1"] = "影像件"
    sheet.add_image(SheetImage(png), "B2")
    src = tmp_path / "src.xlsx"
    book.save(src)
    with zipfile.ZipFile(src) as archive:
        drawing = archive.read(DRAWING).decode()
    assert 'descr="Picture"' in drawing
    drawing = drawing.replace('descr="Picture"', f'descr="客户张伟身份证正面 {ID18}"')
    drawing = drawing.replace("</wsDr>", TEXT_BOX + "</wsDr>")
    return rewrite(src, tmp_path / "影像.xlsx", {DRAWING: drawing.encode()})


def test_alt_text_and_text_boxes_of_a_sheets_drawing_are_lines_of_its_part(tmp_path, key):
    """A picture's alt text ("客户张伟身份证正面…") and a text box over the sheet were in no cell and
    were not read: the workbook came out clean. Each is a line of the drawing's part."""
    path = picture_workbook(tmp_path)
    coverage = TargetCoverage(str(path))
    found = sorted((o.entity_type, o.location.get("part"), o.location.get("line"))
                   for o in Detector(key).detect(read_spreadsheet(str(path), ScanOptions(), coverage)))
    assert found == [("CN_MOBILE_PHONE", DRAWING, 4), ("CN_RESIDENT_ID", DRAWING, 1)]
    assert coverage.problems == []


def test_a_damaged_drawing_is_one_problem_line_and_the_cells_are_read(tmp_path):
    path = rewrite(picture_workbook(tmp_path), tmp_path / "坏.xlsx", {DRAWING: b"<wsDr><unclosed>"})
    coverage = TargetCoverage(str(path))
    texts = [c.text for c in as_chunks(read_spreadsheet(str(path), ScanOptions(), coverage))]
    assert "影像件" in texts
    assert [p.reason for p in coverage.problems] == [
        f"{DRAWING} is damaged: malformed XML (ExpatError); the other parts are read"]
