"""Shared by the projection tests: agreements walked through the command service, a writer that keeps
producing events, ordered digests of the view tables, and projection-runner processes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from random import Random
from typing import Any
from uuid import UUID

from bootstrap.services import Services
from domain.values import Actor, StepContext
from tests.conftest import USERS
from tests.drafts import draft, keep
from tests.storage.stores import process_env

ROOT = Path(__file__).resolve().parents[2]
ACCORD = Path(sys.executable).parent / "accord"
"""The installed console script, exactly what an operator runs."""
ACTORS = {name: Actor(name, role) for name, role in USERS.items()}
ICA = "international_cooperation_agreement"


def sha256_of(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def document(title: str) -> dict[str, str]:
    return draft(title)


def party(name: str, kind: str = "state", country: str | None = None) -> dict[str, Any]:
    return {"name": name, "kind": kind, **({"country": country} if country else {})}


class Walk:
    """One agreement taken through steps by the command service, each step from the version it last saw."""

    def __init__(self, service: Any, by: str, reason: str | None = None, reference: str | None = None,
                 **fields: Any):
        self.service = service
        self.parties = [p["name"] for p in fields["counterparties"]]
        self.outcome = service.create(fields, ACTORS[by], StepContext(reason=reason, reference=reference))

    @property
    def id(self) -> Any:
        return self.outcome.aggregate.id

    @property
    def position(self) -> int:
        return self.outcome.position

    def step(self, by: str, step: str, reason: str | None = None, reference: str | None = None,
             **fields: Any) -> Walk:
        aggregate = self.outcome.aggregate
        keep(self.service, fields)
        self.outcome = self.service.take_step(aggregate.id, step, fields, ACTORS[by], aggregate.version,
                                              StepContext(reason=reason, reference=reference))
        return self

    def cleared(self, title: str = "Draft v1") -> Walk:
        return (self.step("alice", "attach_text", document=document(title))
                .step("alice", "request_legal_review")
                .step("bruno", "complete_legal_review", outcome="cleared"))

    def to_negotiation(self, reference: str | None = None) -> Walk:
        return self.cleared().step("alice", "open_negotiation", reference=reference)

    def to_signature(self) -> Walk:
        return self.to_negotiation().step("dmitri", "finalise_text")

    def sign(self, *parties: str) -> Walk:
        for name in parties:
            self.step("bruno", "record_signature", party=name, signatory=f"Signatory of {name}",
                      signed_on="2024-11-20")
        return self

    def to_force(self, effective_on: str = "2024-12-01") -> Walk:
        return self.to_signature().sign("CERN", *self.parties).step("carla", "enter_into_force",
                                                                     effective_on=effective_on)


def lifecycle(number: int, parties: list[str], rounds: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(user, step, fields) from drafting to a terminated agreement, with many repeatable steps on the way."""
    yield "alice", "attach_text", {"document": document(f"Text of agreement {number}")}
    yield "alice", "request_legal_review", {}
    yield "bruno", "complete_legal_review", {"outcome": "cleared"}
    yield "alice", "open_negotiation", {}
    for i in range(rounds):
        yield "alice", "record_round", {"held_on": "2024-09-12", "summary": f"Round {i + 1}"}
    yield "dmitri", "finalise_text", {}
    for name in ("CERN", *parties):
        yield "bruno", "record_signature", {"party": name, "signatory": "Signatory", "signed_on": "2024-11-20"}
    yield "carla", "enter_into_force", {"effective_on": "2024-12-01"}
    for i in range(1, 7):
        yield "alice", "record_milestone", {"on": "2025-01-01", "summary": f"Milestone {i}"}
        yield "carla", "suspend", {"effective_on": "2025-02-01"}
        yield "carla", "resume", {"effective_on": "2025-02-01"}
        yield "bruno", "correct", {"field": "title", "value": f"Agreement {number}, revision {i}"}
    yield "carla", "terminate", {"effective_on": "2025-03-01"}


class Writer:
    """Writes events through the command service: new agreements and steps on the open ones, mixed at random.

    ``write(n)`` records exactly n events unless ``stop`` is set; an error is kept in ``error`` (for threads).
    """

    COUNTRIES = ("CL", "MN", "SE", "KE", "PT", "JP", "DE", "CH")

    def __init__(self, service: Any, rng: Random, max_open: int = 8):
        self.service, self.rng, self.max_open = service, rng, max_open
        self.open: list[tuple[Walk, Iterator[tuple[str, str, dict[str, Any]]]]] = []
        self.walks: list[Walk] = []
        self.events = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def write(self, n: int, pause: float = 0.0) -> None:
        try:
            for _ in range(n):
                if self.stop.wait(pause) if pause else self.stop.is_set():
                    return
                self._one()
                self.events += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test that started the thread
            self.error = error
            raise

    def _one(self) -> None:
        if not self.open or (len(self.open) < self.max_open and self.rng.random() < 0.1):
            number = len(self.walks) + 1
            parties = [party(f"Party {number}-{i}", "state", self.rng.choice(self.COUNTRIES))
                       for i in range(self.rng.randint(1, 2))]
            walk = Walk(self.service, "alice", title=f"Agreement {number}", kind=ICA, counterparties=parties,
                        expires_on=f"20{30 + number % 60}-06-30")
            self.walks.append(walk)
            self.open.append((walk, lifecycle(number, walk.parties, self.rng.randint(1, 6))))
            return
        index = self.rng.randrange(len(self.open))
        walk, steps = self.open[index]
        user, step, fields = next(steps)
        walk.step(user, step, **fields)
        if walk.outcome.aggregate.stage.value == "closed":
            self.open.pop(index)

    def thread(self, n: int, pause: float = 0.0) -> threading.Thread:
        """``write(n, pause)`` in a background thread, pausing ``pause`` seconds before each event."""
        thread = threading.Thread(target=self.write, args=(n, pause), name="writer", daemon=True)
        thread.start()
        return thread


# ---- the views, read back -------------------------------------------------------------------------

def view_tables(services: Any) -> list[str]:
    """Every table of every view of the deployment (agreement_list, agreement_parties, journal, ...)."""
    return [table for view in services.projections.views.values() for table in view.tables]


def snapshot(db: Any, table: str) -> list[list[Any]]:
    """Every row of a view table, every column, ordered by its columns in table order: for agreement_list,
    agreement_parties and journal that is by primary key."""
    rows = [list(dict(row).values()) for row in db.query(f"SELECT * FROM {table}")]
    rows.sort(key=lambda row: [(v is None, 0 if v is None else v) for v in row])
    return [[None if v is None else str(v) for v in row] for row in rows]


def snapshots(services: Any) -> dict[str, list[list[Any]]]:
    return {table: snapshot(services.db, table) for table in view_tables(services)}


def digests(services: Any) -> dict[str, str]:
    """sha256 of each view table's ordered rows."""
    return {table: hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()
            for table, rows in snapshots(services).items()}


def log_positions(services: Any) -> list[int]:
    """The position of every event in the global log, read from the store in pages."""
    positions: list[int] = []
    start = 0
    while True:
        page = services.app.recorder.select_notifications(start=start, limit=500, inclusive_of_start=False)
        if not page:
            return positions
        positions.extend(n.id for n in page)
        start = page[-1].id


def journal_positions(db: Any) -> list[int]:
    return [int(r["position"]) for r in db.query("SELECT position FROM journal ORDER BY position")]


def count_once(log: list[int], journal: list[int]) -> tuple[int, int]:
    """(duplicates, missing) of the journal against the log: extra or repeated rows, and events with no row."""
    duplicates = (len(journal) - len(set(journal))) + len(set(journal) - set(log))
    missing = len(set(log) - set(journal))
    return duplicates, missing


def assert_rows_match_aggregates(services: Any) -> int:
    """Each agreement_list row agrees with its aggregate: version, stage, status, signatures; returns the count."""
    rows = services.db.query("SELECT id, version, stage, status, title, parties_signed, parties_total "
                             "FROM agreement_list ORDER BY id")
    for row in rows:
        agreement = services.agreements.get(UUID(row["id"]))
        assert (row["version"], row["stage"], row["status"], row["title"]) == (
            agreement.version, agreement.stage.value, agreement.status.value, agreement.title), row["id"]
        assert row["parties_signed"] == len(agreement.signatures), row["id"]
        assert row["parties_total"] == len(agreement.counterparties) + 1, row["id"]
    return len(rows)


def second_services(services: Any) -> Services:
    """Another process's worth of services on the same store (own application, connections and views), built
    exactly as bootstrap/services.py builds them; it creates no tables."""
    return Services({**services.storage, "CREATE_TABLE": "n"}, pool_size=2)


def wait_until(condition: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def caught_up(services: Any) -> bool:
    head = services.projections.head()
    return all(p == head for p in services.projections.positions().values())


# ---- runner processes -----------------------------------------------------------------------------

def runner_env(storage: dict[str, str]) -> dict[str, str]:
    """The environment of a runner process on the test's store, creating no tables."""
    return process_env(storage, CREATE_TABLE="n", PYTHONUNBUFFERED="1")


class Runner:
    """``accord projections run`` as a real child process; its output is collected."""

    STARTED = "projection runner: views"

    def __init__(self, storage: dict[str, str], *args: str):
        self.process = subprocess.Popen(
            [str(ACCORD), "projections", "run", "--poll", "0.05", *args], cwd=ROOT, env=runner_env(storage),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self.started = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith(self.STARTED):
                self.started.set()
        self.started.set()  # the process ended: stop waiting

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_started(self, timeout: float = 30) -> bool:
        """True once the runner announced itself and still runs."""
        self.started.wait(timeout)
        return self.process.poll() is None and any(line.startswith(self.STARTED) for line in self.lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()  # SIGKILL: no clean-up, no atexit, no rollback by the process itself
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM, then the exit status."""
        self.process.terminate()
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code
