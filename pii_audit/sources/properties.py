"""Document properties of an Office Open XML or OpenDocument package, read as lines (``property_chunks``).

What a user types in File > Info, or a system fills in as it exports a report, is kept beside the
body: in an OOXML zip (.docx, .xlsx, .xlsb, .pptx and WPS's zips) ``docProps/core.xml`` (title,
subject, comments, keywords, category, status, author, last modified by), ``docProps/app.xml``
(company, manager) and ``docProps/custom.xml`` (custom properties, name -> value); in an
OpenDocument zip ``meta.xml`` (title, subject, description, keywords, initial author and author,
user-defined name -> value). A bank's templates put the customer there: a credit report titled
"张三 授信报告", a custom property 证件号码.

Each value is a line, numbered from 1 in its part, located ``{path, part, line, property}``
(``property``: the element's name, ``title``, or a custom property's own name when it names a
field and holds nothing personal itself, ``spreadsheets.header_text``); the container is the file.
A value's context is what names it: a custom property's name (证件号码, 客户姓名), so a bare name
under 客户姓名 is reported as a cell under that column is, or a word for a core property (title
-> 标题). The author, last modified by, company and manager name the bank's staff or the bank,
not customers: they are read with no context, so a bare name there is not reported (every
author would be) while an ID number or a phone number is.

A legacy Office file's properties (.doc, .xls, .ppt: OLE2 property sets) are read by
``ole_properties`` with the same names, contexts, caps and problem lines (``part_lines``).

The parts are small but untrusted: expat with a DTD refused (``xlsx_book.expat_parser``), a
block at a time; a value is cut at ``MAX_VALUE_CHARS`` and a part at ``MAX_PROPERTIES`` values,
each a problem line. A damaged part (bad XML, a DTD, a bad CRC) is one problem line, after the
values read before the damage, and the body is read all the same, as a damaged slide is. The
statistics (dates, counts, the template's name, the application) are not read.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from typing import Callable, Iterator
from xml.parsers import expat

from pii_audit.models import Chunk
from pii_audit.sources import TargetCoverage
from pii_audit.sources.damage import damaged
from pii_audit.sources.xlsx_book import BLOCK, expat_parser
from pii_audit.sources.xlsx_guard import WorkbookRefused

# Office keeps a title or a custom text property to 255 characters and a comment to a few
# thousand; a value past this is cut (a hostile file's) and said so.
MAX_VALUE_CHARS = 1 << 16
MAX_PROPERTIES = 10_000  # values read of one part; Office allows a few hundred custom properties

_DC = "http://purl.org/dc/elements/1.1/ "
_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties "
_EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties "
_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties "
_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0 "
_STRICT_EP = "http://purl.oclc.org/ooxml/officeDocument/extendedProperties "
_STRICT_CUSTOM = "http://purl.oclc.org/ooxml/officeDocument/customProperties "

# The elements whose text is a value, by expat's name, with their property name and context
# ("" for none: the staff or the bank, see the module's docstring).
_CORE = {_DC + "title": ("title", "标题"), _DC + "subject": ("subject", "主题"),
         _DC + "description": ("description", "备注"), _CP + "keywords": ("keywords", "关键词"),
         _CP + "category": ("category", "类别"), _CP + "contentStatus": ("contentStatus", "状态"),
         _DC + "creator": ("creator", ""), _CP + "lastModifiedBy": ("lastModifiedBy", "")}
_APP = {f"{ns}{local}": (local, "") for ns in (_EP, _STRICT_EP) for local in ("Company", "Manager")}
_CUSTOM_PROPERTY = frozenset({_CUSTOM + "property", _STRICT_CUSTOM + "property"})
_ODF = {_DC + "title": ("title", "标题"), _DC + "subject": ("subject", "主题"),
        _DC + "description": ("description", "备注"), _META + "keyword": ("keyword", "关键词"),
        _META + "initial-creator": ("initial-creator", ""), _DC + "creator": ("creator", ""),
        _META + "printed-by": ("printed-by", "")}
_ODF_USER_DEFINED = _META + "user-defined"

# The properties parts of each kind of package: (part, fixed elements, elements named by an attribute).
OOXML_PARTS = (("docProps/core.xml", _CORE, frozenset(), ""), ("docProps/app.xml", _APP, frozenset(), ""),
               ("docProps/custom.xml", {}, _CUSTOM_PROPERTY, "name"))
ODF_PARTS = (("meta.xml", _ODF, frozenset({_ODF_USER_DEFINED}), _META + "name"),)
# What a damaged part raises: zipfile raises NotImplementedError for a compression method it does
# not read (a member's method field damaged), lzma.LZMAError for damaged LZMA data,
# UnicodeDecodeError (a ValueError) for a local header's name marked UTF-8 that is not; expat
# raises LookupError for an encoding it does not know, ValueError for one it does not read (UTF-7).
_PART_ERRORS = (expat.ExpatError, WorkbookRefused, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError,
                NotImplementedError, ValueError, LookupError)


class TooManyProperties(Exception):
    """A part holds more values than are read (``MAX_PROPERTIES``)."""


class PartDamaged(Exception):
    """A properties part cannot be read further: its message says which and why, quoting nothing of it."""


def property_chunks(archive: zipfile.ZipFile, target: str, coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield each document property of the open package ``archive`` (the file ``target``) as a
    one-line chunk, part by part (``OOXML_PARTS``, or ``ODF_PARTS`` when it holds meta.xml);
    record a damaged or over-long part as one problem line and go on."""
    coverage.container(target, "lines")  # the file's, whether it holds properties or not, as always
    parts = ODF_PARTS if "meta.xml" in archive.NameToInfo else OOXML_PARTS
    for part, fixed, named, name_attribute in parts:
        if part in archive.NameToInfo:
            values = _Values(fixed, named, name_attribute)
            yield from part_lines(_values(archive, part, values), target, part, lambda: values.cut, coverage)


def part_lines(values: Iterator[tuple[str, str, str]], target: str, part: str, cut: Callable[[], bool],
               coverage: TargetCoverage) -> Iterator[Chunk]:
    """Yield each ``(text, property, context)`` of ``values``, the properties of ``part`` of the
    file ``target``, as a line of the file's container, numbered from 1; record a part cut short
    (``TooManyProperties``) or damaged (``PartDamaged``) as one problem line after the lines read,
    and a value cut at ``MAX_VALUE_CHARS`` (``cut()`` true once they are read) as one more.
    Shared by the zips' parts and the OLE2 property sets (``ole_properties``)."""
    container = coverage.container(target, "lines")
    try:
        for line, (text, name, context) in enumerate(values, 1):
            container.units += 1
            location = {"path": target, "part": part, "line": line, **({"property": name} if name else {})}
            yield Chunk(text, location, target, (context,) if context else (), multiline=True)
    except TooManyProperties:
        coverage.problem(target, f"{part} holds over {MAX_PROPERTIES:,} properties: the rest are not read", target)
    except PartDamaged as error:
        coverage.problem(target, f"{error}; the rest of the file is read", target)
    if cut():
        coverage.problem(target, f"a property in {part} of over {MAX_VALUE_CHARS:,} characters: its first "
                         f"{MAX_VALUE_CHARS:,} are read", target)


def _values(archive: zipfile.ZipFile, part: str, values: "_Values") -> Iterator[tuple[str, str, str]]:
    """Yield ``(text, property, context)`` of each value of a part as it ends, a block at a time."""
    try:
        parser = expat_parser(values.start, values.end, values.text, part)
        with archive.open(part) as member:
            while True:
                block = member.read(BLOCK)
                parser.Parse(block, not block)
                yield from values.take()
                if values.count > MAX_PROPERTIES:
                    raise TooManyProperties
                if not block:
                    break
    except _PART_ERRORS as error:
        raise PartDamaged(str(error) if isinstance(error, WorkbookRefused) else damaged(part, error)) from None


class _Values:
    """Expat handlers that collect the text of each property's value as its element ends.

    ``fixed`` elements are values named by the element (dc:title); ``named`` ones (a custom
    property, meta:user-defined) are named by their attribute ``name_attribute``, and their
    value is all the text inside them (vt:lpwstr, vt:i4...)."""

    def __init__(self, fixed: dict[str, tuple[str, str]], named: frozenset[str], name_attribute: str):
        self.fixed, self.named, self.name_attribute = fixed, named, name_attribute
        self.open: tuple[str, str] | None = None  # the property being read: its name and context
        self.depth = 0  # of elements inside it
        self.parts: list[str] = []
        self.size = 0
        self.cut = False  # a value was cut at MAX_VALUE_CHARS
        self.count = 0  # values ended; past MAX_PROPERTIES the part stops after its block
        self.done: list[tuple[str, str, str]] = []

    def start(self, name: str, attrs: dict) -> None:
        """Open a property's value."""
        if self.open is not None:
            self.depth += 1
            return
        if name in self.fixed:
            self.open = self.fixed[name]
        elif name in self.named:
            self.open = named_property(attrs.get(self.name_attribute, ""))

    def end(self, name: str) -> None:
        """Close a property's value, keeping it as one line when it holds text."""
        if self.open is None:
            return
        if self.depth:
            self.depth -= 1
            return
        # A comment's newlines would split the line, and the numbering with it.
        text = "".join(self.parts).replace("\r", " ").replace("\n", " ").strip()
        if text:
            self.count += 1
            if self.count <= MAX_PROPERTIES:
                self.done.append((text, *self.open))
        self.open, self.parts, self.size = None, [], 0

    def text(self, data: str) -> None:
        """Add character data to the open value, up to ``MAX_VALUE_CHARS``."""
        if self.open is None:
            return
        room = MAX_VALUE_CHARS - self.size
        if len(data) > room:
            self.cut, data = True, data[:room]
        self.parts.append(data)
        self.size += len(data)

    def take(self) -> list[tuple[str, str, str]]:
        """Return the values ended since the last call."""
        done, self.done = self.done, []
        return done


def named_property(name: str) -> tuple[str, str]:
    """Return a named property's name and context: its name when it names a field (证件号码),
    nothing when it reads as data (a name, a number)."""
    from pii_audit.sources.spreadsheets import header_text  # which imports the detector

    header = header_text(name)
    return header, header
