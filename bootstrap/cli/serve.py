"""``accord serve`` and ``accord demo``: gunicorn with ``gunicorn.conf.py``."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from bootstrap.cli.seed import seed_demo_command, seed_history_command
from bootstrap.cli.store import init_db
from storage.settings import storage_env

ROOT = Path(__file__).resolve().parents[2]


def sqlite_file_from_here(environ: Mapping[str, str]) -> dict[str, str]:
    """The SQLite file (``SQLITE_DBNAME``, ``var/accord.db`` by default) as an absolute path, named from the
    folder the command was run in: gunicorn serves from the project's folder (``--chdir``), and would
    otherwise open another file than the one the command prepared."""
    store = storage_env(environ)
    name = store.get("SQLITE_DBNAME", "")
    if store["PERSISTENCE_MODULE"] != "eventsourcing.sqlite" or not name or name.startswith("file:") \
            or ":memory:" in name:
        return {}
    return {"SQLITE_DBNAME": str(Path(name).resolve())}


def gunicorn(bind: str, workers: int, threads: int, **settings: str) -> None:
    """Replace this process with gunicorn serving ``wsgi:app`` (``settings``: more environment variables)."""
    env = dict(os.environ, ACCORD_BIND=bind, WEB_CONCURRENCY=str(workers), ACCORD_THREADS=str(threads),
               **sqlite_file_from_here(os.environ), **settings)
    argv = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
            "--chdir", str(ROOT), "wsgi:app"]
    os.execve(sys.executable, argv, env)


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--threads", default=4, show_default=True, help="threads per worker")
def serve(bind: str, workers: int, threads: int) -> None:
    """Serve the pages and the API with gunicorn (tables must exist: run accord init-db first)."""
    gunicorn(bind, workers, threads)


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
def demo(bind: str) -> None:
    """Create tables, load the participation record and the demo data, print passwords, tokens and the URL,
    and serve over plain HTTP (embedded: one worker, projections in-process; session cookies not Secure)."""
    context = click.get_current_context()
    context.invoke(init_db)
    context.invoke(seed_history_command)
    context.invoke(seed_demo_command)
    click.echo(f"\nServing Accord at http://{bind}/ (sign in with a demo password above) and the API at "
               f"http://{bind}/api/v1 (OpenAPI: http://{bind}/api/v1/openapi.json). Ctrl-C stops.")
    click.echo(f"Try: curl -H 'Authorization: Bearer <token>' http://{bind}/api/v1/workflows")
    # Plain HTTP on this machine: the session cookie cannot be Secure, or browsers would never send it back.
    gunicorn(bind, workers=1, threads=8, ACCORD_SESSION_COOKIE_SECURE="false")
