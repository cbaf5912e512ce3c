"""Questions a person's home page asks of the views: the open agreements someone created or last acted on,
the legal reviews waiting (oldest first) with the text under review and who asked, and someone's latest
steps. Each is one query (or two), however many rows it returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.db import Database
from projections.journal import entry_of
from projections.queries import OPEN

REQUESTED = "requested"


def open_agreements_of(db: Database, actor: str, limit: int = 25) -> list[dict[str, Any]]:
    """Open agreements ``actor`` created or took the last step on, the most recently changed first."""
    rows = db.query(
        f"SELECT * FROM agreement_list WHERE {OPEN} AND id IN ("
        "SELECT id FROM agreement_list WHERE created_by = ? UNION SELECT id FROM agreement_list WHERE last_actor = ?"
        ") ORDER BY updated_at DESC, id LIMIT ?", (actor, actor, limit))
    return [dict(r) for r in rows]


def pending_reviews(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """Agreements whose legal review is requested and not yet completed, the longest waiting first, each
    with ``text`` (the document under review), ``requested_by`` and ``requested_at``."""
    rows = [dict(r) for r in db.query(
        "SELECT * FROM agreement_list WHERE legal_clearance = ? ORDER BY updated_at, id LIMIT ?",
        (REQUESTED, limit))]
    latest = _latest_steps(db, [r["id"] for r in rows], ("attach_text", "request_legal_review"))
    for row in rows:
        attached, requested = latest.get((row["id"], "attach_text")), latest.get((row["id"], "request_legal_review"))
        row["text"] = attached["data"].get("document") if attached else None
        row["text_attached_by"] = attached["actor"] if attached else None
        row["requested_by"] = requested["actor"] if requested else None
        row["requested_at"] = requested["recorded_at"] if requested else row["updated_at"]
    rows.sort(key=lambda r: (r["requested_at"], r["id"]))
    return rows


def _latest_steps(db: Database, ids: Sequence[str], steps: Sequence[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """The last journal entry of each of ``steps`` on each aggregate of ``ids``, by (id, step): one query."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    kinds = ", ".join("?" for _ in steps)
    rows = db.query(f"SELECT * FROM journal WHERE aggregate_id IN ({marks}) AND type IN ({kinds}) ORDER BY position",
                    [*ids, *steps])
    return {(r["aggregate_id"], r["type"]): entry_of(r) for r in rows}


def recent_steps_of(db: Database, actor: str, limit: int = 10) -> list[dict[str, Any]]:
    """``actor``'s latest steps on agreements and enlargement processes, newest first."""
    rows = db.query("SELECT * FROM journal WHERE actor = ? AND aggregate_type IN ('agreement', 'enlargement') "
                    "ORDER BY position DESC LIMIT ?", (actor, limit))
    return [entry_of(r) for r in rows]
