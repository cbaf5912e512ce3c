"""Deadlines for the reminder tests, written as the deadlines view writes them: rows of ``deadlines`` and, in
the same transaction, the reminders planned for them (``projections.reminders.plan_reminders``)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from projections.reminders import plan_reminders

DDL = ("CREATE TABLE IF NOT EXISTS deadlines (id TEXT PRIMARY KEY, process_kind TEXT NOT NULL, "
       "process_id TEXT NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL, due_on TEXT NOT NULL, "
       "officers TEXT NOT NULL, rule TEXT, detail TEXT)")
_position = [1000]


def today() -> date:
    return datetime.now(UTC).date()


def deadline(kind: str = "expiry", in_days: int = 20, officers: dict[str, str] | None = None,
             process_id: str | None = None, title: str = "ICA with Mongolia") -> dict[str, Any]:
    process_id = process_id or str(uuid.uuid4())
    due = (today() + timedelta(days=in_days)).isoformat()
    officers = officers if officers is not None else {"alice": "ir_officer", "bruno": "legal_officer"}
    return {"id": f"{process_id}:{kind}:{due}", "process_kind": "agreement", "process_id": process_id,
            "title": title, "kind": kind, "due_on": due,
            "officers": json.dumps([{"username": u, "role": r} for u, r in officers.items()]),
            "rule": "tacit_renewal", "detail": "Renews for 5 years unless notice is given."}


def put_deadlines(services: Any, process_ids: list[str], rows: list[dict[str, Any]]) -> dict[str, int]:
    """Make ``rows`` the deadlines of ``process_ids`` (their others go away) and plan their reminders, in one
    transaction; returns what the planner did."""
    _position[0] += 1
    with services.db.transaction() as cursor:
        cursor.execute(DDL)
        for pid in process_ids:
            cursor.execute("DELETE FROM deadlines WHERE process_id = ?", (pid,))
        for r in rows:
            cursor.execute("INSERT INTO deadlines (id, process_kind, process_id, title, kind, due_on, officers, "
                           "rule, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", tuple(r.values()))
        return plan_reminders(cursor, process_ids, _position[0], services.mail.reminders, today())


def outbox(services: Any, kind: str = "reminder") -> list[dict[str, Any]]:
    return [dict(r) for r in services.db.query("SELECT * FROM reminder_outbox WHERE kind = ? ORDER BY key", (kind,))]


def log(services: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in services.db.query("SELECT * FROM reminder_deliveries ORDER BY seq")]
