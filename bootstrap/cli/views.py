"""``accord projections``: keep the read models (views) current, rebuild them, show their lag."""

from __future__ import annotations

import signal
import sys
import threading
import time

import click
from eventsourcing.persistence import InterfaceError, OperationalError

from bootstrap.cli.common import command_services
from bootstrap.services import Services
from projections.engine import Projections, RestoreDetectedError


@click.group()
def projections() -> None:
    """Keep the read models (views) current, rebuild them, or show how far behind they are."""


@projections.command("status")
def projections_status() -> None:
    """Each view's tracked position and its lag behind the log's head."""
    engine = command_services().projections
    head = engine.head()
    for name, position in sorted(engine.positions().items()):
        click.echo(f"{name:12} position {position:>10}   lag {head - position:>8}")


@projections.command("run")
@click.option("--poll", default=0.2, show_default=True, help="seconds between polls when current")
@click.option("--max-failures", default=30, show_default=True,
              help="consecutive storage failures before giving up (exit status 1)")
def projections_run(poll: float, max_failures: int) -> None:
    """Run until SIGTERM/SIGINT, applying new events to every view exactly once.

    Resumes where it stopped; a second copy is harmless. Started while the database is unreachable, it waits
    for it as it does once running. Exits 2 if the event store is behind a view (an older backup was
    restored): rebuild that view first.
    """
    engine, head = engine_once_storage_answers(command_services(), max_failures)

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
    click.echo(f"projection runner: views {', '.join(engine.views)}; head {head}", err=True)
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


def engine_once_storage_answers(services: Services, max_failures: int) -> tuple[Projections, int]:
    """The projection engine, its views' tables as this version defines them, and the log's head, once storage
    answers: a runner started during a database outage retries with a growing pause, as its loop does, and
    gives up (exit status 1) after ``max_failures`` failures in a row."""
    failures = 0
    while True:
        try:
            engine = services.projections
            bring_views_up_to_date(engine)
            return engine, engine.head()
        except (OperationalError, InterfaceError) as error:
            failures += 1
            if failures >= max_failures:
                click.echo(f"error: cannot continue: {error}", err=True)
                sys.exit(1)
            click.echo(f"projection runner: {error} (failure {failures}); retrying", err=True)
            time.sleep(min(5.0, 0.2 * 2 ** min(failures, 5)))


def bring_views_up_to_date(engine: Projections) -> None:
    """The views' tables as this version defines them (after an upgrade: a view whose definition changed
    is emptied and caught up again from the log; the event store's tables are never touched here)."""
    for name in engine.create_tables():
        click.echo(f"view {name}: its definition changed, so it is rebuilt from the log", err=True)


@projections.command("rebuild")
@click.argument("names", nargs=-1)
def projections_rebuild(names: tuple[str, ...]) -> None:
    """Empty the named views (all by default) and apply the whole log again, with progress."""
    engine = command_services().projections
    unknown = [n for n in names if n not in engine.views]
    if unknown:
        raise click.BadParameter(f"unknown view {', '.join(unknown)}; views: {', '.join(engine.views)}")
    names = tuple(names or engine.views)
    bring_views_up_to_date(engine)
    head = engine.head()
    started = time.perf_counter()
    with click.progressbar(length=head, label=f"rebuilding {', '.join(names)}", file=sys.stderr) as bar:
        count = engine.rebuild(list(names), progress=lambda view, n: bar.update(n) if view == names[0] else None)
    elapsed = time.perf_counter() - started
    events = count // len(names)
    rate = events / elapsed if elapsed > 0 else float("inf")
    for name in names:
        click.echo(f"{name}: {events} events in {elapsed:.2f} s ({rate:,.0f} events/s)")
    if len(names) > 1:
        click.echo(f"(one pass over the log for all {len(names)} views)")
