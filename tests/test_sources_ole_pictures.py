"""Pictures in Word and Excel 97-2003 files (.doc, .xls) and an RTF's floating pictures, read by OCR
with --ocr, counted without: from files LibreOffice wrote (tests/data/pictures/make_picture_fixtures.py)
and from copies of them damaged on purpose."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from image_helpers import encoded, form, needs_tesseract, png_header
from pii_audit.sources import ole2, ole_pictures
from scan_helpers import scan_one
from test_sources_pictures import NOT_READ, ocr_samples, without_ocr

DATA = Path(__file__).parent / "data" / "pictures"
REPORT, BOOK, FLOATING = DATA / "report.doc", DATA / "book.xls", DATA / "floating.rtf"
ID18, MOBILE, TEXT_MOBILE = "110101199003074514", "13812345678", "13912345678"  # synthetic, as in the fixtures
ID_MASKED, MOBILE_MASKED = "110101********4514", "138****5678"


def copied(tmp_path, *sources: Path) -> dict[str, str]:
    """Copy the fixtures into ``tmp_path``; return each one's path there by its name."""
    for source in sources:
        shutil.copy(source, tmp_path / source.name)
    return {source.name: str(tmp_path / source.name) for source in sources}


def ocr_sample(path: str, part: str, masked: str, start: int, **where) -> dict:
    """Return the sample of a value OCR read on a picture's second line."""
    return {"path": path, "part": part, **where, "line": 2, "start": start, "end": start + len(masked), "ocr": True,
            "masked": masked, "container": f"{path}!{part}"}


@needs_tesseract
def test_pictures_in_word_and_excel_97_2003_files_and_an_rtf_floating_picture_are_read_with_ocr(tmp_path, key):
    where = copied(tmp_path, REPORT, BOOK, FLOATING)
    doc, xls, rtf = where["report.doc"], where["book.xls"], where["floating.rtf"]
    result = scan_one(tmp_path, key, ocr=True)
    assert result.coverage.problems == []
    found = ocr_samples(result)
    # In line with the text (the Data stream), floating (the BLIP store, its bytes in WordDocument);
    # a workbook's by its store's numbers, at the sheet and cell that show them (the second over
    # Continue records); the RTF's in a shape's pib property.
    assert sorted(found["CN_RESIDENT_ID"], key=lambda s: s["path"]) == [
        ocr_sample(xls, "Workbook#picture1", ID_MASKED, 5, sheet="客户", cell="C3"),
        ocr_sample(rtf, "pict1", ID_MASKED, 5),
        ocr_sample(doc, "Data#picture1", ID_MASKED, 5)]
    assert sorted(found["CN_MOBILE_PHONE"], key=lambda s: s["path"]) == [
        ocr_sample(xls, "Workbook#picture2", MOBILE_MASKED, 3, sheet="影像", cell="D5"),
        ocr_sample(doc, "WordDocument#picture1", MOBILE_MASKED, 3)]
    assert ID18 not in repr(result.findings) and MOBILE not in repr(result.findings)
    without = without_ocr(tmp_path, key)
    assert without.coverage.problems == []
    # The text is read in full; no picture is opened: each is counted, once.
    assert {f.container for f in without.findings.values()} == {doc, rtf, f"{xls}!客户!姓名"}
    assert all(without.coverage.containers[path].complete for path in (doc, rtf))
    assert [n.reason for n in without.coverage.notices] == [f"5 {NOT_READ}"]


@needs_tesseract
def test_the_workers_read_the_pictures_of_a_doc_and_an_xls_the_main_process_reads(tmp_path, key):
    where = copied(tmp_path, REPORT, BOOK)
    for path in where.values():
        alone = ocr_samples(scan_one(path, key, ocr=True))
        assert sum(len(samples) for samples in alone.values()) == 2
        assert ocr_samples(scan_one(path, key, jobs=2, ocr=True)) == alone


def rtf_with_copies(path: Path) -> None:
    """Write an RTF as Word does with a floating photo and one in line with the text: the floating
    one a shape's pib, with a copy in its \\shprslt for readers without shapes; the one in line in
    \\shppict, with a metafile copy in \\nonshppict. Each is one picture, read once."""
    def hexed(lines: list[str]) -> bytes:
        digits = encoded(form(lines), "PNG").hex().encode()
        return b"\n".join(digits[at:at + 128] for at in range(0, len(digits), 128))

    floating, inline = hexed(["客户签字确认", f"手机 {MOBILE}"]), hexed(["居民身份证复印件", f"身份证号 {ID18}"])
    path.write_bytes(
        rb"{\rtf1\ansi\ansicpg936{\fonttbl{\f0 SimSun;}}\f0 \u25253?\u21578?\par "
        rb"{\shp{\*\shpinst\shpleft0\shptop0\shpright4535\shpbottom835{\sp{\sn shapeType}{\sv 75}}"
        rb"{\sp{\sn wzName}{\sv pib}}{\sp{\sn pib}{\sv {\pict{\*\blipuid 0123456789abcdef}\pngblip" + b"\n" + floating +
        rb"}}}}{\shprslt{\*\shppict{\pict\pngblip" + b"\n" + floating + rb"}}{\nonshppict{\pict\wmetafile8 0100}}}}"
        rb"\par {\*\shppict{\pict{\*\picprop{\sp{\sn pib}{\sv 1}}}\pngblip" + b"\n" + inline +
        rb"}}{\nonshppict{\pict\wmetafile8\picw100 0100090000}}\par}")


@needs_tesseract
def test_an_rtf_picture_kept_twice_for_older_readers_is_read_once(tmp_path, key):
    rtf_with_copies(tmp_path / "回单.rtf")
    path = str(tmp_path / "回单.rtf")
    result = scan_one(tmp_path, key, ocr=True)
    assert result.coverage.problems == []
    found = ocr_samples(result)
    # A shape named "pib" is no picture; the floating one comes first in the file, its copy is not read.
    assert found == {"CN_MOBILE_PHONE": [ocr_sample(path, "pict1", MOBILE_MASKED, 3)],
                     "CN_RESIDENT_ID": [ocr_sample(path, "pict2", ID_MASKED, 5)]}
    assert [n.reason for n in without_ocr(tmp_path, key).coverage.notices] == [f"2 {NOT_READ}"]


def changed(source: Path, target: Path, stream_name: str, find: bytes, data: bytes, before: int = 0) -> None:
    """Copy a compound file, writing ``data`` over the bytes of its stream ``stream_name`` from
    ``before`` bytes ahead of where ``find`` first lies in it (sector by sector, as the stream
    lies in the file); every other byte as LibreOffice wrote it."""
    raw = bytearray(source.read_bytes())
    with open(source, "rb") as handle:
        compound = ole2.CompoundFile(handle)
        stream = compound.stream(*compound.find(stream_name))
        at = stream.read(0, stream.size).index(find) - before
    for k, byte in enumerate(data):
        index, within = divmod(at + k, stream.sector_size)
        raw[stream.starts[index] + within] = byte
    target.write_bytes(raw)


@needs_tesseract
@pytest.mark.parametrize("bytes_over, reason", [
    (png_header(50000, 50000), "an image of more than 40,000,000 pixels: not read"),
    (png_header(4000, 4000, colour=2), "an image of 4,000 x 4,000 pixels in colour (61 MiB decoded, over the "
                                       "48 MiB read here): not read"),
], ids=["pillow-bomb", "colour-over-48-MiB"])
def test_a_bomb_picture_in_a_doc_is_one_line_and_the_rest_is_read(tmp_path, key, bytes_over, reason):
    changed(REPORT, tmp_path / "report.doc", "Data", b"\x89PNG", bytes_over)
    doc = str(tmp_path / "report.doc")
    result = scan_one(tmp_path, key, ocr=True)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [(f"{doc}!Data#picture1", reason)]
    assert {f.container: f.entity_type for f in result.findings.values()} == {
        doc: "CN_MOBILE_PHONE", f"{doc}!WordDocument#picture1": "CN_MOBILE_PHONE"}


@needs_tesseract
def test_a_picture_over_the_size_read_in_a_doc_is_one_line_and_the_rest_is_read(tmp_path, key, monkeypatch):
    monkeypatch.setattr(ole_pictures, "MAX_PICTURE_BYTES", 7000)  # the ID card's PNG takes 7,648 bytes, the other 6,266
    copied(tmp_path, REPORT)
    doc = str(tmp_path / "report.doc")
    result = scan_one(tmp_path, key, ocr=True)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (f"{doc}!Data#picture1", "a picture larger than 7,000 bytes is not read")]
    assert {f.container for f in result.findings.values()} == {doc, f"{doc}!WordDocument#picture1"}


@needs_tesseract
def test_a_damaged_picture_record_in_a_doc_is_one_line_and_the_rest_is_read(tmp_path, key):
    # The PNG record's length (4 bytes after its version and type; 21 before the image): past the stream's end.
    changed(REPORT, tmp_path / "report.doc", "Data", b"\x89PNG", struct.pack("<I", 1 << 30), before=21)
    doc = str(tmp_path / "report.doc")
    result = scan_one(tmp_path, key, ocr=True)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (f"{doc}!Data", "damaged (a picture's record runs past the stream's end): the pictures after it are not read")]
    assert {f.container for f in result.findings.values()} == {doc, f"{doc}!WordDocument#picture1"}


def record(kind: int, body: bytes, instance: int = 0, version: int = 0) -> bytes:
    """Return an OfficeArt record ([MS-ODRAW] 2.2.1): version and instance, type, length, body."""
    return struct.pack("<HHI", instance << 4 | version, kind, len(body)) + body


def blip(kind: int, instance: int, image: bytes, uid: bytes = b"u" * 16) -> bytes:
    """Return an OfficeArtBlip record: its id (twice for an odd instance), a tag byte, the image."""
    return record(kind, uid * (1 + instance % 2) + b"\xff" + image, instance)


class Held:
    """Bytes read as a stream is (``office_art.Readable``)."""

    def __init__(self, data: bytes):
        self.data, self.size = data, len(data)

    def read(self, offset: int, count: int) -> bytes:
        return self.data[offset:offset + max(0, count)]


PNG, DIB = b"\x89PNG\r\n\x1a\n" + bytes(40), struct.pack("<I", 40) + bytes(60)
JPEG, TIFF = b"\xff\xd8\xff\xe0" + blip(0xF01E, 0x6E0, PNG)[:60] + bytes(30), b"II*\x00" + bytes(50)


def test_the_bitmaps_of_a_data_stream_are_found_by_their_headers_whatever_the_blocks(monkeypatch):
    """Each bitmap record is found by its header, checked by its image's first bytes, and skipped
    whole (a PNG's record inside a JPEG is the JPEG's bytes); metafiles and look-alikes are not."""
    from pii_audit.sources import office_art

    look_alike = struct.pack("<HHI", 0x6E0 << 4, 0xF01E, 30) + bytes(30)  # a PNG record's header, no PNG after it
    parts = [b"\x44" * 37, look_alike, blip(0xF01E, 0x6E0, PNG), blip(0xF01B, 0x216, bytes(50)),
             blip(0xF01F, 0x7A9, DIB), b"\x00" * 5, blip(0xF01D, 0x46A, JPEG), blip(0xF029, 0x6E4, TIFF)]
    data = b"".join(parts)
    expected = [(data.index(image), len(image)) for image in (PNG, DIB, JPEG, TIFF)]
    for block in (64, 100, 1 << 20):  # headers and images cut by blocks' ends, and none
        monkeypatch.setattr(office_art, "BLOCK", block)
        assert [(b.offset, b.size) for b in office_art.scanned_blips(Held(data))] == expected
    with pytest.raises(office_art.ArtDamaged, match="runs past the stream's end"):
        list(office_art.scanned_blips(Held(data[:-10])))


def test_a_blip_store_gives_its_bitmaps_by_their_number_held_in_it_or_in_the_delay_stream():
    from pii_audit.sources import office_art

    delay = Held(b"\x00" * 11 + blip(0xF01D, 0x46A, JPEG))

    def entry(kind: int, size: int, offset: int, held: bytes = b"") -> bytes:  # an FBSE; kind: 3 WMF, 5 JPEG, 6 PNG
        fields = bytes([kind, kind]) + bytes(16) + bytes(2) + struct.pack("<III", size, 1, offset) + bytes(4)
        return record(0xF007, fields + held, kind, version=2)

    store = record(0xF001, entry(6, 0, 0, blip(0xF01E, 0x6E0, PNG)) + entry(3, 0, 0, blip(0xF01B, 0x216, bytes(9)))
                   + entry(5, delay.size - 11, 11), 3, version=0xF)
    group = Held(b"\x00" * 5 + record(0xF000, record(0xF006, bytes(16)) + store, version=0xF) + b"\x99" * 7)
    found = [(number, held is delay, held.read(b.offset, b.size)) for number, held, b in
             office_art.store_blips(group, 5, group.size - 7, delay)]
    assert found == [(1, False, PNG), (3, True, JPEG)]  # the second is a metafile: a drawing, not read
    with pytest.raises(office_art.ArtDamaged, match="not where its entry says"):
        list(office_art.store_blips(group, 5, group.size - 7, Held(bytes(delay.size))))
    with pytest.raises(office_art.ArtDamaged, match="runs past what holds it"):
        list(office_art.store_blips(group, 5, group.size - 8, delay))


def test_a_sheet_drawing_places_each_picture_at_the_top_left_cell_of_its_first_shape():
    from pii_audit.sources import office_art

    def shape(picture: int, column: int, row: int) -> bytes:
        properties = struct.pack("<HI", 0x007F, 0) + struct.pack("<HI", 0x4104, picture)  # a lock, then pib
        anchor = struct.pack("<H8H", 2, column, 0, row, 0, column + 2, 0, row + 5, 0)
        return record(0xF004, record(0xF00A, bytes(8), 75, 2) + record(0xF00B, properties, 2, 3)
                      + record(0xF010, anchor), version=0xF)

    group = record(0xF003, record(0xF004, record(0xF009, bytes(16), version=1), version=0xF)
                   + shape(2, 3, 4) + shape(1, 0, 9) + shape(2, 7, 7), version=0xF)
    drawing = record(0xF002, record(0xF008, bytes(8), 1) + group, version=0xF)
    assert office_art.sheet_anchors(drawing) == {2: (3, 4), 1: (0, 9)}
    assert office_art.sheet_anchors(drawing[:-20]) == {2: (3, 4), 1: (0, 9)}  # cut short: what came before


def test_joined_parts_read_as_one_stream():
    from pii_audit.sources.office_art import Joined

    stream = Held(b"HEADabcdXXXXefghijYYkl")
    joined = Joined(stream, [(4, 4), (12, 6), (20, 2)])
    assert (joined.size, joined.read(0, 99), joined.read(3, 6), joined.read(9, 5)) == (
        12, b"abcdefghijkl", b"defghi", b"jkl")


def test_damaged_drawings_raise_art_damaged_or_give_pictures_never_another_error():
    """Random bytes changed in the fixtures' Data stream, drawings and drawing group (seeded): each
    walk gives pictures inside what holds them, or ``ArtDamaged`` (one line), nothing else."""
    import random

    from pii_audit.sources import office_art
    from pii_audit.sources.word97 import picture_streams
    from pii_audit.sources.xls_stream import drawing_parts

    with open(REPORT, "rb") as handle:
        streams = picture_streams(ole2.CompoundFile(handle))
        data, document = streams.data.read(0, streams.data.size), streams.document.read(0, streams.document.size)
        offset, size = streams.drawings
        drawings = streams.table.read(offset, size)
    with open(BOOK, "rb") as handle:
        _, workbook = ole2.CompoundFile(handle).open(("Workbook",))
        _, parts = drawing_parts(workbook)
        joined = office_art.Joined(workbook, parts)
        group = joined.read(0, joined.size)
    walks = [(data, lambda held: office_art.scanned_blips(held)),
             (drawings, lambda held: office_art.store_blips(held, 0, held.size, Held(document))),
             (group, lambda held: office_art.store_blips(held, 0, held.size)),
             (group, lambda held: iter(office_art.sheet_anchors(held.data).items()))]
    rng = random.Random(20240105)
    for _ in range(400):
        original, walk = rng.choice(walks)
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(min(len(damaged), 600))] = rng.randrange(256)  # the headers lie near the start
        held = Held(bytes(damaged))
        try:
            for found in walk(held):
                if isinstance(found, office_art.Blip):
                    assert found.offset + found.size <= held.size
                elif len(found) == 3:  # a store's (number, the stream holding it, its record)
                    assert found[2].offset + found[2].size <= found[1].size
        except office_art.ArtDamaged as error:
            assert "\n" not in str(error) and str(error).isascii()
