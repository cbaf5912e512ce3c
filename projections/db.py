"""The read-model database: the same SQLite file or PostgreSQL schema as the event store.

SQL in projections/ is written once with ``?`` placeholders and portable types (ISO text for dates and
times, so they sort and compare the same on both engines); PostgreSQL gets ``%s``.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

import psycopg
from eventsourcing.persistence import OperationalError
from psycopg_pool import ConnectionPool, PoolTimeout


class WriterGate(Protocol):
    def held(self, timeout: float) -> AbstractContextManager[Any]: ...


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
    if isinstance(cursor, _PgCursor):
        cursor.copy_rows(table, columns, rows)
    else:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           rows)


def rows_where_in(cursor: Cursor, table: str, column: str, values: Sequence[Any]) -> list[Any]:
    """Every row of ``table`` whose ``column`` is one of ``values``: on PostgreSQL one statement (``= ANY`` of
    an array), on SQLite one for every 500 values (its limit on parameters is lower)."""
    if isinstance(cursor, _PgCursor):
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
    instead of one statement each (a statement of many ``VALUES`` was measured no faster, and its text, which
    varies with the number of rows, filled psycopg's caches of prepared queries)."""
    if not rows:
        return
    if update is None:
        update = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    conflict = f"ON CONFLICT ({', '.join(key)}) DO " + ("NOTHING" if update == "NOTHING" else f"UPDATE SET {update}")
    if isinstance(cursor, _PgCursor):
        cursor.merge_rows(table, columns, rows, conflict)
    else:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                           f"{conflict}", rows)


class Database:
    """Transactions on the read-model tables; ``dialect`` is "sqlite" or "postgres"."""

    dialect: str

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.transaction() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, lock_timeout: float = 10.0, writer_gate: WriterGate | None = None):
        self.path = path
        self.lock_timeout = lock_timeout
        self.writer_gate = writer_gate
        """Taken around each write transaction, if given: the turn of writers to the file shared with the event
        store (``workflows.sqlite_gate``), so that view writes and event writes queue in the kernel rather than
        in SQLite's sleeping busy handler."""
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=self.lock_timeout)
            conn.execute("PRAGMA journal_mode=WAL")
            # Views are derived data, written with their tracking position in each transaction: after a power
            # loss they roll back together to an earlier consistent point and catch up again, so their commits
            # need not wait for the disk (in WAL mode NORMAL still survives any crash of the process).
            conn.execute("PRAGMA synchronous=NORMAL")
            # Some builds (Debian's) zero every page a view frees, dropped tables' too (a rebuild wrote a third
            # more). The rows of a view repeat what the events in the same file hold, so zeroing them hides
            # nothing: FAST zeroes only what costs no extra write.
            conn.execute("PRAGMA secure_delete=FAST")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with _storage_errors(), self.writer_gate.held(self.lock_timeout) if self.writer_gate else nullcontext():
            conn = self._connection()
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        with _storage_errors():
            conn = self._connection()
            cursor = conn.cursor()
            cursor.execute("BEGIN")
            try:
                yield cursor
            finally:
                conn.rollback()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.reading() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


@contextmanager
def _storage_errors() -> Iterator[None]:
    """SQLite's own operational errors (a locked or missing file) as the library's: "storage unavailable"."""
    try:
        yield
    except sqlite3.OperationalError as error:
        raise OperationalError(str(error)) from error


class _PgCursor:
    """A psycopg cursor that takes ``?`` placeholders, for one transaction."""

    def __init__(self, cursor: Any):
        self._cursor = cursor
        self._staged: set[str] = set()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        return self._cursor.executemany(sql.replace("?", "%s"), rows)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def merge_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], conflict: str) -> None:
        """``INSERT INTO table (columns) VALUES rows ... conflict``, by COPY into a staging table: a temporary
        table of this session, emptied at every commit, named after the table and the columns it stages."""
        names = ", ".join(columns)
        stage = f"accord_stage_{table}_{zlib.crc32(names.encode()):08x}"
        if stage in self._staged:  # merged into before in this transaction
            self._cursor.execute(f"DELETE FROM {stage}")
        else:
            self._cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                                 f"SELECT {names} FROM {table} WITH NO DATA")
            self._staged.add(stage)
        self.copy_rows(stage, columns, rows)
        self._cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {conflict}")

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetchone(self) -> Any:
        return self._cursor.fetchone()


class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, settings: Mapping[str, str], pool_size: int = 4):
        from psycopg.rows import dict_row

        schema = settings.get("POSTGRES_SCHEMA") or "public"
        lock_timeout = int(settings.get("POSTGRES_LOCK_TIMEOUT") or 5)
        self.pool = ConnectionPool(
            kwargs={
                "dbname": settings["POSTGRES_DBNAME"], "host": settings["POSTGRES_HOST"],
                "port": settings.get("POSTGRES_PORT") or "5432", "user": settings["POSTGRES_USER"],
                "password": settings.get("POSTGRES_PASSWORD") or None,
                "connect_timeout": int(float(settings.get("POSTGRES_CONNECT_TIMEOUT") or 5)),
                # plan_cache_mode: plan every execution for its parameters: psycopg prepares a statement run
                # five times, and PostgreSQL may then reuse one generic plan for all parameters, as if it did
                # not know whether a title search matches every title or none, or how many rows a LIMIT keeps.
                # synchronous_commit: views are derived data, written with their tracking position in each
                # transaction, so a commit need not wait for the WAL to reach the disk: a server crash may
                # lose the last few commits, each whole, and the runner applies them again (as SQLite's
                # synchronous=NORMAL above). The event store's own connections keep waiting.
                "options": f"-c search_path={schema} -c lock_timeout={lock_timeout}s "
                           "-c plan_cache_mode=force_custom_plan -c synchronous_commit=off",
                "row_factory": dict_row,
            },
            min_size=1, max_size=pool_size, open=True, timeout=5, reconnect_timeout=5.0,
            check=ConnectionPool.check_connection,
        )

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        try:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                yield _PgCursor(cursor)
        except (psycopg.OperationalError, PoolTimeout) as error:
            if getattr(error, "sqlstate", None) is None:  # the server, not the query: "storage unavailable"
                raise OperationalError(str(error)) from error
            raise

    def close(self) -> None:
        self.pool.close()


def database_for(storage: Mapping[str, str], pool_size: int = 4, writer_gate: WriterGate | None = None) -> Database:
    """The read-model database of a store: its PostgreSQL database, or its SQLite file (whose writers take
    ``writer_gate``, if given)."""
    if storage["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return PostgresDatabase(storage, pool_size=pool_size)
    return SQLiteDatabase(storage["SQLITE_DBNAME"], float(storage.get("SQLITE_LOCK_TIMEOUT") or 10), writer_gate)
