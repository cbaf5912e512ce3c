"""The deadlines in the pages (Flask's test client): each officer's desk ("My deadlines", soonest first), the
dashboard (the next 90 days) and the agreement's page (its term, its notice, its dates)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from tests.time.helpers import agreement_in_force, caught_up
from tests.web.conftest import people, services, signed_in, site, visitor  # noqa: F401 - the pages' fixtures

TODAY = datetime.now(UTC).date()


@pytest.fixture
def agreements(services, people):  # noqa: F811
    """Two agreements alice created and bruno put into force: one renewing tacitly in 60 days, one expiring in
    200 days (beyond the dashboard's 90)."""
    soon = agreement_in_force(services, title="Renews soon", expires_on=(TODAY + timedelta(days=60)).isoformat(),
                              renewal_rule="tacit", renewal_period_months=60, notice_period_months=1)
    later = agreement_in_force(services, title="Ends later", expires_on=(TODAY + timedelta(days=200)).isoformat(),
                               renewal_rule="none")
    caught_up(services)
    return soon, later


def rows(html: str, heading: str) -> list[tuple[str, str, str]]:
    """(due date, what, title) of each row of the deadlines table under ``heading``."""
    section = re.search(rf'<h2 id="deadlines-title">{heading}.*?</section>', html, re.S)
    assert section, heading
    return [(due, what, title) for due, what, title in re.findall(
        r'<tr><td><time datetime="([0-9-]+)">.*?<th scope="row">([^<]+)</th><td><a href="[^"]+">([^<]+)</a>',
        section.group(0), re.S)]


def test_each_officers_desk_lists_their_deadlines_soonest_first(visitor, agreements):  # noqa: F811
    expected = [("Notice window closes", "Renews soon"), ("Renewal", "Renews soon"), ("Expiry", "Ends later")]
    for name in ("alice", "bruno"):
        html = signed_in(visitor, name).get("/").get_data(as_text=True)
        found = rows(html, "My deadlines")
        assert [(what, title) for _, what, title in found] == expected, name
        assert [due for due, _, _ in found] == sorted(due for due, _, _ in found)
        assert found[-1][0] == (TODAY + timedelta(days=200)).isoformat()
        assert "My deadlines <span class=\"hint\">(3)</span>" in html


def test_the_dashboard_lists_the_next_90_days(visitor, agreements):  # noqa: F811
    html = signed_in(visitor, "farid").get("/dashboard").get_data(as_text=True)
    assert [(what, title) for _, what, title in rows(html, "Deadlines in the next 90 days")] == [
        ("Notice window closes", "Renews soon"), ("Renewal", "Renews soon")]


def test_the_agreement_page_shows_its_term_notice_and_deadlines(visitor, services, agreements):  # noqa: F811
    soon, _ = agreements
    soon.step("bruno", "give_notice", party="Republic of Chile", given_on=TODAY.isoformat(), addressed_to="CERN",
              reference="NV-2026-7")
    caught_up(services)
    html = signed_in(visitor, "alice").get(f"/agreements/{soon.id}").get_data(as_text=True)
    assert "renewed tacitly for 60 months at a time unless notice is given at least 1 month before expiry" in html
    assert "by Republic of Chile to CERN on" in html and "NV-2026-7" in html
    section = re.search(r'<h2 id="deadlines-title">Deadlines</h2>.*?</section>', html, re.S).group(0)
    assert "Expiry" in section and "notice given on" in section and "Renewal" not in section


def test_a_new_agreement_is_created_with_its_term_from_the_form(visitor, services, people):  # noqa: F811
    alice = signed_in(visitor, "alice")
    form = {"title": "Co-operation with Chile", "kind": "international_cooperation_agreement",
            "counterparties-0-name": "Republic of Chile", "counterparties-0-kind": "state",
            "counterparties-0-country": "CL", "initial_period_months": "60", "renewal_rule": "tacit",
            "notice_period_months": "6"}
    refused = alice.submit("/agreements/new", {**form, "notice_period_months": "six"})
    assert refused.status_code == 422 and 'id="notice_period_months-error"' in refused.get_data(as_text=True)

    created = alice.submit("/agreements/new", form)

    assert created.status_code == 303
    agreement = services.agreements.get(UUID(created.headers["Location"].rsplit("/", 1)[-1]))
    assert (agreement.initial_period_months, agreement.renewal_rule, agreement.notice_period_months) == (60, "tacit", 6)
