"""Fresh stores to measure in, and the baselines built from the libraries on them: the eventsourcing library's
own Application and recorder, and the plain driver (``sqlite3`` / ``psycopg``) inserting a comparable row.

PostgreSQL: a new schema in the database named by ``ACCORD_BENCH_POSTGRES_DBNAME`` (default ``test`` on
127.0.0.1:5432, user postgres; ``_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD`` likewise), dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.application import Application

from bench.suite import say
from bootstrap.services import Services
from storage.settings import backend_of, storage_env

PG = {f"POSTGRES_{key}": os.environ.get(f"ACCORD_BENCH_POSTGRES_{key}", default) for key, default in
      (("DBNAME", "test"), ("HOST", "127.0.0.1"), ("PORT", "5432"), ("USER", "postgres"), ("PASSWORD", ""))}


def pg_connect() -> psycopg.Connection:
    return psycopg.connect(dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=PG["POSTGRES_PORT"],
                           user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"] or None, autocommit=True,
                           connect_timeout=5)


@contextmanager
def fresh_store(backend: str, label: str, keep: bool = False) -> Iterator[dict[str, str]]:
    """The storage settings of a new, empty store: a temporary SQLite file, or a new PostgreSQL schema;
    removed afterwards unless ``keep``."""
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix=f"accord-bench-{label}-")
        try:
            yield storage_env({}, {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                   "SQLITE_DBNAME": os.path.join(directory, "accord.db")})
        finally:
            if keep:
                say(f"  kept {directory}")
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    schema = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    with pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield storage_env({}, {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_SCHEMA": schema, **PG})
    finally:
        if keep:
            say(f"  kept schema {schema}")
        else:
            with pg_connect() as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def open_services(storage: dict[str, str]) -> Iterator[Services]:
    """Accord's services of a process (application, views' database, projections) with every table created."""
    services = Services(storage)
    try:
        services.create_tables()
        yield services
    finally:
        services.close()


def backend_version(services: Services) -> str:
    if services.backend == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    [row] = services.db.query("SHOW server_version")
    return f"PostgreSQL {row['server_version']}, psycopg {psycopg.__version__} ({psycopg.pq.__impl__})"


def library_application(storage: dict[str, str], create_tables: bool = True) -> Application:
    """The eventsourcing library's own Application and recorder on a store (no Accord recorder, no chain)."""
    env = {**storage, "APPLICATION_RECORDER_TOPIC": "", "CREATE_TABLE": "y" if create_tables else "n"}
    return Application(env=env)


class DriverStore:
    """The plain driver: one row like a stored event inserted and committed per call, in a table shaped like
    the library's events table, on a connection per thread. On SQLite a lock serialises the process's
    writes, as the library's datastore does (else its threads contend in SQLite's busy handler, which
    sleeps); on PostgreSQL there is no table lock (the library takes one, to keep positions in commit order)."""

    TABLE = "bench_rows"

    def __init__(self, storage: dict[str, str]):
        self.storage = storage
        self.sqlite = backend_of(storage) == "sqlite"
        self.local = threading.local()
        self.connections: list[Any] = []
        self.lock = threading.Lock()

    def connect(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            s = self.storage
            if self.sqlite:
                conn = sqlite3.connect(s["SQLITE_DBNAME"], isolation_level=None, check_same_thread=False,
                                       timeout=float(s.get("SQLITE_LOCK_TIMEOUT") or 10))
                conn.execute("PRAGMA journal_mode=WAL")  # as the library's SQLite datastore
            else:
                conn = psycopg.connect(dbname=s["POSTGRES_DBNAME"], host=s["POSTGRES_HOST"], port=s["POSTGRES_PORT"],
                                       user=s["POSTGRES_USER"], password=s.get("POSTGRES_PASSWORD") or None,
                                       connect_timeout=5, options=f"-c search_path={s['POSTGRES_SCHEMA']}")
            self.local.conn = conn
            with self.lock:
                self.connections.append(conn)
        return conn

    def create_table(self) -> None:
        conn = self.connect()
        if self.sqlite:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (originator_id TEXT, originator_version INTEGER, "
                         "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))")
            return
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (originator_id uuid NOT NULL, originator_version "
                     "bigint NOT NULL, topic text, state bytea, notification_id bigserial, "
                     "PRIMARY KEY (originator_id, originator_version))")
        conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {self.TABLE}_position ON {self.TABLE} (notification_id)")
        conn.commit()

    def insert(self, originator_id: uuid.UUID, version: int, topic: str, state: bytes) -> int:
        """Insert and commit one row; its position (rowid / notification_id)."""
        conn = self.connect()
        if self.sqlite:
            with self.lock:
                conn.execute("BEGIN")
                try:
                    cursor = conn.execute(f"INSERT INTO {self.TABLE} VALUES (?, ?, ?, ?)",
                                          (originator_id.hex, version, topic, state))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            return int(cursor.lastrowid or 0)
        try:
            row = conn.execute(f"INSERT INTO {self.TABLE} (originator_id, originator_version, topic, state) "
                               "VALUES (%s, %s, %s, %s) RETURNING notification_id",
                               (originator_id, version, topic, state)).fetchone()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return int(row[0])

    def count(self) -> int:
        conn = self.connect()
        [[n]] = conn.execute(f"SELECT COUNT(*) FROM {self.TABLE}").fetchall()
        if not self.sqlite:
            conn.commit()
        return int(n)

    def close(self) -> None:
        with self.lock:
            for conn in self.connections:
                conn.close()
            self.connections.clear()
        self.local = threading.local()
