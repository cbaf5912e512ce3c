"""The Users page (administrators) and invitation links, on SQLite and PostgreSQL: add a user with a role and
an invitation shown once, invite again, revoke; a link sets a password once, within 72 hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.web.conftest import head, recorded, signed_in_as

LINK = re.compile(r'<a href="(http://localhost/invitations/[^"]+)">')
T = "accord.access:"


def invitation_link(page) -> str:
    found = LINK.findall(page.get_data(as_text=True))
    assert len(found) == 1, "the page shows the link once"
    return found[0].removeprefix("http://localhost")


def test_an_administrator_adds_a_user_who_sets_a_password_through_the_link_and_signs_in(services, people, visitor):
    gwen = visitor()
    gwen.sign_in("gwen")
    before = head(services)
    added = gwen.submit("/users", {"username": "hana", "role": "auditor"})
    assert added.status_code == 201
    assert "hana is added" in added.get_data(as_text=True)
    link = invitation_link(added)
    assert recorded(services, before) == [(T + "UserDirectory.UserAdded", "gwen"), (T + "Account.Opened", "gwen"),
                                          (T + "Account.Invited", "gwen")]
    assert LINK.search(gwen.get("/users").get_data(as_text=True)) is None, "shown only once"
    assert "Invited until" in gwen.get("/users").get_data(as_text=True)

    hana = visitor()
    form = hana.get(link)
    assert form.status_code == 200 and "For <strong>hana</strong>" in form.get_data(as_text=True)
    mismatch = hana.submit(link, {"password": "a fine long password", "confirm": "another one entirely"})
    assert mismatch.status_code == 422 and "The two passwords are not the same" in mismatch.get_data(as_text=True)
    short = hana.submit(link, {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    done = hana.submit(link, {"password": "a fine long password", "confirm": "a fine long password"})
    assert done.status_code == 302 and done.headers["Location"] == "/sign-in?username=hana"
    assert hana.sign_in("hana", "a fine long password").status_code == 302
    assert "<h1>Journal</h1>" in hana.get("/").get_data(as_text=True)
    again = visitor().get(link)
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)


def test_a_new_invitation_replaces_the_earlier_one(services, people, visitor):
    gwen = visitor()
    gwen.sign_in("gwen")
    first = invitation_link(gwen.submit("/users", {"username": "ines", "role": "ir_officer"}))
    second = invitation_link(gwen.submit("/users/ines/invitation", {}, page="/users"))
    assert first != second
    assert visitor().get(first).status_code == 410
    assert visitor().get(second).status_code == 200


def test_an_invitation_expires_after_72_hours(services, people, visitor):
    gwen = visitor()
    gwen.sign_in("gwen")
    link = invitation_link(gwen.submit("/users", {"username": "jana", "role": "management"}))
    services.signin.clock = lambda: datetime.now(UTC) + timedelta(hours=72, seconds=1)
    expired = visitor().get(link)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert visitor().get("/invitations/not-a-link").status_code == 410


def test_adding_a_user_refuses_bad_names_and_missing_roles_keeping_what_was_typed(services, people, visitor):
    gwen = visitor()
    gwen.sign_in("gwen")
    before = head(services)
    bad = gwen.submit("/users", {"username": "kim@cern", "role": "auditor"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "There is a problem" in page
    assert 'href="#username"' in page and 'value="kim@cern"' in page
    no_role = gwen.submit("/users", {"username": "kim", "role": ""})
    assert no_role.status_code == 422 and "Choose a role" in no_role.get_data(as_text=True)
    taken = gwen.submit("/users", {"username": "alice", "role": "auditor"})
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)
    for lookalike in ("Alice", "ALICE", "аlice", "ａｌｉｃｅ"):  # a case, a Cyrillic а, fullwidth letters
        refused = gwen.submit("/users", {"username": lookalike, "role": "legal_officer"})
        assert refused.status_code == 422, lookalike
    assert head(services) == before


def test_revoking_from_the_users_page_asks_first_then_ends_the_session_at_once(services, people, visitor):
    alice = visitor()
    alice.sign_in("alice")
    gwen = visitor()
    gwen.sign_in("gwen")
    confirm = gwen.get("/users/alice/revoke")
    assert "<h1>Revoke alice?</h1>" in confirm.get_data(as_text=True)
    assert signed_in_as(alice.get("/")) == "alice", "asking changes nothing"
    done = gwen.submit("/users/alice/revoke", {})
    assert done.status_code == 302
    assert "Revoked alice" in gwen.get("/users").get_data(as_text=True)
    assert alice.get("/").headers["Location"] == "/sign-in"
    assert [p.active for p in services.signin.people() if p.name == "alice"] == [False]


def test_only_administrators_reach_the_users_page_and_its_forms(services, people, visitor):
    bruno = visitor()
    bruno.sign_in("bruno")
    before = head(services)
    assert bruno.get("/users").status_code == 403
    assert bruno.submit("/users", {"username": "mallory", "role": "admin"}, page="/").status_code == 403
    assert bruno.submit("/users/alice/revoke", {}, page="/").status_code == 403
    assert head(services) == before
    assert visitor().get("/users").headers["Location"] == "/sign-in?next=/users"


def test_a_signed_in_person_changes_their_password_and_their_other_sessions_end(services, people, visitor):
    here, elsewhere = visitor(), visitor()
    here.sign_in("eva")
    elsewhere.sign_in("eva")
    wrong = here.submit("/account/password", {"current": "not it at all", "password": "new long password",
                                              "confirm": "new long password"})
    assert wrong.status_code == 422 and "current password is not right" in wrong.get_data(as_text=True)
    before = head(services)
    changed = here.submit("/account/password", {"current": "eva has a long password",
                                                "password": "new long password", "confirm": "new long password"})
    assert changed.status_code == 302
    assert recorded(services, before) == [(T + "Account.PasswordSet", "eva")]
    assert signed_in_as(here.get("/")) == "eva"
    assert elsewhere.get("/").status_code == 302
    assert visitor().sign_in("eva", "new long password").status_code == 302
