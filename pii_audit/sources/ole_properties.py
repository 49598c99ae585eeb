"""Document properties of a legacy Office file (.doc, .xls, .ppt; WPS's .wps, .et, .dps in those
formats): its OLE2 property sets ([MS-OLEPS]), read as lines as ``properties`` reads a zip's.

Word, Excel, PowerPoint, WPS and LibreOffice keep File > Info in two streams of the compound file:
``\\x05SummaryInformation`` (FMTID F29F85E0-4FF9-1068-AB91-08002B27B3D9: title, subject, author,
keywords, comments, last saved by) and ``\\x05DocumentSummaryInformation`` (D5CDD502-2E9C-101B-9397-
08002B2CF9AE: category, manager, company; and a second section, D5CDD505-…, of the custom
properties: its property 0 a dictionary of their names, by id). Each value is a line numbered from
1 in its stream, located ``{path, part, line, property}``: ``part`` the stream's name without
its first character (``SummaryInformation``), ``property`` the property's name in [MS-OLEPS]
(``title``, ``author``, ``lastAuthor``) or a custom property's own name, as ``properties`` names
a zip's; the context rules are the same (``properties``): none for the author, last saved by,
manager and company.

A property set stream: a 28-byte header with the number of sections, then each section's FMTID
and offset; a section: its size, its number of properties, then ``(id, offset)`` pairs, offsets
from the section's start, each pointing at a typed value (2 bytes of type, 2 of padding, the
value). Strings are VT_LPSTR (a byte count, then bytes in the section's code page, its property
1: 936 on Chinese Windows, 65001 as LibreOffice writes; UTF-16 when it is 1200) or VT_LPWSTR (a
count of UTF-16 characters). Custom values of integer types are read as the digits a person reads
(a phone number typed as a Number: Word stores one past 2^31 as VT_R8, read while it is a whole
number below 2^53); booleans, dates, blobs, vectors and other types are not. A section of a kind
neither stream holds, or a value of a type no property set holds (a damaged FMTID, type or offset),
is passed over, the rest read, and told as the stream's damage: skipped silently, the values they
held were lost without a word (in 29 of 1,000 randomly damaged copies of a 7 KB .xls; 7 still
are, damage that leaves a valid property set behind, such as a damaged property id).

The streams are untrusted: every offset and length is checked against the stream's size, before
anything is read, and read from the file only as needed (``ole2.Stream``; LibreOffice puts a
600 KB thumbnail in SummaryInformation, which is skipped, not read); a section's properties and
a dictionary's names are capped at ``properties.MAX_PROPERTIES``, a value at
``properties.MAX_VALUE_CHARS``, and the bytes of values read in a stream at its size (values that
overlap, a hostile file's, would read it many times). A damaged stream is one problem line after
the values read before the damage, worded without its bytes; the file's body is read all the same.
"""

from __future__ import annotations

import codecs
import math
import struct
from typing import BinaryIO, Iterator

from pii_audit.models import Chunk
from pii_audit.sources import TargetCoverage, ole2, properties
from pii_audit.sources.properties import PartDamaged, TooManyProperties, named_property, part_lines
from pii_audit.sources.xlsx_guard import WorkbookRefused

SUMMARY = "\x05SummaryInformation"
DOCUMENT_SUMMARY = "\x05DocumentSummaryInformation"
FMTID_SUMMARY = bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9")  # F29F85E0-4FF9-1068-AB91-08002B27B3D9, as stored
FMTID_DOCUMENT = bytes.fromhex("02d5cdd59c2e1b10939708002b2cf9ae")  # D5CDD502-2E9C-101B-9397-08002B2CF9AE
FMTID_CUSTOM = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")  # D5CDD505-2E9C-101B-9397-08002B2CF9AE
DICTIONARY, CODE_PAGE = 0, 1  # property ids of every section
MAX_SECTIONS = 2  # [MS-OLEPS] allows one or two
UNICODE = 1200  # CP_WINUNICODE: the section's VT_LPSTR strings and names are UTF-16
DAMAGED_DIRECTORY = "the document properties could not be read (a damaged OLE2 directory)"
MAX_NAME_CHARS = 1024  # of a custom property's name read (Office allows 255; a header is cut at 100)

# The properties read of each section, by id: (name, context); "" for none (the staff, the bank).
SUMMARY_PROPERTIES = {2: ("title", "标题"), 3: ("subject", "主题"), 4: ("author", ""), 5: ("keywords", "关键词"),
                      6: ("comments", "备注"), 8: ("lastAuthor", "")}
DOCUMENT_PROPERTIES = {2: ("category", "类别"), 14: ("manager", ""), 15: ("company", ""),
                       27: ("contentStatus", "状态")}
_SECTIONS = {FMTID_SUMMARY: SUMMARY_PROPERTIES, FMTID_DOCUMENT: DOCUMENT_PROPERTIES, FMTID_CUSTOM: None}

VT_LPSTR, VT_BSTR, VT_LPWSTR, VT_R8 = 0x1E, 0x08, 0x1F, 0x05
# Every type a property's value may have ([MS-OLEPS] 2.15, TypedPropertyValue), alone or as a
# vector's or an array's elements (VT_VARIANT only so): any other is a damaged type, or a damaged
# offset pointing at what is no value, and the value it held would be lost without a word.
_TYPES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0E, 0x10, 0x11, 0x12, 0x13,
          0x14, 0x15, 0x16, 0x17, 0x1E, 0x1F, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49}
_VECTOR_OR_ARRAY = 0x3000  # VT_VECTOR 0x1000, VT_ARRAY 0x2000
_INTEGERS = {0x02: "<h", 0x03: "<i", 0x10: "<b", 0x11: "<B", 0x12: "<H", 0x13: "<I", 0x14: "<q", 0x15: "<Q",
             0x16: "<i", 0x17: "<I"}  # VT_I2, I4, I1, UI1, UI2, UI4, I8, UI8, INT, UINT


def ole_property_chunks(handle: BinaryIO, target: str, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield each document property of the OLE2 file in ``handle`` (``target``) as a one-line chunk,
    stream by stream; record a damaged stream as one problem line and go on."""
    try:
        compound = ole2.CompoundFile(handle)
    except WorkbookRefused:
        coverage.problem(target, DAMAGED_DIRECTORY, target)
        return
    yield from stored_property_chunks(compound, target, coverage)


def stored_property_chunks(compound: ole2.CompoundFile, target: str, coverage: TargetCoverage, folder: str = ""
                           ) -> Iterator[Chunk]:
    """Yield each document property of the open compound file ``compound`` (``target``; of the
    object in its storage ``folder``, ``ObjectPool/_1234/``), as ``ole_property_chunks`` does."""
    try:
        entries = [compound.find(folder + name) for name in (SUMMARY, DOCUMENT_SUMMARY)]
    except WorkbookRefused:
        coverage.problem(target, DAMAGED_DIRECTORY, target)
        return
    for name, entry in zip((SUMMARY, DOCUMENT_SUMMARY), entries):
        if entry is not None:
            reader = _Reader(compound, entry, name[1:])
            yield from part_lines(reader.values(), target, name[1:], lambda: reader.cut, coverage)
    if None in entries:
        names = compound.names_in(folder)
        for name, entry in zip((SUMMARY, DOCUMENT_SUMMARY), entries):
            if entry is None and ole2.misnamed(names, name.upper()):
                coverage.problem(target, f"{name[1:]} is damaged (its name in the OLE2 directory); the rest of the "
                                         "file is read", target)


class _Reader:
    """One property set stream, read as asked for, every read checked against its size."""

    def __init__(self, compound: ole2.CompoundFile, entry: tuple[int, int], part: str):
        self.compound, self.entry, self.part = compound, entry, part
        self.stream: ole2.Stream | None = None
        self.budget = entry[1]  # bytes of values and names still to be read
        self.cut = False  # a value was cut at MAX_VALUE_CHARS
        # Why something was passed over that no property set holds (a section of an unknown kind,
        # a value of no type): damage, whose value would be lost without a word. The other values
        # are read, then this is raised as the stream's damage (``PartDamaged``).
        self.unread = ""

    def values(self) -> Iterator[tuple[str, str, str]]:
        """Yield ``(text, property, context)`` of each value read, section by section."""
        try:
            self.stream = self.compound.stream(*self.entry)
        except WorkbookRefused:
            raise self._damaged("its sectors") from None
        if self._unpack("<H", 0, "its header")[0] != 0xFFFE:
            raise self._damaged("no property set's header")
        count = self._unpack("<I", 24, "its header")[0]
        if count > MAX_SECTIONS:
            raise self._damaged("more sections than a property set holds")
        for k in range(count):
            fmtid = self._read(28 + 20 * k, 16, "its header", spend=False)
            offset = self._unpack("<I", 44 + 20 * k, "its header")[0]
            if fmtid in _SECTIONS:
                yield from self._section(offset, _SECTIONS[fmtid])
            else:  # these two streams hold no other kind: a damaged FMTID
                self.unread = self.unread or "a section of a kind these properties never hold"
        if self.unread:  # told after the values read, as a damaged part is
            raise self._damaged(self.unread)

    def _section(self, offset: int, known: dict[int, tuple[str, str]] | None) -> Iterator[tuple[str, str, str]]:
        """Yield the values of the section at ``offset``: the ``known`` ones, or (None) every one
        named by the section's dictionary (the custom properties)."""
        count = self._unpack("<I", offset + 4, "a section's header")[0]
        if offset + 8 + 8 * count > self.stream.size:
            raise self._damaged("a section lists more properties than it holds")
        listed = min(count, properties.MAX_PROPERTIES)
        pairs = struct.unpack(f"<{2 * listed}I", self._read(offset + 8, 8 * listed, "a section", spend=False))
        places = dict(zip(pairs[::2], pairs[1::2]))
        code_page = self._code_page(offset, places.get(CODE_PAGE))
        names = self._dictionary(offset + places[DICTIONARY], code_page) if known is None and DICTIONARY in places \
            else {}
        for number, at in zip(pairs[::2], pairs[1::2]):
            if known is not None and number in known:
                name, context = known[number]
            elif known is None and number not in (DICTIONARY, CODE_PAGE):
                name, context = named_property(names.get(number, ""))
            else:
                continue
            text = self._value(offset + at, code_page)
            if text:
                yield text, name, context
        if count > listed:
            raise TooManyProperties

    def _code_page(self, offset: int, at: int | None) -> int:
        """Return the section's code page (property 1, a VT_I2; 0 when there is none)."""
        if at is None:
            return 0
        kind, value = self._unpack("<Hxxh", offset + at, "its code page")
        return value & 0xFFFF if kind == 0x02 else 0  # 65001 is stored as -535

    def _dictionary(self, at: int, code_page: int) -> dict[int, str]:
        """Return the custom properties' names by id: the dictionary at ``at`` (no type before it),
        each entry an id, a length (characters when the code page is 1200, else bytes) and the name."""
        count = self._unpack("<I", at, "its dictionary")[0]
        if at + 4 + 8 * count > self.stream.size:
            raise self._damaged("its dictionary lists more names than it holds")
        if count > properties.MAX_PROPERTIES:
            raise TooManyProperties
        names, at = {}, at + 4
        for _ in range(count):
            number, length = self._unpack("<II", at, "its dictionary")
            size = 2 * length if code_page == UNICODE else length
            if at + 8 + size > self.stream.size:
                raise self._damaged("a name in its dictionary runs past its end")
            raw = self._read(at + 8, min(size, 4 * MAX_NAME_CHARS), "its dictionary")
            names[number] = _decoded(raw, code_page, size <= len(raw)).split("\0", 1)[0]
            at += 8 + size + (-size % 4 if code_page == UNICODE else 0)
        return names

    def _value(self, at: int, code_page: int) -> str:
        """Return the text of the typed value at ``at``: a string, or an integer's digits; "" for a
        value of another type (a date, a boolean) or none."""
        kind = self._unpack("<H", at, "a property")[0]
        if kind in (VT_LPSTR, VT_BSTR, VT_LPWSTR):
            length = self._unpack("<I", at + 4, "a property")[0]
            wide = kind == VT_LPWSTR or code_page == UNICODE
            size = 2 * length if kind == VT_LPWSTR else length
            if at + 8 + size > self.stream.size:
                raise self._damaged("a property runs past its end")
            limit = 4 * properties.MAX_VALUE_CHARS + 4
            text = _decoded(self._read(at + 8, min(size, limit), "a property"), UNICODE if wide else code_page,
                            size <= limit)
            text, ended, _ = text.partition("\0")
            if (not ended and size > limit) or len(text) > properties.MAX_VALUE_CHARS:
                self.cut, text = True, text[:properties.MAX_VALUE_CHARS]
            return text.replace("\r", " ").replace("\n", " ").strip()
        if kind in _INTEGERS:
            return str(self._unpack(_INTEGERS[kind], at + 4, "a property")[0])
        if kind == VT_R8:
            number = self._unpack("<d", at + 4, "a property")[0]
            whole = math.isfinite(number) and number.is_integer() and abs(number) < 2 ** 53
            return str(int(number)) if whole else ""
        if kind & ~_VECTOR_OR_ARRAY not in _TYPES:
            self.unread = self.unread or "a property of a type no property set holds"
        return ""

    def _unpack(self, form: str, at: int, what: str) -> tuple:
        return struct.unpack(form, self._read(at, struct.calcsize(form), what, spend=False))

    def _read(self, at: int, size: int, what: str, spend: bool = True) -> bytes:
        """Return ``size`` bytes at ``at``; raise ``PartDamaged`` (naming ``what``) when the stream
        ends before them, or when the bytes of values read pass the stream's size."""
        if at + size > self.stream.size:
            raise self._damaged(f"{what} lies past its end")
        if spend:
            self.budget -= size
            if self.budget < 0:
                raise self._damaged("its values overlap")
        try:
            return self.stream.read(at, size)
        except WorkbookRefused:
            raise self._damaged("its sectors") from None

    def _damaged(self, what: str) -> PartDamaged:
        return PartDamaged(f"{self.part} is damaged ({what})")


def _decoded(raw: bytes, code_page: int, final: bool = True) -> str:
    """Return ``raw`` decoded in ``code_page``: UTF-16 for 1200, else Python's codec for it, then
    GB18030 when that fails or the code page is none or unknown, replacement characters at worst.
    Not ``final``: ``raw`` is cut from a longer value, and a character cut short at its end is dropped."""
    if code_page == UNICODE:
        return codecs.getincrementaldecoder("utf-16-le")("replace").decode(raw, final)
    encoding = _codec(code_page)
    for name in dict.fromkeys((encoding, "gb18030")):
        try:
            return codecs.getincrementaldecoder(name)().decode(raw, final)
        except UnicodeDecodeError:
            continue
    return codecs.getincrementaldecoder(encoding)("replace").decode(raw, final)


def _codec(code_page: int) -> str:
    """Return the name of Python's codec for a Windows code page, or gb18030."""
    name = {65001: "utf-8", 0: "gb18030"}.get(code_page, f"cp{code_page}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "gb18030"
