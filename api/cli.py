"""The ``accord`` command: set up storage, manage users, seed data, and serve the API."""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import click

from api import create_app
from api.services import Services
from domain.errors import DomainError
from domain.values import Actor, Role
from projections.engine import Projections, RestoreDetectedError
from workflows.application import UnsafeSettingsError
from workflows.archive import ImportRefusedError, export_lines, import_lines
from workflows.audit import prove, verify
from workflows.demo import seed_demo
from workflows.history import load_history

ROOT = Path(__file__).resolve().parent.parent


def _services(create_tables: bool = False) -> Services:
    """The services for one command, closed (connections and all) when the command ends."""
    try:
        app = create_app({"CREATE_TABLES": create_tables, "PROJECTIONS_IN_PROCESS": False})
    except UnsafeSettingsError as error:
        raise click.ClickException(f"refusing to start: {error}") from None
    services = app.extensions["accord"]
    click.get_current_context().call_on_close(services.close)
    return services


def _operator() -> Actor:
    """The person at the terminal, recorded as an admin acting through the CLI."""
    return Actor(name=f"{getpass.getuser()}@cli", role=Role.ADMIN)


def _where(services: Services) -> str:
    storage = services.storage
    if services.backend == "sqlite":
        return f"SQLite file {os.path.abspath(storage['SQLITE_DBNAME'])}"
    return f"PostgreSQL database {storage.get('POSTGRES_DBNAME')} on {storage.get('POSTGRES_HOST')}"


@click.group(help="Accord: the system of record for international agreements.\n\n"
                  "Storage follows the eventsourcing library's variables: SQLite at var/accord.db by default "
                  "(SQLITE_DBNAME names another); PostgreSQL with PERSISTENCE_MODULE=eventsourcing.postgres "
                  "and POSTGRES_DBNAME, POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD.")
def main() -> None:
    pass


@main.command("init-db")
def init_db() -> None:
    """Create the event store's tables (once, before starting web workers)."""
    services = _services(create_tables=True)
    head = services.app.recorder.max_notification_id() or 0
    click.echo(f"Tables ready in {_where(services)} (head position {head}).")


@main.group()
def users() -> None:
    """Manage users and their bearer tokens."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The user's one role.")
def users_add(name: str, role: str) -> None:
    """Create user NAME with a new token, printed once (only its hash is stored)."""
    services = _services()
    try:
        token = services.access.issue_token(_operator(), name, Role(role))
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {name} ({role}). Token, shown only now:\n{token}")


@users.command("list")
def users_list() -> None:
    """List users, their role, and whether they are active."""
    rows = _services().access.users()
    if not rows:
        click.echo("No users yet: accord users add NAME --role ROLE")
    for u in rows:
        click.echo(f"{u.name:24} {u.role:14} {'active' if u.active else 'revoked':8} tokens: {u.tokens}")


@users.command("revoke")
@click.argument("name")
def users_revoke(name: str) -> None:
    """Revoke user NAME and every token they hold."""
    try:
        count = _services().access.revoke(_operator(), name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Revoked {name} ({count} token{'s' if count != 1 else ''}).")


@main.group()
def seed() -> None:
    """Load data through the real commands."""


@seed.command("demo")
def seed_demo_command() -> None:
    """Demo users (fresh tokens each run) and agreements in every stage; re-running adds no agreement."""
    services = _services(create_tables=True)
    click.echo(f"Seeding demo data into {_where(services)}:")
    tokens = seed_demo(services.agreements, services.access, _operator(), say=click.echo)
    click.echo("\nDemo tokens (send as 'Authorization: Bearer <token>'):")
    for name, token in tokens.items():
        click.echo(f"  {name:7} {services.access.users_by_name()[name].role:14} {token}")


@main.group()
def projections() -> None:
    """Keep the read models (views) current, rebuild them, or show how far behind they are."""


@projections.command("status")
def projections_status() -> None:
    """Each view's tracked position and its lag behind the log's head."""
    services = _services()  # keeps the application (and its connections) alive while the engine runs
    engine = services.projections
    head = engine.head()
    for name, position in sorted(engine.positions().items()):
        click.echo(f"{name:12} position {position:>10}   lag {head - position:>8}")


@projections.command("run")
@click.option("--poll", default=0.2, show_default=True, help="seconds between polls when current")
@click.option("--max-failures", default=30, show_default=True,
              help="consecutive storage failures before giving up (exit status 1)")
def projections_run(poll: float, max_failures: int) -> None:
    """Run until SIGTERM/SIGINT, applying new events to every view exactly once.

    Resumes where it stopped; a second copy is harmless. Exits 2 if the event store is behind a view
    (an older backup was restored): rebuild that view first.
    """
    services = _services()  # keeps the application (and its connections) alive while the engine runs
    engine = services.projections
    _bring_views_up_to_date(engine)

    def stop(signum: int, frame: object) -> None:
        click.echo(f"signal {signum}: stopping after the current batch", err=True)
        engine.stop()

    # The engine runs in a thread of its own: a signal handler runs in the main thread, between any two of its
    # instructions, and stopping the engine takes the locks of its events; were the engine in the main thread,
    # a signal arriving while it held one of those locks would wait for it forever.
    failed: list[BaseException] = []

    def work() -> None:
        try:
            engine.run(poll_interval=poll, max_failures=max_failures)
        except BaseException as error:  # noqa: BLE001 - raised again in the main thread
            failed.append(error)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"projection runner: views {', '.join(engine.views)}; head {engine.head()}", err=True)
    worker = threading.Thread(target=work, name="accord-projections")
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
    try:
        if failed:
            raise failed[0]
    except RestoreDetectedError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except Exception as error:  # noqa: BLE001
        click.echo(f"error: cannot continue: {error}", err=True)
        sys.exit(1)
    click.echo("projection runner stopped cleanly", err=True)


def _bring_views_up_to_date(engine: Projections) -> None:
    """The views' tables as this version defines them (after an upgrade: a view whose definition changed
    is emptied and caught up again from the log; the event store's tables are never touched here)."""
    for name in engine.create_tables():
        click.echo(f"view {name}: its definition changed, so it is rebuilt from the log", err=True)


@projections.command("rebuild")
@click.argument("names", nargs=-1)
def projections_rebuild(names: tuple[str, ...]) -> None:
    """Empty the named views (all by default) and apply the whole log again, with progress."""
    services = _services()  # keeps the application (and its connections) alive while the engine runs
    engine = services.projections
    unknown = [n for n in names if n not in engine.views]
    if unknown:
        raise click.BadParameter(f"unknown view {', '.join(unknown)}; views: {', '.join(engine.views)}")
    names = list(names or engine.views)
    _bring_views_up_to_date(engine)
    head = engine.head()
    started = time.perf_counter()
    with click.progressbar(length=head, label=f"rebuilding {', '.join(names)}", file=sys.stderr) as bar:
        count = engine.rebuild(names, progress=lambda view, n: bar.update(n) if view == names[0] else None)
    elapsed = time.perf_counter() - started
    events = count // len(names)
    rate = events / elapsed if elapsed > 0 else float("inf")
    for name in names:
        click.echo(f"{name}: {events} events in {elapsed:.2f} s ({rate:,.0f} events/s)")
    if len(names) > 1:
        click.echo(f"(one pass over the log for all {len(names)} views)")


@seed.command("history")
def seed_history_command() -> None:
    """The published participation record (Member States since 1954, Associate Members, pre-stage periods),
    loaded through the real commands; re-running adds nothing."""
    services = _services(create_tables=True)
    click.echo(f"Loading the participation record into {_where(services)}:")
    report = load_history(services.agreements, services.enlargements, say=click.echo)
    click.echo(f"Loaded {len(report.loaded)} periods; skipped {len(report.skipped)}:")
    for label, why in report.skipped:
        click.echo(f"  skipped {label}: {why}")


@main.group()
def audit() -> None:
    """Verify the stored log, export it, import an export."""


@audit.command("verify")
@click.option("--position", type=int, help="prove the log up to this position against --hash")
@click.option("--hash", "digest", help="a head_hash saved from an earlier verification")
def audit_verify(position: int | None, digest: str | None) -> None:
    """Recompute every hash and both chains; exit status 1 on any problem. Prints the digest to save."""
    services = _services()
    recorder = services.app.recorder
    if (position is None) != (digest is None):
        raise click.UsageError("give both --position and --hash, or neither")
    head = services.app.recorder.max_notification_id() or 0
    with click.progressbar(length=head, label="verifying", file=sys.stderr) as bar:
        result = (prove(recorder, position, digest) if position is not None
                  else verify(recorder, progress=bar.update))
    for p in result.problems:
        click.echo(f"problem at position {p.position} ({p.aggregate_id or '-'} v{p.version or '-'}): {p.problem}")
    click.echo(json.dumps({"ok": result.ok, "events_checked": result.events_checked,
                           "head_position": result.head_position, "head_hash": result.head_hash}))
    sys.exit(0 if result.ok else 1)


@audit.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
def audit_export(file: str) -> None:
    """Write the whole store to FILE as JSON Lines (- for standard output)."""
    services = _services()
    head = services.app.recorder.max_notification_id() or 0
    count = 0
    with click.open_file(file, "w", encoding="utf-8") as out, \
            click.progressbar(length=head, label="exporting", file=sys.stderr) as bar:
        for line in export_lines(services.app.recorder, services.app.mapper):
            out.write(line)
            count += 1
            if count % 1000 == 0:
                bar.update(1000)
    click.echo(f"exported {count} events to {file}", err=True)


@audit.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def audit_import(file: str) -> None:
    """Load an export into an EMPTY store, verifying it as it goes, then rebuild the views."""
    services = _services(create_tables=True)
    try:
        with click.open_file(file, encoding="utf-8") as lines:
            count, head_hash = import_lines(services.app.recorder, lines, progress=lambda n: None)
    except ImportRefusedError as error:
        raise click.ClickException(str(error)) from None
    engine = services.projections
    engine.rebuild(list(engine.views))
    click.echo(f"imported {count} events; head digest {head_hash}; views rebuilt")


def _gunicorn(bind: str, workers: int, threads: int) -> None:
    env = dict(os.environ, ACCORD_BIND=bind, WEB_CONCURRENCY=str(workers), ACCORD_THREADS=str(threads))
    argv = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
            "--chdir", str(ROOT), "wsgi:app"]
    os.execve(sys.executable, argv, env)


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--threads", default=4, show_default=True, help="threads per worker")
def serve(bind: str, workers: int, threads: int) -> None:
    """Serve the API with gunicorn (tables must exist: run accord init-db first)."""
    _gunicorn(bind, workers, threads)


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
def demo(bind: str) -> None:
    """Create tables, load the participation record and the demo data, print tokens and the URL, and serve
    (embedded: one worker, projections in-process)."""
    click.get_current_context().invoke(init_db)
    click.get_current_context().invoke(seed_history_command)
    click.get_current_context().invoke(seed_demo_command)
    click.echo(f"\nServing Accord at http://{bind}/api/v1 (OpenAPI: http://{bind}/api/v1/openapi.json). "
               "Ctrl-C stops.")
    click.echo(f"Try: curl -H 'Authorization: Bearer <token>' http://{bind}/api/v1/workflows")
    _gunicorn(bind, workers=1, threads=8)
