"""Questions management and auditors ask of the views: lists, the dashboard, the journal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.agreements import iso
from projections.db import Database
from projections.journal import entry_of

SORTABLE = ("title", "created_at", "updated_at", "expires_on", "stage", "status", "kind")
COUNTED = {"stage", "status", "kind", "country"}
"""Filters whose totals come from agreement_counts instead of counting rows."""
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
        where.append("EXISTS (SELECT 1 FROM agreement_parties p WHERE p.agreement_id = a.id AND p.country = ?)")
        params.append(filters["country"])
    if filters.get("counterparty"):
        where.append("a.id IN (SELECT agreement_id FROM agreement_parties WHERE name_key LIKE ? ESCAPE '\\')")
        params.append(_like(filters["counterparty"]))
    if filters.get("q"):
        where.append("a.title_key LIKE ? ESCAPE '\\'")
        params.append(_like(filters["q"]))
    if filters.get("expires_before"):
        where.append("a.expires_on IS NOT NULL AND a.expires_on < ? AND a." + OPEN)
        params.append(iso(filters["expires_before"]))
    if filters.get("stalled_for_days") is not None:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=filters["stalled_for_days"])
        where.append("a.updated_at < ? AND a." + OPEN)
        params.append(iso(cutoff))
    total = None
    if not set(k for k, v in filters.items() if v is not None) - COUNTED:
        counted = [f"{c} = ?" for c in ("stage", "status", "kind") if filters.get(c)]
        total = db.query(
            f"SELECT COALESCE(SUM(n), 0) AS n FROM agreement_counts WHERE {' AND '.join(['country = ?', *counted])}",
            [filters.get("country") or "*", *(filters[c] for c in ("stage", "status", "kind") if filters.get(c))],
        )[0]["n"]
    return _page(db, "agreement_list", where, params, sort, SORTABLE, page, per_page, total)


ENLARGEMENT_SORTABLE = ("state", "applied_on", "updated_at", "created_at", "effective_on", "stage", "status",
                        "target")


def list_enlargements(db: Database, filters: Mapping[str, Any], sort: str = "-updated_at", page: int = 1,
                      per_page: int = 50) -> Page:
    """One page of enlargement processes matching every given filter, and how many match in all."""
    where = [f"a.{c} = ?" for c in ("stage", "status", "target", "country") if filters.get(c)]
    params = [filters[c] for c in ("stage", "status", "target", "country") if filters.get(c)]
    return _page(db, "enlargement_list", where, params, sort, ENLARGEMENT_SORTABLE, page, per_page)


def _page(db: Database, table: str, where: list[str], params: list[Any], sort: str, sortable: Sequence[str],
          page: int, per_page: int, total: int | None = None) -> Page:
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    column = sort.lstrip("-")
    if column not in sortable:
        raise ValueError(f"cannot sort by {column}")
    direction = "DESC NULLS FIRST" if sort.startswith("-") else "ASC NULLS LAST"  # no date sorts last
    if total is None:
        total = db.query(f"SELECT COUNT(*) AS n FROM {table} a{clause}", params)[0]["n"]
    select = (f"SELECT a.* FROM {table} a{clause} ORDER BY a.{column} {direction}, a.id {direction.split()[0]} "
              "LIMIT ? OFFSET ?")
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
    enlargements = {
        column: {r["k"]: int(r["n"]) for r in db.query(
            f"SELECT {column} AS k, COUNT(*) AS n FROM enlargement_list GROUP BY {column}")}
        for column in ("stage", "target")
    }
    return {
        "enlargements": {"total": sum(enlargements["stage"].values()), "by_stage": enlargements["stage"],
                         "by_target": enlargements["target"]},
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
    return [{**entry_of(r), "recorded_at": datetime.fromisoformat(r["recorded_at"])} for r in rows]




CAPACITY_ORDER = ("member", "associate_member_pre_stage", "associate_member", "cooperation_partner")
INSTITUTIONAL = set(CAPACITY_ORDER[:3])
AS_KNOWN = "recorded_from <= ? AND (recorded_to IS NULL OR recorded_to > ?)"


def participation(db: Database, on: str, known_at: str) -> list[dict[str, Any]]:
    """Every party participating on date ``on`` (YYYY-MM-DD), as recorded at ``known_at`` (ISO UTC text).

    A state holds one institutional capacity a day; a party with an institutional capacity is not listed
    again as a cooperation partner; a partner with several agreements in force is listed once, since the
    earliest.
    """
    rows = db.query(
        f"SELECT * FROM participation WHERE {AS_KNOWN} AND began_on <= ? AND (ended_on IS NULL OR ended_on > ?) "
        "ORDER BY party_key, began_on, source_id",
        (known_at, known_at, on, on))
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        best = chosen.get(row["party_key"])
        rank = CAPACITY_ORDER.index(row["capacity"])
        if best is None or rank < CAPACITY_ORDER.index(best["capacity"]):
            chosen[row["party_key"]] = dict(row)
    return sorted(
        (_entry(r) for r in chosen.values()),
        key=lambda e: (CAPACITY_ORDER.index(e["capacity"]), e["party"].casefold()),
    )


def timeline(db: Database, party: str, known_at: str) -> list[dict[str, Any]]:
    """Every period of one party's participation, as recorded at ``known_at``; ``party`` is a country code or
    a name."""
    by_country = len(party) == 2 and party.isalpha() and party.isupper()
    key_clause = "country = ?" if by_country else "party_name_key = ?"
    value = party if by_country else party.strip().casefold()
    rows = db.query(
        f"SELECT * FROM participation WHERE {AS_KNOWN} AND {key_clause} ORDER BY began_on, capacity, source_id",
        (known_at, known_at, value))
    return [_entry(r) for r in rows]


def _entry(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "party": row["party"], "kind": row["party_kind"], "country": row["country"], "capacity": row["capacity"],
        "since": row["began_on"], "until": row["ended_on"],
        "source": {"type": row["source_type"], "id": row["source_id"]}, "recorded_at": row["recorded_from"],
    }
