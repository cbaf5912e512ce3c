"""The enlargement list: one row per enlargement process, for lists, filters and the dashboard."""

from __future__ import annotations

from typing import Any

from domain.dates import date_text, time_text
from domain.enlargement import EnlargementProcess
from projections.engine import Change, TableView

E = EnlargementProcess
COLUMNS = ("id", "state", "country", "target", "stage", "status", "version", "workflow_version", "created_at",
           "created_by", "updated_at", "last_step", "last_actor", "position", "applied_on", "effective_on",
           "ended_on")
STAGE_STATUS = {
    "NegotiationAuthorised": ("negotiation", "under_negotiation"),
    "AgreementApproved": ("signature", "approved"),
    "AgreementSigned": (None, "signed"),
    "RatificationNotified": (None, "ratified"),
    "AdmissionResolutionAdopted": ("signature", "admitted"),
    "InstrumentOfAccessionDeposited": (None, "instrument_deposited"),
    "EnteredIntoForce": ("implementation", "in_force"),
    "ParticipationEnded": ("closed", "ended"),
    "Withdrawn": ("closed", "withdrawn"),
}


class EnlargementList(TableView):
    name = "enlargements"
    topics = ("accord.enlargement:",)
    tables = ("enlargement_list",)
    table = "enlargement_list"
    columns = COLUMNS

    def __init__(self, step_name: Any):
        self.step_name = step_name

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS enlargement_list ("
            "id TEXT PRIMARY KEY, state TEXT NOT NULL, country TEXT NOT NULL, target TEXT NOT NULL, "
            "stage TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, workflow_version INTEGER NOT NULL, "
            "created_at TEXT NOT NULL, created_by TEXT NOT NULL, updated_at TEXT NOT NULL, last_step TEXT, "
            "last_actor TEXT, position BIGINT NOT NULL, applied_on TEXT NOT NULL, effective_on TEXT, ended_on TEXT)",
            *(f"CREATE INDEX IF NOT EXISTS enlargement_list_{c} ON enlargement_list ({c}, id)"
              for c in ("stage", "status", "target", "country", "updated_at", "applied_on")),
        ]

    def apply_event(self, rows: dict[str, dict[str, Any]], change: Change) -> None:
        event = change.event
        key, name = str(event.originator_id), type(event).__name__
        if isinstance(event, E.Created):
            rows[key] = {"id": key, "state": event.state.name, "country": event.state.country,
                         "target": event.target.value, "stage": "drafting", "status": "draft",
                         "workflow_version": event.workflow_version, "created_at": time_text(event.timestamp),
                         "created_by": event.by.name, "applied_on": date_text(event.applied_on),
                         "effective_on": None, "ended_on": None}
        row = rows[key]
        row.update(version=event.originator_version, updated_at=time_text(event.timestamp), position=change.position,
                   last_actor=event.by.name, last_step=self.step_name("enlargement", name))
        if name in STAGE_STATUS:
            stage, status = STAGE_STATUS[name]
            row.update(status=status, **({"stage": stage} if stage else {}))
        if name == "EnteredIntoForce":
            row["effective_on"] = date_text(event.effective_on)
        elif name == "ParticipationEnded":
            row["ended_on"] = date_text(event.effective_on)
        elif name == "Corrected" and event.field in row:  # the list keeps some of the process's dates
            row[event.field] = event.value
