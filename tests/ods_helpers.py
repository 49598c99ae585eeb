"""OpenDocument spreadsheets written by hand for the .ods tests and bench: content.xml in
LibreOffice's markup, zipped as ODF packages are (the mimetype stored first, then the manifest)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Iterable
from xml.sax.saxutils import escape, quoteattr

SPREADSHEET = "application/vnd.oasis.opendocument.spreadsheet"
NAMESPACES = " ".join(f'xmlns:{prefix}="urn:oasis:names:tc:opendocument:xmlns:{name}"' for prefix, name in (
    ("office", "office:1.0"), ("table", "table:1.0"), ("text", "text:1.0"), ("draw", "drawing:1.0"))) \
    + ' xmlns:dc="http://purl.org/dc/elements/1.1/"' \
    + ' xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
HEAD = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES} office:version="1.3">' \
       '<office:body><office:spreadsheet>'
TAIL = "</office:spreadsheet></office:body></office:document-content>"
EMPTY_TAIL_ROWS = 1_048_000  # LibreOffice ends a sheet with its empty rows, as one repeated row


def content_xml(*tables: str, prolog: str = "") -> str:
    """Return a content.xml holding ``tables`` (``table()``), with an optional DOCTYPE prolog."""
    head = HEAD.replace("?>", "?>" + prolog, 1)
    return head + "".join(tables) + TAIL


def table(name: str, *rows: str) -> str:
    """Return a sheet of ``rows`` (``row()``), ended by LibreOffice's repeated empty rows."""
    return f"<table:table table:name={quoteattr(name)}>{''.join(rows)}{empty_tail()}</table:table>"


def empty_tail() -> str:
    """Return the empty rows LibreOffice ends a sheet with: one row of empty cells, repeated."""
    return row('<table:table-cell table:number-columns-repeated="16384"/>', repeat=EMPTY_TAIL_ROWS)


def row(*cells: str, repeat: int = 1) -> str:
    """Return a row of ``cells``, repeated ``repeat`` times."""
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat != 1 else ""
    return f"<table:table-row{repeated}>{''.join(cells)}</table:table-row>"


def cell(text: str | None = None, repeat: int = 1, note: str = "", covered: bool = False, **values: str) -> str:
    """Return a cell: a string one holding ``text`` as LibreOffice writes it (``text`` None and
    no ``values``: an empty cell), or one typed by ``values`` (``value_type="float", value="1"``
    become ``office:value-type``, ``office:value``), its displayed text ``text``; ``note`` is its
    comment."""
    element = "table:covered-table-cell" if covered else "table:table-cell"
    attrs = f' table:number-columns-repeated="{repeat}"' if repeat != 1 else ""
    if text is not None and not values:
        values = {"value_type": "string"}
    attrs += "".join(f" office:{key.replace('_', '-')}={quoteattr(value)}" for key, value in values.items())
    body = annotation(note) if note else ""
    if text is not None:
        body += "".join(f"<text:p>{escape(line)}</text:p>" for line in text.split("\n"))
    return f"<{element}{attrs}>{body}</{element}>" if body else f"<{element}{attrs}/>"


def annotation(text: str) -> str:
    """Return a cell's comment, as LibreOffice writes one (its author and date first)."""
    return (f"<office:annotation><dc:creator>柜员</dc:creator><dc:date>2024-01-05T00:00:00</dc:date>"
            f"{''.join(f'<text:p>{escape(line)}</text:p>' for line in text.split(chr(10)))}</office:annotation>")


def manifest(media_type: str = SPREADSHEET, encrypted: bool = False) -> str:
    """Return META-INF/manifest.xml; ``encrypted`` as LibreOffice's "save with password" writes it."""
    encryption = ('<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:'
                  'manifest:1.0#sha256-1k" manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name='
                  '"http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/>'
                  '</manifest:encryption-data>') if encrypted else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{media_type}"/>'
            f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}'
            '</manifest:file-entry></manifest:manifest>')


def write_ods(path: Path, content: str | bytes | Iterable[str], mimetype: str | None = SPREADSHEET,
              manifest_xml: str | None = None) -> Path:
    """Write an ODS package: ``mimetype`` stored first (None: left out), the manifest, then
    ``content`` (an iterable of pieces is streamed into the zip, for large sheets)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype is not None:
            archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest_xml or manifest(mimetype or SPREADSHEET))
        if isinstance(content, (str, bytes)):
            archive.writestr("content.xml", content)
        else:
            with archive.open("content.xml", "w", force_zip64=True) as member:
                for piece in content:
                    member.write(piece.encode())
    return path
