"""A password or its hash never appears in an event, a page, a log or an export, on SQLite and PostgreSQL;
session ids and invitation links are stored only as digests."""

from __future__ import annotations

import logging

from tests.web.conftest import OPERATOR, password_of

SECRET_MARKS = ("$argon2", "has a long password")


def test_no_event_page_log_or_export_shows_a_password_or_its_hash(services, people, visitor, caplog):
    caplog.set_level(logging.DEBUG)
    gwen = visitor()
    gwen.sign_in("gwen")
    visitor().sign_in("alice", "alice's wrong password")
    invited = gwen.submit("/users", {"username": "hana", "role": "auditor"})
    services.signin.set_password(OPERATOR, "hana", "hana's new long password")
    pages = [gwen.get("/users"), invited, gwen.get("/"), visitor().get("/sign-in")]
    export = "".join(services.audit.export_lines())
    assert "alice" in export and "account_signed_in" in export.replace("Account.SignedIn", "account_signed_in")
    texts = [export, caplog.text] + [page.get_data(as_text=True) for page in pages]
    for text in texts:
        for mark in (*SECRET_MARKS, "hana's new long password", "alice's wrong password"):
            assert mark not in text


def test_a_password_typed_into_the_username_field_is_not_logged(services, people, visitor, caplog):
    caplog.set_level(logging.DEBUG)
    before = services.app.recorder.max_notification_id()
    page = visitor().sign_in("carla's secret password", "carla's secret password")
    assert page.status_code == 401
    assert "carla's secret password" not in caplog.text
    assert "carla's secret password" not in "".join(services.audit.export_lines())
    assert services.app.recorder.max_notification_id() == before


def test_the_tables_hold_digests_of_session_ids_and_invitation_links_not_the_secrets(services, people, visitor):
    alice = visitor()
    alice.sign_in("alice")
    session_id = alice.client.get_cookie("accord_session")  # signed; the id itself is inside
    invitation = services.signin.invite(OPERATOR, "bruno")
    rows = services.db.query("SELECT id_sha256 FROM accord_sessions") + services.db.query(
        "SELECT token_sha256 FROM accord_invitations")
    stored = " ".join(str(v) for row in rows for v in dict(row).values())
    assert invitation.token not in stored and session_id is not None
    hashes = [dict(row)["hash"] for row in services.db.query("SELECT hash FROM accord_passwords")]
    assert len(hashes) == len(people) and all(h.startswith("$argon2id$") for h in hashes)
    assert all(password_of(name) not in " ".join(hashes) for name in people)
