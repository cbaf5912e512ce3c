"""Event recorders that also keep the global hash chain, in the same transaction as the events.

``accord_log_chain`` holds, for each position of the global log, the event's own hash and the running
hash of the whole log up to it: sha256(previous running hash + event hash). Writes to the events table are
serialised (SQLite's single writer; the library's table lock on PostgreSQL), so reading the last running
hash and appending to it inside the insert transaction is safe. A row removed from the log, a forged one
inserted, two swapped, or the log's tail cut off, all break this chain at a named position; rewriting
the events and this table consistently is caught against a digest saved earlier (see storage/audit.py).
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import MethodType
from typing import Any
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteTransaction
from psycopg import ClientCursor
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

from domain.chain import GENESIS, running_hash
from storage.sqlite_gate import gate_writers

CHAIN_TABLE = "accord_log_chain"


def carried_hash(state: bytes) -> str:
    """The hash a stored event carries (orjson; the standard parser for what orjson refuses, such as an
    integer beyond 64 bits)."""
    try:
        return orjson.loads(state)["hash"]
    except orjson.JSONDecodeError:
        return json.loads(state)["hash"]


def chain_rows(previous: str, positions: Sequence[int], stored_events: Sequence[StoredEvent]) -> list[tuple]:
    rows = []
    for position, stored in zip(positions, stored_events, strict=True):
        event_hash = carried_hash(stored.state)
        previous = running_hash(previous, event_hash)
        rows.append((position, event_hash, previous, str(stored.originator_id), stored.originator_version))
    return rows


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        gate_writers(self.datastore)  # writers take turns promptly; readers never queue behind them
        self._select_latest_version = (f"SELECT MAX(originator_version) FROM {self.events_table_name} "
                                       "WHERE originator_id = ?")
        self._select_chain_end = f"SELECT running_hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1"
        self._insert_chain_row = f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?, ?, ?)"
        self._tail: tuple[int, str] | None = None
        """(position, running hash) of the last chain row this process committed."""
        self._pending_tail: tuple[int, str] | None = None
        """The same, as the save in progress leaves it, until it commits."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (position INTEGER PRIMARY KEY, "
                "event_hash TEXT NOT NULL, running_hash TEXT NOT NULL, originator_id TEXT NOT NULL, "
                "originator_version INTEGER NOT NULL)"]

    def latest_version(self, originator_id: UUID) -> int | None:
        """The version of an aggregate's last recorded event (None: nothing recorded), read from the index.

        One statement in the connection's autocommit mode (consistent on its own), without the library's
        BEGIN and ROLLBACK around it: each statement lets go of the GIL and waits to take it back, which in
        a busy worker costs more than the read (it is asked on every request, for the bearer token)."""
        with self.datastore.get_connection(commit=False) as conn, conn.cursor() as cursor:
            cursor.execute(self._select_latest_version, (originator_id.hex,))
            return cursor.fetchone()[0]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert (BEGIN, the events, COMMIT, its errors translated by its ``SQLiteTransaction``)
        with the chain rows, on the pool's one writer connection (``GatedSQLiteConnectionPool``), without the
        library's three generator context managers around the transaction: each step's save passes here, and
        those managers cost more than SQLite's own insert and commit.

        Writers of this process take turns (the writer gate, or the library's writer lock where there is no
        gate), so the chain's end this save leaves can be remembered once it has committed, before the next
        writer's turn."""
        pool = self.datastore.pool
        conn = pool.get_connection(is_writer=True)
        try:
            self._pending_tail = None
            with SQLiteTransaction(conn, commit=True) as cursor, cursor:
                positions = self._insert_events(cursor, stored_events, **kwargs)
            if self._pending_tail is not None:  # committed: the chain now ends with the rows this save wrote
                self._tail = self._pending_tail
            return positions
        except BaseException:
            self._tail = None
            raise
        finally:
            pool.put_connection(conn)

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
                       ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if stored_events and positions:
            rows = chain_rows(self._chain_end(c, positions[0]), positions, stored_events)
            if len(rows) == 1:
                c.execute(self._insert_chain_row, rows[0])
            else:
                c.executemany(self._insert_chain_row, rows)
            self._pending_tail = (rows[-1][0], rows[-1][2])
        return positions

    def _chain_end(self, c: SQLiteCursor, first_position: int) -> str:
        """The running hash the chain ends with before ``first_position``.

        The end of the chain this process last wrote, if the log's next position is this save's first: no
        one has appended to the log since (SQLite gives a new row the position after the highest, and the
        events and chain rows are written together), so the statement that reads it can be saved. Otherwise
        the chain's last row, read in this transaction."""
        tail = self._tail
        if tail is not None and tail[0] + 1 == first_position:
            return tail[1]
        c.execute(self._select_chain_end)
        row = c.fetchone()
        return row[0] if row else GENESIS


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, writing each event with its chain row in one statement, and a whole save as
    one query: one round trip to the server, and no turn of the client's while the table is locked.

    The transaction is the library's: the same lock timeout, EXCLUSIVE table lock and NOTIFY, then the
    events in order, all committed together. The library sends the inserts in a pipeline, waits for their
    result, then sends COMMIT: two round trips, with the table lock held across the client's turn (in a
    busy worker, its wait for the GIL), and psycopg's pipeline machinery costs more client CPU than the
    insert itself. Here the statements go as one query string, which PostgreSQL runs as one implicit
    transaction (all or nothing: a refused insert, such as a version already taken, rolls the whole save
    back and is raised as the library's ``IntegrityError``). The parameters are bound client-side by
    psycopg's ``ClientCursor`` (quoted by libpq: bytes as bytea, text escaped), which is what lets several
    statements travel in one query. Statements are rendered to bytes once, not composed on every call.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        events, chain = Identifier(self.events_table_name), Identifier(CHAIN_TABLE)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0}.{1} (position BIGINT PRIMARY KEY, event_hash TEXT NOT NULL, "
            "running_hash TEXT NOT NULL, originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL)"
        ).format(schema, chain))
        self.transaction_start = [*(s.as_bytes(None) for s in self.lock_table_statements),
                                  SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_bytes(None)]
        # The event, and its chain row: the running hash is computed by the server from the last chain row
        # (written under the same table lock), so appending to the chain costs no round trip.
        self.append_event = SQL(
            "WITH e AS (INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s) RETURNING notification_id) "
            "INSERT INTO {0}.{2} (position, event_hash, running_hash, originator_id, originator_version) "
            "SELECT notification_id, %s, encode(sha256(convert_to(COALESCE((SELECT running_hash FROM {0}.{2} "
            "ORDER BY position DESC LIMIT 1), %s) || %s, 'UTF8')), 'hex'), %s, %s FROM e RETURNING position"
        ).format(schema, events, chain).as_bytes(None)
        self.select_latest_version = SQL("SELECT MAX(originator_version) FROM {0}.{1} WHERE originator_id = %s"
                                         ).format(schema, events).as_bytes(None)

    def latest_version(self, originator_id: UUID) -> int | None:
        """The version of an aggregate's last recorded event (None: nothing recorded), read from the index."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(self.select_latest_version, (originator_id,))
            return cursor.fetchone()[0]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return None
        params: list[Any] = []
        for stored in stored_events:
            event_hash = carried_hash(stored.state)
            params += (stored.originator_id, stored.originator_version, stored.topic, stored.state,
                       event_hash, GENESIS, event_hash, str(stored.originator_id), stored.originator_version)
        query = b"; ".join([*self.transaction_start, *[self.append_event] * len(stored_events)])
        positions = []
        with self.datastore.get_connection() as conn, ClientCursor(conn, row_factory=tuple_row) as cursor:
            cursor.execute(query, params)
            while True:
                if cursor.description is not None:  # an append's RETURNING position
                    positions.append(cursor.fetchone()[0])
                if not cursor.nextset():
                    break
        return positions


def insert_exported(recorder: Any, rows: Sequence[tuple[int, StoredEvent, str, str]]) -> None:
    """Insert events at their original positions, with their chain rows, in one transaction (import): ``rows``
    are (position, stored event, event hash, running hash), as read from an export."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO {recorder.events_table_name} (rowid, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)",
                [(p, s.originator_id.hex, s.originator_version, s.topic, s.state) for p, s, _, _ in rows])
            c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?, ?, ?)",
                          [(p, h, r, str(s.originator_id), s.originator_version) for p, s, h, r in rows])
        return
    schema = Identifier(recorder.datastore.schema)
    table = Identifier(recorder.events_table_name)
    with recorder.datastore.transaction(commit=True) as curs:
        curs.execute(SQL("LOCK TABLE {0}.{1} IN EXCLUSIVE MODE").format(schema, table))
        curs.executemany(
            SQL("INSERT INTO {0}.{1} (originator_id, originator_version, topic, state, notification_id) "
                "VALUES (%s, %s, %s, %s, %s)").format(schema, table),
            [(s.originator_id, s.originator_version, s.topic, s.state, p) for p, s, _, _ in rows])
        curs.executemany(SQL("INSERT INTO {0}.{1} VALUES (%s, %s, %s, %s, %s)").format(schema, Identifier(CHAIN_TABLE)),
                         [(p, h, r, str(s.originator_id), s.originator_version) for p, s, h, r in rows])
        curs.execute(SQL("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                         "(SELECT MAX(notification_id) FROM {0}.{1}))").format(schema, table),
                     (f'"{recorder.datastore.schema}"."{recorder.events_table_name}"',))


class CircuitBreaker:
    """Fails fast while the database is unreachable.

    After a connection-level failure (no server, lost connection, pool timeout; not a lock timeout or a
    constraint), every call fails at once for ``pause`` seconds; then calls are let through again, and
    the first success closes the breaker. Without it, each request would wait out the pool's timeout in
    turn, and every worker thread would hang for the whole outage.
    """

    def __init__(self, pause: float = 1.0):
        self.pause = pause
        self.open_until = 0.0

    def wrap(self, get_connection: Any) -> Any:
        @contextmanager
        def guarded() -> Iterator[Any]:
            if time.monotonic() < self.open_until:
                raise OperationalError("the database is unreachable (failing fast for a moment)")
            try:
                with get_connection() as connection:
                    yield connection
            except OperationalError as error:
                if _lost_connection(error):
                    self.open_until = time.monotonic() + self.pause
                raise

        return guarded


def _lost_connection(error: Exception) -> bool:
    cause = error.__cause__
    return isinstance(cause, PoolTimeout) or (
        isinstance(cause, psycopg.OperationalError) and getattr(cause, "sqlstate", None) is None)


SINGLE_ATTEMPT = ("insert_events", "select_events", "select_notifications", "max_notification_id")


def harden_postgres(recorders: Sequence[Any]) -> None:
    """Make PostgreSQL outages answer quickly: one attempt per call (the library retries ten times, each
    waiting out the pool's timeout, before a request could be answered 503), a circuit breaker on
    connections, and a pool that keeps trying to reconnect instead of backing off for minutes."""
    datastores = {id(r.datastore): r.datastore for r in recorders}
    for recorder in recorders:
        for name in SINGLE_ATTEMPT:
            inner = getattr(getattr(type(recorder), name, None), "__wrapped__", None)
            if inner is not None:
                setattr(recorder, name, MethodType(inner, recorder))
    for datastore in datastores.values():
        datastore.get_connection = CircuitBreaker().wrap(datastore.get_connection)
        datastore.pool.reconnect_timeout = 5.0
        ping_only_idle(datastore.pool)


PING_IDLE_SECONDS = 1.0


def ping_only_idle(pool: Any, idle_seconds: float = PING_IDLE_SECONDS) -> None:
    """Pre-ping (POSTGRES_PRE_PING) only connections not handed out in the last ``idle_seconds``.

    The ping finds connections a server restart broke while they sat in the pool; one handed out a moment
    ago was working a moment ago, and pinging it anyway would cost a round trip on every call, a large part
    of a step's time. If the server goes away in that moment, the call fails at once like any call
    during an outage (503, circuit breaker), and the pool discards the broken connection when it returns.
    psycopg_pool has no public setting for this: it wraps the pool's own check (``_check``)."""
    check = getattr(pool, "_check", None)
    if check is None:
        return
    handed_out: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def check_if_idle(connection: Any) -> None:
        now = time.monotonic()
        last = handed_out.get(connection)
        handed_out[connection] = now
        if last is None or now - last >= idle_seconds:
            check(connection)

    pool._check = check_if_idle
