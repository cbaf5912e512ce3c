"""Stored documents: what one is (``StoredDocument``), which kinds of file Accord keeps, told from their content
alone (``sniff``), and the filename kept for display (``clean_filename``).

The sniffer is our own, on the standard library: Accord keeps six kinds of document and refuses everything
else, so an allow-list of six checks is all it needs. A general-purpose library (``filetype``, ``puremagic``)
names hundreds of types from their first bytes but calls any zip a zip or guesses DOCX from a member name in
the first few hundred bytes, and has no notion of "plain UTF-8 text"; here a zip container is opened and its
members checked (DOCX: ``[Content_Types].xml`` and ``word/document.xml``; ODT: a ``mimetype`` member naming
an OpenDocument text), and text must decode as UTF-8 with no control characters but tab, newline, carriage
return and form feed. Nothing is decompressed but ODT's ``mimetype`` member, which is bounded.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain; charset=utf-8"
PNG = "image/png"
JPEG = "image/jpeg"
MEDIA_TYPES = (PDF, DOCX, ODT, TEXT, PNG, JPEG)
"""The kinds of document Accord keeps: texts of agreements and scans of signed copies."""

MAX_FILENAME_LENGTH = 200
"""Characters of a filename kept for display (the extension is kept when a name is cut)."""
READ = 64 * 1024
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
"""Control characters a plain text does not hold (tab, newline, carriage return and form feed it may)."""
MARKUP = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<[!?A-Za-z/]")
"""The start of HTML, XML or SVG: markup, which a browser may run, is not a plain text document."""


class DocumentTooLargeError(Exception):
    """Raised when a document is larger than the vault takes; nothing of it is kept."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredDocument:
    """A document in the vault, named by the sha256 of its bytes; its type was read from the bytes, its
    filename is the uploader's, cleaned, for display only."""

    sha256: str
    size: int
    media_type: str
    filename: str
    uploaded_by: str
    uploaded_at: datetime


def sniff(file: BinaryIO) -> str | None:
    """The media type of a seekable file, from its content alone, or None when it is none of ``MEDIA_TYPES``.
    Leaves the file at its start."""
    file.seek(0)
    head = file.read(16)
    try:
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return PNG
        if head.startswith(b"\xff\xd8\xff"):
            return JPEG
        if head.startswith(b"PK\x03\x04"):
            return _zipped_text(file)
        if not head or MARKUP.match(head + file.read(1024)):
            return None
        return TEXT if _utf8_text(file) else None
    finally:
        file.seek(0)


def _zipped_text(file: BinaryIO) -> str | None:
    """DOCX or ODT, from the members of a zip container; None for any other zip (or a broken one)."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if {"[Content_Types].xml", "word/document.xml"} <= names:
                return DOCX
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read(info).strip() == ODT.encode("ascii"):
                    return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return None
    return None


def _utf8_text(file: BinaryIO) -> bool:
    """Whether the whole file is UTF-8 text without control characters (read in pieces)."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while piece := file.read(READ):
            if CONTROL.search(decoder.decode(piece)):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def clean_filename(name: str | None) -> str:
    """A filename fit to show and to put in a header: the last part of any path, in NFC, without control,
    format (bidirectional, zero-width), private-use or unassigned characters, quotes, backslashes or
    semicolons, spaces collapsed, no leading dots, at most ``MAX_FILENAME_LENGTH`` characters; "document" when
    nothing is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if category in ("Zs", "Zl", "Zp") or char in "\t\n\r":
            kept.append(" ")
        elif category[0] != "C" and char not in "\"'`;\\":
            kept.append(char)
    name = " ".join("".join(kept).split()).lstrip(". ")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip()
    return name or "document"
