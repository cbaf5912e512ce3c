"""Fixtures: every test that uses storage runs on a real SQLite file and on a real PostgreSQL.

PostgreSQL tests never skip: if the server cannot be reached they fail. Each PostgreSQL test gets its own
schema in the ``test`` database (dropped afterwards), so tests never see each other's events.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from bootstrap import create_app
from domain.values import Actor, Role
from workflows.access import AccessService

PG = {
    "POSTGRES_DBNAME": os.environ.get("ACCORD_TEST_POSTGRES_DBNAME", "test"),
    "POSTGRES_HOST": os.environ.get("ACCORD_TEST_POSTGRES_HOST", "127.0.0.1"),
    "POSTGRES_PORT": os.environ.get("ACCORD_TEST_POSTGRES_PORT", "5432"),
    "POSTGRES_USER": os.environ.get("ACCORD_TEST_POSTGRES_USER", "postgres"),
    "POSTGRES_PASSWORD": os.environ.get("ACCORD_TEST_POSTGRES_PASSWORD", ""),
}
BACKENDS = ["sqlite", "postgres"]

USERS = {
    "alice": Role.IR_OFFICER,
    "dmitri": Role.IR_OFFICER,
    "bruno": Role.LEGAL_OFFICER,
    "carla": Role.LEGAL_OFFICER,
    "eva": Role.AUDITOR,
    "farid": Role.MANAGEMENT,
    "gwen": Role.ADMIN,
}


def pg_connect() -> psycopg.Connection:
    return psycopg.connect(
        dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=PG["POSTGRES_PORT"],
        user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"] or None, autocommit=True, connect_timeout=5,
    )


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[dict[str, str]]:
    """The library's persistence settings for a fresh, empty event store."""
    if request.param == "sqlite":
        yield {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "accord.db")}
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_SCHEMA": schema, **PG}
    finally:
        with pg_connect() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def app(storage: dict[str, str]):
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
                      "READ_WAIT_SECONDS": 1.0})
    yield app
    app.extensions["accord"].close()


@pytest.fixture
def services(app):
    return app.extensions["accord"]


@pytest.fixture
def tokens(services) -> dict[str, str]:
    """A bearer token for each test user, issued through the real access service."""
    admin = Actor("pytest@cli", Role.ADMIN)
    access: AccessService = services.access
    return {name: access.issue_token(admin, name, role) for name, role in USERS.items()}


@pytest.fixture
def auth(tokens):
    """auth("alice") -> the Authorization header of that user."""

    def headers(name: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}", **extra}

    return headers
