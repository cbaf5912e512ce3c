"""gunicorn workers killed with SIGKILL during a write load (issue 8, item 8).

Eight clients each create an agreement and attach texts to it, one logical request after another, each with an
Idempotency-Key of its own. Meanwhile a killer SIGKILLs a random worker (a child of the gunicorn master) every
0.5-1.5 s. A request that gets no definite answer (connection reset or refused, timeout, 5xx) is sent again with
the same key, If-Match and body until it gets one. At the end, read from the store itself (not the API):
every acknowledged write is stored exactly where the client was told (0 lost), no key is stored twice (0
duplicated), and every logical request got a definite answer.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving.server import (
    KeyedWriter,
    Server,
    gunicorn,
    history,
    new_run_id,
    prepare_storage,
    reconcile,
    stored_keys,
)

pytestmark = pytest.mark.slow

WORKERS, THREADS = 2, 4
CLIENTS = 8
KILLS = 6
SETTLE = 2.0  # seconds of load before the first kill and after the last


@pytest.fixture
def server(storage: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    tokens = prepare_storage(storage, {"alice": "ir_officer"})
    with gunicorn(storage, tmp_path, tokens, WORKERS, THREADS) as running:
        yield running


class Killer(threading.Thread):
    def __init__(self, server: Server, kills: int):
        super().__init__(name="killer", daemon=True)
        self.server, self.kills = server, kills
        self.killed: list[int] = []
        self.failure: str | None = None

    def run(self) -> None:
        try:
            time.sleep(SETTLE)
            for _ in range(self.kills * 10):  # bounded: a round finds no worker only while one is booting
                if len(self.killed) == self.kills:
                    break
                time.sleep(random.uniform(0.5, 1.5))
                pids = [p for p in self.server.worker_pids() if p not in self.killed]
                if not pids:
                    continue
                pid = random.choice(pids)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.killed.append(pid)
            time.sleep(SETTLE)
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.failure = f"{type(error).__name__}: {error}"


def test_sigkilled_workers_lose_no_acknowledged_write_and_record_none_twice(server: Server,
                                                                            storage: dict[str, str]) -> None:
    run, stop = new_run_id(), threading.Event()
    writers = [KeyedWriter(server, run, n, stop, max_requests=2000, timeout=10.0, give_up_after=90.0)
               for n in range(CLIENTS)]
    killer = Killer(server, KILLS)
    started = time.monotonic()
    for w in writers:
        w.start()
    killer.start()
    killer.join(timeout=60)
    stop.set()
    for w in writers:
        w.join(timeout=120)
    seconds = time.monotonic() - started
    assert not killer.is_alive() and not any(w.is_alive() for w in writers), "a client or the killer hung"

    requests = [r for w in writers for r in w.requests]
    keys, events = stored_keys(storage)
    ledger = reconcile(requests, keys)
    histories_ok = []
    for w in writers:
        created = w.requests[0]
        if created.aggregate_id is None:
            continue
        versions = [e["version"] for e in history(server, created.aggregate_id)]
        last = max((r.version for r in w.requests if r.acknowledged), default=0)
        histories_ok.append(versions == list(range(1, last + 1)))
    no_answer = sum(1 for r in requests for a in r.attempts if a.status is None)
    server_errors = sum(1 for r in requests for a in r.attempts if a.status is not None and a.status >= 500)

    print(f"\nworker kills[{server.backend}]: {len(killer.killed)} kills, {ledger.requests} requests, "
          f"{ledger.retried} retried ({no_answer} attempts without an answer, {server_errors} 5xx, {ledger.replayed} "
          f"replayed as already recorded), "
          f"{len(ledger.lost)} lost, {len(ledger.duplicated)} duplicated, {len(ledger.unresolved)} unresolved, "
          f"{ledger.acknowledged} acknowledged, {events} events stored, {server.boots()} worker boots, "
          f"{seconds:.1f} s")

    assert killer.failure is None, killer.failure
    assert [w.failure for w in writers if w.failure] == []
    assert len(killer.killed) == KILLS
    assert server.boots() == WORKERS + KILLS, server.log()[-4000:]
    assert ledger.retried > 0, "no request was caught by a kill: the test proved nothing"
    assert not ledger.lost, ledger.lost
    assert not ledger.duplicated, ledger.duplicated
    assert not ledger.unresolved, ledger.unresolved
    assert not ledger.refused, ledger.refused
    assert all(histories_ok) and len(histories_ok) == CLIENTS
    assert server.process.poll() is None, "the gunicorn master died"
