"""What an exception raised by a damaged file means, in a line a compliance officer can act on.

Readers that meet damage they do not check for themselves end in a catch-all: a parser's
exception, named by its type only, as its message may quote the file ("unreadable (error)", which
was a zlib.error from a damaged deflate stream). ``reason`` says what the common types mean in
such a file, the type in parentheses after it, for whoever fixes the reader (the fuzzing
harnesses count any such line as a finding: ``CATCH_ALL``). The exception's message is never used.

Measured by random mutations of 17 seed files (xlsx, xlsb, xls, ods, fods, docx, pptx, doc,
ppt, rtf, pdf, eml, zip, tar.gz, gz), 150 each, the catch-all lines named BadZipFile (500),
zlib.error (180, 94 of them read "unreadable (error)"), ExpatError (150), PdfStreamError (65),
PdfReadError (23), ValueError (23), UnicodeDecodeError (22), NotImplementedError (4), EOFError
(1), LimitReachedError (1); the xls, xlsb, doc, ppt and rtf readers word their own damage.
"""

from __future__ import annotations

import lzma
import re
import struct
import zipfile
import zlib
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

# By type, the first that matches: a subclass before its base (UnicodeError before ValueError).
_BY_TYPE: tuple[tuple[type | tuple[type, ...], str], ...] = (
    ((zlib.error, lzma.LZMAError), "corrupt compressed data"),
    (zipfile.BadZipFile, "a corrupt zip structure or checksum"),
    (EOFError, "a truncated file, its data cut short"),
    (struct.error, "a record cut short, truncated or corrupt"),
    ((ExpatError, ParseError), "malformed XML"),
    (UnicodeError, "text not in the encoding it declares"),
    (RecursionError, "structures nested too deep, corrupt or hostile"),
    (MemoryError, "more than can be held in memory"),
    (NotImplementedError, "a compression method or feature not supported here"),
    (KeyError, "a corrupt reference to a part or object it does not hold"),
    (IndexError, "a corrupt reference past the end of a table"),
    (LookupError, "an encoding that is not known"),
    (OverflowError, "a corrupt number out of range"),
    (ValueError, "a corrupt or malformed value"),
)
# Third-party types, by name: importing pypdf or zstd here would load them for every scan.
_BY_NAME = {
    "ZstdError": "corrupt compressed data",
    "BadGzipFile": "corrupt compressed data",
    "PdfReadError": "a corrupt PDF structure",
    "PdfStreamError": "a corrupt PDF structure",
    "LimitReachedError": "content past the PDF reader's safety limits, a decompression bomb?",
    "PanicException": "corrupt content python-calamine's parser failed on",
    "CalamineError": "corrupt content python-calamine cannot read",
}
# A line a catch-all wrote (``unreadable``, ``damaged``, ``scan``'s), whatever the type: the
# fuzzing harnesses count one as a finding where a reader should have said more.
CATCH_ALL = re.compile(r"(?:unreadable|is damaged): (?:" + "|".join(
    re.escape(text) for text in {*(text for _, text in _BY_TYPE), *_BY_NAME.values()}) + r") \([\w.]+\)"
    r"|unreadable(?: e-mail| PDF)? \([\w.]+\)|is damaged \([\w.]+\)|unexpected [\w.]+ while reading")


def error_name(error: BaseException) -> str:
    """Return an exception's type as a line names it: a bare "error" with its module's name.

    >>> error_name(zlib.error()), error_name(struct.error()), error_name(KeyError())
    ('zlib.error', 'struct.error', 'KeyError')
    """
    kind = type(error)
    return f"{kind.__module__}.{kind.__name__}" if kind.__name__ == "error" else kind.__name__


def reason(error: BaseException) -> str | None:
    """Return what ``error`` means in a damaged file, or None for a type not known here.

    >>> reason(zlib.error("invalid distance too far back")), reason(TypeError())
    ('corrupt compressed data', None)
    """
    for kinds, text in _BY_TYPE:
        if isinstance(error, kinds):
            return text
    return next((_BY_NAME[kind.__name__] for kind in type(error).__mro__ if kind.__name__ in _BY_NAME), None)


def unreadable(error: BaseException, kind: str) -> str:
    """Return the problem line of a whole file (a ``kind``: "spreadsheet", "PDF") that raised
    ``error``: what it means and its type, or for a type not known here, the type alone.

    >>> unreadable(zlib.error(), "spreadsheet"), unreadable(TypeError(), "spreadsheet")
    ('unreadable: corrupt compressed data (zlib.error)', 'unreadable (TypeError): corrupt or not a spreadsheet')
    """
    found = reason(error)
    return f"unreadable: {found} ({error_name(error)})" if found else \
        f"unreadable ({error_name(error)}): corrupt or not a {kind}"


def damaged(what: str, error: BaseException) -> str:
    """Return the problem line of a part ``what`` of a file (a zip member, a stream) that raised
    ``error``, as ``unreadable`` words a file's.

    >>> damaged("word/document.xml", ExpatError()), damaged("meta.xml", TypeError())
    ('word/document.xml is damaged: malformed XML (ExpatError)', 'meta.xml is damaged (TypeError)')
    """
    found = reason(error)
    return f"{what} is damaged: {found} ({error_name(error)})" if found else f"{what} is damaged ({error_name(error)})"
