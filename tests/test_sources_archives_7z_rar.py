"""7z and RAR archives (7-Zip, WinRAR): their members are read through libarchive as the same files
on disk would be; what cannot be read is one problem line each. The archives are real files,
written by libarchive (7z) or by hand (RAR 5, encrypted 7z: ``archive_makers``)."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import subprocess
import sys

import openpyxl
import pytest

from archive_makers import rar4, rar5, rar5_volumes, rar5_with_encrypted_headers, sevenzip, write_7z, write_rar
from pii_audit.cli import main
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions
from test_sources_archives import findings
from test_sql_statements import customers, pg_dump
from tests_corpus import card, mobile, resident_id

WRITERS = {".7z": write_7z, ".rar": write_rar}


def phone(rng: random.Random) -> str:
    """Return a synthetic mobile number in an assigned segment (``mobile`` draws unassigned ones too)."""
    return "138" + mobile(rng)[3:]


def estate_members(rng: random.Random) -> tuple[dict[str, bytes], dict[str, str]]:
    """Return the members of a Windows server's log archive (a UTF-8 log, a GB18030 one, a gzipped
    rotation, a customer export) and the synthetic values they hold, by name."""
    values = {"id": resident_id(rng), "mobile": phone(rng), "legacy_id": resident_id(rng), "card": card(rng),
              "xlsx_id": resident_id(rng)}
    book = openpyxl.Workbook()
    book.active.title = "客户"
    book.active.append(["姓名", "身份证号"])
    book.active.append(["张三", values["xlsx_id"]])
    xlsx = io.BytesIO()
    book.save(xlsx)
    members = {
        "logs/app.log": (f"2024-01-05 INFO 启动\n2024-01-05 INFO 开户 身份证号{values['id']}\n"
                         f"2024-01-05 INFO 联系手机{values['mobile']}\n").encode("utf-8"),
        "logs/app.log.1.gz": gzip.compress(f"2024-01-04 INFO 绑卡 卡号{values['card']}\n".encode("utf-8")),
        "logs/legacy.log": f"2019-03-01 开户 证件号码{values['legacy_id']}\n".encode("gb18030"),
        "exports/客户.xlsx": xlsx.getvalue(),
    }
    return members, values


@pytest.mark.parametrize("suffix", [".7z", ".rar"])
def test_values_in_a_7z_or_rar_are_found_at_their_lines_and_cells(tmp_path, key, suffix):
    """A 7z or RAR was a problem line, "not read here", whatever it held. Its members are read
    now: a UTF-8 log, a GB18030 one, a gzipped rotation (in the stream of its log) and an xlsx,
    each value at its line or cell as in the same file on disk, and the archive left as it was."""
    members, values = estate_members(random.Random(11))
    archive = tmp_path / f"logs-2024{suffix}"
    WRITERS[suffix](archive, members)
    before = archive.read_bytes()
    found, coverage = findings(str(archive), key, sample_rows=None)
    at = {(member, position, entity): (start, end) for member, position, start, end, entity, *_ in found}
    assert at == {
        ("logs/app.log", 2, "CN_RESIDENT_ID"): (len("2024-01-05 INFO 开户 身份证号"), len("2024-01-05 INFO 开户 身份证号") + 18),
        ("logs/app.log", 3, "CN_MOBILE_PHONE"): (len("2024-01-05 INFO 联系手机"), len("2024-01-05 INFO 联系手机") + 11),
        ("logs/app.log.1.gz", 1, "CN_BANK_CARD"): (len("2024-01-04 INFO 绑卡 卡号"),
                                                   len("2024-01-04 INFO 绑卡 卡号") + len(values["card"])),
        ("logs/legacy.log", 1, "CN_RESIDENT_ID"): (len("2019-03-01 开户 证件号码"), len("2019-03-01 开户 证件号码") + 18),
        ("exports/客户.xlsx", ("客户", "A2"), "PERSON"): (0, 2),
        ("exports/客户.xlsx", ("客户", "B2"), "CN_RESIDENT_ID"): (0, 18),
    }
    assert (coverage.files, coverage.problems, coverage.notices) == (4, [], [])
    assert {name.split("!", 1)[1] for name in coverage.containers} >= {"logs/app.log", "logs/legacy.log"}
    assert archive.read_bytes() == before


def test_an_encrypted_member_or_archive_is_one_problem_line_each_and_the_scan_goes_on(tmp_path, key):
    """A 7z with AES-encrypted members, one whose names are encrypted too, a RAR whose password
    covers one member, one whose headers are encrypted: each encrypted member, or the archive
    when its names are hidden, is one problem line ("encrypted ... not read"); the RAR's other
    members and the other targets are read."""
    rng = random.Random(12)
    phones = [phone(rng) for _ in range(3)]
    (tmp_path / "aes.7z").write_bytes(sevenzip({"a.log": f"手机{phones[0]}\n".encode(), "b.log": b"x\n"}, aes=True))
    (tmp_path / "names.7z").write_bytes(sevenzip({"a.log": f"手机{phones[0]}\n".encode()}, aes_header=True))
    (tmp_path / "password.rar").write_bytes(rar5({"a.log": f"手机{phones[1]}\n".encode(),
                                                  "客户/名单.log": f"手机{phones[0]}\n".encode(),
                                                  "z.log": f"手机{phones[2]}\n".encode()}, encrypted=("客户/名单.log",)))
    (tmp_path / "names.rar").write_bytes(rar5_with_encrypted_headers())
    targets = [str(tmp_path / name) for name in ("aes.7z", "names.7z", "password.rar", "names.rar")]
    results = list(scan_targets(targets, ScanOptions(jobs=1), key))
    problems = [[(p.where[len(str(tmp_path)) + 1:], p.reason) for p in r.coverage.problems] for r in results]
    assert problems == [
        [("aes.7z!a.log", "encrypted member: not read"), ("aes.7z!b.log", "encrypted member: not read")],
        [("names.7z", "encrypted archive (its member names too): not read")],
        [("password.rar!客户/名单.log", "encrypted member: not read")],
        [("names.rar", "encrypted archive (its member names too): not read")],
    ]
    found = [(f.container.split("!")[1], f.entity_type, f.occurrences) for f in results[2].findings.values()]
    assert sorted(found) == [("a.log", "CN_MOBILE_PHONE", 1), ("z.log", "CN_MOBILE_PHONE", 1)]


def test_a_corrupt_or_truncated_7z_or_rar_is_one_problem_line_and_what_was_read_stays(tmp_path, key):
    """A 7z cut short (its directory is at its end) is one problem line; a RAR cut inside a member
    is one too, the archive's (as when a worker reads a dump there: ``test_dumps_routed.py``), and
    keeps the findings of the members before and of that member's lines up to the cut (libarchive's
    own read drops the block it fails in); a solid 7z whose compressed bytes were overwritten keeps
    the first member's findings and the second's up to the damage, then one problem line. No
    exception leaves the scan, and the next target is read."""
    rng = random.Random(13)
    lines = [f"第{n:04d}行 手机{phone(rng)}\n" for n in range(1, 2001)]
    log = "".join(lines).encode("utf-8")
    write_7z(tmp_path / "good.7z", {"app.log": log})
    (tmp_path / "cut.7z").write_bytes((tmp_path / "good.7z").read_bytes()[:300])
    long_lines = [f"第{n:05d}行 手机{phone(rng)}\n" for n in range(1, 20001)]  # 30 bytes each
    long_log = "".join(long_lines).encode("utf-8")
    whole = rar5({"a.log": f"手机{phone(rng)}\n".encode(), "b.log": long_log, "c.log": b"never reached\n"})
    cut_at = whole.index(long_log) + 9999 * 30 + 5  # inside line 10000
    (tmp_path / "cut.rar").write_bytes(whole[:cut_at])
    other = "".join(f"第{n:04d}次 手机{phone(rng)}\n" for n in range(1, 2001)).encode("utf-8")
    write_7z(tmp_path / "damaged.7z", {"a.log": log, "b.log": other})
    damaged = bytearray((tmp_path / "damaged.7z").read_bytes())
    damaged[len(damaged) * 3 // 4:len(damaged) * 3 // 4 + 64] = bytes(64)  # inside b.log's LZMA data
    (tmp_path / "damaged.7z").write_bytes(bytes(damaged))

    targets = [str(tmp_path / name) for name in ("cut.7z", "cut.rar", "damaged.7z", "good.7z")]
    results = list(scan_targets(targets, ScanOptions(jobs=1), key))
    problems = [[(p.where[len(str(tmp_path)) + 1:], p.reason) for p in r.coverage.problems] for r in results]
    assert [[(where, reason.split(" (")[0], reason.endswith("; not read further")) for where, reason in p]
            for p in problems] == [
        [("cut.7z", "corrupt or truncated archive", True)],
        [("cut.rar", "corrupt or truncated archive", True)],
        [("damaged.7z!b.log", "corrupt member", True)],
        [],
    ]
    in_cut = {f.container.split("!")[1]: f.occurrences for f in results[1].findings.values()}
    assert not results[1].coverage.containers[f"{tmp_path}/cut.rar!b.log"].complete
    # libarchive hands a stored RAR member over in blocks of 64 KiB: those whole before the cut are read.
    assert in_cut["a.log"] == 1 and 9999 - (64 << 10) // 30 <= in_cut["b.log"] <= 9999
    in_damaged = {f.container.split("!")[1]: f.occurrences for f in results[2].findings.values()}
    assert in_damaged["a.log"] == 2000 and 0 < in_damaged["b.log"] < 2000
    assert sum(f.occurrences for f in results[3].findings.values()) == 2000


@pytest.mark.parametrize("suffix", [".7z", ".rar"])
def test_a_member_past_the_inflation_cap_stops_its_archive_there(tmp_path, key, suffix):
    """A member larger than the cap (a bomb, by its header) is one problem line; in a solid 7z or
    RAR the next member is reached only by inflating it, so the members after it are not read."""
    archive = tmp_path / f"logs{suffix}"
    WRITERS[suffix](archive, {"a.log": f"手机={phone(random.Random(1))}\n".encode(),
                              "huge.log": "2024-01-05 INFO 心跳检测正常\n".encode() * 2000,
                              "z.log": f"手机={phone(random.Random(2))}\n".encode()})
    found, coverage = findings(str(archive), key, max_gzip_bytes=50_000)
    assert [member for member, *_ in found] == ["a.log"]
    assert [(p.where.split("!", 1)[1], p.reason) for p in coverage.problems] == [
        ("huge.log", "larger than 50000 bytes when inflated (a zip bomb?): not read; the members after it neither")]


def test_a_member_split_across_the_volumes_of_a_rar_is_one_problem_line_in_each(tmp_path, key):
    """WinRAR splits a large archive into volumes (``logs.part1.rar``, ``logs.part2.rar``); libarchive
    read a member's first part as the whole member and skipped its rest without a word, so the scan
    looked complete. Such a member is a problem line in each volume; the others are read."""
    rng = random.Random(15)
    part1, part2 = rar5_volumes({"a.log": f"手机{phone(rng)}\n".encode()},
                                ("b.log", "".join(f"手机{phone(rng)}\n" for _ in range(1000)).encode()),
                                {"c.log": f"手机{phone(rng)}\n".encode()})
    (tmp_path / "logs.part1.rar").write_bytes(part1)
    (tmp_path / "logs.part2.rar").write_bytes(part2)
    results = list(scan_targets([str(tmp_path / "logs.part1.rar"), str(tmp_path / "logs.part2.rar")],
                                ScanOptions(jobs=1), key))
    split = ("split across the volumes of a multi-volume archive: not read; extract it with all the volumes "
             "beside each other and scan it")
    assert [[(p.where[len(str(tmp_path)) + 1:], p.reason) for p in r.coverage.problems] for r in results] == [
        [("logs.part1.rar!b.log", split)], [("logs.part2.rar!b.log", split)]]
    assert [sorted((f.container.split("!")[1], f.occurrences) for f in r.findings.values()) for r in results] == [
        [("a.log", 1)], [("c.log", 1)]]


def test_member_names_are_shown_as_written(tmp_path, key):
    """7z stores names in UTF-16 and RAR 5 in UTF-8, which libarchive decodes; a RAR written by a
    tool that put GBK bytes in a name (as WinRAR 4 did without a Unicode copy) is decoded as GB18030,
    not shown as nothing or mojibake; bytes neither decodes are replaced."""
    line = f"手机{phone(random.Random(6))}\n".encode()
    write_7z(tmp_path / "名单.7z", {"客户资料/名单.log": line, "日志备份.log": line})
    write_rar(tmp_path / "名单.rar", {"客户资料/名单.log".encode("gbk"): line, "日志备份.log": line,
                                     b"\xff\xfe\xfd.log": line})
    for archive, names in (("名单.7z", ["客户资料/名单.log", "日志备份.log"]),
                           ("名单.rar", ["客户资料/名单.log", "日志备份.log", "\ufffd\ufffd\ufffd.log"])):
        found, coverage = findings(str(tmp_path / archive), key)
        assert sorted(member for member, *_ in found) == sorted(names) and coverage.problems == []


def test_without_libarchive_a_7z_is_one_problem_line_that_says_what_to_install(tmp_path):
    """Where the system's libarchive cannot be loaded (libarchive-c finds none), a 7z or RAR is
    one problem line naming the package to install; the rest of the scan goes on. A real run:
    libarchive-c loads the library that LIBARCHIVE names, here none."""
    write_7z(tmp_path / "logs.7z", {"app.log": f"手机{phone(random.Random(7))}\n".encode()})
    (tmp_path / "plain.log").write_text(f"手机{phone(random.Random(8))}\n", encoding="utf-8")
    env = {**os.environ, "LIBARCHIVE": str(tmp_path / "no-libarchive.so"), "PII_AUDIT_KEY": "ab" * 32}
    done = subprocess.run([sys.executable, "-m", "pii_audit", "scan", str(tmp_path), "--jobs", "1",
                           "--jsonl", str(tmp_path / "found.jsonl")], env=env, capture_output=True, text=True,
                          timeout=120)
    printed = done.stdout + done.stderr
    assert "Traceback" not in printed
    assert ("logs.7z: a 7z archive, which needs libarchive to be read, not installed here (Debian: apt-get "
            "install libarchive13): not read") in printed
    found = [json.loads(line) for line in (tmp_path / "found.jsonl").read_text().splitlines()]
    assert [f["location"]["path"] for f in found] == [str(tmp_path / "plain.log")]


def test_values_in_a_7z_or_rar_reach_no_output(tmp_path, capfd, monkeypatch):
    """A CLI scan of a 7z and a RAR whose member names and contents hold ID and mobile numbers
    (a folder per customer, an encrypted member named after one): no raw value reaches the JSONL
    or what is printed, with one process or a pool; the masked forms do."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PII_AUDIT_KEY", "cd" * 32)
    rng = random.Random(14)
    ids, phones = [resident_id(rng) for _ in range(3)], [phone(rng) for _ in range(3)]
    write_7z(tmp_path / "backup.7z", {f"客户{ids[0]}/app.log": f"开户 身份证号{ids[1]} 手机{phones[0]}\n".encode(),
                                      f"{phones[1]}.log": f"证件号码{ids[2]}\n".encode("gb18030")})
    (tmp_path / "exports.rar").write_bytes(rar5({f"客户{ids[2]}.log": f"手机{phones[2]}\n".encode(),
                                                 f"名单{phones[2]}.log": b"x\n"}, encrypted=(f"名单{phones[2]}.log",)))
    for jobs in ("1", "2"):
        try:
            main(["scan", str(tmp_path / "backup.7z"), str(tmp_path / "exports.rar"), "--jobs", jobs,
                  "--jsonl", f"found-{jobs}.jsonl"])
        except SystemExit:
            pass
        out, err = capfd.readouterr()
        written = (tmp_path / f"found-{jobs}.jsonl").read_text(encoding="utf-8")
        assert len(written.splitlines()) == 4 and "encrypted member: not read" in out + err
        assert f"{ids[1][:6]}********{ids[1][-4:]}" in written
        leaks = [value for value in ids + phones if value in written + out + err]
        assert leaks == []


@pytest.mark.parametrize("name, write", [("logs.7z", write_7z), ("logs.rar", write_rar)])
def test_a_member_named_with_a_line_break_is_named_on_one_line(tmp_path, key, name, write):
    """A member's name is the archive's own bytes and may hold a line break: the problem and the
    finding placed at ``archive!member`` were two lines; the break shows as ?, as in a zip's."""
    number = phone(random.Random(12))
    write(tmp_path / name, {"客户\n名单.log": f"手机{number}\n".encode(), "坏\n表.xlsx": b"PK\x03\x04 damaged"})
    (result,) = scan_targets([str(tmp_path / name)], ScanOptions(jobs=1), key)
    assert [p.where for p in result.coverage.problems] == [f"{tmp_path / name}!坏?表.xlsx"]
    assert [container for container, _ in result.findings] == [f"{tmp_path / name}!客户?名单.log"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_rar_cut_between_members_is_told_not_taken_as_whole(tmp_path, key, jobs):
    """A RAR 5 cut after a member's data, before the next member's header and the archive's end
    header: libarchive lists the members before the cut and ends without a word, so the scan
    looked complete (its members' items could have been marked fixed). The header walk tells it."""
    first = "".join(f"第{n:04d}行 手机{phone(random.Random(n))}\n" for n in range(1, 201)).encode("utf-8")
    whole = rar5({"a.log": first, "b.log": b"2024-06-01 INFO ok\n"})
    archive = tmp_path / "cut.rar"
    archive.write_bytes(whole[:whole.index(first) + len(first)])
    [result] = scan_targets([str(archive)], ScanOptions(jobs=jobs), key)
    assert [(p.where, p.reason) for p in result.coverage.problems] == [
        (str(archive), "corrupt or truncated archive (it ends before its end header); not read further")]
    assert sum(f.occurrences for f in result.findings.values()) == 200


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_rar4_archive_is_read_and_a_cut_in_it_told_once(tmp_path, key, jobs):
    """RAR 4 (WinRAR before 5.0, still on old servers), read member by member; cut inside a
    member libarchive skips (a photo, read only with --ocr), the archive's line; cut inside a
    dump (a worker reads it with --jobs 2), the member's line, once: the parent, skipping the
    dump, meets no end (RAR 5's header walk, ``rar5_unread``, has no RAR 4 counterpart)."""
    rng = random.Random(21)
    log = "".join(f"第{n:04d}行 手机{phone(rng)}\n" for n in range(1, 201)).encode("utf-8")
    whole = rar4({"a.log": log, "photo.jpg": b"\xff\xd8\xff\xe0" + os.urandom(50_000)})
    (tmp_path / "photo.rar").write_bytes(whole[:len(whole) - 20_000])
    dump = pg_dump(customers(2000, seed=3)).encode()
    whole = rar4({"backup/core.sql": dump, "app.log": b"2024-06-01 INFO ok\n"})
    (tmp_path / "dump.rar").write_bytes(whole[:whole.index(dump) + len(dump) // 2])
    (tmp_path / "whole.rar").write_bytes(rar4({"a.log": log}))
    targets = [str(tmp_path / name) for name in ("photo.rar", "dump.rar", "whole.rar")]
    results = list(scan_targets(targets, ScanOptions(jobs=jobs), key))
    problems = [[(p.where[len(str(tmp_path)) + 1:], p.reason.split(" (")[0]) for p in r.coverage.problems]
                for r in results]
    assert problems == [[("photo.rar", "corrupt or truncated archive")],
                        [("dump.rar!backup/core.sql", "corrupt member")], []]
    assert sum(f.occurrences for f in results[0].findings.values()) == 200
    assert sum(f.occurrences for f in results[2].findings.values()) == 200
    names = sum(f.occurrences for (where, entity), f in results[1].findings.items() if entity == "PERSON")
    assert 0 < names < 2000
