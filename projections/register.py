"""The participation register: who participates in the organisation's programme, in what capacity, on any
date, as the system knew it at any time (bitemporal). A cooperation partner participates while an agreement
with it is in force: not while it is suspended.

Each row is one period of one party's participation (valid time ``began_on`` .. ``ended_on``, the end
exclusive: the first day the capacity no longer holds) as recorded from ``recorded_from`` until a later
event superseded it (``recorded_to``). Nothing is updated in place but ``recorded_to``: a correction of a
date closes the old row and adds a new one, so answers "as known at" an earlier time do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.utils import get_topic

from domain.agreement import CooperationAgreement
from domain.dates import date_text, time_text
from domain.enlargement import EnlargementProcess
from projections.db import Cursor, insert_rows
from projections.engine import Change, View

A, E = CooperationAgreement, EnlargementProcess
COLUMNS = ("source_id", "source_type", "party_key", "party", "party_name_key", "party_kind", "country", "capacity",
           "began_on", "ended_on", "recorded_from", "recorded_to", "position")


def party_key(kind: str, name: str, country: str | None) -> str:
    """One identity per party: a state by its country code, anyone else by kind and name."""
    return f"state:{country}" if kind == "state" and country else f"{kind}:{name.strip().casefold()}"


RELEVANT = ("Created", "EnteredIntoForce", "Resumed", "ParticipationEnded", "Terminated", "Suspended", "Expired",
            "Corrected")
"""The events that change who participates; no other event is even decoded for the register."""


class Register(View):
    name = "register"
    topics = ("accord.agreement:", "accord.enlargement:")
    tables = ("participation", "participation_parties")
    relevant = frozenset(get_topic(getattr(owner, name)) for owner in (A, E) for name in RELEVANT
                         if hasattr(owner, name))

    def wants(self, topic: str) -> bool:
        return topic in self.relevant

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS participation (source_id TEXT NOT NULL, source_type TEXT NOT NULL, "
            "party_key TEXT NOT NULL, party TEXT NOT NULL, party_name_key TEXT NOT NULL, party_kind TEXT NOT NULL, "
            "country TEXT, "
            "capacity TEXT NOT NULL, began_on TEXT NOT NULL, ended_on TEXT, recorded_from TEXT NOT NULL, "
            "recorded_to TEXT, position BIGINT NOT NULL, PRIMARY KEY (source_id, party_key, position))",
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
            if isinstance(event, E.Created):
                s = event.state
                batch.add_parties(source, [(party_key("state", s.name, s.country), s.name, "state", s.country,
                                            event.target.value)])
            elif isinstance(event, A.Created):
                batch.add_parties(source, [(party_key(p.kind.value, p.name, p.country), p.name, p.kind.value,
                                            p.country, "cooperation_partner") for p in event.counterparties])
            elif name in ("EnteredIntoForce", "Resumed") and isinstance(event, (A.Event, E.Event)):
                batch.begin(source, change, date_text(event.effective_on))
            elif name in ("ParticipationEnded", "Terminated", "Suspended") and isinstance(event, (A.Event, E.Event)):
                batch.supersede(source, change, lambda r: r["ended_on"] is None, ended_on=date_text(event.effective_on))
            elif name == "Expired" and isinstance(event, A.Event):
                batch.supersede(source, change, lambda r: r["ended_on"] is None, ended_on=date_text(event.expired_on))
            elif name == "Corrected" and event.field in ("effective_on", "ended_on"):
                column = "began_on" if event.field == "effective_on" else "ended_on"
                previous = event.previous
                batch.supersede(source, change, lambda r, c=column, p=previous: p is not None and r[c] == p,
                                **{column: event.value})
        batch.write()


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

    def begin(self, source: str, change: Change, began_on: str) -> None:
        """A period of participation begins for every party of the source (entry into force, resumption)."""
        kind = "agreement" if isinstance(change.event, A.Event) else "enlargement"
        recorded = time_text(change.event.timestamp)
        for key in sorted(self.parties[source]):
            p = self.parties[source][key]
            self._add(source, {
                "source_id": source, "source_type": kind, "party_key": key, "party": p["party"],
                "party_name_key": p["party"].strip().casefold(), "party_kind": p["party_kind"],
                "country": p["country"], "capacity": p["capacity"], "began_on": began_on, "ended_on": None,
                "recorded_from": recorded, "recorded_to": None, "position": change.position})

    def supersede(self, source: str, change: Change, which: Callable[[dict[str, Any]], bool], **new: Any) -> None:
        """Close the source's current rows matching ``which`` as of this event, and record them again with
        ``new`` values (a period ended, or a date corrected)."""
        recorded = time_text(change.event.timestamp)
        matching = sorted((r for r in self.current[source] if which(r)), key=lambda r: r["party_key"])
        for row in matching:
            self.current[source].remove(row)
            row["recorded_to"] = recorded
            if not row.get("_new"):  # a row of an earlier batch: closed in place
                self.closed.append((recorded, source, row["party_key"], row["position"]))
        for row in matching:
            self._add(source, {**{c: row[c] for c in COLUMNS}, **new, "recorded_from": recorded, "recorded_to": None,
                               "position": change.position})

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
                                    "WHERE source_id = ? AND party_key = ? AND position = ?", self.closed)
        insert_rows(self.cursor, "participation", COLUMNS, [tuple(r[c] for c in COLUMNS) for r in self.new_rows])
