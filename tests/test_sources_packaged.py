"""Files dragged into Word reports, workbooks and slides, shown as icons (OLE Package objects):
each is read as the file it is, located by its name; any other object stays a notice, and a
damaged package is one problem line."""

from __future__ import annotations

import dataclasses
import io
import random
import struct
import uuid
import zipfile
from array import array
from pathlib import Path

import docx
import openpyxl
import pytest
from pptx import Presentation

from ole2_helpers import UNICODE, compound_file, outlook_message
from pii_audit.sources import ScanOptions, inner_options, reader_state
from pii_audit.sources.ole2 import ENDOFCHAIN, FREESECT, CompoundFile, Stream
from pii_audit.sources.packager import MAX_NAME_BYTES, PackageRefused, packaged_file
from tests_corpus import resident_id
from scan_helpers import scan_one

DATA = Path(__file__).parent / "data" / "packaged"
RNG = random.Random(20240611)
IDS = [resident_id(RNG) for _ in range(4)]  # synthetic, valid check characters
MOBILES = ["13812345678", "15912345670", "18612345679"]
PACKAGE = uuid.UUID("0003000C-0000-0000-C000-000000000046").bytes_le
EQUATION = uuid.UUID("0002CE02-0000-0000-C000-000000000046").bytes_le  # Microsoft Equation 3.0
PAINTBRUSH = uuid.UUID("0003000A-0000-0000-C000-000000000046").bytes_le  # an OLE 1.0 picture
NOT_READ = "an embedded object that is no workbook, Word document or packaged file (an equation, a drawing) is not read"
DAMAGED = "damaged packaged file (an OLE Package object): "
# (label as Chinese Windows writes it, GBK; the file's bytes)
LIST_CSV = ("客户名单.csv".encode("gbk"), ("序号,身份证号\n" + "".join(f"{n},{v}\n" for n, v in enumerate(IDS, 1)))
            .encode("utf-8"))
CONTACTS_TXT = ("联系人.txt".encode("gbk"), "".join(f"联系电话：{m}\n" for m in MOBILES).encode("gbk"))
OLE_TYPE = "application/vnd.openxmlformats-officedocument.oleObject"
OLE_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"


def native(label: bytes, data: bytes, size: int | None = None, source: bytes | None = None,
           unicode: tuple[str, str, str] = (), kind: int = 3) -> bytes:
    """Return an ``\\x01Ole10Native`` stream in the Packager format, as Word writes one for a file
    dropped into a document: its size, flags, the label, the path it came from, its kind (3: an
    embedded file), the temporary copy's path, the file's size (``size`` to lie) and bytes; then,
    where given, the names in UTF-16."""
    source = b"C:\\Users\\kf\\Desktop\\" + label if source is None else source
    temporary = b"C:\\Users\\kf\\AppData\\Local\\Temp\\" + label + b"\0"
    body = (struct.pack("<H", 2) + label + b"\0" + source + b"\0" + struct.pack("<HH", 0, kind)
            + struct.pack("<I", len(temporary)) + temporary + struct.pack("<I", len(data) if size is None else size)
            + data + b"".join(struct.pack("<I", len(name)) + name.encode("utf-16-le") for name in unicode))
    return struct.pack("<I", len(body)) + body


def comp_obj(user_type: bytes, prog_id: bytes, clsid: bytes) -> bytes:
    """Return a ``\\x01CompObj`` stream ([MS-OLEDS] 2.3.7) naming an object's class."""
    def ansi(text: bytes) -> bytes:
        return struct.pack("<I", len(text) + 1) + text + b"\0"
    return struct.pack("<IIi", 0xFFFE0001, 0x0A03, -1) + clsid + ansi(user_type) + struct.pack("<I", 0) + ansi(prog_id)


def package(stream: bytes, clsid: bytes = PACKAGE) -> bytes:
    """Return an OLE object (an ``oleObject1.bin``) of class ``clsid`` whose Ole10Native stream is ``stream``."""
    return compound_file({"\x01CompObj": comp_obj(b"OLE Package", b"Package", clsid), "\x01Ole10Native": stream},
                         classes={"": clsid})


def packaged(label: bytes, data: bytes, **changes) -> bytes:
    """Return an OLE Package object holding the file ``data`` named ``label``."""
    return package(native(label, data, **changes))


def equation() -> bytes:
    return compound_file({"\x01CompObj": comp_obj(b"Microsoft Equation 3.0", b"Equation.3", EQUATION),
                          "Equation Native": bytes(300)}, classes={"": EQUATION})


def with_objects(path: Path, owner: str, objects: list[bytes]) -> Path:
    """Add OLE objects to the Office file ``path`` as Office stores them: ``embeddings/oleObjectN.bin``
    in its top folder, the content type of .bin, a relationship from the part ``owner`` to each
    (and in a Word document, a ``<w:object>`` paragraph naming it)."""
    folder, _, part = owner.rpartition("/")
    top = folder.split("/")[0]
    rels = f"{folder}/_rels/{part}.rels"
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    types = parts["[Content_Types].xml"].decode().replace(
        "</Types>", f'<Default Extension="bin" ContentType="{OLE_TYPE}"/></Types>')
    target = "embeddings" if folder == top else "../embeddings"
    links = "".join(f'<Relationship Id="rIdPkg{n}" Type="{OLE_RELATIONSHIP}" Target="{target}/oleObject{n}.bin"/>'
                    for n in range(1, len(objects) + 1))
    relationships = parts.get(rels, f'<Relationships xmlns="{RELATIONSHIPS}"></Relationships>'.encode()).decode()
    relationships = relationships.replace("</Relationships>", links + "</Relationships>")
    parts.update({"[Content_Types].xml": types.encode(), rels: relationships.encode()})
    parts.update({f"{top}/embeddings/oleObject{n}.bin": data for n, data in enumerate(objects, 1)})
    if owner == "word/document.xml":
        icons = "".join(
            f'<w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:r="http://'
            f'schemas.openxmlformats.org/officeDocument/2006/relationships" Type="Embed" ProgID="Package" ShapeID='
            f'"_x0000_i10{n:02d}" DrawAspect="Icon" ObjectID="_17{n:08d}" r:id="rIdPkg{n}"/></w:object></w:r></w:p>'
            for n in range(1, len(objects) + 1))
        parts[owner] = parts[owner].decode().replace("<w:sectPr", icons + "<w:sectPr", 1).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def report(path: Path, *objects: bytes) -> Path:
    """Write a Word report (its own text holds a mobile number) with ``objects`` dropped into it."""
    document = docx.Document()
    document.add_paragraph(f"客户资料见附件，经办人电话 {MOBILES[0]}")
    document.save(path)
    return with_objects(path, "word/document.xml", list(objects))


def containers(result) -> dict[tuple[str, str], int]:
    """Return {(container, entity): occurrences} of a scan's findings."""
    return {(f.container, f.entity_type): f.occurrences for f in result.findings.values()}


def places(result, entity: str) -> list[tuple[str, str, str | int]]:
    """Return sorted (path, sheet, cell or line) of the samples of ``entity``."""
    return sorted((s.location["path"], s.location.get("sheet", ""), s.location.get("cell", s.location.get("line")))
                  for f in result.findings.values() if f.entity_type == entity for s in f.samples)


def test_files_dropped_into_a_report_are_read_as_the_files_they_are(tmp_path, key):
    """A customer export (.csv, UTF-8) and a contact list (.txt, GBK), both named in GBK, dropped
    into a .docx: each is read as a file of its name would be, located inside its object."""
    path = report(tmp_path / "报告.docx", packaged(*LIST_CSV), packaged(*CONTACTS_TXT))
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    where = f"{path}!word/embeddings/"
    assert containers(result) == {
        (str(path), "CN_MOBILE_PHONE"): 1,
        (f"{where}oleObject1.bin!客户名单.csv!客户名单!身份证号", "CN_RESIDENT_ID"): 4,
        (f"{where}oleObject2.bin!联系人.txt", "CN_MOBILE_PHONE"): 3}
    assert places(result, "CN_RESIDENT_ID") == [(f"{where}oleObject1.bin!客户名单.csv", "客户名单", f"B{row}")
                                                for row in range(2, 6)]
    assert places(result, "CN_MOBILE_PHONE") == sorted(
        [(str(path), "", 1)] + [(f"{where}oleObject2.bin!联系人.txt", "", line) for line in (1, 2, 3)])
    assert result.coverage.files == 3


def test_a_text_file_dropped_into_a_workbook_is_read(tmp_path, key):
    """A text file of 3,000 lines (some 60 KB, so its object's stream spans many sectors), read as
    it is asked for."""
    book = openpyxl.Workbook()
    book.active.append(["说明"])
    book.save(tmp_path / "汇总.xlsx")
    text = "".join(f"第{n}行 联系电话：{MOBILES[n % 3]}\n" for n in range(3000)).encode("gbk")
    path = with_objects(tmp_path / "汇总.xlsx", "xl/worksheets/sheet1.xml", [packaged(CONTACTS_TXT[0], text)])
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert containers(result) == {(f"{path}!xl/embeddings/oleObject1.bin!联系人.txt", "CN_MOBILE_PHONE"): 3000}
    assert result.coverage.containers[f"{path}!xl/embeddings/oleObject1.bin!联系人.txt"].units == 3000


def test_a_packaged_file_is_a_container_whose_items_verify(tmp_path, monkeypatch):
    """Once the numbers in the packaged file are masked (the report saved again with the file
    dropped in anew) and the folder scanned again, its items verify; the report's own stay open."""
    from click.testing import CliRunner

    from ledger_helpers import statuses_by_file
    from pii_audit.cli import cli

    monkeypatch.setenv("PII_AUDIT_KEY", "ab" * 32)
    folder, ledger = tmp_path / "docs", f"sqlite:///{tmp_path / 'ledger.db'}"
    folder.mkdir()
    scan = lambda: CliRunner().invoke(cli, ["scan", str(folder), "--ledger", ledger]).exit_code  # noqa: E731
    report(folder / "r.docx", packaged(*CONTACTS_TXT))
    assert scan() == 1 and statuses_by_file(ledger) == {"r.docx": {"open"}, "oleObject1.bin!联系人.txt": {"open"}}
    report(folder / "r.docx", packaged(CONTACTS_TXT[0], "联系电话：138****5678\n".encode("gbk")))
    assert scan() == 1 and statuses_by_file(ledger) == {"r.docx": {"open"}, "oleObject1.bin!联系人.txt": {"verified"}}


def test_a_workbook_dropped_into_a_slide_is_read(tmp_path, key):
    inner = openpyxl.Workbook()
    inner.active.append(["姓名", "身份证号"])
    for n, number in enumerate(IDS):
        inner.active.append([f"客户{n}", number])
    data = io.BytesIO()
    inner.save(data)
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = "客户名单见附件"
    deck.save(tmp_path / "案例.pptx")
    path = with_objects(tmp_path / "案例.pptx", "ppt/slides/slide1.xml", [packaged("名单.xlsx".encode("gbk"),
                                                                                 data.getvalue())])
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert containers(result) == {(f"{path}!ppt/embeddings/oleObject1.bin!名单.xlsx!Sheet!身份证号", "CN_RESIDENT_ID"): 4}


@pytest.mark.parametrize("kind", ["docx", "doc"])
def test_packages_in_documents_libreoffice_saved_are_read(tmp_path, key, kind):
    """LibreOffice's own .docx (an oleObjectN.bin of the Package class, its content type and
    relationship) and .doc (an ObjectPool storage of that class), made by
    tests/data/packaged/make_packaged_fixtures.py."""
    path = tmp_path / f"附件报告.{kind}"
    path.write_bytes((DATA / f"report.{kind}").read_bytes())
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    found = {tuple(container.split("!", 2)[1:]) + (entity,): n for (container, entity), n in containers(result).items()}
    objects = {place for place, _, _ in found}
    assert len(objects) == 2 and all(place.startswith("word/embeddings/oleObject" if kind == "docx" else "ObjectPool/_")
                                     for place in objects)
    assert {(inside, entity): n for (_, inside, entity), n in found.items()} == {
        ("客户名单.csv!客户名单!身份证号", "CN_RESIDENT_ID"): 4, ("联系人.txt", "CN_MOBILE_PHONE"): 3}
    assert all(container.startswith(f"{path}!") for container, _ in containers(result))


def test_an_object_whose_streams_name_is_damaged_is_a_problem_line(tmp_path, key):
    """One damaged byte of a packaged file's stream name (\\x01Ole10Native) in the .doc's directory,
    which has no checksum: the object read as one of another kind, a notice, and the customer list
    in it went unread (7 of 400 randomly damaged copies of report.doc). A name one or two
    characters from an object's main stream is now one problem line; the other object is read."""
    with open(DATA / "report.doc", "rb") as handle:
        compound = CompoundFile(handle)
        streams = {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}
        classes = {folder: compound.class_id(folder) for folder in {path.rsplit("/", 1)[0] for path in streams}
                   if folder and folder != "ObjectPool"}
    damaged = sorted(path for path in streams if path.endswith("\x01Ole10Native"))[0]
    streams[damaged[:-1] + "X"] = streams.pop(damaged)
    path = tmp_path / "附件报告.doc"
    path.write_bytes(compound_file(streams, classes=classes))
    result = scan_one(tmp_path, key)
    object_at = f"{path}!{damaged.rsplit('/', 1)[0]}"
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (object_at, "an embedded object whose main stream's name is damaged in the OLE2 directory: not read")]
    assert len({container.split("!")[1] for container, _ in containers(result)}) == 1  # the other object's


def test_an_object_pool_whose_name_is_damaged_is_a_problem_line(tmp_path, key):
    """One damaged byte of ObjectPool's name: the .doc's embedded files were not looked for, and
    the document passed as complete without its customer list (1 of the 5 silent losses left in
    400 randomly damaged copies of report.doc)."""
    with open(DATA / "report.doc", "rb") as handle:
        compound = CompoundFile(handle)
        streams = {path: compound.stream(*entry).read(0, entry[1]) for path, entry in compound.streams().items()}
        classes = {folder.replace("ObjectPool", "ObjectPXol"): compound.class_id(folder)
                   for folder in {path.rsplit("/", 1)[0] for path in streams} if folder.startswith("ObjectPool/")}
    path = tmp_path / "附件报告.doc"
    path.write_bytes(compound_file({name.replace("ObjectPool/", "ObjectPXol/"): data for name, data in streams.items()},
                                   classes=classes))
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(path), "ObjectPool is damaged (its name in the OLE2 directory): the objects embedded in the document "
                    "are not read")]
    assert not result.findings


def test_a_name_holding_an_id_number_is_masked(tmp_path, key):
    """A file named after a customer (客户<ID>.csv) is located by its name masked, as a file on disk is."""
    label = f"客户{IDS[0]}.csv".encode("gbk")
    report(tmp_path / "r.docx", packaged(label, LIST_CSV[1]))
    result = scan_one(tmp_path, key)
    masked = f"客户{IDS[0][:6]}********{IDS[0][-4:]}.csv"
    assert {c for c, _ in containers(result)} == {
        str(tmp_path / "r.docx"), f"{tmp_path / 'r.docx'}!word/embeddings/oleObject1.bin!{masked}!{masked[:-4]}!身份证号"}
    assert all(IDS[0] not in s.location["path"] for f in result.findings.values() for s in f.samples)


@pytest.mark.parametrize("changes, name", [
    pytest.param({"label": b"????.csv", "unicode": ("C:\\导出\\客户名单.csv", "客户名单.csv", "C:\\Temp\\客户名单.csv")},
                 "客户名单.csv", id="english-windows-label-unicode-copy"),
    pytest.param({"label": "客户名单".encode("gbk"), "source": "C:\\导出\\客户名单.csv".encode("gbk")},
                 "客户名单.csv", id="label-renamed-without-suffix-path-has-it"),
    pytest.param({"label": b"", "source": "D:\\客户名单.csv".encode("gbk")}, "客户名单.csv", id="empty-label"),
    pytest.param({"label": b"a!b.csv"}, "a_b.csv", id="bang-in-name"),
    pytest.param({"label": b"a\nb.csv"}, "a?b.csv", id="line-break-in-name"),  # it split the problem lines
])
def test_the_packaged_file_is_named_by_its_label_or_paths(tmp_path, key, changes, name):
    report(tmp_path / "r.docx", packaged(changes["label"], LIST_CSV[1],
                                         **{k: v for k, v in changes.items() if k != "label"}))
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert (f"{tmp_path / 'r.docx'}!word/embeddings/oleObject1.bin!{name}!{name[:-4]}!身份证号", "CN_RESIDENT_ID") \
        in containers(result)


def test_objects_of_other_classes_stay_a_notice(tmp_path, key):
    """An equation, and an OLE 1.0 object of another class whose Ole10Native stream holds its raw
    data, are notices; the package beside them is read."""
    path = report(tmp_path / "r.docx", equation(), package(b"\x10\x00\x00\x00" + bytes(16), PAINTBRUSH),
                  packaged(*CONTACTS_TXT))
    result = scan_one(tmp_path, key)
    where = f"{path}!word/embeddings/"
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (f"{where}oleObject1.bin", NOT_READ), (f"{where}oleObject2.bin", NOT_READ)]
    assert containers(result)[(f"{where}oleObject3.bin!联系人.txt", "CN_MOBILE_PHONE")] == 3


def test_a_packaged_link_holds_nothing_to_read(tmp_path, key):
    label = "客户名单.csv".encode("gbk")
    link = struct.pack("<H", 2) + label + b"\0" + b"\\\\fs01\\share\\" + label + b"\0" + struct.pack("<HH", 0, 1)
    report(tmp_path / "r.docx", package(struct.pack("<I", len(link)) + link))
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (f"{tmp_path / 'r.docx'}!word/embeddings/oleObject1.bin",
         "a packaged link to a file elsewhere holds nothing of the file: not read")]


def huge_label() -> bytes:
    body = struct.pack("<H", 2) + b"A" * 100_000
    return struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("stream, reason", [
    pytest.param(native(*LIST_CSV)[:12], "its header is cut short", id="cut-in-the-label"),
    pytest.param(native(*LIST_CSV)[:60], "its header is cut short", id="cut-in-the-temporary-path"),
    pytest.param(native(*LIST_CSV, size=len(LIST_CSV[1]) + 1),
                 "the packaged file's size runs past the end of the object (truncated?)", id="size-past-the-end"),
    pytest.param(native(*LIST_CSV, size=0xFFFFFFFF),
                 "the packaged file's size runs past the end of the object (truncated?)", id="size-4-gib"),
    pytest.param(huge_label(), f"a name longer than {MAX_NAME_BYTES:,} bytes", id="huge-label"),
    pytest.param(native(b"x.csv", b"", source=b"C:\\" + b"x" * 5000), f"a name longer than {MAX_NAME_BYTES:,} bytes",
                 id="huge-source-path"),
    pytest.param(b"", "its header is cut short", id="empty-stream"),
])
def test_a_damaged_package_is_one_problem_line_and_the_report_is_still_read(tmp_path, key, stream, reason):
    path = report(tmp_path / "r.docx", package(stream))
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (f"{path}!word/embeddings/oleObject1.bin", DAMAGED + reason)]
    assert result.coverage.notices == []
    assert containers(result) == {(str(path), "CN_MOBILE_PHONE"): 1}


def cut_inside_the_file(data: bytes) -> bytes:
    """Return the OLE object ``data`` with the last sector of its Ole10Native stream moved to the
    file's end, and the file cut 50 bytes into it: every header and table is whole, and only
    reading the packaged file finds it ends early."""
    compound = CompoundFile(io.BytesIO(data))
    start, _ = compound.streams()["\x01Ole10Native"]
    chain = [start]
    while compound.fat[chain[-1]] != ENDOFCHAIN:
        chain.append(compound.fat[chain[-1]])
    fat, moved = list(compound.fat), len(data) // 512 - 1  # the sector appended
    fat[chain[-2]], fat[chain[-1]], fat[moved] = moved, FREESECT, ENDOFCHAIN
    out = bytearray(data) + data[512 * (chain[-1] + 1):512 * (chain[-1] + 2)]
    fat_at = 512 * (struct.unpack_from("<I", data, 76)[0] + 1)  # the header's first FAT sector
    out[fat_at:fat_at + 512] = struct.pack("<128I", *fat[:128])
    return bytes(out[:len(data) + 50])


def test_an_object_cut_short_inside_its_packaged_file_is_one_problem_line(tmp_path, key):
    text = "".join(f"联系电话：{MOBILES[n % 3]}\n" for n in range(400)).encode("gbk")
    path = report(tmp_path / "r.docx", cut_inside_the_file(packaged(CONTACTS_TXT[0], text)))
    result = scan_one(tmp_path, key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (f"{path}!word/embeddings/oleObject1.bin!联系人.txt",
         "corrupt embedded object: the file ends inside a stream (truncated?)")]
    assert containers(result) == {(str(path), "CN_MOBILE_PHONE"): 1}


def as_stream(data: bytes) -> Stream:
    return Stream(io.BytesIO(data), array("Q", [0]), max(len(data), 1), len(data))


def test_every_cut_and_junk_is_read_or_refused_never_an_error():
    """Every prefix of a package (its UTF-16 names too) and random bytes give a file, a link
    (None) or ``PackageRefused``, and a file always lies inside the stream."""
    whole = native(*LIST_CSV, unicode=("C:\\a\\客户名单.csv", "客户名单.csv", "C:\\t\\客户名单.csv"))
    rng = random.Random(7)
    samples = [whole[:cut] for cut in range(len(whole) + 1)]
    samples += [bytes(rng.randrange(256) for _ in range(rng.randrange(64))) + whole[rng.randrange(len(whole)):]
                for _ in range(300)]
    for data in samples:
        try:
            found = packaged_file(as_stream(data))
        except PackageRefused as error:
            assert str(error).startswith(DAMAGED)
            continue
        assert found is None or found.offset + found.size <= len(data)
    assert packaged_file(as_stream(whole)).name == "客户名单.csv"


def test_a_packaged_archive_counts_as_a_level_of_archives(tmp_path, key):
    """A zip dropped into a report is read as an archive inside an archive: its members are read,
    an archive inside it is a problem line, as one three deep in archives on disk is."""
    monthly = io.BytesIO()
    with zipfile.ZipFile(monthly, "w") as archive:
        archive.writestr("旧名单.csv", LIST_CSV[1])
    backup = io.BytesIO()
    with zipfile.ZipFile(backup, "w") as archive:
        archive.writestr("客户名单.csv", LIST_CSV[1])
        archive.writestr("月度.zip", monthly.getvalue())
    path = report(tmp_path / "r.docx", packaged("备份.zip".encode("gbk"), backup.getvalue()))
    result = scan_one(tmp_path, key)
    where = f"{path}!word/embeddings/oleObject1.bin!备份.zip"
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (f"{where}!月度.zip", "an archive nested 3 deep in archives is not read; extract it and scan it")]
    assert containers(result) == {(str(path), "CN_MOBILE_PHONE"): 1,
                                  (f"{where}!客户名单.csv!客户名单!身份证号", "CN_RESIDENT_ID"): 4}


def test_a_package_inside_a_packaged_document_is_a_notice(tmp_path, key):
    """A report dropped into a report keeps its own packages: one level deep, as embedded files."""
    inner = report(tmp_path / "inner.docx", packaged(*LIST_CSV)).read_bytes()
    (tmp_path / "inner.docx").unlink()
    path = report(tmp_path / "r.docx", packaged("内.docx".encode("gbk"), inner))
    result = scan_one(tmp_path, key)
    where = f"{path}!word/embeddings/oleObject1.bin!内.docx"
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (where, "1 file(s) embedded in this embedded file not read (one level deep is read); "
         "open it and save it apart")]
    assert containers(result) == {(str(path), "CN_MOBILE_PHONE"): 1, (where, "CN_MOBILE_PHONE"): 1}


def message_with_package(text: str, label: bytes, data: bytes) -> bytes:
    """Return a .msg written in Outlook's rich text whose body is ``text`` and which holds a file
    dropped into it as an OLE Package object (its attachment's data a storage of that class)."""
    streams = outlook_message([(0x1000, UNICODE, text)], attachments=[
        {"name": "附件", "message": {"\x01CompObj": comp_obj(b"OLE Package", b"Package", PACKAGE),
                                     "\x01Ole10Native": native(label, data)}}])
    return compound_file(streams, classes={"__attach_version1.0_#00000000/__substg1.0_3701000D": PACKAGE})


def test_packages_in_messages_are_read_and_a_package_in_a_package_is_a_notice(tmp_path, key):
    """A message packaged in a message's object is read, but not the package inside it: messages
    in packages in messages could otherwise nest as deep as the file allows."""
    innermost = message_with_package("内层", *LIST_CSV)
    inner = message_with_package(f"回访电话 {MOBILES[1]}", b"inner.msg", innermost)
    (tmp_path / "a.msg").write_bytes(message_with_package("见附件", b"middle.msg", inner))
    result = scan_one(tmp_path, key)
    where = f"{tmp_path / 'a.msg'}!附件!middle.msg"
    assert result.coverage.problems == []
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (f"{where}!附件!inner.msg", "a file packaged in a packaged file is not read; open it and save it apart")]
    assert containers(result) == {(where, "CN_MOBILE_PHONE"): 1}


def test_how_deep_readers_are_is_no_option_of_a_target():
    """Whether a file is read from a package, and how many messages deep, is the readers' state:
    it was kept among a target's options (``ScanOptions.in_package``, ``attached``), which the
    command line and audit.toml fill. It is ``InnerOptions``', set only as readers go inside."""
    assert not {option.name for option in dataclasses.fields(ScanOptions)} & {"in_package", "attached"}
    target = ScanOptions(sample_rows=5, include=("*.msg",))
    assert (reader_state(target).in_package, reader_state(target).attached) == (False, 0)
    inner = inner_options(inner_options(target, attached=1), in_package=True)
    assert (inner.in_package, inner.attached, inner.sample_rows, inner.include) == (True, 1, 5, ("*.msg",))
    assert reader_state(inner) is inner and not inner.full


def test_a_csv_packaged_in_a_message_is_read(tmp_path, key):
    (tmp_path / "a.msg").write_bytes(message_with_package("见附件", *LIST_CSV))
    result = scan_one(tmp_path, key)
    assert (result.coverage.problems, result.coverage.notices) == ([], [])
    assert containers(result) == {(f"{tmp_path / 'a.msg'}!附件!客户名单.csv!客户名单!身份证号", "CN_RESIDENT_ID"): 4}


def test_a_packaged_file_named_with_a_line_break_is_named_on_one_line(tmp_path, key):
    """A packaged file's name is the object's own bytes and may hold a line break: the problem and
    the finding placed at ``object!name`` were two lines; the break shows as ?, as in a zip's."""
    path = report(tmp_path / "r.docx", packaged(b"a\nb.txt", f"手机 {MOBILES[1]}\n".encode()),
                  packaged(b"c\nd.xlsx", b"PK\x03\x04 damaged"))
    result = scan_one(tmp_path, key)
    where = f"{path}!word/embeddings/"
    assert [p.where for p in result.coverage.problems] == [f"{where}oleObject2.bin!c?d.xlsx"]
    assert (f"{where}oleObject1.bin!a?b.txt", "CN_MOBILE_PHONE") in containers(result)
