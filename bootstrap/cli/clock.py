"""``accord clock``: record what the passing of time decides (renewals, expiries, pre-stage limits)."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, date, datetime

import click

from bootstrap.cli.common import command_services, where
from domain.dates import date_from_text
from workflows.clock import Decision


@click.group()
def clock() -> None:
    """Record what the passing of time decides, as the system actor "clock".

    At its expiry an agreement renewed tacitly with no notice standing renews for its renewal period; one with
    a notice, without renewal, or renewed only by amendment expires; a pre-stage to Membership past its
    maximum (entry into force + 5 years) is flagged. Each decision is recorded once with the rule that
    decided it, effective on the deadline's date. One clock per deployment (like `accord projections run`);
    a second one, or a restart, records nothing twice. The embedded deployment (SQLite, views kept by a web
    worker) runs it in that worker every ACCORD_CLOCK_INTERVAL_SECONDS (3600; 0: never).
    """


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date_from_text(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r}: {error} (YYYY-MM-DD)") from None


def _echo(decision: Decision) -> None:
    how = "found recorded already" if decision.replayed else "recorded"
    click.echo(f"  {decision.process_kind} {decision.process_id} ({decision.title}): {decision.step} "
               f"[{decision.rule}] effective {decision.effective_on.isoformat()}, {how} at version "
               f"{decision.version}, position {decision.position}")


@clock.command("run")
@click.option("--once", is_flag=True, help="one round, then exit (cron, operations, tests)")
@click.option("--today", callback=_day, metavar="YYYY-MM-DD",
              help="decide as of this day: every date before it has passed (default: today in UTC)")
@click.option("--interval", default=3600.0, show_default=True, type=click.FloatRange(min=1),
              help="seconds between rounds, without --once")
def clock_run(once: bool, today: date | None, interval: float) -> None:
    """Decide what is due as of today (or --today), then again every --interval seconds until SIGTERM/SIGINT.

    Prints each decision (process, step, rule, effective date) and a summary per round. Exit status 0;
    1 when storage fails during a --once round."""
    services = command_services()
    stop = threading.Event()

    def stopping(signum: int, _frame: object) -> None:
        click.echo(f"signal {signum}: stopping after the current round", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    click.echo(f"clock: {where(services)}", err=True)
    while True:
        day = today or datetime.now(UTC).date()
        started = time.monotonic()
        click.echo(f"clock: deciding as of {day.isoformat()} (every date before it has passed)")
        try:
            decided = services.run_clock(day, _echo)
        except Exception as error:  # noqa: BLE001 - storage hiccups: report; --once exits 1, a service retries
            if once:
                raise click.ClickException(f"the round failed: {error}") from None
            click.echo(f"clock: the round failed ({error}); trying again next round", err=True)
            decided = []
        replayed = sum(d.replayed for d in decided)
        click.echo(f"clock: {len(decided) - replayed} decisions recorded, {replayed} found recorded already, "
                   f"in {time.monotonic() - started:.2f} s")
        if once or stop.wait(interval):
            return
