"""HTTP write path: Accord under gunicorn against a bare Flask app under the same gunicorn, with a load client.

Servers, each on a fresh store, all started by `python -m gunicorn --config gunicorn.conf.py APP` (the
production settings: 2 gthread workers x 4 threads unless --workers/--threads, access log on):
  Accord            wsgi:app, storage made with the real CLI (init-db, users add); on SQLite its views run
                    in-process (embedded), on PostgreSQL in `accord projections run` if --with-runner
  bare (recorder)   bench.bare:app: parses the JSON body and stores one event made from it with the
                    eventsourcing recorder's insert_events
  bare (driver)     the same, storing a comparable row with the plain driver (sqlite3 / psycopg)
  client ceiling    GET /ping on the bare app: no body, no storage (what the load client can drive at most)

Load: 8 keep-alive connections, each owning one agreement at a time; one request in 10 creates an agreement,
the others take its next step with If-Match and an Idempotency-Key (attach_text -> request_legal_review ->
complete_legal_review, changes requested). The client is wrk with bench/mix.lua when installed (apt-get
install -y wrk), else an asyncio client in this process (--client).

Each server is warmed up, then measured in timed runs, interleaved: requests per second (median, min, max)
and latency percentiles. Targets: Accord >= 0.70 of bare (recorder) with 0 errors (non-2xx answers, socket
errors, timeouts); stretch: >= 0.50 of bare (driver) on PostgreSQL. The client's CPU use and ceiling show
that the client is not the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import suite
from bench.harness import ROOT, Gunicorn, clean_env, get, gunicorn, projection_runner, run_cli
from bench.stores import DriverStore, fresh_store, library_application
from bench.suite import at_least, figure, median, paired_ratio, pick, say

GOAL, STRETCH = 0.70, 0.50
CONNECTIONS = 8
CREATES_EVERY = 10
DURATION = {"smoke": 1.0, "quick": 3.0, "full": 8.0}
WARMUP = {"smoke": 0.5, "quick": 2.0, "full": 3.0}
RUNS = {"smoke": 1, "quick": 3, "full": 3}
LUA = Path(__file__).with_name("mix.lua")
EPILOG = """\
examples:
  .venv/bin/python -m bench.http --quick
  .venv/bin/python -m bench.http --backend postgres --duration 15 --runs 5 --json var/http.json
  .venv/bin/python -m bench.http --backend sqlite --client python
"""


def gunicorn_settings(env: dict[str, str]) -> dict[str, Any]:
    """What gunicorn.conf.py gives under an environment (workers, threads, ...), read in a child process."""
    code = ("import json, runpy; c = runpy.run_path('gunicorn.conf.py'); "
            "print(json.dumps({k: c[k] for k in ('workers', 'threads', 'worker_class', 'keepalive')}))")
    return json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                     text=True, check=True).stdout)


def upload_drafts(port: int, token: str) -> tuple[str, str]:
    """Upload the two texts the mix attaches in turn (POST /api/v1/documents); their sha256s."""
    hashes = []
    for n in (1, 2):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"draft-{n}.txt\"\r\n"
                f"\r\nDraft {n} of the benchmark's agreements.\n\r\n--{boundary}--\r\n").encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("POST", "/api/v1/documents", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
            response = conn.getresponse()
            answer = response.read()
            if response.status not in (200, 201):
                raise RuntimeError(f"uploading the drafts: {response.status} {answer!r}")
            hashes.append(json.loads(answer)["sha256"])
        finally:
            conn.close()
    return hashes[0], hashes[1]


NO_TEXTS = ("0" * 64, "1" * 64)
"""The texts sent to the bare endpoints, which keep no documents."""


def wrk_run(port: int, seconds: float, tokens: dict[str, str], run_id: str, ping: bool = False,
            texts: tuple[str, str] = NO_TEXTS) -> dict[str, Any]:
    """One timed run of wrk with bench/mix.lua; its figures, with the CPU time wrk used."""
    command = ["wrk", "-t", str(CONNECTIONS), "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}", "--", run_id, tokens["alice"],
               tokens["bruno"], str(CREATES_EVERY), "ping" if ping else "mix", *texts]
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        printed = out.read().decode(errors="replace")
    lines = [line for line in printed.splitlines() if line.startswith("BENCH_JSON ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{printed}")
    result = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    elapsed, errors = result["duration_us"] / 1e6, result["errors"]
    return {"requests": result["requests"], "rate": result["requests"] / elapsed, "creates": result["creates"],
            "steps": result["steps"], "errors": errors["connect"] + errors["read"] + errors["write"]
            + errors["timeout"] + max(errors["status"], result["failures"]),
            "latency_ms": {k: v / 1000 for k, v in result["latency_us"].items()},
            "client_cpu": (usage.ru_utime + usage.ru_stime) / elapsed}


class Mix:
    """The request mix of bench/mix.lua, for the asyncio client: one per connection."""

    CYCLE = (("attach_text", "alice"), ("request_legal_review", "alice"), ("complete_legal_review", "bruno"))

    def __init__(self, prefix: str, tokens: dict[str, str], ping: bool, texts: tuple[str, str] = NO_TEXTS):
        self.prefix, self.tokens, self.ping, self.texts = prefix, tokens, ping, texts
        self.path: str | None = None
        self.version = self.stepno = self.taken = self.sent = self.creates = self.steps = self.failures = 0
        self.inflight = ""

    def request(self) -> bytes:
        self.sent += 1
        if self.ping:
            self.inflight = "ping"
            return b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        key = f"{self.prefix}-{self.sent}"
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if self.path is None or self.taken >= CREATES_EVERY - 1:
            self.inflight, user, target = "create", "alice", "/api/v1/agreements"
            body: dict[str, Any] = {
                "title": f"Memorandum of Understanding between CERN and the University of Benchmarks {key} on "
                         "detector development", "kind": "memorandum_of_understanding",
                "counterparties": [{"name": f"University of Benchmarks {key}", "kind": "institute",
                                    "country": "CL"}], "reason": "Benchmark create."}
        else:
            step, user = self.CYCLE[self.stepno % 3]
            self.inflight, target = step, f"{self.path}/steps/{step}"
            headers["If-Match"] = f'"{self.version}"'
            body = {"reason": "Benchmark step."}
            if step == "attach_text":
                body["document"] = {"title": f"Draft {key}", "sha256": self.texts[self.sent % 2]}
            elif step == "complete_legal_review":
                body.update(outcome="changes_requested", comments="See the marked-up text.")
        headers["Authorization"] = f"Bearer {self.tokens[user]}"
        data = json.dumps(body).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {len(data)}\r\n\r\n".encode() + data

    def response(self, status: int, headers: dict[str, str]) -> None:
        etag = headers.get("etag")
        if self.inflight == "ping":
            self.failures += status != 200
        elif self.inflight == "create" and status == 201 and etag:
            location = headers["location"]
            self.path = "/" + location.split("://", 1)[1].split("/", 1)[1] if "://" in location else location
            self.version, self.stepno, self.taken = int(etag.strip('W/"')), 0, 0
            self.creates += 1
        elif self.inflight != "create" and status == 200 and etag:
            self.version = int(etag.strip('W/"'))
            self.stepno, self.taken, self.steps = self.stepno + 1, self.taken + 1, self.steps + 1
        else:
            self.failures += 1
            self.path = None


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
                   ) -> tuple[int, dict[str, str]]:
    """Send one request and read its response (status and headers; the body is read and dropped)."""
    writer.write(data)
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:])
               if name}
    if "chunked" in headers.get("transfer-encoding", ""):
        raise RuntimeError("chunked responses are not supported by the asyncio client")
    await reader.readexactly(int(headers.get("content-length", "0")))
    return int(head[0].split(" ", 2)[1]), headers


async def connection(port: int, mix: Mix, deadline: float, latencies: list[float], errors: list[int]) -> None:
    """One keep-alive connection sending the mix until ``deadline``; ``errors``: [status >= 400, no answer]."""
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.perf_counter()
            status, headers = await asyncio.wait_for(exchange(reader, writer, mix.request()), timeout=10)
            latencies.append(time.perf_counter() - started)
            errors[0] += status >= 400
            mix.response(status, headers)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors[1] += 1
            mix.response(0, {})
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def python_run(port: int, seconds: float, tokens: dict[str, str], run_id: str, ping: bool = False,
               texts: tuple[str, str] = NO_TEXTS) -> dict[str, Any]:
    """One timed run of the asyncio client, in this process; the same figures as wrk_run."""
    mixes = [Mix(f"{run_id}-{n}", tokens, ping, texts) for n in range(CONNECTIONS)]
    latencies: list[float] = []
    errors = [0, 0]

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(connection(port, m, deadline, latencies, errors) for m in mixes))

    cpu, started = time.process_time(), time.perf_counter()
    asyncio.run(run())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0

    return {"requests": len(latencies), "rate": len(latencies) / elapsed, "creates": sum(m.creates for m in mixes),
            "steps": sum(m.steps for m in mixes), "errors": max(sum(m.failures for m in mixes), errors[0]) + errors[1],
            "latency_ms": {p: pct(float(p[1:])) for p in ("p50", "p90", "p95", "p99")}, "client_cpu": cpu / elapsed}


def wait_for_views(server: Gunicorn, timeout: float = 30) -> None:
    """On the embedded deployment, let the in-process views catch up before the next measure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            status, body = get(server.port, "/ready")
            if status == 200 and all(v["lag"] <= 0 for v in json.loads(body)["projections"].values()):
                return
        time.sleep(0.2)
    say(f"  (the views did not catch up within {timeout:.0f} s)")


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    seconds, warmup, runs = args.duration or pick(args, DURATION), pick(args, WARMUP), args.runs or pick(args, RUNS)
    client = args.client if args.client != "auto" else "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --client python")
    run_client = wrk_run if client == "wrk" else python_run
    extra = {"WEB_CONCURRENCY": str(args.workers)} if args.workers else {}
    extra |= {"ACCORD_THREADS": str(args.threads)} if args.threads else {}
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="accord-bench-http-") as folder, \
            fresh_store(backend, "http", keep=args.keep) as storage, \
            fresh_store(backend, "bare", keep=args.keep) as bare_storage, \
            fresh_store(backend, "bdriver", keep=args.keep) as driver_storage, contextlib.ExitStack() as stack:
        say(f"{backend}: preparing Accord's storage with the CLI (init-db, users add alice, bruno)")
        env = clean_env(storage, **extra)
        run_cli(env, "init-db")
        tokens = {user: run_cli(env, "users", "add", user, "--role", role).strip().splitlines()[-1].strip()
                  for user, role in (("alice", "ir_officer"), ("bruno", "legal_officer"))}
        library_application(bare_storage).close()
        driver = DriverStore(driver_storage)
        driver.create_table()
        driver.close()
        servers = {name: stack.enter_context(gunicorn(app, clean_env(store, **extra, **more), Path(folder) / name))
                   for name, app, store, more in (
                       ("Accord", "wsgi:app", storage, {}),
                       ("bare (recorder)", "bench.bare:app", bare_storage, {"BENCH_BARE_STORE": "recorder"}),
                       ("bare (driver)", "bench.bare:app", driver_storage, {"BENCH_BARE_STORE": "driver"}))}
        if args.with_runner and backend == "postgres":
            stack.enter_context(projection_runner(env, Path(folder) / "runner"))
        measures = [(name, server, False) for name, server in servers.items()]
        measures.append(("client ceiling", servers["bare (recorder)"], True))
        texts = {"Accord": upload_drafts(servers["Accord"].port, tokens["alice"])}  # version 2 attaches stored texts
        for name, server, ping in measures:
            say(f"{backend}: warming up {name} ({warmup:g} s, {client})")
            run_client(server.port, warmup, tokens, f"warm-{uuid.uuid4().hex[:6]}", ping, texts.get(name, NO_TEXTS))
            results[name] = []
        for run in range(runs):
            for name, server, ping in measures:
                if name == "Accord" and backend == "sqlite":
                    wait_for_views(server)
                say(f"{backend}: run {run + 1}/{runs}: {name}, {seconds:.0f} s")
                results[name].append(run_client(server.port, seconds, tokens, uuid.uuid4().hex[:8], ping,
                                                texts.get(name, NO_TEXTS)))
        problems = [f"{name}: {problem}" for name, server in servers.items() for problem in server.problems()]
        if args.keep:
            shutil.copytree(folder, kept := tempfile.mkdtemp(prefix="accord-bench-http-logs-"), dirs_exist_ok=True)
            say(f"  kept the server logs in {kept}")
    return summarise(backend, results, gunicorn_settings(env), client, seconds, problems)


def summarise(backend: str, results: dict[str, list[dict[str, Any]]], settings: dict[str, Any], client: str,
              seconds: float, problems: list[str]) -> dict[str, Any]:
    def rates(name: str) -> list[float]:
        return [r["rate"] for r in results[name]]

    errors = {name: sum(r["errors"] for r in runs) for name, runs in results.items()}
    bare, driver, accord = rates("bare (recorder)"), rates("bare (driver)"), rates("Accord")
    goal, passed = at_least(paired_ratio(accord, bare), GOAL)
    stretch = at_least(paired_ratio(accord, driver), STRETCH) if backend == "postgres" else (None, None)
    rows = [figure("bare (recorder) endpoint", "req/s", bare, n=CONNECTIONS),
            figure("bare (driver) endpoint", "req/s", driver, n=CONNECTIONS, baseline="bare",
                   ratio=paired_ratio(driver, bare)),
            figure("client ceiling (GET /ping)", "req/s", rates("client ceiling"), n=CONNECTIONS, baseline="bare",
                   ratio=paired_ratio(rates("client ceiling"), bare)),
            figure("Accord write mix", "req/s", accord, n=CONNECTIONS, baseline="bare",
                   ratio=paired_ratio(accord, bare), goal=goal + ", 0 errors",
                   passed=passed and errors["Accord"] == 0 and not problems),
            figure("Accord write mix (vs driver)", "req/s", accord, n=CONNECTIONS, baseline="bare driver",
                   ratio=paired_ratio(accord, driver), goal=stretch[0] and stretch[0] + " (stretch)",
                   passed=stretch[1])]
    for name in ("Accord", "bare (recorder)", "bare (driver)"):
        for p in ("p50", "p95", "p99"):
            values = [r["latency_ms"][p] for r in results[name]]
            base = median([r["latency_ms"][p] for r in results["bare (recorder)"]])
            rows.append(figure(f"{name} latency {p}", "ms", values, n=CONNECTIONS,
                               baseline=None if name == "bare (recorder)" else "bare",
                               ratio=None if name == "bare (recorder)" else median(values) / base))
    cpu = {name: median([r["client_cpu"] for r in runs]) for name, runs in results.items()}
    notes = [f"client: {client}, {CONNECTIONS} connections, {seconds:.0f} s runs; gunicorn.conf.py: "
             f"{settings['workers']} {settings['worker_class']} workers x {settings['threads']} threads, keepalive "
             f"{settings['keepalive']} s",
             f"Accord answered {sum(r['creates'] for r in results['Accord']):,} creates and "
             f"{sum(r['steps'] for r in results['Accord']):,} steps in the timed runs; errors: "
             + ", ".join(f"{name} {count}" for name, count in errors.items()),
             "client CPU (share of one core): " + ", ".join(f"{name} {share:.0%}" for name, share in cpu.items()),
             "throughput ratio = req/s / baseline req/s, the median of the per-run ratios (runs interleaved); "
             "latency ratio = median / baseline median (lower is better)", *problems]
    if backend == "sqlite":
        notes.append("SQLite: Accord's views run in each web worker (embedded deployment), within the timed runs")
    return {"title": "HTTP write path vs bare Flask endpoints under the same gunicorn", "rows": rows,
            "version": f"{backend}, {client}", "servers": {name: {"runs": runs} for name, runs in results.items()},
            "errors": errors, "problems": problems, "notes": notes}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.http", __doc__, EPILOG)
    parser.add_argument("--duration", type=float, help="seconds per timed run (default 8; --quick 3; --smoke 1)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load client: wrk with bench/mix.lua, or the asyncio client (default: wrk if installed)")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY for every server (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="ACCORD_THREADS for every server (default: gunicorn.conf.py)")
    parser.add_argument("--with-runner", action="store_true",
                        help="PostgreSQL: also run `accord projections run` during the runs, as production would")
    args = parser.parse_args(argv)
    if (args.duration is not None and args.duration <= 0) or (args.runs is not None and args.runs < 1):
        parser.error("--duration and --runs must be positive")
    return args


if __name__ == "__main__":
    sys.exit(suite.main("http", parse, measure))
