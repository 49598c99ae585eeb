"""Binary streams for the file source: a byte cap (gzip bombs, byte ranges), a decompressor that
hands over the data before a truncation before it raises, and UTF-16 text read as UTF-8."""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import zlib
from typing import BinaryIO

try:  # Python 3.14's standard library; before it, backports.zstd (pyproject), the same module
    from compression import zstd
except ImportError:
    from backports import zstd

# zstd keeps a window of the data it inflated as large as the frame says, up to 128 MiB by default
# (`zstd --long`): a 200 MB log so written peaked at 364 MiB PSS with two workers (measured).
# Every level up to 20 writes a window of 32 MiB at most; a wider one is a problem line.
ZSTD_WINDOW_LOG_MAX = 25
# How each compression a log may be in is read (files.COMPRESSIONS names them by magic number).
DECOMPRESSORS = {"gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"), "bzip2": bz2.BZ2File,
                 "xz": lzma.LZMAFile,
                 "zstd": lambda raw: zstd.ZstdFile(raw, options={
                     zstd.DecompressionParameter.window_log_max: ZSTD_WINDOW_LOG_MAX})}
# What the decompressors raise on damaged data (a truncation raises EOFError; bz2 an OSError).
CORRUPT_ERRORS = (zlib.error, gzip.BadGzipFile, lzma.LZMAError, zstd.ZstdError)


def damage(compression: str, error: Exception, line: int) -> str:
    """Return the problem line for compressed data that cannot be inflated after ``line``."""
    if "requires too much memory" in str(error):  # a zstd window wider than ZSTD_WINDOW_LOG_MAX allows
        return (f"zstd window over {1 << ZSTD_WINDOW_LOG_MAX >> 20} MiB (zstd --long or --ultra): not read "
                f"after line {line}; decompress it with zstd -d and scan that")
    return f"corrupt {compression} data after line {line}"


class GzipBombError(OSError):
    """A gzip file inflates beyond ``ScanOptions.max_gzip_bytes``."""


class Capped:
    """A binary stream that returns at most ``limit`` bytes; past it, ``strict`` raises."""

    def __init__(self, stream: BinaryIO, limit: int | None, strict: bool = True):
        self.stream, self.limit, self.left, self.strict = stream, limit, limit, strict

    def read(self, size: int) -> bytes:
        """Read up to ``size`` bytes within the limit."""
        if self.left is None:
            return self.stream.read(size)
        data = self.stream.read(min(size, self.left) if not self.strict else size)
        if len(data) > self.left:
            raise GzipBombError(f"inflates beyond {self.limit} bytes (a zip or gzip bomb?); stopped there")
        self.left -= len(data)
        return data


class Decompressed:
    """Read a gzip, bzip2, xz or zstd stream so that the data before a truncation is returned before
    its EOFError."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.error = stream, None

    def read(self, size: int) -> bytes:
        """Read up to ``size`` inflated bytes; raise a pending EOFError once they are returned."""
        if self.error is not None:
            raise self.error
        parts, got = [], 0
        try:
            while got < size and (data := self.stream.read1(size - got)):
                parts.append(data)
                got += len(data)
        except EOFError as error:
            if not parts:
                raise
            self.error = error
        return b"".join(parts)


class Utf8Transcoded:
    """A binary stream of text in another encoding (UTF-16) read as its UTF-8 bytes, so that the
    file source cuts it into lines and hands it to the detector as it does a UTF-8 file.

    ``first`` is what was already read of ``stream`` (to sniff its encoding). Undecodable bytes
    become U+FFFD and set ``replaced``."""

    def __init__(self, stream: BinaryIO, encoding: str, first: bytes = b""):
        self.stream, self.pending = stream, first
        self.decoder = codecs.getincrementaldecoder(encoding)("replace")
        self.replaced = False

    def read(self, size: int) -> bytes:
        """Read about ``size`` bytes of the source; return their text in UTF-8 (b"" at its end)."""
        while True:
            data, self.pending = self.pending or self.stream.read(size), b""
            text = self.decoder.decode(data, final=not data)
            if text or not data:  # a lone byte decodes to nothing yet: read on
                self.replaced = self.replaced or "\ufffd" in text
                return text.encode("utf-8", "surrogatepass")


class Recorded:
    """A stream looked into before it is read: what is read through this (at most ``limit``
    bytes; then its end) is kept, and ``replayed()`` reads the stream again from its start.

    An archive's member or an attachment cannot seek back, and the header of a compressed one
    (``files.looked_into``) lies past what its ``peek`` holds: a zip member's gives 512 bytes."""

    def __init__(self, stream: BinaryIO, limit: int):
        self.stream, self.left = stream, limit
        self.kept: list[bytes] = []
        self.error: Exception | None = None  # what reading the stream raised, raised again when replayed

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes within the limit; b"" past it or once the stream failed."""
        if self.error is not None:
            return b""
        try:
            data = self.stream.read(self.left if size < 0 else min(size, self.left))
        except Exception as error:  # noqa: BLE001 -- raised again where the reading meets it (``Replayed``)
            self.error = error
            return b""
        self.left -= len(data)
        self.kept.append(data)
        return data

    def replayed(self) -> Replayed:
        """Return the stream read from its start: what was kept, then the rest."""
        return Replayed(b"".join(self.kept), self.stream, self.error)


class Replayed:
    """A stream whose first bytes were already read (``Recorded``): they come first, then the
    rest of it, or the error it raised after them."""

    def __init__(self, head: bytes, stream: BinaryIO, error: Exception | None = None):
        self.head, self.stream, self.error = head, stream, error

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left for -1); the stream's error is raised once
        the bytes before it are returned."""
        if 0 <= size <= len(self.head):
            data, self.head = self.head[:size], self.head[size:]
            return data
        data, self.head = self.head, b""
        self._more(-1 if size < 0 else size - len(data))
        data, self.head = data + self.head, b""
        if not data and self.error is not None:
            raise self.error
        return data

    def peek(self, size: int = 1) -> bytes:
        """Return at least ``size`` bytes ahead without consuming them (fewer at the end)."""
        if len(self.head) < size:
            self._more(size - len(self.head))
        return self.head

    def _more(self, size: int) -> None:
        """Add up to ``size`` more bytes of the stream to the head; keep its error for later."""
        if self.error is None:
            try:
                self.head += self.stream.read(size)
            except Exception as error:  # noqa: BLE001 -- raised by ``read`` after the bytes before it
                self.error = error
