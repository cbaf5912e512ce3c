"""Signing in and out through the pages, on SQLite and PostgreSQL: sessions kept on the server, cookies,
lock-out, CSRF refusals that record nothing, revocation and timeouts that end a session at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bootstrap import create_app
from tests.web.conftest import OPERATOR, head, password_of, recorded, signed_in_as

T = "accord.access:Account."


def test_signed_out_the_site_root_leads_to_the_sign_in_page(visitor):
    page = visitor().get("/")
    assert page.status_code == 302 and page.headers["Location"] == "/sign-in"
    form = visitor().get("/sign-in").get_data(as_text=True)
    assert '<label for="username">Username</label>' in form and '<label for="password">Password</label>' in form
    assert '<button type="submit" class="button">Sign in</button>' in form


def test_signing_in_starts_a_session_kept_on_the_server_with_a_safe_cookie(services, people, visitor):
    alice = visitor()
    before = head(services)
    signed = alice.sign_in("alice")
    assert signed.status_code == 302 and signed.headers["Location"] == "/"
    cookie = signed.headers["Set-Cookie"]
    assert cookie.startswith("accord_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    home = alice.get("/")
    assert signed_in_as(home) == "alice" and "<h1>My desk</h1>" in home.get_data(as_text=True)
    assert recorded(services, before) == [(T + "SignedIn", "alice")]


def test_each_role_lands_on_its_own_home(people, visitor):
    homes = {"alice": "My desk", "bruno": "Legal review queue", "eva": "Journal", "farid": "Dashboard"}
    for name, heading in homes.items():
        person = visitor()
        person.sign_in(name)
        assert f"<h1>{heading}</h1>" in person.get("/").get_data(as_text=True), name
    gwen = visitor()
    gwen.sign_in("gwen")
    assert gwen.get("/").headers["Location"] == "/users"
    users = gwen.get("/users").get_data(as_text=True)
    assert "<h1>Users</h1>" in users and '<a href="/users" aria-current="page">Users</a>' in users


def test_the_navigation_shows_users_only_to_administrators(people, visitor):
    alice = visitor()
    alice.sign_in("alice")
    assert 'href="/users"' not in alice.get("/").get_data(as_text=True)
    refused = alice.get("/users")
    assert refused.status_code == 403 and "not for the role" in refused.get_data(as_text=True)


def test_a_wrong_password_is_refused_and_recorded_as_a_failure(services, people, visitor):
    before = head(services)
    page = visitor().sign_in("alice", "not the password")
    assert page.status_code == 401 and "Wrong username or password" in page.get_data(as_text=True)
    assert recorded(services, before) == [(T + "SignInFailed", "alice")]


def test_an_unknown_user_gets_the_same_answer_and_nothing_is_recorded(services, people, visitor):
    before = head(services)
    page = visitor().sign_in("mallory", "a guess at a password")
    assert page.status_code == 401 and "Wrong username or password" in page.get_data(as_text=True)
    assert head(services) == before


def test_five_failures_lock_the_password_sign_in_with_a_clear_message(services, people, visitor):
    before = head(services)
    for _ in range(4):
        assert "Wrong username or password" in visitor().sign_in("bruno", "wrong guess!").get_data(as_text=True)
    fifth = visitor().sign_in("bruno", "wrong guess!").get_data(as_text=True)
    assert "too many failed sign-ins" in fifth and "locked until" in fifth
    right = visitor().sign_in("bruno")
    assert right.status_code == 401 and "locked until" in right.get_data(as_text=True)
    assert recorded(services, before) == [(T + "SignInFailed", "bruno")] * 5 + [(T + "LockedOut", "bruno")]
    assert visitor().sign_in("alice").status_code == 302, "only bruno is locked"


def test_the_lock_ends_after_15_minutes(services, people, visitor):
    for _ in range(5):
        visitor().sign_in("bruno", "wrong guess!")
    services.signin.clock = lambda: datetime.now(UTC) + timedelta(minutes=15, seconds=1)
    assert visitor().sign_in("bruno").status_code == 302


def test_signing_in_gives_a_fresh_session_id_and_the_earlier_cookie_signs_nobody_in(people, visitor, site):
    alice = visitor()
    alice.get("/sign-in")
    planted = alice.cookie()
    alice.sign_in("alice")
    assert alice.cookie() != planted
    other = site.test_client()
    other.set_cookie("accord_session", planted)
    assert other.get("/").status_code == 302


def test_signing_out_ends_the_session_at_once(services, people, visitor, site):
    alice = visitor()
    alice.sign_in("alice")
    cookie = alice.cookie()
    before = head(services)
    out = alice.sign_out()
    assert out.status_code == 302 and out.headers["Location"] == "/sign-in"
    assert "You have signed out." in alice.get("/sign-in").get_data(as_text=True)
    assert alice.get("/").status_code == 302
    replayed = site.test_client()
    replayed.set_cookie("accord_session", cookie)
    assert replayed.get("/").status_code == 302, "the old cookie no longer signs anyone in"
    assert recorded(services, before) == [(T + "SignedOut", "alice")]


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_recorded(services, people, visitor):
    gwen = visitor()
    gwen.sign_in("gwen")
    before = head(services)
    for path, data in (("/users", {"username": "mallory", "role": "admin"}), ("/sign-out", {}),
                       ("/users/alice/revoke", {}), ("/sign-in", {"username": "alice", "password": "x" * 12})):
        for token in ({}, {"csrf_token": "forged"}):
            refused = gwen.client.post(path, data={**data, **token})
            assert refused.status_code == 400, path
            assert "Form refused" in refused.get_data(as_text=True)
            assert refused.content_type.startswith("text/html")
    assert head(services) == before
    assert "mallory" not in {p.name for p in services.signin.people()}
    assert signed_in_as(gwen.get("/users")) == "gwen", "still signed in: the sign-out was refused too"


def test_revoking_a_user_ends_their_sessions_at_once_in_every_process(storage, services, people, visitor):
    alice = visitor()
    alice.sign_in("alice")
    assert signed_in_as(alice.get("/")) == "alice"
    other = create_app({"TESTING": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False})  # another worker
    try:
        other.extensions["accord"].signin.revoke(OPERATOR, "alice")
    finally:
        other.extensions["accord"].close()
    assert alice.get("/").headers["Location"] == "/sign-in"
    assert visitor().sign_in("alice").status_code == 401, "the password is gone too"


def test_a_session_ends_after_30_minutes_idle_and_after_12_hours_in_all(services, people, visitor):
    now = datetime.now(UTC)
    services.signin.clock = lambda: now
    alice = visitor()
    alice.sign_in("alice")
    for minutes in (20, 40, 60):  # a request every 20 minutes keeps it open
        services.signin.clock = lambda m=minutes: now + timedelta(minutes=m)
        assert signed_in_as(alice.get("/")) == "alice", minutes
    services.signin.clock = lambda: now + timedelta(minutes=91)
    assert alice.get("/").status_code == 302

    bruno = visitor()
    services.signin.clock = lambda: now
    bruno.sign_in("bruno")
    for minutes in range(25, 12 * 60, 25):
        services.signin.clock = lambda m=minutes: now + timedelta(minutes=m)
        assert bruno.get("/").status_code == 200, minutes
    services.signin.clock = lambda: now + timedelta(hours=12)
    assert bruno.get("/").status_code == 302


def test_pages_carry_no_store_and_security_headers_the_api_does_not_get_a_cookie(services, visitor, auth, tokens):
    services.signin.set_password(OPERATOR, "alice", password_of("alice"))  # a user with a token, and a password
    alice = visitor()
    alice.sign_in("alice")
    home = alice.get("/")
    assert home.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in home.headers["Content-Security-Policy"]
    assert home.headers["X-Frame-Options"] == "DENY"
    api = alice.client.get("/api/v1/workflows", headers=auth("alice"))
    assert api.status_code == 200 and "Set-Cookie" not in api.headers
    assert "Content-Security-Policy" not in api.headers


def test_bearer_tokens_keep_working_for_the_api_without_any_csrf_token(services, tokens, auth, site):
    with site.test_client() as client:
        created = client.post("/api/v1/agreements", headers=auth("alice"), json={
            "title": "ICA with Mongolia", "kind": "protocol",
            "counterparties": [{"name": "Mongolia", "kind": "state", "country": "MN"}]})
        assert created.status_code == 201, created.get_json()
        assert client.get("/api/v1/workflows").status_code == 401


def test_errors_are_pages_for_browsers_and_problems_for_the_api(visitor, site):
    missing = visitor().get("/no-such-page")
    assert missing.status_code == 404 and missing.content_type.startswith("text/html")
    assert "Page not found" in missing.get_data(as_text=True)
    assert "default-src 'self'" in missing.headers["Content-Security-Policy"]
    api = site.test_client().get("/api/v1/no-such-resource")
    assert api.content_type == "application/problem+json"
    not_allowed = site.test_client().put("/sign-in")
    assert not_allowed.status_code == 405 and not_allowed.content_type.startswith("text/html")


def test_auditors_see_sign_ins_failures_lock_outs_sign_outs_and_password_changes_in_the_journal(
        services, tokens, auth, visitor, site):
    services.signin.set_password(OPERATOR, "alice", password_of("alice"))
    services.signin.set_password(OPERATOR, "bruno", password_of("bruno"))
    alice = visitor()
    alice.sign_in("alice")
    alice.sign_out()
    for _ in range(5):
        visitor().sign_in("bruno", "not bruno's password")
    services.projections.catch_up()
    with site.test_client() as client:
        entries = client.get("/api/v1/audit/journal?after=0&limit=1000", headers=auth("eva")).get_json()
    seen = [(e["type"], e["actor"], e["aggregate_type"]) for e in entries if e["type"].startswith("account_")]
    assert seen == [("account_opened", "pytest@cli", "access"), ("account_password_set", "pytest@cli", "access"),
                    ("account_opened", "pytest@cli", "access"), ("account_password_set", "pytest@cli", "access"),
                    ("account_signed_in", "alice", "access"), ("account_signed_out", "alice", "access"),
                    *[("account_sign_in_failed", "bruno", "access")] * 5, ("account_locked_out", "bruno", "access")]
    for entry in entries:
        assert entry["recorded_at"] and "hash" not in entry["data"]
        assert "$argon2" not in str(entry) and "long password" not in str(entry) and "bruno's" not in str(entry)
