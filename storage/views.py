"""The read models' database on SQLite and PostgreSQL: connections, transactions and cursors for the views
(``projections.db.Database``), in the same file or schema as the event store."""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import cache
from typing import Any, Protocol

import psycopg
from eventsourcing.persistence import OperationalError
from psycopg_pool import ConnectionPool, PoolTimeout

from storage.sqlite_gate import WriterGate


class Cursor(Protocol):
    """What a view's SQL runs on (``projections.db.Cursor``)."""

    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


@cache
def sqlite_has_trigram() -> bool:
    """Whether this process's SQLite library has FTS5 and its trigram tokenizer (SQLite 3.34 or later)."""
    try:
        with sqlite3.connect(":memory:") as conn:
            conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'trigram')")
    except sqlite3.Error:
        return False
    return True


def create_all(db: SQLiteDatabase | PostgresDatabase, statements: Iterable[str]) -> None:
    """Run ``statements`` (each a CREATE ... IF NOT EXISTS) on ``db`` in one transaction: how every table kept
    beside the events is made."""
    with db.transaction() as cursor:
        for statement in statements:
            cursor.execute(statement)


class SQLiteDatabase:
    """The views' tables in the event store's SQLite file (``projections.db.Database``)."""

    dialect = "sqlite"

    def __init__(self, path: str, lock_timeout: float = 10.0, writer_gate: WriterGate | None = None):
        self.fts5_trigram = sqlite_has_trigram()
        self.path = path
        self.lock_timeout = lock_timeout
        self.writer_gate = writer_gate
        """Taken around each write transaction, if given: the turn of writers to the file shared with the event
        store (``storage.sqlite_gate``), so that view writes and event writes queue in the kernel rather than
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
            # Some builds (Debian's) zero every page a view frees, dropped tables' too, which makes a rebuild
            # write much more. The rows of a view repeat what the events in the same file hold, so zeroing them
            # hides nothing: FAST zeroes only what costs no extra write.
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


class PostgresDatabase:
    """The views' tables in the event store's PostgreSQL schema (``projections.db.Database``)."""

    dialect = "postgres"
    fts5_trigram = False

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

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.transaction() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def close(self) -> None:
        self.pool.close()


def database_for(storage: Mapping[str, str], pool_size: int = 4, writer_gate: WriterGate | None = None
                 ) -> SQLiteDatabase | PostgresDatabase:
    """The read-model database of a store: its PostgreSQL database, or its SQLite file (whose writers take
    ``writer_gate``, if given)."""
    if storage["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return PostgresDatabase(storage, pool_size=pool_size)
    return SQLiteDatabase(storage["SQLITE_DBNAME"], float(storage.get("SQLITE_LOCK_TIMEOUT") or 10), writer_gate)


def title_index_warning(db: SQLiteDatabase | PostgresDatabase) -> str | None:
    """Why the title search has no index here (it then scans), or None when it has one."""
    if db.dialect == "sqlite":
        return None if db.fts5_trigram else (
            f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (3.34 or later): the title search scans")
    rows = db.query("SELECT 1 AS found FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?",
                    ("agreement_titles_trgm",))
    return None if rows else "PostgreSQL has no pg_trgm index on agreement_titles: the title search scans"
