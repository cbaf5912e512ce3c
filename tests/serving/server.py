"""Shared helpers for the serving tests: a real gunicorn started on storage prepared with the real CLI (the
processes themselves are started by ``bench.harness``, which the benchmarks share), HTTP requests on
connections of their own, keyed writers that retry indeterminate requests, and a throwaway PostgreSQL
cluster for the tests that stop or kill the database.

Nothing here starts anything at import time; every process is stopped by the context manager or fixture
that started it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench import harness
from bench.harness import LOG_SIGNS, children_of, clean_env, free_port  # noqa: F401 - LOG_SIGNS for the tests

STARTUP_TIMEOUT = 20.0
REQUEST_TIMEOUT = 30.0
PROBLEM = "application/problem+json"
USER_ROLES = {"alice": "ir_officer", "bruno": "legal_officer", "eva": "auditor"}


# ---- the CLI ---------------------------------------------------------------------------------------

def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = harness.cli(env, *args, timeout=timeout)
    assert result.returncode == 0, f"accord {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def add_user(env: dict[str, str], name: str, role: str) -> str:
    """Create a user with the real CLI and return its token (the last line of the output)."""
    token = run_cli(env, "users", "add", name, "--role", role).strip().splitlines()[-1].strip()
    assert token.startswith("acc_"), f"no token in the output of accord users add {name}: {token!r}"
    return token


def backend_of(storage: dict[str, str]) -> str:
    return storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]


# ---- gunicorn --------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    seconds: float = 0.0

    @property
    def version(self) -> int:
        return int(self.headers["etag"].strip('"'))

    @property
    def is_problem(self) -> bool:
        return self.headers.get("content-type", "").startswith(PROBLEM)


@dataclass
class Server:
    backend: str
    port: int
    tokens: dict[str, str]
    process: subprocess.Popen
    stderr_path: Path
    workers: int = 2
    threads: int = 4

    def request(self, method: str, path: str, user: str | None = None, body: Any = None,
                headers: dict[str, str] | None = None, timeout: float = REQUEST_TIMEOUT) -> Reply:
        """One request on a connection of its own (so concurrent callers never share one). Connection
        errors and timeouts are raised (OSError, http.client.HTTPException)."""
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
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
            return Reply(response.status, reply_headers, parsed, time.monotonic() - started)
        finally:
            conn.close()

    def upload(self, user: str, data: bytes, filename: str, timeout: float = REQUEST_TIMEOUT) -> Reply:
        """POST /api/v1/documents with ``data`` as its one file part (multipart/form-data)."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", "/api/v1/documents", body=body, headers={
                "Authorization": f"Bearer {self.tokens[user]}",
                "Content-Type": f"multipart/form-data; boundary={boundary}"})
            response = conn.getresponse()
            raw = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, headers, json.loads(raw) if raw else raw, time.monotonic() - started)
        finally:
            conn.close()

    def draft(self, title: str, user: str = "alice") -> dict[str, str]:
        """Upload the draft whose text is ``title`` (tests/drafts.py); its {title, sha256} to attach."""
        reply = self.upload(user, title.encode(), f"{title}.txt")
        assert reply.status in (200, 201), f"upload: {reply.status} {reply.body}"
        return {"title": title, "sha256": reply.body["sha256"]}

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The gunicorn master's children (its workers), read from /proc."""
        return children_of(self.process.pid)

    def boots(self) -> int:
        return self.log().count("Booting worker with pid")


def prepare_storage(storage: dict[str, str], users: dict[str, str] | None = None) -> dict[str, str]:
    """``accord init-db`` and ``accord users add`` for each user; return the tokens."""
    env = clean_env(storage)
    run_cli(env, "init-db")
    return {name: add_user(env, name, role) for name, role in (users or USER_ROLES).items()}


@contextlib.contextmanager
def gunicorn(storage: dict[str, str], folder: Path, tokens: dict[str, str], workers: int = 2, threads: int = 4,
             **extra_env: str) -> Iterator[Server]:
    """A real gunicorn with the project's gunicorn.conf.py on prepared storage, stopped on exit."""
    env = clean_env(storage, WEB_CONCURRENCY=str(workers), ACCORD_THREADS=str(threads), **extra_env)
    with harness.gunicorn("wsgi:app", env, folder, startup=STARTUP_TIMEOUT) as running:
        yield Server(backend_of(storage), running.port, tokens, running.process, running.stderr_path, workers,
                     threads)


@contextlib.contextmanager
def projection_runner(storage: dict[str, str], folder: Path, poll: float = 0.1) -> Iterator[subprocess.Popen]:
    """``accord projections run`` as a subprocess, stopped with SIGTERM on exit."""
    with harness.projection_runner(clean_env(storage), folder, poll) as process:
        yield process


# ---- agreements through the API --------------------------------------------------------------------

AGREEMENT = {"title": "Serving test agreement", "kind": "protocol",
             "counterparties": [{"name": "Chile", "kind": "state", "country": "CL"}]}


def create_agreement(server: Server, user: str = "alice", title: str = "Serving test agreement") -> Reply:
    reply = server.request("POST", "/api/v1/agreements", user, {**AGREEMENT, "title": title})
    assert reply.status == 201, reply.body
    return reply


def step(server: Server, agreement_id: str, name: str, user: str, version: int, body: Any = None,
         headers: dict[str, str] | None = None, timeout: float = REQUEST_TIMEOUT) -> Reply:
    return server.request("POST", f"/api/v1/agreements/{agreement_id}/steps/{name}", user, body,
                          headers={"If-Match": f'"{version}"', **(headers or {})}, timeout=timeout)


def take(server: Server, agreement_id: str, name: str, user: str, version: int, body: Any = None) -> int:
    """Take a step that must succeed; return the new version (the ETag)."""
    reply = step(server, agreement_id, name, user, version, body)
    assert reply.status == 200, f"{name}: {reply.status} {reply.body}"
    assert reply.version == version + 1
    return reply.version


def into_negotiation(server: Server, agreement_id: str, version: int) -> int:
    """Drafting -> negotiation (text, legal review cleared, negotiation opened); return the version."""
    version = take(server, agreement_id, "attach_text", "alice", version, {"document": server.draft("Draft 1")})
    version = take(server, agreement_id, "request_legal_review", "alice", version)
    version = take(server, agreement_id, "complete_legal_review", "bruno", version, {"outcome": "cleared"})
    return take(server, agreement_id, "open_negotiation", "alice", version)


def history(server: Server, agreement_id: str, user: str = "alice") -> list[dict[str, Any]]:
    """Every history entry of an agreement (all pages)."""
    entries: list[dict[str, Any]] = []
    for page in range(1, 1000):
        reply = server.request("GET", f"/api/v1/agreements/{agreement_id}/history?page={page}&per_page=500", user)
        assert reply.status == 200, reply.body
        entries.extend(reply.body)
        if len(entries) >= int(reply.headers["x-total-count"]):
            return entries
    raise AssertionError("history has more than 1000 pages")


# ---- keyed writes that survive crashes --------------------------------------------------------------

INDETERMINATE = (OSError, http.client.HTTPException)
"""A request that ended without a response (connection reset or refused, timeout, truncated reply): it may or
may not have been recorded."""


@dataclass
class Attempt:
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: no response (see error)
    error: str | None = None
    problem: bool = False
    retry_after: str | None = None


@dataclass
class Logical:
    """One logical write request (one Idempotency-Key), with every attempt made to get a definite answer."""

    key: str
    kind: str  # "create" or a step name
    aggregate_id: str | None
    expected_version: int | None
    attempts: list[Attempt] = field(default_factory=list)
    status: int | None = None  # the definite answer, None while unresolved
    version: int | None = None
    position: int | None = None
    replayed: bool = False
    body: Any = None

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)

    @property
    def retried(self) -> bool:
        return len(self.attempts) > 1


def send_keyed(server: Server, method: str, path: str, user: str, body: Any, logical: Logical,
               timeout: float = 10.0, give_up_after: float = 90.0, pause: float = 0.2) -> Logical:
    """Send one logical request until a definite answer (anything but a 5xx or no answer at all) or until
    ``give_up_after`` seconds have passed; every retry carries the same key, If-Match and body."""
    headers = {"Idempotency-Key": logical.key}
    if logical.expected_version is not None:
        headers["If-Match"] = f'"{logical.expected_version}"'
    deadline = time.monotonic() + give_up_after
    while True:
        started = time.monotonic()
        try:
            reply = server.request(method, path, user, body, headers=headers, timeout=timeout)
        except INDETERMINATE as error:
            logical.attempts.append(Attempt(started, time.monotonic() - started, None, f"{type(error).__name__}"))
        else:
            logical.attempts.append(Attempt(started, reply.seconds, reply.status, None, reply.is_problem,
                                            reply.headers.get("retry-after")))
            if reply.status < 500:
                logical.status, logical.body = reply.status, reply.body
                if reply.status in (200, 201):
                    logical.version = reply.version
                    logical.position = int(reply.headers["x-position"])
                    logical.replayed = reply.headers.get("idempotent-replayed") == "true"
                    if logical.aggregate_id is None:
                        logical.aggregate_id = reply.body["id"]
                return logical
        if time.monotonic() + pause >= deadline:
            return logical
        time.sleep(pause * random.uniform(0.5, 1.5))


class KeyedWriter(threading.Thread):
    """A client with an agreement of its own: creates it, then attaches texts one after another, each a
    logical request with a unique Idempotency-Key, retried until it gets a definite answer."""

    def __init__(self, server: Server, run: str, number: int, stop: threading.Event, max_requests: int = 400,
                 timeout: float = 10.0, give_up_after: float = 90.0, pause: float = 0.2, think: float = 0.0):
        super().__init__(name=f"writer-{number}", daemon=True)
        self.server, self.run_id, self.number, self.stop_event = server, run, number, stop
        self.max_requests, self.timeout, self.give_up_after, self.pause = max_requests, timeout, give_up_after, pause
        self.think = think  # seconds between logical requests
        self.requests: list[Logical] = []
        self.failure: str | None = None

    def _draft(self, title: str) -> dict[str, str]:
        """Upload a draft, retried like a keyed request (a worker may be killed under it)."""
        for _ in range(20):
            try:
                return self.server.draft(title)
            except (OSError, http.client.HTTPException, AssertionError):
                time.sleep(0.2)
        return self.server.draft(title)

    def _send(self, method: str, path: str, body: Any, logical: Logical) -> Logical:
        self.requests.append(logical)
        return send_keyed(self.server, method, path, "alice", body, logical, self.timeout, self.give_up_after,
                          self.pause)

    def run(self) -> None:
        try:
            created = self._send("POST", "/api/v1/agreements",
                                 {**AGREEMENT, "title": f"Writer {self.number} of {self.run_id}"},
                                 Logical(f"{self.run_id}-{self.number}-create", "create", None, None))
            if created.status != 201:
                self.failure = f"create: {created.status} {created.body!r}"
                return
            agreement_id, version = created.aggregate_id, created.version
            texts = [self._draft(f"Text {n} of writer {self.number}") for n in (1, 2)]
            for n in range(1, self.max_requests):
                if self.stop_event.is_set():
                    return
                body = {"document": texts[n % 2]}
                done = self._send("POST", f"/api/v1/agreements/{agreement_id}/steps/attach_text", body,
                                  Logical(f"{self.run_id}-{self.number}-{n}", "attach_text", agreement_id, version))
                if done.status != 200:
                    self.failure = f"attach_text {n} at version {version}: {done.status} {done.body!r}"
                    return
                version = done.version
                if self.think:
                    self.stop_event.wait(self.think)
        except Exception as error:  # noqa: BLE001 - reported by the test, never swallowed
            self.failure = f"{type(error).__name__}: {error}"


# ---- what is stored --------------------------------------------------------------------------------

def stored_keys(storage: dict[str, str]) -> tuple[dict[str, list[tuple[str, int]]], int]:
    """Every stored event's idempotency key -> [(aggregate id, version)], read from the store itself (not
    through the API), and the number of stored events."""
    from bootstrap.services import Services
    from storage.settings import storage_env

    services = Services(storage_env({}, {**storage, "CREATE_TABLE": "n"}))
    try:
        keys: dict[str, list[tuple[str, int]]] = {}
        count, position = 0, 0
        while page := services.app.recorder.select_notifications(start=position, limit=1000,
                                                                 inclusive_of_start=False):
            for notification in page:
                event = services.app.mapper.to_domain_event(notification)
                count += 1
                context = getattr(event, "context", None)
                key = getattr(context, "idempotency_key", None)
                if key is not None:
                    keys.setdefault(key, []).append((str(event.originator_id), event.originator_version))
            position = page[-1].id
        return keys, count
    finally:
        services.close()


@dataclass
class Ledger:
    """What the clients were told against what the store holds."""

    requests: int
    attempts: int
    retried: int
    acknowledged: int
    lost: list[str]
    duplicated: list[str]
    unresolved: list[str]
    refused: list[str]  # definite answers other than success (4xx)
    replayed: int


def reconcile(requests: list[Logical], keys: dict[str, list[tuple[str, int]]]) -> Ledger:
    lost, duplicated, unresolved, refused = [], [], [], []
    for r in requests:
        found = keys.get(r.key, [])
        if len(found) > 1:
            duplicated.append(f"{r.key}: {found}")
        if r.status is None:
            unresolved.append(f"{r.key}: {[(a.status, a.error) for a in r.attempts][-5:]}")
        elif r.acknowledged:
            if found != [(r.aggregate_id, r.version)]:
                lost.append(f"{r.key}: acknowledged as {r.aggregate_id} v{r.version}, stored {found}")
        else:
            refused.append(f"{r.key}: {r.status} {r.body!r}")
    return Ledger(
        requests=len(requests), attempts=sum(len(r.attempts) for r in requests),
        retried=sum(r.retried for r in requests), acknowledged=sum(r.acknowledged for r in requests),
        lost=lost, duplicated=duplicated, unresolved=unresolved, refused=refused,
        replayed=sum(r.replayed for r in requests),
    )


# ---- a throwaway PostgreSQL cluster ------------------------------------------------------------------

def pg_bin(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"no PostgreSQL {name} binary (looked under /usr/lib/postgresql/*/bin and on PATH)")
    return found


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder, on its own port, initialised with data
    checksums. The machine's shared server is never touched. Run as the ``postgres`` OS user when this
    process is root (initdb refuses root)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="accord-pg-"))
        self.data = self.folder / "data"
        self.logfile = self.folder / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self.started = False

    def _run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        result = subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=timeout,
                                cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                               f"{self.log()[-3000:]}")
        return result

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""

    def init(self) -> None:
        self._run(pg_bin("initdb"), "-D", str(self.data), "--data-checksums", "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-instructions")

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c max_connections=100 "
                   "-c fsync=on")
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w",
                  "-t", "60", "start")
        self.started = True

    def stop(self, mode: str = "immediate") -> None:
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.started = False

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(dbname=dbname, host="127.0.0.1", port=self.port, user="postgres", autocommit=True,
                               connect_timeout=5)

    def create_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def storage(self, dbname: str) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname,
                "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(self.port), "POSTGRES_USER": "postgres",
                "POSTGRES_PASSWORD": "", "POSTGRES_SCHEMA": "public"}

    def destroy(self) -> None:
        """Stop (immediately) if running and remove the folder."""
        try:
            if self.started or (self.data / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster(dbname: str = "accord") -> Iterator[Cluster]:
    cluster = Cluster()
    try:
        cluster.init()
        cluster.start()
        cluster.create_database(dbname)
        yield cluster
    finally:
        cluster.destroy()


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
