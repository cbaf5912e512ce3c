"""Fixtures for the pages: the Flask application on a real store (SQLite and PostgreSQL, from
tests/conftest.py's ``app``), people with passwords, and a small browser-like client that signs in and sends
forms with their CSRF token, as a page would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import create_app
from domain.values import Actor, Role

OPERATOR = Actor("pytest@cli", Role.ADMIN)
PEOPLE = {
    "alice": Role.IR_OFFICER,
    "bruno": Role.LEGAL_OFFICER,
    "eva": Role.AUDITOR,
    "farid": Role.MANAGEMENT,
    "gwen": Role.ADMIN,
}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def password_of(name: str) -> str:
    return f"{name} has a long password"


@pytest.fixture
def site(storage) -> Iterator[Flask]:
    """The application on a fresh store, as ``app`` in tests/conftest.py, under another name: pytest-flask
    pushes one request context around every test that uses a fixture named ``app``, and its ``g`` would then
    be shared by all the test's requests (Flask-WTF keeps a request's CSRF token there)."""
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
                      "READ_WAIT_SECONDS": 1.0})
    yield app
    app.extensions["accord"].close()


@pytest.fixture
def services(site: Flask):
    return site.extensions["accord"]


@pytest.fixture
def people(services) -> dict[str, str]:
    """The test people, added and given a password through the real sign-in service; name -> password."""
    for name, role in PEOPLE.items():
        services.signin.add_user(OPERATOR, name, role)
        services.signin.set_password(OPERATOR, name, password_of(name))
    return {name: password_of(name) for name in PEOPLE}


class Visitor:
    """A Flask test client used as a browser would: it reads each form's CSRF token from the page it is on."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def get(self, path: str, **kwargs) -> TestResponse:
        return self.client.get(path, **kwargs)

    def token(self, page: str = "/sign-in") -> str:
        found = CSRF_FIELD.search(self.client.get(page).get_data(as_text=True))
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def submit(self, path: str, data: dict[str, str], page: str | None = None, **kwargs) -> TestResponse:
        """Send a form from ``page`` (default: the form's own path), with the token that page carries."""
        return self.client.post(path, data={**data, "csrf_token": self.token(page or path)}, **kwargs)

    def sign_in(self, name: str, password: str | None = None) -> TestResponse:
        return self.submit("/sign-in", {"username": name, "password": password or password_of(name)})

    def sign_out(self) -> TestResponse:
        return self.submit("/sign-out", {}, page="/account/password")

    def cookie(self) -> str | None:
        found = self.client.get_cookie("accord_session")
        return found.value if found else None


@pytest.fixture
def visitor(site: Flask) -> Callable[[], Visitor]:
    """visitor() -> a new browser-like client (each with cookies of its own)."""
    return lambda: Visitor(site.test_client())


def signed_in(visitor: Callable[[], Visitor], name: str) -> Visitor:
    """A new visitor, signed in as ``name`` with their password."""
    browser = visitor()
    assert browser.sign_in(name).status_code == 302
    return browser


def signed_in_as(response: TestResponse) -> str | None:
    """The name in the header of a page, or None when nobody is signed in there."""
    found = re.search(r'<span>([^<\s]+) <span class="site-header__role">', response.get_data(as_text=True))
    return found.group(1) if found else None


def head(services) -> int:
    """The position of the last event in the log: what a refused request must leave unchanged."""
    return services.app.recorder.max_notification_id() or 0


def recorded(services, after: int = 0) -> list[tuple[str, str]]:
    """(stored topic, actor) of every event after ``after``."""
    events = []
    for notification in services.app.recorder.select_notifications(start=after, limit=10_000,
                                                                   inclusive_of_start=False):
        event = services.app.mapper.to_domain_event(notification)
        events.append((notification.topic, event.by.name))
    return events
