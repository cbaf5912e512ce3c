"""Reading the stored log with global positions, on SQLite and PostgreSQL alike.

The library's ``select_events`` does not return an event's notification id (its global position), which
history entries and replayed responses need; these queries read it from the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def position_page(recorder: ApplicationRecorder, table: str, key: str, columns: str, after: int,
                  up_to: int | None, limit: int, inclusive: bool = False) -> list[tuple]:
    """Rows of one of the store's tables in the order of its position column ``key``: after ``after``
    (``inclusive``: from it), up to ``up_to``, at most ``limit``, as tuples of ``columns``."""
    sqlite = isinstance(recorder, SQLiteApplicationRecorder)
    mark = "?" if sqlite else "%s"
    name = table if sqlite else f'"{recorder.datastore.schema}"."{table}"'
    sql = f"SELECT {columns} FROM {name} WHERE {key} {'>=' if inclusive else '>'} {mark}"
    params: list[Any] = [after]
    if up_to is not None:
        sql += f" AND {key} <= {mark}"
        params.append(up_to)
    sql += f" ORDER BY {key} LIMIT {mark}"
    params.append(limit)
    with recorder.datastore.transaction(commit=False) as cursor:
        if not sqlite:
            cursor.row_factory = tuple_row  # this cursor only: rows as tuples, not dicts
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def paged(read: Callable[[int], list[tuple]]) -> Iterator[tuple]:
    """Every row ``read(after)`` gives, page after page, each page read after the last row's position (its
    first column)."""
    position = 0
    while page := read(position):
        yield from page
        position = page[-1][0]


def event_page(recorder: ApplicationRecorder, after: int, up_to: int | None, limit: int,
               inclusive: bool = False) -> list[Row]:
    """Stored events after a position (``inclusive``: from it), as plain rows: what ``select_notifications``
    reads, without building an object per event."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return position_page(recorder, recorder.events_table_name, "rowid",
                             "rowid, originator_id, originator_version, topic, state", after, up_to, limit, inclusive)
    rows = position_page(recorder, recorder.events_table_name, "notification_id",
                         "notification_id, originator_id, originator_version, topic, state", after, up_to, limit,
                         inclusive)
    return [(p, i.hex, v, t, s) for p, i, v, t, s in rows]


def page_reader(recorder: ApplicationRecorder) -> Callable[[int, int, bool], list[Row]]:
    """``(start, limit, inclusive_of_start) -> rows``: pages of the log for the projection engine."""
    if not isinstance(recorder, SQLiteApplicationRecorder):
        postgres = _postgres_recorder_class()
        if postgres is None or not isinstance(recorder, postgres):
            raise TypeError(f"unsupported recorder {type(recorder).__name__}")
    return lambda start, limit, inclusive: event_page(recorder, start, None, limit, inclusive)
