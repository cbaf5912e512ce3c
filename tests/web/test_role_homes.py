"""Each role's home through the Flask client, on SQLite and PostgreSQL: an IR officer's desk, a legal
officer's review queue (oldest first, each with its text), the journal for auditors and the dashboard for
management; each a page of a few queries however much there is."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.drafts import draft
from tests.web import stories
from tests.web.conftest import OPERATOR, password_of

MONGOLIA = "International Co-operation Agreement between CERN and Mongolia"
NAIROBI = "Memorandum of Understanding with the University of Nairobi"


@pytest.fixture
def demo(services, people):
    found = stories.agreements(services)
    for name in ("dmitri", "carla"):  # the demo added them
        services.signin.set_password(OPERATOR, name, password_of(name))
    return found


def signed_in(visitor, name):
    browser = visitor()
    assert browser.sign_in(name).status_code == 302
    return browser


def h1(html: str) -> str:
    return re.search(r"<h1>([^<]+)</h1>", html).group(1).strip()


def section(html: str, name: str) -> str:
    return re.search(rf'<section aria-labelledby="{name}-title">(.*?)</section>', html, re.S).group(1)


def test_an_ir_officers_desk(visitor, services, demo):
    html = signed_in(visitor, "dmitri").get("/").get_data(as_text=True)
    assert h1(html) == "My desk"
    mine = section(html, "mine")
    assert MONGOLIA in mine and "Framework agreement on accelerator R&amp;D" in mine
    assert "Protocol to the Chile ICA" not in mine, "dmitri neither created it nor took its last step"
    assert MONGOLIA in section(html, "waiting") and "a legal review" in section(html, "waiting")
    steps = section(html, "steps")
    assert "Request legal review" in steps and "Open negotiation" in steps
    assert "No agreement expires within 180 days." in section(html, "upcoming")
    soon = (date.today() + timedelta(days=30)).isoformat()
    services.agreements.create({"title": "Soon over", "kind": "other", "expires_on": soon,
                                "counterparties": [{"name": "Mongolia", "kind": "state", "country": "MN"}]},
                               stories.IR, stories.StepContext())
    services.projections.catch_up()
    alice = signed_in(visitor, "alice").get("/").get_data(as_text=True)
    assert NAIROBI in section(alice, "mine") and "Soon over" in section(alice, "mine")
    assert re.search(rf"Soon over</a> expires <time datetime=\"{soon}\">", section(alice, "upcoming"))
    assert "Institute for Advanced Detector Studies" not in section(alice, "mine"), "withdrawn: closed"


def test_a_legal_officers_review_queue_oldest_first_with_the_text(visitor, services, demo):
    html = signed_in(visitor, "bruno").get("/").get_data(as_text=True)
    assert h1(html) == "Legal review queue"
    assert "1 legal review waiting" in html
    assert MONGOLIA in html and "Mongolia ICA draft v2" in html and "by dmitri" in html
    assert "attached by carla" in html
    carla = signed_in(visitor, "carla").get("/").get_data(as_text=True)
    assert "you attached it, so another legal officer reviews it" in carla
    nairobi = demo[NAIROBI]
    stories.step(services.agreements, nairobi, stories.IR, "attach_text",
                 document=draft("Nairobi MoU v1"))
    stories.step(services.agreements, nairobi, stories.IR, "request_legal_review")
    services.projections.catch_up()
    html = signed_in(visitor, "bruno").get("/").get_data(as_text=True)
    assert html.index("Mongolia ICA draft v2") < html.index("Nairobi MoU v1"), "the longest waiting first"


def test_the_auditors_home_is_the_journal_and_managements_the_dashboard(visitor, demo):
    eva = signed_in(visitor, "eva").get("/").get_data(as_text=True)
    assert h1(eva) == "Journal" and "Verify the event store" in eva
    farid = signed_in(visitor, "farid").get("/").get_data(as_text=True)
    assert h1(farid) == "Dashboard" and 'aria-labelledby="by-stage-title by-stage-desc"' in farid
    assert signed_in(visitor, "gwen").get("/").headers["Location"].endswith("/users")


def test_the_homes_ask_a_few_queries_however_many_rows(visitor, services, demo, monkeypatch):
    """No query per row: each home reads the views a fixed number of times (counted at the database)."""
    counted = []
    query = type(services.db).query

    def counting(self, *args, **kwargs):
        counted.append(args[0])
        return query(self, *args, **kwargs)

    monkeypatch.setattr(type(services.db), "query", counting)
    for name in ("alice", "bruno", "farid"):
        browser = signed_in(visitor, name)
        counted.clear()
        assert browser.get("/").status_code == 200
        assert len(counted) <= 8, (name, counted)
