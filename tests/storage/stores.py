"""The storage environment of the tests: the PostgreSQL server they use, fresh and empty event stores on either
backend, and the environment a process needs to work on one of them.

Every store a test works on comes from ``fresh_store``: the ``storage`` fixture (tests/conftest.py) makes one
per test and backend, and the few fixtures that keep a store for a whole module, or need one store of each
backend at once, call it themselves. A store is the library's persistence settings (``PERSISTENCE_MODULE``,
``SQLITE_DBNAME``, ``POSTGRES_*``), as an operator would set them in the environment.

PostgreSQL tests never skip: if the server cannot be reached they fail. Each PostgreSQL store is a schema of
its own in the ``test`` database, dropped afterwards, so tests never see each other's events.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

PG = {
    "POSTGRES_DBNAME": os.environ.get("ACCORD_TEST_POSTGRES_DBNAME", "test"),
    "POSTGRES_HOST": os.environ.get("ACCORD_TEST_POSTGRES_HOST", "127.0.0.1"),
    "POSTGRES_PORT": os.environ.get("ACCORD_TEST_POSTGRES_PORT", "5432"),
    "POSTGRES_USER": os.environ.get("ACCORD_TEST_POSTGRES_USER", "postgres"),
    "POSTGRES_PASSWORD": os.environ.get("ACCORD_TEST_POSTGRES_PASSWORD", ""),
}
"""The PostgreSQL server and database the tests use (a local one by default)."""

BACKENDS = ("sqlite", "postgres")

STORAGE_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "ACCORD_")
"""The environment variables that choose a store or configure Accord: a process started by a test sees the
test's store, never one named in the environment of whoever runs the tests."""


def pg_connect() -> psycopg.Connection:
    """An autocommit connection to the tests' PostgreSQL database."""
    return psycopg.connect(
        dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=PG["POSTGRES_PORT"],
        user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"] or None, autocommit=True, connect_timeout=5,
    )


@contextmanager
def fresh_store(backend: str, folder: Path) -> Iterator[dict[str, str]]:
    """The persistence settings of a new, empty event store: ``accord.db`` in ``folder`` on SQLite, or a new
    schema on PostgreSQL, dropped with everything in it when the block ends."""
    if backend == "sqlite":
        yield {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / "accord.db")}
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_SCHEMA": schema, **PG}
    finally:
        with pg_connect() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def backend_of(storage: dict[str, str]) -> str:
    """``sqlite`` or ``postgres``: the backend of a store's settings."""
    return storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]


def process_env(storage: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment of a child process on a store (the ``accord`` command, a projection runner): this
    process's environment without storage or Accord settings, then the store's settings, then ``extra``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(STORAGE_PREFIXES)}
    return {**env, **storage, **extra}


def use_store(monkeypatch: pytest.MonkeyPatch, storage: dict[str, str], **extra: str) -> None:
    """Point this process's environment at a store for the rest of the test, as ``process_env`` does for a
    child: for code that reads its settings from the environment here, such as the CLI under click's runner."""
    for name in list(os.environ):
        if name.startswith(STORAGE_PREFIXES):
            monkeypatch.delenv(name)
    for name, value in {**storage, **extra}.items():
        monkeypatch.setenv(name, value)
