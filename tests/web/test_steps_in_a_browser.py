"""Taking an agreement through its lifecycle in a real browser: Debian's Chromium driven by Playwright, against a
real gunicorn (two workers) on SQLite and on PostgreSQL, one server per backend for the whole module.

An IR officer and two legal officers take an agreement from drafting to in force through the forms alone (the
person who attached the text is not offered its review, another legal officer is, and four eyes are refused
visibly when forced), with JavaScript and without; a stale form; a form sent twice (one event); keyboard-only
use; sign-out and revocation ending a session that has a form open; a cross-site POST of a step without the
CSRF token; and axe-core on the step pages (no serious or critical violation).

Screenshots go to ``var/screenshots/web/<backend>/steps-*.png`` (or under ``$ACCORD_SCREENSHOTS``), with
``accessibility-steps.json``: each page's violations by impact.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import Page, expect

from bootstrap import create_app
from bootstrap.services import Services
from domain.values import Role
from storage.settings import storage_env
from tests.storage.stores import fresh_store
from tests.web.conftest import OPERATOR, PEOPLE, password_of
from tests.web.served import Site, gunicorn
from tests.web.test_in_a_browser import AXE_TAGS, SCREENSHOTS, Store, browser, chromium, shoot, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]
__all__ = ["browser", "chromium"]  # fixtures shared with test_in_a_browser.py

STAFF = {**PEOPLE, "dmitri": Role.IR_OFFICER, "carla": Role.LEGAL_OFFICER, "hugo": Role.LEGAL_OFFICER}
ID = re.compile(r"/agreements/([0-9a-f-]{36})")


@contextlib.contextmanager
def staffed_store(backend: str, folder: Path, staff: dict[str, Role]) -> Iterator[Store]:
    """A fresh store with ``staff`` (name -> role) and their passwords, and nothing else."""
    with fresh_store(backend, folder) as settings:
        app = create_app({"CREATE_TABLES": True, "STORAGE": settings, "PROJECTIONS_IN_PROCESS": False})
        try:
            for name, role in staff.items():
                app.extensions["accord"].signin.add_user(OPERATOR, name, role)
                app.extensions["accord"].signin.set_password(OPERATOR, name, password_of(name))
        finally:
            app.extensions["accord"].close()
        yield Store(settings, backend, frozenset())


@pytest.fixture(scope="module", params=("sqlite", "postgres"))
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A fresh store for this module, with the staff and their passwords."""
    with staffed_store(request.param, tmp_path_factory.mktemp("steps"), STAFF) as store:
        yield store


@pytest.fixture(scope="module")
def site(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with gunicorn(store.settings, tmp_path_factory.mktemp("gunicorn")) as served:
        yield served
    assert not served.failures(), served.log()


@pytest.fixture(scope="module")
def stored(store: Store) -> Iterator[Services]:
    """The store itself, read beside the server (never through it)."""
    services = Services(storage_env({}, store.settings))
    yield services
    services.close()


def events_of(stored: Services, agreement_id: UUID) -> list[str]:
    return [type(e).__name__ for e in stored.app.events.get(agreement_id)]


def head(stored: Services) -> int:
    return stored.app.recorder.max_notification_id() or 0


def person(browser: Any, site: Site, name: str, javascript: bool = True) -> Page:
    page = browser(javascript=javascript).new_page()
    sign_in(page, site, name)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def new_agreement(page: Page, site: Site, title: str) -> UUID:
    page.goto(site.url + "/agreements/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind", exact=True).select_option(label="Protocol")
    first = page.get_by_role("group", name="Counterparty 1")
    first.get_by_label("Name").fill("Republic of Chile")
    first.get_by_label("Kind of party").select_option(label="State")
    first.get_by_label("Country").fill("CL")
    page.get_by_role("button", name="Create agreement").click()
    expect(page.get_by_role("status").filter(has_text=f"{title}: created.")).to_be_visible()
    return UUID(ID.search(page.url).group(1))


def steps(page: Page, site: Site, agreement_id: UUID) -> Page:
    page.goto(f"{site.url}/agreements/{agreement_id}/steps")
    expect(page.get_by_role("heading", name="What you can do now")).to_be_visible()
    return page


def take(page: Page, site: Site, agreement_id: UUID, step: str, **fields: Any) -> None:
    """Open the steps page, fill the step's form (labels are the fields' names in words) and send it."""
    steps(page, site, agreement_id)
    form = page.get_by_role("form", name=step)
    for label, value in fields.items():
        field = form.get_by_label(label, exact=True)
        if isinstance(value, dict):
            field.set_input_files(value)
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    form.get_by_role("button", name=step).click()
    expect(page.get_by_role("status").filter(has_text=f"{step}: recorded")).to_be_visible()


def text_file(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": f"%PDF-1.7 {name}".encode()}


def lifecycle(browser: Any, site: Site, store: Store, stored: Services, javascript: bool) -> None:
    shots = "steps" if javascript else "steps-nojs"
    alice, bruno, carla = (person(browser, site, name, javascript) for name in ("alice", "bruno", "carla"))
    agreement_id = new_agreement(alice, site, f"Cooperation with Chile ({shots})")
    shoot(alice, store, f"{shots}-drafting-ir")

    take(bruno, site, agreement_id, "Attach text", Document=text_file("ica-chile-v1.pdf"))
    take(alice, site, agreement_id, "Request legal review", Reference="LS/2025/7")

    steps(bruno, site, agreement_id)
    expect(bruno.get_by_role("form", name="Complete legal review")).to_have_count(0)
    expect(bruno.get_by_role("listitem").filter(has_text="Complete legal review")).to_have_text(
        "Complete legal review: waits for another legal officer: you attached this text")
    shoot(bruno, store, f"{shots}-review-not-offered")
    before = head(stored)
    bruno.goto(f"{site.url}/agreements/{agreement_id}/steps/complete_legal_review")
    bruno.get_by_label("Outcome").select_option(label="Cleared")
    bruno.get_by_role("button", name="Complete legal review").click()
    expect(bruno.get_by_role("alert")).to_contain_text(
        "The text must be reviewed by someone other than who attached it")
    expect(bruno.get_by_label("Outcome")).to_have_value("cleared")
    shoot(bruno, store, f"{shots}-four-eyes-refused")
    assert head(stored) == before

    take(carla, site, agreement_id, "Complete legal review", Outcome="Cleared", Comments="Fine.")
    take(alice, site, agreement_id, "Open negotiation")
    take(alice, site, agreement_id, "Record round", **{"Held on": "2025-01-20", "Summary": "Kick-off in Santiago"})
    take(alice, site, agreement_id, "Finalise text")
    take(alice, site, agreement_id, "Record signature", Party="CERN", Signatory="Director-General",
         **{"Signed on": "2025-03-01"})
    steps(bruno, site, agreement_id)
    expect(bruno.get_by_text("Enter into force: waits for the signature of Republic of Chile")).to_be_visible()
    shoot(bruno, store, f"{shots}-waits-for-signature")
    take(carla, site, agreement_id, "Record signature", Party="Republic of Chile", Signatory="Minister",
         **{"Signed on": "2025-03-04"})
    take(bruno, site, agreement_id, "Enter into force", **{"Effective on": "2025-04-01"})
    shoot(bruno, store, f"{shots}-in-force")

    agreement = stored.agreements.get(agreement_id)
    assert (agreement.stage.value, agreement.status.value, agreement.reviewed_by) == (
        "implementation", "in_force", "carla")
    assert events_of(stored, agreement_id) == [
        "Created", "TextAttached", "LegalReviewRequested", "LegalReviewCompleted", "NegotiationOpened",
        "RoundRecorded", "TextFinalised", "SignatureRecorded", "SignatureRecorded", "EnteredIntoForce"]


def test_an_agreement_goes_from_drafting_to_in_force_through_the_forms(site, store, stored, browser):
    lifecycle(browser, site, store, stored, javascript=True)


def test_the_same_journey_works_without_javascript(site, store, stored, browser):
    lifecycle(browser, site, store, stored, javascript=False)


def test_a_stale_form_records_nothing_and_says_who_changed_the_agreement(site, store, stored, browser):
    alice, dmitri = person(browser, site, "alice"), person(browser, site, "dmitri")
    agreement_id = new_agreement(alice, site, "Stale form")
    steps(alice, site, agreement_id)  # alice's form is drawn at version 1
    take(dmitri, site, agreement_id, "Attach text", Document=text_file("dmitri.pdf"))
    before = head(stored)

    form = alice.get_by_role("form", name="Withdraw")
    form.get_by_label("Reason").fill("Superseded by the framework agreement")
    form.get_by_role("button", name="Withdraw").click()

    expect(alice.get_by_role("alert")).to_contain_text("Changed meanwhile by dmitri: review and submit again")
    expect(alice.get_by_label("Reason")).to_have_value("Superseded by the framework agreement")
    shoot(alice, store, "steps-stale-form")
    assert head(stored) == before
    alice.get_by_role("button", name="Withdraw").click()  # reviewed: the form drawn again is current
    expect(alice.get_by_role("status").filter(has_text="Withdraw: recorded")).to_be_visible()
    assert events_of(stored, agreement_id)[-1] == "Withdrawn"


def test_a_form_sent_twice_records_one_event(site, store, stored, browser):
    alice = person(browser, site, "alice")
    agreement_id = new_agreement(alice, site, "Sent twice")
    take(alice, site, agreement_id, "Attach text", Document=text_file("twice.pdf"))
    steps(alice, site, agreement_id)
    form = alice.get_by_role("form", name="Request legal review")
    form.get_by_label("Reference").fill("LS/2025/9")
    sent = form.evaluate("f => ({action: f.action, fields: Object.fromEntries(new FormData(f))})")
    form.get_by_role("button", name="Request legal review").dblclick()
    expect(alice.get_by_role("status").filter(has_text="Request legal review: recorded")).to_be_visible()
    again = alice.request.post(sent["action"], form=sent["fields"], max_redirects=0)  # the page sent again
    assert again.status == 303
    assert events_of(stored, agreement_id).count("LegalReviewRequested") == 1


def test_steps_by_keyboard_alone(site, store, stored, browser):
    page = browser().new_page()
    page.goto(site.url + "/sign-in")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(password_of("alice"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My desk")
    agreement_id = new_agreement(page, site, "By keyboard")
    steps(page, site, agreement_id)
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()"))
        if reached[-1] == "withdraw-reason":
            page.keyboard.type("Typed without a mouse")
        if reached[-1] == "Withdraw":
            break
    assert "withdraw-reason" in reached and reached[-1] == "Withdraw", reached
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Withdraw: recorded")).to_be_visible()
    assert stored.agreements.get(agreement_id).status.value == "withdrawn"


def test_signing_out_and_revocation_end_a_session_whose_form_is_open(site, store, stored, browser):
    alice = person(browser, site, "alice")
    agreement_id = new_agreement(alice, site, "Open forms")
    other_tab = alice.context.new_page()
    steps(other_tab, site, agreement_id)
    hugo = person(browser, site, "hugo")
    steps(hugo, site, agreement_id)
    before = events_of(stored, agreement_id)

    alice.get_by_role("button", name="Sign out").click()
    other_tab.get_by_role("button", name="Withdraw").click()
    expect(other_tab.get_by_role("heading", level=1)).to_have_text("Form refused")  # its token ended too
    steps_url = f"{site.url}/agreements/{agreement_id}/steps"
    other_tab.goto(steps_url)
    expect(other_tab.get_by_role("heading", level=1)).to_have_text("Sign in")

    stored.signin.revoke(OPERATOR, "hugo")
    hugo.get_by_role("form", name="Attach text").get_by_label("Document").set_input_files(
        text_file("late.pdf"))
    hugo.get_by_role("button", name="Attach text").click()
    expect(hugo.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert events_of(stored, agreement_id) == before == ["Created"]


def test_a_cross_site_post_of_a_step_without_the_csrf_token_is_refused_and_records_nothing(site, store, stored,
                                                                                           browser):
    alice = person(browser, site, "alice")
    agreement_id = new_agreement(alice, site, "Cross-site")
    action = f"{site.url}/agreements/{agreement_id}/steps/withdraw"
    attack = (f'<!doctype html><html lang="en"><title>Win a prize</title><form method="post" action="{action}">'
              f'<input name="version" value="1"></form><script>document.forms[0].submit()</script></html>').encode()

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(attack)

        def log_message(self, *args: Any) -> None:
            pass

    other = http.server.HTTPServer(("127.0.0.1", 0), Attacker)  # another origin (another port)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        before = head(stored)
        with alice.expect_response(action) as answer:
            alice.goto(f"http://127.0.0.1:{other.server_port}/")
        assert answer.value.status == 400
        expect(alice.get_by_role("heading", level=1)).to_have_text("Form refused")
        assert head(stored) == before
    finally:
        other.shutdown()
        other.server_close()
    assert stored.agreements.get(agreement_id).status.value == "draft"


def test_the_step_pages_have_no_serious_or_critical_accessibility_violation(site, store, stored, browser):
    figures: dict[str, dict[str, int]] = {}
    serious: dict[str, list[str]] = {}

    def check(page: Page, name: str) -> None:
        shoot(page, store, name)
        violations = page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))", AXE_TAGS)
        figures[name] = {}
        for violation in violations:
            figures[name][violation["impact"]] = figures[name].get(violation["impact"], 0) + violation["nodes"]
            if violation["impact"] in ("serious", "critical"):
                serious.setdefault(name, []).append(f"{violation['id']} ({violation['nodes']})")

    alice, bruno = person(browser, site, "alice"), person(browser, site, "bruno")
    alice.goto(site.url + "/agreements/new")
    check(alice, "steps-new-agreement")
    alice.get_by_role("button", name="Create agreement").click()
    check(alice, "steps-new-agreement-errors")
    alice.goto(site.url + "/enlargements/new")
    check(alice, "steps-new-enlargement")
    agreement_id = new_agreement(alice, site, "Accessible")
    check(alice, "steps-panel-ir")
    take(alice, site, agreement_id, "Attach text", Document=text_file("a11y.pdf"))
    take(alice, site, agreement_id, "Request legal review")
    steps(bruno, site, agreement_id)
    check(bruno, "steps-panel-legal")
    bruno.get_by_role("form", name="Complete legal review").get_by_role("button").click()
    check(bruno, "steps-step-errors")
    alice.goto(f"{site.url}/agreements/{agreement_id}/steps/complete_legal_review")
    check(alice, "steps-not-for-you")

    (SCREENSHOTS / store.backend / "accessibility-steps.json").write_text(json.dumps(figures, indent=2,
                                                                                    sort_keys=True))
    assert not serious, f"serious or critical accessibility violations: {serious}"
    assert len(figures) == 7
