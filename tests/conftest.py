"""Fixtures: every test that uses storage runs on a real SQLite file and on a real PostgreSQL.

The stores come from tests/storage/stores.py (one fresh, empty store per test and backend); the fixtures here
build the service on it as a deployment does, with a bearer token for each test user.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import request

from bootstrap import create_app
from domain.values import Actor, Role
from tests import drafts
from tests.storage.stores import BACKENDS, fresh_store
from workflows.access import AccessService

USERS = {
    "alice": Role.IR_OFFICER,
    "dmitri": Role.IR_OFFICER,
    "bruno": Role.LEGAL_OFFICER,
    "carla": Role.LEGAL_OFFICER,
    "eva": Role.AUDITOR,
    "farid": Role.MANAGEMENT,
    "gwen": Role.ADMIN,
}


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[dict[str, str]]:
    """The library's persistence settings for a fresh, empty event store."""
    with fresh_store(request.param, tmp_path) as settings:
        yield settings


@pytest.fixture
def app(storage: dict[str, str]):
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
                      "READ_WAIT_SECONDS": 1.0})

    @app.before_request
    def upload_the_drafts_a_request_attaches() -> None:
        """The drafts (tests/drafts.py) a JSON body names are uploaded first, as a client uploads its texts."""
        if request.method == "POST" and request.is_json:
            drafts.keep(app.extensions["accord"], request.get_json(silent=True))

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
