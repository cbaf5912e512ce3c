"""Direct SQL on an event store's rows, as someone with database access would tamper with them, and small
readers of the stored log; both backends (the SQLite file, or the PostgreSQL test schema)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from psycopg import sql

from domain.values import Actor, Role, StepContext
from tests.storage.stores import backend_of, pg_connect

API = "/api/v1"
AGREEMENTS = f"{API}/agreements"
ENLARGEMENTS = f"{API}/enlargements"
AUDIT = f"{API}/audit"
CHAIN = "accord_log_chain"


@dataclass(frozen=True)
class Row:
    """One stored event: its position in the global log and its stored columns."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.state)


class RawStore:
    """The stored rows of one event store, read and edited with plain SQL (no library code).

    Statements are written with ``{events}``, ``{chain}`` and ``{pos}`` (the position column: SQLite's rowid,
    PostgreSQL's notification_id) and ``?`` parameters; they run in one committed transaction.
    """

    def __init__(self, storage: dict[str, str]):
        self.storage = storage
        self.sqlite = backend_of(storage) == "sqlite"
        if self.sqlite:
            self.names = {"events": "stored_events", "chain": CHAIN, "pos": "rowid"}
        else:
            schema = storage["POSTGRES_SCHEMA"]
            self.names = {"events": f'"{schema}".accord_events', "chain": f'"{schema}".{CHAIN}',
                          "pos": "notification_id"}

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self.sqlite:
            with closing(sqlite3.connect(self.storage["SQLITE_DBNAME"])) as conn, conn:
                yield conn.cursor()
        else:
            with pg_connect() as conn, conn.transaction(), conn.cursor() as cursor:
                yield cursor

    def _id(self, aggregate_id: UUID) -> Any:
        return aggregate_id.hex if self.sqlite else aggregate_id

    def execute(self, *statements: tuple[str, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Run (statement, params) pairs in one transaction; return the last one's rows (if any)."""
        rows: list[tuple[Any, ...]] = []
        with self._cursor() as cursor:
            for statement, params in statements:
                text = statement.format(**self.names)
                cursor.execute(text if self.sqlite else sql.SQL(text.replace("?", "%s")), params)  # type: ignore
                rows = cursor.fetchall() if cursor.description else []
        return rows

    # ---- reading -----------------------------------------------------------------------------------

    def rows(self) -> list[Row]:
        return [Row(int(p), UUID(str(a)), int(v), t, bytes(s)) for p, a, v, t, s in self.execute(
            ("SELECT {pos}, originator_id, originator_version, topic, state FROM {events} ORDER BY {pos}", ()))]

    def chain(self) -> list[tuple[int, str, str]]:
        return [(int(p), e, r) for p, e, r in self.execute(
            ("SELECT position, event_hash, running_hash FROM {chain} ORDER BY position", ()))]

    # ---- tampering ---------------------------------------------------------------------------------

    def set_state(self, position: int, state: bytes) -> None:
        self.execute(("UPDATE {events} SET state = ? WHERE {pos} = ?", (state, position)))

    def set_topic(self, position: int, topic: str) -> None:
        self.execute(("UPDATE {events} SET topic = ? WHERE {pos} = ?", (topic, position)))

    def move(self, position: int, aggregate_id: UUID, version: int) -> None:
        self.execute(("UPDATE {events} SET originator_id = ?, originator_version = ? WHERE {pos} = ?",
                      (self._id(aggregate_id), version, position)))

    def copy(self, position: int, aggregate_id: UUID, version: int) -> int:
        """Copy a row to another aggregate and version; the copy takes the next free position."""
        self.execute(("INSERT INTO {events} (originator_id, originator_version, topic, state) "
                      "SELECT ?, ?, topic, state FROM {events} WHERE {pos} = ?",
                      (self._id(aggregate_id), version, position)))
        return self.head()

    def insert(self, aggregate_id: UUID, version: int, topic: str, state: bytes) -> int:
        """A new row at the next free position (the library's own numbering)."""
        self.execute(("INSERT INTO {events} (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
                      (self._id(aggregate_id), version, topic, state)))
        return self.head()

    def delete(self, *positions: int) -> None:
        self.execute(*[("DELETE FROM {events} WHERE {pos} = ?", (p,)) for p in positions])

    def swap_positions(self, a: int, b: int) -> None:
        self.execute(("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (-1, a)),
                     ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (a, b)),
                     ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (b, -1)))

    def rewrite_chain(self, rows: list[tuple[int, str, str]]) -> None:
        self.execute(*[("UPDATE {chain} SET event_hash = ?, running_hash = ? WHERE position = ?", (e, r, p))
                       for p, e, r in rows])

    def delete_chain(self, *positions: int) -> None:
        self.execute(*[("DELETE FROM {chain} WHERE position = ?", (p,)) for p in positions])

    def head(self) -> int:
        [(head,)] = self.execute(("SELECT MAX({pos}) FROM {events}", ()))
        return int(head)


def lose_a_race(services: Any, agreement_id: UUID) -> None:
    """Two writers load the same agreement and both correct its title; the second write is refused."""
    first, second = (services.app.repository.get(agreement_id) for _ in range(2))
    by = Actor("carla", Role.LEGAL_OFFICER)
    first.correct(by, StepContext(reason="A typo."), "title", "The first writer's title")
    second.correct(by, StepContext(reason="A typo."), "title", "The second writer's title")
    services.app.save(first)
    with pytest.raises(IntegrityError):
        services.app.save(second)


def aggregates(rows: list[Row]) -> dict[UUID, list[Row]]:
    """Each aggregate's rows in version order, aggregates in the order of their first event."""
    found: dict[UUID, list[Row]] = {}
    for row in rows:
        found.setdefault(row.aggregate_id, []).append(row)
    return {a: sorted(r, key=lambda row: row.version) for a, r in found.items()}


def agreements(rows: list[Row], at_least: int = 1) -> list[list[Row]]:
    """The agreements' rows, each with at least ``at_least`` events, in the order of their first event."""
    return [r for r in aggregates(rows).values()
            if r[0].topic.startswith("accord.agreement:") and len(r) >= at_least]

