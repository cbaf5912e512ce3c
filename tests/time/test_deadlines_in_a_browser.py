"""The deadlines in a real browser (Debian's Chromium, Playwright, a real gunicorn): alice's desk lists her
deadlines, the agreement's page its term and dates, and neither has a serious or critical accessibility
violation (axe-core)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from bootstrap import create_app
from domain.values import Role
from tests.storage.stores import fresh_store
from tests.time.helpers import agreement_in_force
from tests.web.conftest import OPERATOR, password_of
from tests.web.served import gunicorn, launch_chromium
from tests.web.test_in_a_browser import AXE, AXE_TAGS, SCREENSHOTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TODAY = datetime.now(UTC).date()


@pytest.fixture(params=("sqlite", "postgres"))
def served(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, str, str]]:
    """(URL, backend, agreement id): gunicorn on a store where alice's agreement renews in 60 days."""
    with fresh_store(request.param, tmp_path) as settings:
        app = create_app({"CREATE_TABLES": True, "STORAGE": settings, "PROJECTIONS_IN_PROCESS": False})
        services = app.extensions["accord"]
        try:
            for name, role in {"alice": Role.IR_OFFICER, "bruno": Role.LEGAL_OFFICER,
                               "dmitri": Role.IR_OFFICER}.items():
                services.signin.add_user(OPERATOR, name, role)
                services.signin.set_password(OPERATOR, name, password_of(name))
            walk = agreement_in_force(services, title="Co-operation with Chile", renewal_rule="tacit",
                                      expires_on=(TODAY + timedelta(days=60)).isoformat(),
                                      renewal_period_months=60, notice_period_months=1)
            services.projections.catch_up()
        finally:
            services.close()
        with gunicorn(settings, tmp_path, workers=1) as site:
            yield site.url, request.param, str(walk.id)


def test_the_desk_and_the_agreement_show_the_deadlines(served):
    url, backend, agreement_id = served
    folder = SCREENSHOTS / backend
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.goto(url + "/sign-in")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(password_of("alice"))
        page.get_by_role("button", name="Sign in").click()

        mine = page.get_by_role("region", name="My deadlines")
        expect(mine.get_by_role("row")).to_have_count(3)  # the header, the notice window closing, the renewal
        expect(mine.get_by_role("rowheader").first).to_have_text("Notice window closes")
        expect(mine.get_by_role("link", name="Co-operation with Chile").first).to_be_visible()
        serious = {"desk": _serious(page)}
        page.screenshot(path=str(folder / "deadlines-desk.png"), full_page=True)

        mine.get_by_role("link", name="Co-operation with Chile").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Co-operation with Chile")
        expect(page.get_by_text("renewed tacitly for 60 months at a time")).to_be_visible()
        expect(page.get_by_role("region", name="Deadlines").get_by_role("rowheader")).to_have_text(
            ["Notice window opens", "Notice window closes", "Renewal"])
        serious["agreement"] = _serious(page)
        page.screenshot(path=str(folder / "deadlines-agreement.png"), full_page=True)
        assert page.url.endswith(agreement_id)
        chromium.close()
    assert serious == {"desk": [], "agreement": []}


def _serious(page) -> list[str]:
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact}))", AXE_TAGS)
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
