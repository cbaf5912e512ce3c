"""HTTP write path: Accord under gunicorn against a bare Flask app under the same gunicorn, with a load client.

Run ``.venv/bin/python -m bench.http --help`` for what is measured and the goals (issue 5).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    DriverStore,
    add_suite_arguments,
    at_least,
    children_of,
    clean_env,
    figure,
    fresh_store,
    library_application,
    median,
    paired_ratio,
    pick,
    run_cli,
    run_suite_benchmark,
    say,
    show_rows,
)

GOAL = 0.70
STRETCH = 0.50  # against the bare plain-driver endpoint, on PostgreSQL
CONNECTIONS = 8
CREATES_EVERY = 10
DURATION = {"smoke": 1.0, "quick": 3.0, "full": 8.0}
WARMUP = {"smoke": 0.5, "quick": 2.0, "full": 3.0}
RUNS = {"smoke": 1, "quick": 3, "full": 3}
LUA = Path(__file__).with_name("mix.lua")
LOG_SIGNS = ("Traceback", "WORKER TIMEOUT", "database is locked", "PoolTimeout")

DESCRIPTION = f"""\
HTTP write path (issue 5, "HTTP write path"), on SQLite and/or PostgreSQL, each server on a fresh store.

Servers, all started by the same command, `python -m gunicorn --config gunicorn.conf.py APP` (the production
settings: gthread workers and threads from gunicorn.conf.py, 2 x 4 unless --workers/--threads, access log on):
  Accord            wsgi:app, storage made with the real CLI (accord init-db, accord users add alice/bruno);
                    on SQLite its views run in-process (the embedded deployment), on PostgreSQL they would run
                    in `accord projections run`, which is not started unless --with-runner
  bare (recorder)   bench.bare:app, a minimal Flask app answering the same requests: it parses the JSON body
                    and stores one event made from it with the eventsourcing recorder's insert_events
  bare (driver)     the same app storing a comparable row with the plain driver (sqlite3 / psycopg) + commit
  client ceiling    GET /ping on the bare app: no body, no storage (what the load client can drive at most)

Load: {CONNECTIONS} keep-alive connections on loopback, each owning one agreement at a time; one request in
{CREATES_EVERY} creates an agreement (POST /api/v1/agreements), the others take its next step with If-Match
(the ETag of the previous answer) and an Idempotency-Key: attach_text -> request_legal_review ->
complete_legal_review (changes requested) -> ... The client is wrk with bench/mix.lua (-t {CONNECTIONS}
-c {CONNECTIONS}) when installed (apt-get install -y wrk), else an asyncio client in this process (--client).

Each server is warmed up, then measured in timed runs, interleaved server by server; the table shows requests
per second (median, min, max of the runs) and latency percentiles (p50/p95/p99 of each run). Goals: Accord's
throughput >= {GOAL:.2f} of bare (recorder) with 0 errors; stretch: >= {STRETCH:.2f} of bare (driver) on
PostgreSQL. Errors are non-2xx answers, socket errors and timeouts; the client's CPU use is shown to prove it
is not the bottleneck (and the client ceiling must be far above the bare rates).
"""

EPILOG = """\
examples:
  .venv/bin/python -m bench.http --quick
  .venv/bin/python -m bench.http --backend postgres --duration 15 --runs 5 --json var/http.json
  .venv/bin/python -m bench.http --backend sqlite --client python
  .venv/bin/python -m bench.http --backend postgres --profile var/http   # py-spy of Accord's workers
"""


# ---- servers -------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    folder: Path

    def log(self) -> str:
        return (self.folder / "gunicorn.err").read_text(errors="replace")

    def workers(self) -> list[int]:
        return children_of(self.process.pid)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def gunicorn_settings(env: dict[str, str]) -> dict[str, Any]:
    """What gunicorn.conf.py gives under an environment (workers, threads, ...)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        conf = runpy.run_path(str(Path(ROOT) / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {k: conf[k] for k in ("workers", "threads", "worker_class", "keepalive", "max_requests", "timeout")}


@contextlib.contextmanager
def gunicorn(name: str, app: str, env: dict[str, str], folder: Path) -> Iterator[Server]:
    """``python -m gunicorn --config gunicorn.conf.py APP``, the same command for every server; stopped on exit."""
    port = free_port()
    env = {**env, "ACCORD_BIND": f"127.0.0.1:{port}"}
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "gunicorn.out", "wb") as out, open(folder / "gunicorn.err", "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", app],
                                   cwd=ROOT, env=env, stdout=out, stderr=err)
    server = Server(name, port, process, folder)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn ({name}) exited with {process.returncode}:\n{server.log()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if get(port, "/health", timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn ({name}) did not answer /health within 30 s:\n{server.log()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        workers = children_of(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# ---- load clients --------------------------------------------------------------------------------------


def wrk_run(port: int, seconds: float, tokens: dict[str, str], run_id: str, ping: bool = False) -> dict[str, Any]:
    """One timed run of wrk with bench/mix.lua; its figures, with the CPU time wrk used."""
    command = ["wrk", "-t", str(CONNECTIONS), "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}", "--", run_id, tokens["alice"],
               tokens["bruno"], str(CREATES_EVERY)] + (["ping"] if ping else [])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    lines = [line for line in stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{stdout}\n{stderr}")
    result = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    seconds_run = result["duration_us"] / 1e6
    errors = result["errors"]
    return {
        "requests": result["requests"], "seconds": seconds_run, "rate": result["requests"] / seconds_run,
        "creates": result["creates"], "steps": result["steps"], "failures": result["failures"],
        "errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
        + max(errors["status"], result["failures"]),
        "error_detail": {**errors, "failures": result["failures"]},
        "latency_ms": {k: v / 1000 for k, v in result["latency_us"].items()},
        "client_cpu": (usage.ru_utime + usage.ru_stime) / seconds_run,
    }


class Mix:
    """The request mix of bench/mix.lua, for the asyncio client: one per connection."""

    CYCLE = (("attach_text", "alice"), ("request_legal_review", "alice"), ("complete_legal_review", "bruno"))

    def __init__(self, prefix: str, tokens: dict[str, str], ping: bool):
        self.prefix, self.tokens, self.ping = prefix, tokens, ping
        self.path: str | None = None
        self.version = self.stepno = self.taken = self.sent = 0
        self.inflight = ""
        self.creates = self.steps = self.failures = 0

    def request(self) -> bytes:
        self.sent += 1
        if self.ping:
            self.inflight = "ping"
            return b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        key = f"{self.prefix}-{self.sent}"
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if self.path is None or self.taken >= CREATES_EVERY - 1:
            self.inflight = "create"
            user, target = "alice", "/api/v1/agreements"
            body = json.dumps({
                "title": f"Memorandum of Understanding between CERN and the University of Benchmarks {key} on "
                         "detector development", "kind": "memorandum_of_understanding",
                "counterparties": [{"name": f"University of Benchmarks {key}", "kind": "institute",
                                    "country": "CL"}], "reason": "Benchmark create."})
        else:
            step, user = self.CYCLE[self.stepno % 3]
            self.inflight = step
            target = f"{self.path}/steps/{step}"
            headers["If-Match"] = f'"{self.version}"'
            if step == "attach_text":
                body = json.dumps({"document": {"title": f"Draft {key}", "sha256": f"{self.sent:064x}",
                                                "media_type": "application/pdf"}, "reason": "Benchmark step."})
            elif step == "complete_legal_review":
                body = json.dumps({"outcome": "changes_requested", "comments": "See the marked-up text.",
                                   "reason": "Benchmark step."})
            else:
                body = '{"reason": "Benchmark step."}'
        headers["Authorization"] = f"Bearer {self.tokens[user]}"
        data = body.encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return (f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {len(data)}\r\n\r\n"
                .encode() + data)

    def response(self, status: int, headers: dict[str, str]) -> None:
        if self.inflight == "ping":
            self.failures += status != 200
            return
        etag = headers.get("etag")
        if self.inflight == "create" and status == 201 and etag:
            location = headers["location"]
            self.path = location.split("://", 1)[1][location.split("://", 1)[1].index("/"):] \
                if "://" in location else location
            self.version, self.stepno, self.taken = int(etag.strip('W/"')), 0, 0
            self.creates += 1
        elif self.inflight != "create" and status == 200 and etag:
            self.version = int(etag.strip('W/"'))
            self.stepno, self.taken = self.stepno + 1, self.taken + 1
            self.steps += 1
        else:
            self.failures += 1
            self.path = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", ""):
        raise RuntimeError("chunked responses are not supported by the asyncio client")
    length = int(headers.get("content-length", "0"))
    if length:
        await reader.readexactly(length)
    return status, headers


async def _connection(port: int, mix: Mix, deadline: float, latencies: list[float], errors: dict[str, int]
                      ) -> None:
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            data = mix.request()
            started = time.perf_counter()
            writer.write(data)
            status, headers = await asyncio.wait_for(_read_response(reader), timeout=10)
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                errors["status"] += 1
            mix.response(status, headers)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except TimeoutError:
            errors["timeout"] += 1
            mix.response(0, {})
            writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors["read"] += 1
            mix.response(0, {})
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def python_run(port: int, seconds: float, tokens: dict[str, str], run_id: str, ping: bool = False
               ) -> dict[str, Any]:
    """One timed run of the asyncio client, in this process; the same figures as wrk_run."""
    mixes = [Mix(f"{run_id}-{n}", tokens, ping) for n in range(CONNECTIONS)]
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_connection(port, m, deadline, latencies, errors) for m in mixes))

    cpu = time.process_time()
    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0

    failures = sum(m.failures for m in mixes)
    return {
        "requests": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed,
        "creates": sum(m.creates for m in mixes), "steps": sum(m.steps for m in mixes), "failures": failures,
        "errors": max(failures, errors["status"]) + errors["connect"] + errors["read"] + errors["write"]
        + errors["timeout"],
        "error_detail": {**errors, "failures": failures},
        "latency_ms": {"mean": 1000 * sum(latencies) / max(1, len(latencies)), "max": pct(100), "p50": pct(50),
                       "p90": pct(90), "p95": pct(95), "p99": pct(99)},
        "client_cpu": cpu / elapsed,
    }


# ---- the benchmark ---------------------------------------------------------------------------------------


def wait_for_views(server: Server, timeout: float = 30) -> None:
    """On the embedded deployment, let the in-process views catch up before the next measure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
            status, body = get(server.port, "/ready")
            if status == 200 and all(v["lag"] <= 0 for v in json.loads(body)["projections"].values()):
                return
        time.sleep(0.2)
    say(f"  (the views of {server.name} did not catch up within {timeout:.0f} s)")


def check_log(server: Server) -> list[str]:
    log = server.log()
    return [f"{server.name}: gunicorn's log shows {sign!r}" for sign in LOG_SIGNS if sign in log]


def profile_workers(server: Server, seconds: float, path: Path) -> subprocess.Popen | None:
    """Start py-spy on the server (master and workers) for ``seconds``; None if py-spy is not installed."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not os.path.exists(spy):
        say("  (py-spy is not installed: .venv/bin/pip install py-spy)")
        return None
    return subprocess.Popen([spy, "record", "--pid", str(server.process.pid), "--subprocesses", "--duration",
                             str(max(1, round(seconds))), "--rate", "200", "--format", "raw", "--output",
                             str(path), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.duration or pick(args, DURATION)
    warmup = pick(args, WARMUP)
    runs = args.runs or pick(args, RUNS)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --client python")
    run_client = wrk_run if client == "wrk" else python_run
    extra = {}
    if args.workers:
        extra["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        extra["ACCORD_THREADS"] = str(args.threads)
    folder = Path(tempfile.mkdtemp(prefix="accord-bench-http-"))
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    problems: list[str] = []
    with fresh_store(backend, "http", keep=args.keep) as storage, \
            fresh_store(backend, "bare", keep=args.keep) as bare_storage, \
            fresh_store(backend, "bdriver", keep=args.keep) as driver_storage, contextlib.ExitStack() as stack:
        say(f"{backend}: preparing Accord's storage with the CLI (init-db, users add alice, bruno)")
        run_cli(storage, "init-db")
        tokens = {}
        for user, role in (("alice", "ir_officer"), ("bruno", "legal_officer")):
            tokens[user] = run_cli(storage, "users", "add", user, "--role", role).strip().splitlines()[-1].strip()
        library_application(bare_storage).close()
        driver = DriverStore(driver_storage)
        driver.create_table()
        driver.close()
        settings = gunicorn_settings(clean_env(storage, **extra))
        servers = {
            "Accord": stack.enter_context(gunicorn("Accord", "wsgi:app", clean_env(storage, **extra),
                                                   folder / backend / "accord")),
            "bare (recorder)": stack.enter_context(gunicorn(
                "bare (recorder)", "bench.bare:app", clean_env(bare_storage, BENCH_BARE_STORE="recorder", **extra),
                folder / backend / "bare")),
            "bare (driver)": stack.enter_context(gunicorn(
                "bare (driver)", "bench.bare:app", clean_env(driver_storage, BENCH_BARE_STORE="driver", **extra),
                folder / backend / "driver")),
        }
        runner = None
        if args.with_runner and backend == "postgres":
            out = open(folder / backend / "runner.log", "wb")  # noqa: SIM115 - closed with the stack
            stack.callback(out.close)
            runner = subprocess.Popen([sys.executable, "-m", "bootstrap.cli", "projections", "run"], cwd=ROOT,
                                      env=clean_env(storage), stdout=out, stderr=out)
            stack.callback(stop_process, runner)
        measures = [("Accord", servers["Accord"], False), ("bare (recorder)", servers["bare (recorder)"], False),
                    ("bare (driver)", servers["bare (driver)"], False),
                    ("client ceiling", servers["bare (recorder)"], True)]
        for name, server, ping in measures:
            say(f"{backend}: warming up {name} ({warmup:g} s, {client})")
            run_client(server.port, warmup, tokens, f"warm-{uuid.uuid4().hex[:6]}", ping)
            results[name] = {"runs": []}
        for run in range(runs):
            for name, server, ping in measures:
                if name == "Accord" and backend == "sqlite":
                    wait_for_views(server)
                say(f"{backend}: run {run + 1}/{runs}: {name}, {seconds:.0f} s")
                spy = None
                if args.profile and name == "Accord" and run == 0:
                    spy = profile_workers(server, seconds, Path(f"{args.profile}.{backend}.txt"))
                results[name]["runs"].append(run_client(server.port, seconds, tokens, uuid.uuid4().hex[:8], ping))
                if spy is not None:
                    _, err = spy.communicate(timeout=60)
                    say(f"  py-spy: {err.decode(errors='replace').strip()[-300:]}"
                        if spy.returncode else f"  profile written to {args.profile}.{backend}.txt")
        for server in servers.values():
            problems.extend(check_log(server))
        with contextlib.suppress(OSError, http.client.HTTPException, ValueError, KeyError):
            results["Accord"]["head_position"] = json.loads(get(servers["Accord"].port, "/ready")[1])["head_position"]
    if args.keep:
        say(f"  kept server logs in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return summarise(backend, results, settings, client, seconds, problems)


def summarise(backend: str, results: dict[str, Any], settings: dict[str, Any], client: str, seconds: float,
              problems: list[str]) -> dict[str, Any]:
    def rates(name: str) -> list[float]:
        return [r["rate"] for r in results[name]["runs"]]

    def errors(name: str) -> int:
        return sum(r["errors"] for r in results[name]["runs"])

    bare, driver, accord = rates("bare (recorder)"), rates("bare (driver)"), rates("Accord")
    accord_errors = errors("Accord")
    rows = [figure("bare (recorder) endpoint", "req/s", bare, n=CONNECTIONS)]
    rows.append(figure("bare (driver) endpoint", "req/s", driver, n=CONNECTIONS, baseline="bare",
                       ratio=paired_ratio(driver, bare)))
    rows.append(figure("client ceiling (GET /ping)", "req/s", rates("client ceiling"), n=CONNECTIONS,
                       baseline="bare", ratio=paired_ratio(rates("client ceiling"), bare)))
    goal, passed = at_least(paired_ratio(accord, bare), GOAL)
    rows.append(figure("Accord write mix", "req/s", accord, n=CONNECTIONS, baseline="bare",
                       ratio=paired_ratio(accord, bare), goal=goal + ", 0 errors",
                       passed=passed and accord_errors == 0 and not problems))
    stretch = at_least(paired_ratio(accord, driver), STRETCH) if backend == "postgres" else (None, None)
    rows.append(figure("Accord write mix (vs driver)", "req/s", accord, n=CONNECTIONS, baseline="bare driver",
                       ratio=paired_ratio(accord, driver), goal=stretch[0] and stretch[0] + " (stretch)",
                       passed=stretch[1]))
    for name in ("Accord", "bare (recorder)", "bare (driver)"):
        for p in ("p50", "p95", "p99"):
            values = [r["latency_ms"][p] for r in results[name]["runs"]]
            base = [r["latency_ms"][p] for r in results["bare (recorder)"]["runs"]]
            rows.append(figure(f"{name} latency {p}", "ms", values, n=CONNECTIONS,
                               baseline=None if name == "bare (recorder)" else "bare",
                               ratio=None if name == "bare (recorder)" else median(values) / median(base)))
    cpu = {name: median([r["client_cpu"] for r in results[name]["runs"]]) for name in results}
    mix = results["Accord"]["runs"]
    creates, steps = sum(r["creates"] for r in mix), sum(r["steps"] for r in mix)
    notes = [
        f"client: {client}, {CONNECTIONS} connections, {seconds:.0f} s runs; gunicorn.conf.py: {settings['workers']} "
        f"{settings['worker_class']} workers x {settings['threads']} threads, keepalive {settings['keepalive']} s",
        f"Accord answered {creates:,} creates and {steps:,} steps in the timed runs; errors: "
        + ", ".join(f"{name} {errors(name)}" for name in results),
        "client CPU (share of one core): " + ", ".join(f"{name} {cpu[name]:.0%}" for name in results),
        "throughput ratio = req/s / baseline req/s, the median of the per-run ratios (runs interleaved); latency "
        "ratio = median / baseline median (lower is better)",
        *problems,
    ]
    if backend == "sqlite":
        notes.append("SQLite: Accord's views run in each web worker (embedded deployment), within the timed runs")
    return {"title": "HTTP write path vs bare Flask endpoints under the same gunicorn", "rows": rows,
            "version": f"{backend}, {client}", "client": client, "settings": settings, "seconds": seconds,
            "servers": results, "errors": {name: errors(name) for name in results}, "problems": problems,
            "notes": notes}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_suite_arguments(parser)
    parser.add_argument("--duration", type=float, help="seconds per timed run (default 8; --quick 3; --smoke 1)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load client: wrk with bench/mix.lua, or the asyncio client (default: wrk if installed)")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY for every server (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="ACCORD_THREADS for every server (default: gunicorn.conf.py)")
    parser.add_argument("--with-runner", action="store_true",
                        help="PostgreSQL: also run `accord projections run` during the runs, as production would")
    parser.add_argument("--profile", metavar="PREFIX",
                        help="py-spy Accord's workers during the first run: PREFIX.<backend>.txt (collapsed "
                             "stacks; summarise with python -m bench.profile PREFIX.<backend>.txt)")
    args = parser.parse_args(argv)
    if (args.duration is not None and args.duration <= 0) or (args.runs is not None and args.runs < 1):
        parser.error("--duration and --runs must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    run_suite_benchmark("http", args, measure, show_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
