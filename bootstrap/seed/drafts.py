"""Small real documents made with the standard library: a PDF (one page of Helvetica text) and a DOCX (a zip
of three XML members) holding given paragraphs, for the demo's drafts and for tests that need real files."""

from __future__ import annotations

import io
import textwrap
import zipfile
from xml.sax.saxutils import escape

LINE_WIDTH = 90
"""Characters per line of the PDF's text (Helvetica 10 pt on an A4 page with 2 cm margins)."""


def _pdf_string(text: str) -> str:
    """A PDF literal string in WinAnsi: its backslashes and parentheses escaped, other characters as Latin-1."""
    data = text.encode("cp1252", errors="replace").decode("latin-1")
    return "(" + data.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf(paragraphs: list[str], title: str = "Draft") -> bytes:
    """A one-page PDF (more lines than fit run off the page) with each paragraph wrapped to ``LINE_WIDTH``
    characters and a blank line between paragraphs."""
    lines = ["BT", "/F1 10 Tf", "12 TL", "57 785 Td"]
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, LINE_WIDTH) or [""]:
            lines.append(f"{_pdf_string(line)} Tj T*")
        lines.append("T*")
    lines.append("ET")
    content = "\n".join(lines).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _pdf_string(title).encode("latin-1") + b" >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, len(objects), xref))
    return out.getvalue()


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>')
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
"""Every member's time in the archive, so the same paragraphs always make the same bytes (and hash)."""


def docx(paragraphs: list[str]) -> bytes:
    """A DOCX (Office Open XML) with one paragraph of one run per item, the same bytes for the same text."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELATIONSHIPS),
                           ("word/document.xml", document)):
            archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return out.getvalue()
