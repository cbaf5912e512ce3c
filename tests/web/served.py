"""A real gunicorn serving the pages (``gunicorn.conf.py``, ``wsgi:app``) on a prepared store, and Debian's
Chromium driven by Playwright, for the browser tests. Nothing is downloaded: the browser is the system's
(``/usr/bin/chromium``; ``.ci/run`` installs it when missing) and axe-core is vendored beside this file."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
SETTINGS_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "ACCORD_", "WEB_CONCURRENCY")
FAILURE_SIGNS = ("Traceback", "WORKER TIMEOUT", "database is locked", "PoolTimeout")
PG = {
    "POSTGRES_DBNAME": os.environ.get("ACCORD_TEST_POSTGRES_DBNAME", "test"),
    "POSTGRES_HOST": os.environ.get("ACCORD_TEST_POSTGRES_HOST", "127.0.0.1"),
    "POSTGRES_PORT": os.environ.get("ACCORD_TEST_POSTGRES_PORT", "5432"),
    "POSTGRES_USER": os.environ.get("ACCORD_TEST_POSTGRES_USER", "postgres"),
    "POSTGRES_PASSWORD": os.environ.get("ACCORD_TEST_POSTGRES_PASSWORD", ""),
}
"""The tests' PostgreSQL server and database, as the ``storage`` fixture of tests/conftest.py uses them."""


@contextlib.contextmanager
def store_for_a_module(backend: str, folder: Path) -> Iterator[dict[str, str]]:
    """A new, empty store kept for a whole module (the ``storage`` fixture makes one per test): ``accord.db``
    in ``folder`` on SQLite, a schema of its own on PostgreSQL, dropped when the block ends."""
    if backend == "sqlite":
        yield {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / "accord.db")}
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"

    def connect() -> psycopg.Connection:
        return psycopg.connect(dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=PG["POSTGRES_PORT"],
                               user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"] or None, autocommit=True,
                               connect_timeout=5)

    with connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_SCHEMA": schema, **PG}
    finally:
        with connect() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    """A running gunicorn: its address and its log."""

    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def failures(self) -> list[str]:
        return [line for line in self.log().splitlines() if any(sign in line for sign in FAILURE_SIGNS)]


@contextlib.contextmanager
def gunicorn(storage: dict[str, str], folder: Path, workers: int = 2, threads: int = 2,
             **settings: str) -> Iterator[Site]:
    """gunicorn on ``storage`` (tables made already), over plain HTTP on 127.0.0.1 (so session cookies are not
    Secure, as for ``accord demo``), stopped on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    env.update(storage, ACCORD_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers), ACCORD_THREADS=str(threads),
               ACCORD_SESSION_COOKIE_SECURE="false", **settings)
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    site = Site(f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_for_health(process, port, site)
        yield site
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_for_health(process: subprocess.Popen, port: int, site: Site, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode} while starting:\n{site.log()}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer /health within {timeout:.0f} s:\n{site.log()}")


def launch_chromium(playwright) -> object:
    """Debian's Chromium, headless, never a browser that Playwright would download."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no {CHROMIUM}: install Debian's chromium package (apt-get install -y chromium; .ci/run does)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
