"""Each person's private calendar feed: their deadlines and no one else's, parsed back by icalendar; an address
that only they see, that a reset replaces (the old one then 404s), and that a stranger cannot guess."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from icalendar import Calendar

from bootstrap import create_app
from projections.deadlines import deadlines
from tests.projections.helpers import ICA, Walk, party
from tests.time.conftest import time_config
from tests.time.helpers import agreement_in_force, caught_up, tacit
from tests.web.conftest import OPERATOR, Visitor, password_of

PEOPLE = {"alice": "ir_officer", "carla": "legal_officer", "eva": "auditor"}
ADDRESS = re.compile(r'<code id="address">([^<]+)</code>')


@pytest.fixture
def site(storage, mail_server) -> Iterator:
    app = create_app(time_config(storage, mail_server.port, SERVER_NAME="accord.example"))
    services = app.extensions["accord"]
    for name, role in PEOPLE.items():
        services.signin.add_user(OPERATOR, name, role)
        services.signin.set_password(OPERATOR, name, password_of(name))
    yield app
    services.close()


def visitor(site, name: str) -> Visitor:
    person = Visitor(site.test_client())
    assert person.sign_in(name).status_code == 302
    return person


def new_address(person: Visitor) -> str:
    page = person.submit("/account/calendar", {})
    assert page.status_code == 200
    return ADDRESS.search(page.get_data(as_text=True)).group(1)


def fetched(site, address: str):
    """The feed as a calendar client fetches it: no cookie, no session."""
    return site.test_client().get(address.removeprefix("http://accord.example"))


def events(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_holds_every_deadline_of_its_user_and_none_of_anyone_else_s(site):
    services = site.extensions["accord"]
    ours = agreement_in_force(services, title="Co-operation with Chile", **tacit())  # alice, bruno, dmitri
    theirs = Walk(services.agreements, "alice", title="Co-operation with Peru", kind=ICA,
                  counterparties=[party("Republic of Peru", country="PE")], **tacit()).to_force()  # and carla
    caught_up(services)
    carla_s = {f"{r['id']}@accord" for r in deadlines(services.db, officer="carla")[0]}
    alice_s = {f"{r['id']}@accord" for r in deadlines(services.db, officer="alice", per_page=500)[0]}
    assert carla_s and len(alice_s) == 6

    carla = events(fetched(site, new_address(visitor(site, "carla"))))
    alice = events(fetched(site, new_address(visitor(site, "alice"))))
    eva = events(fetched(site, new_address(visitor(site, "eva"))))

    assert set(carla) == carla_s and all(str(theirs.id) in uid for uid in carla)
    assert set(alice) == alice_s and any(str(ours.id) in uid for uid in alice)
    assert eva == {}
    renewal = next(e for uid, e in carla.items() if ":renewal:" in uid)
    assert renewal.decoded("DTSTART").isoformat() == "2029-12-01"  # all day: a date, not a time
    assert (renewal.decoded("DTEND") - renewal.decoded("DTSTART")).days == 1
    assert str(renewal["SUMMARY"]) == "Co-operation with Peru: it renews"
    assert f"http://accord.example/agreements/{theirs.id}" in str(renewal["DESCRIPTION"])


def test_a_reset_makes_the_old_address_404_and_the_new_one_work(site):
    carla = visitor(site, "carla")
    old = new_address(carla)
    assert fetched(site, old).status_code == 200
    assert "not shown again" in carla.get("/account/calendar").get_data(as_text=True)

    new = new_address(carla)

    assert new != old
    assert fetched(site, old).status_code == 404
    assert fetched(site, new).status_code == 200


def test_a_stranger_s_token_and_a_revoked_user_s_feed_are_404(site):
    services = site.extensions["accord"]
    address = new_address(visitor(site, "carla"))
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) == 43  # 32 random bytes, URL-safe
    assert fetched(site, address.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))).status_code == 404
    assert fetched(site, "/calendar/x.ics").status_code == 404
    stored = services.db.query("SELECT token_sha256 FROM accord_calendar_feeds")
    assert token not in str([dict(r) for r in stored])  # only its digest is kept

    services.signin.revoke(OPERATOR, "carla")

    assert fetched(site, address).status_code == 404


def test_the_page_needs_a_session_and_its_reset_a_csrf_token(site):
    anonymous = site.test_client()
    assert anonymous.get("/account/calendar").status_code == 302
    carla = visitor(site, "carla")
    assert carla.client.post("/account/calendar", data={}).status_code == 400
    assert site.extensions["accord"].calendar.made_at("carla") is None
