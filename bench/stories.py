"""The agreements the benchmarks work on: realistic stories made by the real domain commands, logs written
from them, and steps taken through the command service as the API takes them.

Stories have their real topics, fields and sizes; logs are only saved more cheaply than through the command
service (several aggregates per ``app.save``), or grown fast with copies of stored stories written through
the recorder's import path (events at the next positions with their chain rows).
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from eventsourcing.persistence import StoredEvent

from bench.suite import say
from bootstrap.services import Services
from domain.agreement import CooperationAgreement
from domain.chain import GENESIS, event_hash, running_hash
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
from storage.audit import chain_page
from storage.recorders import insert_exported

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
KINDS = {  # kind: (how a title names it, weight)
    AgreementKind.INTERNATIONAL_COOPERATION_AGREEMENT: ("International Co-operation Agreement", 10),
    AgreementKind.PROTOCOL: ("Protocol", 25),
    AgreementKind.MEMORANDUM_OF_UNDERSTANDING: ("Memorandum of Understanding", 30),
    AgreementKind.FRAMEWORK_AGREEMENT: ("Framework Agreement", 10),
    AgreementKind.COLLABORATION_AGREEMENT: ("Collaboration Agreement", 20),
    AgreementKind.OTHER: ("Agreement", 5),
}
REASONS = ("Requested by the counterparty.", "Follow-up of the Council decision.", "As agreed in the last round.",
           "Legal comments addressed.", "See the minutes of the joint committee.", None, None, None)
FATES = {"drafting": 12, "withdrawn": 8, "negotiation": 15, "signature": 10, "implementation": 40, "closed": 15}
"""Where an agreement's story has got to when the log ends, and how often."""


class Agreements:
    """Makes realistic agreements with the real domain commands; every ``next()`` of a story adds one event."""

    def __init__(self, seed: int = 1):
        self.rng = random.Random(seed)
        self.today = date.today()

    def context(self) -> StepContext:
        rng = self.rng
        key = uuid.UUID(int=rng.getrandbits(128)).hex if rng.random() < 0.7 else None
        return StepContext(
            reason=rng.choice(REASONS),
            reference=f"IR-{rng.randint(2012, 2025)}-{rng.randint(1, 999):03d}" if rng.random() < 0.3 else None,
            idempotency_key=key, request_digest=hashlib.sha256(key.encode()).hexdigest() if key else None)

    def counterparties(self) -> tuple[Counterparty, ...]:
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), weights=(70, 20, 7, 3))[0]
        parties: dict[str, Counterparty] = {}
        while len(parties) < count:
            roll = rng.random()
            if roll < 0.8:
                code, name, _ = rng.choices(COUNTRIES, weights=[c[2] for c in COUNTRIES])[0]
                short = name.split(" of ")[-1].split(" ")[-1]
                party = Counterparty(name, PartyKind.STATE, code) if roll < 0.35 else Counterparty(
                    f"{rng.choice(INSTITUTE_FORMS)} {short} {rng.choice(CITIES)}", PartyKind.INSTITUTE, code)
            else:
                name, code = rng.choice(ORGANISATIONS)
                party = Counterparty(name, PartyKind.ORGANISATION, code)
            parties.setdefault(party.name.casefold(), party)
        return tuple(parties.values())

    def document(self, label: str, version: int) -> Document:
        sha = hashlib.sha256(f"{label}:{version}:{self.rng.random()}".encode()).hexdigest()
        uri = f"https://edms.invalid/document/{self.rng.randint(10**6, 10**7)}" if self.rng.random() < 0.5 else None
        return Document(title=f"{label} draft v{version}", sha256=sha, media_type="application/pdf", uri=uri)

    def start(self, expires_on: date | None = None) -> CooperationAgreement:
        """A new agreement in drafting (one Created event)."""
        rng = self.rng
        kind = rng.choices(list(KINDS), weights=[w for _, w in KINDS.values()])[0]
        parties = self.counterparties()
        title = f"{KINDS[kind][0]} between CERN and {' and '.join(p.name for p in parties)}"
        if rng.random() < 0.7:
            title += f" on {rng.choice(TOPICS)}"
        return CooperationAgreement.start(
            by=rng.choice(IR_OFFICERS), context=self.context(), title=title, kind=kind, counterparties=parties,
            workflow_version=1, parent_id=None, expires_on=expires_on,
            summary="Scientific and technical co-operation in high-energy physics." if rng.random() < 0.5 else None)

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
            """Attach a text and have it reviewed until cleared (changes requested 30% of the time)."""
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

        if fate in ("drafting", "withdrawn"):
            yield from clearance(stop_after=rng.randint(0, 3 if fate == "drafting" else 4))
            if fate == "drafting":
                return
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
        for party in unsigned if fate != "signature" else unsigned[:rng.randint(0, len(unsigned) - 1)]:
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
    """Writes a realistic global log: ``in_flight`` agreements at once, their steps interleaved.

    Each round advances ``per_save`` distinct agreements by one step and saves them in one ``app.save``;
    now and then an administrator issues a user a token (through the real access service).
    ``write_until(n)`` stops at exactly ``n`` events, and can be called again to go on.
    """

    def __init__(self, services: Services, seed: int = 1, in_flight: int = 2000, per_save: int = 200,
                 token_every: int = 2500):
        self.services, self.app = services, services.app
        self.maker = Agreements(seed)
        self.rng = random.Random(seed + 1)
        self.in_flight, self.per_save, self.token_every = in_flight, per_save, token_every
        self.active: list[Iterator[CooperationAgreement]] = []
        self.written = self.app.recorder.max_notification_id() or 0
        self.agreements = self.tokens = 0
        self.next_token = token_every

    def write_until(self, total: int, label: str = "writing a realistic log") -> None:
        say(f"  {label} up to {total:,} events")
        while self.written < total:
            if self.written >= self.next_token and total - self.written >= 3:  # a token is 1-3 events
                self.tokens += 1
                role = self.rng.choice((Role.IR_OFFICER, Role.LEGAL_OFFICER, Role.AUDITOR, Role.MANAGEMENT))
                self.services.access.issue_token(ADMIN, f"user{self.tokens:04d}", role)
                self.next_token += self.token_every
                head = self.app.recorder.max_notification_id() or 0
                self.written = head
                continue
            while len(self.active) < self.in_flight:
                self.active.append(self.maker.story())
                self.agreements += 1
            batch = []
            for index in sorted(self.rng.sample(range(len(self.active)), min(self.per_save, total - self.written)),
                                reverse=True):
                try:
                    batch.append(next(self.active[index]))
                except StopIteration:
                    self.active[index] = self.active[-1]
                    self.active.pop()
            if batch:
                self.app.save(*batch)
                self.written += len(batch)


def write_agreement_list(services: Services, count: int, seed: int = 7, per_save: int = 500) -> int:
    """``count`` agreements just created (drafting), a fifth of them withdrawn (closed); the events written."""
    maker = Agreements(seed)
    rng = maker.rng
    written = 0
    say(f"  creating {count:,} agreements")
    for start in range(0, count, per_save):
        batch = []
        for _ in range(min(per_save, count - start)):
            expires_on = maker.today + timedelta(days=rng.randint(-3 * 365, 10 * 365)) if rng.random() < 0.6 else None
            agreement = maker.start(expires_on=expires_on)
            if rng.random() < 0.2:
                agreement.withdraw(by=rng.choice(IR_OFFICERS), context=maker.context())
            batch.append(agreement)
        written += len(services.app.save(*batch))
    return written


def stored_stories(app: Any, stories: int, seed: int = 11) -> list[list[StoredEvent]]:
    """The stored events of ``stories`` whole stories, made by the real domain commands and mapper."""
    maker = Agreements(seed)
    return [[app.mapper.to_stored_event(e) for a in maker.story() for e in a.collect_events()]
            for _ in range(stories)]


class LogCopier:
    """Grows a store's log fast with copies of real stored stories, each under a new aggregate id, copies of
    ``in_flight`` stories interleaved as concurrent work would be, ``batch`` events a transaction, written by
    the recorder's import path (``insert_exported``: the events at the next positions and their chain rows).

    With ``rehash`` each copy's ``prev_hash`` and ``hash`` are those ``domain.chain.event_hash`` gives it, so
    the log verifies; without, copies keep their templates' hashes (a store nobody verifies, faster to make).
    """

    def __init__(self, app: Any, stories: int = 300, rehash: bool = True, in_flight: int = 200, batch: int = 5000,
                 seed: int = 5):
        self.app, self.rehash, self.in_flight, self.batch = app, rehash, in_flight, batch
        self.templates = stored_stories(app, stories)
        self.hashes = [[json.loads(e.state)["hash"] for e in story] for story in self.templates]
        self.rng = random.Random(seed)
        self.active: list[list[Any]] = []  # [new id, template, next event's index, previous hash]
        self.copies = 0

    def next_event(self) -> tuple[StoredEvent, str]:
        """The next event of one of the copies in flight, and its hash."""
        while len(self.active) < self.in_flight:
            self.active.append([uuid.uuid4(), self.copies % len(self.templates), 0, GENESIS])
            self.copies += 1
        at = self.rng.randrange(len(self.active))
        copy = self.active[at]
        new_id, story, index, prev = copy
        template, version = self.templates[story][index], index + 1
        copy[2] = version
        if version == len(self.templates[story]):
            self.active[at] = self.active[-1]
            self.active.pop()
        if not self.rehash:
            return StoredEvent(new_id, version, template.topic, template.state), self.hashes[story][index]
        raw = json.loads(template.state)
        raw["prev_hash"] = prev
        raw["hash"] = copy[3] = event_hash(new_id, version, template.topic, raw["timestamp"]["_data_"], prev, raw,
                                           stored=True)
        state = json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return StoredEvent(new_id, version, template.topic, state), raw["hash"]

    def grow_to(self, total: int, label: str) -> float:
        """Append copies until the log holds ``total`` events; the seconds it took."""
        recorder = self.app.recorder
        head = recorder.max_notification_id() or 0
        say(f"  {label}")
        started = time.perf_counter()
        while head < total:
            links = chain_page(recorder, head - 1, None, 1) if head else []
            running = links[0][2] if links else GENESIS
            rows = []
            for _ in range(min(self.batch, total - head)):
                event, digest = self.next_event()
                head += 1
                running = running_hash(running, digest)
                rows.append((head, event, digest, running))
            insert_exported(recorder, rows)
        return time.perf_counter() - started


# ---- steps through the command service, as the API takes them ------------------------------------------

STEP_CYCLE = (("attach_text", IR_OFFICERS[0]), ("request_legal_review", IR_OFFICERS[0]),
              ("complete_legal_review", LEGAL_OFFICERS[0]))
"""Text, review requested, changes requested: back to a new text. Drafting allows it forever, with two users
(four eyes: the reviewer is not who attached the text)."""


def create_fields(n: int) -> dict[str, Any]:
    """The fields of a create as the API's schema loads them."""
    return {"title": f"Memorandum of Understanding between CERN and the University of Benchmarks {n} on detector "
                     "development", "kind": "memorandum_of_understanding",
            "counterparties": [{"name": f"University of Benchmarks {n}", "kind": "institute", "country": "CL"}],
            "summary": None, "parent_id": None, "expires_on": None}


def stored_texts(services: Services) -> tuple[str, str]:
    """The sha256s of two drafts uploaded to the vault (version 2 attaches stored texts), attached in turn."""
    return tuple(services.documents.upload(IR_OFFICERS[0], io.BytesIO(f"Draft {n} of the benchmark.\n".encode()),
                                           f"draft-{n}.txt")[0].sha256 for n in (1, 2))  # type: ignore[return-value]


def step_fields(step: str, n: int, texts: tuple[str, str] = ("0" * 64, "1" * 64)) -> dict[str, Any]:
    """The fields of a step of ``STEP_CYCLE`` as the API's schema loads them (``texts``: stored drafts)."""
    if step == "attach_text":
        return {"document": {"title": f"Draft v{n}", "sha256": texts[n % 2]}}
    if step == "complete_legal_review":
        return {"outcome": "changes_requested", "comments": "See the marked-up text."}
    return {}


class Stepper:
    """Takes steps through the command service on a few agreements in turn, as officers would: each with its
    expected version (If-Match) and an idempotency key."""

    def __init__(self, services: Services, agreements: int = 8, prefix: str = ""):
        self.services = services
        self.prefix = prefix or uuid.uuid4().hex[:8]
        self.count = 0
        self.agreements: list[list[Any]] = []  # [id, version, position in STEP_CYCLE]
        self.texts = stored_texts(services)
        for _ in range(agreements):
            self.create()

    def context(self) -> StepContext:
        self.count += 1
        return StepContext(reason="Benchmark step.", idempotency_key=f"{self.prefix}-{self.count}")

    def create(self, in_turn: bool = True) -> Any:
        """A new agreement; with ``in_turn``, one that later steps take their turn on (without, the steps stay
        on the agreements they have, so that they keep hitting the aggregate cache)."""
        outcome = self.services.agreements.create(create_fields(self.count), actor=IR_OFFICERS[0],
                                                  context=self.context())
        if in_turn:
            self.agreements.append([outcome.aggregate.id, outcome.aggregate.version, 0])
        return outcome

    def step(self, service: Any = None) -> Any:
        """One step on the next agreement in turn (through ``service``, by default the services' own)."""
        entry = self.agreements[self.count % len(self.agreements)]
        name, actor = STEP_CYCLE[entry[2]]
        outcome = (service or self.services.agreements).take_step(
            entry[0], name, step_fields(name, self.count, self.texts), actor=actor, expected_version=entry[1],
            context=self.context())
        entry[1], entry[2] = outcome.aggregate.version, (entry[2] + 1) % len(STEP_CYCLE)
        return outcome

