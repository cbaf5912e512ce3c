"""``accord audit``: verify the stored log, export it, import an export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bootstrap.cli.common import command_services
from storage import evidence
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
@click.option("--with-documents", "documents", type=click.Path(file_okay=False, writable=True),
              help="also write every document the events reference into this folder (DIR/<sha256>, with "
                   "DIR/documents.jsonl), e.g. a folder named documents beside FILE")
def audit_export(file: str, documents: str | None) -> None:
    """Write the whole store to FILE as JSON Lines (- for standard output), and with --with-documents the
    documents it references. Exit status 1 when a document an event is bound to is missing."""
    services = command_services()
    head = services.app.recorder.max_notification_id() or 0
    count = 0
    referenced: dict[str, tuple[int, str, bool]] = {}
    with click.open_file(file, "w", encoding="utf-8") as out, \
            click.progressbar(length=head, label="exporting", file=sys.stderr) as bar:
        for line in services.audit.export_lines():
            out.write(line)
            if documents is not None:
                for sha256, at in evidence.referenced_in([line]).items():
                    first = referenced.setdefault(sha256, at)
                    referenced[sha256] = (first[0], first[1], first[2] or at[2])
            count += 1
            if count % 1000 == 0:
                bar.update(1000)
    click.echo(f"exported {count} events to {file}", err=True)
    if documents is None:
        return
    written, missing = evidence.write_documents(services.vault, Path(documents), referenced)
    click.echo(f"wrote {written} documents to {documents}", err=True)
    lost = [sha256 for sha256 in missing if referenced[sha256][2]]
    for sha256 in lost:
        click.echo(f"problem: document {sha256} (referenced at position {referenced[sha256][0]}) is missing from "
                   "the vault", err=True)
    if lost:
        sys.exit(1)


@audit.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--with-documents", "documents", type=click.Path(exists=True, file_okay=False),
              help="also load the documents of an export's folder (from export --with-documents), byte for byte")
def audit_import(file: str, documents: str | None) -> None:
    """Load an export into an EMPTY store, verifying it as it goes, then rebuild the views; with
    --with-documents, the documents too (each checked against its sha256 and size)."""
    services = command_services(create_tables=True)
    try:
        if documents is not None:
            stored = evidence.read_documents(services.vault, Path(documents))
            click.echo(f"loaded {stored} documents from {documents}", err=True)
        with click.open_file(file, encoding="utf-8") as lines:
            count, head_hash = services.audit.import_lines(lines)
        with click.open_file(file, encoding="utf-8") as lines:  # who may read each document: its references
            for sha256, (_, aggregate, _) in evidence.referenced_in(lines).items():
                services.vault.reference(sha256, aggregate)
    except (ImportRefusedError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    engine = services.projections
    engine.rebuild(list(engine.views))
    click.echo(f"imported {count} events; head digest {head_hash}; views rebuilt")
