"""Documents: upload and download of a large file through a real gunicorn, against the same bytes copied with the
plain driver, and the web worker's memory while it does so.

A fresh store (`accord init-db`, one IR officer) served by gunicorn with gunicorn.conf.py and one worker. Each
run makes a new file of SIZE MiB (default 50; --quick 20; --smoke 2: a PDF header and random bytes, so that
no two runs store the same bytes), then, interleaved (MiB/s: median, min, max):
  upload      POST /api/v1/documents, multipart, the body streamed from this process (201)
  download    GET /api/v1/documents/{sha256}, the body read in pieces and hashed here (200, the same sha256)
  driver in   the same bytes inserted with the plain driver in one transaction, in rows of 256 KiB (the
              baseline for upload), on the same database
  driver out  the same rows read back with the plain driver (the baseline for download)
ratio = Accord's rate / the driver's (the median of the per-run ratios; no target: the driver writes no
hash, no multipart and no HTTP). The worker's peak memory growth: VmHWM of the gunicorn worker (from
/proc/PID/status) after the runs, less its VmHWM after a warm-up of a small upload and download. Target:
under 16 MiB (neither upload nor download holds a whole file in memory).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg

from bench import suite
from bench.harness import children_of, clean_env, gunicorn, run_cli
from bench.stores import fresh_store
from bench.suite import figure, median, paired_ratio, pick, say

SIZES = {"smoke": 2, "quick": 20, "full": 50}
RUNS = {"smoke": 1, "quick": 2, "full": 3}
PIECE = 256 * 1024
MEMORY_LIMIT = 16.0  # MiB
EPILOG = "example: .venv/bin/python -m bench.documents --backend sqlite --size 50"


def vm_hwm(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def a_file(folder: Path, mib: float) -> Path:
    """A new file of ``mib`` MiB that the vault takes as a PDF: the header, then random bytes."""
    path = folder / f"{uuid.uuid4().hex}.pdf"
    with open(path, "wb") as out:
        out.write(b"%PDF-1.7\n")
        left = int(mib * 2**20) - 9
        while left > 0:
            out.write(os.urandom(min(left, 2**20)))
            left -= 2**20
    return path


def upload(port: int, token: str, path: Path) -> tuple[float, str]:
    """POST the file as multipart, streamed from disk; (seconds, the sha256 answered)."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        with open(path, "rb") as data:
            while piece := data.read(PIECE):
                yield piece
        yield tail

    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("POST", "/api/v1/documents", body=body(), headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + path.stat().st_size + len(tail))})
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    if response.status != 201:
        raise RuntimeError(f"upload: {response.status} {answer[:300]!r}")
    return time.perf_counter() - started, json.loads(answer)["sha256"]


def download(port: int, token: str, sha256: str) -> float:
    """GET the document, read in pieces and hashed; the seconds it took."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    digest = hashlib.sha256()
    try:
        conn.request("GET", f"/api/v1/documents/{sha256}", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        while piece := response.read(PIECE):
            digest.update(piece)
    finally:
        conn.close()
    if response.status != 200 or digest.hexdigest() != sha256:
        raise RuntimeError(f"download: {response.status}, the bytes hash to {digest.hexdigest()}")
    return time.perf_counter() - started


class Driver:
    """The plain driver on the store's database: a file's bytes in rows of 256 KiB, in one transaction."""

    def __init__(self, storage: dict[str, str]):
        self.sqlite = storage["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
        if self.sqlite:
            self.conn: Any = sqlite3.connect(storage["SQLITE_DBNAME"], isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("CREATE TABLE IF NOT EXISTS bench_pieces (k TEXT, seq INTEGER, bytes BLOB, "
                              "PRIMARY KEY (k, seq))")
            self.mark = "?"
        else:
            self.conn = psycopg.connect(dbname=storage["POSTGRES_DBNAME"], host=storage["POSTGRES_HOST"],
                                        port=storage.get("POSTGRES_PORT") or "5432", user=storage["POSTGRES_USER"],
                                        password=storage.get("POSTGRES_PASSWORD") or None, autocommit=True,
                                        options=f"-c search_path={storage['POSTGRES_SCHEMA']}")
            self.conn.execute("CREATE TABLE IF NOT EXISTS bench_pieces (k TEXT, seq INTEGER, bytes BYTEA, "
                              "PRIMARY KEY (k, seq))")
            self.mark = "%s"

    def copy_in(self, path: Path) -> tuple[float, str]:
        started, key = time.perf_counter(), uuid.uuid4().hex
        cursor = self.conn.cursor()
        cursor.execute("BEGIN")
        with open(path, "rb") as data:
            seq = 0
            while piece := data.read(PIECE):
                cursor.execute(f"INSERT INTO bench_pieces VALUES ({self.mark}, {self.mark}, {self.mark})",
                               (key, seq, piece))
                seq += 1
        cursor.execute("COMMIT")
        return time.perf_counter() - started, key

    def copy_out(self, key: str) -> float:
        started = time.perf_counter()
        digest = hashlib.sha256()
        cursor = self.conn.cursor()
        cursor.execute(f"SELECT bytes FROM bench_pieces WHERE k = {self.mark} ORDER BY seq", (key,))
        for (piece,) in cursor:
            digest.update(piece)
        return time.perf_counter() - started

    def close(self) -> None:
        self.conn.close()


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    mib, runs = args.size or pick(args, SIZES), args.runs or pick(args, RUNS)
    rates: dict[str, list[float]] = {"upload": [], "download": [], "driver in": [], "driver out": []}
    with tempfile.TemporaryDirectory(prefix="accord-bench-documents-") as folder, \
            fresh_store(backend, "docs", keep=args.keep) as storage:
        env = clean_env(storage, WEB_CONCURRENCY="1")
        say(f"{backend}: preparing the store with the CLI (init-db, users add alice)")
        run_cli(env, "init-db")
        token = run_cli(env, "users", "add", "alice", "--role", "ir_officer").strip().splitlines()[-1].strip()
        driver = Driver(storage)
        with gunicorn("wsgi:app", env, Path(folder) / "gunicorn") as server:
            [worker] = children_of(server.process.pid)
            warm = a_file(Path(folder), 1)
            download(server.port, token, upload(server.port, token, warm)[1])
            before = vm_hwm(worker)
            for run in range(runs):
                path = a_file(Path(folder), mib)
                say(f"{backend}: run {run + 1}/{runs}: {mib} MiB up and down, then with the driver")
                seconds, sha256 = upload(server.port, token, path)
                rates["upload"].append(mib / seconds)
                rates["download"].append(mib / download(server.port, token, sha256))
                seconds, key = driver.copy_in(path)
                rates["driver in"].append(mib / seconds)
                rates["driver out"].append(mib / driver.copy_out(key))
                path.unlink()
            growth = vm_hwm(worker) - before
            problems = server.problems()
        driver.close()
    up = paired_ratio(rates["upload"], rates["driver in"])
    down = paired_ratio(rates["download"], rates["driver out"])
    rows = [
        figure(f"upload {mib} MiB (POST, multipart)", "MiB/s", rates["upload"], n=runs, baseline="driver in",
               ratio=up),
        figure(f"download {mib} MiB (GET)", "MiB/s", rates["download"], n=runs, baseline="driver out", ratio=down),
        figure("driver in (one transaction)", "MiB/s", rates["driver in"], n=runs),
        figure("driver out", "MiB/s", rates["driver out"], n=runs),
        figure("web worker: peak memory growth", "MiB", [growth], n=runs, goal=f"< {MEMORY_LIMIT:.0f} MiB",
               passed=growth < MEMORY_LIMIT),
    ]
    notes = [f"{mib} MiB a run, {runs} runs; ratio = Accord's MiB/s / the driver's (median of per-run ratios); "
             f"upload median {median(rates['upload']):.1f} MiB/s",
             "memory: the worker's VmHWM after the runs less its VmHWM after a 1 MiB warm-up"]
    notes += [f"server problem: {p}" for p in problems]
    return {"title": f"documents: upload and download through gunicorn vs the plain driver ({backend})",
            "version": "", "rows": rows, "notes": notes}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.documents", __doc__, EPILOG)
    parser.add_argument("--size", type=float, help="MiB of each file (default 50; --quick 20; --smoke 2)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(suite.main("documents", parse, measure))
