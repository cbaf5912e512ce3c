"""``accord mail``: send the reminders that are due (``run``), and show the outbox and its delivery log."""

from __future__ import annotations

import signal
import threading
from datetime import date

import click

from bootstrap.cli.common import command_services
from projections import reminders


@click.group()
def mail() -> None:
    """Reminders of deadlines by mail: send them, show what was sent."""


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise click.BadParameter("a date, YYYY-MM-DD") from None


@mail.command("run")
@click.option("--once", is_flag=True, help="send one round of what is due, then exit")
@click.option("--today", callback=_day, metavar="YYYY-MM-DD", help="decide what is due as of this day")
@click.option("--poll", type=float, default=None, help="seconds between rounds (default ACCORD_MAIL_POLL_SECONDS)")
def mail_run(once: bool, today: date | None, poll: float | None) -> None:
    """Send the reminders that are due, each once, retrying with back-off while the mail server is down.

    One per deployment is enough (a second is harmless: each reminder is claimed before it is sent). Stops
    cleanly on SIGTERM/SIGINT. Needs ACCORD_SMTP_HOST.
    """
    services = command_services()
    if services.mail.smtp is None:
        raise click.ClickException("no mail server: set ACCORD_SMTP_HOST (and _PORT, _TLS, _USER, _PASSWORD)")
    sender = services.sender
    if once:
        done = sender.run_once(today)
        click.echo(f"delivered {done.delivered}, failed {done.failed}, settled without sending {done.settled}"
                   + (" (mail server unreachable: retried later)" if done.server_down else ""))
        if done.server_down:
            raise SystemExit(1)
        return

    def stop(signum: int, frame: object) -> None:
        click.echo(f"signal {signum}: stopping after the current message", err=True)
        sender.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"reminder sender: mail server {services.mail.smtp.host}:{services.mail.smtp.port}", err=True)
    worker = threading.Thread(target=sender.run, name="accord-mail",  # signals reach the main thread only
                              kwargs={"poll_interval": poll or services.mail.poll_seconds, "today": lambda: today})
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
    click.echo("reminder sender stopped cleanly", err=True)


@mail.command("log")
@click.option("--limit", default=50, show_default=True)
def mail_log(limit: int) -> None:
    """The outbox's counts, and the latest entries of the delivery log."""
    services = command_services()
    counts = reminders.summary(services.db)
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no reminder planned")
    for entry in reversed(reminders.latest_deliveries(services.db, limit)):
        click.echo(f"{entry['seq']:>6} {entry['at']} {entry['outcome']:10} attempt {entry['attempt']} "
                   f"{entry['address'] or '-'} {entry['key']}" + (f" ({entry['detail']})" if entry["detail"] else ""))
