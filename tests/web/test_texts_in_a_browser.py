"""Comparing drafts in a real browser: an IR officer attaches two drafts of an agreement through the attach-text
form with real files (a PDF, then a DOCX that changes a few clauses), opens the agreement, chooses "Compare
texts" and sees the redline: the changed clause's words marked inserted and deleted, the removed clause
struck through, the new one added. The compare page passes axe-core with no violation at all.

Real gunicorn (tests/web/served.py) on SQLite and PostgreSQL, Debian's Chromium through Playwright.
Screenshots: ``var/screenshots/web/<backend>/texts-compare.png`` (or under ``$ACCORD_SCREENSHOTS``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from bootstrap.seed.drafts import docx, pdf
from tests.documents import samples
from tests.web.conftest import PEOPLE
from tests.web.test_in_a_browser import AXE_TAGS, Store, browser, chromium, shoot
from tests.web.test_steps_in_a_browser import new_agreement, person, site, staffed_store, take

pytestmark = [pytest.mark.slow, pytest.mark.browser]
__all__ = ["browser", "chromium", "site"]  # fixtures shared with test_in_a_browser.py and test_steps_in_a_browser.py

DRAFT_1 = ["Article 1. Purpose. The Parties shall cooperate in high-energy physics and computing.",
           "Article 2. Costs. Each Party bears its own costs.",
           "Article 3. Languages. This Agreement is drawn up in English and French.",
           "Article 4. Duration. Five years, renewable by tacit agreement."]
DRAFT_2 = ["Article 1. Purpose. The Parties shall cooperate in high-energy physics and computing.",
           "Article 2. Costs. Each Party bears its own costs, save as otherwise agreed in writing.",
           "Article 4. Duration. Five years, renewable by tacit agreement.",
           "Article 5. Entry into force. On the date of the last signature."]


@pytest.fixture(scope="module", params=("sqlite", "postgres"))
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with staffed_store(request.param, tmp_path_factory.mktemp("texts"), PEOPLE) as store:
        yield store


def a_file(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def test_an_officer_attaches_two_drafts_and_sees_the_changed_clauses_marked(site, store, browser):
    alice = person(browser, site, "alice")
    agreement_id = new_agreement(alice, site, "Drafts compared")
    take(alice, site, agreement_id, "Attach text", Document=a_file("draft-1.pdf", "application/pdf", pdf(DRAFT_1)))
    take(alice, site, agreement_id, "Attach text", Document=a_file(
        "draft-2.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx(DRAFT_2)))

    alice.goto(f"{site.url}/agreements/{agreement_id}")
    form = alice.get_by_role("form", name="Compare texts")
    expect(form.get_by_label("Compare text")).to_contain_text("draft-1.pdf")
    expect(form.get_by_label("with text")).to_contain_text("draft-2.docx")
    form.get_by_role("button", name="Compare texts").click()

    expect(alice.get_by_role("heading", level=1)).to_have_text("Compare texts")
    expect(alice.get_by_text("1 changed, 1 added, 1 removed, 2 unchanged")).to_be_visible()
    changed = alice.locator(".redline__para--replace")
    expect(changed.locator("ins")).to_contain_text("save as otherwise agreed in writing.")
    expect(changed.locator("del")).to_contain_text("costs.")
    expect(alice.locator(".redline__para--delete del")).to_contain_text("Article 3. Languages.")
    expect(alice.locator(".redline__para--insert ins")).to_contain_text("Article 5. Entry into force.")
    expect(alice.locator(".redline__para--delete .redline__tag")).to_have_text("Removed")
    shoot(alice, store, "texts-compare")

    violations = alice.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ' (' + v.impact + ', ' + v.nodes.length + ')')", AXE_TAGS)
    assert violations == []


def test_eva_the_auditor_reads_the_same_redline_and_a_scan_is_said_to_have_no_text(site, store, browser):
    alice = person(browser, site, "alice")
    agreement_id = new_agreement(alice, site, "A scanned draft")
    take(alice, site, agreement_id, "Attach text", Document=a_file("draft-1.pdf", "application/pdf", pdf(DRAFT_1)))
    take(alice, site, agreement_id, "Attach text", Document=a_file("scan.png", "image/png", samples.png()))

    eva = person(browser, site, "eva")
    eva.goto(f"{site.url}/agreements/{agreement_id}")
    eva.get_by_role("form", name="Compare texts").get_by_role("button", name="Compare texts").click()
    expect(eva.get_by_role("alert")).to_contain_text("it has no text to compare (Accord does no OCR)")
    shoot(eva, store, "texts-compare-scan")
