"""A real gunicorn (the project's gunicorn.conf.py and worker) under the hostile requests that involve the
server itself, on SQLite and PostgreSQL: its own limits answer problem+json like every other refusal; a
min_position beyond the log's head is answered at once; waiting readers are bounded per worker, so that slow
reads never starve health checks; 405 carries Allow and OPTIONS answers with it.
"""

from __future__ import annotations

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest

from tests.serving.server import create_agreement, gunicorn, prepare_storage

PROBLEM = "application/problem+json"
API = "/api/v1/agreements"
READ_WAIT = 8.0
"""How long a read may wait for the views here: far longer than any answer that must come at once."""
AT_ONCE = READ_WAIT / 2
"""The client's timeout for an answer that must not wait for the views (a wait would exceed it)."""


def raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; read the reply until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def get(path: str, extra: str = "") -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + ([extra] if extra else [])
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


REFUSED_BY_GUNICORN = {
    "request line over 4094 bytes": (get(f"{API}?q={'x' * 5000}"), 414),
    "header over 8190 bytes": (get(API, f"X-Junk: {'j' * 9000}"), 431),
    "101 headers": (get(API, "\r\n".join(f"X-H{i}: v" for i in range(101))), 431),
    "a header name with a space": (get(API, "Bad Header: x"), 400),
    "a control byte in the request line": (b"GET /api/v1/\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "not HTTP at all": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
}


@pytest.fixture
def server(storage, tmp_path: Path):
    """Views that never catch up (no projection runner), and one waiting read per worker at most."""
    tokens = prepare_storage(storage, {"alice": "ir_officer", "eva": "auditor"})
    with gunicorn(storage, tmp_path, tokens, workers=2, threads=4, ACCORD_PROJECTIONS_IN_PROCESS="false",
                  ACCORD_READ_WAIT_SECONDS=str(READ_WAIT), ACCORD_WAITING_READERS="1") as running:
        yield running


def test_the_servers_own_refusals_are_problems_of_the_one_shape(server):
    for name, (request, status) in REFUSED_BY_GUNICORN.items():
        got, headers, body = raw(server.port, request)
        assert got == status, f"{name}: {got} {body[:200]!r}"
        assert headers.get("content-type") == PROBLEM, f"{name}: {headers}"
        problem = json.loads(body)
        assert problem["status"] == status and problem["type"].startswith("urn:accord:problem:"), name
        assert problem["title"] and problem["detail"], name
    assert server.request("GET", "/health").status == 200
    assert server.log().count("Booting worker with pid") == 2, "a worker was restarted"


def test_405_names_the_allowed_methods_and_options_answers_with_them(server):
    refused = server.request("DELETE", API, "alice")
    assert refused.status == 405 and refused.is_problem
    assert set(refused.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST", "OPTIONS"}
    assert refused.body["title"] == "Method Not Allowed"
    options = server.request("OPTIONS", API)
    assert options.status in (200, 204)
    assert set(options.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_position_beyond_the_head_is_answered_at_once(server):
    position = int(create_agreement(server).headers["x-position"])
    reply = server.request("GET", f"{API}?min_position={position + 1}", "eva", timeout=AT_ONCE)
    assert reply.status == 503 and reply.is_problem
    assert reply.body["type"] == "urn:accord:problem:position-beyond-head"
    assert reply.headers["retry-after"]


def test_waiting_readers_are_bounded_per_worker_and_health_checks_go_on(server):
    """Six reads wait for a position the views never reach: one per worker waits (503 after READ_WAIT), the
    others are answered at once; meanwhile health checks and other reads are answered."""
    position = int(create_agreement(server).headers["x-position"])
    started = threading.Barrier(6)

    def slow_read(_: int):
        started.wait()
        return server.request("GET", f"{API}?min_position={position}", "eva", timeout=READ_WAIT * 3)

    with ThreadPoolExecutor(6) as pool:
        reads = [pool.submit(slow_read, i) for i in range(6)]
        at_once, waiting = wait(reads, timeout=AT_ONCE)
        health = [server.request("GET", "/health", timeout=AT_ONCE).status for _ in range(8)]
        other = server.request("GET", API, "eva", timeout=AT_ONCE)
        still_waiting = sum(not r.done() for r in reads)
        replies = [r.result(timeout=READ_WAIT * 3) for r in reads]
    assert all(r.status == 503 and r.is_problem and r.headers["retry-after"] for r in replies)
    kinds = sorted(r.body["type"].rsplit(":", 1)[1] for r in replies)
    assert kinds.count("view-behind") <= 2, kinds  # one waiting read per worker at most
    assert kinds.count("too-many-waiting") >= 4, kinds
    assert len(at_once) >= 4 and len(waiting) <= 2
    assert health == [200] * 8 and other.status == 200
    assert still_waiting >= 1, "the health checks were not made while reads were waiting"
