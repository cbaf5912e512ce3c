"""Races through a real gunicorn on PostgreSQL (issue 8, item 7).

Sixteen clients take the same step on the same agreement with the same If-Match, fifty rounds: exactly one wins
each round, the fifteen others get a 409 problem, nothing else; the history holds one event per winner (the
winner's own), versions contiguous, nothing lost and nothing duplicated. Then sixteen clients each step their own
agreement fifty times: no request is refused, so a conflict is never reported where there was none.

Serving shape: the production default of gunicorn.conf.py, 2 workers x 4 threads (each worker's pool matches its
threads). Sixteen clients on eight threads means half the requests of a round wait briefly in gunicorn's queue;
at a few milliseconds per request that never approaches a timeout (the slowest request is printed).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.serving.server import (
    LOG_SIGNS,
    REQUEST_TIMEOUT,
    Reply,
    Server,
    create_agreement,
    gunicorn,
    history,
    into_negotiation,
    prepare_storage,
    step,
)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("storage", ["postgres"], indirect=True)]

WORKERS, THREADS = 2, 4
CLIENTS, ROUNDS = 16, 50
STEPS = 50


@pytest.fixture
def server(storage: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    tokens = prepare_storage(storage, {"alice": "ir_officer", "bruno": "legal_officer"})
    with gunicorn(storage, tmp_path, tokens, WORKERS, THREADS) as running:
        yield running


def check_log(server: Server) -> None:
    log = server.log()
    for sign in LOG_SIGNS:
        assert sign not in log, f"gunicorn's log shows {sign!r}:\n{log[-4000:]}"
    assert server.boots() == WORKERS, f"a worker was restarted:\n{log[-4000:]}"
    assert server.process.poll() is None, "gunicorn died"


def test_sixteen_clients_racing_one_step_get_exactly_one_winner_per_round(server: Server) -> None:
    created = create_agreement(server, title="Race of sixteen")
    agreement_id = created.body["id"]
    before = into_negotiation(server, agreement_id, created.version)

    statuses: Counter[int] = Counter()
    winners_per_round: list[int] = []
    winners: dict[int, str] = {}  # version -> the summary the winner sent
    unexpected: list[str] = []
    slowest = 0.0
    version = before
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for round_no in range(1, ROUNDS + 1):
            barrier = threading.Barrier(CLIENTS)

            def client(n: int, expected: int = version, barrier: threading.Barrier = barrier,
                       round_no: int = round_no) -> tuple[str, Reply]:
                summary = f"round {round_no} client {n}"
                barrier.wait(timeout=REQUEST_TIMEOUT)
                return summary, step(server, agreement_id, "record_round", "alice", expected,
                                     {"held_on": "2025-01-01", "summary": summary})

            replies = list(pool.map(client, range(CLIENTS)))
            won = [(summary, r) for summary, r in replies if r.status == 200]
            winners_per_round.append(len(won))
            for _, r in replies:
                statuses[r.status] += 1
                slowest = max(slowest, r.seconds)
                if r.status == 409 and not r.is_problem:
                    unexpected.append(f"round {round_no}: 409 with Content-Type {r.headers.get('content-type')}")
                elif r.status not in (200, 409):
                    unexpected.append(f"round {round_no}: {r.status} {r.body!r}")
            assert len(won) == 1, (f"round {round_no}: {len(won)} winners; statuses {[r.status for _, r in replies]}"
                                   f"; unexpected {unexpected}\n{server.log()[-4000:]}")
            summary, reply = won[0]
            assert reply.version == version + 1, f"round {round_no}: the winner wrote version {reply.version}"
            version = reply.version
            winners[version] = summary
    seconds = time.monotonic() - started

    entries = history(server, agreement_id)
    versions = [e["version"] for e in entries]
    recorded = {e["version"]: e["data"].get("summary") for e in entries if e["type"] == "record_round"}
    lost = [v for v, summary in winners.items() if recorded.get(v) != summary]
    summaries = Counter(recorded.values())
    # an event no client was told had won, or one request recorded twice
    duplicated = [v for v in recorded if v not in winners] + [s for s, n in summaries.items() if n > 1]
    server_errors = sum(n for status, n in statuses.items() if status >= 500)

    print(f"\nraces[postgres]: {ROUNDS} rounds x {CLIENTS} clients ({WORKERS} workers x {THREADS} threads): "
          f"{statuses[200]} winners, {statuses[409]} conflicts (409), {server_errors} server errors, "
          f"{len(lost)} lost, {len(duplicated)} duplicated, versions 1..{versions[-1]} contiguous "
          f"{versions == list(range(1, len(versions) + 1))}, slowest {slowest:.2f} s, {seconds:.1f} s")

    assert not unexpected, unexpected
    assert server_errors == 0
    assert winners_per_round == [1] * ROUNDS
    assert statuses == Counter({200: ROUNDS, 409: ROUNDS * (CLIENTS - 1)}), statuses
    assert versions == list(range(1, before + ROUNDS + 1)), versions
    assert sorted(recorded) == list(range(before + 1, before + ROUNDS + 1)), sorted(recorded)
    assert not lost, lost
    assert not duplicated, duplicated
    check_log(server)


def test_sixteen_clients_on_their_own_agreements_never_conflict(server: Server) -> None:
    def client(n: int) -> tuple[str, int, Counter[int], list[str]]:
        created = create_agreement(server, title=f"Independent agreement {n}")
        agreement_id, version = created.body["id"], created.version
        statuses: Counter[int] = Counter()
        problems: list[str] = []
        texts = [server.draft(f"Text {i} of client {n}") for i in (1, 2)]
        for i in range(1, STEPS + 1):
            reply = step(server, agreement_id, "attach_text", "alice", version, {"document": texts[i % 2]})
            statuses[reply.status] += 1
            if reply.status != 200:
                problems.append(f"client {n} step {i}: {reply.status} {reply.body!r}")
                return agreement_id, version, statuses, problems
            version = reply.version
        return agreement_id, version, statuses, problems

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))
    seconds = time.monotonic() - started

    statuses: Counter[int] = sum((s for _, _, s, _ in results), Counter())
    problems = [p for _, _, _, ps in results for p in ps]
    gaps = []
    for agreement_id, version, _, _ in results:
        versions = [e["version"] for e in history(server, agreement_id)]
        if versions != list(range(1, STEPS + 2)) or version != STEPS + 1:
            gaps.append(f"{agreement_id}: versions {versions[:3]}..{versions[-3:]}, last acknowledged {version}")
    server_errors = sum(n for status, n in statuses.items() if status >= 500)

    print(f"\nraces[postgres] independent: {CLIENTS} clients x {STEPS} steps on their own agreements: "
          f"{statuses[200]} succeeded, {statuses[409]} spurious conflicts, {server_errors} server errors, "
          f"{len(gaps)} agreements with gaps, {statuses[200] / seconds:.0f} steps/s, {seconds:.1f} s")

    assert statuses[409] == 0, problems
    assert server_errors == 0, problems
    assert statuses == Counter({200: CLIENTS * STEPS}), problems
    assert not gaps, gaps
    check_log(server)
