"""The participation register: who participates in the organisation's programme, in what capacity, on any
date, as the system knew it at any time (bitemporal). A cooperation partner participates while an agreement
with it is in force: not while it is suspended.

Each row is one period of one party's participation (valid time ``began_on`` .. ``ended_on``, the end
exclusive: the first day the capacity no longer holds) as recorded from ``recorded_from`` until a later
event superseded it (``recorded_to``). Nothing is updated in place but ``recorded_to``: a correction of a
date closes the old row and adds a new one, so answers "as known at" an earlier time do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.utils import get_topic

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from projections.agreements import iso
from projections.db import Cursor
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
        for change in changes:
            event, name = change.event, type(change.event).__name__
            source = str(event.originator_id)
            if isinstance(event, E.Created):
                s = event.state
                self._parties(cursor, source, [(party_key("state", s.name, s.country), s.name, "state", s.country,
                                               event.target.value)])
            elif isinstance(event, A.Created):
                self._parties(cursor, source, [(party_key(p.kind.value, p.name, p.country), p.name, p.kind.value,
                                               p.country, "cooperation_partner") for p in event.counterparties])
            elif name in ("EnteredIntoForce", "Resumed") and isinstance(event, (A.Event, E.Event)):
                self._begin(cursor, source, change, iso(event.effective_on))
            elif name in ("ParticipationEnded", "Terminated", "Suspended") and isinstance(event, (A.Event, E.Event)):
                self._supersede(cursor, source, change, "ended_on IS NULL", (), ended_on=iso(event.effective_on))
            elif name == "Expired" and isinstance(event, A.Event):
                self._supersede(cursor, source, change, "ended_on IS NULL", (), ended_on=iso(event.expired_on))
            elif name == "Corrected" and event.field == "effective_on":
                self._supersede(cursor, source, change, "began_on = ?", (event.previous,), began_on=event.value)
            elif name == "Corrected" and event.field == "ended_on":
                self._supersede(cursor, source, change, "ended_on = ?", (event.previous,), ended_on=event.value)

    def _begin(self, cursor: Cursor, source: str, change: Change, began_on: str) -> None:
        """A period of participation begins for every party of the source (entry into force, resumption)."""
        kind = "agreement" if isinstance(change.event, A.Event) else "enlargement"
        cursor.execute("SELECT * FROM participation_parties WHERE source_id = ? ORDER BY party_key", (source,))
        self._insert(cursor, [
            (source, kind, p["party_key"], p["party"], p["party"].strip().casefold(), p["party_kind"], p["country"],
             p["capacity"], began_on, None, iso(change.event.timestamp), None, change.position)
            for p in cursor.fetchall()
        ])

    @staticmethod
    def _parties(cursor: Cursor, source: str, parties: list[tuple[Any, ...]]) -> None:
        cursor.executemany(
            "INSERT INTO participation_parties (source_id, party_key, party, party_kind, country, capacity) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, party_key) DO NOTHING",
            [(source, *p) for p in parties])

    @staticmethod
    def _insert(cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            cursor.executemany(
                f"INSERT INTO participation ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)

    def _supersede(self, cursor: Cursor, source: str, change: Change, which: str, params: tuple[Any, ...],
                   **new: Any) -> None:
        """Close the source's current rows matching ``which`` as of this event, and record them again with
        ``new`` values (a period ended, or a date corrected)."""
        recorded = iso(change.event.timestamp)
        current_rows = f"source_id = ? AND recorded_to IS NULL AND {which}"
        cursor.execute(f"SELECT * FROM participation WHERE {current_rows} ORDER BY party_key", (source, *params))
        current = [dict(r) for r in cursor.fetchall()]
        if not current:
            return
        cursor.execute(f"UPDATE participation SET recorded_to = ? WHERE {current_rows}", (recorded, source, *params))
        self._insert(cursor, [
            tuple({**row, **new, "recorded_from": recorded, "recorded_to": None, "position": change.position}[c]
                  for c in COLUMNS)
            for row in current
        ])
