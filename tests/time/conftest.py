"""Fixtures of the time tests: a real SMTP server, and Accord configured to send reminders to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bootstrap import create_app
from tests.time.mailserver import MailServer


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


def time_config(storage: dict[str, str], port: int, **extra: object) -> dict[str, object]:
    """Accord's configuration in the time tests: a store, a mail server on ``port``, retries in milliseconds."""
    return {"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
            "MAIL_IN_PROCESS": False, "READ_WAIT_SECONDS": 1.0, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
            "MAIL_FROM": "accord@registry.example", "MAIL_DOMAIN": "staff.example", "MAIL_RETRY_SECONDS": 0.05,
            "MAIL_RETRY_MAX_SECONDS": 0.2, "BASE_URL": "https://accord.example", **extra}


@pytest.fixture
def app(storage: dict[str, str], mail_server: MailServer):
    app = create_app(time_config(storage, mail_server.port))
    yield app
    app.extensions["accord"].close()
