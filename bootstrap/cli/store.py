"""``accord init-db``: create the event store's and the views' tables."""

from __future__ import annotations

import click

from bootstrap.cli.common import command_services, where


@click.command("init-db")
def init_db() -> None:
    """Create the event store's tables (once, before starting web workers)."""
    services = command_services(create_tables=True)
    head = services.app.recorder.max_notification_id() or 0
    click.echo(f"Tables ready in {where(services)} (head position {head}).")
