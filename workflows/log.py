"""Reading the stored log with global positions, on SQLite and PostgreSQL alike.

The library's ``select_events`` does not return an event's notification id (its global position), which
history entries and replayed responses need; these queries read it from the same table.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder


def _postgres_recorder_class() -> type | None:
    try:
        from eventsourcing.postgres import PostgresApplicationRecorder
    except ImportError:  # pragma: no cover - psycopg is a declared dependency
        return None
    return PostgresApplicationRecorder


def select_positioned_events(
    recorder: ApplicationRecorder, originator_id: UUID, *, gt: int | None = None, lte: int | None = None
) -> list[tuple[int, StoredEvent]]:
    """Every stored event of one aggregate in version order, each with its global position."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        sql = (f"SELECT rowid AS position, originator_version, topic, state FROM {recorder.events_table_name} "
               "WHERE originator_id=?")
        params: list[Any] = [originator_id.hex]
        placeholder = "?"
    else:
        postgres = _postgres_recorder_class()
        if postgres is None or not isinstance(recorder, postgres):
            raise TypeError(f"unsupported recorder {type(recorder).__name__}")
        sql = (f'SELECT notification_id AS position, originator_version, topic, state '
               f'FROM "{recorder.datastore.schema}"."{recorder.events_table_name}" WHERE originator_id=%s')
        params = [originator_id]
        placeholder = "%s"
    if gt is not None:
        sql += f" AND originator_version>{placeholder}"
        params.append(gt)
    if lte is not None:
        sql += f" AND originator_version<={placeholder}"
        params.append(lte)
    sql += " ORDER BY originator_version"
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (row["position"], StoredEvent(originator_id=originator_id, originator_version=row["originator_version"],
                                      topic=row["topic"], state=bytes(row["state"])))
        for row in rows
    ]
