"""Reading the stored log with global positions, on SQLite and PostgreSQL alike.

The library's ``select_events`` does not return an event's notification id (its global position), which
history entries and replayed responses need; these queries read it from the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row


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


Row = tuple[int, str, int, str, bytes]
"""A stored event as read from the log: position, aggregate id (32 hex digits), version, stored topic,
stored JSON."""


def event_page(recorder: ApplicationRecorder, after: int, up_to: int | None, limit: int,
               inclusive: bool = False) -> list[Row]:
    """Stored events after a position (``inclusive``: from it), as plain rows: what ``select_notifications``
    reads, without building an object per event."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        sql = (f"SELECT rowid, originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
               f"WHERE rowid {'>=' if inclusive else '>'} ?")
        mark, hex_ids = "?", True
    else:
        sql = (f'SELECT notification_id, originator_id, originator_version, topic, state '
               f'FROM "{recorder.datastore.schema}"."{recorder.events_table_name}" '
               f"WHERE notification_id {'>=' if inclusive else '>'} %s")
        mark, hex_ids = "%s", False
    params: list[Any] = [after]
    if up_to is not None:
        sql += f" AND {'rowid' if hex_ids else 'notification_id'} <= {mark}"
        params.append(up_to)
    sql += f" ORDER BY {'rowid' if hex_ids else 'notification_id'} LIMIT {mark}"
    params.append(limit)
    with recorder.datastore.transaction(commit=False) as cursor:
        if not hex_ids:
            cursor.row_factory = tuple_row  # this cursor only: rows as tuples, not dicts
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if hex_ids:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    return [(p, i.hex, v, t, s) for p, i, v, t, s in rows]


def page_reader(recorder: ApplicationRecorder) -> Callable[[int, int, bool], list[Row]]:
    """``(start, limit, inclusive_of_start) -> rows``: pages of the log for the projection engine."""
    if not isinstance(recorder, SQLiteApplicationRecorder):
        postgres = _postgres_recorder_class()
        if postgres is None or not isinstance(recorder, postgres):
            raise TypeError(f"unsupported recorder {type(recorder).__name__}")
    return lambda start, limit, inclusive: event_page(recorder, start, None, limit, inclusive)
