"""What every ``accord`` command needs: the services for one run, the operator, and where storage is."""

from __future__ import annotations

import getpass
import os

import click

from bootstrap import create_app
from bootstrap.services import Services
from domain.values import Actor, Role
from storage.settings import UnsafeSettingsError


def command_services(create_tables: bool = False) -> Services:
    """The services for one command, closed (connections and all) when the command ends."""
    try:
        app = create_app({"CREATE_TABLES": create_tables, "PROJECTIONS_IN_PROCESS": False})
    except UnsafeSettingsError as error:
        raise click.ClickException(f"refusing to start: {error}") from None
    services = app.extensions["accord"]
    click.get_current_context().call_on_close(services.close)
    return services


def operator() -> Actor:
    """The person at the terminal, recorded as an admin acting through the CLI."""
    return Actor(name=f"{getpass.getuser()}@cli", role=Role.ADMIN)


def where(services: Services) -> str:
    storage = services.storage
    if services.backend == "sqlite":
        return f"SQLite file {os.path.abspath(storage['SQLITE_DBNAME'])}"
    return f"PostgreSQL database {storage.get('POSTGRES_DBNAME')} on {storage.get('POSTGRES_HOST')}"
