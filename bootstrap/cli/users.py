"""``accord users``: add, list and revoke users and their bearer tokens; set a password, or invite someone to
set theirs in a browser."""

from __future__ import annotations

import os
import sys

import click

from bootstrap.cli.common import command_services, operator
from bootstrap.config import DEFAULTS
from domain.errors import DomainError
from domain.values import Role
from workflows.errors import WorkflowError


@click.group()
def users() -> None:
    """Manage users, their bearer tokens and their passwords."""


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
        click.echo(f"{u.name:24} {u.role:14} {'active' if u.active else 'revoked':8} tokens: {u.tokens}"
                   + (f"  {u.email}" if u.email else ""))


@users.command("revoke")
@click.argument("name")
def users_revoke(name: str) -> None:
    """Revoke user NAME: every token, session, password and invitation of theirs ends at once."""
    try:
        count = command_services().signin.revoke(operator(), name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Revoked {name} ({count} token{'s' if count != 1 else ''}); their sessions have ended.")


@users.command("set-email")
@click.argument("name")
@click.argument("address", required=False)
@click.option("--remove", is_flag=True, help="take NAME's address away")
def users_set_email(name: str, address: str | None, remove: bool) -> None:
    """Set the address NAME's reminders go to (recorded in the journal); --remove takes it away."""
    if bool(address) == remove:
        raise click.UsageError("give an ADDRESS, or --remove")
    try:
        command_services().access.set_email(operator(), name, None if remove else address)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Reminders for {name} go to {address}." if address else f"{name} has no address of their own now.")


@users.command("set-password")
@click.argument("name")
def users_set_password(name: str) -> None:
    """Set the password with which NAME signs in to the pages: read from standard input when it is not a
    terminal (one line), asked for twice when it is. Their open sessions end."""
    if sys.stdin.isatty():
        password = click.prompt(f"New password for {name}", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    services = command_services()
    try:
        services.signin.set_password(operator(), name, password)
    except (DomainError, WorkflowError) as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Password set for {name}.")


@users.command("invite")
@click.argument("name")
@click.option("--base-url", default=None, help="Where the pages are served (default: ACCORD_BASE_URL, or "
                                                "http://127.0.0.1:8000).")
def users_invite(name: str, base_url: str | None) -> None:
    """Print a one-time link, valid for 72 hours, where NAME sets their password."""
    services = command_services()
    try:
        invitation = services.signin.invite(operator(), name)
    except (DomainError, WorkflowError) as error:
        raise click.ClickException(error.message) from None
    root = (base_url or os.environ.get("ACCORD_BASE_URL") or DEFAULTS["BASE_URL"]).rstrip("/")
    click.echo(f"Invitation for {name}, valid until {invitation.valid_until:%Y-%m-%d %H:%M} UTC, once "
               f"(shown only now):\n{root}/invitations/{invitation.token}")
