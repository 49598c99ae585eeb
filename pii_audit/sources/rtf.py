"""RTF documents (.rtf, and a .doc, .dot or .wps that is RTF): their text, a paragraph a line.

Word, WordPad and WPS save RTF, and some systems export it named .doc (a report generator's
"Word" export, a core system's statement). Read as a text file, an RTF showed its digits but not
its Chinese, which RTF writes as escapes: ``\\'d0\\'d5`` (bytes in a code page: GBK under
``\\ansicpg936`` or in a ``\\fcharset134`` font) or ``\\u22995?`` (a UTF-16 unit, then a fallback
for older readers). So no keyword (姓名, 身份证号, 住址) was seen: no name, no address, nothing that
needs context was found, and control words sat around the values.

What is read: the body, each paragraph and each table cell a line, numbered from 1 in the order
of the file, located ``{path, line, start, end}``; the container is the file, as for a .doc. A
table's first row names its columns (``ooxml.Table``): a cell's lines have its column's header
as context, so a bare name under 姓名 is reported. A table begins at a paragraph in it (``\\intbl``),
its rows end at ``\\row`` and its cells at ``\\cell``, and it ends at a paragraph out of it. A
cell's right edge in its row's definition (``\\cellxN``) places it under the header cell it ends in
(``table_edges``), so a header merged over two cells (``\\clmgf``/``\\clmrg``, or one wider cell)
names both.
Headers and footers, footnotes, comments and their authors, text boxes (``shptxt``), the
document's information (title, subject, author, operator, company, keywords, comments, category,
manager) and fields' codes (``HYPERLINK "mailto:…"``) with their results are read too, each
header, footer, footnote, comment and information field as lines of its own, where the file
holds it (a footnote's lines come before those of the paragraph it is anchored in).

Pictures in line with the text (``{\\*\\shppict{\\pict …}}``, as Word writes a pasted photo) and
floating ones (a shape's picture property, ``{\\sp{\\sn pib}{\\sv {\\pict …}}}``, or ``fillBlip`` for
a shape filled with one) are read by OCR with --ocr after the text, the PNGs and JPEGs among them
(``pictures.rtf_pictures``), numbered in the file's order; without it they are counted among the
target's images not read. Each is read once: the copies Word keeps for older readers
(``\\nonshppict``, a shape's ``\\shprslt``) are skipped. Not read: a metafile (a drawing), a picture
written as ``\\bin`` bytes, embedded objects
(``\\objdata``, an Excel table pasted as an object: a notice), and what holds no text a person
typed: the font, colour, style, list and revision tables, shapes' other properties, bookmarks' names,
themes, the XML data store, and every ignorable destination (``{\\*\\word …}``) but those named
in ``_KEEP``. The copies kept for older readers (``\\shprslt``, ``\\nonshppict``,
``\\nonesttables``, a ``\\uN``'s fallback) repeat the text, so they are skipped.

Why not a library: striprtf, the maintained one, skips headers, footers, footnotes and comments
(``annotation``), holds the file and its text whole, and takes a character of text a token (a
picture's hex too). This reader tokenizes bytes with one regular expression, a block (``BLOCK``)
at a time: a run of text, of hex escapes, or of ``\\uN`` with their fallbacks is one token.
Measured (bench/rtf.py, best of 2 on the shared machine), this reader against striprtf 0.0.35,
and this reader with the detector, as a scan runs them; peak RSS over the process before:

- 39.4 MB of text as LibreOffice writes it (``\\uN``): 12.6 MB/s against 8.8; 5.8 with the detector;
- 38.3 MB of text as Word writes it (``\\'hh``, GBK): 15.0 MB/s against 10.0; 6.7;
- 190.7 MB of photos (hex) and 2,000 paragraphs: 223 MB/s against 4.4; 178;
- memory: +8 MB against +75 for the text, +7 against +364 for the photos.

Memory holds a block, the groups open (at most ``MAX_DEPTH``, deeper is a problem line), the
current paragraph (cut at ``MAX_LINE_CHARS``), the text around the stories open (as much again:
past it, the text around a story is ended as a line before the story) and one chunk of lines,
whatever the file's size.
``\\binN`` data is skipped as bytes, across blocks. A damaged file (groups left open at its end,
cut short, a group closed twice, ``\\bin`` data past its end) gives all it holds and a notice,
not a problem line: every byte of it was read, so nothing more could be; a problem line would
leave the target incomplete, and its findings unverifiable, until someone repaired the file. But
paragraphs in a table that holds none (a style sheet, a font table: ``_NO_PARAGRAPHS``) are the
body, swallowed where the table's brace was lost and skipped with it: a problem line.
Messages name no text: the text may be personal data.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import re
from typing import BinaryIO, Iterator

from pii_audit.models import Chunk
from pii_audit.sources import ScanOptions, TargetCoverage
from pii_audit.sources.images import NOT_ASKED, tesseract_missing, unread
from pii_audit.sources.ooxml import Table, context_chunks, counted
from pii_audit.sources.pictures import MAX_PICTURE_BYTES, rtf_pictures
from pii_audit.sources.streams import GzipBombError
from pii_audit.sources.table_edges import RowEdges

BLOCK = 1 << 20  # bytes read at a time
# A token that starts this close to a block's end may be cut by it: it waits for the next block.
# The longest token of bounded length, a control word, is 1 + 32 + 11 + 1 bytes; a longer one (a
# text run, a hex run) may be cut anywhere, as its bytes are gathered until decoded.
TAIL = 64
MAX_DEPTH = 1000  # Word nests a few dozen groups; a hostile file may open millions
# A paragraph is held until it ends; one longer than this is cut into lines of this length, so a
# value across a cut may be missed (no one writes a paragraph of a million characters).
MAX_LINE_CHARS = 1 << 20
# What the pictures held until the text is read may take in all (each one at most
# ``pictures.MAX_PICTURE_BYTES``, as in a .docx).
MAX_PICTURES_HELD = 64 << 20
MAX_FONTS = 10_000  # fonts whose code page is kept; Word lists a few dozen, a hostile table millions
MAX_NAME_BYTES = 64  # of a shape's property's name kept: the longest Word writes is under 40
# A shape's properties whose value holds a picture: a floating picture's, a shape filled with one.
_PICTURE_PROPERTIES = (b"pib", b"fillBlip")

# One token of RTF. A run of \uN each followed by a one-character fallback (what \uc1 documents
# hold: LibreOffice writes every CJK character so) is one token, decoded at once: token by token,
# such text was read at 5.4 MB/s, as runs at 12.6 (bench/rtf.py).
_UNITS = rb"((?:\\u-?\d{1,10}+ ?(?:\\'[0-9a-fA-F]{2}|[^\\{}\r\n]))+)"
_TOKENS = (rb"|\\([a-zA-Z]{1,32})(-?\d{1,10})? ?"  # 2, 3: a control word, its parameter, its delimiter
           rb"|((?:\\'[0-9a-fA-F]{2})+)"  # 4: bytes as hex escapes
           rb"|\\([^a-zA-Z'])"  # 5: a control symbol
           rb"|([{}])"  # 6: a group's start or end
           rb"|([^\\{}]+)"  # 7: text (its line breaks mean nothing)
           rb"|\\'?")  # a bad escape, or a backslash at the end
_TOKEN = re.compile(_UNITS + _TOKENS, re.S)
_TOKEN_BY_TOKEN = re.compile(rb"((?!))" + _TOKENS, re.S)  # the same, a run of \uN token by token
_UNIT = re.compile(rb"\\u(-?\d+)")
_SURROGATE = re.compile("[\ud800-\udfff]")

# What a control word does, when it is not in a skipped destination.
(_LINE, _SIGN, _SKIP, _STORY, _FIELD, _UNICODE, _UC, _FONT, _PLAIN, _CODEPAGE, _CHARSET, _DEFF, _FONTS, _BIN,
 _IN_TABLE, _PARAGRAPH, _ROW_DEFINITION, _CELL_EDGE, _MERGED_CELL, _MERGED_DOWN) = range(20)
_SIGNS = {b"tab": "\t", b"emdash": "\u2014", b"endash": "\u2013", b"lquote": "\u2018", b"rquote": "\u2019",
          b"ldblquote": "\u201c", b"rdblquote": "\u201d", b"bullet": "\u2022", b"emspace": " ", b"enspace": " ",
          b"qmspace": " "}
# Destinations that hold no text a person typed, or a copy of text read elsewhere.
_SKIPPED = (b"colortbl", b"stylesheet", b"listtable", b"listoverridetable", b"revtbl", b"rsidtbl", b"pict",
            b"objdata", b"objclass", b"objname", b"themedata", b"colorschememapping", b"datastore", b"latentstyles",
            b"xmlnstbl", b"generator", b"panose", b"fontemb", b"fontfile", b"falt", b"bkmkstart", b"bkmkend",
            b"sp", b"sn", b"sv", b"shprslt", b"nonshppict", b"nonesttables", b"filetbl", b"template", b"ftnsep",
            b"ftnsepc", b"ftncn", b"aftnsep", b"aftnsepc", b"aftncn", b"atnid", b"atnref", b"atndate", b"atnicn",
            b"atnparent", b"pgdsctbl", b"userprops", b"xmlopen", b"xmlclose", b"formfield", b"mmathPr")
# Those of them that are tables or data, and hold no paragraph in any writer's files (unlike a
# shape's copy of its text, a footnote separator, LibreOffice's page styles, \pgdsctbl): a \par
# met in one is the body, swallowed where a brace was lost (one damaged byte made a record's body
# part of its style sheet, skipped with a notice: 28 of 300 randomly damaged copies).
_NO_PARAGRAPHS = frozenset((b"fonttbl", b"colortbl", b"stylesheet", b"listtable", b"listoverridetable", b"revtbl",
                            b"rsidtbl", b"latentstyles", b"xmlnstbl", b"filetbl", b"generator", b"pict", b"objdata",
                            b"objclass", b"objname", b"themedata", b"colorschememapping", b"datastore", b"panose",
                            b"fontemb", b"fontfile", b"falt", b"bkmkstart", b"bkmkend", b"atnid", b"atnref",
                            b"atndate", b"atnicn", b"atnparent", b"userprops", b"xmlopen", b"xmlclose", b"mmathPr"))
# Destinations whose text is read as lines of their own.
_STORIES = (b"footnote", b"annotation", b"atnauthor", b"header", b"headerl", b"headerr", b"headerf", b"footer",
            b"footerl", b"footerr", b"footerf", b"shptxt", b"info", b"title", b"subject", b"author", b"operator",
            b"company", b"doccomm", b"keywords", b"category", b"manager", b"comment", b"hlinkbase")
# Ignorable destinations ({\*\word …}) read: the stories, fields' codes, shapes' text.
# A picture in line with the text is in {\*\shppict{\pict …}} (a copy in \nonshppict, skipped).
_KEEP = frozenset(_STORIES + (b"fldinst", b"fldrslt", b"shpinst", b"shppict"))
_WORDS = {**dict.fromkeys((b"par", b"line", b"row", b"sect", b"page", b"cell", b"nestcell"), _LINE),
          **dict.fromkeys(_SIGNS, _SIGN), **dict.fromkeys(_SKIPPED, _SKIP), **dict.fromkeys(_STORIES, _STORY),
          b"fldinst": _FIELD, b"fldrslt": _FIELD, b"u": _UNICODE, b"uc": _UC, b"f": _FONT, b"plain": _PLAIN,
          b"ansicpg": _CODEPAGE, b"ansi": _CHARSET, b"mac": _CHARSET, b"pc": _CHARSET, b"pca": _CHARSET,
          b"deff": _DEFF, b"fonttbl": _FONTS, b"bin": _BIN,  # \bin: its data is skipped by the tokenizer
          b"intbl": _IN_TABLE, b"pard": _PARAGRAPH, b"trowd": _ROW_DEFINITION, b"cellx": _CELL_EDGE,
          b"clmrg": _MERGED_CELL, b"clvmgf": _MERGED_DOWN}
_DOCUMENT_CODEPAGES = {b"ansi": 1252, b"mac": 10000, b"pc": 437, b"pca": 850}
# A font's \fcharset -> its Windows code page; 0, 1 and 2 (ANSI, default, symbol) take the document's.
_CHARSET_CODEPAGES = {77: 10000, 128: 932, 129: 949, 130: 1361, 134: 936, 136: 950, 161: 1253, 162: 1254,
                      163: 1258, 177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250, 254: 437, 255: 850}
# Code pages as Python names them; 936 (GBK) read as GB18030, its superset, as everywhere here.
_CODEPAGES = {936: "gb18030", 54936: "gb18030", 65001: "utf-8", 20127: "ascii", 10000: "mac_roman", 1361: "johab"}
_OBJECTS_NOTICE = ("objects embedded in the RTF (an Excel table pasted as an object) are not read; "
                   "open the document and save them apart to scan them")


def read_rtf(target: str, options: ScanOptions, coverage: TargetCoverage, source: BinaryIO | None = None
             ) -> Iterator[Chunk]:
    """Yield the lines of the RTF document ``target`` as chunks of lines, a block at a time; record
    what cannot be read. ``source`` reads its bytes when it is no file of its own (an archive's
    member), else the file is opened."""
    coverage.files += 1
    container = coverage.container(target, "lines")
    missing = NOT_ASKED if not options.ocr else tesseract_missing()
    text = RtfText(keep_pictures=missing is None)
    try:
        with open(target, "rb") if source is None else contextlib.nullcontext(source) as handle:
            yield from counted(text.chunks(handle, {"path": target}, coverage), container)
        if missing and text.pictures_found:
            unread(coverage, missing, text.pictures_found)
        yield from rtf_pictures(text.pictures, target, options, coverage)
    except GzipBombError as error:  # a member of an archive that inflates past the cap
        coverage.problem(target, str(error), target)
    except OSError as error:
        coverage.problem(target, f"cannot read: {error.strerror or type(error).__name__}", target)
    finally:
        coverage.bytes += text.bytes
        container.bytes += text.bytes


def codec_of(codepage: int) -> str | None:
    """Return Python's codec for a Windows code page, or None when it has none.

    >>> codec_of(936), codec_of(950), codec_of(1252), codec_of(12345)
    ('gb18030', 'cp950', 'cp1252', None)
    """
    try:
        return codecs.lookup(_CODEPAGES.get(codepage, f"cp{codepage}")).name
    except LookupError:
        return None


class RtfText:
    """The text of an RTF document, read a block at a time by ``lines``; what it could not read is
    in ``notices`` and ``refusal`` (one line each, naming no text), and ``bytes`` counts what it read."""

    def __init__(self, keep_pictures: bool = False):
        self.bytes = 0
        # The pictures (``\\pict``, but the copies in ``\\nonshppict`` and ``\\shprslt``) found, and,
        # when they are to be read by OCR (``keep_pictures``), the bytes of each PNG or JPEG among
        # them, until the text is read (``read_rtf``); ``picture``: the hex digits of the one being
        # read, at ``picture_depth``.
        self.keep_pictures = keep_pictures
        self.pictures_found = 0
        self.pictures: list[bytes] = []
        self.pictures_held = 0
        self.picture: bytearray | None = None
        self.picture_depth = 0
        # A shape's property being read (``{\\sp{\\sn pib}{\\sv {\\pict …}}}``: a floating picture):
        # the depth of its group (None: none), its name's bytes and whether they are being read.
        self.property_depth: int | None = None
        self.property_name = bytearray()
        self.naming = False
        self.notices: list[str] = []
        self.refusal: str | None = None
        self.done: list[tuple[str, tuple[str, ...]]] = []  # (line, context) ended and not yet taken
        self.default = "cp1252"  # the document's code page (\ansicpg)
        self.deff: int | None = None  # the default font
        self.fonts: dict[int, str] = {}  # font -> codec, for the fonts whose code page is not the document's
        self.stack: list[tuple] = []  # the state of each group around the current one
        # The current group's state, saved at "{" and restored at "}".
        self.skipping = False  # in a destination that is not read
        self.uc = 1  # characters of fallback after a \uN
        self.font: int | None = None  # None: the default font
        self.table = False  # in the font table
        self.saved: tuple | None = None  # in a story's group: the line of the text around it
        self.held = 0  # characters of the lines saved so around the stories open: at most a line's
        self.ignorable = False  # after \*: the next control word names a destination
        self.defined: int | None = None  # the font the font table is defining
        self.fallback = 0  # characters after a \uN still to skip
        self.binary = 0  # bytes of \bin data still to skip, past the block read
        self.unbalanced = False  # a group closed that was not open
        # The destination a skipping began with (the outermost one skipped), and the paragraphs
        # (\par) met in it where it holds none (_NO_PARAGRAPHS): a brace it lost swallowed them.
        self.skipped_word = b""
        self.skipped_paragraphs = 0
        # The body's table being read, whose first row names its columns (``ooxml.Table``), and
        # whether the current paragraph is in a table (\intbl, until the next \pard).
        self.grid: Table | None = None
        self.in_table = False
        # Its rows' cell edges (\trowd, \cellx, \clmrg), which place a cell under its header
        # where headers are merged (``table_edges``), and the cell being read in its row.
        self.edges = RowEdges()
        self.cell = 0
        # The line being read: its text, its length, the bytes not yet decoded, whether it holds a
        # UTF-16 surrogate (of a pair written as two \uN).
        self.parts: list[str] = []
        self.size = 0
        self.pending = bytearray()
        self.surrogates = False

    def chunks(self, handle: BinaryIO, location: dict, coverage: TargetCoverage) -> Iterator[Chunk]:
        """Yield the lines read from ``handle`` as chunks of lines located ``location`` (its
        ``path`` is the container); then record what was not read against that path."""
        yield from context_chunks(self._lines(handle), location)
        where = location["path"]
        for reason in self.notices:
            coverage.notice(where, reason)
        if self.refusal is not None:
            coverage.problem(where, self.refusal, where)
        if self.skipped_paragraphs and self.refusal is None:
            coverage.problem(where, f"damaged: {self.skipped_paragraphs:,} paragraph(s) lie in a part that holds "
                                    "none (a brace lost?) and were skipped with it; repair the file (Word opens it)",
                             where)

    def lines(self, handle: BinaryIO) -> Iterator[str]:
        """Yield each line of the document read from ``handle`` (none holds a newline)."""
        return (text for text, _ in self._lines(handle))

    def _lines(self, handle: BinaryIO) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Yield ``(line, context)``: a table cell's line has its column's header as context."""
        carry, final = b"", False
        while not final and self.refusal is None:
            data = handle.read(BLOCK)
            self.bytes += len(data)
            final = not data
            if self.binary:
                skipped = min(self.binary, len(data))
                data, self.binary = data[skipped:], self.binary - skipped
            carry = self._feed(carry + data, final)
            yield from self._taken()
        self._finish()
        yield from self._taken()

    def _taken(self) -> list[tuple[str, tuple[str, ...]]]:
        done, self.done = self.done, []
        return done

    def _feed(self, buffer: bytes, final: bool) -> bytes:
        """Handle the tokens of ``buffer`` that start before its last ``TAIL`` bytes (all of them
        at the end of the file); return the bytes left for the next block."""
        limit = len(buffer) if final else len(buffer) - TAIL
        at = 0
        while at < limit and self.refusal is None:
            at = self._tokens(buffer, at, limit)
        if at > len(buffer):  # \bin data runs past the block
            self.binary += at - len(buffer)
            return b""
        return buffer[at:]

    def _tokens(self, buffer: bytes, at: int, limit: int, pattern: re.Pattern = _TOKEN) -> int:
        """Handle the tokens of ``buffer`` from ``at`` on that start before ``limit``; return where
        the next token starts (past a \\bin's data, which may lie beyond the buffer)."""
        for match in pattern.finditer(buffer, at):
            if match.start() >= limit:
                return match.start()
            kind = match.lastindex
            if kind is None:
                continue
            if kind == 2 or kind == 3:
                word = match.group(2)
                if word in _WORDS or self.fallback or self.ignorable or self.table:
                    if word == b"bin":
                        return match.end() + max(0, int(match.group(3) or 0))
                    self._word(word, match.group(3))
            elif kind == 6:
                self._brace(match.group(6))
                if self.refusal is not None:
                    return len(buffer)
            elif kind == 7 and self.picture is not None and len(self.stack) == self.picture_depth:
                self._picture_data(match.group(7))
            elif kind == 7 and self.naming:
                self.property_name += match.group(7)[:MAX_NAME_BYTES - len(self.property_name)]
            elif self.skipping:
                continue
            elif kind == 7:
                self._bytes(match.group(7).replace(b"\r", b"").replace(b"\n", b""))
            elif kind == 4:
                self._bytes(binascii.unhexlify(match.group(4).replace(b"\\'", b"")))
            elif kind == 1:
                self._units(match.group(1))
            else:
                self._symbol(match.group(5))
        return len(buffer)

    def _units(self, run: bytes) -> None:
        """Add a run of \\uN, each with a fallback of one character: at once when the fallback is one
        character (\\uc1), else token by token."""
        if self.uc != 1 or self.fallback:
            self._tokens(run, 0, len(run), _TOKEN_BY_TOKEN)
            return
        text = "".join([chr(int(number) % 0x10000) for number in _UNIT.findall(run)])
        self.surrogates = self.surrogates or _SURROGATE.search(text) is not None
        self._add(text)

    def _brace(self, brace: bytes) -> None:
        """Open or close a group: save or restore its state."""
        if self.pending:
            self._flush()
        self.fallback = 0  # a \uN's fallback ends with its group
        if brace == b"{":
            if len(self.stack) >= MAX_DEPTH:
                self.refusal = (f"refused: groups nested over {MAX_DEPTH:,} deep (corrupt or hostile RTF); "
                                "not read further")
                return
            self.stack.append((self.skipping, self.uc, self.font, self.table, self.saved))
            self.saved, self.ignorable = None, False
        elif not self.stack:
            self.unbalanced = True
        else:
            if self.saved is not None:
                self._end_story()
            self.skipping, self.uc, self.font, self.table, self.saved = self.stack.pop()
            if self.picture is not None and len(self.stack) < self.picture_depth:
                self._end_picture()
            self.naming = False  # a property's name is the text of its {\\sn …} group
            if self.property_depth is not None and len(self.stack) < self.property_depth:
                self.property_depth = None

    def _word(self, word: bytes, parameter: bytes | None) -> None:
        """Act on a control word."""
        if self.skipping:
            self.skipped_paragraphs += word == b"par" and self.skipped_word in _NO_PARAGRAPHS
            if self.table:
                self._font_entry(word, parameter)
            elif self.property_depth is not None:
                self._property_word(word)
            return
        if self.fallback:
            self.fallback -= 1
            return
        action = _WORDS.get(word)
        if self.ignorable:
            self.ignorable = False
            if word not in _KEEP:
                action = _SKIP
        if action is None:
            return
        if action == _LINE:
            self._line_word(word)
        elif action == _SIGN:
            self._add(_SIGNS[word])
        elif action == _UNICODE:
            self._unicode(int(parameter or 0))
        elif action == _FONT:
            self._flush()
            self.font = int(parameter or 0)
        elif action == _PLAIN:
            self._flush()
            self.font = None
        elif action >= _ROW_DEFINITION:  # a row's definition: a table's rows hold one each, before \pard
            if self.saved is None:  # in the body (a story's tables take no context)
                self._row_definition(action, parameter)
        else:
            self._destination(action, word, parameter)

    def _destination(self, action: int, word: bytes, parameter: bytes | None) -> None:
        """Act on a control word that names a destination or sets the document's code pages."""
        if action == _SKIP:
            self._begin_skipping(word)
            if word == b"pict":
                self._begin_picture()
            elif word == b"sp":
                self.property_depth, self.property_name, self.naming = len(self.stack), bytearray(), False
            elif word == b"objdata":
                self._notice(_OBJECTS_NOTICE)
        elif action == _STORY and self.saved is None:
            self._flush()
            if self.held + self.size > MAX_LINE_CHARS:  # stories in stories, each after a long text
                self._end_line()
            self.saved = (self.parts, self.size, self.surrogates)
            self.held += self.size
            self.parts, self.size, self.surrogates = [], 0, False
        elif action == _FIELD:
            self._add(" ")  # a field's code and its result, apart, as Word shows them with codes on
        elif action == _UC:
            self.uc = max(0, int(parameter or 0))
        elif action == _CODEPAGE:
            self.default = self._codec(int(parameter or 0)) or self.default
        elif action == _CHARSET:
            self.default = codec_of(_DOCUMENT_CODEPAGES[word]) or self.default
        elif action == _DEFF:
            self.deff = int(parameter or 0)
        elif action == _FONTS:
            self._begin_skipping(word)
            self.table = True
        elif action == _IN_TABLE:
            self.in_table = True
            if self.grid is None and self.saved is None:  # a table of the body begins
                self.grid = Table()
                self.grid.start_row()
                self.grid.start_cell()
                self.edges.header, self.cell = None, 0
        elif action == _PARAGRAPH:
            self.in_table = False

    def _row_definition(self, action: int, parameter: bytes | None) -> None:
        """Follow a row's definition: its cells' right edges, and which continue a merged cell."""
        if action == _ROW_DEFINITION:
            self.edges.new_row()
        elif action == _CELL_EDGE:
            self.edges.add_edge(int(parameter or 0))
        elif action == _MERGED_CELL:
            self.edges.merge_next = True
        elif action == _MERGED_DOWN:
            self.edges.down = True

    def _line_word(self, word: bytes) -> None:
        """End a line at \\par, \\cell, \\row and the like; follow the body's table's rows and cells."""
        grid = self.grid if self.saved is None else None  # a story's lines are outside the table
        if grid is None:
            self._end_line()
        elif word == b"cell":
            self._end_line(grid)
            grid.start_cell()
            self.cell += 1
        elif word == b"row":
            self._end_line()
            self.edges.end_row(grid)  # after the header row (not a title), its edges place the cells below
            grid.start_row()
            grid.start_cell()
            self.cell = 0
        elif word == b"par" and self.in_table:  # a cell's paragraph
            self._end_line(grid)
        else:
            self._end_line()
            if word == b"par":  # a paragraph out of the table: it has ended
                self.grid = None

    def _font_entry(self, word: bytes, parameter: bytes | None) -> None:
        """Read a font table's control word: which font, and its character set or code page."""
        if word == b"f":
            self.defined = int(parameter or 0)
            return
        if self.defined is None or word not in (b"fcharset", b"cpg"):
            return
        if word == b"fcharset":
            codepage = _CHARSET_CODEPAGES.get(int(parameter or 0))
            codec = None if codepage is None else codec_of(codepage)
        else:
            codec = self._codec(int(parameter or 0))
        if codec is None:
            return
        if len(self.fonts) < MAX_FONTS or self.defined in self.fonts:
            self.fonts[self.defined] = codec
        else:
            self._notice(f"over {MAX_FONTS:,} fonts: the text in the others read in the document's code page")

    def _codec(self, codepage: int) -> str | None:
        """Return the codec of a code page the document names; note one that is unknown here."""
        codec = codec_of(codepage)
        if codec is None:
            self._notice("names a code page unknown here: its bytes in that code page read as the document's "
                         "(or cp1252)")
        return codec

    def _property_word(self, word: bytes) -> None:
        """Follow a shape's property: its name (``\\sn``), and the picture its value holds when it
        names the shape's picture (``\\sv`` of ``pib``, or of ``fillBlip``: a shape filled with one)."""
        if word == b"sn":
            self.property_name, self.naming = bytearray(), True
        elif word == b"pict" and self.property_name.strip() in _PICTURE_PROPERTIES:
            self._begin_picture()
            self.property_name = bytearray()  # one picture a property

    def _begin_picture(self) -> None:
        """Count a picture; keep its hex digits when pictures are to be read."""
        self.pictures_found += 1
        if self.keep_pictures:
            self.picture, self.picture_depth = bytearray(), len(self.stack)

    def _picture_data(self, run: bytes) -> None:
        """Add a run of a picture's hex digits, up to ``MAX_PICTURE_BYTES`` decoded."""
        digits = run.translate(None, b" \t\r\n")
        if len(self.picture) + len(digits) > 2 * MAX_PICTURE_BYTES:
            self._notice(f"a picture larger than {MAX_PICTURE_BYTES:,} bytes is not read")
            self.picture = None
            return
        self.picture += digits

    def _end_picture(self) -> None:
        """Keep the picture just read when it is a PNG or a JPEG (not a metafile: a drawing), while
        those kept hold less than ``MAX_PICTURES_HELD`` bytes."""
        digits, self.picture = self.picture, None
        try:
            data = binascii.unhexlify(digits[:len(digits) // 2 * 2])
        except binascii.Error:  # no hex digits: damaged
            self._notice("a picture whose data is damaged is not read")
            return
        if not data.startswith((b"\x89PNG", b"\xff\xd8\xff")):
            return
        if self.pictures_held + len(data) > MAX_PICTURES_HELD:
            self._notice(f"pictures past the first {MAX_PICTURES_HELD >> 20} MiB of them are not read")
            return
        self.pictures.append(data)
        self.pictures_held += len(data)

    def _notice(self, reason: str) -> None:
        """Note something not read as written, once."""
        if reason not in self.notices:
            self.notices.append(reason)

    def _symbol(self, symbol: bytes) -> None:
        """Act on a control symbol (``\\{``, ``\\~``, ``\\*``, …)."""
        if self.fallback:
            self.fallback -= 1
        elif symbol == b"*":
            self.ignorable = True
        elif symbol in b"\\{}":
            self._bytes(symbol)  # as text is: a paragraph of them is cut at MAX_LINE_CHARS too
        elif symbol == b"~":
            self._add(" ")
        elif symbol == b"_":
            self._add("-")
        elif symbol in b"\r\n":  # a backslash before a line break is a \par
            self._end_line()

    def _bytes(self, data: bytes) -> None:
        """Add text in the code page (or the fallback of a \\uN, skipped)."""
        if self.fallback:
            skipped = min(self.fallback, len(data))
            data, self.fallback = data[skipped:], self.fallback - skipped
        self.pending += data
        if len(self.pending) > MAX_LINE_CHARS:  # text among formatting words, no brace, no paragraph end
            self._flush()

    def _unicode(self, unit: int) -> None:
        """Add the UTF-16 unit of a \\uN (a signed 16-bit number) and skip its fallback."""
        unit %= 0x10000
        self.surrogates = self.surrogates or 0xD800 <= unit < 0xE000
        self._add(chr(unit))
        self.fallback = self.uc

    def _flush(self) -> None:
        """Decode the bytes gathered, in the current font's code page (or the document's)."""
        if self.pending:
            codec = self.fonts.get(self.deff if self.font is None else self.font, self.default)
            text = self.pending.decode(codec, "replace")
            self.pending.clear()
            self._add(text)

    def _add(self, text: str) -> None:
        if self.pending:
            self._flush()
        self.parts.append(text)
        self.size += len(text)
        if self.size > MAX_LINE_CHARS:
            self._end_line()
        elif len(self.parts) > 4096:  # a long line of one-character parts: 8 bytes a reference, 50 a str
            self.parts[:] = ["".join(self.parts)]

    def _end_line(self, grid: Table | None = None) -> None:
        """End the current line: it is done; in a cell of ``grid``, with its column's header as context."""
        self._flush()
        text = "".join(self.parts)
        if self.surrogates:  # pairs written as two \uN joined; a lone one replaced
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        if "\n" in text or "\r" in text:  # a \u10 or \'0a would split the line and the numbering
            text = text.replace("\r", " ").replace("\n", " ")
        if grid is not None:
            grid.place_cell(self.edges.column(self.cell))
        self.done.append((text, grid.context(text) if grid is not None else ()))
        self.parts, self.size, self.surrogates = [], 0, False

    def _end_story(self) -> None:
        """End a story's group: its last line is done; the text around it goes on."""
        self._flush()
        if any(self.parts):
            self._end_line()
        self.parts, self.size, self.surrogates = self.saved
        self.held -= self.size

    def _begin_skipping(self, word: bytes) -> None:
        """Skip the destination ``word`` begins; it is the outermost one skipped if none was."""
        if not self.skipping:
            self.skipped_word = word
        self.skipping = True

    def _finish(self) -> None:
        """At the end of the file: close the groups left open, end the last line, note damage."""
        open_groups = len(self.stack)
        while self.stack:
            self._brace(b"}")
        self._flush()
        if any(self.parts):
            self._end_line()
        if self.refusal is not None:
            return
        if open_groups and not self.skipped_paragraphs:
            self.notices.append(f"damaged or cut short: {open_groups:,} group(s) left open at the end; "
                                "all it holds was read")
        if self.unbalanced:
            self.notices.append("damaged: a group closed that was never opened; all it holds was read")
        if self.binary:
            self.notices.append("damaged or cut short: \\bin data runs past the end of the file; "
                                "all it holds was read")
