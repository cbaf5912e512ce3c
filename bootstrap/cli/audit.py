"""``accord audit``: verify the stored log, export it, import an export."""

from __future__ import annotations

import json
import sys

import click

from bootstrap.cli.common import command_services
from storage.archive import ImportRefusedError


@click.group()
def audit() -> None:
    """Verify the stored log, export it, import an export."""


@audit.command("verify")
@click.option("--position", type=int, help="prove the log up to this position against --hash")
@click.option("--hash", "digest", help="a head_hash saved from an earlier verification")
def audit_verify(position: int | None, digest: str | None) -> None:
    """Recompute every hash and both chains; exit status 1 on any problem. Prints the digest to save."""
    if (position is None) != (digest is None):
        raise click.UsageError("give both --position and --hash, or neither")
    services = command_services()
    head = services.app.recorder.max_notification_id() or 0
    with click.progressbar(length=head, label="verifying", file=sys.stderr) as bar:
        result = (services.audit.prove(position, digest) if position is not None and digest is not None
                  else services.audit.verify(progress=bar.update))
    for p in result.problems:
        click.echo(f"problem at position {p.position} ({p.aggregate_id or '-'} v{p.version or '-'}): {p.problem}")
    click.echo(json.dumps({"ok": result.ok, "events_checked": result.events_checked,
                           "head_position": result.head_position, "head_hash": result.head_hash}))
    sys.exit(0 if result.ok else 1)


@audit.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
def audit_export(file: str) -> None:
    """Write the whole store to FILE as JSON Lines (- for standard output)."""
    services = command_services()
    head = services.app.recorder.max_notification_id() or 0
    count = 0
    with click.open_file(file, "w", encoding="utf-8") as out, \
            click.progressbar(length=head, label="exporting", file=sys.stderr) as bar:
        for line in services.audit.export_lines():
            out.write(line)
            count += 1
            if count % 1000 == 0:
                bar.update(1000)
    click.echo(f"exported {count} events to {file}", err=True)


@audit.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def audit_import(file: str) -> None:
    """Load an export into an EMPTY store, verifying it as it goes, then rebuild the views."""
    services = command_services(create_tables=True)
    try:
        with click.open_file(file, encoding="utf-8") as lines:
            count, head_hash = services.audit.import_lines(lines)
    except ImportRefusedError as error:
        raise click.ClickException(str(error)) from None
    engine = services.projections
    engine.rebuild(list(engine.views))
    click.echo(f"imported {count} events; head digest {head_hash}; views rebuilt")
