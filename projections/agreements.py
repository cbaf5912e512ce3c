"""The agreement list: one row per agreement, its parties, for lists, filters and the dashboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import orjson
from eventsourcing.utils import get_topic, resolve_topic

from domain.agreement import CooperationAgreement
from projections import titles
from projections.db import Cursor, insert_rows, upsert_rows
from projections.engine import Change, TableView

A = CooperationAgreement
COLUMNS = (
    "id", "kind", "title", "stage", "status", "version", "workflow_version", "created_at", "created_by",
    "updated_at", "last_step", "last_actor", "position", "parent_id", "expires_on", "effective_on", "closed_on",
    "parties_total", "parties_signed", "legal_clearance", "countries", "counterparties", "title_key",
    "created_position",
)
STAGE_STATUS = {
    "NegotiationOpened": ("negotiation", "under_negotiation"),
    "TextFinalised": ("signature", "awaiting_signature"),
    "EnteredIntoForce": ("implementation", "in_force"),
    "Suspended": (None, "suspended"),
    "Resumed": (None, "in_force"),
    "Terminated": ("closed", "terminated"),
    "Expired": ("closed", "expired"),
    "Withdrawn": ("closed", "withdrawn"),
}


def iso(value: date | datetime | None) -> str | None:
    """Dates as YYYY-MM-DD; times as UTC ISO text with microseconds, so text order is time order."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.isoformat()


def utc_text(stored_time: str) -> str:
    """A stored ISO timestamp as ``iso()`` writes it (UTC, microseconds, Z), without parsing the usual form."""
    if len(stored_time) == 32 and stored_time.endswith("+00:00"):
        return stored_time[:26] + "Z"
    return iso(datetime.fromisoformat(stored_time))  # type: ignore[return-value]


def _date(stored: dict[str, Any], field: str) -> str | None:
    """A date or enum field of a stored event as the list keeps it (the store keeps that text)."""
    value = stored[field]
    return None if value is None else value["_data_"]


COUNTRY_COLUMNS = ("country", "agreement_id", "stage", "status", "kind", "updated_at")
DECODED = frozenset({"Created", "Corrected"})
"""Events the list reads decoded; every other step changes a few fields it reads from the stored JSON."""
CREATED = get_topic(A.Created)


class AgreementList(TableView):
    name = "agreements"
    topics = ("accord.agreement:",)
    tables = ("agreement_list", "agreement_parties", "agreement_counts", "agreement_countries", titles.TABLE)
    table = "agreement_list"
    columns = COLUMNS

    def __init__(self, step_name: Any, dialect: str):
        self.step_name = step_name  # (aggregate kind, event class name) -> public step name
        self.dialect = dialect
        self._steps: dict[str, str] = {}

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS agreement_list ("
            "id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, stage TEXT NOT NULL, "
            "status TEXT NOT NULL, version INTEGER NOT NULL, workflow_version INTEGER NOT NULL, "
            "created_at TEXT NOT NULL, created_by TEXT NOT NULL, updated_at TEXT NOT NULL, last_step TEXT, "
            "last_actor TEXT, position BIGINT NOT NULL, parent_id TEXT, expires_on TEXT, effective_on TEXT, "
            "closed_on TEXT, parties_total INTEGER NOT NULL, parties_signed INTEGER NOT NULL, "
            "legal_clearance TEXT NOT NULL, countries TEXT NOT NULL, counterparties TEXT NOT NULL, "
            "title_key TEXT NOT NULL, created_position BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS agreement_parties ("
            "agreement_id TEXT NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL, country TEXT, kind TEXT, "
            "PRIMARY KEY (agreement_id, name))",
            "CREATE TABLE IF NOT EXISTS agreement_counts (stage TEXT NOT NULL, status TEXT NOT NULL, "
            "kind TEXT NOT NULL, country TEXT NOT NULL, n INTEGER NOT NULL, "
            "PRIMARY KEY (country, stage, status, kind))",
            # One row per agreement and country of its counterparties, with what a list filters and sorts by
            # most: a country's list walks (country, [stage,] updated_at) in order and stops after a page.
            "CREATE TABLE IF NOT EXISTS agreement_countries (country TEXT NOT NULL, agreement_id TEXT NOT NULL, "
            "stage TEXT NOT NULL, status TEXT NOT NULL, kind TEXT NOT NULL, updated_at TEXT NOT NULL, "
            "PRIMARY KEY (country, agreement_id))",
            "CREATE INDEX IF NOT EXISTS agreement_countries_updated ON agreement_countries "
            "(country, updated_at, agreement_id)",
            "CREATE INDEX IF NOT EXISTS agreement_countries_stage_updated ON agreement_countries "
            "(country, stage, updated_at, agreement_id)",
            *(f"CREATE INDEX IF NOT EXISTS agreement_list_{c} ON agreement_list ({c}, id)"
              for c in ("stage", "status", "kind", "expires_on", "created_at", "title")),
            # the default order; on SQLite it carries the title too, so that the search for a common word,
            # walking the newest first, tests titles without reading the rows (PostgreSQL reads them anyway)
            "CREATE INDEX IF NOT EXISTS agreement_list_updated_at ON agreement_list (updated_at, id"
            f"{', title_key' if dialect == 'sqlite' else ''})",
            *(f"CREATE INDEX IF NOT EXISTS agreement_list_{c}_updated ON agreement_list ({c}, updated_at, id)"
              for c in ("stage", "status", "kind")),
            "CREATE INDEX IF NOT EXISTS agreement_parties_name ON agreement_parties (name_key, agreement_id)",
            *titles.ddl(dialect),
        ]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        parties = [
            (c.aggregate_id, p.name, p.name.casefold(), p.country, p.kind.value)
            for c in changes if c.topic == CREATED for p in c.event.counterparties
        ]
        if parties:
            cursor.executemany(
                "INSERT INTO agreement_parties (agreement_id, name, name_key, country, kind) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (agreement_id, name) DO NOTHING", parties)
        super().apply(cursor, changes)

    def changed(self, cursor: Cursor, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
        """Keep ``agreement_counts`` (how many agreements per (stage, status, kind), for all countries ("*")
        and per country, so that a list's total does not count rows), ``agreement_countries`` and the title
        index."""
        deltas: dict[tuple[str, str, str, str], int] = {}
        for key, row in after.items():
            for sign, state in ((-1, before.get(key)), (1, row)):
                for count_key in _count_keys(state):
                    deltas[count_key] = deltas.get(count_key, 0) + sign
        changes = [(*k, n) for k, n in sorted(deltas.items()) if n]
        if changes:
            cursor.executemany(
                "INSERT INTO agreement_counts (stage, status, kind, country, n) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (country, stage, status, kind) DO UPDATE SET n = agreement_counts.n + excluded.n",
                changes)
            cursor.execute("DELETE FROM agreement_counts WHERE n = 0")  # as a rebuild would leave it
        countries = [(c, r["id"], r["stage"], r["status"], r["kind"], r["updated_at"])
                     for key, r in after.items() if key in before for c in r["countries"].split(",") if c]
        insert_rows(cursor, "agreement_countries", COUNTRY_COLUMNS,
                    [(c, r["id"], r["stage"], r["status"], r["kind"], r["updated_at"])
                     for key, r in after.items() if key not in before for c in r["countries"].split(",") if c])
        upsert_rows(cursor, "agreement_countries", COUNTRY_COLUMNS, ("country", "agreement_id"), countries)
        titles.keep(cursor, self.dialect, before, after)

    def change(self, rows: dict[str, dict[str, Any]], change: Change) -> None:
        cls = resolve_topic(change.topic)  # the library keeps resolved topics
        name = cls.__name__
        if name not in DECODED and getattr(cls, "class_version", 1) == 1:
            stored = orjson.loads(change.state)
            if "class_version" not in stored:
                self._change_from_stored(rows, change, name, stored)
                return
        self._change_decoded(rows, change, name)

    def _step_name(self, name: str) -> str:
        step = self._steps.get(name)
        if step is None:
            step = self._steps[name] = self.step_name("agreement", name)
        return step

    def _change_from_stored(self, rows: dict[str, dict[str, Any]], change: Change, name: str,
                            stored: dict[str, Any]) -> None:
        """``_change_decoded`` for a step other than creation and correction, from its stored JSON (its
        dates and enums are kept as the text the list shows)."""
        self._step(rows[change.aggregate_id], name, change, utc_text(stored["timestamp"]["_data_"]),
                   stored["by"]["_data_"]["name"], lambda field: _date(stored, field))

    def _change_decoded(self, rows: dict[str, dict[str, Any]], change: Change, name: str) -> None:
        event = change.event
        key = str(event.originator_id)
        if isinstance(event, A.Created):
            rows[key] = {
                "id": key, "kind": event.kind.value, "title": event.title, "title_key": event.title.casefold(),
                "stage": "drafting", "status": "draft",
                "workflow_version": event.workflow_version, "created_at": iso(event.timestamp),
                "created_by": event.by.name, "parent_id": str(event.parent_id) if event.parent_id else None,
                "expires_on": iso(event.expires_on), "effective_on": None, "closed_on": None,
                "parties_total": len(event.counterparties) + 1, "parties_signed": 0, "legal_clearance": "none",
                "countries": ",".join(sorted({p.country for p in event.counterparties if p.country})),
                "counterparties": "; ".join(p.name for p in event.counterparties),
                "created_position": change.position,
            }
        row = rows[key]
        self._step(row, name, change, iso(event.timestamp), event.by.name,
                   lambda field: _text(getattr(event, field)))
        if name == "Corrected":
            row[event.field] = event.value
            if event.field == "title":
                row["title_key"] = event.value.casefold()

    def _step(self, row: dict[str, Any], name: str, change: Change, recorded_at: str, actor: str,
              value: Callable[[str], str | None]) -> None:
        """What any step changes in its agreement's row; ``value(field)``: a field of the event as text."""
        row.update(version=change.version, updated_at=recorded_at, position=change.position, last_actor=actor,
                   last_step=self._step_name(name))
        if name in STAGE_STATUS:
            stage, status = STAGE_STATUS[name]
            row.update(status=status, **({"stage": stage} if stage else {}))
        if name == "TextAttached":
            row["legal_clearance"] = "none"
        elif name == "LegalReviewRequested":
            row["legal_clearance"] = "requested"
        elif name == "LegalReviewCompleted":
            row["legal_clearance"] = value("outcome")
        elif name == "SignatureRecorded":
            row["parties_signed"] += 1
            if row["parties_signed"] == row["parties_total"]:
                row["status"] = "signed"
        elif name == "EnteredIntoForce":
            row["effective_on"] = value("effective_on")
        elif name == "Renewed":
            row["expires_on"] = value("expires_on")
        elif name == "Terminated":
            row["closed_on"] = value("effective_on")
        elif name == "Expired":
            row["closed_on"] = value("expired_on")


def _text(value: Any) -> str | None:
    """An event's enum or date as the list keeps it."""
    return value.value if isinstance(value, Enum) else iso(value)


def _count_keys(row: dict[str, Any] | None) -> list[tuple[str, str, str, str]]:
    if row is None:
        return []
    countries = ["*", *(c for c in row["countries"].split(",") if c)]
    return [(row["stage"], row["status"], row["kind"], c) for c in countries]
