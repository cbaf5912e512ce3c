"""Writers to one SQLite file take turns through a gate that wakes the next one at once.

SQLite lets one connection write at a time. A connection that finds the file locked waits in SQLite's busy
handler, which sleeps and tries again: 1, 2, 5, 10, 15, 20, 25 ... 100 ms. Under load (several gunicorn
workers writing events, and the views written in one of them) writers sleep long after the lock is free,
since each write holds it for far less than those sleeps: the processor idles while the slowest requests
wait. The gate queues writers in the kernel instead: a thread first takes its process's lock, then an
exclusive ``flock`` on ``<database>-lock`` beside the database file, and is woken the moment the previous
writer lets go. SQLite's own locking is unchanged underneath; a writer that does not use the
gate (the ``sqlite3`` shell, an older Accord) is still kept out by it, only without the prompt wake-up.

The gate is held for one write transaction and released when it commits or rolls back; the kernel
releases a process's ``flock`` when the process dies. Waiting for the process lock gives up after the
caller's timeout; waiting for the ``flock`` does not time out, which is safe because its holder is always
inside one transaction, itself bounded by SQLite's busy timeout.

The event store's connection pool uses the gate for its writers (``GatedSQLiteConnectionPool``), and so
does the read-model database (``storage.views.SQLiteDatabase``, given the gate by ``bootstrap.services``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import ConnectionPoolClosedError, ConnectionUnavailableError
from eventsourcing.sqlite import SQLiteConnectionPool, SQLiteDatastore

log = logging.getLogger(__name__)


class WriterGate:
    """One writer at a time to an SQLite file, across the threads of this process and across processes."""

    def __init__(self, database: str):
        self.path = f"{database}-lock"
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._unavailable = False

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for this process's turn, then for the other processes; False if
        this process's turn did not come in time."""
        if not self._lock.acquire(timeout=max(timeout, 0.0)):
            return False
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        except BaseException:
            self._lock.release()
            raise
        return True

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    @contextmanager
    def held(self, timeout: float) -> Iterator[None]:
        if not self.acquire(timeout):
            raise ConnectionUnavailableError(f"no turn to write to the database within {timeout:g} s")
        try:
            yield
        finally:
            self.release()

    def _file(self) -> int | None:
        """The lock file, opened once per process (None if it cannot be made: writers then rely on SQLite's
        busy handler alone, as without the gate)."""
        if self._fd is None and not self._unavailable:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as error:
                self._unavailable = True
                log.warning("no writer gate for %s (%s): writers wait in SQLite's busy handler", self.path, error)
        return self._fd

    def _forget(self) -> None:
        """In a child process after fork: a lock file descriptor shares its lock with the parent's, and the
        parent's threads are gone; start afresh."""
        self._lock = threading.Lock()
        if self._fd is not None:
            os.close(self._fd)  # the parent's own descriptor keeps the parent's lock
        self._fd = None


_gates: dict[str, WriterGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str) -> WriterGate:
    """The one gate of this process for an SQLite database file (by its real path)."""
    key = os.path.realpath(database)
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriterGate(key)
        return gate


def _after_fork() -> None:
    global _gates_lock
    _gates_lock = threading.Lock()
    for gate in _gates.values():
        gate._forget()


os.register_at_fork(after_in_child=_after_fork)


class GatedSQLiteConnectionPool(SQLiteConnectionPool):
    """The library's pool for readers; writers pass the gate and then use the pool's one writer connection.

    The library's pool queues every request, readers too, behind one semaphore, and a writer waiting for
    the writer in progress keeps that semaphore: each token check or aggregate load of the process then
    waits for two writes to finish. Here a writer waits at the gate first, outside that queue, so that
    readers (which WAL lets run beside a writer) are served at once.

    Once through the gate a writer is the only one in this process, so it needs none of the pool's
    bookkeeping (its semaphore, writer lock, conditions and in-use registry): it takes the pool's writer
    connection, made on first use, and made again in a child process after fork (never the parent's).
    """

    gate: WriterGate
    _writer: Any = None
    _writer_pid: int = 0

    def get_connection(self, timeout: float | None = None, *, is_writer: bool | None = None) -> Any:
        if is_writer is not True:
            return super().get_connection(timeout, is_writer=is_writer)
        if self._closed:
            raise ConnectionPoolClosedError("Pool is closed")
        if not self.gate.acquire(self.pool_timeout if timeout is None else timeout):
            raise ConnectionUnavailableError("Timed out waiting for the writer gate")
        try:
            writer = self._writer
            if writer is None or writer.closed or self._writer_pid != os.getpid():
                writer = self._new_writer()
            writer.is_writer = True
            return writer
        except BaseException:
            self.gate.release()
            raise

    def put_connection(self, conn: Any) -> None:
        if conn.is_writer is not True:  # every writer connection this pool hands out is its own writer
            super().put_connection(conn)
            return
        conn.is_writer = None
        self.gate.release()

    def close(self) -> None:
        """Close the pool's connections, the writer's too (as the library's pool closes those in use)."""
        super().close()
        writer, self._writer = self._writer, None
        if writer is not None and self._writer_pid == os.getpid():
            writer.close()

    def _new_writer(self) -> Any:
        if self._writer is not None and self._writer_pid != os.getpid():
            _inherited.append(self._writer)  # the parent's: never used, nor closed, here
        self._writer = self._create_connection()
        self._writer_pid = os.getpid()
        return self._writer


_inherited: list[Any] = []
"""Writer connections a child process inherited from its parent across fork (kept open: closing them in the
child could release the parent's locks on the database file)."""


def gate_writers(datastore: SQLiteDatastore) -> None:
    """Give a datastore (of a database file) a pool whose writers pass the file's gate."""
    old = datastore.pool
    if isinstance(old, GatedSQLiteConnectionPool) or old.is_sqlite_memory_mode or old.db_name.startswith("file:"):
        return  # an in-memory database has no file to lock; a URI names its file in its own way
    pool = GatedSQLiteConnectionPool(db_name=old.db_name, lock_timeout=old.lock_timeout, pool_size=old.pool_size,
                                     max_overflow=old.max_overflow, pool_timeout=old.pool_timeout,
                                     max_age=old.max_age, pre_ping=old.pre_ping)
    pool.gate = gate_for(old.db_name)
    datastore.pool = pool
    old.close()


class SoleRunner:
    """A turn that one process at a time holds on an SQLite file, for as long as it wants: the in-process
    projection runner of the embedded deployment. Each gunicorn worker starts one; the first to take this
    turn keeps the views current, the others stand by and take over when it exits (the kernel drops the
    ``flock`` of a process that dies). Two runners would both read and decode every batch, and the slower
    one find it applied already: work thrown away in the very workers that serve requests."""

    def __init__(self, database: str):
        self.path = f"{os.path.realpath(database)}-runner"
        self._fd: int | None = None

    def take(self) -> bool:
        """True if this process now holds the turn (or the lock file cannot be made: then every worker's
        runner runs, each applying what the others have not); False if another process holds it."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            log.warning("no runner lock %s (%s): every worker's runner runs", self.path, error)
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the lock
            self._fd = None
