"""The log/text file source: rotations, gzip, encodings, long lines, and every kind of bad input."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import tracemalloc
import zipfile
import zlib

import pytest

from pii_audit.detector import Detector
from pii_audit.scan import scan_targets
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources import files
from pii_audit.sources.files import read_files, stream_name
from pii_audit.sources.streams import zstd
from scan_helpers import scan_one

ID18 = "11010519491231002X"  # FORMATS.md vector, synthetic
ID15 = "110105491231002"  # legacy form: found only with its Chinese context keyword
MOBILE = "13812345678"
CARD = "6200000000000005"


def counts(result):
    return {(f.container, f.entity_type): f.occurrences for f in result.findings.values()}


def reasons(records):
    return " | ".join(f"{p.where}: {p.reason}" for p in records)


@pytest.mark.parametrize("name,stream", [
    pytest.param("app.log", "app.log", id="plain"),
    pytest.param("app.log.1", "app.log", id="numbered"),
    pytest.param("app.log.12.gz", "app.log", id="numbered-gz"),
    pytest.param("app.log-20240105", "app.log", id="dateext"),
    pytest.param("app.log.2024-01-05.3", "app.log", id="date-and-index"),
    pytest.param("2024.txt", "2024.txt", id="digits-in-name"),
    pytest.param("x.gz", "x", id="plain-gz"),
])
def test_stream_name(name, stream):
    assert stream_name(os.path.join("logs", name)) == os.path.join("logs", stream)


def test_rotations_are_one_stream_with_line_numbers(tmp_path, key):
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    (logs / "app.log").write_text(f"start\n身份证号{ID18}\n", encoding="utf-8")
    (logs / "app.log.1").write_text(f"手机{MOBILE}\n", encoding="utf-8")
    with gzip.open(logs / "app.log.2.gz", "wt", encoding="utf-8") as handle:
        handle.write(f"a\nb\n卡号{CARD}\n")
    (logs / "sub" / "other.txt").write_text(f"x\ny\n手机 {MOBILE}\n", encoding="utf-8")
    result = scan_one(logs, key)
    app, other = str(logs / "app.log"), str(logs / "sub" / "other.txt")
    assert counts(result) == {(app, "CN_RESIDENT_ID"): 1, (app, "CN_MOBILE_PHONE"): 1,
                              (app, "CN_BANK_CARD"): 1, (other, "CN_MOBILE_PHONE"): 1}
    card = result.findings[(app, "CN_BANK_CARD")].samples[0]
    assert card.location == {"path": str(logs / "app.log.2.gz"), "line": 3, "start": 2, "end": 18}
    assert result.coverage.files == 4 and result.coverage.complete
    assert result.coverage.containers[app].units == 2 + 1 + 3


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "gbk"])
def test_each_encoding_finds_the_context_dependent_id_once(tmp_path, key, encoding):
    path = tmp_path / f"{encoding}.log"
    lines = ["2024-01-01 交易成功 金额 12.00"] * 50 + [f"客户身份证号{ID15} 已核验", "结束"]
    path.write_bytes("\n".join(lines).encode(encoding))
    result = scan_one(path, key)
    assert counts(result) == {(str(path), "CN_RESIDENT_ID"): 1}
    assert result.findings[(str(path), "CN_RESIDENT_ID")].samples[0].location["line"] == 51
    assert not result.coverage.notices


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_log_chunks_carry_their_utf8_bytes_only_when_read_as_utf8(tmp_path, encoding):
    path = tmp_path / f"{encoding}.log"
    path.write_bytes("".join(f"第{n}行 客户身份证号{ID18}\n" for n in range(40000)).encode(encoding))
    chunks = list(read_files(str(path), ScanOptions(), TargetCoverage(str(path))))
    assert len(chunks) > 1, len(chunks)
    for chunk in chunks:
        assert chunk.utf8 == (chunk.text.encode() if encoding == "utf-8" else None)


def test_ascii_head_then_gb18030_switches_encoding(tmp_path, key):
    path = tmp_path / "late.log"
    head = b"plain ascii line\n" * 5000  # more than the 64 KiB sample
    path.write_bytes(head + f"客户身份证号{ID15}\n".encode("gb18030"))
    assert counts(scan_one(path, key)) == {(str(path), "CN_RESIDENT_ID"): 1}


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("head_lines", [10, 5000], ids=["cut-in-the-sniffed-head", "cut-after-an-ascii-head"])
def test_a_line_cut_inside_a_character_keeps_the_files_encoding(tmp_path, key, encoding, head_lines):
    """A logger's byte limit cut a line inside a character, within the 64 KiB the encoding is
    sniffed from or after a head of ASCII (the first block that is not decides): the file stays
    in its encoding, so the context that landline and passport numbers need is read. UTF-8 was
    taken for GB18030 there, whose mojibake drew no notice, and GBK for UTF-8: every such number
    after the cut was missed."""
    path = tmp_path / "cut.log"
    cut = "备注:客户来电".encode(encoding)[:-2 if encoding == "utf-8" else -1] + b"\n"  # no GB18030 error
    # Bytes that GB18030 decodes without an error, as most UTF-8 does (a trail byte 0x80 may not).
    lines = "".join(f"客户联系电话:010-6552{n:04d} 护照号码:E1234{n:04d}\n" for n in range(50))
    path.write_bytes(b"plain ascii line\n" * head_lines + cut + lines.encode(encoding))
    result = scan_one(path, key)
    assert counts(result) == {(str(path), "CN_LANDLINE_PHONE"): 50, (str(path), "CN_PASSPORT"): 50}
    decoded_as = "utf-8" if encoding == "utf-8" else "gb18030"
    assert reasons(result.coverage.notices) == f"{path}: undecodable bytes replaced (decoded as {decoded_as})"


@pytest.mark.parametrize("hole", [2000, 200_000, 3_000_000], ids=["in-the-first-8k", "past-the-sniff", "past-a-line"])
def test_a_log_truncated_in_place_is_read_past_its_hole(tmp_path, key, hole):
    """logrotate's copytruncate empties a log while its program writes on at its old offset: the
    file begins with that many NUL bytes, then lines. It was skipped as binary, its lines
    unread; now read as text, located as stored, with a notice."""
    path = tmp_path / "app.log"
    path.write_bytes(b"\x00" * hole + f"2024-01-01 INFO 客户手机{MOBILE}\n".encode() * 3)
    result = scan_one(path, key)
    assert counts(result) == {(str(path), "CN_MOBILE_PHONE"): 3}
    assert reasons(result.coverage.notices) == (
        f"{path}: begins with {hole:,} NUL bytes, as a log truncated in place while written does "
        "(logrotate's copytruncate); read as text")
    coverage = TargetCoverage(str(path))
    occurrences = Detector(key).detect(read_files(str(path), ScanOptions(), coverage))
    first = next(iter(occurrences)).location  # a piece of a long line says where it starts
    assert (first["line"], first.get("offset", 0) + first["start"]) == (1, hole + len("2024-01-01 INFO 客户手机"))


@pytest.mark.parametrize("data", [b"\x00" * 100_000, b"\x00" * 300 + b"\x7fELF\x02\x01\x01\x00" * 50,
                                  b"\x00" * 300 + b"\x01\x02" + ID18.encode(),
                                  b"\x00" * 70_000 + b"PK\x03\x04\x00\x00"])
def test_nul_bytes_then_binary_data_stay_binary(tmp_path, key, data):
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    result = scan_one(path, key)
    assert reasons(result.coverage.notices) == f"{path}: binary file (NUL bytes in its first 8 KiB); skipped"


def test_undecodable_bytes_are_replaced_and_noted(tmp_path, key):
    path = tmp_path / "bad.log"
    path.write_bytes("身份证号".encode() + b"\xff\xfe\x80" + f"{ID18}\n".encode())
    result = scan_one(path, key)
    assert counts(result) == {(str(path), "CN_RESIDENT_ID"): 1}
    assert "undecodable bytes replaced" in reasons(result.coverage.notices)
    assert result.coverage.complete


def test_id_across_a_block_boundary_is_found(tmp_path, key):
    path = tmp_path / "boundary.log"
    filler = ("普通日志行 没有号码 abc\n" * 200_000).encode()
    # Start the ID five bytes before the first block ends.
    pad = files.BLOCK - 5 - len("身份证号".encode())
    data = b"x" * (pad - 1) + b"\n" + f"身份证号{ID18}\n".encode() + filler
    path.write_bytes(data)
    result = scan_one(path, key)
    (finding,) = result.findings.values()
    assert finding.occurrences == 1 and finding.samples[0].location["line"] == 2


def test_a_long_line_is_read_in_bounded_pieces_and_still_scanned(tmp_path, key):
    path = tmp_path / "long.log"
    body = "数据块，" * (10 * 2**20 // 12)  # about 10 MB of text, no newline
    path.write_text(f"first\n{body}身份证号{ID18}，end\nlast {MOBILE}\n", encoding="utf-8")
    coverage = TargetCoverage(str(path))
    tracemalloc.start()
    longest = max(len(c.text) for c in read_files(str(path), ScanOptions(), coverage))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert longest <= files.LINE_LIMIT and peak < 16 * 2**20
    assert coverage.containers[str(path)].units == 3


def test_a_long_line_is_scanned_in_bounded_memory(tmp_path, key):
    """The detector screens a long line's pieces in batches of at most about a megabyte of text:
    2,048 pieces at a time held a 150 MB line whole (1.5 GB)."""
    path = tmp_path / "long.log"
    record = "客户张三 订单 20240601123456789 状态正常，" * 20
    pieces = [record * 3000 + f"身份证号{ID18}，" for _ in range(8)]  # each about 3 MB of text
    path.write_text("first\n" + "".join(pieces) + "\n", encoding="utf-8")
    (tmp_path / "short.log").write_text(f"身份证号{ID18}\n", encoding="utf-8")
    scan_one(tmp_path / "short.log", key)  # the detector is built, and kept for the next scan
    tracemalloc.start()
    result = scan_one(path, key)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # What a batch of about 1 MiB of text costs while screened: 25 MB measured, whatever the
    # line's length (238 MB for this line when its pieces were batched by count alone).
    assert sum(len(piece) for piece in pieces) > 12 << 20 and peak < 48 << 20
    (finding,) = [f for f in result.findings.values() if f.entity_type == "CN_RESIDENT_ID"]
    assert finding.occurrences == 8 and result.coverage.complete


def test_long_line_offsets_are_within_the_line(tmp_path, key, monkeypatch):
    monkeypatch.setattr(files, "LINE_LIMIT", 4096)
    monkeypatch.setattr(files, "BLOCK", 4096)
    path = tmp_path / "long.log"
    prefix = "日志，" * 3000
    path.write_text(f"head\n{prefix}身份证号{ID18}，{prefix}手机{MOBILE}\n", encoding="utf-8")
    result = scan_one(path, key)
    by_entity = {f.entity_type: f.samples[0].location for f in result.findings.values()}
    start = len(prefix) + 4
    assert by_entity["CN_RESIDENT_ID"] == {"path": str(path), "line": 2, "start": start, "end": start + 18}
    assert by_entity["CN_MOBILE_PHONE"]["start"] == start + 19 + len(prefix) + 2


@pytest.mark.parametrize("escaped", [False, True])
def test_a_long_lines_pieces_keep_each_key_with_its_value(tmp_path, key, monkeypatch, escaped):
    """A line longer than LINE_LIMIT is read in pieces: one cut after `"custName": "` (or inside
    a `\\u5f20` escape) lost the name after it, 4 of 300,000 on a 27 MB line of JSON records.
    A piece now ends after a field or a record, before the next one's key."""
    monkeypatch.setattr(files, "LINE_LIMIT", 4096)
    monkeypatch.setattr(files, "BLOCK", 4096)
    records = [{"custName": name, "mobile": MOBILE, "memo": "正常业务" * (n % 7)}
               for n, name in enumerate(["张三", "李四", "王小明", "欧阳娜娜"] * 500)]
    path = tmp_path / "records.log"
    path.write_text(json.dumps(records, ensure_ascii=escaped) + "\n", encoding="utf-8")
    result = scan_one(path, key)
    counts = {f.entity_type: f.occurrences for f in result.findings.values()}
    assert path.stat().st_size > 40 * 4096 and counts == {"PERSON": 2000, "CN_MOBILE_PHONE": 2000}


def test_binary_and_empty_files_are_noted_not_failed(tmp_path, key):
    (tmp_path / "blob.log").write_bytes(b"\x00\x01" + ID18.encode())
    (tmp_path / "empty.log").write_bytes(b"")
    result = scan_one(tmp_path, key)
    notes = reasons(result.coverage.notices)
    assert "binary file" in notes and "empty file" in notes
    assert result.coverage.complete and not result.findings


def empty_7z() -> bytes:
    """Return an empty 7z archive as 7-Zip writes one: the signature header alone, its CRCs set."""
    next_header = (0).to_bytes(8, "little") * 2 + zlib.crc32(b"").to_bytes(4, "little")
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + zlib.crc32(next_header).to_bytes(4, "little") + next_header


def test_a_7z_or_rar_archive_leaves_the_scan_incomplete_not_clean(tmp_path, key):
    """Customer lists zipped on a desktop with 7-Zip or WinRAR were binary files skipped with a
    notice: a folder of them came out clean, exit 0. A .7z or .rar is read now (``archives``); one
    named otherwise (a split archive's volume, a renamed one), which is not read, is a problem line
    that says what to do, and so is a .rar that is none; other binary files are still a notice."""
    (tmp_path / "客户名单.7z.001").write_bytes(empty_7z())
    (tmp_path / "exports.r00").write_bytes(b"Rar!\x1a\x07\x01\x00" + bytes(range(256)))  # RAR 5
    (tmp_path / "exports.rar").write_bytes(b"Rar!\x1a\x07\x01\x00" + bytes(range(256)))
    (tmp_path / "empty.7z").write_bytes(empty_7z())  # read: no member, nothing to say
    (tmp_path / "libcrypto.so").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(64))
    result = scan_one(tmp_path, key)
    problems = {p.where[len(str(tmp_path)) + 1:]: p.reason for p in result.coverage.problems}
    assert problems.pop("exports.rar").startswith("corrupt or truncated archive (")  # libarchive's words
    assert problems == {name: f"a {kind} archive not named {suffix} (a volume of a split archive?), which is not "
                              f"read: join its volumes or rename it {suffix} and scan that"
                        for name, kind, suffix in (("exports.r00", "RAR", ".rar"), ("客户名单.7z.001", "7z", ".7z"))}
    assert reasons(result.coverage.notices) == f"{tmp_path / 'libcrypto.so'}: binary file (NUL bytes in its first 8 KiB); skipped"
    assert not result.coverage.complete


def test_a_workbook_in_a_format_not_read_here_leaves_the_scan_incomplete(tmp_path, key):
    """Apple Numbers (a zip) was a binary file, skipped with a notice, so a folder of customer lists
    in it came out clean. It is a problem line now that says what to do (WPS's .et is read:
    test_sources_xls_stream; Excel's .xlsb and LibreOffice's .ods too: test_sources_xlsb,
    test_sources_ods; so text named .xlsb is no workbook, a problem line, as text named .xlsx is)."""
    with zipfile.ZipFile(tmp_path / "名单.numbers", "w") as numbers:
        numbers.writestr("Index/Document.iwa", bytes(64))
    (tmp_path / "notes.xlsb").write_text(f"身份证号{ID18}\n", encoding="utf-8")
    result = scan_one(tmp_path, key)
    assert reasons(result.coverage.problems) == " | ".join([
        f"{tmp_path / '名单.numbers'}: an Apple Numbers workbook, which is not read here: save it as .xlsx and scan that",
        f"{tmp_path / 'notes.xlsb'}: not an .xlsb workbook: no zip signature (is the extension wrong?)"])
    assert counts(result) == {}


def test_missing_path_and_empty_glob_are_problems(tmp_path, key):
    results = list(scan_targets([str(tmp_path / "nope"), str(tmp_path / "*.log")],
                                ScanOptions(jobs=1), key))
    assert [reasons(r.coverage.problems) for r in results] == [
        f"{tmp_path / 'nope'}: no such file or directory", f"{tmp_path / '*.log'}: no file matches this pattern"]


def test_fifo_is_recorded_not_opened(tmp_path, key):
    os.mkfifo(tmp_path / "pipe.log")
    (tmp_path / "ok.log").write_text(f"手机{MOBILE}\n", encoding="utf-8")
    result = scan_one(tmp_path, key)
    assert "a FIFO, not a regular file" in reasons(result.coverage.problems)
    assert counts(result) == {(str(tmp_path / "ok.log"), "CN_MOBILE_PHONE"): 1}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_is_a_problem(tmp_path, key):
    path = tmp_path / "secret.log"
    path.write_text("x\n")
    path.chmod(0)
    assert "permission denied" in reasons(scan_one(tmp_path, key).coverage.problems)


def test_links_loops_and_hard_links(tmp_path, key):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "app.log").write_text(f"手机{MOBILE}\n", encoding="utf-8")
    os.link(root / "a" / "app.log", root / "a" / "hard.log")
    (root / "a" / "up").symlink_to("..")  # a loop back to the root
    (root / "etc").symlink_to("/etc")  # out of the root
    (root / "self.log").symlink_to("self.log")  # cannot be resolved
    result = scan_one(root, key)
    problems, notes = reasons(result.coverage.problems), reasons(result.coverage.notices)
    assert "symlink loop (links back" in problems and f"{root / 'self.log'}: symlink loop" in problems
    assert f"{root / 'etc'}: symbolic link leads outside" in notes
    assert result.coverage.files == 1  # the hard link is the same file
    assert sum(f.occurrences for f in result.findings.values()) == 1


def test_a_dangling_link_in_a_folder_is_noted_not_a_problem(tmp_path, key):
    """A link to a deleted file holds nothing to read; as a problem it left every scan of its
    folder incomplete (exit 3), and an incomplete scan verifies nothing in the ledger."""
    (tmp_path / "app-2024-01-01.log").write_text(f"手机{MOBILE}\n", encoding="utf-8")
    (tmp_path / "current.log").symlink_to("app-2023-12-31.log")  # rotated away
    result = scan_one(tmp_path, key)
    assert result.coverage.problems == []
    assert reasons(result.coverage.notices) == (f"{tmp_path / 'current.log'}: symbolic link to a file that "
                                                "does not exist; nothing to read")
    assert counts(result) == {(str(tmp_path / "app-2024-01-01.log"), "CN_MOBILE_PHONE"): 1}


def test_a_dangling_link_named_as_the_target_is_a_problem(tmp_path, key):
    (tmp_path / "current.log").symlink_to("gone.log")
    assert "no such file or directory" in reasons(scan_one(tmp_path / "current.log", key).coverage.problems)


# logrotate compresses with gzip by default, with bzip2, xz or zstd where compresscmd says so.
COMPRESSORS = [pytest.param(".gz", gzip.compress, "gzip", id="gzip"),
               # 100 KB blocks (level 1): a truncated file keeps its whole blocks, not a 900 KB one cut.
               pytest.param(".bz2", lambda data: bz2.compress(data, 1), "bzip2", id="bzip2"),
               pytest.param(".xz", lzma.compress, "xz", id="xz"),
               pytest.param(".zst", zstd.compress, "zstd", id="zstd")]


@pytest.mark.parametrize("suffix, compress, name", COMPRESSORS)
def test_a_compressed_rotation_is_read_in_the_stream_of_its_log(tmp_path, key, suffix, compress, name):
    """bzip2, xz and zstd rotations were binary, skipped (zstd: a problem line), and came out
    clean; each is read now as the same log in gzip is, in the stream of its log."""
    (tmp_path / f"app.log.1{suffix}").write_bytes(compress(f"身份证号{ID18}\n手机{MOBILE}\n".encode()))
    result = scan_one(tmp_path, key)
    assert counts(result) == {(str(tmp_path / "app.log"), "CN_RESIDENT_ID"): 1,
                              (str(tmp_path / "app.log"), "CN_MOBILE_PHONE"): 1}
    assert (result.coverage.problems, result.coverage.notices) == ([], [])


@pytest.mark.parametrize("suffix, compress, name", COMPRESSORS)
def test_truncated_compressed_log_keeps_what_was_read(tmp_path, key, suffix, compress, name):
    lines = "".join(f"line {i} 手机{MOBILE}\n" if i == 3 else f"line {i} 正常\n" for i in range(20000))
    data = compress(lines.encode())
    path = tmp_path / f"cut.log{suffix}"
    path.write_bytes(data[: len(data) // 2])
    result = scan_one(path, key)
    assert f"truncated {name} file: read up to line" in reasons(result.coverage.problems)
    assert counts(result) == {(str(tmp_path / "cut.log"), "CN_MOBILE_PHONE"): 1}
    assert not result.coverage.containers[str(tmp_path / "cut.log")].complete


@pytest.mark.parametrize("suffix, compress, name", COMPRESSORS)
def test_corrupt_compressed_log_is_one_problem_line(tmp_path, key, suffix, compress, name):
    data = bytearray(compress("".join(f"line {i} 正常 {i * 7919}\n" for i in range(5000)).encode()))
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)  # a run of the stream zeroed
    (tmp_path / f"bad.log{suffix}").write_bytes(bytes(data))
    result = scan_one(tmp_path / f"bad.log{suffix}", key)
    assert [p.reason.split(" after line")[0] for p in result.coverage.problems] == [f"corrupt {name} data"]


@pytest.mark.parametrize("suffix, compress, name", COMPRESSORS)
def test_compression_bomb_stops_at_the_cap(tmp_path, key, suffix, compress, name):
    path = tmp_path / f"bomb.log{suffix}"
    path.write_bytes(compress(b"a" * 5_000_000))
    result = scan_one(path, key, max_gzip_bytes=100_000)
    assert "inflates beyond" in reasons(result.coverage.problems)
    assert result.coverage.bytes <= 100_000 + files.BLOCK


def test_a_zstd_log_whose_window_would_break_the_memory_bound_is_one_problem_line(tmp_path, key):
    """A zstd frame may ask for a window of up to 128 MiB by default (zstd --long), and the reader
    would hold it: 364 MiB with two workers on 200 MB (measured). One over 32 MiB is refused in a
    problem line that says what to do; one of 32 MiB, the widest any level up to 20 writes, is read."""
    def compressed(window_log: int) -> bytes:
        # Streamed, so the frame states its window rather than its (small) size.
        compressor = zstd.ZstdCompressor(options={zstd.CompressionParameter.window_log: window_log})
        return compressor.compress(f"手机{MOBILE}\n".encode(), compressor.CONTINUE) + compressor.flush()

    (tmp_path / "wide.log.zst").write_bytes(compressed(26))
    (tmp_path / "ok.log.zst").write_bytes(compressed(25))
    result = scan_one(tmp_path, key)
    assert reasons(result.coverage.problems) == (
        f"{tmp_path / 'wide.log.zst'}: zstd window over 32 MiB (zstd --long or --ultra): not read after line 1; "
        "decompress it with zstd -d and scan that")
    assert counts(result) == {(str(tmp_path / "ok.log"), "CN_MOBILE_PHONE"): 1}


def test_file_that_is_not_what_its_name_says(tmp_path, key):
    (tmp_path / "fake.log.gz").write_text(f"手机{MOBILE}\n", encoding="utf-8")
    (tmp_path / "real.log").write_bytes(gzip.compress(f"身份证号{ID18}\n".encode()))
    result = scan_one(tmp_path, key)
    assert "named .gz but holds no gzip data" in reasons(result.coverage.notices)
    assert sorted(f.entity_type for f in result.findings.values()) == ["CN_MOBILE_PHONE", "CN_RESIDENT_ID"]


@pytest.mark.parametrize("suffix, compress", [(".gz", lambda data: gzip.compress(data, mtime=0)),
                                              (".bz2", bz2.compress), (".xz", lzma.compress)])
def test_a_compressed_log_whose_signature_is_damaged_is_a_problem_line(tmp_path, key, suffix, compress):
    """A rotated log whose first bytes were damaged holds no gzip (bzip2, xz) data any more: it was
    a binary file skipped with a notice, the scan complete and every line in it unread. It is a
    problem line now, in a folder and in an archive; a binary file inflated from real gzip data
    is still a notice, and a text file named .gz is still read as text."""
    data = bytearray(compress("".join(f"身份证号{ID18} 第{n}行\n" for n in range(200)).encode()))
    data[1] ^= 0xFF
    (tmp_path / f"app.log.1{suffix}").write_bytes(bytes(data))
    (tmp_path / "blob.log.gz").write_bytes(gzip.compress(b"\x00\x01" + bytes(range(256))))
    with zipfile.ZipFile(tmp_path / "logs.zip", "w") as archive:
        archive.writestr(f"app.log.2{suffix}", bytes(data))
    result = scan_one(tmp_path, key)
    reason = (f"named {suffix} but holds no {({'.gz': 'gzip', '.bz2': 'bzip2', '.xz': 'xz'})[suffix]} data, and is "
              "binary (its signature damaged?): not read")
    assert sorted((p.where, p.reason) for p in result.coverage.problems) == [
        (str(tmp_path / f"app.log.1{suffix}"), reason), (f"{tmp_path / 'logs.zip'}!app.log.2{suffix}", reason)]
    assert [(n.where, n.reason) for n in result.coverage.notices] == [
        (str(tmp_path / "blob.log.gz"), "binary file (NUL bytes in its first 8 KiB); skipped")]
    assert not result.findings


def test_json_lines_logs(tmp_path, key):
    path = tmp_path / "app.jsonl"
    path.write_text('{"ts":"2024-01-01","msg":"开户","idNo":"%s","mobile":"%s"}\n' % (ID18, MOBILE),
                    encoding="utf-8")
    result = scan_one(path, key)
    assert sorted(f.entity_type for f in result.findings.values()) == ["CN_MOBILE_PHONE", "CN_RESIDENT_ID"]


def test_glob_target_and_include_exclude(tmp_path, key):
    for name in ("a.log", "b.log", "c.txt"):
        (tmp_path / name).write_text(f"手机{MOBILE}\n", encoding="utf-8")
    assert scan_one(tmp_path / "*.log", key).coverage.files == 2
    assert scan_one(tmp_path, key, exclude=("*.txt",)).coverage.files == 2


def test_a_utf8_chunk_goes_to_a_worker_as_its_bytes_once(tmp_path):
    """The main process pickles the blocks of an archive it reads for the workers: a chunk's text
    went with them as the same bytes again. A UTF-8 chunk now goes as its bytes alone, its text
    decoded on arrival; a chunk in another encoding goes as its text."""
    import pickle

    lines = "".join(f"2024-01-05 INFO 客户张伟登录 node={n}\n" for n in range(2000))
    (tmp_path / "utf8.log").write_text(lines, encoding="utf-8")
    (tmp_path / "legacy.log").write_text(lines, encoding="gb18030")
    for name, exact in (("utf8.log", True), ("legacy.log", False)):
        (chunk,) = read_files(str(tmp_path / name), ScanOptions(), TargetCoverage(str(tmp_path)))
        assert (chunk.utf8 is not None) == exact and chunk.text == lines
        sent = pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL)
        assert pickle.loads(sent) == chunk
        assert len(sent) < 1.05 * len(lines.encode("utf-8"))


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read_as_the_same_text_in_utf8(tmp_path, key, monkeypatch, codec):
    """Windows writes UTF-16 (Excel's "Unicode text" export, PowerShell 5's Out-File): its NUL
    bytes made such a file binary, skipped with a notice, so a file full of ID numbers came out
    clean. It is read now as the same text in UTF-8 is, with or without a byte order mark: the
    same occurrences at the same lines and offsets, across blocks, plain and gzipped."""
    import random

    from pii_audit.detector import Detector
    from tests_corpus import corpus_lines

    monkeypatch.setattr(files, "BLOCK", 4096)
    text = "\n".join(corpus_lines(random.Random(9), 400)) + "\n"
    (tmp_path / "utf8.log").write_text(text, encoding="utf-8")
    (tmp_path / "wide.log").write_bytes(text.encode(codec))
    (tmp_path / "wide.log.1.gz").write_bytes(gzip.compress(text.encode(codec)))
    (tmp_path / "cut.log").write_bytes(text.encode(codec)[:-1])  # a last character cut in half
    (tmp_path / "cut.log.1.gz").write_bytes(gzip.compress(text.encode(codec)[:-1]))  # its codec sniffed

    def found(name):
        coverage = TargetCoverage(str(tmp_path))
        occurrences = Detector(key).detect(read_files(str(tmp_path / name), ScanOptions(), coverage))
        return [(o.location["line"], o.location["start"], o.location["end"], o.entity_type, o.fingerprint)
                for o in occurrences], coverage

    expected, _ = found("utf8.log")
    assert len(expected) > 200
    for name in ("wide.log", "wide.log.1.gz"):
        got, coverage = found(name)
        assert got == expected and (coverage.problems, coverage.notices, coverage.files) == ([], [], 1)
    for name in ("cut.log", "cut.log.1.gz"):  # the gzip file's notice said "decoded as None"
        got, coverage = found(name)
        assert got == expected
        assert [n.reason for n in coverage.notices] == [f"undecodable bytes replaced (decoded as {codec})"]


def test_a_large_log_is_cut_into_ranges_as_they_are_handed_out(tmp_path, monkeypatch):
    """Cutting a large log into ranges read all of it before the first range was handed out, with
    every worker waiting: 200 MB took 0.12 s, 1 GB five times that. A range is handed out now
    once its end is found, so a file that grows meanwhile (a live log) is cut to its new end."""
    monkeypatch.setattr(files, "SPLIT_BYTES", 4096)
    monkeypatch.setattr(files, "BLOCK", 1024)
    path = tmp_path / "app.log"
    path.write_bytes(b"".join(b"2024-01-05 INFO line %05d\n" % n for n in range(3000)))
    size = path.stat().st_size
    units = files.plan_file(str(path), size, TargetCoverage(str(path)))
    first = next(units)
    with open(path, "ab") as grown:
        grown.write(b"2024-01-06 INFO later\n" * 3000)
    rest = list(units)
    assert (first.start, first.first_line) == (0, 1) and first.end < 2 * 4096
    assert max(unit.start for unit in rest) > size  # cut where it had grown
    assert [u.end for u in [first] + rest[:-1]] == [u.start for u in rest] and rest[-1].end is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_notices_of_one_reason_are_counted_past_twenty(tmp_path, key, jobs):
    """A folder of empty logs (rotations a quiet service left) made one summary line each:
    200,000 of them in a zip took 200,000 lines. The first MAX_SAME_NOTICES are shown, the
    rest counted in one line, workers' notices merged under the same cap."""
    from pii_audit.sources import MAX_SAME_NOTICES
    from pii_audit.summary import render_target

    for number in range(50):
        (tmp_path / f"app.log.{number}").write_bytes(b"")
    (tmp_path / "real.log").write_bytes("手机 13812345678\n".encode())
    (tmp_path / "a.bin").write_bytes(b"\x00\x01\x02" * 100)
    result = scan_one(tmp_path, key, jobs=jobs)
    reasons = [notice.reason for notice in result.coverage.notices]
    assert reasons.count("empty file") == MAX_SAME_NOTICES and "binary file" in " ".join(reasons)
    assert result.coverage.notices_over == {"empty file": 50 - MAX_SAME_NOTICES}
    lines = render_target(result)
    assert f"  note {tmp_path}: 30 more part(s) with the same note: empty file" in lines
    assert result.coverage.complete and len(result.findings) == 1
