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
        for line in textwrap.wrap(paragraph, LINE_WIDTH, break_on_hyphens=False) or [""]:
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


MONGOLIA_DRAFT_1 = [
    "International Co-operation Agreement between the European Organization for Nuclear Research (CERN) and "
    "the Government of Mongolia concerning Scientific and Technical Co-operation in High-Energy Physics",
    "Article 1 - Purpose. The Parties shall develop scientific and technical co-operation in experimental and "
    "theoretical high-energy physics, accelerator science and related technologies.",
    "Article 2 - Forms of co-operation. Co-operation may include the participation of Mongolian scientists in "
    "CERN's research programme, the exchange of information, and the training of students and engineers.",
    "Article 3 - Training. CERN shall offer up to two places a year in its summer student programme to "
    "students of Mongolian universities.",
    "Article 4 - Costs. Each Party shall bear the costs of its own participation in the activities under this "
    "Agreement.",
    "Article 5 - Intellectual property. Results shall be published in accordance with CERN's open access "
    "policy.",
    "Article 6 - Duration. This Agreement is concluded for a period of five years and shall be renewed by "
    "tacit agreement for further periods of five years.",
    "Article 7 - Entry into force. This Agreement shall enter into force on the date of its signature by both "
    "Parties.",
]
MONGOLIA_DRAFT_2 = [
    MONGOLIA_DRAFT_1[0],
    MONGOLIA_DRAFT_1[1],
    MONGOLIA_DRAFT_1[2],
    "Article 3 - Training. CERN shall offer up to four places a year in its summer student programme, and one "
    "place in its technical student programme, to students of Mongolian universities.",
    "Article 4 - Costs. Each Party shall bear the costs of its own participation in the activities under this "
    "Agreement, unless the Parties agree otherwise in writing.",
    MONGOLIA_DRAFT_1[5],
    "Article 6 - Joint committee. A joint committee of two members appointed by each Party shall meet once a "
    "year to review the co-operation.",
    "Article 7 - Duration. This Agreement is concluded for a period of five years and may be renewed by "
    "exchange of letters.",
    MONGOLIA_DRAFT_1[7].replace("Article 7", "Article 8"),
]
"""The Mongolia agreement's drafts (the demo's compare page): the second widens training, qualifies costs,
adds a joint committee and changes the renewal."""
