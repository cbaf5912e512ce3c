"""Resource limits: bodies over 256 KiB get 413, JSON nested too deep gets 400, huge arrays and page sizes
beyond the maximum get 422, long histories come in pages; and a real gunicorn under hostile requests keeps
every worker alive (none restarted, none timed out) and still answers.

Accord *refuses* a page size beyond the maximum (422) rather than clamping it: a client asking for 10,000 rows
and silently getting 500 would take a full page for the last one; a 422 names the limit instead.
"""

from __future__ import annotations

import io
import json
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api import MAX_JSON_DEPTH, json_depth
from domain.values import StepContext
from tests.security.helpers import (
    ACTORS,
    API,
    BASE,
    PROBLEM,
    agreement_fields,
    assert_problem,
    build,
    head,
    step_url,
)
from tests.serving.server import Server, prepare_storage
from tests.serving.server import gunicorn as serve

ROOT = Path(__file__).resolve().parents[2]
MAX_BODY = 256 * 1024
A = BASE["agreement"]
CHUNKED_ENVIRON = {"wsgi.input_terminated": True}  # what gunicorn sets for a chunked request body


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def chunked_post(client: Any, url: str, data: bytes, headers: dict[str, str]) -> Any:
    """A POST whose body comes with Transfer-Encoding: chunked (no Content-Length), as a real server passes it."""
    return client.post(url, input_stream=io.BytesIO(data), environ_overrides=CHUNKED_ENVIRON,
                       headers={**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"})


def test_bodies_over_256_kib_get_413(client, services, auth):
    assert client.application.config["MAX_CONTENT_LENGTH"] == MAX_BODY
    aggregate_id, version = build(services, "agreement", "drafting")
    before = head(services)
    cases = {
        "create": lambda: client.post(A, json=agreement_fields(summary="x" * MAX_BODY), headers=auth("alice")),
        "step": lambda: client.post(step_url("agreement", aggregate_id, "attach_text"), headers={
            **auth("alice"), "If-Match": f'"{version}"'}, json={"document": {"title": "x" * MAX_BODY,
                                                                            "sha256": "a" * 64}}),
        "verify": lambda: client.post(f"{API}/audit/verify", json={"position": 1, "hash": "a" * MAX_BODY},
                                      headers=auth("eva")),
        "one byte over": lambda: client.post(A, data=b'"' + b"x" * (MAX_BODY - 1) + b'"', headers=auth("alice"),
                                             content_type="application/json"),
    }
    for name, send in cases.items():
        assert_problem(send(), 413), name
    exactly = client.post(A, data=b'"' + b"x" * (MAX_BODY - 2) + b'"', headers=auth("alice"),
                          content_type="application/json")
    assert exactly.status_code == 422, exactly.status_code  # 256 KiB exactly is read (and is no agreement)
    print(f"\nbody limit[{services.backend}]: {len(cases)} bodies over {MAX_BODY} bytes -> 413, one of exactly "
          f"{MAX_BODY} bytes read (422); {head(services) - before} events recorded")
    assert head(services) == before


def test_json_nested_too_deep_gets_400(client, services, auth):
    aggregate_id, version = build(services, "agreement", "drafting")
    before = head(services)
    depths = (MAX_JSON_DEPTH + 1, 1_000, 10_000, 100_000)
    targets = {
        "create": (A, auth("alice")),
        "step": (step_url("agreement", aggregate_id, "attach_text"), {**auth("alice"), "If-Match": f'"{version}"'}),
        "verify": (f"{API}/audit/verify", auth("eva")),
    }
    refused = 0
    for depth in depths:
        body = b'{"title": ' + deep(depth) + b"}"
        assert len(body) <= MAX_BODY
        for name, (url, headers) in targets.items():
            started = time.monotonic()
            response = client.post(url, data=body, content_type="application/json", headers=headers)
            problem = assert_problem(response, 400)
            assert problem["type"] == "urn:accord:problem:too-deep", (name, depth, problem)
            assert time.monotonic() - started < 5, (name, depth)
            refused += 1
    # strings that look like brackets do not count
    brackets_in_a_string = json.dumps(agreement_fields(summary="[{" * 5000))
    assert client.post(A, data=brackets_in_a_string, content_type="application/json",
                       headers=auth("alice")).status_code == 201
    at_the_limit = client.post(A, data=b'{"title": ' + deep(MAX_JSON_DEPTH - 1) + b"}",
                               content_type="application/json", headers=auth("alice"))
    assert_problem(at_the_limit, 422)  # nested exactly MAX_JSON_DEPTH deep: parsed, then refused by the schema
    recorded = head(services) - before - 1
    print(f"\njson depth[{services.backend}]: nesting {', '.join(map(str, depths))} deep x {len(targets)} endpoints "
          f"-> {refused} x 400 too-deep; {MAX_JSON_DEPTH} deep is parsed (422); brackets inside strings ignored; "
          f"{recorded} events recorded by refused requests")
    assert recorded == 0


@pytest.mark.parametrize("body, depth", [
    (b"{}", 1), (b'{"a": [1, {"b": [2]}]}', 4), (b'{"a": "[[[{{{"}', 1), (b'{"a": "\\\\", "b": [[1]]}', 3),
    (b'{"a": "\\"[[", "b": [1]}', 2), (b"[" * 40 + b"]" * 40, 40),
])
def test_json_depth_counts_nesting_outside_strings(body, depth):
    assert json_depth(body) == depth


@pytest.mark.parametrize("body", ["[" * 100_000, '{"title": ' + "[" * 5000 + "]" * 5000 + "}"])
def test_deeply_nested_json_is_refused_and_records_nothing(client, auth, services, body):
    before = services.app.recorder.max_notification_id()
    response = client.post("/api/v1/agreements", data=body, content_type="application/json", headers=auth("alice"))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "nested deeper" in response.get_json()["detail"]
    assert services.app.recorder.max_notification_id() == before


def test_huge_arrays_within_the_size_limit_get_422(client, services, auth):
    aggregate_id, version = build(services, "agreement", "signature")
    enlargement_id, enlargement_version = build(services, "enlargement", "signature")
    before = head(services)
    party = {"name": "P", "kind": "state"}
    many = {"title": "T", "kind": "protocol", "counterparties": [party] * 9_000}
    data = json.dumps(many, separators=(",", ":")).encode()
    assert len(data) <= MAX_BODY
    cases = {
        "9,000 counterparties": client.post(A, data=data, content_type="application/json", headers=auth("alice")),
        "51 counterparties": client.post(A, json=agreement_fields(counterparties=[
            {"name": f"Party {i}", "kind": "state"} for i in range(51)]), headers=auth("alice")),
        "5,000 signatories": client.post(
            step_url("enlargement", enlargement_id, "sign_agreement"),
            headers={**auth("alice"), "If-Match": f'"{enlargement_version}"'},
            json={"signed_on": "2020-06-22", "signatories": ["Signatory"] * 5_000}),
        "a 200 KB signatory name": client.post(
            step_url("agreement", aggregate_id, "record_signature"),
            headers={**auth("alice"), "If-Match": f'"{version}"'},
            json={"party": "CERN", "signatory": "S" * 200_000, "signed_on": "2024-11-04"}),
    }
    for name, response in cases.items():
        problem = assert_problem(response, 422)
        assert problem.get("errors"), (name, problem)
        assert len(response.get_data()) < 4096, (name, len(response.get_data()))
    fifty = client.post(A, json=agreement_fields(counterparties=[
        {"name": f"Party {i}", "kind": "state"} for i in range(50)]), headers=auth("alice"))
    assert fifty.status_code == 201, fifty.get_json()  # the limit itself is accepted
    recorded = head(services) - before - 1
    print(f"\nhuge arrays[{services.backend}]: {len(cases)} oversized arrays/strings within {MAX_BODY} bytes -> 422 "
          f"(counterparties max 50, signatories max 20), 50 counterparties accepted; {recorded} events recorded")
    assert recorded == 0


def test_a_huge_array_of_invalid_items_gets_a_small_422(client, services, auth):
    data = b'{"title":"t","kind":"protocol","counterparties":[' + b",".join([b"0"] * 100_000) + b"]}"
    assert len(data) <= MAX_BODY
    started = time.monotonic()
    response = client.post(A, data=data, content_type="application/json", headers=auth("alice"))
    took, size = time.monotonic() - started, len(response.get_data())
    print(f"\ninvalid items[{services.backend}]: 100,000 invalid counterparties ({len(data)} bytes) -> "
          f"{response.status_code}, {size} bytes of problem in {took:.2f} s")
    assert_problem(response, 422)
    assert size < 64 * 1024, f"a {len(data)}-byte request produced a {size}-byte error"


def test_page_sizes_beyond_the_maximum_are_refused_not_clamped(client, services, auth):
    aggregate_id, _ = build(services, "agreement", "drafting")
    enlargement_id, _ = build(services, "enlargement", "drafting")
    refused = {
        "agreements per_page=501": f"{A}?per_page=501",
        "agreements per_page=100000": f"{A}?per_page=100000",
        "agreements per_page=0": f"{A}?per_page=0",
        "agreements page=0": f"{A}?page=0",
        "enlargements per_page=501": f"{BASE['enlargement']}?per_page=501",
        "history per_page=501": f"{A}/{aggregate_id}/history?per_page=501",
        "history page=2**31": f"{A}/{aggregate_id}/history?page={2 ** 31}",
        "enlargement history per_page=501": f"{BASE['enlargement']}/{enlargement_id}/history?per_page=501",
        "journal limit=1001": f"{API}/audit/journal?limit=1001",
        "journal limit=0": f"{API}/audit/journal?limit=0",
        "journal after=-1": f"{API}/audit/journal?after=-1",
    }
    accepted = {
        "agreements per_page=500": f"{A}?per_page=500",
        "enlargements per_page=500": f"{BASE['enlargement']}?per_page=500",
        "history per_page=500": f"{A}/{aggregate_id}/history?per_page=500",
        "journal limit=1000": f"{API}/audit/journal?limit=1000",
    }
    for name, url in refused.items():
        problem = assert_problem(client.get(url, headers=auth("eva")), 422)
        assert problem.get("errors"), (name, problem)
    for name, url in accepted.items():
        assert client.get(url, headers=auth("eva")).status_code == 200, name
    print(f"\npage sizes[{services.backend}]: {len(refused)} page sizes/positions out of range -> 422 (refused, not "
          f"clamped); {len(accepted)} at the maximum -> 200")


OUT_OF_RANGE = {
    "agreements page=2**63": f"{A}?page={2 ** 63}",
    "agreements page=10**30": f"{A}?page={10 ** 30}",
    "enlargements page=10**30": f"{BASE['enlargement']}?page={10 ** 30}",
    "journal after=10**30": f"{API}/audit/journal?after={10 ** 30}",
}


@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_page_numbers_beyond_64_bits_get_422_not_500(client, services, auth, case):
    """Bounded in the schema (page <= 2**31-1, after <= the largest position), so never a 500 from SQL."""
    response = client.get(OUT_OF_RANGE[case], headers=auth("eva"))
    print(f"\nout of range[{services.backend}]: {case} -> {response.status_code}")
    assert_problem(response, 422)


def links(response: Any) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', response.headers.get("Link", ""))}


def test_a_long_history_is_served_in_pages(client, services, auth):
    total = 1_200
    aggregate_id, version = build(services, "agreement", "negotiation")
    started = time.monotonic()
    for n in range(version, total):
        services.agreements.take_step(aggregate_id, "record_round", {"held_on": "2024-09-12", "summary": f"R{n}"},
                                      ACTORS["alice"], n, StepContext())
    built = time.monotonic() - started
    url = f"{A}/{aggregate_id}/history"
    assert len(client.get(url, headers=auth("eva")).get_json()) == 50, "the default page size is every list's, 50"
    first = client.get(f"{url}?per_page=500", headers=auth("eva"))
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == str(total)
    assert len(first.get_json()) == 500
    rels = links(first)
    assert "page=3" in rels["last"] and "page=2" in rels["next"] and "prev" not in rels, rels

    versions: list[int] = []
    sizes: list[int] = []
    response, pages, slowest = first, 0, 0.0
    while True:
        pages += 1
        entries = response.get_json()
        sizes.append(len(entries))
        versions += [e["version"] for e in entries]
        assert response.headers["X-Total-Count"] == str(total)
        if "next" not in links(response):
            break
        started = time.monotonic()
        response = client.get(links(response)["next"], headers=auth("eva"))
        slowest = max(slowest, time.monotonic() - started)
        assert response.status_code == 200
    assert versions == list(range(1, total + 1))
    assert sizes == [500, 500, 200]
    beyond = client.get(f"{url}?page=4&per_page=500", headers=auth("eva"))
    assert beyond.status_code == 200 and beyond.get_json() == []
    print(f"\nhistory pages[{services.backend}]: {total} events (built in {built:.1f} s) served as {pages} pages "
          f"{sizes} (per_page=500) via Link rel=next, X-Total-Count {total}; slowest page {slowest * 1000:.0f} ms")


# ---- chunked request bodies (no Content-Length): the same limits must hold -----------------------------------


def test_a_chunked_body_nested_too_deep_gets_400(client, services, auth):
    response = chunked_post(client, A, deep(50_000), auth("alice"))
    print(f"\nchunked deep[{services.backend}]: 50,000-deep chunked body -> {response.status_code}")
    assert_problem(response, 400)


def test_a_chunked_body_over_256_kib_gets_413(client, services, auth):
    before = head(services)
    response = chunked_post(client, A, json.dumps(agreement_fields(summary="x" * MAX_BODY)).encode(), auth("alice"))
    print(f"\nchunked big[{services.backend}]: {MAX_BODY + 200}-byte chunked body -> {response.status_code}")
    assert head(services) == before
    assert_problem(response, 413)


# ---- a real gunicorn under hostile requests --------------------------------------------------------------------

WORKERS, THREADS = 2, 4
ROUNDS, CONCURRENCY = 3, 8


@pytest.fixture
def gunicorn(storage: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    """gunicorn with the project's gunicorn.conf.py (2 gthread workers), as tests/serving starts it."""
    tokens = prepare_storage(storage, {"alice": "ir_officer", "eva": "auditor"})
    with serve(storage, tmp_path, tokens, workers=WORKERS, threads=THREADS) as server:
        yield server


@dataclass
class RawReply:
    status: int | str
    headers: dict[str, str]
    body: bytes


def raw(port: int, request: bytes, timeout: float = 30.0) -> RawReply:
    """Send bytes as they are; read the reply until the server closes (every request says Connection: close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        data = b""
        try:
            s.sendall(request)
            while chunk := s.recv(65536):
                data += chunk
        except (ConnectionResetError, BrokenPipeError):  # the server may answer and close before reading it all
            pass
    if not data:
        return RawReply("no reply", {}, b"")
    head_part, _, body = data.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return RawReply(int(lines[0].split()[1]), headers, body)


def request_bytes(method: str, path: str, token: str | None = None, body: bytes | None = None, *, chunked: bool = False,
         content_length: int | None = None, extra: str = "", content_type: str = "application/json") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    payload = b""
    if body is not None:
        lines.append(f"Content-Type: {content_type}")
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192])
                               for i in range(0, len(body), 8192)) + b"0\r\n\r\n"
        else:
            lines.append(f"Content-Length: {content_length if content_length is not None else len(body)}")
            payload = body
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


def hostile_requests(server: Server, agreement_id: str) -> dict[str, tuple[bytes, int, bool]]:
    """name -> (request bytes, the status it must get, whether that status is asserted here).

    Every status is asserted, including the chunked bodies that once slipped past the guards.
    """
    alice, eva = server.tokens["alice"], server.tokens["eva"]
    a = "/api/v1/agreements"

    def post(body: bytes, path: str = a, **kw: Any) -> bytes:
        return request_bytes("POST", path, kw.pop("token", alice), body, **kw)

    def get(path: str, token: str = alice, **kw: Any) -> bytes:
        return request_bytes("GET", path, token, **kw)

    party = b'{"name":"P","kind":"state"}'
    new_agreement = b'{"title":"T","kind":"protocol","counterparties":['
    return {
        "body over 256 KiB": (post(json.dumps(agreement_fields(summary="x" * MAX_BODY)).encode()), 413, True),
        "Content-Length 10 MB, 10 bytes sent": (post(b'{"title":1', content_length=10 << 20), 413, True),
        "JSON nested 100,000 deep": (post(deep(100_000)), 400, True),
        "step body nested 33 deep": (post(deep(33), f"{a}/{agreement_id}/steps/withdraw", extra='If-Match: "1"'),
                                     400, True),
        "malformed JSON": (post(b'{"title": "unfinished'), 400, True),
        "not JSON": (post(b"title=x", content_type="text/plain"), 415, True),
        "9,000 counterparties": (post(new_agreement + b",".join([party] * 9_000) + b"]}"), 422, True),
        "100,000 invalid counterparties": (post(new_agreement + b",".join([b"0"] * 100_000) + b"]}"), 422, True),
        "per_page=100000": (get(f"{a}?per_page=100000"), 422, True),
        "history per_page=501": (get(f"{a}/{agreement_id}/history?per_page=501"), 422, True),
        "journal limit=100000": (get("/api/v1/audit/journal?limit=100000", eva), 422, True),
        "min_position beyond the head (answered at once)": (get(f"{a}?min_position=999999999"), 503, True),
        "request line over 4094 bytes": (get(f"{a}?q={'x' * 5000}"), 414, True),
        "header over 8190 bytes": (get(a, extra=f"X-Junk: {'j' * 9000}"), 431, True),
        "101 headers": (get(a, extra="\r\n".join(f"X-H{i}: v" for i in range(101))), 431, True),
        "bad token": (post(deep(100_000), token="acc_" + "z" * 43), 401, True),
        "page=10**30": (get(f"{a}?page={10 ** 30}"), 422, True),
        "journal after=10**30": (get(f"/api/v1/audit/journal?after={10 ** 30}", eva), 422, True),
        "chunked, nested 100,000 deep": (post(deep(100_000), chunked=True), 400, True),
        "chunked, 400 KB": (post(b'{"title":"' + b"x" * 400_000 + b'"}', chunked=True), 413, True),
    }


REFUSED_BY_GUNICORN = {"request line over 4094 bytes", "header over 8190 bytes", "101 headers"}
"""Refused by gunicorn's own limits (gunicorn.conf.py) before the app: problem+json too (bootstrap.serving)."""


def _events(server: Server) -> int:
    reply = raw(server.port, request_bytes("GET", "/api/v1/audit/verify", server.tokens["eva"]))
    assert reply.status == 200, reply
    checked = json.loads(reply.body)
    assert checked["ok"], checked
    return checked["head_position"]


@pytest.mark.slow
def test_gunicorn_survives_hostile_requests(gunicorn: Server):
    server = gunicorn
    created = raw(server.port, request_bytes("POST", "/api/v1/agreements", server.tokens["alice"],
                                    json.dumps(agreement_fields()).encode()))
    assert created.status == 201, created
    agreement_id = str(UUID(json.loads(created.body)["id"]))
    before = _events(server)
    cases = hostile_requests(server, agreement_id)
    jobs = [name for _ in range(ROUNDS) for name in cases]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        replies = list(pool.map(lambda name: (name, raw(server.port, cases[name][0])), jobs))
    storm = time.monotonic() - started
    statuses: Counter[str] = Counter()
    wrong: list[str] = []
    for name, reply in replies:
        _, expected, asserted = cases[name]
        statuses[str(reply.status)] += 1
        if not isinstance(reply.status, int):
            wrong.append(f"{name}: {reply.status}")
        elif asserted and reply.status != expected:
            wrong.append(f"{name}: {reply.status}, expected {expected}: {reply.body[:200]!r}")
        elif reply.status >= 400 and not reply.headers.get("content-type", "").startswith(PROBLEM):
            wrong.append(f"{name}: {reply.status} with Content-Type {reply.headers.get('content-type')}")
    after = _events(server)
    healthy = sum(raw(server.port, request_bytes("GET", "/health")).status == 200 for _ in range(2 * WORKERS * THREADS))
    usable = raw(server.port, request_bytes("POST", "/api/v1/agreements", server.tokens["alice"],
                                   json.dumps(agreement_fields()).encode()))
    log = server.log()
    booted = log.count("Booting worker with pid")
    timeouts = log.count("WORKER TIMEOUT")
    known = {name: Counter(str(r.status) for n, r in replies if n == name) for name, (_, _, a) in cases.items()
             if not a}
    print(f"\nhostile[{server.backend}]: {len(jobs)} requests ({len(cases)} kinds x {ROUNDS} rounds, {CONCURRENCY} "
          f"at a time, {storm:.1f} s) -> {dict(sorted(statuses.items()))}; workers booted {booted}/{WORKERS} "
          f"(0 restarts expected), {timeouts} worker timeouts, /health {healthy}/{2 * WORKERS * THREADS} ok, "
          f"then a create -> {usable.status}; {after - before} events recorded by hostile requests; known bugs "
          f"answered {', '.join(f'{k}: {dict(v)}' for k, v in known.items())}")
    assert not wrong, "\n".join(wrong)
    assert after == before
    assert healthy == 2 * WORKERS * THREADS
    assert usable.status == 201
    assert server.process.poll() is None, "gunicorn died"
    assert timeouts == 0, log[-4000:]
    assert booted == WORKERS, f"a worker was restarted:\n{log[-4000:]}"
