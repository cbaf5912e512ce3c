"""PostgreSQL stopped abruptly mid-load and restarted (issue 8, item 9).

On a throwaway cluster of its own (initdb --data-checksums in a temporary folder, its own port; the machine's
shared server is never touched): gunicorn (2 workers x 4 threads) and ``accord projections run`` serve it while
24 keyed writers (more clients than threads, as in production) create agreements and attach texts, retrying any
indeterminate request with its key, and probes read /health, /ready, an agreement (event store) and the
agreement list (projection). The cluster is stopped with ``pg_ctl -m immediate`` (a crash: no
checkpoint, no goodbye to clients), kept down for DOWN_SECONDS, and started again; gunicorn is never restarted.

The scenario runs once (a module fixture); each test checks one invariant of it:
- while down, every request made or in flight is answered within ANSWER_BOUND of the database going away, and
  what is answered while it is down is a 503 problem+json with Retry-After;
- no worker hangs: /health (which needs no storage) is answered within HEALTH_BOUND throughout;
- after the restart, writes succeed again within RECOVERY_BOUND without restarting gunicorn; a storage error is
  never a 500, and once every writer is back the API gives no 5xx;
- 0 acknowledged writes lost, none recorded twice, every indeterminate request resolved;
- the projection runner catches up exactly once (journal rows = events, every view's position = head).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.serving.server import (
    INDETERMINATE,
    Attempt,
    Cluster,
    KeyedWriter,
    Ledger,
    Server,
    gunicorn,
    new_run_id,
    prepare_storage,
    projection_runner,
    reconcile,
    stored_keys,
    throwaway_cluster,
)

pytestmark = pytest.mark.slow

WORKERS, THREADS = 2, 4
WRITERS = 24  # more than the 8 threads by far, as in production: every thread is busy when the database dies
LOAD_BEFORE = 3.0  # seconds of load before the crash
DOWN_SECONDS = 12.0
ANSWER_BOUND = 10.0  # a request made while the database is down is answered within this many seconds
HEALTH_BOUND = ANSWER_BOUND  # /health needs no storage: only a thread held by a stuck request can delay it
RECOVERY_BOUND = 15.0  # seconds from the database accepting connections to writes succeeding again
LOAD_AFTER = 3.0  # seconds of load after every writer has written again
CATCH_UP_BOUND = 60.0


@dataclass
class Probe:
    path: str
    user: str | None
    attempts: list[tuple[str, Attempt]] = field(default_factory=list)


@dataclass
class Outage:
    server_backend: str
    requests: list
    probes: list[Probe]
    ledger: Ledger
    events: int
    down_at: float  # monotonic: the cluster has stopped
    start_at: float  # monotonic: pg_ctl start called
    up_at: float  # monotonic: the cluster accepts connections again
    recovered_after: float | None  # seconds from up_at to the first write succeeding again
    all_writers_back_after: float | None
    boots: int
    log: str
    runner_alive: bool
    runner_log: str
    head: int
    positions: dict[str, int]
    journal_rows: int
    journal_distinct: int
    journal_matches_log: bool
    cluster_log: str
    writer_failures: list[str]

    def attempts(self) -> list[tuple[str, Attempt]]:
        """(what, attempt) for every request made: writes and probes."""
        made = [(r.kind, a) for r in self.requests for a in r.attempts]
        return made + [a for p in self.probes for a in p.attempts]

    def while_down(self) -> list[tuple[str, Attempt, float]]:
        """(what, attempt, seconds to its answer from when the database was gone) for every request made or in
        flight while the database was down."""
        found = []
        for what, a in self.attempts():
            if a.started < self.start_at and a.started + a.seconds > self.down_at:
                found.append((what, a, a.started + a.seconds - max(a.started, self.down_at)))
        return found

    def answered_while_down(self) -> list[tuple[str, Attempt]]:
        return [(w, a) for w, a, _ in self.while_down() if a.status is not None
                and self.down_at < a.started + a.seconds < self.start_at]


def probe(server: Server, p: Probe, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            reply = server.request("GET", p.path, p.user, timeout=90)
        except INDETERMINATE as error:
            p.attempts.append((p.path, Attempt(started, time.monotonic() - started, None, type(error).__name__)))
        else:
            p.attempts.append((p.path, Attempt(started, reply.seconds, reply.status, None, reply.is_problem,
                                               reply.headers.get("retry-after"))))
        stop.wait(0.25)


def wait_for_catch_up(cluster: Cluster, dbname: str) -> tuple[int, dict[str, int]]:
    deadline = time.monotonic() + CATCH_UP_BOUND
    while True:
        with cluster.connect(dbname) as conn:
            head = conn.execute("SELECT COALESCE(MAX(notification_id), 0) FROM accord_events").fetchone()[0]
            positions = dict(conn.execute("SELECT view, position FROM accord_tracking").fetchall())
        if all(p == head for p in positions.values()) or time.monotonic() > deadline:
            return head, positions
        time.sleep(0.2)


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    folder = tmp_path_factory.mktemp("outage")
    dbname = "accord"
    with throwaway_cluster(dbname) as cluster:
        storage = cluster.storage(dbname)
        tokens = prepare_storage(storage, {"alice": "ir_officer"})
        with gunicorn(storage, folder, tokens, WORKERS, THREADS) as server, \
                projection_runner(storage, folder) as runner:
            wait_for_runner(runner, folder)
            yield run_outage(cluster, dbname, storage, server, runner, folder)


RUNNER_STARTED = "projection runner: views"
"""What ``accord projections run`` says once its views are open on the store."""


def wait_for_runner(runner: subprocess.Popen, folder: Path, timeout: float = 60.0) -> None:
    """Wait until the projection runner has opened its views: the scenario is an outage under a running runner,
    and on a busy machine the runner may still be starting when the load begins."""
    log = folder / "projections.err"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and runner.poll() is None:
        if RUNNER_STARTED in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    pytest.fail(f"the projection runner did not start:\n{log.read_text(errors='replace')[-3000:]}")


def run_outage(cluster: Cluster, dbname: str, storage: dict[str, str], server: Server, runner: subprocess.Popen,
               folder: Path) -> Outage:
    stop_writers, stop_probes = threading.Event(), threading.Event()
    writers = [KeyedWriter(server, new_run_id(), n, stop_writers, max_requests=5000, timeout=90.0,
                           give_up_after=120.0, think=0.05) for n in range(WRITERS)]
    for w in writers:
        w.start()
    deadline = time.monotonic() + 20
    while not all(w.requests and w.requests[0].aggregate_id for w in writers) and time.monotonic() < deadline:
        time.sleep(0.05)
    agreement_id = writers[0].requests[0].aggregate_id
    probes = [Probe("/health", None), Probe("/ready", None), Probe(f"/api/v1/agreements/{agreement_id}", "alice"),
              Probe("/api/v1/agreements?per_page=5", "alice")]
    probe_threads = [threading.Thread(target=probe, args=(server, p, stop_probes), daemon=True) for p in probes]
    for t in probe_threads:
        t.start()
    time.sleep(LOAD_BEFORE)

    cluster.stop("immediate")
    down_at = time.monotonic()
    time.sleep(DOWN_SECONDS)
    start_at = time.monotonic()
    cluster.start()
    up_at = time.monotonic()

    # Load goes on until every writer has had LOAD_AFTER seconds of acknowledged writes after the restart.
    deadline = up_at + 90
    back: dict[int, float] = {}
    while time.monotonic() < deadline:
        for n, w in enumerate(writers):
            done = [a.started + a.seconds for r in list(w.requests) if r.acknowledged for a in r.attempts[-1:]
                    if a.started >= up_at]
            if done and n not in back:
                back[n] = min(done)
        if len(back) == len(writers) and time.monotonic() > max(back.values()) + LOAD_AFTER:
            break
        if any(not w.is_alive() for w in writers):
            break
        time.sleep(0.1)
    stop_writers.set()
    stop_probes.set()
    for t in [*writers, *probe_threads]:
        t.join(timeout=120)

    requests = [r for w in writers for r in w.requests]
    keys, events = stored_keys(storage)
    firsts = [a.started + a.seconds for r in requests if r.acknowledged for a in r.attempts[-1:] if a.started >= up_at]
    head, positions = wait_for_catch_up(cluster, dbname)
    with cluster.connect(dbname) as conn:
        journal_rows, journal_distinct = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT position) FROM journal").fetchone()
        journal_matches_log = conn.execute(
            "SELECT NOT EXISTS (SELECT notification_id FROM accord_events EXCEPT SELECT position FROM journal) "
            "AND NOT EXISTS (SELECT position FROM journal EXCEPT SELECT notification_id FROM accord_events)"
        ).fetchone()[0]
    return Outage(
        server_backend=server.backend, requests=requests, probes=probes, ledger=reconcile(requests, keys),
        events=events, down_at=down_at, start_at=start_at, up_at=up_at,
        recovered_after=(min(firsts) - up_at) if firsts else None,
        all_writers_back_after=(max(back.values()) - up_at) if len(back) == len(writers) else None,
        boots=server.boots(), log=server.log(), runner_alive=runner.poll() is None,
        runner_log=(folder / "projections.err").read_text(errors="replace"), head=head, positions=positions,
        journal_rows=journal_rows, journal_distinct=journal_distinct, journal_matches_log=journal_matches_log,
        cluster_log=cluster.log(), writer_failures=[w.failure for w in writers if w.failure],
    )


def test_the_load_went_on_across_the_outage_without_a_writer_failing(outage: Outage) -> None:
    """The figure line; fails only if the scenario itself did not happen (no load across the outage)."""
    down = [(w, a, waited) for w, a, waited in outage.while_down() if w != "/health"]
    answered = [a for w, a in outage.answered_while_down() if w != "/health"]
    health = [waited for w, _, waited in outage.while_down() if w == "/health"]
    after = [a.status for _, a in outage.attempts() if a.started >= outage.up_at and a.status is not None]
    print(f"\ndatabase outage[postgres]: down {outage.start_at - outage.down_at:.1f} s (pg_ctl -m immediate), "
          f"{len(down)} API requests made or in flight while down: {sum(1 for a in answered if a.status == 503)} "
          f"answered 503 while down, longest wait for an answer {max((w for *_, w in down), default=0.0):.1f} s, "
          f"/health longest {max(health, default=0.0):.1f} s; writes again {fmt(outage.recovered_after)} after "
          f"restart (all writers {fmt(outage.all_writers_back_after)}), {outage.boots - WORKERS} worker restarts, "
          f"{after.count(500)} 500 and {after.count(503)} 503 answers after restart; {outage.ledger.requests} "
          f"writes, {outage.ledger.retried} retried, {len(outage.ledger.lost)} lost, "
          f"{len(outage.ledger.duplicated)} duplicated, "
          f"{len(outage.ledger.unresolved)} unresolved; projections {min(outage.positions.values(), default=0)}/"
          f"{outage.head}, journal {outage.journal_rows} rows for {outage.events} events")
    assert down, "no request was made while the database was down: the scenario proved nothing"
    assert not outage.writer_failures, outage.writer_failures


def fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


def test_while_down_the_api_answers_503_problem_with_retry_after_within_its_timeout(outage: Outage) -> None:
    down = [(w, a, waited) for w, a, waited in outage.while_down() if w != "/health"]
    slow = [(w, round(waited, 1), a.status) for w, a, waited in down if waited > ANSWER_BOUND]
    unanswered = [(w, a.error) for w, a, _ in down if a.status is None]
    answered = [(w, a) for w, a in outage.answered_while_down() if w != "/health"]
    wrong = [(w, a.status, a.problem, a.retry_after) for w, a in answered
             if (a.status, a.problem, a.retry_after is not None) != (503, True, True)]
    assert not unanswered, unanswered
    assert not slow, f"{len(slow)} of {len(down)} requests waited longer than {ANSWER_BOUND} s: {slow}"
    assert answered, "no request was answered while the database was down"
    assert not wrong, wrong


def test_while_down_no_worker_hangs(outage: Outage) -> None:
    health = [(a, waited) for w, a, waited in outage.while_down() if w == "/health"]
    assert health, "/health was not probed while the database was down"
    slow = [(a.status, round(waited, 1)) for a, waited in health if a.status != 200 or waited > HEALTH_BOUND]
    assert not slow, f"/health answered late or not 200 while the database was down: {slow}"
    assert "WORKER TIMEOUT" not in outage.log


def test_after_restart_writes_succeed_again_without_restarting_gunicorn(outage: Outage) -> None:
    assert outage.recovered_after is not None and outage.recovered_after <= RECOVERY_BOUND, outage.recovered_after
    assert outage.all_writers_back_after is not None and outage.all_writers_back_after <= RECOVERY_BOUND
    assert outage.boots == WORKERS, f"gunicorn restarted a worker:\n{outage.log[-4000:]}"
    assert "WORKER TIMEOUT" not in outage.log


SETTLE = 1.0  # seconds after every writer is back during which a worker may still be reconnecting


def test_storage_errors_are_never_500_and_once_recovered_the_api_gives_no_server_error(outage: Outage) -> None:
    internal = [(w, round(a.started - outage.up_at, 1)) for w, a in outage.attempts() if a.status == 500]
    assert not internal, f"500 answers (seconds after the restart): {internal}"
    assert outage.all_writers_back_after is not None
    recovered = outage.up_at + outage.all_writers_back_after + SETTLE
    errors = [(w, a.status, round(a.started - outage.up_at, 1)) for w, a in outage.attempts()
              if a.started >= recovered and (a.status is None or a.status >= 500)]
    assert not errors, errors


def test_no_acknowledged_write_is_lost_or_recorded_twice(outage: Outage) -> None:
    ledger = outage.ledger
    assert ledger.acknowledged > 0
    assert not ledger.lost, ledger.lost
    assert not ledger.duplicated, ledger.duplicated
    assert not ledger.unresolved, ledger.unresolved
    assert not ledger.refused, ledger.refused


def test_the_projection_runner_catches_up_exactly_once(outage: Outage) -> None:
    assert outage.runner_alive, f"the projection runner exited:\n{outage.runner_log[-3000:]}"
    assert outage.positions and all(p == outage.head for p in outage.positions.values()), (
        outage.head, outage.positions)
    assert outage.journal_rows == outage.journal_distinct == outage.events
    assert outage.journal_matches_log


def test_the_cluster_recovered_from_the_crash_cleanly(outage: Outage) -> None:
    """The restart replayed the WAL (a crash, not a clean stop) and found no damaged page (checksums on)."""
    assert "database system was interrupted" in outage.cluster_log or "not properly shut down" in outage.cluster_log
    for sign in ("invalid page", "checksum verification failed", "PANIC"):
        assert sign not in outage.cluster_log, outage.cluster_log[-3000:]
