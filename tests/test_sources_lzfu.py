"""Outlook's compressed RTF: what the compressed-rtf package compresses (an independent
implementation of [MS-OXRTFCP]) inflates back to the same bytes, read in blocks of any size;
damaged data is read as far as it goes and named."""

from __future__ import annotations

import random
from pathlib import Path

import compressed_rtf
import pytest

from pii_audit.sources.lzfu import WINDOW, CompressedRtfError, Inflated

RECORD = Path(__file__).parent / "data" / "rtf" / "record.rtf"


def inflated(data: bytes, block: int = 1 << 20) -> tuple[bytes, str]:
    """Return what ``Inflated`` gives of ``data`` read ``block`` bytes at a time, and its damage."""
    stream, out = Inflated(data), bytearray()
    while piece := stream.read(block):
        assert len(piece) <= block
        out += piece
    return bytes(out), stream.damaged


SAMPLES = {
    "libreoffice-rtf": RECORD.read_bytes()[:6000],  # past the window: its offsets wrap
    "overlapping-references": b"{\\rtf1 " + b"ab" * 3000 + b"}",  # a reference repeats what it writes
    "random-bytes": random.Random(5).randbytes(5000),  # literals only
    "empty": b"",
}


@pytest.mark.parametrize("data", SAMPLES.values(), ids=SAMPLES.keys())
def test_what_compressed_rtf_compresses_inflates_back(data):
    packed = compressed_rtf.compress(data)
    for block in (1, 7, 4096, 1 << 20):
        assert inflated(packed, block) == (data, ""), block
    assert inflated(compressed_rtf.compress(data, compressed=False)) == (data, "")  # stored as it is


def test_damaged_data_is_read_as_far_as_it_goes_and_named():
    data = SAMPLES["libreoffice-rtf"]
    packed = bytearray(compressed_rtf.compress(data))
    packed[-1] ^= 0xFF  # the last bytes: the end marker's; the CRC no longer matches
    out, damage = inflated(bytes(packed))
    assert out[:len(data) - 100] == data[:len(data) - 100] and "its CRC does not match" in damage
    out, damage = inflated(compressed_rtf.compress(data)[:2000])
    assert data.startswith(out) and len(out) > 2000 and "cut short" in damage and "\n" not in damage


@pytest.mark.parametrize("data, reason", [
    (b"LZFu", "cut short: no header"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00ZIP!\x00\x00\x00\x00", "unknown compression type"),
])
def test_what_is_not_compressed_rtf_is_refused_in_one_line(data, reason):
    with pytest.raises(CompressedRtfError, match=reason):
        Inflated(data)


def test_memory_holds_the_window_and_a_block():
    """A body of repeated text inflates about 8 bytes a byte: it comes out a block at a time."""
    packed = compressed_rtf.compress(b"{\\rtf1 " + b"x" * 20000 + b"}")
    stream = Inflated(packed)
    assert len(stream.read(100)) == 100 and len(stream.out) < 100 + 8 * 17 and len(stream.window) == WINDOW


def test_a_stored_body_cut_short_is_read_as_far_as_it_goes_and_named():
    """A stored body ("MELA") holding fewer bytes than its header says was read with no word of
    the loss, where a compressed one cut short is named: the scan called it whole."""
    data = SAMPLES["libreoffice-rtf"]
    out, damage = inflated(compressed_rtf.compress(data, compressed=False)[:2000])
    assert out == data[:2000 - 16] and "cut short" in damage and "\n" not in damage
