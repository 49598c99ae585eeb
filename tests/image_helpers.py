"""Images of forms rendered with a CJK font, for the OCR tests and bench/images.py: what a bank's
scanned account-opening form or photographed ID card holds, every value synthetic."""

from __future__ import annotations

import functools
import io
import struct
import subprocess
import zlib

import pytest
from PIL import Image, ImageDraw, ImageFont

from pii_audit.sources.images import tesseract_missing

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
MOBILE = "13812345678"
FORM = ["客户信息登记表", "姓名 张三", f"身份证号码 {ID18}", f"手机 {MOBILE}"]
# ~40 px characters: tesseract reads every digit of these (checked by test_the_rendered_digits_are_read_right).
PX = 40

needs_tesseract = pytest.mark.skipif(
    tesseract_missing() is not None,
    reason=f"OCR needs tesseract with Simplified Chinese ({tesseract_missing()}); .ci/run installs it")


@functools.lru_cache(maxsize=1)
def cjk_font_file() -> str | None:
    """Return the file of a font with Chinese characters (fontconfig's choice; .ci/run installs
    fonts-wqy-microhei), or None."""
    try:
        done = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    files = sorted(line.split(":")[0].strip() for line in done.stdout.splitlines() if line.strip())
    return next((f for f in files if "wqy" in f.lower()), files[0] if files else None)


def form(lines: list[str] = FORM, px: int = PX, width: int | None = None, mode: str = "L") -> Image.Image:
    """Return an image of ``lines`` in black on white, ``px`` high characters, as a scanner makes it."""
    font_file = cjk_font_file()
    if font_file is None:
        pytest.skip("no font with Chinese characters (fc-list :lang=zh); .ci/run installs fonts-wqy-microhei")
    font = ImageFont.truetype(font_file, px)
    width = width or px * max(len(line) for line in lines) + 2 * px
    image = Image.new("L", (width, int(px * 1.8) * len(lines) + px), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((px, px // 2 + int(px * 1.8) * number), line, font=font, fill=0)
    return image.convert(mode)


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    """Return an image saved in a format, in memory."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_header(width: int, height: int, colour: int = 0) -> bytes:
    """Return a PNG that says it is ``width`` x ``height`` (grey, or RGB with colour 2) and holds no
    pixels: its header is all that is read before it is refused."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
