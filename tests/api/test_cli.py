"""The ``accord`` command, run with click's CliRunner against the test storage (set through the environment)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

from bootstrap import create_app
from bootstrap.cli import main
from tests.api.helpers import AGREEMENTS, API, assert_problem, stored_events

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN_PATTERN = re.compile(r"acc_\S+")
STORAGE_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE")


@pytest.fixture
def accord(storage, monkeypatch) -> Iterator[Callable[..., Result]]:
    """Run ``accord ARGS...`` on the test storage; returns click's Result."""
    for name in list(os.environ):
        if name.startswith(STORAGE_PREFIXES):
            monkeypatch.delenv(name)
    for name, value in storage.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    yield run


@pytest.fixture
def served(storage):
    """The HTTP API on the same storage, without creating tables (``accord init-db`` does that)."""
    app = create_app({"TESTING": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False})
    yield app
    app.extensions["accord"].close()


def token_in(output: str) -> str:
    [token] = TOKEN_PATTERN.findall(output)
    return token


def can_read(app, token: str) -> int:
    with app.test_client() as client:
        return client.get(f"{API}/workflows", headers={"Authorization": f"Bearer {token}"}).status_code


def test_init_db_creates_the_tables_and_says_where(accord, storage):
    result = accord("init-db")
    assert "Tables ready in" in result.output
    assert "head position 0" in result.output
    where = "SQLite file" if storage["PERSISTENCE_MODULE"].endswith("sqlite") else "PostgreSQL database"
    assert where in result.output
    assert "head position 0" in accord("init-db").output, "running it again is harmless"


def test_a_user_added_on_the_command_line_gets_a_token_that_authenticates_over_http(accord, served):
    accord("init-db")
    result = accord("users", "add", "alice", "--role", "ir_officer")
    assert "Created alice (ir_officer)" in result.output
    token = token_in(result.output)
    assert can_read(served, token) == 200
    with served.test_client() as client:
        created = client.post(AGREEMENTS, headers={"Authorization": f"Bearer {token}"}, json={
            "title": "Chile ICA", "kind": "protocol", "counterparties": [{"name": "Chile", "kind": "state"}]})
        assert created.status_code == 201, created.get_json()
        [entry] = client.get(f"{AGREEMENTS}/{created.get_json()['id']}/history",
                             headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (entry["actor"], entry["role"]) == ("alice", "ir_officer")


def test_adding_an_active_user_again_fails_with_a_clear_message(accord, served):
    accord("init-db")
    first = token_in(accord("users", "add", "alice", "--role", "ir_officer").output)
    result = accord("users", "add", "alice", "--role", "legal_officer", ok=False)
    assert result.exit_code == 1
    assert "user alice already exists; revoke it first" in result.output
    assert "Traceback" not in result.output
    assert can_read(served, first) == 200


def test_an_unknown_role_is_refused_before_anything_is_stored(accord, served):
    accord("init-db")
    result = accord("users", "add", "mallory", "--role", "superuser", ok=False)
    assert result.exit_code == 2
    assert "superuser" in result.output
    assert served.extensions["accord"].app.recorder.max_notification_id() in (0, None)


def test_users_list_shows_each_user_with_role_and_status(accord):
    accord("init-db")
    assert "No users yet" in accord("users", "list").output
    accord("users", "add", "alice", "--role", "ir_officer")
    accord("users", "add", "bruno", "--role", "legal_officer")
    accord("users", "revoke", "bruno")
    rows = {line.split()[0]: line.split() for line in accord("users", "list").output.splitlines()}
    assert rows["alice"][:3] == ["alice", "ir_officer", "active"]
    assert rows["bruno"][:3] == ["bruno", "legal_officer", "revoked"]
    assert "acc_" not in accord("users", "list").output, "tokens are shown only once, at creation"


def test_a_revoked_user_s_token_gets_401(accord, served):
    accord("init-db")
    token = token_in(accord("users", "add", "bruno", "--role", "legal_officer").output)
    assert can_read(served, token) == 200
    assert "Revoked bruno (1 token)" in accord("users", "revoke", "bruno").output
    with served.test_client() as client:
        assert_problem(client.get(f"{API}/workflows", headers={"Authorization": f"Bearer {token}"}), 401)
    again = accord("users", "revoke", "bruno", ok=False)
    assert again.exit_code == 1
    assert "no active user named bruno" in again.output


def test_a_revoked_user_can_be_added_again_with_a_new_token(accord, served):
    accord("init-db")
    old = token_in(accord("users", "add", "bruno", "--role", "legal_officer").output)
    accord("users", "revoke", "bruno")
    new = token_in(accord("users", "add", "bruno", "--role", "legal_officer").output)
    assert (can_read(served, old), can_read(served, new)) == (401, 200)


def demo_agreements(output: str) -> list[str]:
    """The agreement ids the seed prints, in order (the lines before the tokens)."""
    return UUID_PATTERN.findall(output.split("Demo tokens")[0])


def test_seeding_the_demo_twice_creates_the_same_agreements_and_no_extra_agreement_events(accord, served):
    accord("init-db")
    first = accord("seed", "demo")
    agreements = demo_agreements(first.output)
    assert len(agreements) == 6
    services = served.extensions["accord"]
    events = len(stored_events(services, "accord.agreement"))
    assert events > len(agreements)

    second = accord("seed", "demo")
    assert demo_agreements(second.output) == agreements
    assert len(stored_events(services, "accord.agreement")) == events
    assert len(stored_events(services, "accord.agreement:Created")) == len(agreements)

    tokens = dict(re.findall(r"^\s+(\w+)\s+\w+\s+(acc_\S+)$", second.output, re.MULTILINE))
    assert set(tokens) == {"alice", "bruno", "carla", "dmitri", "eva", "farid", "gwen"}
    with served.test_client() as client:
        chile = client.get(f"{AGREEMENTS}/{agreements[0]}", headers={"Authorization": f"Bearer {tokens['eva']}"})
        assert chile.status_code == 200
        assert (chile.get_json()["status"], chile.get_json()["created_by"]) == ("in_force", "alice")
    old_alice = dict(re.findall(r"^\s+(\w+)\s+\w+\s+(acc_\S+)$", first.output, re.MULTILINE))["alice"]
    assert can_read(served, old_alice) == 200, "seeding again adds a token; it does not revoke the earlier one"
