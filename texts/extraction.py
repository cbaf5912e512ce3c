"""A document's text as a list of paragraphs, from its bytes and its (sniffed) media type.

Every reader is bounded in expanded size (``limit``, 20 MiB by default): the XML inside a DOCX or ODT is read
through a counter that refuses it once it has expanded past the limit, whatever its zip entry declares, and
pypdf is told to refuse any stream that decompresses past it; the text extracted is bounded the same way. XML
is parsed by defusedxml with DTDs forbidden, so no entity can expand. Bounding time is ``texts.sandbox``'s
job (a child process with a deadline).

Scans (PNG, JPEG) have no text: Accord does no OCR (``require_text``).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

MiB = 1024 * 1024
MAX_EXPANDED_BYTES = 20 * MiB
"""How far a document may expand while its text is read: uncompressed XML, decompressed PDF streams, text."""

PDF, DOCX, ODT, PLAIN = ("application/pdf",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         "application/vnd.oasis.opendocument.text", "text/plain")
SCANS = ("image/png", "image/jpeg")
READABLE = (PDF, DOCX, ODT, PLAIN)


class ExtractionRefused(Exception):
    """Raised when a document's text cannot be extracted; ``rule`` is the slug a problem carries."""

    rule = "extraction_failed"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooLarge(ExtractionRefused):
    """Raised when a document expands past the limit while its text is read (a compressed bomb)."""

    rule = "extraction_too_large"


class TimedOut(ExtractionRefused):
    """Raised when reading a document's text takes longer than allowed."""

    rule = "extraction_timed_out"


class NoText(ExtractionRefused):
    """Raised when a document has no text to read: a scan (Accord does no OCR) or a type it cannot read."""

    rule = "no_text"


def require_text(media_type: str | None) -> None:
    """Refuse (``NoText``) a type without text to read: a scan, or one Accord does not read."""
    kind = base_type(media_type)
    if kind in SCANS:
        raise NoText("the document is a scanned image: it has no text to compare (Accord does no OCR)")
    if kind not in READABLE:
        raise NoText(f"Accord cannot read the text of a {kind or 'document of unknown type'}")


def base_type(media_type: str | None) -> str:
    """``text/plain; charset=utf-8`` -> ``text/plain``."""
    return (media_type or "").split(";")[0].strip().lower()


def paragraphs(source: BinaryIO, media_type: str | None, limit: int = MAX_EXPANDED_BYTES) -> list[str]:
    """The paragraphs of the document in ``source`` (a seekable binary file), in order, each on one line
    (runs of white space made one space), empty ones left out."""
    require_text(media_type)
    readers = {PDF: _pdf, DOCX: _docx, ODT: _odt, PLAIN: _plain}
    kind = base_type(media_type)
    found, size = [], 0
    for paragraph in readers[kind](source, limit):
        line = " ".join(paragraph.split())
        if line:
            size += len(line.encode("utf-8"))
            if size > limit:
                raise TooLarge(f"the document's text is larger than {limit // MiB} MiB")
            found.append(line)
    return found


def _plain(source: BinaryIO, limit: int) -> Iterator[str]:
    data = source.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"the text is larger than {limit // MiB} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExtractionRefused("the text is not UTF-8") from None
    yield from re.split(r"\n[ \t\f\v]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))


class _Bounded(io.RawIOBase):
    """A zip member read through a counter: more than ``limit`` bytes out of it is refused as it happens,
    whatever size the archive declares for it."""

    def __init__(self, member: BinaryIO, limit: int, name: str):
        self.member, self.limit, self.name, self.read_so_far = member, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.member.read(min(len(buffer), 64 * 1024))
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise TooLarge(f"{self.name} expands to more than {self.limit // MiB} MiB")
        buffer[:len(data)] = data
        return len(data)


def _zipped_xml(source: BinaryIO, member: str, limit: int, paragraph_tags: tuple[str, ...],
                text_of: object, aside: tuple[str, ...] = ()) -> Iterator[str]:
    """The paragraphs of one XML member of a zip archive (DOCX, ODT), parsed as it is decompressed; those
    inside an ``aside`` element (an ODT footnote) are not the text's own."""
    from defusedxml.ElementTree import iterparse  # a DTD (and so any entity) is refused
    try:
        archive = zipfile.ZipFile(source)
        info = archive.getinfo(member)
    except (zipfile.BadZipFile, KeyError, OSError):
        raise ExtractionRefused(f"the document is not a readable archive with {member}") from None
    if info.file_size > limit:
        raise TooLarge(f"{member} declares {info.file_size // MiB} MiB, more than {limit // MiB} MiB")
    try:
        with archive.open(info) as raw:
            stream = io.BufferedReader(_Bounded(raw, limit, member))
            depth = 0
            for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
                if element.tag in aside:
                    depth += 1 if event == "start" else -1
                elif event == "end" and element.tag in paragraph_tags and depth == 0:
                    yield text_of(element)  # type: ignore[operator]
                    element.clear()
    except ExtractionRefused:
        raise
    except Exception as error:  # noqa: BLE001 - malformed XML, a forbidden DTD, a corrupt member
        raise ExtractionRefused(f"{member} could not be read ({type(error).__name__})") from None


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(paragraph: object) -> str:
    parts = []
    for element in paragraph.iter():  # type: ignore[attr-defined]
        if element.tag == W + "t":
            parts.append(element.text or "")
        elif element.tag in (W + "tab", W + "br", W + "cr"):
            parts.append(" ")
    return "".join(parts)


def _docx(source: BinaryIO, limit: int) -> Iterator[str]:
    return _zipped_xml(source, "word/document.xml", limit, (W + "p",), _docx_text)


TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _odt_text(paragraph: object) -> str:
    parts: list[str] = []

    def walk(element: object) -> None:
        tag = element.tag  # type: ignore[attr-defined]
        if tag == TEXT + "s":
            parts.append(" ")
        elif tag in (TEXT + "tab", TEXT + "line-break"):
            parts.append(" ")
        elif tag != TEXT + "note":  # footnotes are not the paragraph's text
            parts.append(element.text or "")  # type: ignore[attr-defined]
            for child in element:  # type: ignore[attr-defined]
                walk(child)
        parts.append(element.tail or "" if element is not paragraph else "")  # type: ignore[attr-defined]

    walk(paragraph)
    return "".join(parts)


def _odt(source: BinaryIO, limit: int) -> Iterator[str]:
    return _zipped_xml(source, "content.xml", limit, (TEXT + "p", TEXT + "h"), _odt_text, aside=(TEXT + "note",))


def _pdf(source: BinaryIO, limit: int) -> Iterator[str]:
    """A PDF's paragraphs: its text laid out as on the page, split where a blank line separates blocks."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    bounds = {name: limit for name in ("zlib_maximum_output_length", "lzw_maximum_output_length",
                                       "run_length_maximum_output_length", "maximum_declared_stream_length",
                                       "array_based_stream_maximum_output_length", "brotli_maximum_output_length",
                                       "jbig2_maximum_output_length", "image_maximum_buffer_size")}
    try:
        with apply_configuration(**bounds):
            reader = PdfReader(source)
            if reader.is_encrypted:
                raise ExtractionRefused("the PDF is encrypted")
            pages = [page.extract_text(extraction_mode="layout") for page in reader.pages]
    except ExtractionRefused:
        raise
    except LimitReachedError:
        raise TooLarge(f"the PDF expands to more than {limit // MiB} MiB") from None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as error:
        raise ExtractionRefused(f"the PDF could not be read ({type(error).__name__})") from None
    for page in pages:
        yield from re.split(r"\n[ \t]*\n", page)
