"""Loading the published participation record through the real commands.

Each status period of the record becomes one enlargement process (or, for a cooperation agreement, one
agreement), taken step by step with the real-world dates backdated to the period's start, by named system
users, with the record's first source as each step's reference. Statuses that workflow v1 does not model
are reported as skipped, with the reason. Every command carries an idempotency key derived from the
period, so loading again replays what was recorded and adds nothing.

Imprecise dates: a year alone ("2014") stands for 1 January, a month alone for its first day; the record's
``date_certainty`` is kept in each step's reason. A period's ``to`` is the first day the status no longer
holds. Periods are loaded in date order, so a status that begins on the day another ends (a pre-stage
Associate Member becoming a Member) ends the earlier one through the rule that a state holds one status at
a time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

from domain.values import Actor, Role, Stage, StepContext
from workflows.agreements import AgreementService
from workflows.enlargements import EnlargementService
from workflows.steps import Outcome, ProcessService

LOADER = Actor("history-loader", Role.IR_OFFICER)
REVIEWER = Actor("history-reviewer", Role.LEGAL_OFFICER)

TARGETS = {
    "member": "member",
    "associate-member": "associate_member",
    "associate-member-pre-stage": "associate_member_pre_stage",
    "associate-member-agreement-signed-not-in-force": "associate_member",
}
NOT_MODELLED = {
    "observer": "observer status is not modelled by workflow v1",
    "observer-suspended": "observer status is not modelled by workflow v1",
    "candidate-for-accession": "the pre-2010 candidate-for-accession status is not modelled by workflow v1",
}
COUNTRIES = {
    "Austria": "AT", "Belarus": "BY", "Belgium": "BE", "Brazil": "BR", "Bulgaria": "BG", "Chile": "CL",
    "Croatia": "HR", "Cyprus": "CY", "Czech Republic": "CZ", "Czech and Slovak Federal Republic": "CS",
    "Denmark": "DK", "Estonia": "EE", "Finland": "FI", "France": "FR", "Germany": "DE", "Greece": "GR",
    "Hungary": "HU", "India": "IN", "Ireland": "IE", "Israel": "IL", "Italy": "IT", "Japan": "JP", "Latvia": "LV",
    "Lithuania": "LT", "Netherlands": "NL", "Norway": "NO", "Pakistan": "PK", "Poland": "PL", "Portugal": "PT",
    "Romania": "RO", "Russian Federation": "RU", "Serbia": "RS", "Slovak Republic": "SK", "Slovenia": "SI",
    "Spain": "ES", "Sweden": "SE", "Switzerland": "CH", "Turkey": "TR", "USSR": "SU", "Ukraine": "UA",
    "United Kingdom": "GB", "United States of America": "US", "Yugoslavia": "YU",
}
"""ISO 3166-1 alpha-2 codes (ISO 3166-3 for the states that no longer exist: CS, SU, YU)."""


def record_entries() -> list[dict[str, Any]]:
    """The participation record shipped with Accord (facts gathered from public sources, with sources)."""
    text = resources.files("bootstrap.seed").joinpath("data/cern-participation.json").read_text(encoding="utf-8")
    return json.loads(text)


def record_date(text: str | None) -> date | None:
    """A record date as a date: "2014" is 1 January 2014, "2018-01" the first of the month."""
    if not text:
        return None
    parts = [int(p) for p in text.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def country_of(party: str) -> str | None:
    """The country code of a state named in the record (names carry variants in brackets)."""
    for name, code in COUNTRIES.items():
        if party == name or party.startswith(name + " ") or party.startswith(name + "("):
            return code
    return None


@dataclass
class Period:
    entry: dict[str, Any]
    began: date | None
    ended: date | None
    key: str

    @property
    def party(self) -> str:
        return self.entry["party"]


@dataclass
class Report:
    loaded: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Steps:
    """Takes one period's steps under stable idempotency keys, so that a second load replays them."""

    def __init__(self, service: ProcessService, period: Period):
        self.service, self.period, self.count = service, period, 0
        self.outcome: Outcome | None = None

    def context(self) -> StepContext:
        self.count += 1
        entry = self.period.entry
        sources = entry.get("source") or [{}]
        reason = (f"Loaded from the published participation record (date certainty: {entry['date_certainty']}). "
                  f"{entry.get('notes') or ''}")[:2000]
        return StepContext(reason=reason.strip(), reference=(sources[0].get("url") or "")[:200] or None,
                           idempotency_key=f"history:{self.period.key}:{self.count}")

    def create(self, fields: dict[str, Any]) -> Steps:
        self.outcome = self.service.create(fields, LOADER, self.context())
        return self

    def step(self, by: Actor, name: str, **fields: Any) -> Steps:
        assert self.outcome is not None
        aggregate = self.outcome.aggregate
        self.outcome = self.service.take_step(aggregate.id, name, fields, by, aggregate.version, self.context())
        return self

    def cleared_text(self, title: str) -> Steps:
        digest = hashlib.sha256(json.dumps(self.period.entry, sort_keys=True).encode()).hexdigest()
        return (self.step(LOADER, "attach_text", document={"title": title, "sha256": digest,
                                                          "media_type": "application/json"})
                .step(LOADER, "request_legal_review")
                .step(REVIEWER, "complete_legal_review", outcome="cleared", comments="Matches the published record."))

    @property
    def aggregate(self) -> Any:
        assert self.outcome is not None
        return self.service.get(self.outcome.aggregate.id)


def periods() -> tuple[list[Period], list[tuple[str, str]]]:
    """The record's periods that v1 models, in loading order, and the ones skipped with the reason."""
    loadable, skipped = [], []
    for entry in record_entries():
        label = f"{entry['party']} {entry['status']} {entry.get('from') or '?'}..{entry.get('to') or ''}"
        status = entry["status"]
        if status in NOT_MODELLED:
            skipped.append((label, NOT_MODELLED[status]))
            continue
        if entry["kind"] != "state" or country_of(entry["party"]) is None:
            skipped.append((label, "only states are loaded from the record"))
            continue
        if status not in TARGETS and status != "cooperation-agreement":
            skipped.append((label, f"unknown status {status!r}"))
            continue
        began = record_date(entry.get("from"))
        if began is None:
            skipped.append((label, "the start date is not known"))
            continue
        key = hashlib.sha256(f"{entry['party']}|{status}|{entry.get('from')}".encode()).hexdigest()[:16]
        loadable.append(Period(entry, began, record_date(entry.get("to")), key))
    return loadable, skipped


def _events(loadable: list[Period]) -> Iterator[tuple[date, int, Period]]:
    """Starts and ends in date order; on one day, a start comes before an end (a conversion ends the
    replaced status through the new one)."""
    marks = [(p.began, 0, i) for i, p in enumerate(loadable)]
    marks += [(p.ended, 1, i) for i, p in enumerate(loadable) if p.ended is not None]
    for when, kind, index in sorted(marks):
        yield when, kind, loadable[index]


def load_history(agreements: AgreementService, enlargements: EnlargementService,
                 say: Callable[[str], None] = print) -> Report:
    """Load the record; return what was loaded and what was skipped, with reasons."""
    loadable, skipped = periods()
    report = Report(skipped=skipped)
    started: dict[str, Steps] = {}
    total = len(loadable)
    for when, kind, period in _events(loadable):
        status = period.entry["status"]
        if kind == 0:
            steps = _start(agreements, enlargements, period)
            started[period.key] = steps
            report.loaded.append(f"{period.party}: {status} from {period.began}")
            say(f"  [{len(report.loaded):>3}/{total}] {period.party}: {status} from {period.began}")
        else:
            steps = started[period.key]
            aggregate = steps.aggregate
            if aggregate.stage is Stage.IMPLEMENTATION:
                if status == "cooperation-agreement":
                    steps.step(REVIEWER, "terminate", effective_on=when)
                else:
                    steps.step(REVIEWER, "end_participation", effective_on=when, reason=None)
    return report


def _start(agreements: AgreementService, enlargements: EnlargementService, period: Period) -> Steps:
    entry, on = period.entry, period.began.isoformat()
    country = country_of(entry["party"])
    name = entry["party"]
    if entry["status"] == "cooperation-agreement":
        steps = Steps(agreements, period).create({
            "title": f"International Co-operation Agreement between CERN and {name}",
            "kind": "international_cooperation_agreement",
            "counterparties": [{"name": name, "kind": "state", "country": country}],
        })
        steps.cleared_text(f"ICA with {name}").step(LOADER, "open_negotiation").step(LOADER, "finalise_text")
        steps.step(LOADER, "record_signature", party="CERN", signatory="Director-General", signed_on=on)
        steps.step(LOADER, "record_signature", party=name, signatory=f"Government of {name}", signed_on=on)
        return steps.step(REVIEWER, "enter_into_force", effective_on=on)
    steps = Steps(enlargements, period).create({
        "state": {"name": name, "country": country}, "target": TARGETS[entry["status"]], "applied_on": on,
    })
    steps.step(LOADER, "authorise_negotiation", decided_on=on)
    steps.cleared_text(f"{TARGETS[entry['status']]} agreement with {name}")
    steps.step(LOADER, "approve_agreement", decided_on=on)
    steps.step(LOADER, "sign_agreement", signed_on=on, signatories=["Director-General", f"Government of {name}"])
    if entry["status"] == "associate-member-agreement-signed-not-in-force":
        return steps
    steps.step(REVIEWER, "notify_ratification", notified_on=on)
    return steps.step(REVIEWER, "enter_into_force", effective_on=on)
