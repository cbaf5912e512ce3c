"""A real gunicorn serving the pages (``gunicorn.conf.py``, ``wsgi:app``) on a prepared store, and Debian's
Chromium driven by Playwright, for the browser tests. Nothing is downloaded: the browser is the system's
(``/usr/bin/chromium``; ``.ci/run`` installs it when missing) and axe-core is vendored beside this file.

The stores come from tests/storage/stores.py (``fresh_store``, kept for a whole module) and gunicorn from the
harness the serving tests and the benchmarks share (bench/harness.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import harness
from bench.harness import ROOT

__all__ = ["ROOT", "Site", "gunicorn", "launch_chromium"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]


@dataclass
class Site:
    """A running gunicorn: its address and its log."""

    url: str
    server: harness.Gunicorn

    def log(self) -> str:
        return self.server.log()

    def failures(self) -> list[str]:
        return self.server.problems()


@contextlib.contextmanager
def gunicorn(storage: dict[str, str], folder: Path, workers: int = 2, threads: int = 2,
             **settings: str) -> Iterator[Site]:
    """gunicorn on ``storage`` (tables made already), over plain HTTP on 127.0.0.1 (so session cookies are not
    Secure, as for ``accord demo``), stopped on exit."""
    env = harness.clean_env(storage, WEB_CONCURRENCY=str(workers), ACCORD_THREADS=str(threads),
                            ACCORD_SESSION_COOKIE_SECURE="false", **settings)
    with harness.gunicorn("wsgi:app", env, folder) as server:  # RuntimeError, with its log, if it cannot start
        yield Site(f"http://127.0.0.1:{server.port}", server)


def launch_chromium(playwright) -> object:
    """Debian's Chromium, headless, never a browser that Playwright would download."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no {CHROMIUM}: install Debian's chromium package (apt-get install -y chromium; .ci/run does)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
