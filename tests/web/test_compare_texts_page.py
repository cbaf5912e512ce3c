"""The compare page, on SQLite and PostgreSQL, through the forms: two drafts attached with real files, the
agreement's page offers "Compare texts" (the two latest preselected), and the page shows the redline with
additions and removals marked in words as well as by style; what cannot be compared is said on the page."""

from __future__ import annotations

import io
import re
from uuid import UUID

from bootstrap.seed.drafts import docx, pdf
from tests.documents import samples
from tests.web.conftest import signed_in
from tests.web.test_step_forms import new_agreement, page_text, take

DRAFT_1 = ["Article 1. Purpose. Cooperation in physics.", "Article 2. Costs. Each Party bears its own costs.",
           "Article 3. Languages. English and French."]
DRAFT_2 = ["Article 1. Purpose. Cooperation in physics.",
           "Article 2. Costs. Each Party bears its own costs, save as agreed in writing.",
           "Article 4. Entry into force. On the last signature."]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OPTION = re.compile(r'<option value="([0-9a-f]{64})"( selected)?>([^<]*)</option>')


def with_drafts(alice, *files: tuple[bytes, str, str]) -> UUID:
    agreement_id = new_agreement(alice)
    for data, name, media_type in files:
        take(alice, agreement_id, "attach_text", document=(io.BytesIO(data), name, media_type))
    return agreement_id


def options(page) -> list[tuple[str, bool, str]]:
    return [(value, bool(selected), text) for value, selected, text in OPTION.findall(page.get_data(as_text=True))]


def test_the_agreement_page_offers_to_compare_its_two_latest_texts(services, people, visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = with_drafts(alice, (pdf(DRAFT_1), "draft-1.pdf", "application/pdf"),
                               (docx(DRAFT_2), "draft-2.docx", DOCX))
    page = alice.get(f"/agreements/{agreement_id}")
    assert 'aria-label="Compare texts"' in page.get_data(as_text=True)
    shown = [(selected, text) for _, selected, text in options(page)]
    assert shown == [(True, "Version 2: draft-1.pdf"), (False, "Version 3: draft-2.docx"),
                     (False, "Version 2: draft-1.pdf"), (True, "Version 3: draft-2.docx")]


def test_the_compare_page_marks_the_changed_clause_word_by_word_and_the_removed_and_added_ones(services, people,
                                                                                               visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = with_drafts(alice, (pdf(DRAFT_1), "draft-1.pdf", "application/pdf"),
                               (docx(DRAFT_2), "draft-2.docx", DOCX))
    first, second = (value for value, selected, _ in options(alice.get(f"/agreements/{agreement_id}")) if selected)
    eva = signed_in(visitor, "eva")
    page = eva.get(f"/agreements/{agreement_id}/texts/compare", query_string={"from": first, "to": second})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<del><span class="visually-hidden">[removed: </span>costs.<' in html
    assert '<ins><span class="visually-hidden">[added: </span>costs, save as agreed in writing.<' in html
    assert '<del><span class="visually-hidden">removed: </span>Article 3. Languages. English and French.</del>' in html
    assert '<ins><span class="visually-hidden">added: </span>Article 4. Entry into force. On the last signature.' \
        in html
    assert "1 changed, 1 added, 1 removed, 1 unchanged" in page_text(page)


def test_a_text_that_is_not_the_agreements_is_refused_beside_the_field(services, people, visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = with_drafts(alice, (pdf(DRAFT_1), "draft-1.pdf", "application/pdf"),
                               (docx(DRAFT_2), "draft-2.docx", DOCX))
    page = alice.get(f"/agreements/{agreement_id}/texts/compare", query_string={"from": "0" * 64, "to": "nonsense"})
    assert page.status_code == 400
    text = page_text(page)
    assert "There is a problem" in text
    assert "Compare text: Choose one of this agreement's texts." in text
    assert "with text: Choose one of this agreement's texts." in text


def test_a_scan_is_said_to_have_no_text_and_an_agreement_with_one_text_offers_no_comparison(services, people,
                                                                                            visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = with_drafts(alice, (pdf(DRAFT_1), "draft-1.pdf", "application/pdf"))
    assert 'aria-label="Compare texts"' not in alice.get(f"/agreements/{agreement_id}").get_data(as_text=True)
    take(alice, agreement_id, "attach_text", document=(io.BytesIO(samples.png()), "scan.png", "image/png"))
    page = alice.get(f"/agreements/{agreement_id}/texts/compare")
    assert page.status_code == 422
    assert "it has no text to compare (Accord does no OCR)" in page_text(page)


def test_only_readers_of_agreements_reach_the_page(services, people, visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = with_drafts(alice, (pdf(DRAFT_1), "draft-1.pdf", "application/pdf"))
    assert signed_in(visitor, "gwen").get(f"/agreements/{agreement_id}/texts/compare").status_code == 403
    assert visitor().get(f"/agreements/{agreement_id}/texts/compare").status_code == 302
