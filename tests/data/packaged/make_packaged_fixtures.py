"""Write the packaged-file fixtures of tests/test_sources_packaged.py (kept in git; rerun by hand).

    .venv/bin/python tests/data/packaged/make_packaged_fixtures.py   # needs LibreOffice's soffice (Writer) on PATH

LibreOffice cannot drop a file into a document as an icon, as Word's Insert > Object > Create from
file does; but it reads an RTF document's OLE 1.0 objects (``\\objdata``), an OLE Package among
them, and saves each as Word does: in a .docx an OLE2 file of the Package class
(``word/embeddings/oleObject1.bin``, with its content type, relationship and ``<w:object>``), in a
.doc a storage of the ObjectPool. The Packager data inside (the file's name, paths and bytes) is
written here as Word writes it (tests/test_sources_packaged.py ``native``), labels in GBK as on
Chinese Windows; the containers around it are LibreOffice's own.
Every value in them is synthetic: ID numbers and mobile numbers with valid check digits, no one's.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ole1_object(payload: bytes) -> bytes:
    """Return an OLE 1.0 embedded object of class Package ([MS-OLEDS] 2.2.4-2.2.5), as RTF holds one."""
    def ansi(text: bytes) -> bytes:
        return struct.pack("<I", len(text) + 1) + text + b"\0" if text else struct.pack("<I", 0)
    return (struct.pack("<II", 0x0501, 2) + ansi(b"Package") + ansi(b"") + ansi(b"")
            + struct.pack("<I", len(payload)) + payload + struct.pack("<II", 0x0501, 0))


def icon() -> bytes:
    """Return a 16x16 PNG, the picture an object shows (LibreOffice keeps no object without one)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x40\x80\xc0" * 16 for _ in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def rtf_text(text: str) -> str:
    return "".join(c if ord(c) < 128 else f"\\u{ord(c) if ord(c) < 32768 else ord(c) - 65536}?" for c in text)


def report_rtf() -> str:
    """A report with two files dropped into it: a customer list (.csv) and contacts (.txt)."""
    sys.path.insert(0, str(HERE.parent.parent))
    from test_sources_packaged import CONTACTS_TXT, LIST_CSV, native
    objects = "".join(
        f"{{\\object\\objemb{{\\*\\objclass Package}}\\objw1200\\objh900{{\\*\\objdata "
        f"{ole1_object(native(label, data)[4:]).hex()}}}{{\\result {{\\pict\\pngblip\\picw16\\pich16"
        f"\\picwgoal600\\pichgoal600 {icon().hex()}}}}}}}\\par "
        for label, data in (LIST_CSV, CONTACTS_TXT))
    return ("{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 SimSun;}}\\pard "
            + rtf_text("客户资料见附件：") + "\\par " + objects + "}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "附件报告.rtf"
        source.write_text(report_rtf(), "ascii")
        profile = Path(folder, "profile").as_uri()
        for kind, name in (("docx", "MS Word 2007 XML"), ("doc", "MS Word 97")):
            subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                            f"{kind}:{name}", "--outdir", folder, str(source)], check=True, capture_output=True)
            shutil.copy(Path(folder) / f"附件报告.{kind}", HERE / f"report.{kind}")


if __name__ == "__main__":
    main()
