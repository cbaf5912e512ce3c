"""Backups taken during a write load restore to a log that proves itself against the original (issue 8, item 11).

PostgreSQL: ``pg_dump -n <schema>`` of the event store's schema while gunicorn serves keyed writers and
``accord projections run`` keeps the views current; ``pg_restore`` into a fresh database. SQLite: the online
backup API (``sqlite3.Connection.backup``) of the live file while gunicorn (views in-process) serves writers.

For the restored copy, with H its head position:
- ``storage.audit.verify`` passes on the whole restored log, and its digest equals the original log's digest up
  to H (``accord audit verify --position H --hash <original digest>`` on the restored store exits 0);
- the views restored from the backup, brought up to date from the restored log, equal the views after
  ``accord projections rebuild``; and they hold exactly what the original's views hold for the events up to H
  (journal rows up to H; agreement rows not changed after H).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serving.server import (
    KeyedWriter,
    Server,
    clean_env,
    gunicorn,
    new_run_id,
    pg_bin,
    prepare_storage,
    projection_runner,
    reconcile,
    run_cli,
    stored_keys,
)
from tests.storage.stores import PG, pg_connect

pytestmark = pytest.mark.slow

WRITERS = 4
LOAD_BEFORE, LOAD_AFTER = 2.0, 1.0  # seconds of load before the backup starts and after it ends
VIEW_TABLES = {  # table -> the columns that order its rows
    "agreement_list": "id", "agreement_parties": "agreement_id, name", "enlargement_list": "id",
    "participation": "source_id, source_type", "participation_parties": "source_id, party_key",
    "journal": "position",
}


def services_on(storage: dict[str, str]) -> Any:
    from bootstrap.services import Services
    from storage.settings import storage_env

    return Services(storage_env({}, {**storage, "CREATE_TABLE": "n"}))


@contextlib.contextmanager
def opened(storage: dict[str, str]) -> Iterator[Any]:
    services = services_on(storage)
    try:
        yield services
    finally:
        services.close()


def snapshot(services: Any) -> dict[str, list[tuple]]:
    """Every view table's rows (sorted), and the views' tracking positions."""
    tables = {}
    for table, order in VIEW_TABLES.items():
        rows = services.db.query(f"SELECT * FROM {table} ORDER BY {order}")
        tables[table] = [tuple(sorted(dict(r).items())) for r in rows]
    tables["accord_tracking"] = sorted((r["view"], int(r["position"])) for r in services.db.query(
        "SELECT view, position FROM accord_tracking"))
    return tables


def digest_up_to(storage: dict[str, str], position: int) -> str:
    from storage.audit import verify

    with opened(storage) as services:
        result = verify(services.app.recorder, up_to=position)
        assert result.ok, result.problems
        assert result.head_position == position, (result.head_position, position)
        return result.head_hash


def write_load(server: Server, backup: Any) -> tuple[Any, list]:
    """Keyed writers before, during and after ``backup()``; returns what backup() returned and the requests."""
    stop = threading.Event()
    writers = [KeyedWriter(server, new_run_id(), n, stop, max_requests=5000, think=0.01) for n in range(WRITERS)]
    for w in writers:
        w.start()
    try:
        time.sleep(LOAD_BEFORE)
        before = sum(len(w.requests) for w in writers)
        result = backup()
        during = sum(len(w.requests) for w in writers) - before
        time.sleep(LOAD_AFTER)
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=60)
    assert not [w.failure for w in writers if w.failure]
    assert during > 0, "no write happened while the backup ran: it proved nothing about a live backup"
    return result, [r for w in writers for r in w.requests]


def check_restored(name: str, original: dict[str, str], restored: dict[str, str], requests: list,
                   seconds: float) -> None:
    from storage.audit import verify

    ledger = reconcile(requests, stored_keys(original)[0])
    assert not ledger.lost and not ledger.duplicated and not ledger.unresolved, ledger

    with opened(restored) as services:
        verification = verify(services.app.recorder)
        head = verification.head_position
        restored_views = snapshot(services)
    original_digest = digest_up_to(original, head)

    # The operator's path: prove the restored log against the digest taken from the original.
    proved = json.loads(run_cli(clean_env(restored), "audit", "verify", "--position", str(head),
                                "--hash", original_digest).strip().splitlines()[-1])

    with opened(restored) as services:
        services.projections.catch_up()  # the restored views, brought up to date from the restored log
        caught_up = snapshot(services)
    run_cli(clean_env(restored), "projections", "rebuild")
    with opened(restored) as services:
        rebuilt = snapshot(services)
    with opened(original) as services:
        services.projections.catch_up()
        original_views = snapshot(services)
        original_head = services.app.recorder.max_notification_id()

    journal_up_to_head = [r for r in original_views["journal"] if dict(r)["position"] <= head]
    agreements_by_id = {dict(r)["id"]: r for r in rebuilt["agreement_list"]}
    unchanged_since = [r for r in original_views["agreement_list"] if dict(r)["position"] <= head]
    mismatched = [dict(r)["id"] for r in unchanged_since if agreements_by_id.get(dict(r)["id"]) != r]
    acknowledged_up_to_head = sum(1 for r in requests if r.acknowledged and r.position <= head)
    restored_positions = dict(restored_views["accord_tracking"])

    print(f"\nbackup restore[{name}]: backup at head {head} of {original_head} ({seconds:.2f} s during "
          f"{ledger.requests} keyed writes), verification ok {verification.ok} ({verification.events_checked} "
          f"events), digest equals the original's up to {head} {verification.head_hash == original_digest}, "
          f"proved {proved['ok']}, views in the backup at {min(restored_positions.values())}..."
          f"{max(restored_positions.values())}, caught up == rebuilt {caught_up == rebuilt}, journal == "
          f"original's up to {head} {rebuilt['journal'] == journal_up_to_head}, {len(mismatched)} agreement rows "
          f"differ, {acknowledged_up_to_head} acknowledged writes in the backup")

    assert verification.ok, verification.problems
    assert head > 0 and original_head > head, (head, original_head)
    assert verification.head_hash == original_digest
    assert proved == {**proved, "ok": True, "head_position": head, "head_hash": original_digest}, proved
    assert caught_up == rebuilt, [t for t in rebuilt if caught_up[t] != rebuilt[t]]
    assert all(p == head for _, p in rebuilt["accord_tracking"]), rebuilt["accord_tracking"]
    assert rebuilt["journal"] == journal_up_to_head
    assert len(rebuilt["journal"]) == verification.events_checked
    assert not mismatched, mismatched
    assert len(rebuilt["agreement_list"]) == len({r.aggregate_id for r in requests if r.kind == "create"
                                                  and r.acknowledged and r.position <= head})


# ---- PostgreSQL -------------------------------------------------------------------------------------

@pytest.fixture
def fresh_database() -> Iterator[str]:
    name = f"accord_restore_{uuid.uuid4().hex[:12]}"
    with pg_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with pg_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_tool(name: str, *args: str) -> None:
    env = clean_env({}, PGPASSWORD=PG["POSTGRES_PASSWORD"]) if PG["POSTGRES_PASSWORD"] else clean_env({})
    result = subprocess.run([pg_bin(name), "-h", PG["POSTGRES_HOST"], "-p", PG["POSTGRES_PORT"], "-U",
                             PG["POSTGRES_USER"], *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("storage", ["postgres"], indirect=True)
def test_pg_dump_during_a_write_load_restores_a_log_that_proves_itself(storage: dict[str, str], tmp_path: Path,
                                                                         fresh_database: str) -> None:
    schema = storage["POSTGRES_SCHEMA"]
    dump = tmp_path / "accord.dump"
    tokens = prepare_storage(storage, {"alice": "ir_officer"})

    def backup() -> float:
        started = time.monotonic()
        pg_tool("pg_dump", "-n", schema, "-Fc", "-f", str(dump), PG["POSTGRES_DBNAME"])
        return time.monotonic() - started

    with gunicorn(storage, tmp_path, tokens) as server, projection_runner(storage, tmp_path):
        seconds, requests = write_load(server, backup)

    # A schema's dump does not carry extensions (database objects): the title index needs pg_trgm (README).
    pg_tool("psql", "-d", fresh_database, "-c", "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    pg_tool("pg_restore", "-d", fresh_database, "--no-owner", str(dump))
    check_restored("postgres", storage, {**storage, "POSTGRES_DBNAME": fresh_database}, requests, seconds)


# ---- SQLite -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("storage", ["sqlite"], indirect=True)
def test_sqlite_online_backup_during_a_write_load_restores_a_log_that_proves_itself(storage: dict[str, str],
                                                                                      tmp_path: Path) -> None:
    copy = tmp_path / "restored" / "accord.db"
    copy.parent.mkdir()
    tokens = prepare_storage(storage, {"alice": "ir_officer"})

    def backup() -> float:
        started = time.monotonic()
        source = sqlite3.connect(storage["SQLITE_DBNAME"], timeout=10, isolation_level=None)
        target = sqlite3.connect(copy)
        try:
            # The snapshot starts with this read transaction; a large database takes a while to copy, and the
            # writers go on meanwhile (this one is small: copying it alone took a few ms, too short to be sure
            # that any write came while it ran).
            source.execute("BEGIN")
            source.execute("SELECT COUNT(*) FROM stored_events").fetchone()
            time.sleep(0.5)
            source.backup(target)  # one step: a consistent snapshot of the live database, WAL included
            source.execute("ROLLBACK")
        finally:
            target.close()
            source.close()
        return time.monotonic() - started

    with gunicorn(storage, tmp_path, tokens) as server:
        seconds, requests = write_load(server, backup)

    check_restored("sqlite", storage, {**storage, "SQLITE_DBNAME": str(copy)}, requests, seconds)
