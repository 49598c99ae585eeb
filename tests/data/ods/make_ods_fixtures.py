"""Make the .ods fixtures of tests/test_sources_ods.py with LibreOffice, a real producer.

Usage: ``python tests/data/ods/make_ods_fixtures.py`` (needs ``soffice``: Debian's
``libreoffice-calc-nogui``; CI has none and uses the committed files). An xlsx written by
openpyxl and a csv are converted with ``soffice --headless --convert-to``, so the fixtures hold
what LibreOffice writes: repeated empty rows and cells, covered (merged) cells, annotations, a
hidden sheet, value attributes beside a displayed text. Every value is synthetic, with a valid
check digit.
"""

from __future__ import annotations

import csv
import datetime
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from stdnum import luhn
from stdnum.iso7064 import mod_11_2

HERE = Path(__file__).resolve().parent


def _resident_id(body: str) -> str:
    return body + mod_11_2.calc_check_digit(body)


IDS = [_resident_id(body) for body in ("11010519491231002", "44030519900101123", "31010119851212301")]
MOBILES = ["13812345678", "13987654321", "15012345678"]
NOTE_MOBILE = "18612345678"  # in a comment only
CARD = "622202123456789012" + luhn.calc_check_digit("622202123456789012")
CSV_IMPORT = "CSV:44,34,76,1,1/2/2/1/3/1/4/1"
CSV_IDS = [_resident_id(body) for body in ("51010419800202456", "33010619750315789")]


def customers_xlsx(path: Path) -> None:
    """Write the workbook LibreOffice converts to customers.ods and customers.fods."""
    import openpyxl
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append(["姓名", "身份证号", "手机号", "开户日期", "余额", "比例", "备注"])
    sheet.append(["张三", IDS[0], int(MOBILES[0]), datetime.date(2024, 1, 5), 12.5, 0.125, "a  b   c"])
    sheet.append(["李四", IDS[1], int(MOBILES[1]), datetime.datetime(2023, 3, 1, 10, 30), 3, 1, "第一行\n第二行"])
    sheet.append([])  # an empty row between two rows of data
    sheet.append(["王五", IDS[2], MOBILES[2], datetime.time(9, 15), 1234567.891, None, "已核实"])
    sheet["C2"].number_format = "0.00E+00"  # displayed 1.38E+10: the value must be read, not the display
    sheet["F2"].number_format = sheet["F3"].number_format = "0.0%"
    sheet["E5"].number_format = '"¥"#,##0.00'
    sheet["A2"].comment = Comment(f"客户来电{NOTE_MOBILE}", "柜员")
    sheet.merge_cells("G7:H8")
    sheet["G7"] = "合并单元格"
    accounts = book.create_sheet("Accounts")
    accounts.append(["银行卡号", "户名"])
    accounts.append([CARD, "张三"])
    accounts.sheet_state = "hidden"
    far = book.create_sheet("备用")
    far["C40"] = "远处的单元格"  # 39 empty rows before it, written as one repeated row
    book.save(path)


def export_csv(path: Path) -> None:
    """Write the csv export LibreOffice converts to export.ods (booleans typed by its import)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["证件号码", "联系电话", "金额", "有效"])
        writer.writerow([CSV_IDS[0], MOBILES[0], "100.5", "TRUE"])
        writer.writerow([CSV_IDS[1], MOBILES[1], "-3", "FALSE"])


def convert(source: Path, fmt: str, out: Path, profile: Path, infilter: str | None = None) -> Path:
    """Convert ``source`` to ``fmt`` with headless LibreOffice; return the file written."""
    command = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
               "--outdir", str(out), str(source)]
    if infilter:
        command[3:3] = [f"--infilter={infilter}"]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return out / f"{source.stem}.{fmt}"


def main() -> None:
    """Write customers.ods, export.ods and export.fods beside this script."""
    if shutil.which("soffice") is None:
        sys.exit("soffice not found: apt-get install libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        customers_xlsx(work / "customers.xlsx")
        export_csv(work / "export.csv")
        profile = work / "profile"
        made = [convert(work / "customers.xlsx", "ods", work, profile),
                # Comma-separated, UTF-8, the IDs' column as text (or LibreOffice makes them numbers).
                convert(work / "export.csv", "ods", work, profile, infilter=CSV_IMPORT),
                convert(work / "export.csv", "fods", work, profile, infilter=CSV_IMPORT)]
        for path in made:
            shutil.copyfile(path, HERE / path.name)
            print(f"{path.name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
