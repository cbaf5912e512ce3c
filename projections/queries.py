"""Questions management and auditors ask of the views: lists, the dashboard, the journal."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.agreements import iso
from projections.db import Database

SORTABLE = ("title", "created_at", "updated_at", "expires_on", "stage", "status", "kind")
OPEN = "stage <> 'closed'"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int


def _like(text: str) -> str:
    return "%" + text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_agreements(db: Database, filters: Mapping[str, Any], sort: str = "-updated_at", page: int = 1,
                    per_page: int = 50, now: datetime | None = None) -> Page:
    """One page of agreements matching every given filter, and how many match in all."""
    where, params = [], []
    for column in ("stage", "status", "kind"):
        if filters.get(column):
            where.append(f"a.{column} = ?")
            params.append(filters[column])
    if filters.get("country"):
        where.append("a.id IN (SELECT agreement_id FROM agreement_parties WHERE country = ?)")
        params.append(filters["country"])
    if filters.get("counterparty"):
        where.append("a.id IN (SELECT agreement_id FROM agreement_parties WHERE name_key LIKE ? ESCAPE '\\')")
        params.append(_like(filters["counterparty"]))
    if filters.get("q"):
        where.append("LOWER(a.title) LIKE ? ESCAPE '\\'")
        params.append(_like(filters["q"]))
    if filters.get("expires_before"):
        where.append("a.expires_on IS NOT NULL AND a.expires_on < ? AND a." + OPEN)
        params.append(iso(filters["expires_before"]))
    if filters.get("stalled_for_days") is not None:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=filters["stalled_for_days"])
        where.append("a.updated_at < ? AND a." + OPEN)
        params.append(iso(cutoff))
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    column = sort.lstrip("-")
    if column not in SORTABLE:
        raise ValueError(f"cannot sort by {column}")
    direction = "DESC" if sort.startswith("-") else "ASC"
    with_total = f"SELECT COUNT(*) AS n FROM agreement_list a{clause}"
    select = (f"SELECT a.* FROM agreement_list a{clause} ORDER BY a.{column} {direction}, a.id {direction} "
              "LIMIT ? OFFSET ?")
    total = db.query(with_total, params)[0]["n"]
    items = [dict(r) for r in db.query(select, [*params, per_page, (page - 1) * per_page])]
    return Page(items=items, total=int(total))


def dashboard(db: Database, stalled_days: int = 90, expiring_days: int = 180,
              now: datetime | None = None) -> dict[str, Any]:
    """Counts by stage, status and kind; open agreements with no step for N days; expiring within N days."""
    now = now or datetime.now(UTC)
    counts = {}
    for column in ("stage", "status", "kind"):
        rows = db.query(f"SELECT {column} AS k, COUNT(*) AS n FROM agreement_list GROUP BY {column}")
        counts[column] = {r["k"]: int(r["n"]) for r in rows}
    stalled = db.query(
        f"SELECT id, title, stage, status, updated_at, last_step FROM agreement_list "
        f"WHERE updated_at < ? AND {OPEN} ORDER BY updated_at, id",
        (iso(now - timedelta(days=stalled_days)),))
    today = now.date()
    expiring = db.query(
        f"SELECT id, title, stage, status, expires_on FROM agreement_list "
        f"WHERE expires_on IS NOT NULL AND expires_on >= ? AND expires_on <= ? AND {OPEN} ORDER BY expires_on, id",
        (iso(today), iso(today + timedelta(days=expiring_days))))
    total = sum(counts["stage"].values())
    return {
        "total": total, "by_stage": counts["stage"], "by_status": counts["status"], "by_kind": counts["kind"],
        "stalled": {"days": stalled_days, "count": len(stalled), "items": [dict(r) for r in stalled]},
        "expiring": {"days": expiring_days, "count": len(expiring), "items": [dict(r) for r in expiring]},
    }


def journal(db: Database, after: int = 0, limit: int = 100, actor: str | None = None, type: str | None = None,
            recorded_from: datetime | None = None, recorded_to: datetime | None = None) -> list[dict[str, Any]]:
    """The global log after a position, in order, optionally filtered by actor, step type and time range."""
    where, params = ["position > ?"], [after]
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if type:
        where.append("type = ?")
        params.append(type)
    if recorded_from:
        where.append("recorded_at >= ?")
        params.append(iso(recorded_from))
    if recorded_to:
        where.append("recorded_at < ?")
        params.append(iso(recorded_to))
    rows = db.query(f"SELECT * FROM journal WHERE {' AND '.join(where)} ORDER BY position LIMIT ?", [*params, limit])
    return [{**dict(r), "data": json.loads(r["data"])} for r in rows]


