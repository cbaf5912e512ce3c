"""Reading a document's text as paragraphs: PDF, DOCX, ODT and plain text, bounded in expanded size and in
time, with XML entities impossible and scans said to have no text."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from bootstrap.seed.drafts import docx, pdf
from texts import sandbox
from texts.extraction import DOCX, ODT, PDF, PLAIN, ExtractionRefused, NoText, TimedOut, TooLarge, paragraphs

CLAUSES = ["Article 1. The Parties shall cooperate in particle physics, computing and engineering, on the basis "
           "of equality and mutual benefit, as set out in the Annexes (each an integral part of this Agreement).",
           "Article 2. Each Party bears its own costs.",
           "Article 3 – Entry into force: on the date of the last signature; « Genève »."]
MiB = 1024 * 1024


def read(data: bytes, media_type: str, limit: int = 20 * MiB) -> list[str]:
    return paragraphs(io.BytesIO(data), media_type, limit)


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def odt(body: str) -> bytes:
    return zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        f'{body}</office:text></office:body></office:document-content>').encode()})


def test_a_pdf_reads_as_its_paragraphs_each_on_one_line_even_when_wrapped_on_the_page():
    assert read(pdf(CLAUSES), PDF) == CLAUSES


def test_a_docx_reads_as_its_paragraphs_in_order():
    assert read(docx(CLAUSES), DOCX) == CLAUSES


def test_the_same_paragraphs_in_a_pdf_and_a_docx_read_the_same():
    assert read(pdf(CLAUSES), PDF) == read(docx(CLAUSES), DOCX)


def test_an_odt_reads_its_headings_and_paragraphs_with_spans_spaces_and_without_footnotes():
    body = ('<text:h>Agreement</text:h><text:p>Article 1.<text:s/>The <text:span>Parties</text:span> agree'
            '<text:note><text:note-body><text:p>a footnote</text:p></text:note-body></text:note>.</text:p>'
            '<text:p/><text:p>Article 2.</text:p>')
    assert read(odt(body), ODT) == ["Agreement", "Article 1. The Parties agree.", "Article 2."]


def test_plain_text_is_split_into_paragraphs_on_blank_lines_and_its_lines_joined():
    text = "Article 1.\r\nThe Parties\nagree.\n\n  \nArticle 2.\n\n\n"
    assert read(text.encode(), PLAIN) == ["Article 1. The Parties agree.", "Article 2."]


def test_plain_text_that_is_not_utf8_is_refused():
    with pytest.raises(ExtractionRefused, match="UTF-8"):
        read("Genève".encode("latin-1"), PLAIN)


def test_a_zip_bomb_is_refused_as_too_large_while_it_is_read():
    bomb = zipped({"word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="w">' + b" " * (64 * MiB)})
    assert len(bomb) < 200_000
    with pytest.raises(TooLarge) as refused:
        read(bomb, DOCX)
    assert refused.value.rule == "extraction_too_large"


def test_a_zip_member_that_expands_past_what_it_declares_is_refused_as_it_expands():
    data = docx(["x" * 5000] * 400)  # ~2 MB of XML, declared as such
    with pytest.raises(TooLarge):
        read(data, DOCX, limit=1 * MiB)


def test_xml_entities_are_refused_so_none_can_expand():
    laughs = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
              '<w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>')
    with pytest.raises(ExtractionRefused, match="could not be read"):
        read(zipped({"word/document.xml": laughs.encode()}), DOCX)


def test_a_pdf_stream_that_decompresses_past_the_limit_is_refused_as_too_large():
    many = pdf(["Article " + str(n) + ". " + "x" * 80 for n in range(3000)])  # ~270 KB of page text
    with pytest.raises(TooLarge):
        read(many, PDF, limit=100_000)


def test_a_scan_has_no_text_and_says_accord_does_no_ocr():
    with pytest.raises(NoText, match="no OCR") as refused:
        read(b"\x89PNG\r\n\x1a\n", "image/png")
    assert refused.value.rule == "no_text"


def test_a_broken_pdf_is_refused_with_a_reason():
    with pytest.raises(ExtractionRefused, match="PDF"):
        read(b"%PDF-1.4\n garbage", PDF)


def test_in_a_child_process_the_paragraphs_come_back_and_a_refusal_keeps_its_rule():
    assert sandbox.extract([docx(CLAUSES)[:100], docx(CLAUSES)[100:]], DOCX) == CLAUSES
    bomb = zipped({"word/document.xml": b" " * (64 * MiB)})
    with pytest.raises(TooLarge):
        sandbox.extract([bomb], DOCX)


def test_a_child_process_that_has_not_answered_by_the_deadline_is_ended_and_refused_as_timed_out():
    started = time.monotonic()
    with pytest.raises(TimedOut) as refused:
        sandbox.extract([pdf(CLAUSES * 200)], PDF, timeout=0.05)
    assert refused.value.rule == "extraction_timed_out"
    assert time.monotonic() - started < 5
