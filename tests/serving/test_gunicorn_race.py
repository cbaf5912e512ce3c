"""A real gunicorn (2 gthread workers, the project's gunicorn.conf.py) under a write race, on each backend.

Eight clients take the same step on the same agreement with the same If-Match version, round after round.
Whichever worker process and thread serves each request, exactly one write must win per round and every other
client must get a 409 problem: an optimistic-concurrency conflict is never a 5xx, a lost update or a gap.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.serving.server import PROBLEM, REQUEST_TIMEOUT, Reply, Server, gunicorn, prepare_storage, step, take

pytestmark = pytest.mark.slow

WORKERS, THREADS = 2, 4
ROUNDS, CLIENTS = 20, 8


@pytest.fixture
def server(storage: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    tokens = prepare_storage(storage, {"alice": "ir_officer", "bruno": "legal_officer"})
    with gunicorn(storage, tmp_path, tokens, WORKERS, THREADS) as running:
        yield running


def test_concurrent_clients_racing_one_step_get_one_winner_and_409s(server: Server) -> None:
    started = time.monotonic()
    created = server.request("POST", "/api/v1/agreements", "alice", {
        "title": "Race test agreement", "kind": "protocol",
        "counterparties": [{"name": "Chile", "kind": "state", "country": "CL"}],
    })
    assert created.status == 201, created.body
    agreement_id, version = created.body["id"], int(created.headers["etag"].strip('"'))
    assert version == 1

    version = take(server, agreement_id, "attach_text", "alice", version, {"document": server.draft("Draft 1")})
    version = take(server, agreement_id, "request_legal_review", "alice", version)
    version = take(server, agreement_id, "complete_legal_review", "bruno", version, {"outcome": "cleared"})
    version = take(server, agreement_id, "open_negotiation", "alice", version)
    before_race = version

    statuses: Counter[int] = Counter()
    conflict_kinds: Counter[str] = Counter()
    winners_per_round: list[int] = []
    unexpected: list[str] = []
    race_started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for round_no in range(1, ROUNDS + 1):
            barrier = threading.Barrier(CLIENTS)

            def client(n: int, expected: int = version, barrier: threading.Barrier = barrier,
                       round_no: int = round_no) -> Reply:
                barrier.wait(timeout=REQUEST_TIMEOUT)
                return step(server, agreement_id, "record_round", "alice", expected,
                            {"held_on": "2025-01-01", "summary": f"round {round_no} client {n}"})

            replies = list(pool.map(client, range(CLIENTS)))
            winners = [r for r in replies if r.status == 200]
            winners_per_round.append(len(winners))
            for r in replies:
                statuses[r.status] += 1
                if r.status == 409:
                    if not r.headers.get("content-type", "").startswith(PROBLEM):
                        unexpected.append(f"round {round_no}: 409 with Content-Type {r.headers.get('content-type')}")
                    # The If-Match pre-check names the versions; the store's IntegrityError path does not.
                    detail = r.body.get("detail", "") if isinstance(r.body, dict) else ""
                    conflict_kinds["store" if "changed by someone else" in detail else "if-match"] += 1
                elif r.status != 200:
                    unexpected.append(f"round {round_no}: {r.status} {r.body!r}")
            assert len(winners) == 1, (
                f"round {round_no}: {len(winners)} winners; statuses {[r.status for r in replies]}; "
                f"unexpected so far {unexpected}\n{server.log()[-4000:]}")
            new_version = int(winners[0].headers["etag"].strip('"'))
            assert new_version == version + 1, f"round {round_no}: the winner wrote version {new_version}"
            version = new_version
    race_seconds = time.monotonic() - race_started

    history = server.request("GET", f"/api/v1/agreements/{agreement_id}/history?per_page=500", "alice")
    assert history.status == 200, history.body
    entries = history.body
    versions = [e["version"] for e in entries]
    positions = [e["position"] for e in entries]
    rounds_recorded = [e for e in entries if e["type"] == "record_round"]
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    elapsed = time.monotonic() - started

    print(f"\nrace[{server.backend}]: {ROUNDS} rounds x {CLIENTS} clients ({WORKERS} workers x {THREADS} threads): "
          f"{statuses[200]} winners, {statuses[409]} conflicts (409: {conflict_kinds['if-match']} by If-Match, "
          f"{conflict_kinds['store']} by the store), {server_errors} server errors, "
          f"versions contiguous 1..{versions[-1] if versions else 0}, race {race_seconds:.1f} s, "
          f"total {elapsed:.1f} s")

    assert not unexpected, unexpected
    assert server_errors == 0
    assert set(statuses) <= {200, 409}, statuses
    assert winners_per_round == [1] * ROUNDS
    assert statuses[409] == ROUNDS * (CLIENTS - 1)
    assert versions == list(range(1, before_race + ROUNDS + 1)), versions
    assert version == before_race + ROUNDS
    assert all(a < b for a, b in zip(positions, positions[1:], strict=False)), positions
    assert len(rounds_recorded) == ROUNDS
    assert [e["version"] for e in rounds_recorded] == list(range(before_race + 1, before_race + ROUNDS + 1))
    log = server.log()
    for sign in ("Traceback", "WORKER TIMEOUT", "database is locked", "PoolTimeout"):
        assert sign not in log, f"gunicorn's log shows {sign!r}:\n{log[-4000:]}"
    assert log.count("Booting worker with pid") == WORKERS, f"a worker was restarted:\n{log[-4000:]}"
    assert server.process.poll() is None, "gunicorn died during the race"
