"""The ``accord`` command: set up storage, manage users, seed data, keep views current, audit, and serve.

Each command builds the same services as a web worker (``bootstrap.create_app``), for its own run only.
"""

from __future__ import annotations

import click

from bootstrap.cli import audit, clock, mail, seed, serve, store, users, views


@click.group(help="Accord: the system of record for international agreements.\n\n"
                  "Storage follows the eventsourcing library's variables: SQLite at var/accord.db by default "
                  "(SQLITE_DBNAME names another); PostgreSQL with PERSISTENCE_MODULE=eventsourcing.postgres "
                  "and POSTGRES_DBNAME, POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD.")
def main() -> None:
    pass


main.add_command(store.init_db)
main.add_command(users.users)
main.add_command(seed.seed)
main.add_command(views.projections)
main.add_command(audit.audit)
main.add_command(mail.mail)
main.add_command(clock.clock)
main.add_command(serve.serve)
main.add_command(serve.demo)
