"""Text in images, read by OCR with Tesseract when asked (``--ocr``): scans and photos of ID cards,
bank cards and signed forms (影像件).

Images come from folders and archives (``IMAGE_SUFFIXES``), from PDF pages that have no text
(``pdfs``) and from a table's binary columns (``db_documents``, told by their first bytes).
Without ``--ocr`` none is decoded: each is counted, and the target says once how many were not
read (``record_unread``).

One image is read in memory only: no raw value may reach a temporary file, so pytesseract (which
writes the image and its text to temporary files) is not used.

1. Pillow reads its header, and an image over ``MAX_PIXELS``, or whose pixels would take more
   than ``MAX_DECODED_BYTES`` once decoded, is refused in one line before anything is decoded
   (a decompression bomb). A JPEG is decoded in grey, at a reduced scale when wider than needed.
2. It is made grey (transparent parts white), turned upright by its EXIF orientation, and
   narrowed to ``MAX_WIDTH``.
3. It is cut into bands of at most ``BAND_PIXELS``, each cut at the whitest row near it so that
   no line of text is cut: tesseract's memory grows with the pixels it is given (measured: 72 MiB
   at 2 MP, 111 at 12, 198 at 40), so a band bounds it whatever the image's height.
4. Each band goes as PNG to ``tesseract stdin stdout`` on its standard input, and its text comes
   back on its standard output, under a time limit for the image (``ScanOptions.ocr_timeout``).

Memory: before an image is decoded, what reading it may take (its pixels decoded and grey, and its
tesseract process: ``cost_mib``) is taken from a budget the scan's processes share, ``OCR_BUDGET_MIB``
(``OcrBudget``), and given back once it is read: two forms are read side by side, an image of
40 MP alone, and the scan stays under 300 MB (bench/images.py).

The text is located ``{path, line, ocr: true}``: ``line`` counts the lines of text read in the
image from the top (blank ones left out), over its bands; a TIFF's pages, as a PDF's, add ``page``.
The container is the image's file.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass
from typing import BinaryIO, Callable, ClassVar, Iterable, Iterator

from pii_audit.models import Chunk
from pii_audit.sources import ContainerCoverage, ScanOptions, TargetCoverage, opened_file

# Image files read, by their names. GIF and WebP too: web forms and chat tools save screenshots so.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".bmp", ".dib", ".gif", ".webp")
# Each format's first bytes -> the name a stored value is read by (``db_documents``). WebP is
# "RIFF", a length, then "WEBP" (``image_name``).
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image.png"), (b"\xff\xd8\xff", "image.jpg"), (b"II*\x00", "image.tif"),
          (b"MM\x00*", "image.tif"), (b"GIF87a", "image.gif"), (b"GIF89a", "image.gif"))
# A BMP starts "BM", as text may ("BMW..."): it is one when the size of its second header, 14 bytes
# in, is one of those Windows wrote (BITMAPCOREHEADER to BITMAPV5HEADER).
_BMP_HEADERS = (12, 40, 52, 56, 64, 108, 124)
# The formats Pillow may open here: no other plugin is tried on a file's bytes (EPS would call
# Ghostscript, which writes temporary files). JPEG2000 and PPM are what a PDF's images come as.
_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "DIB", "GIF", "WEBP", "JPEG2000", "PPM")

# An image whose header says more pixels than this is not decoded: 40 MP is an A4 page scanned
# at 600 dpi (35 MP) with room; a phone's photo is 12 MP. Pillow's own bomb limit is 179 MP.
MAX_PIXELS = 40_000_000
# ... nor one whose pixels would take more than this once decoded (Pillow holds a colour pixel in
# 4 bytes, a grey or black-and-white one in 1): a colour PNG or TIFF of up to 12 MP, an A4 page
# scanned in colour at 300 dpi (8.7 MP) among them; a JPEG is decoded in grey, 1 byte a pixel.
MAX_DECODED_BYTES = 48 << 20
# Wider images are narrowed to this many pixels before OCR: an A3 page's width at 300 dpi.
MAX_WIDTH = 3500
# The pixels of one band given to tesseract (see the module's docstring).
BAND_PIXELS = 4_000_000
# A band's cut is looked for in the last quarter of its height.
_CUT_WINDOW = 4
# A picture inside a document (``pictures``) smaller than this on a side, or in all, is not read:
# it cannot hold a line of text tesseract reads (characters under about 10 pixels high are
# misread, and an ID number of them is over 100 pixels long). Rules, bullets, icons (up to 63 x
# 63) and a PDF's 1-pixel masks are so; a letterhead's logo is not, and is read (once a PDF).
MIN_SIDE = 20
MIN_PIXELS = 4_000
# Pages of a multi-page TIFF read (a fax or a scanned file); past them, one notice.
MAX_PAGES = 200
# What a tesseract process holds (peak PSS, measured): 55 MiB for the Simplified Chinese model,
# then 6 MiB a megapixel of its band for text, up to 13 for noise (80 MiB at 2 MP, 106 at 4, 158
# at 8 of noise), counted at the worst.
TESSERACT_MIB = 55
TESSERACT_MIB_PER_MP = 13
# What the images being read at once may hold in a scan's processes (``OcrBudget``): about what
# the scan leaves of 300 MB with the main process (~100 MiB, Presidio's models) and two workers.
OCR_BUDGET_MIB = 160
WORKER_MIB = 20  # what a worker past two takes from it (``budget_for``)

# Simplified Chinese alone: the model reads digits and Latin letters too. Adding "eng" read the
# same values in the test forms at 30% more CPU and 15 MiB more memory (bench/README.md).
LANGUAGES = "chi_sim"
# --dpi 300: left to itself, tesseract guessed the resolution from the text and misread 9 in 12 ID
# numbers of 24 px characters that it read all of at a fixed one (measured).
# --psm 4, one column of lines of any size: the default (3) took a column of labels aligned down a
# form (第1行, 第2行...) for vertical text and garbled 27 of 30 lines of a band; 6 (one uniform
# block) read none of 16 values in boxed forms, which 3 and 4 read all of (measured).
COMMAND = ("tesseract", "stdin", "stdout", "-l", LANGUAGES, "--dpi", "300", "--psm", "4")
# One thread a process: the scan's workers are the parallelism, and OpenMP's threads spinning on
# a shared 2-core machine made one image slower (0.93 s against 0.53 s, measured).
_ENVIRONMENT = {"OMP_THREAD_LIMIT": "1"}
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"

# Why an image was not read, said once a target (``record_unread``).
NOT_ASKED = "give --ocr to read text in images"
NO_TESSERACT = f"tesseract is not installed; on Debian or Ubuntu: {INSTALL}"
NO_CHINESE = "tesseract has no Simplified Chinese data (chi_sim); on Debian or Ubuntu: " \
             "apt-get install tesseract-ocr-chi-sim"
PROBLEMS = (NO_TESSERACT, NO_CHINESE)  # reasons that leave a target incomplete: --ocr was asked for

_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
              7: "TRANSVERSE", 8: "ROTATE_90"}  # EXIF orientation -> Image.Transpose
_budget = None  # the OcrBudget a scan's processes share (share_budget), or None: one image at a time


@dataclass(frozen=True)
class Deferred:
    """What a reader in the main process found and left to a worker: an image to read by OCR
    (``ScanOptions.defer_pictures``), a dump inside an archive to read in order
    (``ScanOptions.defer_dumps``), or a document or image a table's binary column holds
    (``ScanOptions.defer_documents``). Sent to it as a unit of its own, as an image file is."""

    # A module function given all but the options and the coverage (``functools.partial``):
    # pickled by its name and its arguments, the image's bytes among them.
    read: Callable[[ScanOptions, TargetCoverage], Iterator[Chunk]]
    text: ClassVar[str] = ""  # what the scan counts of text passing by (``scan._reported``): none
    utf8: ClassVar[None] = None


def read_deferred(items: Iterable, options: ScanOptions, coverage: TargetCoverage) -> Iterator:
    """Yield ``items`` (what the main process read), each ``Deferred`` among them read here."""
    for item in items:
        if type(item) is Deferred:
            yield from item.read(options, coverage)
        else:
            yield item


class ImageRefused(Exception):
    """An image (or a page of one) not read, with the reason as its message: one problem line."""


def is_image_name(path: str) -> bool:
    """Tell whether a file is read as an image, by its name.

    >>> is_image_name("影像/身份证.JPG"), is_image_name("scan.tiff"), is_image_name("report.pdf")
    (True, True, False)
    """
    return path.lower().endswith(IMAGE_SUFFIXES)


def image_name(head: bytes) -> str | None:
    """Return the file name an image's first bytes are read by, or None when they are no image's.

    >>> image_name(b"\\x89PNG\\r\\n\\x1a\\n..."), image_name(b"RIFF\\x10\\x00\\x00\\x00WEBPVP8 "), image_name(b"%PDF")
    ('image.png', 'image.webp', None)
    >>> image_name(b"BM" + bytes(12) + b"(\\x00\\x00\\x00"), image_name(b"BMW 5 series, 13812345678")
    ('image.bmp', None)
    """
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image.webp"
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in _BMP_HEADERS:
        return "image.bmp"
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def unread(coverage: TargetCoverage, reason: str, count: int = 1, record: ContainerCoverage | None = None) -> None:
    """Count images not read for ``reason`` (``NOT_ASKED``, ``NO_TESSERACT``, ``NO_CHINESE``).

    ``record``: the container they are in (a PDF, a table's column), read in part: were it called
    complete, the ledger would take a finding OCR made there before for fixed (``fully_covered``)."""
    coverage.images_unread[reason] = coverage.images_unread.get(reason, 0) + count
    if record is not None:
        record.complete = False


def record_unread(coverage: TargetCoverage) -> None:
    """Say in one line of a target's coverage how many images were not read, for each reason: a
    notice when --ocr was not given, a problem when it was and tesseract is missing."""
    for reason, count in coverage.images_unread.items():
        line = f"{count:,} image(s) not read: {reason}"
        if reason in PROBLEMS:
            coverage.problem(coverage.target, line)
        else:
            coverage.notice(coverage.target, line)
    coverage.images_unread = {}


def read_image(target: str, options: ScanOptions, coverage: TargetCoverage, data: bytes | None = None
               ) -> Iterator[Chunk]:
    """Yield the text OCR reads in the image file ``target`` (``data``: its bytes, when it is no
    file of its own), a chunk a band; without ``options.ocr`` count it as not read."""
    if not options.ocr:
        unread(coverage, NOT_ASKED)
        return
    missing = tesseract_missing()
    if missing:
        unread(coverage, missing)
        return
    coverage.files += 1
    container = coverage.container(target, "lines")
    try:
        handle, _ = opened_file(target, data, coverage, container)
        with handle:
            yield from _frames(handle, target, options, coverage, container)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}", target)


def _frames(handle: BinaryIO, target: str, options: ScanOptions, coverage: TargetCoverage,
            record: ContainerCoverage) -> Iterator[Chunk]:
    """Yield the text of the image file ``target`` (``handle`` reads it), each page of a TIFF;
    record an image or a page that cannot be read as a problem line."""
    from PIL import Image

    try:
        with _quiet():
            image = Image.open(handle, formats=_FORMATS)
    except Image.DecompressionBombError:
        coverage.problem(target, f"an image of more than {MAX_PIXELS:,} pixels: not read", target)
        return
    except Exception as error:  # noqa: BLE001 -- damaged bytes make Pillow raise many types
        coverage.problem(target, f"unreadable image ({type(error).__name__}): damaged, or not an image read here",
                         target)
        return
    with image:
        pages = min(getattr(image, "n_frames", 1), MAX_PAGES) if image.format == "TIFF" else 1
        for number in range(pages):
            place = {"path": target, "page": number + 1} if pages > 1 else {"path": target}
            where = f"{target} page {number + 1}" if pages > 1 else target
            try:
                image.seek(number)
                yield from read_picture(image, place, target, options, record, release=pages == 1)
            except ImageRefused as refused:
                coverage.problem(where, str(refused), target)
            except Exception as error:  # noqa: BLE001
                coverage.problem(where, f"unreadable image ({type(error).__name__}): damaged", target)
        if pages == MAX_PAGES and image.n_frames > MAX_PAGES:
            coverage.notice(target, f"a TIFF of {image.n_frames:,} pages: the first {MAX_PAGES} read")


def read_pdf_images(page, number: int, target: str, options: ScanOptions, coverage: TargetCoverage,
                    record: ContainerCoverage, limits: dict) -> Iterator[Chunk]:
    """Yield the text OCR reads in the images of page ``number`` of the PDF ``target``, a page with
    no text of its own (a scan), its lines numbered over the page's images in their order; without
    ``options.ocr`` count them as not read. Return how many images the page holds. ``limits``:
    what pypdf may inflate (``pdfs``)."""
    import pypdf

    where = f"{target} page {number}"
    try:
        with pypdf.apply_configuration(**limits):
            names = page.images.keys()
    except Exception as error:  # noqa: BLE001 -- hostile bytes make pypdf raise many types
        coverage.problem(where, f"its images cannot be listed ({type(error).__name__})", target)
        return 0
    missing = NOT_ASKED if not options.ocr else tesseract_missing()
    if missing:
        unread(coverage, missing, len(names), record if names else None)
        return len(names)
    line = 1
    for name in names:
        try:
            data = pdf_image(page, name, limits)
            for chunk in read_image_bytes(data, {"path": target, "page": number}, target, options, record):
                yield Chunk(chunk.text, {**chunk.location, "line": line}, target, multiline=True)
                line += chunk.text.count("\n") + 1
        except ImageRefused as refused:
            coverage.problem(where, str(refused), target)
        except Exception as error:  # noqa: BLE001
            coverage.problem(where, f"an unreadable image ({type(error).__name__}): damaged", target)
    return len(names)


def pdf_image(page, name, limits: dict) -> bytes:
    """Return the encoded bytes of one image of a PDF page (``page.images`` names it): a JPEG's
    as stored, any other's as pypdf decodes and encodes it, after its size is checked against
    the limits; raise ``ImageRefused`` when it is over them or a JBIG2 image."""
    import pypdf

    stream = pdf_image_stream(page, name)
    if stream is not None:
        width, height = int(stream.get("/Width", 0)), int(stream.get("/Height", 0))
        filters = stream.get("/Filter", ())
        filters = [filters] if isinstance(filters, str) else [str(f) for f in filters]
        if width * height > MAX_PIXELS:
            raise ImageRefused(f"an image of {width:,} x {height:,} pixels, over the {MAX_PIXELS:,} read here: "
                               "not read")
        if "/JBIG2Decode" in filters:  # pypdf would write it to a temporary file for jbig2dec
            raise ImageRefused("a JBIG2 image, which is not read here (its decoder reads only files)")
        if filters == ["/DCTDecode"]:
            return stream.get_data()  # the JPEG as stored: decoded in grey, and smaller when large
        if width * height * 4 > MAX_DECODED_BYTES and stream.get("/ColorSpace") != "/DeviceGray" and \
                stream.get("/BitsPerComponent") != 1:
            raise ImageRefused(f"an image of {width:,} x {height:,} pixels in colour, over the "
                               f"{MAX_DECODED_BYTES >> 20} MiB read here decoded: not read")
    with pypdf.apply_configuration(**limits):
        return page.images[name].data


def pdf_image_stream(page, name):
    """Return the stream of an image ``page.images`` names (``/Im0``, or a form's names then the
    image's), or None for an image inline in the page's content (small, parsed with it)."""
    if isinstance(name, str) and name.startswith("~"):
        return None
    holder = page
    for part in [name] if isinstance(name, str) else name:
        holder = holder["/Resources"].get_object()["/XObject"].get_object()[part].get_object()
    return holder


def read_image_bytes(data: bytes, place: dict, container: str, options: ScanOptions, record: ContainerCoverage
                     ) -> Iterator[Chunk]:
    """Yield the text of an image given as its encoded bytes (a PDF's), a chunk a band; raise
    ``ImageRefused`` when it is over a limit or OCR fails, and Pillow's errors when it is damaged."""
    from PIL import Image

    with _quiet():
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
    with image:
        yield from read_picture(image, place, container, options, record, release=True)


def too_small(width: int, height: int) -> bool:
    """Tell whether a picture inside a document is too small to hold a line of text (``MIN_SIDE``).

    >>> too_small(600, 2), too_small(48, 48), too_small(200, 60), too_small(640, 400)
    (True, True, False, False)
    """
    return min(width, height) < MIN_SIDE or width * height < MIN_PIXELS


def read_document_picture(data: bytes, place: dict, container: str, options: ScanOptions,
                          coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield the text OCR reads in a picture inside a document (a photo pasted into a report, a
    PDF page's image), given as its encoded bytes, located at ``place`` and counted in
    ``container``, its own; skip one ``too_small``. One over a limit (a decompression bomb), damaged,
    or not read in time is one problem line of ``container``, and the document is read on."""
    from PIL import Image

    try:
        with _quiet():
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except Image.DecompressionBombError:
        coverage.problem(container, f"an image of more than {MAX_PIXELS:,} pixels: not read", container)
        return
    except Exception as error:  # noqa: BLE001 -- damaged bytes make Pillow raise many types
        coverage.problem(container, f"unreadable image ({type(error).__name__}): damaged, or not an image read "
                                    "here", container)
        return
    with image:
        if too_small(*image.size):
            return
        record = coverage.container(container, "lines")
        record.bytes += len(data)
        try:
            yield from read_picture(image, place, container, options, record, release=True)
        except ImageRefused as refused:
            coverage.problem(container, str(refused), container)
        except Exception as error:  # noqa: BLE001
            coverage.problem(container, f"unreadable image ({type(error).__name__}): damaged", container)


def read_picture(image, place: dict, container: str, options: ScanOptions, record: ContainerCoverage,
                 release: bool = False) -> Iterator[Chunk]:
    """Yield the text of a Pillow image opened but not yet decoded, a chunk a band, located at
    ``place``; raise ``ImageRefused`` when it is over a limit or OCR fails. ``release``: close the
    image once made grey, its decoded pixels not kept while tesseract runs.

    It is decoded and read holding its cost from the scan's budget (``OcrBudget``), and its text
    yielded after, so that the budget is not held while the text is scanned."""
    cost = cost_mib(image)
    # Another process's image may take its whole time limit before it gives its memory back.
    with _taken(cost, 2 * options.ocr_timeout), _quiet():
        deadline = time.monotonic() + options.ocr_timeout
        grey = prepared(image)
        if release and grey is not image:
            image.close()
        texts = [ocr(band, deadline, options.ocr_timeout) for band in bands(grey)]
        del grey
    line = 1
    for text in texts:
        lines = [row for row in text.splitlines() if row.strip()]
        if lines:
            record.units += len(lines)
            yield Chunk("\n".join(lines), {**place, "line": line, "ocr": True}, container, multiline=True)
            line += len(lines)


def cost_mib(image) -> int:
    """Return the MiB reading an image opened but not yet decoded may take at its peak: its pixels
    decoded, then grey and at most ``MAX_WIDTH`` wide, and a tesseract process for its largest
    band; raise ``ImageRefused`` when the image is over a limit. A JPEG is set to be decoded in
    grey, at a reduced scale when wider than needed (``Image.draft``)."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRefused(f"an image of {width:,} x {height:,} pixels, over the {MAX_PIXELS:,} read here: "
                           "not read")
    if image.format == "JPEG":  # decoded in grey, at 1/2, 1/4 or 1/8 scale where that is still wide enough
        image.draft("L", (min(width, MAX_WIDTH), min(width, MAX_WIDTH) * height // width))
    decoded = image.size[0] * image.size[1] * _pixel_bytes(image)
    if decoded > MAX_DECODED_BYTES:
        raise ImageRefused(f"an image of {width:,} x {height:,} pixels in colour ({decoded >> 20:,} MiB decoded, "
                           f"over the {MAX_DECODED_BYTES >> 20} MiB read here): not read")
    narrow = min(1.0, MAX_WIDTH / image.size[0])
    grey = int(image.size[0] * narrow) * int(image.size[1] * narrow)
    band = min(grey, BAND_PIXELS)
    return (decoded + grey) // 2**20 + TESSERACT_MIB + TESSERACT_MIB_PER_MP * band // 1_000_000


def prepared(image):
    """Return an image (``cost_mib`` checked) decoded, grey, upright and at most ``MAX_WIDTH``
    wide: the image itself when it is grey already."""
    from PIL import Image

    orientation = image.getexif().get(0x0112, 1)
    grey = _grey(image)
    if orientation in _TRANSPOSE:  # a phone's photo is stored sideways with a tag that turns it
        grey = grey.transpose(getattr(Image.Transpose, _TRANSPOSE[orientation]))
    if grey.width > MAX_WIDTH:
        grey = grey.resize((MAX_WIDTH, max(1, grey.height * MAX_WIDTH // grey.width)), Image.Resampling.LANCZOS,
                           reducing_gap=3.0)
    return grey


def _pixel_bytes(image) -> int:
    """Return the bytes Pillow holds a pixel of this image in while it is made grey: 1 for black
    and white, grey and palette images, 4 for colour, 16-bit and transparent ones."""
    if image.mode in ("1", "L") or (image.mode == "P" and "transparency" not in image.info):
        return 1
    return 4


def _grey(image):
    """Return an image as 8-bit grey: transparent parts white (text drawn on nothing stays black on
    white), 16-bit and float pixels stretched to 0-255."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image if image.mode in ("RGBA", "LA") else image.convert("RGBA")
        grey = Image.new("L", rgba.size, 255)
        grey.paste(rgba.convert("L"), mask=rgba.getchannel("A"))
        return grey
    if image.mode.startswith("I") or image.mode == "F":  # a 16-bit scan: L would clip it all white
        wide = image.convert("F")
        low, high = wide.getextrema()
        return wide.point(lambda v: (v - low) * 255.0 / ((high - low) or 1)).convert("L")
    if image.mode == "L":  # converted, it would be copied: an A4 scan at 600 dpi holds 35 MB
        image.load()
        return image
    try:
        return image.convert("L")
    except ValueError:  # a mode with no direct way to grey (LAB, HSV)
        return image.convert("RGB").convert("L")


def bands(grey, pixels: int = BAND_PIXELS) -> Iterator:
    """Yield an image cut across into bands of at most ``pixels``, each cut at a whitest row of the
    last quarter of its height (between two lines of text, where there is room): the middle one of
    those rows, so that the lines on either side keep a white margin. A band cut right above a
    line made tesseract misread its first characters (种 for 第, measured)."""
    from PIL import Image

    width, height = grey.size
    rows = max(1, pixels // width)
    if height <= rows:
        yield grey
        return
    # Each row's mean brightness: the image squeezed to one pixel wide, averaged (BOX), a byte a row.
    brightness = grey.resize((1, height), Image.Resampling.BOX).tobytes()
    top = 0
    while top < height:
        bottom = min(height, top + rows)
        if bottom < height:
            window = range(bottom - max(1, rows // _CUT_WINDOW), bottom)
            whitest = max(brightness[row] for row in window)
            candidates = [row for row in window if brightness[row] == whitest]
            bottom = candidates[len(candidates) // 2] + 1
        yield grey.crop((0, top, width, bottom))
        top = bottom


def ocr(band, deadline: float, seconds: float) -> str:
    """Return the text tesseract reads in a grey image, sent as PNG on its standard input and read
    from its standard output: nothing is written to a file. Raise ``ImageRefused`` when it fails
    or is still reading at ``deadline`` (``time.monotonic``), ``seconds`` after the image began."""
    buffer = io.BytesIO()
    band.save(buffer, "PNG", compress_level=1)  # fast: it only crosses a pipe
    try:
        done = subprocess.run(COMMAND, input=buffer.getvalue(), capture_output=True,
                              timeout=max(0.0, deadline - time.monotonic()), env={**os.environ, **_ENVIRONMENT},
                              check=False)
    except subprocess.TimeoutExpired:  # run() killed it
        raise ImageRefused(f"OCR took longer than {seconds:g} s: stopped, not read") from None
    except OSError as error:  # the binary went away since it was looked for
        raise ImageRefused(f"tesseract could not be run ({error.strerror or type(error).__name__})") from None
    if done.returncode != 0:
        # Its messages are not repeated: they could quote what it read.
        raise ImageRefused(f"tesseract failed on it (exit status {done.returncode}): not read")
    return done.stdout.decode("utf-8", "replace").replace("\f", "\n")


@functools.lru_cache(maxsize=1)
def tesseract_missing() -> str | None:
    """Return why OCR cannot be done here (``NO_TESSERACT``, ``NO_CHINESE``), or None when it can;
    asked of tesseract once a process."""
    if shutil.which(COMMAND[0]) is None:
        return NO_TESSERACT
    try:
        done = subprocess.run((COMMAND[0], "--list-langs"), capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return NO_TESSERACT
    return None if LANGUAGES in done.stdout.decode("utf-8", "replace").split() else NO_CHINESE


class OcrBudget:
    """The MiB a scan's processes may hold at once for the images they read (``cost_mib``): made
    before its workers start, and shared with them (``share_budget``)."""

    def __init__(self, mib: int):
        import multiprocessing

        self.total = mib
        self._free = multiprocessing.RawValue("i", mib)
        self._changed = multiprocessing.Condition()

    @contextlib.contextmanager
    def taken(self, mib: int, seconds: float):
        """Wait until ``mib`` are free (all of the budget, for an image that costs more), hold
        them, and give them back; raise ``ImageRefused`` after ``seconds`` of waiting (a worker
        killed while it held them never gives them back)."""
        mib = min(mib, self.total)
        with self._changed:
            if not self._changed.wait_for(lambda: self._free.value >= mib, seconds):
                raise ImageRefused(f"waited {seconds:g} s for the memory to read it in: not read")
            self._free.value -= mib
        try:
            yield
        finally:
            with self._changed:
                self._free.value += mib
                self._changed.notify_all()


def budget_for(workers: int) -> OcrBudget:
    """Return the budget of a scan with ``workers`` worker processes: ``OCR_BUDGET_MIB`` for two,
    less what each worker past two holds of its own (bench/README.md: 16-21 MiB), but never less
    than one form's cost (``OCR_BUDGET_MIB // 2``)."""
    return OcrBudget(max(OCR_BUDGET_MIB // 2, OCR_BUDGET_MIB - WORKER_MIB * max(0, workers - 2)))


def share_budget(budget: OcrBudget | None) -> None:
    """Make this process take each image's cost from ``budget`` (None: no budget, for a process
    that reads one image at a time)."""
    global _budget  # one per process, as scan's detector: set when the pool starts, cleared after
    _budget = budget


def _taken(mib: int, seconds: float):
    return contextlib.nullcontext() if _budget is None else _budget.taken(mib, seconds)


@contextlib.contextmanager
def _quiet():
    """Keep Pillow's warnings (a bomb's size, corrupt EXIF) off stderr: the problem line says it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
