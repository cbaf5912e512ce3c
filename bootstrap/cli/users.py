"""``accord users``: add, list and revoke users and their bearer tokens."""

from __future__ import annotations

import click

from bootstrap.cli.common import command_services, operator
from domain.errors import DomainError
from domain.values import Role


@click.group()
def users() -> None:
    """Manage users and their bearer tokens."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The user's one role.")
def users_add(name: str, role: str) -> None:
    """Create user NAME with a new token, printed once (only its hash is stored)."""
    services = command_services()
    try:
        token = services.access.issue_token(operator(), name, Role(role))
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {name} ({role}). Token, shown only now:\n{token}")


@users.command("list")
def users_list() -> None:
    """List users, their role, and whether they are active."""
    rows = command_services().access.users()
    if not rows:
        click.echo("No users yet: accord users add NAME --role ROLE")
    for u in rows:
        click.echo(f"{u.name:24} {u.role:14} {'active' if u.active else 'revoked':8} tokens: {u.tokens}")


@users.command("revoke")
@click.argument("name")
def users_revoke(name: str) -> None:
    """Revoke user NAME and every token they hold."""
    try:
        count = command_services().access.revoke(operator(), name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Revoked {name} ({count} token{'s' if count != 1 else ''}).")
