"""The pages in a real browser: Debian's Chromium driven by Playwright, against a real gunicorn (two workers)
on SQLite and on PostgreSQL. Keyboard-only sign-in, each role's home, sign-out and revocation ending a session
at once, a cross-site form refused with nothing recorded, pages that work without JavaScript, and an
accessibility check (axe-core, vendored) of every page with no serious or critical violation.

Screenshots of every page go to ``var/screenshots/web/<backend>/`` (or ``$ACCORD_SCREENSHOTS/web/<backend>/``),
with ``accessibility.json``: each page's violations by impact.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bootstrap import create_app
from bootstrap.services import Services
from storage.settings import storage_env
from tests.storage.stores import fresh_store
from tests.web import stories
from tests.web.conftest import OPERATOR, PEOPLE, password_of
from tests.web.served import ROOT, Site, gunicorn, launch_chromium
from web.navigation import NAVIGATION

pytestmark = [pytest.mark.slow, pytest.mark.browser]

BACKENDS = ("sqlite", "postgres")
FOCUSED_NAME = ("() => { const e = document.activeElement;"
                " return e.labels && e.labels.length ? e.labels[0].textContent : e.textContent.trim() }")
"""The focused element's label, or its text: what a keyboard user is on."""
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SCREENSHOTS = Path(os.environ.get("ACCORD_SCREENSHOTS") or ROOT / "var" / "screenshots") / "web"
HOMES = {"alice": "My desk", "bruno": "Legal review queue", "eva": "Journal", "farid": "Dashboard", "gwen": "Users"}
EVERYONE = ("alice", "bruno", "eva", "farid")
CHILE = "International Co-operation Agreement between CERN and the Republic of Chile"
MONGOLIA = "International Co-operation Agreement between CERN and Mongolia"
UI_NAVIGATION = {  # UI.md, "Who sees what": the header's links each role may see
    "alice": ["Agreements", "Enlargements", "Participation", "Dashboard"],
    "bruno": ["Agreements", "Enlargements", "Participation", "Dashboard"],
    "eva": ["Agreements", "Enlargements", "Participation", "Dashboard", "Journal"],
    "farid": ["Agreements", "Enlargements", "Participation", "Dashboard", "Journal"],
    "gwen": ["Users"],
}


# ---- the store, the server, the browser ----------------------------------------------------------------

@dataclass(frozen=True)
class Store:
    """The store a module's server runs on: its settings, its backend, and which pages of the navigation
    exist in this version (the header links only to those)."""

    settings: dict[str, str]
    backend: str
    pages_built: frozenset[str]
    chile: str = ""
    slovenia: str = ""


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A fresh store for this module's tests, with the test people and their passwords."""
    with fresh_store(request.param, tmp_path_factory.mktemp("browser")) as settings:
        app = create_app({"CREATE_TABLES": True, "STORAGE": settings, "PROJECTIONS_IN_PROCESS": False})
        try:
            for name, role in {**PEOPLE, "dmitri": PEOPLE["alice"]}.items():
                app.extensions["accord"].signin.add_user(OPERATOR, name, role)
                app.extensions["accord"].signin.set_password(OPERATOR, name, password_of(name))
            built = frozenset(link.label for link in NAVIGATION if link.endpoint in app.view_functions)
            services = app.extensions["accord"]
            chile = stories.agreements(services)[CHILE]
            slovenia = stories.enlargement(services, "Slovenia", "SI", "associate_member_pre_stage", "2016-07-21",
                                           in_force_on="2017-07-04").id
            stories.enlargement(services, "Chile", "CL", "associate_member", "2024-03-01")
            services.signin.set_password(OPERATOR, "carla", password_of("carla"))
            services.projections.catch_up()
        finally:
            app.extensions["accord"].close()
        yield Store(settings, request.param, built, str(chile), str(slovenia))


@pytest.fixture(scope="module")
def site(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with gunicorn(store.settings, tmp_path_factory.mktemp("gunicorn")) as served:
        yield served
    assert not served.failures(), served.log()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256, "the vendored axe-core changed"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium: Browser) -> Iterator[Any]:
    """browser(javascript=True) -> a new context (cookies of its own) with axe-core ready in every page."""
    contexts: list[BrowserContext] = []

    def open_context(javascript: bool = True) -> BrowserContext:
        context = chromium.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
        context.add_init_script(path=str(AXE))
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def shoot(page: Page, store: Store, name: str) -> Path:
    folder = SCREENSHOTS / store.backend
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, site: Site, name: str, password: str | None = None) -> None:
    page.goto(site.url + "/sign-in")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password or password_of(name))
    page.get_by_role("button", name="Sign in").click()


def stored_head(store: Store) -> int:
    """The position of the last event, read from the store itself (not through the server)."""
    services = Services(storage_env({}, store.settings))
    try:
        return services.app.recorder.max_notification_id() or 0
    finally:
        services.close()


# ---- the tests -----------------------------------------------------------------------------------------

def test_signing_in_with_the_keyboard_alone(site, store, browser):
    page = browser().new_page()
    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/sign-in")
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUSED_NAME))
        if order[-1] == "Username":
            style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                                  " return [s.outlineStyle, s.outlineWidth, s.outlineColor] }")
            assert style == ["solid", "3px", "rgb(255, 221, 0)"], "the focused field shows it"
            page.keyboard.type("alice")
        elif order[-1] == "Password":
            page.keyboard.type(password_of("alice"))
    assert order == ["Skip to main content", "Accord", "Username", "Password", "Sign in"]
    shoot(page, store, "sign-in-keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My desk")
    # and out again, by keyboard: the "Sign out" button is reached by Tab
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Sign out":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_each_role_lands_on_its_home_with_the_links_it_may_use(site, store, browser):
    for name, heading in HOMES.items():
        page = browser().new_page()
        sign_in(page, site, name)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        navigation = page.get_by_role("navigation", name="Main").get_by_role("link")
        expected = [label for label in UI_NAVIGATION[name] if label in store.pages_built]
        assert navigation.all_inner_texts() == expected, name
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        shoot(page, store, f"home-{name}")


def test_signing_out_ends_the_session_at_once_and_back_shows_no_page(site, store, browser):
    page = browser().new_page()
    sign_in(page, site, "bruno")
    expect(page.get_by_role("heading", level=1)).to_have_text("Legal review queue")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    shoot(page, store, "signed-out")
    page.go_back()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_revocation_on_the_users_page_ends_a_session_in_another_browser_at_once(site, store, browser):
    dmitri = browser().new_page()
    sign_in(dmitri, site, "dmitri")
    expect(dmitri.get_by_role("heading", level=1)).to_have_text("My desk")
    gwen = browser().new_page()
    sign_in(gwen, site, "gwen")
    gwen.get_by_role("link", name="Revoke dmitri").click()
    expect(gwen.get_by_role("heading", level=1)).to_have_text("Revoke dmitri?")
    shoot(gwen, store, "revoke-confirm")
    gwen.get_by_role("button", name="Revoke dmitri").click()
    expect(gwen.get_by_role("status")).to_contain_text("Revoked dmitri")
    dmitri.reload()
    expect(dmitri.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in(dmitri, site, "dmitri")
    expect(dmitri.get_by_text("Wrong username or password")).to_have_count(2)  # summary and field


def test_a_cross_site_post_without_the_csrf_token_is_refused_and_records_nothing(site, store, browser):
    page = browser().new_page()
    sign_in(page, site, "gwen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    attack = (f'<!doctype html><html lang="en"><title>Win a prize</title><form method="post" '
              f'action="{site.url}/users"><input name="username" value="mallory"><input name="role" value="admin">'
              f'</form><script>document.forms[0].submit()</script></html>').encode()

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
        before = stored_head(store)
        with page.expect_response(f"{site.url}/users") as answer:
            page.goto(f"http://127.0.0.1:{other.server_port}/")
        assert answer.value.status == 400
        expect(page.get_by_role("heading", level=1)).to_have_text("Form refused")
        shoot(page, store, "form-refused")
        assert stored_head(store) == before
    finally:
        other.shutdown()
        other.server_close()
    page.goto(site.url + "/users")
    expect(page.get_by_role("row", name=re.compile("mallory"))).to_have_count(0)


def test_signing_in_and_out_works_without_javascript(site, store, browser):
    page = browser(javascript=False).new_page()
    sign_in(page, site, "farid")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_every_page_has_no_serious_or_critical_accessibility_violation(site, store, browser):
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

    page = browser().new_page()
    page.goto(site.url + "/sign-in")
    check(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    check(page, "sign-in-errors")
    for name in EVERYONE:
        visitor = browser().new_page()
        sign_in(visitor, site, name)
        check(visitor, f"home-{name}")
    alice = browser().new_page()
    sign_in(alice, site, "alice")
    alice.goto(site.url + "/users")
    check(alice, "forbidden")
    alice.goto(site.url + "/no-such-page")
    check(alice, "not-found")
    alice.goto(site.url + "/account/password")
    check(alice, "password")
    alice.get_by_role("button", name="Change password").click()
    check(alice, "password-errors")
    alice.goto(site.url + "/account/calendar")
    check(alice, "calendar")
    alice.get_by_role("button", name="Make a calendar address").click()
    check(alice, "calendar-address")

    for path, name in (("/agreements?stage=implementation&sort=title", "agreements"),
                       ("/agreements?country=Chile", "agreements-errors"),
                       (f"/agreements/{store.chile}", "agreement"),
                       (f"/agreements/{store.chile}?version=2", "agreement-version"),
                       (f"/agreements/{store.chile}?from=1&to=4", "agreement-diff"),
                       ("/enlargements", "enlargements"), (f"/enlargements/{store.slovenia}", "enlargement"),
                       ("/participation?on=2025-06-01", "register"), ("/participation/SI", "party"),
                       ("/dashboard", "dashboard")):
        alice.goto(site.url + path)
        check(alice, name)
    eva = browser().new_page()
    sign_in(eva, site, "eva")
    eva.goto(site.url + "/audit/verify")
    check(eva, "verify")
    eva.get_by_role("button", name="Check digest").click()
    check(eva, "verify-errors")

    gwen = browser().new_page()
    sign_in(gwen, site, "gwen")
    check(gwen, "users")
    gwen.get_by_role("button", name="Add user").click()
    check(gwen, "users-errors")
    invited = f"ines{store.backend}"
    gwen.get_by_label("Username").fill(invited)
    gwen.get_by_label("Role").select_option(label="Auditor")
    gwen.get_by_role("button", name="Add user").click()
    check(gwen, "users-invitation")
    link = gwen.get_by_role("status").get_by_role("link").get_attribute("href")
    gwen.goto(f"{site.url}/users/{invited}/revoke")
    check(gwen, "revoke")

    newcomer = browser().new_page()
    newcomer.goto(link)
    check(newcomer, "invitation")
    newcomer.get_by_role("button", name="Set password").click()
    check(newcomer, "invitation-errors")
    newcomer.get_by_label("New password", exact=True).fill("a newcomer's long password")
    newcomer.get_by_label("New password again").fill("a newcomer's long password")
    newcomer.get_by_role("button", name="Set password").click()
    check(newcomer, "invitation-done")
    newcomer.goto(link)
    check(newcomer, "invitation-used")

    folder = SCREENSHOTS / store.backend
    (folder / "accessibility.json").write_text(json.dumps(figures, indent=2, sort_keys=True))
    assert not serious, f"serious or critical accessibility violations: {serious}"
    assert len(figures) >= 30


def test_each_roles_journey_through_the_read_pages(site, store, browser):
    """An IR officer finds an agreement from the list; a legal officer opens a review from the queue;
    management reads the register on a date and a party's page, then prints an agreement; an auditor
    verifies the store and checks the digest saved."""
    alice = browser().new_page()
    sign_in(alice, site, "alice")
    expect(alice.get_by_role("heading", level=1)).to_have_text("My desk")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Agreements").click()
    alice.get_by_label("Stage").select_option(label="Implementation")
    alice.get_by_role("button", name="Filter").click()
    expect(alice.get_by_role("status")).to_contain_text("2 agreements match")
    shoot(alice, store, "journey-agreements-filtered")
    alice.get_by_role("link", name=CHILE).click()
    expect(alice.get_by_role("heading", level=1)).to_have_text(CHILE)
    expect(alice.get_by_role("list", name="Stage").locator("[aria-current=step]")).to_contain_text("Implementation")
    alice.get_by_label("Compare version", exact=True).fill("1")
    alice.get_by_label("with version", exact=True).fill("2")
    alice.get_by_role("button", name="Compare").click()
    expect(alice.get_by_role("heading", name="What changed from version 1 to version 2")).to_be_visible()
    shoot(alice, store, "journey-agreement-diff")

    bruno = browser().new_page()
    sign_in(bruno, site, "bruno")
    expect(bruno.get_by_role("heading", level=1)).to_have_text("Legal review queue")
    bruno.get_by_role("link", name=MONGOLIA).click()
    expect(bruno.get_by_role("heading", level=1)).to_have_text(MONGOLIA)

    farid = browser(javascript=False).new_page()
    sign_in(farid, site, "farid")
    expect(farid.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(farid.get_by_role("img", name=re.compile("Agreements by stage"))).to_be_visible()
    farid.get_by_role("navigation", name="Main").get_by_role("link", name="Participation").click()
    farid.get_by_label("On", exact=True).fill("2025-06-01")
    farid.get_by_role("button", name="Show").click()
    expect(farid.get_by_role("img", name=re.compile("Every state.s status since 1954"))).to_be_visible()
    shoot(farid, store, "journey-register")
    farid.get_by_role("link", name="Slovenia").click()
    expect(farid.get_by_role("heading", level=1)).to_contain_text("Slovenia")
    farid.goto(f"{site.url}/agreements/{store.chile}")
    farid.emulate_media(media="print")
    expect(farid.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(farid.get_by_role("heading", level=1)).to_have_text(CHILE)
    shoot(farid, store, "agreement-print")

    eva = browser().new_page()
    sign_in(eva, site, "eva")
    expect(eva.get_by_role("heading", level=1)).to_have_text("Journal")
    eva.get_by_role("link", name="Verify the event store").click()
    expect(eva.get_by_role("heading", name="Every event verifies")).to_be_visible()
    position, digest = eva.locator("#digest-position").inner_text(), eva.locator("#digest-hash").inner_text()
    eva.get_by_label("Position").fill(position)
    eva.get_by_label("Hash").fill(digest)
    eva.get_by_role("button", name="Check digest").click()
    expect(eva.get_by_role("heading", name="The saved digest matches")).to_be_visible()
    shoot(eva, store, "journey-digest-checked")
