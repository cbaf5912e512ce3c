"""The read-model database as the views see it: transactions and cursors on the same SQLite file or
PostgreSQL schema as the event store (``storage.views`` provides both).

SQL in projections/ is written once with ``?`` placeholders and portable types (ISO text for dates and
times, so they sort and compare the same on both engines); PostgreSQL's cursor turns them into ``%s``. A
PostgreSQL cursor also copies rows in bulk (``copy_rows``, ``merge_rows``); the helpers below use that
where the cursor has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Cursor(Protocol):
    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


def like_contains(text: str) -> str:
    """A pattern for ``LIKE ? ESCAPE '\\'`` matching ``text`` casefolded anywhere, its ``%``, ``_`` and ``\\``
    taken literally."""
    return "%" + text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def insert_rows(cursor: Cursor, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows (no conflict expected): on PostgreSQL with COPY, many times faster than INSERTs."""
    if not rows:
        return
    if hasattr(cursor, "copy_rows"):
        cursor.copy_rows(table, columns, rows)
    else:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           rows)


def rows_where_in(cursor: Cursor, table: str, column: str, values: Sequence[Any]) -> list[Any]:
    """Every row of ``table`` whose ``column`` is one of ``values``: on PostgreSQL one statement (``= ANY`` of
    an array), on SQLite one for every 500 values (its limit on parameters is lower)."""
    if hasattr(cursor, "copy_rows"):  # PostgreSQL
        cursor.execute(f"SELECT * FROM {table} WHERE {column} = ANY(?)", (list(values),))
        return cursor.fetchall()
    rows = []
    for start in range(0, len(values), 500):
        part = values[start:start + 500]
        cursor.execute(f"SELECT * FROM {table} WHERE {column} IN ({','.join('?' * len(part))})", part)
        rows.extend(cursor.fetchall())
    return rows


def upsert_rows(cursor: Cursor, table: str, columns: Sequence[str], key: Sequence[str],
                rows: Sequence[Sequence[Any]], update: str | None = None) -> None:
    """Insert rows, or update the row with the same ``key``: with ``update`` (an SQL ``SET`` list, which may
    read ``excluded.column``; "NOTHING": leave the row as it is), by default to the new row's values. The rows'
    keys must be distinct (one statement may not change a row twice).

    SQLite: one statement per row, run in process. PostgreSQL: the rows are copied (COPY) into a temporary
    table of this session and merged by one ``INSERT ... SELECT``, a few round trips for any number of rows
    instead of one statement each (a statement of many ``VALUES`` is no faster, and its text, which varies
    with the number of rows, would fill psycopg's caches of prepared queries)."""
    if not rows:
        return
    if update is None:
        update = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    conflict = f"ON CONFLICT ({', '.join(key)}) DO " + ("NOTHING" if update == "NOTHING" else f"UPDATE SET {update}")
    if hasattr(cursor, "merge_rows"):
        cursor.merge_rows(table, columns, rows, conflict)
    else:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                           f"{conflict}", rows)


class Database(Protocol):
    """Transactions on the read-model tables; ``dialect`` is "sqlite" or "postgres"; ``fts5_trigram``: SQLite
    with FTS5's trigram tokenizer, which the title index then uses (``projections.titles``)."""

    dialect: str
    fts5_trigram: bool

    def transaction(self) -> AbstractContextManager[Cursor]:
        """A write transaction: committed when the block ends, rolled back if it raises."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one read (mappings by column name)."""

    def close(self) -> None: ...
