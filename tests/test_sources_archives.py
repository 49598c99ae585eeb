"""Zip and tar archives of logs: their text members are read as the same files on disk would be."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import random
import sqlite3
import tarfile
import zipfile

import pytest

from pii_audit.detector import Detector
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions, TargetCoverage, read_target
from pii_audit.sources.files import stream_name
from pii_audit.sources.streams import zstd
from archive_makers import folder_members, write_7z, write_rar
from test_sources_files import empty_7z
from tests_corpus import card, corpus_lines, mobile
from zip_helpers import with_empty_entries

TAR_MODES = {".tar": "w", ".tar.gz": "w:gz", ".tgz": "w:gz", ".tar.bz2": "w:bz2", ".tar.xz": "w:xz",
             ".tar.zst": "zstd", ".tzst": "zstd"}


def log_text(rng: random.Random, lines: int) -> str:
    """Return log lines holding values in Chinese context, and look-alikes (tests_corpus)."""
    return "\n".join(corpus_lines(rng, lines)) + "\n"


@pytest.fixture
def log_folder(tmp_path):
    """A folder as a server keeps it: today's log, rotated gzip and zstd ones, a GB18030 legacy log."""
    rng = random.Random(5)
    root = tmp_path / "extracted"
    (root / "logs").mkdir(parents=True)
    (root / "logs" / "app.log").write_text(log_text(rng, 300), encoding="utf-8")
    (root / "logs" / "app.log.1.gz").write_bytes(gzip.compress(log_text(rng, 300).encode("utf-8")))
    (root / "logs" / "app.log.2.zst").write_bytes(zstd.compress(log_text(rng, 200).encode("utf-8")))
    (root / "logs" / "legacy.log").write_bytes(log_text(rng, 100).encode("gb18030"))
    return root


def pack(root, archive) -> None:
    """Write ``root``'s files into a zip, tar, 7z or RAR archive named like ``archive``, paths from ``root``."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    if archive.name.endswith(".7z"):
        write_7z(archive, folder_members(root))
        return
    if archive.name.endswith(".rar"):
        write_rar(archive, folder_members(root))
        return
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
            for path in files:
                packed.write(path, path.relative_to(root).as_posix())
        return
    mode = next(mode for suffix, mode in TAR_MODES.items() if archive.name.endswith(suffix))
    with contextlib.ExitStack() as stack:
        # tarfile writes zstd only from Python 3.14 on: through a ZstdFile, as `tar --zstd` does.
        packed = tarfile.open(fileobj=stack.enter_context(zstd.ZstdFile(archive, "w")), mode="w|") \
            if mode == "zstd" else tarfile.open(archive, mode)
        with packed:
            for path in files:
                packed.add(path, path.relative_to(root).as_posix())


def findings(target: str, key: bytes, **options) -> tuple[list[tuple], TargetCoverage]:
    """Return (member path, line or (sheet, cell), start, end, entity, masked, fingerprint) of every occurrence
    in a target, the path taken from after the archive's "!" (or the folder), and the coverage."""
    coverage = TargetCoverage(target)
    found = []
    for occurrence in Detector(key).detect(read_target(target, ScanOptions(**options), coverage)):
        where = occurrence.location
        member = where["path"].split("!", 1)[1] if "!" in where["path"] else where["path"][len(target) + 1:]
        position = where["line"] if "line" in where else (where["sheet"], where["cell"])
        found.append((member, position, where["start"], where["end"], occurrence.entity_type,
                      occurrence.masked, occurrence.fingerprint))
    return found, coverage


@pytest.mark.parametrize("name", ["logs.zip", "logs.7z", "logs.rar"] + [f"logs{suffix}" for suffix in TAR_MODES])
def test_text_members_of_an_archive_are_read_as_the_files_on_disk(tmp_path, log_folder, key, name):
    """An archive of logs was binary to the scan, skipped with a notice: an archive full of ID
    numbers came out clean (exit 0). Its members are now read as the same files on disk: the
    same occurrences at the same lines, rotations in the stream of their log, and the archive
    is left as it was."""
    archive = tmp_path / name
    pack(log_folder, archive)
    before = archive.read_bytes()
    on_disk, _ = findings(str(log_folder), key)
    inside, coverage = findings(str(archive), key)
    assert len(on_disk) > 200 and sorted(inside) == sorted(on_disk)
    assert (coverage.files, coverage.problems, coverage.notices) == (4, [], [])
    streams = {name.split("!", 1)[1]: record.units for name, record in coverage.containers.items()}
    assert streams == {"logs/app.log": 800, "logs/legacy.log": 100}
    assert archive.read_bytes() == before


def test_what_an_archive_holds_but_cannot_read_is_one_problem_line_each(tmp_path, log_folder, key):
    """A database inside an archive would need a temporary copy of it on disk; an encrypted member
    cannot be read, nor a split 7z's volume; a member past the inflation cap is a bomb; a broken spreadsheet or
    archive is broken there too. Each is a problem line (the target is incomplete), and the other members
    are read."""
    database = tmp_path / "customers.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE kh (sfzh TEXT)")
    db.close()
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.write(log_folder / "logs" / "app.log", "logs/app.log")
        packed.writestr("exports/客户清单.xlsx", b"PK\x03\x04 not read")
        packed.writestr("old/logs-2022.zip", b"PK\x03\x04 not read")
        packed.writestr("old/客户-2021.7z.001", empty_7z())  # a split 7z's first volume
        packed.write(database, "db/data.bin")  # a SQLite file by its header, whatever its name
        packed.writestr("secret/cards.log", f"卡号={card(random.Random(1))}\n")
        packed.writestr("huge.log", "2024-01-05 INFO 心跳检测正常\n" * 2000)
    _mark_encrypted(archive, "secret/cards.log")

    found, coverage = findings(str(archive), key, max_gzip_bytes=50_000)
    on_disk = [f for f in findings(str(log_folder), key)[0] if f[0] == "logs/app.log"]
    assert sorted(found) == sorted(on_disk) and len(found) > 100
    problems = {p.where.split("!", 1)[1]: p.reason for p in coverage.problems}
    assert problems == {
        "exports/客户清单.xlsx": "unreadable: a corrupt zip structure or checksum (BadZipFile)",  # read, found broken
        "old/logs-2022.zip": "corrupt or truncated archive (File is not a zip file); not read further",
        "old/客户-2021.7z.001": "a 7z archive not named .7z (a volume of a split archive?), which is not read: "
                                "join its volumes or rename it .7z and scan that",
        "db/data.bin": "a database inside an archive is not read; extract it and scan it",
        "secret/cards.log": "encrypted member: not read",
        "huge.log": "larger than 50000 bytes when inflated (a zip bomb?): not read",
    }
    assert not coverage.complete


@pytest.mark.parametrize("outer, inner", [("backup.zip", "logs-2024-01.tar.gz"), ("backup.tar", "logs-2024-01.zip"),
                                          ("backup.tar.gz", "logs-2024-01.tar.xz"),
                                          ("backup.7z", "logs-2024-01.tar.gz"), ("backup.zip", "logs-2024-01.7z"),
                                          ("backup.tar.gz", "logs-2024-01.rar"), ("backup.rar", "logs-2024-01.7z")])
def test_an_archive_inside_an_archive_is_read_as_the_files_on_disk(tmp_path, log_folder, key, outer, inner):
    """A yearly backup of monthly log archives was one problem line per month, none of it read. An
    archive inside an archive is now read as the folder it was made of: the same occurrences,
    located ``backup.zip!logs-2024-01.tar.gz!logs/app.log``, and the other members beside it."""
    staged = tmp_path / "staged"
    staged.mkdir()
    pack(log_folder, staged / inner)
    (staged / "readme.txt").write_text(f"联系人手机{mobile(random.Random(3))}\n", encoding="utf-8")
    pack(staged, tmp_path / outer)

    on_disk, _ = findings(str(log_folder), key)
    inside, coverage = findings(str(tmp_path / outer), key)
    assert sorted(f for f in inside if f[0] != "readme.txt") == sorted(
        (f"{inner}!{member}", *rest) for member, *rest in on_disk)
    assert [f[0] for f in inside].count("readme.txt") == 1 and len(on_disk) > 200
    assert (coverage.files, coverage.problems, coverage.notices) == (5, [], [])
    assert {name.split("!", 1)[1] for name in coverage.containers} == {
        f"{inner}!logs/app.log", f"{inner}!logs/legacy.log", "readme.txt"}


def test_an_archive_nested_too_deep_too_large_or_broken_is_one_problem_line(tmp_path, log_folder, key, monkeypatch):
    """An archive two archives down is not read (a bomb nests many), nor a zip inside an archive
    over the in-memory size (zipfile reads from the end); a broken one inside is one problem
    line, and the outer archive's other members are still read."""
    monkeypatch.setattr("pii_audit.sources.archives.IN_MEMORY_MAX_BYTES", 5_000)
    deepest = tmp_path / "deepest"
    deepest.mkdir()
    pack(log_folder, deepest / "logs.tar.gz")
    middle = tmp_path / "middle"
    middle.mkdir()
    pack(deepest, middle / "2024.tar")  # 2024.tar!logs.tar.gz: two archives down from backup.zip
    pack(log_folder, middle / "big.zip")  # over 5,000 bytes
    (middle / "broken.tar.gz").write_bytes(gzip.compress(b"no tar header here" * 100))
    (middle / "app.log").write_text(f"手机{mobile(random.Random(4))}\n", encoding="utf-8")
    pack(middle, tmp_path / "backup.zip")

    found, coverage = findings(str(tmp_path / "backup.zip"), key)
    assert [f[0] for f in found] == ["app.log"]
    assert {p.where.split("!", 1)[1]: p.reason for p in coverage.problems} == {
        "2024.tar!logs.tar.gz": "an archive nested 3 deep in archives is not read; extract it and scan it",
        "big.zip": "a zip inside an archive larger than 5,000 bytes is not read; extract it and scan it",
        "broken.tar.gz": "corrupt or truncated archive (invalid header); not read further",
    }
    assert not coverage.complete


def test_a_tar_member_past_the_inflation_cap_stops_its_archive_there(tmp_path, key):
    """A tar stream reaches its next member only by inflating the one before to its end: past a
    member larger than the cap (a bomb, by its header), nothing more of the archive is read."""
    archive = tmp_path / "logs.tar.gz"
    with tarfile.open(archive, "w:gz") as packed:
        for name, text in (("a.log", f"手机={mobile(random.Random(1))}\n"),
                           ("huge.log", "2024-01-05 INFO 心跳检测正常\n" * 2000),
                           ("z.log", f"手机={mobile(random.Random(2))}\n")):
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            packed.addfile(info, io.BytesIO(data))
    found, coverage = findings(str(archive), key, max_gzip_bytes=50_000)
    assert [member for member, *_ in found] == ["a.log"]
    assert [(p.where.split("!", 1)[1], p.reason) for p in coverage.problems] == [
        ("huge.log", "larger than 50000 bytes when inflated (a zip bomb?): not read; the members after it neither")]


def _mark_encrypted(archive, member: str) -> None:
    """Set the "encrypted" flag of one member in its local and central headers, as an encrypting
    zip tool writes it (Python's zipfile cannot write encrypted members)."""
    data = bytearray(archive.read_bytes())
    name = member.encode()
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at:at + name_at + len(name)] == name:
                data[at + flag_at] |= 0x01
            at = data.find(signature, at + 1)
    archive.write_bytes(bytes(data))


def test_a_corrupt_or_truncated_archive_is_one_problem_line_and_the_scan_goes_on(tmp_path, log_folder, key):
    truncated = tmp_path / "logs.tar.gz"
    pack(log_folder, truncated)
    truncated.write_bytes(truncated.read_bytes()[:6000])
    not_a_zip = tmp_path / "logs.zip"
    not_a_zip.write_bytes(b"this is no zip archive\n" * 10)
    good = tmp_path / "good.zip"
    pack(log_folder, good)
    cut_header = tmp_path / "cut.tar.gz"  # its gzip header says an extra field follows, and ends
    cut_header.write_bytes(b"\x1f\x8b\x08\x04" + bytes(6))
    results = list(scan_targets([str(truncated), str(not_a_zip), str(good), str(cut_header)],
                                ScanOptions(jobs=1), key))
    reasons = [[p.reason for p in r.coverage.problems] for r in results]
    assert any("corrupt or truncated archive" in reason or "truncated gzip" in reason for reason in reasons[0])
    assert reasons[1] == ["corrupt or truncated archive (File is not a zip file); not read further"]
    assert reasons[3] == ["corrupt or truncated archive (gzip header cut short); not read further"]
    assert reasons[2] == [] and sum(f.occurrences for f in results[2].findings.values()) > 200


@pytest.mark.parametrize("damage", ["second header", "archive appended"])
@pytest.mark.parametrize("name", ["logs.tar", "logs.tar.gz"])
def test_a_tar_that_goes_on_past_where_tarfile_stops_is_one_problem_line(tmp_path, log_folder, key, name, damage):
    """tarfile ends an archive without an error at a header whose checksum is wrong (but the
    first's): a tar whose second header had one byte damaged read its first log and passed as
    complete, its other members unread (172 of 1,000 randomly damaged copies). Anything but zeros
    after where tarfile stops is now one problem line: so is an archive appended to a tar, which
    tar itself does not read either."""
    pack(log_folder, tmp_path / "whole.tar")
    data = bytearray((tmp_path / "whole.tar").read_bytes())
    with tarfile.open(tmp_path / "whole.tar") as packed:
        members = packed.getmembers()
    if damage == "second header":
        data[members[1].offset + 100] ^= 0x01  # its mode: the header's checksum no longer matches
    else:
        data = bytearray(bytes(data) * 2)
    archive = tmp_path / name
    archive.write_bytes(gzip.compress(bytes(data), mtime=0) if name.endswith(".gz") else bytes(data))
    found, coverage = findings(str(archive), key)
    assert [(p.where, p.reason) for p in coverage.problems] == [
        (str(archive), "the archive goes on past where its members end (a damaged header, or an archive appended): "
                       "what follows cannot be read")]
    read = members[:1] if damage == "second header" else members
    assert {member for member, *_ in found} == {member.name for member in read}


@pytest.mark.parametrize("name", ["logs-2024-01.tar.gz", "logs-2024-01.7z"])
def test_an_archive_read_in_the_parent_for_a_pool_gives_what_one_process_gives(tmp_path, log_folder, key, name,
                                                                             monkeypatch, workers_at_reads):
    """A large archive in a folder is read by the main process and its blocks detected by the
    workers side by side, as a large workbook is: the JSONL is the same as with one process."""
    from pii_audit import scan

    monkeypatch.setattr(scan, "BLOCKS_FROM_BYTES", 1000)
    monkeypatch.setattr("pii_audit.sources.files.BLOCK", 4096)
    root = tmp_path / "archives"
    root.mkdir()
    pack(log_folder, root / name)
    outputs = []
    for jobs in (1, 2):
        out = io.BytesIO()
        (result,) = scan_targets([str(root)], ScanOptions(jobs=jobs), key, jsonl=out)
        outputs.append(out.getvalue())
        assert result.coverage.problems == [] and result.coverage.files == 4
    assert workers_at_reads == [0, 2]  # one process read it; then the parent, the pool forked
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) > 200
    assert all(f"{name}!logs/" in json.loads(line)["location"]["path"] for line in outputs[0].splitlines())


@pytest.mark.parametrize("name", ["exports.zip", "exports.tar.gz", "exports.7z", "exports.rar"])
def test_a_spreadsheet_inside_an_archive_is_read_as_the_same_file_on_disk(tmp_path, key, monkeypatch, name):
    """Customer lists travel zipped. An xlsx, xls or csv inside an archive is read from memory (its
    reader seeks; nothing is written to disk) as the same file on disk is: the same cells,
    headers as context, findings. One over SPREADSHEET_MAX_BYTES is a problem line."""
    from test_sources_spreadsheets import customers, make_xls

    folder = tmp_path / "exports"
    folder.mkdir()
    customers(folder / "客户.xlsx")
    make_xls(folder / "旧系统.xls", {"客户": [["证件号码", "手机号"], [ID_IN_XLS, 13812345678]]})
    (folder / "名单.csv").write_text(f"姓名,身份证号\n张三,{ID_IN_XLS}\n", encoding="gb18030")
    archive = tmp_path / name
    pack(folder, archive)

    on_disk, _ = findings(str(folder), key, sample_rows=None)
    inside, coverage = findings(str(archive), key, sample_rows=None)
    assert sorted(inside) == sorted(on_disk) and len(inside) >= 9
    assert (coverage.files, coverage.problems) == (3, [])

    monkeypatch.setattr("pii_audit.sources.archives.SPREADSHEET_MAX_BYTES", 1000)
    inside, coverage = findings(str(archive), key, sample_rows=None)
    assert {member for member, *_ in inside} == {"名单.csv"}  # under 1,000 bytes
    assert sorted(p.where.split("!", 1)[1] for p in coverage.problems) == ["客户.xlsx", "旧系统.xls"]
    assert {p.reason for p in coverage.problems} == {
        "a spreadsheet inside an archive larger than 1,000 bytes is not read; extract it and scan it"}


ID_IN_XLS = "11010519491231002X"


@pytest.mark.parametrize("name", ["logs.zip", "logs.tar.gz", "logs.7z", "logs.rar"])
def test_the_exclude_globs_leave_out_members_as_they_leave_out_files(tmp_path, log_folder, key, name):
    """An audit.toml that excludes debug logs or a folder leaves them out inside an archive too."""
    archive = tmp_path / name
    pack(log_folder, archive)
    for exclude, members in ((("legacy.log",), {"logs/app.log", "logs/app.log.1.gz", "logs/app.log.2.zst"}),
                             (("logs/app.log*",), {"logs/legacy.log"})):
        coverage = TargetCoverage(str(archive))
        list(read_target(str(archive), ScanOptions(exclude=exclude), coverage))
        assert {c.split("!", 1)[1] for c in coverage.containers} == {stream_name(m) for m in members}
        assert coverage.files == len(members)


@pytest.mark.parametrize("name", ["logs.zip", "logs.tar.gz", "logs.7z"])
def test_the_include_globs_choose_members_of_an_archive_they_leave_out(tmp_path, log_folder, key, name):
    """--include '*.log' means the logs kept in monthly archives too: an archive the globs leave
    out is looked into for the members they choose, as a folder is; one they choose is read whole.
    Until now the archive was left out with everything in it."""
    folder = tmp_path / "share"
    folder.mkdir()
    pack(log_folder, folder / name)
    (folder / "today.log").write_text("身份证号11010519491231002X\n", encoding="utf-8")
    (folder / "notes.txt").write_text("手机13812345678\n", encoding="utf-8")

    def read(include):
        coverage = TargetCoverage(str(folder))
        list(read_target(str(folder), ScanOptions(include=include), coverage))
        return {c.replace(str(folder) + "/", "") for c in coverage.containers}

    inside = {f"{name}!logs/app.log", f"{name}!logs/legacy.log"}
    assert read(("*.log",)) == {"today.log"} | inside  # the zst and gz rotations are *.log.N.gz
    assert read(("*.log*",)) == {"today.log"} | inside
    assert read((name,)) == inside  # chosen itself: read whole
    assert read(("*.txt",)) == {"notes.txt"}


def test_a_member_named_after_a_customer_leaks_no_number(tmp_path, key):
    """A member's name may hold an ID number (a file saved per customer): the locations, streams
    and problem lines that name the member show it masked, as a path on disk is."""
    from pii_audit.summary import render_summary

    archive = tmp_path / "per-customer.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr(f"客户{ID_IN_XLS}/app.log", f"手机={mobile(random.Random(3))}\n")
        packed.writestr(f"客户{ID_IN_XLS}/secret.log", "x\n")
    _mark_encrypted(archive, f"客户{ID_IN_XLS}/secret.log")
    out = io.BytesIO()
    (result,) = scan_targets([str(archive)], ScanOptions(jobs=1), key, jsonl=out)
    assert sum(f.occurrences for f in result.findings.values()) == 1 and len(result.coverage.problems) == 1
    written = out.getvalue() + render_summary([result]).encode() + repr(result.coverage).encode()
    assert ID_IN_XLS.encode() not in written and "110105********002X".encode() in written


def _renamed(data: bytes, names: dict[str, bytes]) -> bytes:
    """Replace each ASCII placeholder name in a zip's headers by the same number of other bytes,
    as a tool that writes names in its own code page, unflagged, stores them."""
    for placeholder, raw in names.items():
        assert len(placeholder.encode()) == len(raw)
        data = data.replace(placeholder.encode(), raw)
    return data


def test_member_names_in_gbk_as_windows_tools_write_them_are_shown_as_written(tmp_path, key):
    """Windows' own zip and WinRAR in China store names in GBK without the UTF-8 flag, which
    zipfile reads as cp437: locations and streams said "┐═╗º╫╩┴╧/├√╡Ñ.log" for 客户资料/名单.log.
    Such names are decoded as UTF-8, else GB18030, in a zip and in a tar (made where the locale
    was GBK); bytes neither decodes are shown as zipfile reads them (cp437), or replaced in a tar."""
    line = f"手机{mobile(random.Random(6))}\n".encode()
    names = {"xxxxxxxx/yyyy.log": "客户资料/名单.log".encode("gbk"),  # Windows, GBK
             "zzzzzzzzzzzz.log": "日志备份.log".encode("utf-8"),  # Linux zip: UTF-8, unflagged
             "bad.log": b"\xff\xfe\xfd.log"}  # neither
    for archive in (tmp_path / "名单.zip", tmp_path / "名单.tar"):
        buffer = io.BytesIO()
        if archive.suffix == ".zip":
            with zipfile.ZipFile(buffer, "w") as packed:
                for placeholder in names:
                    packed.writestr(placeholder, line)
            archive.write_bytes(_renamed(buffer.getvalue(), names))
        else:  # the names' bytes as they are (a tar header has a checksum: no renaming after)
            with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT, errors="surrogateescape") as packed:
                for raw in names.values():
                    info = tarfile.TarInfo(raw.decode("utf-8", "surrogateescape"))
                    info.size = len(line)
                    packed.addfile(info, io.BytesIO(line))
            archive.write_bytes(buffer.getvalue())
        found, coverage = findings(str(archive), key)
        undecodable = "\xa0■².log" if archive.suffix == ".zip" else "\ufffd\ufffd\ufffd.log"  # zip: cp437, its default
        assert sorted(member for member, *_ in found) == sorted(["客户资料/名单.log", "日志备份.log", undecodable])
        assert coverage.problems == []


def test_a_zip_whose_directory_or_offsets_are_damaged_is_one_problem_line(tmp_path, log_folder, key):
    """zipfile raises ValueError, not BadZipFile, for a name flagged UTF-8 that is not and for a
    member offset before the file's start (found by fuzzing): each was "unexpected error" for the
    whole target. The first is a corrupt archive, the second a corrupt member, in one line."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as packed:
        packed.writestr("客户.log", f"手机{mobile(random.Random(7))}\n")
    flagged = buffer.getvalue().replace("客户".encode(), b"\xd4\xd4\xd4\xd4\xd4\xd4")  # flagged UTF-8, is not
    (tmp_path / "names.zip").write_bytes(flagged)
    data = bytearray((pack(log_folder, tmp_path / "offsets.zip"), (tmp_path / "offsets.zip").read_bytes())[1])
    end = data.rfind(b"PK\x05\x06")  # the end record: its directory offset said 100 bytes too far
    data[end + 16:end + 20] = (int.from_bytes(data[end + 16:end + 20], "little") + 100).to_bytes(4, "little")
    (tmp_path / "offsets.zip").write_bytes(bytes(data))

    _, coverage = findings(str(tmp_path / "names.zip"), key)
    assert [p.reason for p in coverage.problems] == [
        "corrupt or truncated archive (damaged directory (UnicodeDecodeError)); not read further"]
    _, coverage = findings(str(tmp_path / "offsets.zip"), key)
    assert {p.reason for p in coverage.problems} == {"corrupt member (bad header)"} and len(coverage.problems) == 4


def test_a_zip_listing_more_entries_than_the_cap_is_one_problem_line(tmp_path, log_folder, key, monkeypatch):
    """zipfile holds an object for each entry of a zip's directory before a member is read (500,000
    entries: 11 s, 273 MB): past ``MAX_ARCHIVE_ENTRIES`` (500,000; 2,000 here) the archive is one
    problem line, told from its end record before any is built; one at the cap is read."""
    monkeypatch.setattr("pii_audit.sources.archives.MAX_ARCHIVE_ENTRIES", 2_000)
    pack(log_folder, tmp_path / "logs.zip")
    with zipfile.ZipFile(tmp_path / "logs.zip") as archive:
        members = len(archive.infolist())
    at_cap = with_empty_entries(tmp_path / "logs.zip", 2_000 - members)
    found, coverage = findings(str(at_cap), key)
    assert found and coverage.problems == []
    over = with_empty_entries(at_cap, 1)
    found, coverage = findings(str(over), key)
    assert found == [] and [p.reason for p in coverage.problems] == [
        "refused: its zip directory lists 2,001 entries, over the 2,000 cap (zip bomb?); extract it and scan the folder"]


def test_a_zip_holding_more_entries_than_its_end_record_says_is_one_problem_line(tmp_path, log_folder, key,
                                                                                   monkeypatch):
    """zipfile reads the directory by its size, whatever count the end record gives: 900,000
    entries behind a classic end record saying 65,535 (79 MB) took 104 s and 413 MB, where the cap
    meant 500,000 at most. A directory that could hold more than the cap (46 bytes an entry at
    least) has its entries counted first (2,000 here; 48 MiB take some 65 ms)."""
    monkeypatch.setattr("pii_audit.sources.archives.MAX_ARCHIVE_ENTRIES", 2_000)
    pack(log_folder, tmp_path / "logs.zip")
    over = with_empty_entries(tmp_path / "logs.zip", 2_500, claimed=10)
    with zipfile.ZipFile(over) as archive:
        held = len(archive.infolist())
    found, coverage = findings(str(over), key)
    assert found == [] and [p.reason for p in coverage.problems] == [
        f"refused: its zip directory holds {held:,} entries where its end record says 10, over the 2,000 cap (zip "
        "bomb?); extract it and scan the folder"]


@pytest.mark.parametrize("name", ["logs.zip", "logs.tar.gz"])
def test_a_member_named_with_a_line_break_is_named_on_one_line(tmp_path, key, name):
    """A member's name is the archive's own bytes and may hold a line break: the problem and the
    finding placed at ``archive!member`` were two lines; the break shows as ?, as in a sheet's name."""
    phone = mobile(random.Random(11))
    members = {"客户\n名单.log": f"手机{phone}\n".encode(), "坏\n表.xlsx": b"PK\x03\x04 damaged"}
    if name.endswith(".zip"):
        with zipfile.ZipFile(tmp_path / name, "w") as packed:
            for member, data in members.items():
                packed.writestr(member, data)
    else:
        with tarfile.open(tmp_path / name, "w:gz") as packed:
            for member, data in members.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                packed.addfile(info, io.BytesIO(data))
    (result,) = scan_targets([str(tmp_path / name)], ScanOptions(jobs=1), key)
    assert [p.where for p in result.coverage.problems] == [f"{tmp_path / name}!坏?表.xlsx"]
    assert [container for container, _ in result.findings] == [f"{tmp_path / name}!客户?名单.log"]
