"""Loading the published participation record, and nothing the record does not state.

Each entry of the record (one status period) becomes one recorded status (``domain.recorded``): an
imported fact with its sources, never workflow steps with dates or signatories nobody recorded. Its dates
are as precise as the record (a year, a month, a day), conflicting values are kept with their sources, an
unknown start stays unknown. Loading again records nothing; an entry that changed in the data file is
recorded as a revision, at its own recorded time.

Where the record has to be read (what a period's end names, a bound given in the notes, an end the record
implies without dating it), ``readings`` says so, and the period carries the reading in its
``interpretation``: every value of a recorded period is either copied from its entry or explained there.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from bootstrap.seed import readings
from domain.record_dates import Certainty, EndIs, RecordDate
from domain.recorded import Capacity, Relation, Source, StatusPeriod
from domain.values import ORGANISATION, Actor, Role, StepContext
from workflows.recorded import RecordService

LOADER = Actor("history-loader", Role.IR_OFFICER)
DATA_FILE = "bootstrap/seed/data/cern-participation.json"

CAPACITIES = {
    "member": Capacity.MEMBER,
    "associate-member": Capacity.ASSOCIATE_MEMBER,
    "associate-member-pre-stage": Capacity.ASSOCIATE_MEMBER_PRE_STAGE,
    "associate-member-agreement-signed-not-in-force": Capacity.ASSOCIATE_MEMBER_SIGNED,
    "candidate-for-accession": Capacity.CANDIDATE_FOR_ACCESSION,
    "observer": Capacity.OBSERVER,
    "observer-suspended": Capacity.OBSERVER,
    "cooperation-agreement": Capacity.COOPERATION_PARTNER,
}
"""The record's statuses as capacities (a suspended observer status is the observer capacity, suspended)."""
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


def country_of(party: str) -> str | None:
    """The country code of a state named in the record (names carry variants in brackets)."""
    for name, code in COUNTRIES.items():
        if party == name or party.startswith(name + " ") or party.startswith(name + "("):
            return code
    return None


def entry_sha256(entry: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def entry_keys(entries: list[dict[str, Any]]) -> list[str]:
    """A key per entry that survives a change of its dates: party, status, and which of the party's
    periods in that status it is (Spain's first and second membership)."""
    seen: Counter[tuple[str, str]] = Counter()
    keys = []
    for entry in entries:
        seen[(entry["party"], entry["status"])] += 1
        keys.append(f"{entry['party']}|{entry['status']}|{seen[(entry['party'], entry['status'])]}")
    return keys


def period_of(entry: dict[str, Any]) -> StatusPeriod:
    """The recorded period an entry states, with the readings that apply to it."""
    sources = tuple(Source(s["title"], s.get("url")) for s in entry.get("source") or [])
    approximate = entry["date_certainty"] == "approximate"
    began = (RecordDate(entry["from"], Certainty.APPROXIMATE if approximate else Certainty.EXACT)
             if entry.get("from") else RecordDate(None, Certainty.UNKNOWN))
    ended = RecordDate(entry["to"], Certainty.EXACT) if entry.get("to") else None
    held_by_us = entry["party"] == ORGANISATION
    period = StatusPeriod(
        party=entry["party"], party_kind=entry["kind"],
        country=country_of(entry["party"]) if entry["kind"] == "state" else None,
        capacity=CAPACITIES[entry["status"]],
        relation=Relation.HELD_BY_ORGANISATION if held_by_us else Relation.WITH_ORGANISATION,
        began=began, ended=ended, end_is=EndIs.FIRST_DAY_WITHOUT, sources=sources,
        suspended=entry["status"] == "observer-suspended", scope=entry.get("scope"), body=entry.get("in_body"),
        notes=entry.get("notes") or "")
    return readings.read(entry, period)


@dataclass
class Report:
    loaded: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)


def label_of(entry: dict[str, Any]) -> str:
    return f"{entry['party']}: {entry['status']} {entry.get('from') or '?'}..{entry.get('to') or ''}"


def load_history(records: RecordService, say: Callable[[str], None] = print,
                 entries: list[dict[str, Any]] | None = None) -> Report:
    """Record every entry of the record (or of ``entries``): imported, revised, or unchanged."""
    entries = record_entries() if entries is None else entries
    report = Report()
    context = StepContext(reason="Imported from the published participation record", reference=DATA_FILE)
    for number, (entry, key) in enumerate(zip(entries, entry_keys(entries), strict=True), start=1):
        outcome = records.record(LOADER, context, key, period_of(entry), entry_sha256(entry))
        report.outcomes[outcome] += 1
        report.loaded.append(label_of(entry))
        if outcome != "unchanged":
            say(f"  [{number:>3}/{len(entries)}] {outcome} {label_of(entry)}")
    return report
