"""Authentication: a missing, malformed, unknown or revoked bearer token gets 401 before any view runs; a known
token is compared in constant time; the store keeps no usable token, only its sha256.

"Before any handler runs" is shown two ways: every view function of the app is wrapped with a counter that must
stay at zero, and requests that a view would refuse otherwise (404 unknown id, 412 no If-Match, 415 not JSON,
422 invalid body) still get 401.
"""

from __future__ import annotations

import hmac
import sqlite3
import types
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any
from uuid import UUID, uuid4

import pytest
from psycopg import sql

import workflows.access
from domain.values import Actor, Role, StepContext
from tests.drafts import draft
from tests.projections.helpers import snapshot, view_tables
from tests.security.helpers import (
    ACTORS,
    API,
    BASE,
    agreement_fields,
    assert_problem,
    head,
    step_url,
)
from tests.storage.stores import backend_of, pg_connect
from workflows.access import token_sha256

ADMIN = Actor("pytest@cli", Role.ADMIN)


def bad_credentials(tokens: dict[str, str], revoked: str) -> dict[str, dict[str, str]]:
    """Authorization headers that must all be refused (an empty dict: no header at all)."""
    valid = tokens["alice"]
    return {
        "missing": {},
        "empty": {"Authorization": ""},
        "Basic x": {"Authorization": "Basic x"},
        "Basic with a valid token": {"Authorization": f"Basic {valid}"},
        "Token scheme with a valid token": {"Authorization": f"Token {valid}"},
        "Bearer": {"Authorization": "Bearer"},
        "Bearer and a space": {"Authorization": "Bearer "},
        "Bearer and two spaces": {"Authorization": "Bearer  "},
        "Bearer and a tab": {"Authorization": f"Bearer\t{valid}"},
        "non-ascii token": {"Authorization": "Bearer tökén-ünknöwn"},
        "non-ascii after the prefix": {"Authorization": "Bearer acc_ÿþ" + "é" * 40},
        "NUL in the token": {"Authorization": f"Bearer {valid[:10]}\x00{valid[10:]}"},
        "unknown token": {"Authorization": "Bearer acc_" + "x" * 43},
        "token without the prefix": {"Authorization": f"Bearer {valid.removeprefix('acc_')}"},
        "valid token, one character changed": {"Authorization": f"Bearer {valid[:-1]}{'AB'[valid[-1] == 'A']}"},
        "valid token, truncated": {"Authorization": f"Bearer {valid[:-1]}"},
        "valid token, one character added": {"Authorization": f"Bearer {valid}x"},
        "the stored sha256 of a valid token": {"Authorization": f"Bearer {token_sha256(valid)}"},
        "acc_ + the stored sha256": {"Authorization": f"Bearer acc_{token_sha256(valid)}"},
        "10 KB token": {"Authorization": "Bearer acc_" + "y" * 10_000},
        "revoked token": {"Authorization": f"Bearer {revoked}"},
    }


def requests_to_refuse(agreement_id: str) -> dict[str, Callable[[Any, dict[str, str]], Any]]:
    """Requests that, once authenticated, would fail otherwise (or succeed): all must get 401 first."""
    a = BASE["agreement"]
    return {
        "GET a list": lambda c, h: c.get(a, headers=h),
        "GET an unknown id (404 if authenticated)": lambda c, h: c.get(f"{a}/{uuid4()}", headers=h),
        "GET an unknown path": lambda c, h: c.get(f"{API}/no-such-thing", headers=h),
        "POST create, invalid body (422 if authenticated)": lambda c, h: c.post(a, json={"nonsense": 1}, headers=h),
        "POST create, valid body (201 if authenticated)": lambda c, h: c.post(a, json=agreement_fields(), headers=h),
        "POST create, text/plain (415 if authenticated)": lambda c, h: c.post(
            a, data="title: x", content_type="text/plain", headers=h),
        "POST a step, no If-Match, invalid body (412/422 if authenticated)": lambda c, h: c.post(
            step_url("agreement", agreement_id, "attach_text"), json={"document": 7}, headers=h),
        "POST a step, valid (200 if authenticated)": lambda c, h: c.post(
            step_url("agreement", agreement_id, "request_legal_review"), json={}, headers={**h, "If-Match": '"2"'}),
        "DELETE an agreement (405 if authenticated)": lambda c, h: c.delete(f"{a}/{agreement_id}", headers=h),
        "POST /audit/verify, invalid body": lambda c, h: c.post(f"{API}/audit/verify", json={"hash": 1}, headers=h),
        "GET /audit/export": lambda c, h: c.get(f"{API}/audit/export", headers=h, buffered=True),
        "GET /workflows": lambda c, h: c.get(f"{API}/workflows", headers=h),
    }


@pytest.fixture
def view_calls(app) -> dict[str, int]:
    """Every view function of the app wrapped with a call counter (the views themselves still run)."""
    calls: dict[str, int] = {}

    def counted(endpoint: str, view: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[endpoint] = calls.get(endpoint, 0) + 1
            return view(*args, **kwargs)

        return wrapper

    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = counted(endpoint, view)
    return calls


def test_bad_tokens_get_401_before_any_view_runs(client, services, tokens, auth, view_calls):
    henri = services.access.issue_token(ADMIN, "henri", Role.IR_OFFICER)
    created = client.post(BASE["agreement"], json=agreement_fields(), headers=auth("alice"))
    agreement_id = created.get_json()["id"]
    attached = client.post(step_url("agreement", agreement_id, "attach_text"), headers={
        **auth("alice"), "If-Match": '"1"'}, json={"document": draft("v1")})
    assert attached.status_code == 200
    assert client.get(BASE["agreement"], headers={"Authorization": f"Bearer {henri}"}).status_code == 200
    services.access.revoke(ADMIN, "henri")
    reissued = services.access.issue_token(ADMIN, "henri", Role.IR_OFFICER)  # a new token does not revive the old

    credentials = bad_credentials(tokens, henri)
    requests = requests_to_refuse(agreement_id)
    view_calls.clear()
    before, refused = head(services), 0
    for cred_name, headers in credentials.items():
        for req_name, send in requests.items():
            response = send(client, headers)
            body = assert_problem(response, 401)
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), (cred_name, req_name)
            assert body["type"] == "urn:accord:problem:unauthenticated", (cred_name, req_name, body)
            refused += 1
    recorded, calls = head(services) - before, dict(view_calls)
    assert client.get(BASE["agreement"], headers={"Authorization": f"Bearer {reissued}"}).status_code == 200
    assert client.get(BASE["agreement"], headers={"Authorization": f"bearer {tokens['eva']}"}).status_code == 200
    print(f"\nauthn[{services.backend}]: {len(credentials)} bad credentials x {len(requests)} requests: "
          f"{refused} refused with 401 + WWW-Authenticate + problem+json, {sum(calls.values())} view calls, "
          f"{recorded} events recorded")
    assert calls == {}, calls
    assert recorded == 0


class CompareDigestSpy:
    """``hmac`` as workflows.access sees it, recording every compare_digest call (and making it)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def compare_digest(self, a: Any, b: Any) -> bool:
        self.calls.append((a, b))
        return hmac.compare_digest(a, b)


def test_a_known_token_is_compared_in_constant_time(client, services, tokens, auth, monkeypatch):
    spy = CompareDigestSpy()
    monkeypatch.setattr(workflows.access, "hmac", types.SimpleNamespace(compare_digest=spy.compare_digest))
    users = ("alice", "bruno", "eva", "farid")
    for user in users:
        assert client.get(f"{API}/workflows", headers=auth(user)).status_code == 200
    known = [(token_sha256(tokens[u]), token_sha256(tokens[u])) for u in users]
    assert spy.calls == known, spy.calls  # (stored sha256, sha256 of the presented token), once per request
    assert all(len(a) == 64 and a != tokens[u] for (a, _), u in zip(spy.calls, users, strict=True))

    # An unknown token is looked up by its sha256 (uuid5 of the digest) and not found: nothing to compare, and
    # the lookup's timing depends only on the digest, never on how much of a real token was guessed right.
    spy.calls.clear()
    guess = tokens["alice"][:-4] + "AAAA"
    assert client.get(f"{API}/workflows", headers={"Authorization": f"Bearer {guess}"}).status_code == 401
    assert spy.calls == []
    print(f"\ntoken compare[{services.backend}]: {len(users)} known tokens -> {len(known)} hmac.compare_digest "
          f"calls on sha256 digests (64 hex), 0 on raw tokens; an unknown token -> 0 comparisons (lookup by digest)")


def _rows_sqlite(path: str) -> Iterator[tuple[str, bytes]]:
    with closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                yield table, b"\x1f".join(_bytes(v) for v in row)


def _rows_postgres(schema: str) -> Iterator[tuple[str, bytes]]:
    with pg_connect() as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])]
        for table in tables:
            for row in conn.execute(sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema),
                                                                          sql.Identifier(table))):
                yield table, b"\x1f".join(_bytes(v) for v in row)


def _bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def test_the_store_holds_no_usable_token(client, services, storage, tokens, auth):
    henri = services.access.issue_token(ADMIN, "henri", Role.IR_OFFICER)
    services.access.revoke(ADMIN, "henri")
    issued = {**tokens, "henri (revoked)": henri}
    # some ordinary use, so the views have rows too: an agreement, and every event projected
    created = client.post(BASE["agreement"], json=agreement_fields(), headers=auth("alice"))
    assert created.status_code == 201
    services.agreements.take_step(UUID(created.get_json()["id"]), "withdraw", {}, ACTORS["alice"], 1, StepContext())
    services.projections.catch_up()

    needles = {}
    for name, token in issued.items():
        secret = token.removeprefix("acc_")
        needles[name] = [token.encode(), secret.encode(), secret[:16].encode(), token.encode().hex().encode()]
    digests = {name: token_sha256(token).encode() for name, token in issued.items()}

    found: list[str] = []
    digests_seen: set[str] = set()
    events = scanned_bytes = 0
    start = 0
    while page := services.app.recorder.select_notifications(start=start, limit=500, inclusive_of_start=False):
        for n in page:
            events += 1
            blob = n.topic.encode() + b"\x1f" + bytes(n.state)
            scanned_bytes += len(blob)
            found += [f"event {n.id}: {name}" for name, ns in needles.items() if any(x in blob for x in ns)]
            digests_seen |= {name for name, d in digests.items() if d in blob}
        start = page[-1].id
    view_rows = 0
    for table in view_tables(services):
        for row in snapshot(services.db, table):
            view_rows += 1
            blob = "\x1f".join("" if v is None else v for v in row).encode()
            found += [f"view {table}: {name}" for name, ns in needles.items() if any(x in blob for x in ns)]
    # Below the library: every row of every table of the store, and for SQLite the database files themselves.
    raw_rows = 0
    if backend_of(storage) == "sqlite":
        rows = _rows_sqlite(storage["SQLITE_DBNAME"])
    else:
        rows = _rows_postgres(storage["POSTGRES_SCHEMA"])
    for table, blob in rows:
        raw_rows += 1
        found += [f"table {table}: {name}" for name, ns in needles.items() if any(x in blob for x in ns)]
    files = 0
    if backend_of(storage) == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            try:
                with open(storage["SQLITE_DBNAME"] + suffix, "rb") as f:
                    blob = f.read()
            except FileNotFoundError:
                continue
            files += 1
            found += [f"file {suffix or 'db'}: {name}" for name, ns in needles.items() if any(x in blob for x in ns)]

    print(f"\nno usable token[{services.backend}]: {len(issued)} tokens issued; scanned {events} events "
          f"({scanned_bytes} bytes), {view_rows} view rows, {raw_rows} raw table rows, {files} database files: "
          f"{len(found)} tokens found; their sha256 found for {len(digests_seen)}/{len(issued)}")
    assert found == [], found
    assert digests_seen == set(issued), "the scan should at least find each token's sha256 (is it reading the store?)"
