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
from pathlib import Path
from typing import Any

from bootstrap.services import Services
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
from storage.settings import storage_env

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
                           summary=f"Round {a.rounds_held + 1}: articles {rng.randint(1, 9)} to {rng.randint(10, 20)}.")
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


# ---- the suite: sizes, figures, goals, tables, the command line -----------------------------------------

SIZES = ("smoke", "quick", "full")
"""smoke: seconds (the test suite); quick: a minute or so; full: the figures of record."""

UNITS = {"ops/s": "{:,.0f}", "events/s": "{:,.0f}", "req/s": "{:,.0f}", "ms": "{:,.3f}", "MiB": "{:,.1f}",
         "KiB": "{:,.1f}", "bytes": "{:,.0f}", "s": "{:,.2f}", "%": "{:,.0f}"}


def size_of(args: Any) -> str:
    return "smoke" if getattr(args, "smoke", False) else "quick" if getattr(args, "quick", False) else "full"


def pick(args: Any, table_of_sizes: dict[str, Any]) -> Any:
    """The value for this run's size from ``{"smoke": ..., "quick": ..., "full": ...}``."""
    return table_of_sizes[size_of(args)]


def stats(values: Sequence[float]) -> dict[str, Any]:
    return {"median": median(values), "min": min(values), "max": max(values), "runs": list(values)}


def paired_ratio(values: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of the per-run ratios of two measures taken side by side, run by run (more robust to a
    machine whose load changes during a benchmark than the ratio of the two medians)."""
    return median([v / b for v, b in zip(values, baseline, strict=True)])


def figure(measure: str, unit: str, values: Sequence[float], *, n: int | None = None, baseline: str | None = None,
           ratio: float | None = None, goal: str | None = None, passed: bool | None = None,
           note: str | None = None) -> dict[str, Any]:
    """One row of a benchmark's table: the median, min and max of several runs, its ratio to a baseline and,
    when it has one, its goal and whether it was met (``passed``: True, False, or None for no goal)."""
    return {"measure": measure, "unit": unit, "n": n, **stats(values), "baseline": baseline, "ratio": ratio,
            "goal": goal, "pass": passed, "note": note}


def at_least(ratio: float, limit: float) -> tuple[str, bool]:
    return f">= {limit:.2f}", ratio >= limit


def at_most(ratio: float, limit: float) -> tuple[str, bool]:
    return f"<= {limit:.2f}", ratio <= limit


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    return UNITS.get(unit, "{:,.3f}").format(value)


def verdict(passed: bool | None) -> str:
    return "" if passed is None else "PASS" if passed else "MISS"


def print_figures(title: str, rows: Sequence[dict[str, Any]], notes: Sequence[str] = ()) -> None:
    """A benchmark's table on stdout: median of the runs, min, max, ratio to the baseline, goal, verdict."""
    print(f"\n== {title} ==")
    cells = []
    for r in rows:
        cells.append([r["measure"], f"{r['n']:,}" if r["n"] is not None else "", fmt(r["median"], r["unit"]),
                      fmt(r["min"], r["unit"]), fmt(r["max"], r["unit"]), r["unit"],
                      "" if r["ratio"] is None else f"{r['ratio']:.2f}", r["baseline"] or "", r["goal"] or "",
                      verdict(r["pass"])])
    print(table(["measure", "n", "median", "min", "max", "unit", "ratio", "ratio to", "goal", "verdict"], cells))
    for note in notes:
        print(f"  {note}")
    sys.stdout.flush()


def machine() -> dict[str, Any]:
    import platform

    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": model, "memory": _memory_total(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}


def _memory_total() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        return f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        return ""


def add_suite_arguments(parser: Any) -> None:
    """The options every benchmark of the suite takes."""
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both",
                        help="where to run (default both; PostgreSQL: a new schema in the database named by "
                             "ACCORD_BENCH_POSTGRES_DBNAME, default 'test', dropped at the end)")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="smaller sizes: about a minute")
    sizes.add_argument("--smoke", action="store_true", help="tiny sizes, seconds: checks that everything runs "
                                                            "(the test suite's smoke run), figures not meaningful")
    parser.add_argument("--runs", type=int, help="timed runs of each measure (median, min, max; default by size)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the stores (files, schemas) for inspection")


def backends_of(args: Any) -> tuple[str, ...]:
    return BACKENDS if args.backend == "both" else (args.backend,)


def run_suite_benchmark(name: str, args: Any, measure: Callable[[str, Any], dict[str, Any]],
                        show: Callable[[str, dict[str, Any]], None]) -> dict[str, Any]:
    """Run one benchmark on each chosen backend, print its tables, and write the JSON if asked."""
    import json

    results: dict[str, Any] = {"benchmark": name, "size": size_of(args), "machine": machine(),
                               "arguments": {k: v for k, v in vars(args).items() if not k.startswith("child")},
                               "backends": {}}
    started = time.perf_counter()
    results["machine"]["load_before"] = os.getloadavg()
    for backend in backends_of(args):
        result = measure(backend, args)
        results["backends"][backend] = result
        show(backend, result)
    results["seconds"] = time.perf_counter() - started
    results["machine"]["load_after"] = os.getloadavg()
    print(f"\n({name}: {results['seconds']:.0f} s; load average before {results['machine']['load_before'][0]:.2f}, "
          f"after {results['machine']['load_after'][0]:.2f}, on {os.cpu_count()} CPUs)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2, default=str)
            out.write("\n")
        say(f"figures written to {args.json}")
    return results


def show_rows(backend: str, result: dict[str, Any]) -> None:
    print_figures(f"{backend}: {result['title']} ({result.get('version', '')})", result["rows"],
                  result.get("notes", ()))


# ---- processes ---------------------------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORAGE_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "ACCORD_", "WEB_CONCURRENCY",
                    "APPLICATION_RECORDER_TOPIC", "SNAPSHOT_INTERVAL", "AGGREGATE_CACHE", "IS_SNAPSHOTTING")


def clean_env(storage: dict[str, str], **extra: str) -> dict[str, str]:
    """This process's environment without storage or Accord settings of its own, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(STORAGE_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    return {**env, **storage, **extra}


def accord_cli() -> str:
    """The project's ``accord`` console script (next to the running interpreter)."""
    for candidate in (os.path.join(os.path.dirname(sys.executable), "accord"),
                      os.path.join(ROOT, ".venv", "bin", "accord")):
        if os.path.exists(candidate):
            return candidate
    raise SystemExit("the accord console script is not installed (pip install -e .)")


def run_cli(storage: dict[str, str], *args: str, timeout: float = 600) -> str:
    import subprocess

    done = subprocess.run([accord_cli(), *args], cwd=ROOT, env=clean_env(storage), capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"accord {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def proc_status(pid: int | str, field: str) -> int:
    """A memory figure of /proc/PID/status in bytes (0 if gone), e.g. VmHWM: the process's peak RSS."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def child_max_rss(command: Sequence[str], env: dict[str, str], timeout: float = 1800) -> dict[str, Any]:
    """Run a command to its end; its stdout, wall time, CPU time and peak RSS (bytes).

    The peak is the child's VmHWM, read from /proc every few milliseconds while it runs: wait4's ru_maxrss is
    not usable, because Linux carries the RSS of the image a process had before exec (a copy of this big
    process) into it.
    """
    import subprocess

    started = time.perf_counter()
    peak = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(list(command), cwd=ROOT, env=env, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            peak = max(peak, proc_status(process.pid, "VmHWM"))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stdout[-2000:]}\n{stderr[-4000:]}")
    return {"stdout": stdout, "seconds": seconds, "max_rss": peak, "cpu_seconds": usage.ru_utime + usage.ru_stime}


# ---- baselines: the library's own recorder, the plain driver, and comparable stored events --------------


def library_application(storage: dict[str, str], create_tables: bool = True) -> Any:
    """The eventsourcing library's own Application and recorder on a store (no Accord recorder, no chain)."""
    from eventsourcing.application import Application

    env = {k: v for k, v in storage.items() if k != "APPLICATION_RECORDER_TOPIC"}
    env["APPLICATION_RECORDER_TOPIC"] = ""  # the library's default recorder, whatever the process environment says
    env["CREATE_TABLE"] = "y" if create_tables else "n"
    return Application(env=env)


def step_events(app: Any, count: int, seed: int = 3) -> list[Any]:
    """``count`` real stored step events (version >= 2) of realistic stories: the size and shape of what a
    step records, to insert as the raw baselines do."""
    from eventsourcing.persistence import StoredEvent  # noqa: F401 - the type returned

    maker = Agreements(seed)
    found: list[Any] = []
    while len(found) < count:
        for agreement in maker.story():
            for event in agreement.collect_events():
                if event.originator_version > 1:
                    found.append(app.mapper.to_stored_event(event))
            if len(found) >= count:
                break
    return found


class DriverStore:
    """The plain driver (``sqlite3`` / ``psycopg``): one comparable row inserted and committed per call, in a
    table shaped like the library's events table, on connections of its own (one per thread). On SQLite the
    writes of a process are serialised by a lock, as the library's datastore does (else threads of one process
    contend through SQLite's busy handler, which sleeps); on PostgreSQL there is no table lock (the library
    takes one, to keep positions in commit order)."""

    TABLE = "bench_rows"

    def __init__(self, storage: dict[str, str]):
        import threading

        self.storage = storage
        self.backend = storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]
        self.local = threading.local()
        self.connections: list[Any] = []
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()  # SQLite: one writer at a time in the process, as the library does

    def connect(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            return conn
        if self.backend == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.storage["SQLITE_DBNAME"], isolation_level=None, check_same_thread=False,
                                   timeout=float(self.storage.get("SQLITE_LOCK_TIMEOUT") or 10))
            conn.execute("PRAGMA journal_mode=WAL")  # as the library's SQLite datastore
        else:
            import psycopg

            conn = psycopg.connect(dbname=self.storage["POSTGRES_DBNAME"], host=self.storage["POSTGRES_HOST"],
                                   port=self.storage["POSTGRES_PORT"], user=self.storage["POSTGRES_USER"],
                                   password=self.storage.get("POSTGRES_PASSWORD") or None, connect_timeout=5,
                                   options=f"-c search_path={self.storage['POSTGRES_SCHEMA']}")
        self.local.conn = conn
        with self.lock:
            self.connections.append(conn)
        return conn

    def create_table(self) -> None:
        conn = self.connect()
        if self.backend == "sqlite":
            conn.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (originator_id TEXT, originator_version INTEGER, "
                         "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))")
        else:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (originator_id uuid NOT NULL, originator_version "
                         "bigint NOT NULL, topic text, state bytea, notification_id bigserial, "
                         "PRIMARY KEY (originator_id, originator_version))")
            conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {self.TABLE}_position ON {self.TABLE} "
                         "(notification_id ASC)")
            conn.commit()

    def insert(self, originator_id: uuid.UUID, version: int, topic: str, state: bytes) -> int:
        """Insert and commit one row; its position (rowid / notification_id)."""
        conn = self.connect()
        if self.backend == "sqlite":
            with self.write_lock:
                conn.execute("BEGIN")
                try:
                    cursor = conn.execute(f"INSERT INTO {self.TABLE} VALUES (?, ?, ?, ?)",
                                          (originator_id.hex, version, topic, state))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            return int(cursor.lastrowid or 0)
        try:
            row = conn.execute(f"INSERT INTO {self.TABLE} (originator_id, originator_version, topic, state) "
                               "VALUES (%s, %s, %s, %s) RETURNING notification_id",
                               (originator_id, version, topic, state)).fetchone()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return int(row[0])

    def count(self) -> int:
        conn = self.connect()
        [[n]] = conn.execute(f"SELECT COUNT(*) FROM {self.TABLE}").fetchall()
        if self.backend != "sqlite":
            conn.commit()
        return int(n)

    def close(self) -> None:
        with self.lock:
            for conn in self.connections:
                conn.close()
            self.connections.clear()
        self.local = __import__("threading").local()


# ---- fast bulk logs: real stored events of whole stories, copied under new ids and re-hashed -------------


def story_templates(app: Any, stories: int, seed: int = 11) -> list[list[Any]]:
    """The stored events of ``stories`` whole agreement stories, made by the real domain commands and mapper."""
    maker = Agreements(seed)
    out = []
    for _ in range(stories):
        events = []
        for agreement in maker.story():
            events.extend(app.mapper.to_stored_event(e) for e in agreement.collect_events())
        out.append(events)
    return out


def _fast_hash(aggregate_hex: str, version: int, topic: str, prev_hash: str, raw: dict[str, Any]) -> str:
    """domain.chain.event_hash over a stored event's JSON, which is already canonical (checked in bulk_copy)."""
    import json

    from domain.chain import NOT_HASHED

    body = {"aggregate_id": aggregate_hex, "version": version, "type": topic,
            "recorded_at": raw["timestamp"]["_data_"], "prev_hash": prev_hash,
            "state": {k: v for k, v in raw.items() if k not in NOT_HASHED}}
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


class BulkLog:
    """Appends copies of real stories to a store fast: each copy gets a new aggregate id; copies of
    ``in_flight`` stories are interleaved in the log as concurrent work would be, ``batch`` events per
    transaction. With ``rehash`` (the default) each copied event's ``prev_hash`` and ``hash`` are recomputed,
    so the copied log verifies; without, copies keep their template's hashes (a filler for a store that is
    not verified: much faster to make).

    SQLite: through the application's own recorder (``insert_events``, the global hash chain included).
    PostgreSQL: ``insert_events`` costs a round of the chain per event (~6k events/s here), so the bulk goes
    in by COPY under the same table lock, with the same rows the recorder writes: the events at the next
    positions and their chain rows (event hash, running hash)."""

    def __init__(self, app: Any, templates: list[list[Any]], in_flight: int = 200, batch: int = 5000,
                 seed: int = 5, rehash: bool = True):
        import json

        self.app, self.templates = app, templates
        self.in_flight, self.batch, self.rehash = in_flight, batch, rehash
        self.rng = random.Random(seed)
        self.active: list[list[Any]] = []  # [new id, template index, next event index, prev hash]
        self.hashes = [[json.loads(e.state)["hash"] for e in story] for story in templates]
        self.next_template = 0
        self.copies = 0
        self.checked = 0
        from eventsourcing.sqlite import SQLiteApplicationRecorder

        self.postgres = not isinstance(app.recorder, SQLiteApplicationRecorder)

    def _start(self) -> list[Any]:
        index = self.next_template % len(self.templates)
        self.next_template += 1
        self.copies += 1
        return [uuid.uuid4(), index, 0, "0" * 64]

    def _copy(self, copy: list[Any]) -> tuple[Any, str]:
        import json

        from eventsourcing.persistence import StoredEvent

        new_id, story, index, prev = copy
        template = self.templates[story][index]
        version = index + 1
        copy[2] = index + 1
        if not self.rehash:
            return (StoredEvent(originator_id=new_id, originator_version=version, topic=template.topic,
                                state=template.state), self.hashes[story][index])
        raw = json.loads(template.state)
        raw["prev_hash"] = prev
        digest = _fast_hash(new_id.hex, version, template.topic, prev, raw)
        if self.checked < 50:  # the shortcut must agree with the real hash
            from domain.chain import event_hash

            expected = event_hash(new_id, version, template.topic, raw["timestamp"]["_data_"], prev, raw)
            if expected != digest:
                raise AssertionError("bench.common._fast_hash disagrees with domain.chain.event_hash")
            self.checked += 1
        raw["hash"] = digest
        copy[3] = digest
        return (StoredEvent(originator_id=new_id, originator_version=version, topic=template.topic,
                            state=json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode("utf-8")),
                digest)

    def append(self, count: int, progress: Progress | None = None) -> None:
        """Append exactly ``count`` events."""
        left = count
        while left > 0:
            batch = []
            size = min(self.batch, left)
            while len(batch) < size:
                while len(self.active) < self.in_flight:
                    self.active.append(self._start())
                at = self.rng.randrange(len(self.active))
                copy = self.active[at]
                batch.append(self._copy(copy))
                if copy[2] >= len(self.templates[copy[1]]):
                    self.active[at] = self.active[-1]
                    self.active.pop()
            if self.postgres:
                self._copy_in(batch)
            else:
                self.app.recorder.insert_events([event for event, _ in batch])
            left -= len(batch)
            if progress:
                progress.update(len(batch))

    def _copy_in(self, batch: list[tuple[Any, str]]) -> None:
        from psycopg.sql import SQL, Identifier

        from domain.chain import GENESIS, running_hash
        from storage.recorders import CHAIN_TABLE

        recorder = self.app.recorder
        schema, table = Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        chain = Identifier(CHAIN_TABLE)
        with recorder.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("LOCK TABLE {0}.{1} IN EXCLUSIVE MODE").format(schema, table))
            curs.execute(SQL("SELECT MAX(notification_id) AS head FROM {0}.{1}").format(schema, table))
            position = curs.fetchone()["head"] or 0
            curs.execute(SQL("SELECT running_hash FROM {0}.{1} ORDER BY position DESC LIMIT 1").format(schema, chain))
            row = curs.fetchone()
            running = row["running_hash"] if row else GENESIS
            links = []
            with curs.copy(SQL("COPY {0}.{1} (originator_id, originator_version, topic, state, notification_id) "
                               "FROM STDIN").format(schema, table)) as copy:
                for event, digest in batch:
                    position += 1
                    copy.write_row((event.originator_id, event.originator_version, event.topic, event.state,
                                    position))
                    running = running_hash(running, digest)
                    links.append((position, digest, running, str(event.originator_id), event.originator_version))
            with curs.copy(SQL("COPY {0}.{1} (position, event_hash, running_hash, originator_id, originator_version) "
                               "FROM STDIN").format(schema, chain)) as copy:
                for link in links:
                    copy.write_row(link)
            curs.execute(SQL("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)"),
                         (f'"{recorder.datastore.schema}"."{recorder.events_table_name}"', position))


def grow_log(services: Any, total: int, templates: list[list[Any]], label: str, bulk: BulkLog | None = None,
             rehash: bool = True) -> tuple[BulkLog, float]:
    """Grow the store's log to ``total`` events with bulk copies; (the writer, seconds)."""
    bulk = bulk or BulkLog(services.app, templates, rehash=rehash)
    head = services.app.recorder.max_notification_id() or 0
    if total <= head:
        return bulk, 0.0
    progress = Progress(label, total - head)
    seconds, _ = timed(lambda: bulk.append(total - head, progress))
    progress.close()
    return bulk, seconds


# ---- commands as the API takes them: a create, then a cycle of steps that can go on forever ------------

ALICE = Actor("alice", Role.IR_OFFICER)
BRUNO = Actor("bruno", Role.LEGAL_OFFICER)
STEP_CYCLE = (("attach_text", ALICE), ("request_legal_review", ALICE), ("complete_legal_review", BRUNO))
"""Text, review requested, changes requested: back to a new text. Drafting allows it forever, with two users
(four eyes: the reviewer is not who attached the text)."""


def create_fields(n: int) -> dict[str, Any]:
    """The fields of a create as the API's schema loads them."""
    return {"title": f"Memorandum of Understanding between CERN and the University of Benchmarks {n} on detector "
                     "development", "kind": "memorandum_of_understanding",
            "counterparties": [{"name": f"University of Benchmarks {n}", "kind": "institute", "country": "CL"}],
            "summary": None, "parent_id": None, "expires_on": None}


def step_fields(step: str, n: int) -> dict[str, Any]:
    """The fields of a step of ``STEP_CYCLE`` as the API's schema loads them."""
    if step == "attach_text":
        return {"document": {"title": f"Draft v{n}", "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
                             "media_type": "application/pdf", "uri": None}}
    if step == "complete_legal_review":
        return {"outcome": "changes_requested", "comments": "See the marked-up text."}
    return {}


class Stepper:
    """Takes steps through the command service on a few agreements in turn, as officers would: each step
    with its expected version (If-Match) and an idempotency key."""

    def __init__(self, services: Any, agreements: int = 8, prefix: str = ""):
        self.services = services
        self.prefix = prefix or uuid.uuid4().hex[:8]
        self.count = 0
        self.agreements: list[list[Any]] = []  # [id, version, position in STEP_CYCLE]
        for _ in range(agreements):
            self.create()

    def context(self) -> StepContext:
        self.count += 1
        return StepContext(reason="Benchmark step.", idempotency_key=f"{self.prefix}-{self.count}")

    def create(self, in_turn: bool = True) -> Any:
        """A new agreement; with ``in_turn``, one that later steps take their turn on (without, the steps stay
        on the agreements they have: a create measure does not widen what the step measure cycles over)."""
        outcome = self.services.agreements.create(create_fields(self.count), actor=ALICE, context=self.context())
        if in_turn:
            self.agreements.append([outcome.aggregate.id, outcome.aggregate.version, 0])
        return outcome

    def step(self, service: Any = None) -> Any:
        """One step on the next agreement in turn (through ``service``, by default the services' own)."""
        service = service or self.services.agreements
        entry = self.agreements[self.count % len(self.agreements)]
        name, actor = STEP_CYCLE[entry[2]]
        outcome = service.take_step(entry[0], name, step_fields(name, self.count), actor=actor,
                                    expected_version=entry[1], context=self.context())
        entry[1], entry[2] = outcome.aggregate.version, (entry[2] + 1) % len(STEP_CYCLE)
        return outcome


def children_of(pid: int) -> list[int]:
    """The live child processes of a process (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)
