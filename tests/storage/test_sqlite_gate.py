"""The writer gate of an SQLite file, the event store's gated pool, and the sole in-process runner.

Real files, real threads and real processes (forked, as gunicorn's workers are): the gate must keep writers
of different processes apart, wake the next one when the holder lets go, let readers through while writers
queue, and the runner's turn must pass to another process when its holder exits.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from bootstrap.services import Application as AccordApplication
from domain.values import Actor, Role
from storage.settings import storage_env
from storage.sqlite_gate import GatedSQLiteConnectionPool, SoleRunner, WriterGate, gate_for

FORK = multiprocessing.get_context("fork")
ADMIN = Actor("pytest@cli", Role.ADMIN)


def _hold_gate(database: str, held: Any, release: Any) -> None:
    gate = gate_for(database)
    with gate.held(5):
        held.set()
        release.wait(10)


@pytest.fixture
def database(tmp_path) -> str:
    return str(tmp_path / "accord.db")


@pytest.fixture
def accord(database: str) -> Iterator[AccordApplication]:
    """The Accord application on a new SQLite file."""
    app = sqlite_app(database)
    yield app
    app.close()


def sqlite_app(database: str) -> AccordApplication:
    return AccordApplication(env=storage_env({}, {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                                  "SQLITE_DBNAME": database}))


def test_a_process_has_one_gate_per_file(database: str, tmp_path) -> None:
    assert gate_for(database) is gate_for(os.path.join(str(tmp_path), ".", "accord.db"))
    assert gate_for(database) is not gate_for(str(tmp_path / "other.db"))
    assert gate_for(database).path == os.path.realpath(database) + "-lock"


def test_a_writer_of_another_process_waits_for_the_gate_and_is_woken_when_it_opens(accord: AccordApplication,
                                                                                   database: str) -> None:
    held, release = FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold_gate, args=(database, held, release))
    holder.start()
    assert held.wait(10)
    saved = threading.Event()

    def write() -> None:
        accord.save(_new_token())
        saved.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not saved.wait(0.5), "a write went through while another process held the gate"
    opened = time.monotonic()
    release.set()
    assert saved.wait(5)
    woken_after = time.monotonic() - opened
    writer.join(5)
    holder.join(5)
    assert woken_after < 0.5, f"the waiting writer took {woken_after:.3f} s to go after the gate opened"


def test_readers_are_served_while_writers_queue_at_the_gate(accord: AccordApplication) -> None:
    """The library's pool makes a reader wait behind a writer that waits for the writer in progress."""
    token = _new_token()
    accord.save(token)
    pool = accord.recorder.datastore.pool
    assert isinstance(pool, GatedSQLiteConnectionPool)
    writing = pool.get_connection(is_writer=True)  # a write in progress in this process
    queued = threading.Thread(target=lambda: pool.put_connection(pool.get_connection(is_writer=True)))
    queued.start()  # a second writer, waiting for its turn
    time.sleep(0.2)
    started = time.monotonic()
    assert accord.latest_version(token.id) == token.version
    assert time.monotonic() - started < 1.0
    assert queued.is_alive(), "the second writer should still be waiting"
    pool.put_connection(writing)
    queued.join(5)
    assert not queued.is_alive()


def test_a_refused_write_opens_the_gate_again(accord: AccordApplication, database: str) -> None:
    from eventsourcing.persistence import IntegrityError

    token = _new_token()
    accord.save(token)
    first, second = accord.repository.get(token.id), accord.repository.get(token.id)
    first.revoke(by=ADMIN)
    second.revoke(by=ADMIN)
    accord.save(first)
    with pytest.raises(IntegrityError):
        accord.save(second)  # its version was taken by the first
    gate = gate_for(database)
    assert gate.acquire(0.5), "the gate stayed closed after a refused write"
    gate.release()
    accord.save(_new_token())  # and writers go on


def test_concurrent_writers_in_two_processes_lose_nothing(accord: AccordApplication, database: str) -> None:
    from storage.audit import verify

    ready = FORK.Barrier(2)
    processes = [FORK.Process(target=_write_tokens, args=(database, ready, 40)) for _ in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
        assert p.exitcode == 0
    assert accord.recorder.max_notification_id() == 80
    result = verify(accord.recorder)
    assert result.ok, result.problems
    assert result.head_position == 80


def test_a_forked_child_has_its_own_turn(database: str) -> None:
    gate = gate_for(database)
    assert gate.acquire(1)  # the parent holds the gate; its child must not pass it
    try:
        result = FORK.Queue()
        child = FORK.Process(target=_try_gate, args=(database, result))
        child.start()
        time.sleep(0.5)
        assert result.empty(), "the child passed a gate its parent holds"
    finally:
        gate.release()
    assert result.get(timeout=5) == "passed"
    child.join(5)


def test_a_gate_without_a_lock_file_still_serialises_this_process(database: str) -> None:
    os.mkdir(database + "-lock")  # a lock file that cannot be opened for writing, even by root
    gate = WriterGate(database)
    assert gate.acquire(1)
    assert not gate.acquire(0.1)
    gate.release()
    assert gate.acquire(0.1)
    gate.release()
    runner = SoleRunner(database)
    os.mkdir(database + "-runner")
    assert runner.take(), "without its lock file, every runner runs (as before the sole runner)"


def test_one_runner_holds_the_turn_and_another_takes_it_when_the_holder_exits(database: str) -> None:
    first, second = SoleRunner(database), SoleRunner(database)
    assert first.take()
    assert first.take()  # held already
    assert not second.take()
    first.release()
    assert second.take()
    second.release()

    held, release = FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold_runner, args=(database, held, release))
    holder.start()
    assert held.wait(10)
    assert not first.take()
    holder.kill()  # a worker killed: the kernel drops its lock
    holder.join(5)
    assert first.take()
    first.release()


# ---- helpers (module level: run in forked processes) ------------------------------------------------------


def _new_token() -> Any:
    from domain.access import AccessToken
    from domain.values import Role

    sha = uuid.uuid4().hex * 2
    return AccessToken(by=ADMIN, user=f"u-{sha[:8]}", role=Role.IR_OFFICER, token_sha256=sha)


def _write_tokens(database: str, ready: Any, count: int) -> None:
    app = sqlite_app(database)
    try:
        ready.wait(10)
        for _ in range(count):
            app.save(_new_token())
    finally:
        app.close()


def _try_gate(database: str, result: Any) -> None:
    gate = gate_for(database)
    with gate.held(10):
        result.put("passed")


def _hold_runner(database: str, held: Any, release: Any) -> None:
    runner = SoleRunner(database)
    assert runner.take()
    held.set()
    release.wait(30)


def test_the_chain_stays_whole_when_writers_take_turns_and_one_saves_after_another_appended(database: str) -> None:
    """Each recorder remembers where its own last save left the global chain, and reads the chain's end
    again whenever another writer has appended since (here: two applications, as two workers, and threads)."""
    from storage.audit import verify

    first, second = sqlite_app(database), sqlite_app(database)
    try:
        for n in range(6):
            (first if n % 3 else second).save(_new_token())  # first, first, second, first, first, second ...
        threads = [threading.Thread(target=lambda a=app: [a.save(_new_token()) for _ in range(15)])
                   for app in (first, second, first)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        result = verify(first.recorder)
        assert result.ok, result.problems
        assert result.head_position == 6 + 45
    finally:
        first.close()
        second.close()


def test_writers_share_the_pools_one_writer_connection_and_readers_use_the_pool(accord: AccordApplication) -> None:
    pool = accord.recorder.datastore.pool
    accord.save(_new_token())
    writer = pool._writer
    assert writer is not None and not writer.closed
    accord.save(_new_token())
    assert pool._writer is writer, "each write made a new connection"
    reader = pool.get_connection(is_writer=False)
    try:
        assert reader is not writer
    finally:
        pool.put_connection(reader)


def test_a_closed_pool_closes_its_writer_connection_and_refuses_writers(database: str) -> None:
    from eventsourcing.persistence import ConnectionPoolClosedError

    app = sqlite_app(database)
    app.save(_new_token())
    pool = app.recorder.datastore.pool
    writer = pool.get_connection(is_writer=True)  # a write in progress when the application closes
    app.close()
    assert writer.closed
    pool.put_connection(writer)  # its writer gives its turn back
    with pytest.raises(ConnectionPoolClosedError):
        pool.get_connection(is_writer=True)
    gate = gate_for(database)
    assert gate.acquire(0.5), "a refused writer kept the gate"
    gate.release()


def test_a_forked_child_writes_with_its_own_connection_and_the_chain_stays_whole(accord: AccordApplication) -> None:
    """A child process that inherits an application (gunicorn forks workers) must not write through its parent's
    SQLite connection: it makes its own, and parent and child writes all land in one whole chain."""
    from storage.audit import verify

    accord.save(_new_token())
    parent_writer = accord.recorder.datastore.pool._writer
    result = FORK.Queue()
    child = FORK.Process(target=_write_inherited, args=(accord, id(parent_writer), result))
    child.start()
    assert result.get(timeout=30) == "own connection"
    child.join(30)
    assert child.exitcode == 0
    accord.save(_new_token())
    assert accord.recorder.datastore.pool._writer is parent_writer
    check = verify(accord.recorder)
    assert check.ok, check.problems
    assert check.head_position == 1 + 3 + 1


def _write_inherited(app: AccordApplication, parent_writer_id: int, result: Any) -> None:
    for _ in range(3):
        app.save(_new_token())
    writer = app.recorder.datastore.pool._writer
    result.put("own connection" if id(writer) != parent_writer_id else "the parent's connection")
