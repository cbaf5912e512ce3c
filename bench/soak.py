"""Sustained mixed load (issue 8, item 12): the production shape under a realistic mix for minutes on end.

Run ``.venv/bin/python -m bench.soak --help`` for what it does and what it reports. A benchmark, not a CI
test: it takes as long as asked (10 minutes by default) and prints its figures; the exit status is 1 when a
check fails (server errors, connection failures, errors in the server's log, views that do not catch up).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    COUNTRIES,
    KIND_WEIGHTS,
    ROOT,
    TOPICS,
    Agreements,
    LogWriter,
    Progress,
    accord_cli,
    children_of,
    clean_env,
    fresh_store,
    machine,
    open_services,
    run_cli,
    say,
    table,
)

ENDPOINTS = ("read", "history", "step", "list")
MIX = (70, 15, 10, 5)
LOG_SIGNS = ("Traceback", "WORKER TIMEOUT", "database is locked", "PoolTimeout", "unhandled error",
             "storage unavailable")
"""Lines in the server's log that show a failure a client may not see."""
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.BadStatusLine)
"""How a keep-alive connection the server closed while idle fails on reuse (retried once, counted)."""
REQUEST_TIMEOUT = 30.0
SLOW = 0.5
"""Requests slower than this (seconds) are listed with their start time, to tell what they coincide with."""
IR_USERS = ("alice", "dmitri")
LEGAL_USERS = ("bruno", "carla")
READ_USERS = ("alice", "bruno", "carla", "dmitri", "eva", "farid")
# Where an agreement loaded through the service has got to (its fate), and how often.
LOAD_FATES = {"drafting": 15, "negotiation": 30, "signature": 10, "implementation": 40, "closed": 5}
STEPPABLE = {"negotiation": "record_round", "implementation": "record_milestone"}
"""Steps that are always allowed in their stage (to an IR officer): they never move the agreement on."""
WORDS = ("detector", "computing", "physics", "training", "magnets", "neutrino", "technology", "open science",
         "LHC", "experiment")
PARTY_WORDS = ("University", "Institute", "Chile", "Academy", "Laboratory", "Republic", "ESA", "Polytechnic")

DESCRIPTION = f"""\
Sustained mixed load (issue 8, item 12): Accord in its production shape under a realistic request mix for
--minutes, with the projections running, reporting per-endpoint latency, server errors, projection lag and
the memory of every server process.

What it does:
  1. a fresh store: PostgreSQL, a new schema in the database named by ACCORD_BENCH_POSTGRES_DBNAME
     (default 'test' on 127.0.0.1:5432, user postgres), dropped at the end; SQLite, a temporary file
  2. realistic data: `accord init-db`, `accord seed history` (the participation record), `accord seed demo`
     (the demo users and their tokens, which the clients use), --agreements agreements taken through the
     command service to a mix of stages, and --bulk-events events of interleaved realistic stories
     (bench.common.LogWriter)
  3. the servers, as deployed: `python -m gunicorn --config gunicorn.conf.py wsgi:app` (the production
     settings; --workers/--threads override them) and `accord projections run` as a process of its own;
     --shape embedded (the SQLite default) is one worker with 8 threads and the views in-process, as
     `accord demo` serves
  4. once the views have caught up, --clients client threads, each on a keep-alive http.client connection,
     in a closed loop (the next request when the previous answer is in; --think adds a pause) for
     --warmup seconds (not measured) and then --minutes, at the mix (default {"/".join(map(str, MIX))}):
       read     GET /api/v1/agreements/ID (half of them on the client's own agreements)
       history  GET /api/v1/agreements/ID/history
       step     POST /api/v1/agreements/ID/steps/record_round|record_milestone (steps always allowed in the
                agreement's stage: negotiation or implementation) with If-Match from the last ETag the
                client saw and a new Idempotency-Key; each client owns a share of those agreements, and
                --contention of its steps go to --shared agreements every client writes: their 409s are
                races, counted as conflicts (a 409 on an owned agreement would be spurious)
       list     GET /api/v1/agreements with random filters, sorts and pages, and min_position = the
                position (X-Position) of the client's last write (read-your-writes)
  5. every second: GET /ready (projection lag: head - tracked position, per view) and the RSS and CPU time
     of the gunicorn master, each worker and the runner, from /proc
  6. at the end: waits for the views to catch up, stops every process, drops the schema, and prints
     per endpoint: requests, errors (5xx and connection failures), conflicts, other 4xx, p50/p95/p99/max
     latency; the throughput; projection lag p50/p99/max; the memory of each process at the start, after
     the warm-up, at the end and its growth; and PASS/FAIL checks.

Errors are 5xx answers and requests that got no answer (connection refused or reset, timeout). A keep-alive
connection the server closed while it was idle (keepalive = 5 s, a worker recycled after max_requests) fails
on reuse before the request is processed: that request is sent once more on a new connection and counted as
a reconnect, not an error. Latency is measured by the client (it includes the client's own scheduling; the
client runs on the same machine and its CPU use is shown).
"""

EPILOG = """\
examples:
  .venv/bin/python -m bench.soak                                    # 10 minutes on PostgreSQL
  .venv/bin/python -m bench.soak --minutes 3 --backend sqlite --json var/soak-sqlite.json
  .venv/bin/python -m bench.soak --minutes 1 --warmup 5 --agreements 50 --bulk-events 2000   # a quick look
  .venv/bin/python -m bench.soak --max-requests 0     # no worker recycling: memory growth over the whole run
"""


# ---- processes and /proc -------------------------------------------------------------------------------


def memory_of(pid: int) -> tuple[int, int] | None:
    """(VmRSS, RssAnon) of a process in bytes, None if it is gone."""
    rss = anon = None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1]) * 1024
    except OSError:
        return None
    return (rss, anon or 0) if rss is not None else None


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of a process, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


def stop_process(process: subprocess.Popen, grace: float) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def get_json(port: int, path: str, token: str | None = None, timeout: float = 10) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Servers:
    port: int
    gunicorn: subprocess.Popen
    runner: subprocess.Popen | None
    folder: Path
    workers_seen: set[int] = field(default_factory=set)

    def workers(self) -> list[int]:
        found = children_of(self.gunicorn.pid)
        self.workers_seen.update(found)
        return found

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def servers(storage: dict[str, str], folder: Path, args: argparse.Namespace) -> Iterator[Servers]:
    """gunicorn with the production gunicorn.conf.py and, unless embedded, `accord projections run`."""
    port = free_port()
    extra = {"ACCORD_BIND": f"127.0.0.1:{port}"}
    if args.workers:
        extra["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        extra["ACCORD_THREADS"] = str(args.threads)
    extra["ACCORD_PROJECTIONS_IN_PROCESS"] = "true" if args.shape == "embedded" else "false"
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    if args.max_requests is not None:
        command += ["--max-requests", str(args.max_requests)]
    command += args.gunicorn_arg or []
    command.append("wsgi:app")
    folder.mkdir(parents=True, exist_ok=True)
    runner = None
    with contextlib.ExitStack() as stack:
        if args.shape == "production":
            runner_command = [accord_cli(), "projections", "run"] + (["--poll", str(args.poll)] if args.poll else [])
            with open(folder / "runner.log", "wb") as out:
                runner = subprocess.Popen(runner_command, cwd=ROOT, env=clean_env(storage), stdout=out, stderr=out)
            stack.callback(stop_process, runner, 25)
        # Files, not pipes: the access log alone would fill a pipe nobody reads and block the workers.
        with open(folder / "gunicorn.out", "wb") as out, open(folder / "gunicorn.err", "wb") as err:
            process = subprocess.Popen(command, cwd=ROOT, env=clean_env(storage, **extra), stdout=out, stderr=err)
        found = Servers(port, process, runner, folder)

        def stop_gunicorn() -> None:
            found.workers()
            stop_process(process, 25)
            for pid in sorted(found.workers_seen):  # never leave a worker behind (only ours, by pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

        stack.callback(stop_gunicorn)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{found.log('gunicorn.err')[-3000:]}")
            if runner is not None and runner.poll() is not None:
                raise RuntimeError(f"the projection runner exited with {runner.returncode}:\n"
                                   f"{found.log('runner.log')[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
                if get_json(port, "/health", timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /health within 60 s:\n{found.log('gunicorn.err')[-3000:]}")
            time.sleep(0.1)
        found.workers()
        yield found


def wait_caught_up(port: int, timeout: float) -> tuple[bool, float, dict[str, Any] | None]:
    """Wait until every view's lag is 0; (caught up, seconds waited, the last /ready answer)."""
    started = time.monotonic()
    last = None
    while True:
        with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
            status, body = get_json(port, "/ready", timeout=5)
            if status == 200:
                last = body
                if all(v["lag"] <= 0 for v in body["projections"].values()):
                    return True, time.monotonic() - started, body
        if time.monotonic() - started > timeout:
            return False, time.monotonic() - started, last
        time.sleep(0.2)


# ---- realistic data --------------------------------------------------------------------------------------


def demo_tokens(output: str) -> dict[str, str]:
    """The tokens printed by `accord seed demo` ("  name  role  acc_...")."""
    tokens = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].startswith("acc_"):
            tokens[parts[0]] = parts[2]
    missing = set(READ_USERS) - set(tokens)
    if missing:
        raise RuntimeError(f"no token for {', '.join(sorted(missing))} in the output of accord seed demo:\n{output}")
    return tokens


class Walk:
    """One agreement taken through the command service, as the API would take it: every command keyed."""

    def __init__(self, service: Any, rng: random.Random, key: str):
        self.service, self.rng, self.key, self.count = service, rng, key, 0
        self.day = date(2012, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))
        self.agreement: Any = None

    def context(self, reason: str | None = None) -> Any:
        from domain.values import StepContext

        self.count += 1
        return StepContext(reason=reason, idempotency_key=f"{self.key}-{self.count}")

    def later(self, most: int = 60) -> str:
        self.day += timedelta(days=self.rng.randint(1, most))
        return self.day.isoformat()

    def create(self, actor: Any, fields: dict[str, Any]) -> None:
        self.agreement = self.service.create(fields, actor=actor, context=self.context("Requested by the "
                                                                                       "counterparty.")).aggregate

    def step(self, actor: Any, name: str, **fields: Any) -> None:
        a = self.agreement
        self.agreement = self.service.take_step(
            a.id, name, fields, actor=actor, expected_version=a.version,
            context=self.context(self.rng.choice((None, "As agreed in the last round.")))).aggregate

    def text(self, actor: Any, version: int) -> None:
        a = self.agreement
        label = f"{a.kind.value.replace('_', ' ').capitalize()} {str(a.id)[:8]} draft v{version}"
        self.step(actor, "attach_text", document={"title": label, "sha256": f"{self.rng.getrandbits(256):064x}",
                                                  "media_type": "application/pdf"})


def load_agreements(services: Any, count: int, seed: int) -> Counter:
    """``count`` agreements created and taken through the command service, each to a fate drawn from
    LOAD_FATES, with realistic titles, parties and dates."""
    from domain.values import Actor, Role

    maker = Agreements(seed)
    rng = maker.rng
    ir_actors = [Actor(n, Role.IR_OFFICER) for n in IR_USERS]
    legal_actors = [Actor(n, Role.LEGAL_OFFICER) for n in LEGAL_USERS]
    fates: Counter = Counter()
    progress = Progress("agreements through the service", count)
    for n in range(count):
        fate = rng.choices(list(LOAD_FATES), weights=list(LOAD_FATES.values()))[0]
        fates[fate] += 1
        walk = Walk(services.agreements, rng, f"soak-load-{seed}-{n}")
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        parties = maker.counterparties()
        expires = walk.day + timedelta(days=rng.randint(3 * 365, 12 * 365)) if rng.random() < 0.6 else None
        walk.create(rng.choice(ir_actors), {
            "title": maker.title(kind, parties), "kind": kind.value,
            "counterparties": [{"name": p.name, "kind": p.kind.value, "country": p.country} for p in parties],
            "summary": "Scientific and technical co-operation in high-energy physics." if rng.random() < 0.5
            else None, "parent_id": None, "expires_on": expires.isoformat() if expires else None,
        })
        walk_to(walk, fate, rng.choice(ir_actors), rng.choice(legal_actors), ir_actors, [p.name for p in parties])
        progress.update(1)
    progress.close()
    return fates


def walk_to(walk: Walk, fate: str, ir: Any, legal: Any, ir_actors: Sequence[Any], parties: Sequence[str]) -> None:
    """Take an agreement from drafting to its fate (stopping somewhere in that stage)."""
    from domain.values import ORGANISATION

    rng = walk.rng
    walk.text(ir, 1)
    if fate == "drafting" and rng.random() < 0.5:
        return
    walk.step(ir, "request_legal_review")
    if fate == "closed" and rng.random() < 0.5:
        walk.step(ir, "withdraw")
        return
    if rng.random() < 0.3:  # a round of changes first
        walk.step(legal, "complete_legal_review", outcome="changes_requested", comments="See the marked-up text.")
        walk.text(ir, 2)
        walk.step(ir, "request_legal_review")
    walk.step(legal, "complete_legal_review", outcome="cleared", comments=None)
    if fate == "drafting":
        return
    walk.step(ir, "open_negotiation")
    for _ in range(rng.randint(1, 3)):
        walk.step(ir, "record_round", held_on=walk.later(90),
                  summary=f"Round on articles {rng.randint(1, 20)} to {rng.randint(21, 40)}.")
    if fate == "negotiation":
        return
    if fate == "closed":
        walk.step(ir, "withdraw")
        return
    walk.step(rng.choice(ir_actors), "finalise_text")
    unsigned = [ORGANISATION, *parties]
    signing = unsigned if fate != "signature" else unsigned[:rng.randint(0, len(unsigned) - 1)]
    for party in signing:
        walk.step(rng.choice((ir, legal)), "record_signature", party=party,
                  signatory="Director-General" if party == ORGANISATION else "Minister", signed_on=walk.later(30))
    if fate == "signature":
        return
    walk.step(legal, "enter_into_force", effective_on=walk.later(30))
    for _ in range(rng.randint(0, 3)):
        walk.step(ir, "record_milestone", on=walk.later(120), summary="Joint committee met.")


def prepare(storage: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Tables, the participation record, the demo (users and tokens), agreements and a bulk log."""
    started = time.perf_counter()
    say("  accord init-db, seed history, seed demo")
    run_cli(storage, "init-db")
    run_cli(storage, "seed", "history")
    tokens = demo_tokens(run_cli(storage, "seed", "demo"))
    with open_services(storage) as services:
        fates = load_agreements(services, args.agreements, args.seed)
        if args.bulk_events:
            writer = LogWriter(services, seed=args.seed, in_flight=300, per_save=100)
            head = services.app.recorder.max_notification_id() or 0
            progress = Progress("bulk log (bench.common.LogWriter)", args.bulk_events)
            writer.write_until(head + args.bulk_events, progress)
            progress.close()
        head = services.app.recorder.max_notification_id() or 0
    return {"tokens": tokens, "fates": dict(fates), "head": head, "seconds": time.perf_counter() - started}


def discover(port: int, token: str) -> list[dict[str, Any]]:
    """Every agreement (id, stage, version), paged from the list view once it has caught up."""
    found: list[dict[str, Any]] = []
    for page in range(1, 10_000):
        status, body = get_json(port, f"/api/v1/agreements?per_page=500&page={page}&sort=created_at", token, 60)
        if status != 200:
            raise RuntimeError(f"GET /api/v1/agreements page {page}: {status} {body}")
        found.extend({"id": a["id"], "stage": a["stage"], "version": a["version"]} for a in body)
        if len(body) < 500:
            return found
    raise RuntimeError("more than 5,000,000 agreements?")


# ---- the load ----------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one client saw of one endpoint (latencies in seconds, of the measured window only)."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # no answer: the exception's name
    warmup_requests: int = 0
    warmup_errors: int = 0
    conflicts_owned: int = 0
    conflicts_shared: int = 0
    replayed: int = 0


@dataclass
class Shared:
    """What every client reads: the agreements, the tokens, the clock; and the samples of server errors."""

    port: int
    tokens: dict[str, str]
    all_ids: list[str]
    stages: dict[str, str]
    versions: dict[str, int]
    shared_ids: list[str]
    contention: float
    think: float
    origin: float
    measure_from: float
    stop_at: float
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    today: date = field(default_factory=date.today)

    def keep_sample(self, sample: dict[str, Any]) -> None:
        with self.lock:
            if len(self.error_samples) < 50:
                self.error_samples.append(sample)


class Client(threading.Thread):
    """One user agent: one keep-alive connection, requests one after another at the mix."""

    def __init__(self, number: int, shared: Shared, owned: list[str], mix: Sequence[float], seed: int):
        super().__init__(name=f"soak-client-{number}", daemon=True)
        self.number, self.s, self.owned, self.mix = number, shared, owned, mix
        self.rng = random.Random(seed * 1000 + number)
        self.conn: http.client.HTTPConnection | None = None
        self.tallies = {name: Tally() for name in ENDPOINTS}
        self.known = {aid: shared.versions[aid] for aid in [*owned, *shared.shared_ids]}
        self.last_position: int | None = None
        self.reconnects = 0
        self.requests_on_conn = 0
        self.crash: str | None = None
        self.written = 0
        self.slow: list[tuple[float, str, float]] = []  # (start, seconds after the origin; endpoint; seconds)

    # one request, on the keep-alive connection, once more on a new one if the old one had gone stale
    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
             ) -> tuple[int | None, dict[str, str], bytes, float, str | None]:
        started = time.perf_counter()
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=REQUEST_TIMEOUT)
                self.requests_on_conn = 0
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                reply_headers = {k.lower(): v for k, v in response.getheaders()}
                self.requests_on_conn += 1
                if response.will_close:
                    self.conn.close()
                    self.conn = None
                return response.status, reply_headers, raw, time.perf_counter() - started, None
            except STALE as error:
                self.conn.close()
                self.conn = None
                if reused and attempt == 0:
                    self.reconnects += 1
                    continue
                return None, {}, b"", time.perf_counter() - started, type(error).__name__
            except (OSError, http.client.HTTPException) as error:
                self.conn.close()
                self.conn = None
                return None, {}, b"", time.perf_counter() - started, type(error).__name__
        raise AssertionError("unreachable")

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.s.tokens[user]}"}

    def record(self, endpoint: str, started: float, status: int | None, seconds: float, error: str | None,
               path: str, raw: bytes) -> Tally:
        tally = self.tallies[endpoint]
        bad = error is not None or (status is not None and status >= 500)
        if started < self.s.measure_from:
            tally.warmup_requests += 1
            tally.warmup_errors += bad
        else:
            tally.latencies.append(seconds)
            if seconds > SLOW:
                self.slow.append((round(started - self.s.origin, 3), endpoint, round(seconds, 3)))
            if error is not None:
                tally.failures[error] += 1
            else:
                tally.statuses[status] += 1
        if bad or (status is not None and status >= 400 and status != 409):
            self.s.keep_sample({"endpoint": endpoint, "path": path, "status": status, "error": error,
                                "at": round(time.monotonic() - self.s.measure_from, 3),
                                "body": raw[:500].decode(errors="replace")})
        return tally

    def run(self) -> None:
        try:
            while not self.s.stop.is_set() and time.monotonic() < self.s.stop_at:
                endpoint = self.rng.choices(ENDPOINTS, weights=self.mix)[0]
                getattr(self, endpoint)()
                if self.s.think:
                    self.s.stop.wait(self.s.think)
        except Exception as error:  # noqa: BLE001 - reported (a client bug must not pass for a quiet server)
            import traceback

            self.crash = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
        finally:
            if self.conn is not None:
                self.conn.close()

    def pick(self, own_share: float) -> str:
        if self.owned and self.rng.random() < own_share:
            return self.rng.choice(self.owned)
        return self.rng.choice(self.s.all_ids)

    def read(self) -> None:
        aid = self.pick(0.5)
        path = f"/api/v1/agreements/{aid}"
        started = time.monotonic()
        status, headers, raw, seconds, error = self.send("GET", path, self.auth(self.rng.choice(READ_USERS)))
        self.record("read", started, status, seconds, error, path, raw)
        if status == 200 and aid in self.known and "etag" in headers:
            self.known[aid] = max(self.known[aid], int(headers["etag"].strip('W/"')))

    def history(self) -> None:
        aid = self.pick(0.3)
        path = f"/api/v1/agreements/{aid}/history"
        started = time.monotonic()
        status, _, raw, seconds, error = self.send("GET", path, self.auth(self.rng.choice(READ_USERS)))
        self.record("history", started, status, seconds, error, path, raw)

    def step(self) -> None:
        rng = self.rng
        shared = not self.owned or (self.s.shared_ids and rng.random() < self.s.contention)
        aid = rng.choice(self.s.shared_ids if shared else self.owned)
        name = STEPPABLE[self.s.stages[aid]]
        on = (self.s.today - timedelta(days=rng.randint(0, 400))).isoformat()
        if name == "record_round":
            fields = {"held_on": on, "summary": f"Round on articles {rng.randint(1, 20)} to {rng.randint(21, 40)}."}
        else:
            fields = {"on": on, "summary": rng.choice(("Joint committee met.", "Annual report received.",
                                                       "Steering board reviewed the work plan."))}
        if rng.random() < 0.3:
            fields["reason"] = "See the minutes of the joint committee."
        body = json.dumps(fields).encode()
        headers = {**self.auth(rng.choice(IR_USERS)), "Content-Type": "application/json",
                   "If-Match": f'"{self.known[aid]}"', "Idempotency-Key": f"soak-{uuid.uuid4().hex}"}
        path = f"/api/v1/agreements/{aid}/steps/{name}"
        started = time.monotonic()
        status, reply, raw, seconds, error = self.send("POST", path, headers, body)
        tally = self.record("step", started, status, seconds, error, path, raw)
        if status == 200:
            self.known[aid] = int(reply["etag"].strip('W/"'))
            self.last_position = int(reply["x-position"])
            self.written += started >= self.s.measure_from
            tally.replayed += reply.get("idempotent-replayed") == "true"
        elif status == 409:
            if started >= self.s.measure_from:
                if shared:
                    tally.conflicts_shared += 1
                else:
                    tally.conflicts_owned += 1
            with contextlib.suppress(ValueError, TypeError, KeyError):
                current = json.loads(raw).get("current_version")
                if current:
                    self.known[aid] = int(current)

    def list(self) -> None:
        rng = self.rng
        query: dict[str, Any] = {"sort": rng.choice(("-updated_at", "-updated_at", "title", "-created_at",
                                                     "expires_on", "stage", "-status", "kind"))}
        filters = {
            "stage": lambda: rng.choice(("drafting", "negotiation", "signature", "implementation", "closed")),
            "status": lambda: rng.choice(("draft", "under_negotiation", "awaiting_signature", "in_force",
                                          "withdrawn", "terminated")),
            "kind": lambda: rng.choice([k.value for k in KIND_WEIGHTS]),
            "country": lambda: rng.choice([c[0] for c in COUNTRIES]),
            "q": lambda: rng.choice(WORDS + tuple(t.split()[0] for t in TOPICS)),
            "counterparty": lambda: rng.choice(PARTY_WORDS),
            "expires_before": lambda: (self.s.today + timedelta(days=rng.randint(30, 720))).isoformat(),
            "stalled_for_days": lambda: rng.choice((30, 90, 180)),
        }
        for name in rng.sample(list(filters), rng.choices((0, 1, 2), weights=(35, 50, 15))[0]):
            query[name] = filters[name]()
        query["per_page"] = rng.choice((20, 50, 50, 100))
        query["page"] = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        if self.last_position is not None:
            query["min_position"] = self.last_position
        from urllib.parse import urlencode

        path = f"/api/v1/agreements?{urlencode(query)}"
        started = time.monotonic()
        status, _, raw, seconds, error = self.send("GET", path, self.auth(rng.choice(READ_USERS)))
        self.record("list", started, status, seconds, error, path, raw)


class Sampler(threading.Thread):
    """Every second: /ready (lag per view, head), RSS and CPU of every server process, the machine's CPU."""

    def __init__(self, found: Servers, origin: float, interval: float = 1.0):
        super().__init__(name="soak-sampler", daemon=True)
        self.servers, self.origin, self.interval = found, origin, interval
        self.samples: list[dict[str, Any]] = []
        self.ready_failures: Counter = Counter()
        self.stop_event = threading.Event()

    def sample(self) -> dict[str, Any]:
        now = time.monotonic()
        entry: dict[str, Any] = {"t": round(now - self.origin, 3), "processes": {}}
        pids = {"master": self.servers.gunicorn.pid}
        for pid in self.servers.workers():
            pids[f"worker {pid}"] = pid
        if self.servers.runner is not None:
            pids["runner"] = self.servers.runner.pid
        for label, pid in pids.items():
            memory, cpu = memory_of(pid), cpu_of(pid)
            if memory is not None and cpu is not None:
                entry["processes"][label] = {"pid": pid, "rss": memory[0], "anon": memory[1], "cpu": cpu}
        entry["machine_cpu"] = machine_cpu()
        entry["client_cpu"] = time.process_time()
        try:
            status, body = get_json(self.servers.port, "/ready", timeout=5)
            if status == 200:
                entry["head"] = body["head_position"]
                entry["lag"] = {name: v["lag"] for name, v in body["projections"].items()}
            else:
                self.ready_failures[str(status)] += 1
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.ready_failures[type(error).__name__] += 1
        return entry

    def run(self) -> None:
        while not self.stop_event.is_set():
            began = time.monotonic()
            self.samples.append(self.sample())
            self.stop_event.wait(max(0.0, self.interval - (time.monotonic() - began)))


# ---- figures ----------------------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def endpoint_figures(clients: Sequence[Client], seconds: float) -> dict[str, dict[str, Any]]:
    out = {}
    for name in ENDPOINTS:
        tallies = [c.tallies[name] for c in clients]
        latencies = sorted(x for t in tallies for x in t.latencies)
        statuses: Counter = sum((t.statuses for t in tallies), Counter())
        failures: Counter = sum((t.failures for t in tallies), Counter())
        server_errors = sum(n for s, n in statuses.items() if s >= 500)
        other_4xx = sum(n for s, n in statuses.items() if 400 <= s < 500 and s != 409)
        out[name] = {
            "requests": len(latencies), "rate": len(latencies) / seconds if seconds else 0.0,
            "ok": sum(n for s, n in statuses.items() if s < 400), "server_errors": server_errors,
            "connection_failures": sum(failures.values()), "errors": server_errors + sum(failures.values()),
            "conflicts": statuses.get(409, 0), "conflicts_owned": sum(t.conflicts_owned for t in tallies),
            "conflicts_shared": sum(t.conflicts_shared for t in tallies), "other_4xx": other_4xx,
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "failures": dict(failures),
            "replayed": sum(t.replayed for t in tallies),
            "warmup_requests": sum(t.warmup_requests for t in tallies),
            "warmup_errors": sum(t.warmup_errors for t in tallies),
            "latency_ms": {p: (None if percentile(latencies, q) is None else 1000 * percentile(latencies, q))
                           for p, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))}
            | {"mean": 1000 * sum(latencies) / len(latencies) if latencies else None},
        }
    return out


def lag_figures(samples: Sequence[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    window = [s for s in samples if start <= s["t"] <= end and "lag" in s]
    worst = sorted(max(s["lag"].values(), default=0) for s in window)
    views = sorted({v for s in window for v in s["lag"]})
    per_view = {}
    for view in views:
        values = sorted(s["lag"][view] for s in window if view in s["lag"])
        per_view[view] = {"p50": percentile(values, 50), "p99": percentile(values, 99), "max": values[-1]}
    heads = [s["head"] for s in window]
    return {"samples": len(window), "p50": percentile(worst, 50), "p95": percentile(worst, 95),
            "p99": percentile(worst, 99), "max": worst[-1] if worst else None,
            "mean": sum(worst) / len(worst) if worst else None, "views": per_view,
            "head_start": heads[0] if heads else None, "head_end": heads[-1] if heads else None,
            "events_per_second": (heads[-1] - heads[0]) / (window[-1]["t"] - window[0]["t"])
            if len(window) > 1 else None}


def memory_figures(samples: Sequence[dict[str, Any]], idle_at: float, measure_from: float,
                   end: float) -> list[dict[str, Any]]:
    """Per process (master, each worker by pid, runner): RSS first, after the warm-up, last, max; its growth
    over the measured part of its life and over the second half of that (a leak keeps growing; a cache that
    fills levels off), and its CPU use."""
    series: dict[str, list[tuple[float, int, int, float]]] = {}
    for s in samples:
        for label, p in s["processes"].items():
            series.setdefault(label, []).append((s["t"], p["rss"], p["anon"], p["cpu"]))
    rows = []
    for label, points in series.items():
        # a worker started during the run (recycled) is measured from its own warm-up on
        settled = max(measure_from, points[0][0] + measure_from if points[0][0] > idle_at else 0.0)
        measured = [p for p in points if settled <= p[0] <= end] or points[-1:]
        baseline = measured[0]
        last = measured[-1]
        half = [p for p in measured if p[0] >= (baseline[0] + last[0]) / 2]
        life = last[0] - baseline[0]
        # medians of the first and last tenth of the second half: steadier than two single samples
        tenth = max(1, len(half) // 10)
        second_half_growth = (sorted(p[1] for p in half[-tenth:])[tenth // 2]
                              - sorted(p[1] for p in half[:tenth])[tenth // 2]) if half else 0
        busy = last[3] - points[0][3]
        span = last[0] - points[0][0]
        rows.append({
            "process": label, "first_seen": points[0][0], "last_seen": points[-1][0],
            "rss_first": points[0][1], "rss_after_warmup": baseline[1], "rss_end": last[1],
            "rss_max": max(p[1] for p in points), "anon_after_warmup": baseline[2], "anon_end": last[2],
            "growth": last[1] - baseline[1], "anon_growth": last[2] - baseline[2],
            "second_half_growth": second_half_growth, "measured_seconds": life,
            "idle_before_load": points[0][0] <= idle_at,
            "cpu_seconds": busy, "cpu_share": busy / span if span > 0 else None,
        })
    order = {"master": 0, "runner": 2}
    rows.sort(key=lambda r: (order.get(r["process"], 1), r["first_seen"]))
    return rows


GROWTH_LIMIT = 16 * 2**20
"""A process whose RSS still rises by more than this (and 10 %) over the second half of its measured life
is flagged as growing (a filling cache levels off well before)."""


def growing(row: dict[str, Any], minimum_life: float) -> bool:
    if row["measured_seconds"] < minimum_life:
        return False
    return row["second_half_growth"] > max(GROWTH_LIMIT, 0.10 * row["rss_after_warmup"])


def balance_figures(samples: Sequence[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """How evenly the gunicorn workers share the work: each second, the busiest worker's share of the CPU time
    the workers used (1/workers when even, 1.0 when one worker does everything)."""
    shares = []
    for before, after in zip(samples, samples[1:], strict=False):
        if not start <= after["t"] <= end:
            continue
        used = [p["cpu"] - before["processes"][label]["cpu"] for label, p in after["processes"].items()
                if label.startswith("worker") and label in before["processes"]]
        if len(used) >= 2 and sum(used) > 0.2 * (after["t"] - before["t"]):
            shares.append(max(used) / sum(used))
    shares.sort()
    return {"seconds": len(shares), "busiest_share_p50": percentile(shares, 50),
            "one_worker_seconds": sum(1 for x in shares if x >= 0.8)}


def log_checks(found: Servers) -> dict[str, Any]:
    err, runner = found.log("gunicorn.err"), found.log("runner.log")
    access_5xx: Counter = Counter()
    pattern = re.compile(r'" (5\d\d) ')
    path = found.folder / "gunicorn.out"
    if path.exists():
        with open(path, errors="replace") as access:
            for line in access:
                match = pattern.search(line)
                if match:
                    access_5xx[match.group(1)] += 1
    return {
        "gunicorn_signs": {sign: err.count(sign) for sign in LOG_SIGNS if sign in err},
        "runner_signs": {sign: runner.count(sign) for sign in (*LOG_SIGNS, "error:", "retrying") if sign in runner},
        "worker_boots": err.count("Booting worker with pid"),
        "access_log_5xx": dict(access_5xx),
        "gunicorn_err_tail": err[-4000:] if any(sign in err for sign in LOG_SIGNS) else "",
        "runner_tail": runner[-4000:],
    }


# ---- the run ----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "soak", "machine": machine(),
                              "arguments": {k: v for k, v in vars(args).items()}}
    result["machine"]["load_before"] = os.getloadavg()
    folder = Path(tempfile.mkdtemp(prefix=f"accord-soak-{args.backend}-"))
    try:
        with fresh_store(args.backend, "soak", keep=args.keep) as storage:
            say(f"{args.backend}: preparing a fresh store")
            data = prepare(storage, args)
            result["data"] = {k: v for k, v in data.items() if k != "tokens"}
            say(f"  head position {data['head']:,} after {data['seconds']:.0f} s; starting the servers "
                f"({args.shape}; logs in {folder})")
            with servers(storage, folder, args) as found:
                result.update(drive(found, data["tokens"], args))
                result["logs"] = log_checks(found)
                result["runner_alive"] = found.runner is None or found.runner.poll() is None
            result["logs"]["exit"] = {"gunicorn": found.gunicorn.returncode,
                                      "runner": found.runner.returncode if found.runner else None}
    finally:
        if args.keep:
            say(f"  kept the logs in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    result["machine"]["load_after"] = os.getloadavg()
    return result


def drive(found: Servers, tokens: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    say("  waiting for the views to catch up")
    caught, waited, ready = wait_caught_up(found.port, timeout=600)
    if not caught:
        raise RuntimeError(f"the views did not catch up within 600 s: {ready}")
    agreements = discover(found.port, tokens["eva"])
    steppable = [a for a in agreements if a["stage"] in STEPPABLE]
    if not steppable:
        raise RuntimeError("no agreement in negotiation or implementation to take steps on")
    rng = random.Random(args.seed)
    rng.shuffle(steppable)
    shared_ids = [a["id"] for a in steppable[:args.shared]]
    owned_pool = [a["id"] for a in steppable[args.shared:]]
    say(f"  views current after {waited:.1f} s; {len(agreements):,} agreements, {len(steppable):,} open to "
        f"steps ({len(shared_ids)} shared); {args.clients} clients for {args.warmup:g} s warm-up + "
        f"{args.minutes:g} min")

    origin = time.monotonic()
    sampler = Sampler(found, origin)
    idle = sampler.sample()  # before any load
    sampler.samples.append(idle)
    measure_from = origin + args.warmup
    stop_at = measure_from + args.minutes * 60
    shared = Shared(port=found.port, tokens=tokens, all_ids=[a["id"] for a in agreements],
                    stages={a["id"]: a["stage"] for a in agreements},
                    versions={a["id"]: a["version"] for a in agreements}, shared_ids=shared_ids,
                    contention=args.contention, think=args.think, origin=origin, measure_from=measure_from,
                    stop_at=stop_at)
    mix = [float(x) for x in args.mix.split(",")]
    clients = [Client(n, shared, owned_pool[n::args.clients], mix, args.seed) for n in range(args.clients)]
    cpu_before = machine_cpu()
    client_cpu_before = time.process_time()
    sampler.start()
    for client in clients:
        client.start()
    try:
        last_report = time.monotonic()
        while any(c.is_alive() for c in clients):
            time.sleep(0.5)
            if time.monotonic() - last_report >= args.report_every:
                last_report = time.monotonic()
                done = sum(len(c.tallies[e].latencies) + c.tallies[e].warmup_requests for c in clients
                           for e in ENDPOINTS)
                errors = sum(sum(c.tallies[e].failures.values()) + c.tallies[e].warmup_errors
                             + sum(n for s, n in c.tallies[e].statuses.items() if s >= 500)
                             for c in clients for e in ENDPOINTS)
                last = sampler.samples[-1]
                lag = max(last.get("lag", {}).values(), default=None)
                rss = sum(p["rss"] for p in last["processes"].values()) / 2**20
                say(f"  t={last_report - origin:6.0f} s  requests {done:,}  errors {errors}  lag {lag}  "
                    f"server RSS {rss:,.0f} MiB  workers {len(found.workers())}")
    except KeyboardInterrupt:
        say("  interrupted: stopping the clients")
        shared.stop.set()
        for client in clients:
            client.join(timeout=REQUEST_TIMEOUT + 5)
    end = time.monotonic()
    cpu_after = machine_cpu()
    client_cpu = time.process_time() - client_cpu_before
    measured_seconds = max(0.0, min(end, stop_at) - measure_from)
    say("  load stopped; waiting for the views to catch up")
    drained, drain_seconds, _ = wait_caught_up(found.port, timeout=120)
    time.sleep(1.0)
    sampler.stop_event.set()
    sampler.join(timeout=10)
    sampler.samples.append(sampler.sample())

    endpoints = endpoint_figures(clients, measured_seconds)
    total = sum(e["requests"] for e in endpoints.values())
    everything = sorted(x for c in clients for t in c.tallies.values() for x in t.latencies)
    memory = memory_figures(sampler.samples, idle["t"], args.warmup, end - origin)
    started_workers = [r["first_seen"] for r in memory if r["process"].startswith("worker") and r["first_seen"] > 0]
    slow = sorted(x for c in clients for x in c.slow)
    near_boot = [x for x in slow if any(b - 2 <= x[0] <= b + 10 for b in started_workers)]
    busy = (cpu_after[0] - cpu_before[0]) / max(1.0, cpu_after[1] - cpu_before[1])
    return {
        "shape": {"backend": args.backend, "shape": args.shape, "workers_at_start": len(idle["processes"]) - 1
                  - (found.runner is not None), "clients": args.clients, "mix": mix},
        "population": {"agreements": len(agreements), "steppable": len(steppable), "shared": len(shared_ids),
                       "head_before": ready["head_position"] if ready else None},
        "measured_seconds": measured_seconds, "warmup_seconds": args.warmup,
        "endpoints": endpoints,
        "throughput": total / measured_seconds if measured_seconds else 0.0,
        "requests": total, "writes_acknowledged": sum(c.written for c in clients),
        "latency_ms": {p: (None if percentile(everything, q) is None else 1000 * percentile(everything, q))
                       for p, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))},
        "reconnects": sum(c.reconnects for c in clients),
        "client_crashes": [c.crash for c in clients if c.crash],
        "lag": lag_figures(sampler.samples, args.warmup, end - origin),
        "balance": balance_figures(sampler.samples, args.warmup, end - origin),
        "slow": {"threshold_seconds": SLOW, "count": len(slow), "near_worker_start": len(near_boot),
                 "worker_starts": started_workers, "requests": slow[:2000]},
        "drained": drained, "drain_seconds": drain_seconds,
        "ready_failures": dict(sampler.ready_failures),
        "memory": memory, "workers_seen": sorted(found.workers_seen),
        "machine_cpu_busy": busy, "client_cpu_share": client_cpu / max(1e-9, end - origin),
        "cpus": os.cpu_count(),
        "error_samples": shared.error_samples,
        "samples": sampler.samples,
    }


# ---- the report -------------------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def mib(value: float) -> str:
    return f"{value / 2**20:,.1f}"


def checks(result: dict[str, Any], args: argparse.Namespace) -> list[tuple[str, bool, str]]:
    endpoints = result["endpoints"]
    server_errors = sum(e["server_errors"] + e["warmup_errors"] for e in endpoints.values())
    failures = sum(e["connection_failures"] for e in endpoints.values())
    logs = result["logs"]
    grown = [r["process"] for r in result["memory"] if growing(r, minimum_life=min(240.0, 0.5 * args.minutes * 60))]
    spurious = endpoints["step"]["conflicts_owned"]
    unexpected = sum(e["other_4xx"] for e in endpoints.values())
    return [
        ("0 server errors (5xx), warm-up included", server_errors == 0, f"{server_errors}"),
        ("0 connection failures or timeouts", failures == 0, f"{failures}"),
        ("gunicorn's log shows no failure (Traceback, WORKER TIMEOUT, PoolTimeout, ...)",
         not logs["gunicorn_signs"], json.dumps(logs["gunicorn_signs"]) if logs["gunicorn_signs"] else "none"),
        ("the access log agrees: 0 5xx", not logs["access_log_5xx"], json.dumps(logs["access_log_5xx"]) or "none"),
        ("the projection runner ran throughout and stopped cleanly",
         result["runner_alive"] and not {k for k in logs["runner_signs"] if k != "retrying"}
         and logs["exit"]["runner"] in (None, 0),
         "in-process (embedded)" if args.shape == "embedded" else
         f"exit {logs['exit']['runner']}, {json.dumps(logs['runner_signs']) or 'no errors'}"),
        ("the views caught up after the load", result["drained"], f"{result['drain_seconds']:.1f} s"),
        ("0 spurious conflicts (409 on an agreement only its client writes)", spurious == 0, f"{spurious}"),
        ("0 unexpected 4xx", unexpected == 0, f"{unexpected}"),
        ("no client crashed", not result["client_crashes"], f"{len(result['client_crashes'])}"),
        ("memory: no process still growing in the second half of its life (> 16 MiB and 10 %)", not grown,
         ", ".join(grown) or "none"),
    ]


def report(result: dict[str, Any], args: argparse.Namespace) -> list[tuple[str, bool, str]]:
    shape = result["shape"]
    print(f"\n== soak: {shape['backend']}, {shape['shape']} shape ({shape['workers_at_start']} worker(s)"
          f"{', projections runner process' if shape['shape'] == 'production' else ', views in-process'}), "
          f"{shape['clients']} clients, mix read/history/step/list = {'/'.join(f'{m:g}' for m in shape['mix'])}, "
          f"{result['measured_seconds'] / 60:.1f} min measured after {result['warmup_seconds']:g} s warm-up ==")
    population = result["population"]
    print(f"store: {population['agreements']:,} agreements ({population['steppable']:,} open to steps, "
          f"{population['shared']} shared by all clients), head position {population['head_before']:,} at the start")
    rows = []
    for name, e in result["endpoints"].items():
        if not e["requests"]:
            continue  # not in the mix
        lat = e["latency_ms"]
        rows.append([name, f"{e['requests']:,}", f"{e['rate']:,.1f}", f"{e['errors']:,}",
                     f"{e['conflicts']:,}", f"{e['other_4xx']:,}", ms(lat["p50"]), ms(lat["p95"]), ms(lat["p99"]),
                     ms(lat["max"])])
    total = result["requests"]
    all_errors = sum(e["errors"] for e in result["endpoints"].values())
    lat = result["latency_ms"]
    rows.append(["all", f"{total:,}", f"{result['throughput']:,.1f}", f"{all_errors:,}",
                 f"{sum(e['conflicts'] for e in result['endpoints'].values()):,}",
                 f"{sum(e['other_4xx'] for e in result['endpoints'].values()):,}", ms(lat["p50"]), ms(lat["p95"]),
                 ms(lat["p99"]), ms(lat["max"])])
    print(table(["endpoint", "requests", "req/s", "errors", "409", "other 4xx", "p50 ms", "p95 ms", "p99 ms",
                 "max ms"], rows))
    step = result["endpoints"]["step"]
    print(f"throughput {result['throughput']:,.1f} req/s; steps acknowledged {result['writes_acknowledged']:,} "
          f"(409: {step['conflicts_shared']} races on shared agreements, {step['conflicts_owned']} on owned); "
          f"stale keep-alive reconnects {result['reconnects']:,}; warm-up: "
          f"{sum(e['warmup_requests'] for e in result['endpoints'].values()):,} requests, "
          f"{sum(e['warmup_errors'] for e in result['endpoints'].values())} errors")
    slow = result["slow"]
    if slow["count"]:
        print(f"requests over {slow['threshold_seconds']:g} s: {slow['count']:,}, of which "
              f"{slow['near_worker_start']:,} began within 10 s after a gunicorn worker was started "
              f"({len(slow['worker_starts'])} started during the run)")
    lag = result["lag"]
    rate = lag["events_per_second"] or 0
    seconds_behind = f"{lag['p99'] / rate:.2f}" if rate and lag["p99"] is not None else "?"
    print(f"\nprojection lag (events, head - tracked position, worst view, {lag['samples']} samples at 1 s): "
          f"p50 {lag['p50']}  p95 {lag['p95']}  p99 {lag['p99']}  max {lag['max']}  (mean {lag['mean'] or 0:.2f}); "
          f"the log grew {lag['events_per_second'] or 0:,.1f} events/s (so p99 is about {seconds_behind} s behind); "
          f"caught up {result['drain_seconds']:.1f} s after the load")
    print("  per view: " + ", ".join(f"{v} p99 {f['p99']} max {f['max']}" for v, f in lag["views"].items()))
    print("\nmemory (RSS, MiB; 'after warm-up' is the first sample of the measured window or of the process's life)")
    rows = []
    for r in result["memory"]:
        rows.append([r["process"], f"{r['first_seen']:.0f}-{r['last_seen']:.0f}", mib(r["rss_first"]),
                     mib(r["rss_after_warmup"]), mib(r["rss_end"]), mib(r["rss_max"]),
                     f"{r['growth'] / 2**20:+,.1f}", f"{r['second_half_growth'] / 2**20:+,.1f}",
                     f"{100 * (r['cpu_share'] or 0):,.0f}%"])
    print(table(["process", "alive (s)", "start", "after warm-up", "end", "max", "growth", "2nd half",
                 "CPU"], rows))
    logs = result["logs"]
    balance = result["balance"]
    if balance["seconds"]:
        print(f"worker balance: the busiest worker used {100 * balance['busiest_share_p50']:.0f}% of the workers' CPU "
              f"(median second; {100 / max(2, shape['workers_at_start']):.0f}% is even); one worker did >= 80% of "
              f"the work in {balance['one_worker_seconds']} of {balance['seconds']} s")
    print(f"gunicorn booted {logs['worker_boots']} worker(s) in all ({logs['worker_boots'] - shape['workers_at_start']}"
          f" recycled or replaced); machine CPU busy {100 * result['machine_cpu_busy']:.0f}% of {result['cpus']} "
          f"CPUs; the load client used {100 * result['client_cpu_share']:.0f}% of one CPU")
    if result["error_samples"]:
        print("\nfirst error samples:")
        for sample in result["error_samples"][:10]:
            print(f"  {sample}")
    found = checks(result, args)
    print("\nchecks:")
    for what, passed, detail in found:
        print(f"  {'PASS' if passed else 'FAIL'}  {what}: {detail}")
    sys.stdout.flush()
    return found


# ---- the command line -------------------------------------------------------------------------------------


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="measured duration (default 10)")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres",
                        help="the event store (default postgres, the production shape)")
    parser.add_argument("--clients", type=int, default=16, help="client threads, one connection each (default 16)")
    parser.add_argument("--json", metavar="FILE", help="write every figure (and the 1 s samples) to FILE")
    parser.add_argument("--shape", choices=("production", "embedded"),
                        help="production: gunicorn workers + `accord projections run` as its own process (default "
                             "on postgres); embedded: one worker, 8 threads, views in-process (default on sqlite)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's, 2; embedded 1)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py's, 4; embedded 8)")
    parser.add_argument("--max-requests", type=int,
                        help="override gunicorn's max_requests (default: gunicorn.conf.py's, with its jitter; "
                             "0 turns worker recycling off, to see memory growth over the whole run)")
    parser.add_argument("--gunicorn-arg", action="append", metavar="ARG",
                        help="one more argument for gunicorn, after --config (repeatable), e.g. "
                             "--gunicorn-arg=--preload or --gunicorn-arg=--keep-alive=0")
    parser.add_argument("--poll", type=float, help="the runner's --poll (default: the runner's own, 0.2 s)")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of load before measuring (default 15)")
    parser.add_argument("--mix", default=",".join(map(str, MIX)),
                        help="weights of read,history,step,list (default 70,15,10,5)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each client pauses between requests (default 0: closed loop, flat out)")
    parser.add_argument("--agreements", type=int, default=300,
                        help="agreements created and taken through the command service (default 300)")
    parser.add_argument("--bulk-events", type=int, default=20000,
                        help="events of interleaved realistic stories added to the log (default 20000; 0: none)")
    parser.add_argument("--shared", type=int, default=4,
                        help="agreements every client may step on, where races happen (default 4)")
    parser.add_argument("--contention", type=float, default=0.05,
                        help="share of a client's steps on the shared agreements (default 0.05)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--report-every", type=float, default=30.0, help="seconds between progress lines (stderr)")
    parser.add_argument("--keep", action="store_true", help="keep the store (file or schema) and the server logs")
    args = parser.parse_args(argv)
    if args.shape is None:
        args.shape = "production" if args.backend == "postgres" else "embedded"
    if args.shape == "embedded":
        args.workers = args.workers or 1
        args.threads = args.threads or 8
    mix = args.mix.split(",")
    if len(mix) != 4 or not all(m.replace(".", "", 1).isdigit() for m in mix) or sum(map(float, mix)) <= 0:
        parser.error("--mix takes four non-negative weights: read,history,step,list")
    if args.clients < 1 or args.minutes <= 0 or args.warmup < 0:
        parser.error("--clients must be at least 1, --minutes positive and --warmup not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds: processes stopped, store dropped

    signal.signal(signal.SIGTERM, terminated)
    started = time.perf_counter()
    result = run(args)
    result["seconds"] = time.perf_counter() - started
    found = report(result, args)
    result["checks"] = [{"check": what, "pass": passed, "detail": detail} for what, passed, detail in found]
    print(f"\n(soak: {result['seconds']:.0f} s in all; load average before {result['machine']['load_before'][0]:.2f}, "
          f"after {result['machine']['load_after'][0]:.2f}, on {os.cpu_count()} CPUs)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2, default=str)
            out.write("\n")
        say(f"figures written to {args.json}")
    return 0 if all(passed for _, passed, _ in found) else 1


if __name__ == "__main__":
    sys.exit(main())
