"""A real gunicorn (2 gthread workers, the project's gunicorn.conf.py) under a write race, on each backend.

Eight clients take the same step on the same agreement with the same If-Match version, round after round.
Whichever worker process and thread serves each request, exactly one write must win per round and every other
client must get a 409 problem: an optimistic-concurrency conflict is never a 5xx, a lost update or a gap.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKERS, THREADS = 2, 4
ROUNDS, CLIENTS = 20, 8
STARTUP_TIMEOUT = 20.0
REQUEST_TIMEOUT = 30.0
PROBLEM = "application/problem+json"
STORAGE_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "ACCORD_", "WEB_CONCURRENCY")


def accord_cli() -> str:
    """The project's ``accord`` console script (the venv's, or the one next to the running interpreter)."""
    for candidate in (ROOT / ".venv" / "bin" / "accord", Path(sys.executable).with_name("accord")):
        if candidate.exists():
            return str(candidate)
    pytest.fail("the accord console script is not installed (pip install -e .)")


def clean_env(storage: dict[str, str], **extra: str) -> dict[str, str]:
    """This process's environment without any storage/Accord settings of its own, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(STORAGE_PREFIXES)}
    return {**env, **storage, **extra}


def run_cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([accord_cli(), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"accord {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def add_user(env: dict[str, str], name: str, role: str) -> str:
    """Create a user with the real CLI and return its token (the last line of the output)."""
    token = run_cli(env, "users", "add", name, "--role", role).strip().splitlines()[-1].strip()
    assert token.startswith("acc_"), f"no token in the output of accord users add {name}: {token!r}"
    return token


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Server:
    backend: str
    port: int
    tokens: dict[str, str]
    process: subprocess.Popen
    stderr_path: Path

    def request(self, method: str, path: str, user: str | None = None, body: Any = None,
                headers: dict[str, str] | None = None) -> Reply:
        """One request on a connection of its own (so concurrent callers never share one)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            sent = dict(headers or {})
            if user is not None:
                sent["Authorization"] = f"Bearer {self.tokens[user]}"
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            reply_headers = {k.lower(): v for k, v in response.getheaders()}
            content_type = reply_headers.get("content-type", "")
            parsed = json.loads(raw) if raw and "json" in content_type else raw
            return Reply(response.status, reply_headers, parsed)
        finally:
            conn.close()

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def wait_for_health(process: subprocess.Popen, port: int, stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode} while starting:\n"
                        f"{stderr_path.read_text(errors='replace')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except OSError as error:
            last_error = error
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer GET /health within {STARTUP_TIMEOUT:.0f} s ({last_error!r}):\n"
                f"{stderr_path.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=25)  # gunicorn.conf.py: graceful_timeout = 20
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture
def server(storage: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    backend = storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]
    env = clean_env(storage)
    run_cli(env, "init-db")
    tokens = {"alice": add_user(env, "alice", "ir_officer"), "bruno": add_user(env, "bruno", "legal_officer")}

    port = free_port()
    server_env = clean_env(storage, ACCORD_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(WORKERS),
                           ACCORD_THREADS=str(THREADS))
    stdout_path, stderr_path = tmp_path / "gunicorn.out", tmp_path / "gunicorn.err"
    # Files, not pipes: the access log alone would fill a pipe nobody reads and block the workers.
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=server_env, stdout=out, stderr=err,
        )
    try:
        wait_for_health(process, port, stderr_path)
        yield Server(backend, port, tokens, process, stderr_path)
    finally:
        stop(process)


def step(server: Server, agreement_id: str, name: str, user: str, version: int, body: Any = None) -> Reply:
    return server.request("POST", f"/api/v1/agreements/{agreement_id}/steps/{name}", user, body,
                          headers={"If-Match": f'"{version}"'})


def take(server: Server, agreement_id: str, name: str, user: str, version: int, body: Any = None) -> int:
    """Take a step that must succeed; return the new version (the ETag)."""
    reply = step(server, agreement_id, name, user, version, body)
    assert reply.status == 200, f"{name}: {reply.status} {reply.body}"
    new_version = int(reply.headers["etag"].strip('"'))
    assert new_version == version + 1
    return new_version


def test_concurrent_clients_racing_one_step_get_one_winner_and_409s(server: Server) -> None:
    started = time.monotonic()
    created = server.request("POST", "/api/v1/agreements", "alice", {
        "title": "Race test agreement", "kind": "protocol",
        "counterparties": [{"name": "Chile", "kind": "state", "country": "CL"}],
    })
    assert created.status == 201, created.body
    agreement_id, version = created.body["id"], int(created.headers["etag"].strip('"'))
    assert version == 1

    version = take(server, agreement_id, "attach_text", "alice", version,
                   {"document": {"title": "Draft 1", "sha256": "a" * 64}})
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

    history = server.request("GET", f"/api/v1/agreements/{agreement_id}/history", "alice")
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
