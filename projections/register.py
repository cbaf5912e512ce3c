"""The participation register: who participates in the organisation's programme, in what capacity, on any
date, as the system knew it at any time (bitemporal). A cooperation partner participates while an agreement
with it is in force: not while it is suspended.

Each row is one period of one party's participation (valid time ``began_on`` .. ``ended_on``, the end
exclusive: the first day the capacity no longer holds) as recorded from ``recorded_from`` until a later
event superseded it (``recorded_to``). Nothing is updated in place but ``recorded_to``: a correction of a
date closes the old row and adds a new one, so answers "as known at" an earlier time do not change.

Periods imported from the published record (``domain.recorded``) may have imprecise or unknown dates: each
row holds the days it possibly holds (``began_on`` .. ``ended_on``) and the days it certainly holds
(``certain_from`` .. ``certain_until``), and in ``detail`` (JSON) its dates as the record gives them and all
its sources. A row's ``relation`` says whether it is a party's status with the organisation, or the
organisation's own status elsewhere (``held_by_organisation``), which the register never lists among its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.utils import get_topic

from domain.agreement import CooperationAgreement
from domain.dates import date_text, time_text
from domain.enlargement import EnlargementProcess
from domain.observer import ObserverStatus
from domain.record_dates import bounds
from domain.recorded import RecordedStatus, Relation, StatusPeriod
from projections.db import Cursor, insert_rows
from projections.engine import Change, View

A, E, R, OS = CooperationAgreement, EnlargementProcess, RecordedStatus, ObserverStatus
COLUMNS = ("source_id", "source_type", "party_key", "party", "party_name_key", "party_kind", "country", "capacity",
           "began_on", "ended_on", "certain_from", "certain_until", "relation", "suspended", "scope", "body",
           "detail", "recorded_from", "recorded_to", "position", "part")
WITH = Relation.WITH_ORGANISATION.value


def party_key(kind: str, name: str, country: str | None) -> str:
    """One identity per party: a state by its country code, anyone else by kind and name."""
    return f"state:{country}" if kind == "state" and country else f"{kind}:{name.strip().casefold()}"


RELEVANT = ("Created", "EnteredIntoForce", "Resumed", "ParticipationEnded", "Terminated", "Superseded", "Suspended",
            "Expired", "ExpiredAtTerm", "Corrected")
"""The events that change who participates; no other event is even decoded for the register."""


class Register(View):
    name = "register"
    topics = ("accord.agreement:", "accord.enlargement:", "accord.recorded:", "accord.observer:")
    tables = ("participation", "participation_parties")
    relevant = frozenset([*(get_topic(getattr(owner, name)) for owner in (A, E) for name in RELEVANT
                            if hasattr(owner, name)), get_topic(R.Imported), get_topic(R.Revised),
                           *(get_topic(getattr(OS, n)) for n in ("Created", "Granted", "Suspended", "Resumed",
                                                                 "Ended"))])

    def wants(self, topic: str) -> bool:
        return topic in self.relevant

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS participation (source_id TEXT NOT NULL, source_type TEXT NOT NULL, "
            "party_key TEXT NOT NULL, party TEXT NOT NULL, party_name_key TEXT NOT NULL, party_kind TEXT NOT NULL, "
            "country TEXT, "
            "capacity TEXT NOT NULL, began_on TEXT NOT NULL, ended_on TEXT, certain_from TEXT NOT NULL, "
            "certain_until TEXT, relation TEXT NOT NULL, suspended INTEGER NOT NULL, scope TEXT, body TEXT, "
            "detail TEXT NOT NULL, recorded_from TEXT NOT NULL, "
            "recorded_to TEXT, position BIGINT NOT NULL, part INTEGER NOT NULL, "
            "PRIMARY KEY (source_id, party_key, position, part))",
            "CREATE INDEX IF NOT EXISTS participation_party ON participation (party_key, began_on)",
            "CREATE INDEX IF NOT EXISTS participation_valid ON participation (began_on, ended_on)",
            "CREATE INDEX IF NOT EXISTS participation_name ON participation (party_name_key, began_on)",
            "CREATE TABLE IF NOT EXISTS participation_parties (source_id TEXT NOT NULL, party_key TEXT NOT NULL, "
            "party TEXT NOT NULL, party_kind TEXT NOT NULL, country TEXT, capacity TEXT NOT NULL, "
            "PRIMARY KEY (source_id, party_key))",
        ]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        """Apply a batch in memory: the parties and current periods of every source it touches are read once,
        the events change them in log order, and the batch's new rows and closed periods are written at the
        end (a few statements per batch, not several per event)."""
        if not changes:
            return
        batch = _Batch(cursor, sorted({c.aggregate_id for c in changes}))
        for change in changes:
            event, name = change.event, type(change.event).__name__
            source = str(event.originator_id)
            if isinstance(event, OS.Event):
                self.observer(batch, source, change)
            elif isinstance(event, R.Event):
                batch.supersede(source, change, lambda r: True, drop=True)
                for row in period_rows(event.period):
                    batch.add_row(source, change, row)
            elif isinstance(event, E.Created):
                s = event.state
                batch.add_parties(source, [(party_key("state", s.name, s.country), s.name, "state", s.country,
                                            event.target.value)])
            elif isinstance(event, A.Created):
                batch.add_parties(source, [(party_key(p.kind.value, p.name, p.country), p.name, p.kind.value,
                                            p.country, "cooperation_partner") for p in event.counterparties])
            elif name in ("EnteredIntoForce", "Resumed") and isinstance(event, (A.Event, E.Event)):
                batch.begin(source, change, date_text(event.effective_on))
            elif name in ("ParticipationEnded", "Terminated", "Superseded", "Suspended") and isinstance(
                    event, (A.Event, E.Event)):
                batch.supersede(source, change, lambda r: r["ended_on"] is None, ended_on=date_text(event.effective_on))
            elif name in ("Expired", "ExpiredAtTerm") and isinstance(event, A.Event):
                batch.supersede(source, change, lambda r: r["ended_on"] is None, ended_on=date_text(event.expired_on))
            elif name == "Corrected" and event.field in ("effective_on", "ended_on", "closed_on", "suspended_on",
                                                         "resumed_on"):
                column = "began_on" if event.field in ("effective_on", "resumed_on") else "ended_on"
                previous = event.previous
                certain = "certain_from" if column == "began_on" else "certain_until"
                batch.supersede(source, change, lambda r, c=column, p=previous: p is not None and r[c] == p,
                                **{column: event.value, certain: event.value})
        batch.write()

    @staticmethod
    def observer(batch: _Batch, source: str, change: Change) -> None:
        """An observer status holds from its grant; a suspension closes the active stretch and opens a
        suspended one (and resumption the other way round); its end closes the stretch that holds."""
        event = change.event
        if isinstance(event, OS.Created):
            p = event.party
            batch.add_parties(source, [(party_key(p.kind.value, p.name, p.country), p.name, p.kind.value, p.country,
                                        "observer")])
            return
        day = date_text(event.decided_on if isinstance(event, OS.Granted) else event.effective_on)
        scope = event.scope if isinstance(event, OS.Granted) else next(
            (r["scope"] for r in batch.current[source] if r["ended_on"] is None), None)
        if not isinstance(event, OS.Granted):
            batch.supersede(source, change, lambda r: r["ended_on"] is None, ended_on=day, certain_until=day)
        if not isinstance(event, OS.Ended):
            batch.begin(source, change, day, suspended=isinstance(event, OS.Suspended), scope=scope,
                        part=0 if isinstance(event, OS.Granted) else 1)


class _Batch:
    """The register's rows for the sources of one batch, changed in memory and written once."""

    def __init__(self, cursor: Cursor, sources: list[str]):
        self.cursor = cursor
        self.parties: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in sources}
        self.current: dict[str, list[dict[str, Any]]] = {s: [] for s in sources}
        self.new_parties: list[tuple[Any, ...]] = []
        self.new_rows: list[dict[str, Any]] = []
        self.closed: list[tuple[Any, ...]] = []
        for chunk in range(0, len(sources), 500):
            part = sources[chunk:chunk + 500]
            marks = ",".join("?" * len(part))
            cursor.execute(f"SELECT * FROM participation_parties WHERE source_id IN ({marks})", part)
            for row in cursor.fetchall():
                self.parties[row["source_id"]][row["party_key"]] = dict(row)
            cursor.execute(f"SELECT * FROM participation WHERE source_id IN ({marks}) AND recorded_to IS NULL",
                           part)
            for row in cursor.fetchall():
                self.current[row["source_id"]].append(dict(row))

    def add_parties(self, source: str, parties: list[tuple[Any, ...]]) -> None:
        known = self.parties[source]
        for key, party, kind, country, capacity in parties:
            if key not in known:  # the first name given for a party stands, as ON CONFLICT DO NOTHING keeps it
                known[key] = {"source_id": source, "party_key": key, "party": party, "party_kind": kind,
                              "country": country, "capacity": capacity}
                self.new_parties.append((source, key, party, kind, country, capacity))

    def begin(self, source: str, change: Change, began_on: str, suspended: bool = False,
              scope: str | None = None, part: int = 0) -> None:
        """A period of participation begins for every party of the source (entry into force, resumption)."""
        kind = ("agreement" if isinstance(change.event, A.Event) else "observer" if isinstance(change.event, OS.Event)
                else "enlargement")
        recorded = time_text(change.event.timestamp)
        for key in sorted(self.parties[source]):
            p = self.parties[source][key]
            self._add(source, {
                "source_id": source, "source_type": kind, "party_key": key, "party": p["party"],
                "party_name_key": p["party"].strip().casefold(), "party_kind": p["party_kind"],
                "country": p["country"], "capacity": p["capacity"], "began_on": began_on, "ended_on": None,
                "certain_from": began_on, "certain_until": None, "relation": WITH, "suspended": int(suspended),
                "scope": scope,
                "body": None, "detail": reference_detail(change.event),
                "recorded_from": recorded, "recorded_to": None, "position": change.position, "part": part})

    def add_row(self, source: str, change: Change, values: dict[str, Any]) -> None:
        """A period of a recorded status, as one row (``period_rows`` gives its values)."""
        self._add(source, {"source_id": source, "source_type": "record", **values,
                           "recorded_from": time_text(change.event.timestamp), "recorded_to": None,
                           "position": change.position})

    def supersede(self, source: str, change: Change, which: Callable[[dict[str, Any]], bool],
                  drop: bool = False, **new: Any) -> None:
        """Close the source's current rows matching ``which`` as of this event, and record them again with
        ``new`` values (a period ended, or a date corrected), unless ``drop``: a revision replaces them."""
        recorded = time_text(change.event.timestamp)
        matching = sorted((r for r in self.current[source] if which(r)), key=lambda r: r["party_key"])
        for row in matching:
            self.current[source].remove(row)
            row["recorded_to"] = recorded
            if not row.get("_new"):  # a row of an earlier batch: closed in place
                self.closed.append((recorded, source, row["party_key"], row["position"], row["part"]))
        for row in [] if drop else matching:
            self._add(source, {**{c: row[c] for c in COLUMNS}, **new, "recorded_from": recorded, "recorded_to": None,
                               "position": change.position, "part": 0})

    def _add(self, source: str, row: dict[str, Any]) -> None:
        row["_new"] = True
        self.current[source].append(row)
        self.new_rows.append(row)

    def write(self) -> None:
        if self.new_parties:
            self.cursor.executemany(
                "INSERT INTO participation_parties (source_id, party_key, party, party_kind, country, capacity) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, party_key) DO NOTHING", self.new_parties)
        if self.closed:
            self.cursor.executemany("UPDATE participation SET recorded_to = ? "
                                    "WHERE source_id = ? AND party_key = ? AND position = ? AND part = ?",
                                    self.closed)
        insert_rows(self.cursor, "participation", COLUMNS, [tuple(r[c] for c in COLUMNS) for r in self.new_rows])


def reference_detail(event: Any) -> str:
    """A workflow process's row detail: the reference its step gave as the row's source."""
    reference = event.context.reference if event.context else None
    return json.dumps({"sources": [{"title": None, "url": reference}] if reference else []})


def period_rows(period: StatusPeriod) -> list[dict[str, Any]]:
    """A recorded status's rows: its period, and, if it was suspended for a stretch, that stretch apart."""
    key = party_key(period.party_kind, period.party, period.country)
    b = period.bounds()
    common = {"party_key": key, "party": period.party, "party_name_key": period.party.strip().casefold(),
              "party_kind": period.party_kind, "country": period.country, "capacity": period.capacity.value,
              "relation": period.relation.value, "scope": period.scope, "body": period.body}
    sources = [{"title": s.title, "url": s.url} for s in period.sources]
    detail = {"start": period.began.as_dict(), "end": period.ended.as_dict() if period.ended else None,
              "end_is": period.end_is.value, "sources": sources, "interpretation": list(period.interpretation)}
    rows = [{**common, "began_on": b.possible_from, "ended_on": b.possible_until, "certain_from": b.certain_from,
             "certain_until": b.certain_until, "suspended": int(period.suspended), "detail": json.dumps(detail),
             "part": 0}]
    if period.suspension is not None:
        s = period.suspension
        sb = bounds(s.began, s.ended, s.end_is)
        stretch = {**detail, "start": s.began.as_dict(), "end": s.ended.as_dict() if s.ended else None,
                   "end_is": s.end_is.value, "sources": [*sources, *({"title": x.title, "url": x.url}
                                                                    for x in s.sources if x not in period.sources)]}
        rows.append({**common, "began_on": sb.possible_from, "ended_on": sb.possible_until,
                     "certain_from": sb.certain_from, "certain_until": sb.certain_until, "suspended": 1,
                     "detail": json.dumps(stretch), "part": 1})
    return rows
