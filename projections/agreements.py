"""The agreement list: one row per agreement, its parties, for lists, filters and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import resolve_topic

from domain.agreement import CooperationAgreement
from domain.dates import date_text, time_text
from projections import titles
from projections.db import Cursor, insert_rows, upsert_rows
from projections.engine import Change, TableView
from projections.stored_events import recorded_time_text

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
    "Superseded": ("closed", "superseded"),
    "Expired": ("closed", "expired"),
    "ExpiredAtTerm": ("closed", "expired"),
    "Withdrawn": ("closed", "withdrawn"),
}


def _stored_text(stored: dict[str, Any], field: str) -> str | None:
    """A date or enum field of a stored event as the list keeps it (the store keeps that text)."""
    value = stored[field]
    return None if value is None else value["_data_"]


COUNTRY_COLUMNS = ("country", "agreement_id", "stage", "status", "kind", "updated_at")
PARTY_COLUMNS = ("agreement_id", "name", "name_key", "country", "kind")
DECODED: frozenset[str] = frozenset()
"""Events the list reads decoded (an upcast event class is too); the others: from their stored JSON."""


class AgreementList(TableView):
    name = "agreements"
    topics = ("accord.agreement:",)
    tables = ("agreement_list", "agreement_parties", "agreement_counts", "agreement_countries", titles.TABLE)
    table = "agreement_list"
    columns = COLUMNS

    def __init__(self, step_name: Any, dialect: str, fts: bool = False):
        self.step_name = step_name  # (aggregate kind, event class name) -> public step name
        self.dialect = dialect
        self.fts = fts  # the title index is SQLite's FTS5 trigram table (projections.titles)
        self._kinds: dict[str, tuple[str, str, bool]] = {}  # topic -> (class name, step, version 1)
        self._parties: list[tuple[str, str, str, str | None, str]] = []

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
              for c in ("stage", "status", "kind", "expires_on", "created_at", "title", "parent_id")),
            # the default order; on SQLite it carries the title too, so that the search for a common word,
            # walking the newest first, tests titles without reading the rows (PostgreSQL reads them anyway)
            "CREATE INDEX IF NOT EXISTS agreement_list_updated_at ON agreement_list (updated_at, id"
            f"{', title_key' if dialect == 'sqlite' else ''})",
            *(f"CREATE INDEX IF NOT EXISTS agreement_list_{c}_updated ON agreement_list ({c}, updated_at, id)"
              for c in ("stage", "status", "kind")),
            "CREATE INDEX IF NOT EXISTS agreement_parties_name ON agreement_parties (name_key, agreement_id)",
            # a person's home: the agreements they created or last acted on, and the legal reviews waiting
            *(f"CREATE INDEX IF NOT EXISTS agreement_list_{c} ON agreement_list ({c}, updated_at, id)"
              for c in ("created_by", "last_actor", "legal_clearance")),
            *titles.ddl(dialect, self.fts),
        ]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        self._parties = []  # the counterparties of the agreements created in this batch (``apply_event`` adds them)
        super().apply(cursor, changes)

    def write_side_tables(self, cursor: Cursor, before: dict[str, dict[str, Any]],
                          after: dict[str, dict[str, Any]]) -> None:
        """Keep ``agreement_parties``, ``agreement_counts`` (how many agreements per (stage, status, kind), for
        all countries ("*") and per country, so that a list's total does not count rows),
        ``agreement_countries`` and the title index."""
        upsert_rows(cursor, "agreement_parties", PARTY_COLUMNS, ("agreement_id", "name"), self._parties, "NOTHING")
        deltas: dict[tuple[str, str, str, str], int] = {}
        for key, row in after.items():
            for sign, state in ((-1, before.get(key)), (1, row)):
                for count_key in _count_keys(state):
                    deltas[count_key] = deltas.get(count_key, 0) + sign
        changes = [(*k, n) for k, n in sorted(deltas.items()) if n]
        if changes:
            upsert_rows(cursor, "agreement_counts", ("stage", "status", "kind", "country", "n"),
                        ("country", "stage", "status", "kind"), changes, "n = agreement_counts.n + excluded.n")
            cursor.execute("DELETE FROM agreement_counts WHERE n = 0")  # as a rebuild would leave it
        countries = [(c, r["id"], r["stage"], r["status"], r["kind"], r["updated_at"])
                     for key, r in after.items() if key in before for c in r["countries"].split(",") if c]
        insert_rows(cursor, "agreement_countries", COUNTRY_COLUMNS,
                    [(c, r["id"], r["stage"], r["status"], r["kind"], r["updated_at"])
                     for key, r in after.items() if key not in before for c in r["countries"].split(",") if c])
        upsert_rows(cursor, "agreement_countries", COUNTRY_COLUMNS, ("country", "agreement_id"), countries)
        titles.keep(cursor, self.fts, before, after)

    def apply_event(self, rows: dict[str, dict[str, Any]], change: Change) -> None:
        kind = self._kinds.get(change.topic)
        if kind is None:
            cls = resolve_topic(change.topic)
            name = cls.__name__
            kind = self._kinds[change.topic] = (
                name, self.step_name("agreement", name), getattr(cls, "class_version", 1) == 1)
        name, step, first_version = kind
        if first_version and name not in DECODED:
            stored = orjson.loads(change.state)
            if "class_version" not in stored:
                self._apply_stored(rows, change, name, step, stored)
                return
        self._apply_decoded(rows, change, name, step)

    def _apply_stored(self, rows: dict[str, dict[str, Any]], change: Change, name: str, step: str,
                      stored: dict[str, Any]) -> None:
        """``_apply_decoded`` from the event's stored JSON (its dates and enums are kept as the text the list
        shows)."""
        key = change.aggregate_id
        if name == "Created":
            parent = stored["parent_id"]
            row = rows[key] = self._created(
                key, change.position, stored["kind"]["_data_"], stored["title"], stored["workflow_version"],
                str(UUID(parent["_data_"])) if parent else None, _stored_text(stored, "expires_on"),
                [(p["name"], p["country"], p["kind"]["_data_"])
                 for p in (party["_data_"] for party in stored["counterparties"])])
        else:
            row = rows[key]
        field = SPECIAL.get(name)
        _step(row, name, step, change, recorded_time_text(stored["timestamp"]["_data_"]),
              stored["by"]["_data_"]["name"], _stored_text(stored, field) if field else None)
        if name == "Corrected":
            _correct(row, stored["field"], stored["value"])
        elif name == "EnteredIntoForce" and stored.get("expires_on"):
            row["expires_on"] = stored["expires_on"]["_data_"]  # computed from the term

    def _apply_decoded(self, rows: dict[str, dict[str, Any]], change: Change, name: str, step: str) -> None:
        event = change.event
        key = change.aggregate_id
        if isinstance(event, A.Created):
            rows[key] = self._created(
                key, change.position, event.kind.value, event.title, event.workflow_version,
                str(event.parent_id) if event.parent_id else None,
                date_text(event.expires_on) if event.expires_on else None,
                [(p.name, p.country, p.kind.value) for p in event.counterparties])
        row = rows[key]
        field = SPECIAL.get(name)
        _step(row, name, step, change, time_text(event.timestamp), event.by.name,
              _event_text(getattr(event, field)) if field else None)
        if name == "Corrected":
            _correct(row, event.field, event.value)
        elif name == "EnteredIntoForce" and getattr(event, "expires_on", None):
            row["expires_on"] = date_text(event.expires_on)  # computed from the term

    def _created(self, key: str, position: int, kind: str, title: str, workflow_version: int,
                 parent_id: str | None, expires_on: str | None,
                 parties: list[tuple[str, str | None, str]]) -> dict[str, Any]:
        """A new agreement's row (before its Created step is applied); its (name, country, kind) parties go to
        ``agreement_parties``."""
        self._parties.extend((key, name, name.casefold(), country, party_kind) for name, country, party_kind in parties)
        return {
            "id": key, "kind": kind, "title": title, "title_key": title.casefold(),
            "stage": "drafting", "status": "draft", "workflow_version": workflow_version,
            "parent_id": parent_id, "expires_on": expires_on, "effective_on": None, "closed_on": None,
            "parties_total": len(parties) + 1, "parties_signed": 0, "legal_clearance": "none",
            "countries": ",".join(sorted({country for _, country, _ in parties if country})),
            "counterparties": "; ".join(name for name, _, _ in parties),
            "created_position": position,
        }


SPECIAL = {"LegalReviewCompleted": "outcome", "EnteredIntoForce": "effective_on", "Renewed": "expires_on",
           "Terminated": "effective_on", "Superseded": "effective_on", "Expired": "expired_on",
           "RenewedTacitly": "expires_on", "ExpiredAtTerm": "expired_on"}
"""The one field of the event a step's row change reads, by step."""


def _step(row: dict[str, Any], name: str, step: str, change: Change, recorded_at: str, actor: str,
          value: str | None) -> None:
    """What any step changes in its agreement's row; ``value``: the step's ``SPECIAL`` field, as text."""
    row["version"] = change.version
    row["updated_at"] = recorded_at
    row["position"] = change.position
    row["last_actor"] = actor
    row["last_step"] = step
    if name == "Created":
        row["created_at"] = recorded_at
        row["created_by"] = actor
        return
    stage_status = STAGE_STATUS.get(name)
    if stage_status is not None:
        stage, row["status"] = stage_status
        if stage:
            row["stage"] = stage
    if name == "TextAttached":
        row["legal_clearance"] = "none"
    elif name == "LegalReviewRequested":
        row["legal_clearance"] = "requested"
    elif name == "SignatureRecorded":
        row["parties_signed"] += 1
        if row["parties_signed"] == row["parties_total"]:
            row["status"] = "signed"
    elif name == "LegalReviewCompleted":
        row["legal_clearance"] = value
    elif name == "EnteredIntoForce":
        row["effective_on"] = value
    elif name in ("Renewed", "RenewedTacitly"):
        row["expires_on"] = value
    elif name in ("Terminated", "Superseded", "Expired", "ExpiredAtTerm"):
        row["closed_on"] = value


def _correct(row: dict[str, Any], field: str, value: str) -> None:
    if field not in row:  # what the list does not keep (the term, a suspension's or resumption's date)
        return
    row[field] = value
    if field == "title":
        row["title_key"] = value.casefold()


def _event_text(value: Any) -> str:
    """An event's enum or date as the list keeps it."""
    return value.value if isinstance(value, Enum) else date_text(value)


def _count_keys(row: dict[str, Any] | None) -> list[tuple[str, str, str, str]]:
    if row is None:
        return []
    countries = ["*", *(c for c in row["countries"].split(",") if c)]
    return [(row["stage"], row["status"], row["kind"], c) for c in countries]
