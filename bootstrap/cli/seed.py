"""``accord seed``: the demo data and the published participation record, through the real commands."""

from __future__ import annotations

import click

from bootstrap.cli.common import command_services, operator, where
from bootstrap.seed.demo import demo_passwords, seed_demo
from bootstrap.seed.history import load_history


@click.group()
def seed() -> None:
    """Load data through the real commands."""


@seed.command("demo")
def seed_demo_command() -> None:
    """Demo users (fresh passwords and tokens each run) and agreements in every stage; re-running adds no
    agreement."""
    services = command_services(create_tables=True)
    click.echo(f"Seeding demo data into {where(services)}:")
    tokens = seed_demo(services.agreements, services.access, operator(), say=click.echo)
    passwords = demo_passwords(services.signin, operator())
    roles = services.access.users_by_name()
    click.echo("\nDemo tokens (send as 'Authorization: Bearer <token>'):")
    for name, token in tokens.items():
        click.echo(f"  {name:7} {roles[name].role:14} {token}")
    click.echo("\nDemo passwords (sign in to the pages in a browser):")
    for name, password in passwords.items():
        click.echo(f"  {name:7} {roles[name].role:14} password: {password}")


@seed.command("history")
def seed_history_command() -> None:
    """The published participation record (every status period since 1954, with its sources), recorded as
    imported facts; re-running adds nothing, a changed entry is recorded as a revision."""
    services = command_services(create_tables=True)
    click.echo(f"Loading the participation record into {where(services)}:")
    report = load_history(services.records, say=click.echo)
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(report.outcomes.items()))
    click.echo(f"Loaded {len(report.loaded)} periods ({counts}); skipped {len(report.skipped)}.")
