"""Event recorders that also keep the global hash chain, in the same transaction as the events.

``accord_log_chain`` holds, for each position of the global log, the event's own hash and the running
hash of the whole log up to it: sha256(previous running hash + event hash). Writes to the events table are
serialised (SQLite's single writer; the library's table lock on PostgreSQL), so reading the last running
hash and appending to it inside the insert transaction is safe. A row removed from the log, a forged one
inserted, two swapped, or the log's tail cut off, all break this chain at a named position; rewriting
the events and this table consistently is caught against a digest saved earlier (see workflows/audit.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.chain import GENESIS, running_hash

CHAIN_TABLE = "accord_log_chain"


def chain_rows(previous: str, positions: Sequence[int], stored_events: Sequence[StoredEvent]) -> list[tuple]:
    rows = []
    for position, stored in zip(positions, stored_events, strict=True):
        event_hash = json.loads(stored.state)["hash"]
        previous = running_hash(previous, event_hash)
        rows.append((position, event_hash, previous, str(stored.originator_id), stored.originator_version))
    return rows


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (position INTEGER PRIMARY KEY, "
                "event_hash TEXT NOT NULL, running_hash TEXT NOT NULL, originator_id TEXT NOT NULL, "
                "originator_version INTEGER NOT NULL)"]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
                       ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if stored_events and positions:
            c.execute(f"SELECT running_hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
            c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?, ?, ?)",
                          chain_rows(row[0] if row else GENESIS, positions, stored_events))
        return positions


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0}.{1} (position BIGINT PRIMARY KEY, event_hash TEXT NOT NULL, "
            "running_hash TEXT NOT NULL, originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL)"
        ).format(schema, Identifier(CHAIN_TABLE)))
        # The running hash is computed by the server from the last row, so appending costs no round trip.
        self.append_chain = SQL(
            "INSERT INTO {0}.{1} (position, event_hash, running_hash, originator_id, originator_version) "
            "SELECT %s, %s, encode(sha256(convert_to(COALESCE((SELECT running_hash FROM {0}.{1} "
            "ORDER BY position DESC LIMIT 1), %s) || %s, 'UTF8')), 'hex'), %s, %s"
        ).format(schema, Identifier(CHAIN_TABLE))

    def _fetch_ids_after_insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if stored_events and positions:
            hashes = [json.loads(s.state)["hash"] for s in stored_events]
            curs.executemany(self.append_chain, [
                (p, h, GENESIS, h, str(s.originator_id), s.originator_version)
                for p, h, s in zip(positions, hashes, stored_events, strict=True)])
        return positions


def insert_exported(recorder: Any, rows: Sequence[tuple[int, StoredEvent, str, str]]) -> None:
    """(position, stored event, event hash, running hash) rows, as read from an export."""
    """Insert events at their original positions, with their chain rows, in one transaction (import)."""
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
