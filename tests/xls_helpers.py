"""Hand-built legacy .xls files for the streaming reader's tests: BIFF8 records and the OLE2
compound file around them, written here so that a test controls every byte (xlwt writes no
formula results, rich strings, errors, mini streams or encrypted workbooks)."""

from __future__ import annotations

import struct

from ole2_helpers import compound_file

BOF, EOF, CONTINUE, BOUNDSHEET, SST, FILEPASS = 0x0809, 0x000A, 0x003C, 0x0085, 0x00FC, 0x002F
LABELSST, LABEL, RSTRING, NUMBER, RK, MULRK = 0x00FD, 0x0204, 0x00D6, 0x0203, 0x027E, 0x00BD
FORMULA, STRING, BOOLERR, XF, FORMAT, DATE1904 = 0x0006, 0x0207, 0x0205, 0x00E0, 0x041E, 0x0022
CODEPAGE, DIMENSIONS = 0x0042, 0x0200
MAX_RECORD = 8224  # bytes of data in one BIFF8 record


def record(kind: int, data: bytes) -> bytes:
    """Return one BIFF record: type, length, data."""
    return struct.pack("<HH", kind, len(data)) + data


def bof(sheet: bool) -> bytes:
    """Return a BIFF8 BOF record of the workbook globals or of a worksheet."""
    return record(BOF, struct.pack("<HHHHII", 0x0600, 0x0010 if sheet else 0x0005, 0x0DBB, 0x07CC, 0, 6))


def workbook(globals_: list[bytes], sheets: list[tuple[str, list[bytes]]], sheet_type: int = 0) -> bytes:
    """Return a Workbook stream: the globals (BOF, ``globals_``, a BOUNDSHEET per sheet, EOF),
    then each sheet's substream (BOF, its records, EOF)."""
    def boundsheet(name: str, offset: int) -> bytes:
        return record(BOUNDSHEET, struct.pack("<IBBBB", offset, 0, sheet_type, len(name), 1)
                      + name.encode("utf-16-le"))

    head = bof(False) + b"".join(globals_)
    offset = len(head) + sum(len(boundsheet(name, 0)) for name, _ in sheets) + len(record(EOF, b""))
    listed, bodies = [], []
    for name, records in sheets:
        body = bof(True) + b"".join(records) + record(EOF, b"")
        listed.append(boundsheet(name, offset))
        bodies.append(body)
        offset += len(body)
    return head + b"".join(listed) + record(EOF, b"") + b"".join(bodies)


def bof5(sheet: bool) -> bytes:
    """Return a BIFF5 (Excel 5.0/95) BOF record of the workbook globals or of a worksheet."""
    return record(BOF, struct.pack("<HHHH", 0x0500, 0x0010 if sheet else 0x0005, 0x0DBB, 0x07CC))


def biff5_workbook(globals_: list[bytes], sheets: list[tuple[bytes, list[bytes]]]) -> bytes:
    """Return an Excel 5.0/95 Book stream: the globals (BOF, ``globals_``, a BOUNDSHEET per sheet,
    its name in the code page's bytes, EOF), then each sheet's substream (BOF, its records, EOF)."""
    def boundsheet(name: bytes, offset: int) -> bytes:
        return record(BOUNDSHEET, struct.pack("<IBBB", offset, 0, 0, len(name)) + name)

    head = bof5(False) + b"".join(globals_)
    offset = len(head) + sum(len(boundsheet(name, 0)) for name, _ in sheets) + len(record(EOF, b""))
    listed, bodies = [], []
    for name, cells in sheets:
        listed.append(boundsheet(name, offset))
        bodies.append(bof5(True) + b"".join(cells) + record(EOF, b""))
        offset += len(bodies[-1])
    return head + b"".join(listed) + record(EOF, b"") + b"".join(bodies)


def records(stream: bytes) -> list[tuple[int, bytes]]:
    """Split a Workbook stream into its records."""
    found, at = [], 0
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        found.append((kind, stream[at + 4:at + 4 + size]))
        at += 4 + size
    return found


def rebuilt(found: list[tuple[int, bytes]]) -> bytes:
    """Join records into a stream again, each BOUNDSHEET pointing at its sheet's BOF (records
    may have been added or removed before them)."""
    stream = b"".join(record(kind, data) for kind, data in found)
    starts, at, depth = [], 0, 0
    for kind, data in found:
        if kind == BOF:
            depth += 1
            if depth == 1 and at:
                starts.append(at)
        elif kind == EOF:
            depth -= 1
        at += 4 + len(data)
    fixed, sheet = [], 0
    for kind, data in found:
        if kind == BOUNDSHEET:
            data = struct.pack("<I", starts[sheet]) + data[4:]
            sheet += 1
        fixed.append((kind, data))
    return b"".join(record(kind, data) for kind, data in fixed)


def cell(kind: int, row: int, column: int, body: bytes, xf: int = 15) -> bytes:
    """Return a cell record: row, column, XF index, then ``body``."""
    return record(kind, struct.pack("<HHH", row, column, xf) + body)


def unicode_string(text: str, length_bytes: int = 2) -> bytes:
    """Return an XLUnicodeString: length, flags (compressed when latin-1 will do), characters."""
    wide = any(ord(c) > 255 for c in text)
    chars = text.encode("utf-16-le" if wide else "latin-1")
    count = len(text.encode("utf-16-le")) // 2
    return count.to_bytes(length_bytes, "little") + bytes([wide]) + chars


def sst(strings: list[str], cuts: list[int] = (), wide: set[int] = frozenset(),
        runs: dict[int, int] | None = None, ext: dict[int, int] | None = None,
        count: int | None = None) -> list[bytes]:
    """Return an SST record and its CONTINUE records, as Excel writes them.

    Each string is its header (length, flags, rich text run count, phonetic size; never split),
    its characters, its runs (4 bytes each) and its phonetic data (``ext`` bytes). A record ends
    at ``MAX_RECORD`` bytes and at each position of the SST's data in ``cuts``; a record that
    ends inside a string's characters makes the next one start with a flags byte. Each part of
    characters is written compressed (latin-1) when it can be, UTF-16 when its index (counted
    over all parts of all strings) is in ``wide``. ``count`` overrides the strings declared."""
    writer = _SstWriter(sorted(cuts), wide)
    runs, ext = runs or {}, ext or {}
    writer.atomic(struct.pack("<II", len(strings), len(strings) if count is None else count))
    for index, text in enumerate(strings):
        units = struct.unpack(f"<{len(text.encode('utf-16-le')) // 2}H", text.encode("utf-16-le"))
        flags = (0x08 if index in runs else 0) | (0x04 if index in ext else 0)
        header = struct.pack("<HB", len(units), flags) + \
            (struct.pack("<H", runs[index]) if index in runs else b"") + \
            (struct.pack("<I", ext[index]) if index in ext else b"")
        flags_at = writer.atomic(header)
        writer.chars(list(units), flags_at)
        writer.plain(bytes(4 * runs.get(index, 0)) + b"\x01" * ext.get(index, 0))
    return [record(SST if n == 0 else CONTINUE, bytes(data)) for n, data in enumerate(writer.records)]


class _SstWriter:
    """Fills SST and CONTINUE records, cut where asked (see ``sst``)."""

    def __init__(self, cuts: list[int], wide: set[int]):
        self.records, self.closed, self.cuts, self.wide, self.part = [bytearray()], 0, cuts, wide, 0

    def room(self) -> int:
        limit = self.closed + MAX_RECORD
        limit = min([limit] + [cut for cut in self.cuts if cut > self.closed])
        return limit - self.closed - len(self.records[-1])

    def new_record(self) -> None:
        self.closed += len(self.records[-1])
        self.records.append(bytearray())

    def plain(self, data: bytes) -> None:
        for byte in data:
            if self.room() <= 0:
                self.new_record()
            self.records[-1].append(byte)

    def atomic(self, data: bytes) -> tuple[int, int]:
        """Write ``data`` whole in one record; return where its third byte is (a string's flags)."""
        if self.room() < len(data) and self.records[-1]:
            self.new_record()
        at = (len(self.records) - 1, len(self.records[-1]) + 2)
        self.records[-1].extend(data)
        return at

    def chars(self, units: list[int], flags_at: tuple[int, int] | None) -> None:
        while units:
            if self.room() <= 0:
                self.new_record()
                flags_at = None
            if flags_at is None:  # a part after a cut starts with a flags byte of its own
                self.records[-1].append(0)
                flags_at = (len(self.records) - 1, len(self.records[-1]) - 1)
            room = self.room()
            wide = self.part in self.wide or any(unit > 255 for unit in units[:room])
            self.records[flags_at[0]][flags_at[1]] |= int(wide)
            count = min(len(units), room // (2 if wide else 1))
            if count == 0:
                self.new_record()
                flags_at = None
                continue
            self.records[-1].extend(struct.pack(f"<{count}H", *units[:count]) if wide else bytes(units[:count]))
            units, flags_at = units[count:], None
            self.part += 1


def cfb(stream: bytes, name: str = "Workbook", sector_size: int = 512) -> bytes:
    """Return an OLE2 compound file holding ``stream`` under ``name``: in the mini stream (64-byte
    sectors) when it is under 4,096 bytes, as the format requires, else in sectors of its own."""
    return compound_file({name: stream}, sector_size)


def xlwt_book(rows: list[tuple], sheet: str = "客户") -> bytes:
    """Return an .xls file that xlwt writes with ``rows`` in one sheet (an OLE2 file)."""
    import io

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    written = book.add_sheet(sheet)
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            written.write(row, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook_stream(rows: list[tuple], sheet: str = "客户") -> bytes:
    """Return the Workbook stream of ``xlwt_book(rows)``: what an Excel object stores in a document."""
    import io

    from pii_audit.sources import ole2

    _, stream = ole2.open_stream(io.BytesIO(xlwt_book(rows, sheet)), ("Workbook",))
    return stream.read(0, stream.size)


def small_workbook_stream(header: str, value: str, sheet: str = "客户") -> bytes:
    """Return a Workbook stream of one sheet, ``header`` above ``value`` in column A, under
    4,096 bytes: it lives in the mini stream, as a small table pasted as an object does."""
    return workbook([], [(sheet, [cell(LABEL, 0, 0, unicode_string(header)), cell(LABEL, 1, 0, unicode_string(value))])])
