"""Shared helpers for the benchmarks: fresh stores, realistic events, timing, progress and tables.

Events are made by the real domain commands of ``CooperationAgreement`` (and the real access service for
tokens), so they have their real topics, fields and sizes; they are only saved more cheaply than through
the command service, several aggregates per ``app.save(*aggregates)`` call (one transaction each).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from api.services import Services
from domain.agreement import CooperationAgreement
from domain.values import (
    ORGANISATION,
    Actor,
    AgreementKind,
    Counterparty,
    Document,
    PartyKind,
    ReviewOutcome,
    Role,
    StepContext,
)
from workflows.application import storage_env

BACKENDS = ("sqlite", "postgres")

PG = {
    "POSTGRES_DBNAME": os.environ.get("ACCORD_BENCH_POSTGRES_DBNAME", "test"),
    "POSTGRES_HOST": os.environ.get("ACCORD_BENCH_POSTGRES_HOST", "127.0.0.1"),
    "POSTGRES_PORT": os.environ.get("ACCORD_BENCH_POSTGRES_PORT", "5432"),
    "POSTGRES_USER": os.environ.get("ACCORD_BENCH_POSTGRES_USER", "postgres"),
    "POSTGRES_PASSWORD": os.environ.get("ACCORD_BENCH_POSTGRES_PASSWORD", ""),
}


# ---- output ----------------------------------------------------------------------------------------


def say(message: str) -> None:
    """A line of progress on stderr (stdout carries only the results)."""
    print(message, file=sys.stderr, flush=True)


class Progress:
    """``label: done/total (rate/s)`` on stderr, redrawn in place on a terminal, else a line every few seconds."""

    def __init__(self, label: str, total: int, every: float | None = None):
        self.label, self.total, self.done = label, total, 0
        self.tty = sys.stderr.isatty()
        self.every = every if every is not None else (0.2 if self.tty else 5.0)
        self.started = self.shown = time.perf_counter()

    def update(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self.shown >= self.every:
            self.shown = now
            self._show(end="" if self.tty else "\n")

    def close(self) -> None:
        self._show(end="\n")

    def _show(self, end: str) -> None:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        prefix = "\r" if self.tty else ""
        print(f"{prefix}  {self.label}: {self.done:,}/{self.total:,} ({rate:,.0f}/s, {elapsed:.1f} s)",
              end=end, file=sys.stderr, flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_numeric(r[i]) for r in cells[1:]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True))

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *(line(r) for r in cells[1:])])


def _numeric(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "").replace("x", "").replace("-", "").replace(
        " ", "").replace("MiB", "").replace("ms", "").isdigit()


def mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


# ---- stores ----------------------------------------------------------------------------------------


def pg_connect() -> Any:
    import psycopg

    return psycopg.connect(
        dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=PG["POSTGRES_PORT"],
        user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"] or None, autocommit=True, connect_timeout=5,
    )


@contextmanager
def fresh_store(backend: str, label: str, keep: bool = False) -> Iterator[dict[str, str]]:
    """The storage settings of a new, empty event store: a temporary SQLite file, or a new PostgreSQL schema.

    Both are removed afterwards (unless ``keep``).
    """
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix=f"accord-bench-{label}-")
        try:
            yield storage_env({}, {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                   "SQLITE_DBNAME": os.path.join(directory, "accord.db")})
        finally:
            if keep:
                say(f"  kept {directory}")
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r}")
    schema = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    with pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield storage_env({}, {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_SCHEMA": schema, **PG})
    finally:
        if keep:
            say(f"  kept schema {schema}")
        else:
            with pg_connect() as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def open_services(storage: dict[str, str]) -> Iterator[Services]:
    """The Accord application, read-model database and projections on a store, with every table created."""
    services = Services(storage)
    try:
        services.create_tables()
        yield services
    finally:
        services.close()


def backend_version(services: Services) -> str:
    if services.backend == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    [row] = services.db.query("SHOW server_version")
    return f"PostgreSQL {row['server_version']}, psycopg {psycopg.__version__} ({psycopg.pq.__impl__})"


# ---- realistic agreements --------------------------------------------------------------------------

IR_OFFICERS = tuple(Actor(n, Role.IR_OFFICER) for n in ("alice", "dmitri", "ines", "omar", "sofia"))
LEGAL_OFFICERS = tuple(Actor(n, Role.LEGAL_OFFICER) for n in ("bruno", "carla", "lena"))
ADMIN = Actor("gwen", Role.ADMIN)

# (ISO code, name of the state, weight): member and associate member states weigh more.
COUNTRIES = (
    ("CH", "Swiss Confederation", 6), ("FR", "French Republic", 6), ("DE", "Federal Republic of Germany", 6),
    ("IT", "Italian Republic", 5), ("ES", "Kingdom of Spain", 4), ("GB", "United Kingdom", 5),
    ("NL", "Kingdom of the Netherlands", 3), ("BE", "Kingdom of Belgium", 3), ("PL", "Republic of Poland", 3),
    ("PT", "Portuguese Republic", 2), ("SE", "Kingdom of Sweden", 2), ("AT", "Republic of Austria", 2),
    ("NO", "Kingdom of Norway", 2), ("FI", "Republic of Finland", 2), ("DK", "Kingdom of Denmark", 2),
    ("GR", "Hellenic Republic", 2), ("CZ", "Czech Republic", 2), ("HU", "Hungary", 2), ("SK", "Slovak Republic", 1),
    ("BG", "Republic of Bulgaria", 1), ("RS", "Republic of Serbia", 1), ("IL", "State of Israel", 2),
    ("US", "United States of America", 5), ("JP", "Japan", 3), ("IN", "Republic of India", 3),
    ("CN", "People's Republic of China", 3), ("BR", "Federative Republic of Brazil", 2),
    ("CL", "Republic of Chile", 3), ("MX", "United Mexican States", 2), ("AR", "Argentine Republic", 1),
    ("ZA", "Republic of South Africa", 2), ("KE", "Republic of Kenya", 1), ("MN", "Mongolia", 1),
    ("KR", "Republic of Korea", 2), ("AU", "Commonwealth of Australia", 2), ("CA", "Canada", 2),
    ("UA", "Ukraine", 1), ("TR", "Republic of Türkiye", 1), ("PK", "Islamic Republic of Pakistan", 1),
    ("LT", "Republic of Lithuania", 1), ("SI", "Republic of Slovenia", 1), ("EE", "Republic of Estonia", 1),
)
INSTITUTE_FORMS = ("University of", "National Institute for Nuclear Physics of", "Institute of Physics,",
                   "Polytechnic University of", "Centre for Accelerator Science,", "Academy of Sciences of",
                   "Laboratory for High Energy Physics,")
CITIES = ("North", "South", "East", "West", "Central", "Capital", "Coast", "Highlands", "Valley", "Lakes")
ORGANISATIONS = (("European Spallation Source ERIC", "SE"), ("European Southern Observatory", "DE"),
                 ("ITER Organization", "FR"), ("ESA", "FR"), ("EMBL", "DE"), ("SESAME", None), ("JINR", None),
                 ("European XFEL", "DE"), ("GSI Helmholtzzentrum", "DE"), ("UNESCO", "FR"), ("WHO", "CH"),
                 ("Fermi National Accelerator Laboratory", "US"), ("KEK", "JP"), ("DESY", "DE"))
TOPICS = ("accelerator R&D", "detector development", "computing and the Worldwide LHC Computing Grid",
          "training of young scientists", "the CMS experiment", "the ATLAS experiment", "the ALICE experiment",
          "the LHCb experiment", "technology transfer", "medical applications", "knowledge exchange",
          "superconducting magnets", "radiation protection", "open science", "education and outreach",
          "vacuum technology", "cryogenics", "data preservation", "the High-Luminosity LHC", "neutrino physics")
KIND_WEIGHTS = {
    AgreementKind.INTERNATIONAL_COOPERATION_AGREEMENT: 10, AgreementKind.PROTOCOL: 25,
    AgreementKind.MEMORANDUM_OF_UNDERSTANDING: 30, AgreementKind.FRAMEWORK_AGREEMENT: 10,
    AgreementKind.COLLABORATION_AGREEMENT: 20, AgreementKind.OTHER: 5,
}
KIND_TITLES = {
    AgreementKind.INTERNATIONAL_COOPERATION_AGREEMENT: "International Co-operation Agreement",
    AgreementKind.PROTOCOL: "Protocol", AgreementKind.MEMORANDUM_OF_UNDERSTANDING: "Memorandum of Understanding",
    AgreementKind.FRAMEWORK_AGREEMENT: "Framework Agreement",
    AgreementKind.COLLABORATION_AGREEMENT: "Collaboration Agreement", AgreementKind.OTHER: "Agreement",
}
REASONS = ("Requested by the counterparty.", "Follow-up of the Council decision.", "As agreed in the last round.",
           "Legal comments addressed.", "See the minutes of the joint committee.", None, None, None)
# Where an agreement's story has got to when the log ends (its fate), and how often.
FATES = {"drafting": 12, "withdrawn": 8, "negotiation": 15, "signature": 10, "implementation": 40, "closed": 15}


class Agreements:
    """Makes realistic agreements with the real domain commands; every ``next()`` of a story adds one event."""

    def __init__(self, seed: int = 1):
        self.rng = random.Random(seed)
        self.today = date.today()
        self._countries = [c[:2] for c in COUNTRIES]
        self._country_weights = [c[2] for c in COUNTRIES]

    # ---- values ----------------------------------------------------------------------------------

    def context(self) -> StepContext:
        rng = self.rng
        key = uuid.UUID(int=rng.getrandbits(128)).hex if rng.random() < 0.7 else None
        return StepContext(
            reason=rng.choice(REASONS),
            reference=f"IR-{rng.randint(2012, 2025)}-{rng.randint(1, 999):03d}" if rng.random() < 0.3 else None,
            idempotency_key=key,
            request_digest=hashlib.sha256(key.encode()).hexdigest() if key else None,
        )

    def counterparties(self) -> tuple[Counterparty, ...]:
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), weights=(70, 20, 7, 3))[0]
        parties: dict[str, Counterparty] = {}
        while len(parties) < count:
            roll = rng.random()
            if roll < 0.35:
                code, name = rng.choices(self._countries, weights=self._country_weights)[0]
                party = Counterparty(name, PartyKind.STATE, code)
            elif roll < 0.8:
                code, name = rng.choices(self._countries, weights=self._country_weights)[0]
                short = name.split(" of ")[-1].split(" ")[-1]
                party = Counterparty(f"{rng.choice(INSTITUTE_FORMS)} {short} {rng.choice(CITIES)}",
                                     PartyKind.INSTITUTE, code)
            else:
                name, code = rng.choice(ORGANISATIONS)
                party = Counterparty(name, PartyKind.ORGANISATION, code)
            parties.setdefault(party.name.casefold(), party)
        return tuple(parties.values())

    def title(self, kind: AgreementKind, parties: Sequence[Counterparty]) -> str:
        names = " and ".join(p.name for p in parties)
        title = f"{KIND_TITLES[kind]} between CERN and {names}"
        if self.rng.random() < 0.7:
            title += f" on {self.rng.choice(TOPICS)}"
        return title

    def document(self, label: str, version: int) -> Document:
        sha = hashlib.sha256(f"{label}:{version}:{self.rng.random()}".encode()).hexdigest()
        uri = f"https://edms.invalid/document/{self.rng.randint(10**6, 10**7)}" if self.rng.random() < 0.5 else None
        return Document(title=f"{label} draft v{version}", sha256=sha, media_type="application/pdf", uri=uri)

    def start(self, expires_on: date | None = None, parent_id: Any = None) -> CooperationAgreement:
        """A new agreement in drafting (one Created event)."""
        rng = self.rng
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        parties = self.counterparties()
        return CooperationAgreement.start(
            by=rng.choice(IR_OFFICERS), context=self.context(), title=self.title(kind, parties), kind=kind,
            counterparties=parties, workflow_version=1,
            summary="Scientific and technical co-operation in high-energy physics." if rng.random() < 0.5 else None,
            parent_id=parent_id, expires_on=expires_on,
        )

    # ---- a whole story, one event per step -------------------------------------------------------

    def story(self) -> Iterator[CooperationAgreement]:
        """Create an agreement and take it, one step per ``next()``, to a fate drawn from ``FATES``."""
        rng = self.rng
        fate = rng.choices(list(FATES), weights=list(FATES.values()))[0]
        day = date(2010, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))

        def later(most: int = 60) -> date:
            nonlocal day
            day += timedelta(days=rng.randint(1, most))
            return day

        expires_on = None
        if rng.random() < 0.6 or fate == "closed":
            expires_on = day + timedelta(days=rng.randint(3 * 365, 12 * 365))
        a = self.start(expires_on=expires_on)
        yield a
        ir, legal = rng.choice(IR_OFFICERS), rng.choice(LEGAL_OFFICERS)
        label = f"{a.kind.value.replace('_', ' ').capitalize()} {str(a.id)[:8]}"
        texts = 0

        def clearance(stop_after: int | None = None) -> Iterator[CooperationAgreement]:
            """Attach a text and have it reviewed until cleared (changes requested ~30% of the time)."""
            nonlocal texts
            taken = 0
            while True:
                texts += 1
                attacher = rng.choice((ir, ir, legal))
                reviewer = rng.choice([x for x in LEGAL_OFFICERS if x.name != attacher.name])
                for step in ("attach", "request", "complete"):
                    if stop_after is not None and taken >= stop_after:
                        return
                    taken += 1
                    if step == "attach":
                        a.attach_text(by=attacher, context=self.context(), document=self.document(label, texts))
                    elif step == "request":
                        a.request_legal_review(by=ir, context=self.context())
                    else:
                        changes = rng.random() < 0.3
                        a.complete_legal_review(
                            by=reviewer, context=self.context(),
                            outcome=ReviewOutcome.CHANGES_REQUESTED if changes else ReviewOutcome.CLEARED,
                            comments="See the marked-up text." if changes else None)
                    yield a
                if a.is_cleared:
                    return

        def maybe_correct() -> Iterator[CooperationAgreement]:
            if rng.random() < 0.05:
                a.correct(by=legal, context=self.context(), field="title", value=a.title + " (corrected)")
                yield a

        if fate == "drafting":
            yield from clearance(stop_after=rng.randint(0, 3))
            return
        if fate == "withdrawn":
            yield from clearance(stop_after=rng.randint(0, 4))
            if rng.random() < 0.4 and a.is_cleared:
                a.open_negotiation(by=ir, context=self.context())
                yield a
            a.withdraw(by=ir, context=self.context())
            yield a
            return
        yield from clearance()
        a.open_negotiation(by=ir, context=self.context())
        yield a
        for _ in range(rng.randint(1, 4)):
            a.record_round(by=ir, context=self.context(), held_on=later(90),
                           summary=f"Round {len(a.rounds) + 1}: articles {rng.randint(1, 9)} to {rng.randint(10, 20)}.")
            yield a
        if rng.random() < 0.2:
            yield from clearance()
        yield from maybe_correct()
        if fate == "negotiation":
            return
        a.finalise_text(by=ir, context=self.context())
        yield a
        unsigned = list(a.unsigned_parties)
        signing = unsigned if fate != "signature" else unsigned[:rng.randint(0, len(unsigned) - 1)]
        for party in signing:
            a.record_signature(by=rng.choice((ir, legal)), context=self.context(), party=party,
                               signatory="Director-General" if party == ORGANISATION else "Minister",
                               signed_on=later(30), place=rng.choice(("Geneva", None)))
            yield a
        if fate == "signature":
            return
        a.enter_into_force(by=legal, context=self.context(), effective_on=later(30))
        yield a
        for _ in range(rng.choices((0, 1, 2, 3, 4, 6), weights=(15, 25, 25, 15, 10, 10))[0]):
            a.record_milestone(by=ir, context=self.context(), on=later(120), summary="Joint committee met.")
            yield a
        if rng.random() < 0.1:
            a.suspend(by=legal, context=self.context(), effective_on=later())
            yield a
            a.resume(by=legal, context=self.context(), effective_on=later(200))
            yield a
        if a.expires_on is not None and rng.random() < 0.15:
            a.renew(by=legal, context=self.context(), expires_on=a.expires_on + timedelta(days=5 * 365))
            yield a
        yield from maybe_correct()
        if fate == "closed":
            if a.expires_on is not None and a.expires_on < self.today and rng.random() < 0.5:
                a.expire(by=legal, context=self.context(), today=self.today)
            else:
                a.terminate(by=legal, context=self.context(), effective_on=later())
            yield a


class LogWriter:
    """Writes a realistic global log: many agreements in flight at once, their steps interleaved.

    Each round advances ``per_save`` distinct agreements by one step and saves them in one ``app.save``
    call; now and then an administrator issues a user a token (through the real access service).
    ``write_until(n)`` stops at exactly ``n`` events, and can be called again to go on.
    """

    def __init__(self, services: Services, seed: int = 1, in_flight: int = 2000, per_save: int = 200,
                 token_every: int = 2500):
        self.services = services
        self.app = services.app
        self.maker = Agreements(seed)
        self.rng = random.Random(seed + 1)
        self.in_flight, self.per_save, self.token_every = in_flight, per_save, token_every
        self.active: list[Iterator[CooperationAgreement]] = []
        self.written = self.app.recorder.max_notification_id() or 0
        self.agreements = 0
        self.tokens = 0
        self._next_token = token_every

    def write_until(self, total: int, progress: Progress | None = None) -> None:
        while self.written < total:
            remaining = total - self.written
            if self.written >= self._next_token and remaining >= 3:
                self._issue_token(progress)
                continue
            while len(self.active) < self.in_flight:
                self.active.append(self.maker.story())
                self.agreements += 1
            chosen = sorted(self.rng.sample(range(len(self.active)), min(self.per_save, remaining)), reverse=True)
            batch = []
            for index in chosen:
                try:
                    batch.append(next(self.active[index]))
                except StopIteration:
                    self.active[index] = self.active[-1]
                    self.active.pop()
            if batch:
                self.app.save(*batch)
                self.written += len(batch)
                if progress:
                    progress.update(len(batch))

    def _issue_token(self, progress: Progress | None) -> None:
        self.tokens += 1
        role = self.rng.choice((Role.IR_OFFICER, Role.LEGAL_OFFICER, Role.AUDITOR, Role.MANAGEMENT))
        self.services.access.issue_token(ADMIN, f"user{self.tokens:04d}", role)
        head = self.app.recorder.max_notification_id() or 0
        if progress:
            progress.update(head - self.written)
        self.written = head
        self._next_token += self.token_every


def write_agreement_list(services: Services, count: int, seed: int = 7, per_save: int = 500,
                         withdrawn_share: float = 0.2, progress: Progress | None = None) -> int:
    """``count`` agreements, mostly just created (drafting), ``withdrawn_share`` of them withdrawn (closed).

    Returns the number of events written.
    """
    maker = Agreements(seed)
    rng = maker.rng
    written = 0
    for start in range(0, count, per_save):
        batch = []
        for _ in range(min(per_save, count - start)):
            expires_on = maker.today + timedelta(days=rng.randint(-3 * 365, 10 * 365)) if rng.random() < 0.6 else None
            agreement = maker.start(expires_on=expires_on)
            if rng.random() < withdrawn_share:
                agreement.withdraw(by=rng.choice(IR_OFFICERS), context=maker.context())
            batch.append(agreement)
        recordings = services.app.save(*batch)
        written += len(recordings)
        if progress:
            progress.update(len(batch))
    return written
