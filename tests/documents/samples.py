"""Small real files of each kind the vault keeps, and of kinds it refuses: PDF and DOCX by the demo's maker of
drafts (``bootstrap.seed.drafts``), the others here with the standard library."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from bootstrap.seed import drafts


def pdf(text: str = "Draft agreement") -> bytes:
    """A one-page PDF of ``text`` (the demo's own maker of drafts)."""
    return drafts.pdf([text], title=text)


def _zip(members: dict[str, bytes], stored_first: str | None = None) -> bytes:
    """A zip of ``members`` (the same bytes every time: a fixed date on each member)."""
    out = io.BytesIO()
    when = (2024, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first, when), members.pop(stored_first), zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, when), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx(text: str = "Draft agreement") -> bytes:
    """A DOCX of one paragraph, ``text`` (the demo's own maker of drafts)."""
    return drafts.docx([text])


def odt(text: str = "Draft agreement") -> bytes:
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.text",
                 "content.xml": f"<office:document-content><text:p>{text}</text:p></office:document-content>"
                 .encode()}, stored_first="mimetype")


def plain_zip() -> bytes:
    """A zip that is no office document."""
    return _zip({"readme.txt": b"hello", "data.csv": b"a,b\n1,2\n"})


def png() -> bytes:
    """A 1x1 white PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def jpeg() -> bytes:
    """The start of a JPEG (what the sniffer reads) and its end."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def text(words: str = "Article 1. The parties agree.\n") -> bytes:
    return words.encode("utf-8")


HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
LATIN1_TEXT = "Accord conclu à Genève".encode("latin-1")
