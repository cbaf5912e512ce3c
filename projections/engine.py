"""The projection engine: pulls the global log and applies it to views, exactly once.

Each batch is applied in one transaction that first claims the batch by moving the view's tracking
position from where it was read to the batch's last position (``UPDATE ... WHERE position = old``), then
writes the view's rows. A crash before commit leaves nothing; a second runner on the same view finds its
claim fails (zero rows) and rolls back. Pulling by position works on SQLite and PostgreSQL alike (the
library's inserts hold a table lock, so positions commit in order).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from projections.db import Cursor, Database, insert_rows, rows_where_in, upsert_rows
from projections.stored_events import dashed

log = logging.getLogger(__name__)

INDEX_NAME = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ON ", re.IGNORECASE)
REBUILD_BATCH = 10000
"""Events per transaction when rebuilding. Memory is bounded by the batch, not the log. Each batch rewrites
the rows of every agreement it touches, which are spread over the whole view, so fewer, larger batches write
much less; but a batch holds SQLite's write lock while it is written, and web writes wait that long during a
rebuild. This size weighs the two (the measurements behind it are in bench/RESULTS.md)."""

TRACKING_DDL = ("CREATE TABLE IF NOT EXISTS accord_tracking (view TEXT PRIMARY KEY, position BIGINT NOT NULL, "
                "last_event TEXT, ddl TEXT NOT NULL)")
"""``last_event`` names the event at ``position`` (aggregate id and version): a restored store that has
grown past the position again no longer has that event there, and the runner refuses to go on."""


class RestoreDetectedError(RuntimeError):
    """Raised when a view has processed positions beyond the event store's head (an older backup restored)."""


Row = tuple[int, str, int, str, bytes]
"""A stored event as the engine reads it: position, aggregate id (32 hex digits), version, stored topic,
stored JSON."""


class Change:
    """One stored event with its global position; ``event`` decodes it on first use, so a view that reads
    the stored JSON itself (``state``) costs no decoding."""

    __slots__ = ("position", "aggregate_hex", "version", "topic", "state", "aggregate_id", "_decode", "_event")

    def __init__(self, row: Row, decode: Callable[[Notification], Any]):
        self.position, self.aggregate_hex, self.version, self.topic, self.state = row
        self.aggregate_id = dashed(self.aggregate_hex)
        """The aggregate's id in the usual form (as ``str(UUID)`` writes it)."""
        self._decode = decode
        self._event: Any = None

    @property
    def stored(self) -> Notification:
        return Notification(id=self.position, originator_id=UUID(self.aggregate_hex), originator_version=self.version,
                            topic=self.topic, state=self.state)

    @property
    def event(self) -> Any:
        if self._event is None:
            self._event = self._decode(self.stored)
        return self._event


class View:
    """A read model: its tables, and how a batch of events changes them."""

    name: str
    tables: tuple[str, ...]
    """Tables this view owns (emptied by a rebuild)."""
    topics: tuple[str, ...] = ("",)
    """Prefixes of the stored topics this view reads: other events are not even decoded for it."""

    def wants(self, topic: str) -> bool:
        return topic.startswith(self.topics)

    def ddl(self, dialect: str) -> list[str]:
        raise NotImplementedError

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        raise NotImplementedError


class TableView(View):
    """A view with one row per aggregate of one type: each batch loads the rows it touches once, applies
    the batch's events to them in memory, and writes every touched row back once (a few statements per
    batch, not per event)."""

    table: str
    columns: tuple[str, ...]

    def apply_event(self, rows: dict[str, dict[str, Any]], change: Change) -> None:
        """Apply one event to the rows (keyed by aggregate id); a created event adds its row."""
        raise NotImplementedError

    def write_side_tables(self, cursor: Cursor, before: dict[str, dict[str, Any]],
                          after: dict[str, dict[str, Any]]) -> None:
        """Write the tables the view keeps beside its rows (summaries, indexes), in the batch's transaction:
        ``before`` and ``after`` are the touched rows before and after the batch (a row new in the batch is not
        in ``before``)."""

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        if not changes:  # the engine gives a view only the events it wants, undecoded
            return
        ids = sorted({c.aggregate_id for c in changes})
        rows = {r["id"]: dict(r) for r in rows_where_in(cursor, self.table, "id", ids)}
        before = {key: dict(row) for key, row in rows.items()}
        for change in changes:
            self.apply_event(rows, change)
        self.write_side_tables(cursor, before, {i: rows[i] for i in ids})
        upsert_rows(cursor, self.table, self.columns, ("id",),
                    [tuple(rows[i][c] for c in self.columns) for i in ids if i in before])
        insert_rows(cursor, self.table, self.columns,  # rows new in this batch (COPY on PostgreSQL)
                    [tuple(rows[i][c] for c in self.columns) for i in ids if i not in before])


class Projections:
    """The views of one deployment, their tracking positions, and the loop that keeps them current."""

    def __init__(self, db: Database, recorder: ApplicationRecorder, mapper: Mapper, views: Sequence[View],
                 read: Callable[[int, int, bool], list[Row]], batch_size: int = 1000):
        self.db = db
        self.recorder = recorder
        self.mapper = mapper
        self.read = read
        """(start, limit, inclusive of start) -> rows of the log in position order, as select_notifications."""
        self.views = {v.name: v for v in views}
        self.batch_size = batch_size
        self._stop = threading.Event()
        self._advanced = threading.Condition()
        self._wanted = threading.Event()  # a reader of this process waits for a position: apply it now

    # ---- set-up and state ------------------------------------------------------------------------

    def create_tables(self) -> list[str]:
        """Create every view's tables; a view whose definition changed since its tables were made is dropped
        and starts again from position 0 (it catches up from the log). Returns the views so reset."""
        reset = []
        with self.db.transaction() as cursor:
            cursor.execute(TRACKING_DDL)
            for view in self.views.values():
                ddl = view.ddl(self.db.dialect)
                signature = hashlib.sha256("\n".join(ddl).encode()).hexdigest()
                cursor.execute("SELECT ddl FROM accord_tracking WHERE view = ?", (view.name,))
                row = cursor.fetchone()
                if row is not None and row["ddl"] != signature:
                    for table in view.tables:
                        cursor.execute(f"DROP TABLE IF EXISTS {table}")
                    cursor.execute("DELETE FROM accord_tracking WHERE view = ?", (view.name,))
                    reset.append(view.name)
                for statement in ddl:
                    cursor.execute(statement)
                cursor.execute("INSERT INTO accord_tracking (view, position, ddl) VALUES (?, 0, ?) "
                               "ON CONFLICT (view) DO NOTHING", (view.name, signature))
        return reset

    def positions(self) -> dict[str, int]:
        rows = self.db.query("SELECT view, position FROM accord_tracking")
        return {row["view"]: int(row["position"]) for row in rows if row["view"] in self.views}

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def lag(self) -> dict[str, int]:
        head = self.head()
        return {name: head - position for name, position in self.positions().items()}

    # ---- processing ------------------------------------------------------------------------------

    @staticmethod
    def _restored(name: str, detail: str) -> RestoreDetectedError:
        return RestoreDetectedError(
            f"view {name!r}: {detail}: an older backup was restored? Nothing was applied. "
            f"Rebuild it: accord projections rebuild {name}"
        )

    def step(self, names: Sequence[str], batch_size: int | None = None) -> dict[str, int]:
        """Apply the next batch of events to the named views that are furthest behind (all those at the
        lowest tracked position move together: the log is read and decoded once for them, and their rows and
        positions are written in one transaction). Returns the events applied per view ({} when current)."""
        tracked = {r["view"]: (int(r["position"]), r["last_event"])
                   for r in self.db.query("SELECT view, position, last_event FROM accord_tracking")
                   if r["view"] in names}
        position, last_event = min(tracked.values(), key=lambda t: t[0])
        group = [n for n in names if tracked[n][0] == position]
        limit = batch_size or self.batch_size
        notifications = self.read(position, limit + 1, True) if position else self.read(0, limit, False)
        if position:
            first = notifications[0] if notifications else None
            if first is None or first[0] != position or _identity(first) != last_event:
                head = self.head()
                detail = (f"it has processed up to position {position}, but the event store ends at {head}"
                          if head < position else f"the event at position {position} is not the one it processed")
                raise self._restored(group[0], detail)
            notifications = notifications[1:]
        if not notifications:
            ahead = [n for n in names if tracked[n][0] > position]
            if ahead:  # the views furthest behind are at the head: any view further on is beyond it
                raise self._restored(ahead[0], f"it has processed up to position {tracked[ahead[0]][0]}, but "
                                               f"the event store ends at {self.head()}")
            return {}
        views = [self.views[n] for n in group]
        decode = self.mapper.to_domain_event
        if len(views) == 1:
            wants = views[0].wants
            changes = [Change(n, decode) for n in notifications if wants(n[3])]
        else:
            changes = [Change(n, decode) for n in notifications if any(v.wants(n[3]) for v in views)]
        new_position, new_last = notifications[-1][0], _identity(notifications[-1])
        with self.db.transaction() as cursor:
            for view in views:
                cursor.execute(
                    "UPDATE accord_tracking SET position = ?, last_event = ? WHERE view = ? AND position = ?",
                    (new_position, new_last, view.name, position))
                if cursor.rowcount != 1:
                    raise _Overtaken
                view.apply(cursor, changes if len(views) == 1 else [c for c in changes if view.wants(c.topic)])
        with self._advanced:
            self._advanced.notify_all()
        return {view.name: len(notifications) for view in views}

    def catch_up(self, names: Sequence[str] | None = None,
                 progress: Callable[[str, int], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False, batch_size: int | None = None,
                 settle: bool = False) -> int:
        """Apply every recorded event to the named views (all by default); return the number of events
        applied, summed over the views. ``should_stop`` is asked before each batch.

        With ``settle``, return after the first batch that comes back short of the batch size (it reached the
        end of the log as it was read): the events recorded meanwhile wait for the next round instead of
        being applied a few at a time as they arrive.
        """
        names = list(names or self.views)
        limit = batch_size or self.batch_size
        total = 0
        while not should_stop():
            try:
                applied = self.step(names, batch_size)
            except _Overtaken:
                continue  # another runner applied this batch; read the new positions and go on
            if not applied:
                # the views furthest behind are current: so are all the others
                return total
            for name, count in applied.items():
                total += count
                if progress:
                    progress(name, count)
            if settle and max(applied.values()) < limit and len(applied) == len(names):
                return total
        return total

    def rebuild(self, names: str | Sequence[str], progress: Callable[[str, int], None] | None = None,
                batch_size: int = REBUILD_BATCH) -> int:
        """Empty the named views and apply the whole log to them again, in one pass over the log.

        The views' tables are dropped and made again without their secondary indexes (``CREATE INDEX``
        statements, also inside a block), which are built at the end, as bulk loads do: building an index
        once costs less than keeping it up to date row by row. Until the rebuild ends, the views answer
        incompletely anyway; if it is interrupted, the indexes come back with the view's tables
        (``create_tables``) at the next start.
        """
        names = [names] if isinstance(names, str) else list(names)
        indexes = []
        with self.db.transaction() as cursor:
            for name in names:
                view = self.views[name]
                for table in view.tables:  # dropped rather than emptied: quicker, and an emptied FTS5
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")  # index keeps a tombstone per row
                for statement in view.ddl(self.db.dialect):
                    if INDEX_NAME.search(statement):  # CREATE INDEX statements, and blocks that hold one
                        indexes.append(statement)
                    else:
                        cursor.execute(statement)
                cursor.execute("UPDATE accord_tracking SET position = 0, last_event = NULL WHERE view = ?", (name,))
        try:
            with _no_cyclic_gc():
                applied = self.catch_up(names, progress, batch_size=batch_size)
        except BaseException:
            try:
                self._create_indexes(indexes)
            except Exception as error:  # noqa: BLE001 - the first error is the one to raise
                log.warning("rebuild interrupted; the indexes of %s come back at the next start: %s", names, error)
            raise
        self._create_indexes(indexes)
        return applied

    def _create_indexes(self, statements: Sequence[str]) -> None:
        with self.db.transaction() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def run(self, poll_interval: float = 0.2, max_failures: int | None = None,
            progress: Callable[[str, int], None] | None = None) -> None:
        """Keep every view current until ``stop()``: apply what the log holds, then wait ``poll_interval``
        (or until a reader waits for a position, ``wait_for``), and again.

        Under a steady load the views are so brought up to date in one batch per round, not in a batch of
        the one or two events recorded since the last: most of a view's work per batch (reading the log and
        the rows it changes, one transaction) does not grow with the batch, and on the embedded deployment it
        runs in the web workers, so fewer, larger batches leave them more time to serve requests.

        A restored store stops the loop with ``RestoreDetectedError``. Storage errors are retried with a
        growing pause; after ``max_failures`` in a row the last one is raised. A ``stop()`` that comes before
        the loop starts (a SIGTERM while the runner's thread is starting) ends it at once: a stopped engine
        stays stopped.
        """
        failures = 0
        while not self._stop.is_set():
            try:
                self.catch_up(progress=progress, should_stop=self._stop.is_set, settle=True)
                failures = 0
            except RestoreDetectedError:
                raise
            except Exception as error:  # noqa: BLE001 - storage hiccups: log, wait, retry
                failures += 1
                if max_failures is not None and failures >= max_failures:
                    raise
                log.warning("projection runner: %s (failure %d); retrying", error, failures)
                self._stop.wait(min(5.0, 0.2 * 2 ** min(failures, 5)))
                continue
            self._wanted.wait(poll_interval)
            self._wanted.clear()

    def stop(self) -> None:
        """End ``run``: the one in progress after its current batch, or the next one as soon as it starts."""
        self._stop.set()
        self._wanted.set()

    def wait_for(self, position: int, names: Sequence[str], timeout: float) -> bool:
        """Wait until every named view has processed ``position``; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            positions = self.positions()
            if all(positions.get(n, 0) >= position for n in names):
                return True
            self._wanted.set()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._advanced:
                self._advanced.wait(min(remaining, 0.05))


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector paused: a rebuild allocates millions of small containers (parsed events,
    rows), each a reason for a collection that walks the batch's objects again, a sizeable part of a rebuild's
    time. Reference counting frees everything a batch leaves; cycles wait for the next collection after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _identity(row: Row) -> str:
    return f"{dashed(row[1])}:{row[2]}"


class _Overtaken(Exception):
    """Another runner moved the view's tracking position first: this batch was not applied."""
