"""Questions management and auditors ask of the views: lists, the dashboard, the journal."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.dates import date_text, time_from_text, time_text
from domain.record_dates import FLOOR
from projections import titles
from projections.db import Database, like_contains
from projections.journal import entry_of

AGREEMENT_SORTABLE = ("title", "created_at", "updated_at", "expires_on", "stage", "status", "kind")
COUNTED = {"stage", "status", "kind", "country"}
"""Filters whose totals come from agreement_counts instead of counting rows."""
OPEN = "stage <> 'closed'"
COUNT_LIMIT = 1000
"""A title search stops counting its matches here, or at the end of the page asked for if that is further: its
total is then a lower bound. Counting every match of a common word would read as many index entries as there
are matches, a number that grows with the list."""
LOOKUP_COST = {"sqlite": 8, "postgres": 2}
"""Looking one title match up and sorting it costs about as much as walking this many rows in sort order and
testing their titles, on each engine: more on SQLite, whose index gives each match's id from a table of its own,
to be looked up in agreement_list (the measured costs are in bench/RESULTS.md)."""
TITLE_CONTAINS = "a.title_key LIKE ? ESCAPE '\\'"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    total_is_lower_bound: bool = False


def list_agreements(db: Database, filters: Mapping[str, Any], sort: str = "-updated_at", page: int = 1,
                    per_page: int = 50, now: datetime | None = None) -> Page:
    """One page of agreements matching every given filter, and how many match in all.

    A country's list sorted by ``updated_at`` is read from ``agreement_countries`` in that order, so it stops
    after a page. A title search (``q``): see ``_title_search``.
    """
    where, params = [], []
    source, order = "agreement_list a", _order(sort, AGREEMENT_SORTABLE)
    country = filters.get("country")
    by_country = bool(country) and sort.lstrip("-") == "updated_at"
    if by_country:
        source = "agreement_countries c JOIN agreement_list a ON a.id = c.agreement_id"
        order = _order(sort, AGREEMENT_SORTABLE, "c.updated_at", "c.agreement_id")
        where.append("c.country = ?")
        params.append(country)
    elif country:
        where.append("EXISTS (SELECT 1 FROM agreement_countries c WHERE c.country = ? AND c.agreement_id = a.id)")
        params.append(country)
    for column in ("stage", "status", "kind"):
        if filters.get(column):
            where.append(f"{'c' if by_country else 'a'}.{column} = ?")
            params.append(filters[column])
    if filters.get("parent"):
        where.append("a.parent_id = ?")
        params.append(str(filters["parent"]))
    if filters.get("counterparty"):
        where.append("a.id IN (SELECT agreement_id FROM agreement_parties WHERE name_key LIKE ? ESCAPE '\\')")
        params.append(like_contains(filters["counterparty"]))
    if filters.get("expires_before"):
        where.append("a.expires_on IS NOT NULL AND a.expires_on < ? AND a." + OPEN)
        params.append(date_text(filters["expires_before"]))
    if filters.get("stalled_for_days") is not None:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=filters["stalled_for_days"])
        where.append("a.updated_at < ? AND a." + OPEN)
        params.append(time_text(cutoff))
    given = {k for k, v in filters.items() if v is not None}
    if filters.get("q"):
        return _title_search(db, filters["q"], given == {"q"}, source, where, params, order, page, per_page)
    total = None
    if not given - COUNTED:
        counted = [f"{c} = ?" for c in ("stage", "status", "kind") if filters.get(c)]
        total = db.query(
            f"SELECT COALESCE(SUM(n), 0) AS n FROM agreement_counts WHERE {' AND '.join(['country = ?', *counted])}",
            [country or "*", *(filters[c] for c in ("stage", "status", "kind") if filters.get(c))],
        )[0]["n"]
    return _page(db, source, where, params, order, page, per_page, total)


def _title_search(db: Database, text: str, alone: bool, source: str, where: list[str], params: list[Any],
                  order: str, page: int, per_page: int) -> Page:
    """A title search, with the other filters in ``where``.

    Its matches are counted up to COUNT_LIMIT or the end of the page, through the title index when ``text``
    has three characters or more (the index alone when it is the only filter). If they are few, the page is
    looked up in the index too and sorted; if they are many (a common word), walking the sort order and
    testing each row's title reaches a page of them sooner. The choice is made here because neither
    database's planner can know how many titles match. A shorter text is tested on every row, stopping as
    soon as the count and the page are complete.
    """
    if titles.indexed(text):
        condition, value = titles.matching(db, text)
        in_index = f"a.id IN (SELECT id FROM {titles.TABLE} WHERE {condition})"
    else:
        in_index, value = TITLE_CONTAINS, like_contains(text)
    bound = max(COUNT_LIMIT, page * per_page)
    if alone and titles.indexed(text):  # one title per agreement
        matches, matches_params = f"SELECT 1 FROM {titles.TABLE} WHERE {condition} LIMIT ?", [value, bound + 1]
    else:
        clause = " WHERE " + " AND ".join([*where, in_index])
        matches, matches_params = f"SELECT 1 FROM {source}{clause} LIMIT ?", [*params, value, bound + 1]
    row = db.query(f"SELECT (SELECT COUNT(*) FROM ({matches}) m) AS n, "
                   "(SELECT COALESCE(SUM(n), 0) FROM agreement_counts WHERE country = '*') AS agreements",
                   matches_params)[0]
    counted, agreements = int(row["n"]), int(row["agreements"])
    walk = counted > bound or counted * counted * LOOKUP_COST[db.dialect] >= page * per_page * agreements
    where, params = [*where, TITLE_CONTAINS if walk else in_index], [*params, like_contains(text) if walk else value]
    found = _page(db, source, where, params, order, page, per_page, min(counted, bound))
    return Page(found.items, found.total, total_is_lower_bound=counted > bound)


ENLARGEMENT_SORTABLE = ("state", "applied_on", "updated_at", "created_at", "effective_on", "stage", "status",
                        "target")


def children_of(db: Database, agreement_id: str) -> list[dict[str, Any]]:
    """The agreements concluded under an agreement (protocols and addenda under a framework), oldest first,
    as the agreement list knows them."""
    rows = db.query("SELECT id, title, kind, stage, status FROM agreement_list WHERE parent_id = ? "
                    "ORDER BY created_position, id", (agreement_id,))
    return [dict(r) for r in rows]


def list_enlargements(db: Database, filters: Mapping[str, Any], sort: str = "-updated_at", page: int = 1,
                      per_page: int = 50) -> Page:
    """One page of enlargement processes matching every given filter, and how many match in all."""
    where = [f"a.{c} = ?" for c in ("stage", "status", "target", "country") if filters.get(c)]
    params = [filters[c] for c in ("stage", "status", "target", "country") if filters.get(c)]
    return _page(db, "enlargement_list a", where, params, _order(sort, ENLARGEMENT_SORTABLE), page, per_page)


def list_observers(db: Database, filters: Mapping[str, Any], sort: str = "party", page: int = 1,
                   per_page: int = 50) -> Page:
    """One page of observer statuses (every one requested, granted or not), by party name."""
    where, params = ["capacity = 'observer'"], []
    if filters.get("country"):
        where.append("country = ?")
        params.append(filters["country"])
    direction = "DESC" if sort.startswith("-") else "ASC"
    clause = " AND ".join(where)
    total = db.query(f"SELECT COUNT(*) AS n FROM participation_parties WHERE {clause}", params)[0]["n"]
    rows = db.query(f"SELECT source_id AS id, party, party_kind AS kind, country FROM participation_parties "
                    f"WHERE {clause} ORDER BY party {direction}, source_id {direction} LIMIT ? OFFSET ?",
                    [*params, per_page, (page - 1) * per_page])
    return Page(items=[dict(r) for r in rows], total=int(total))


def _order(sort: str, sortable: Sequence[str], column: str | None = None, tie: str = "a.id") -> str:
    """ORDER BY for ``sort`` ("column" or "-column"), ties broken by id; ``column`` names the sorted column
    when it is read from another table than ``a``."""
    name = sort.lstrip("-")
    if name not in sortable:
        raise ValueError(f"cannot sort by {name}")
    direction = "DESC NULLS FIRST" if sort.startswith("-") else "ASC NULLS LAST"  # no date sorts last
    return f"{column or 'a.' + name} {direction}, {tie} {direction.split()[0]}"


def _page(db: Database, source: str, where: list[str], params: list[Any], order: str, page: int, per_page: int,
          total: int | None = None) -> Page:
    """``source`` is the FROM clause, its main table named ``a``."""
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    if total is None:
        total = db.query(f"SELECT COUNT(*) AS n FROM {source}{clause}", params)[0]["n"]
    select = f"SELECT a.* FROM {source}{clause} ORDER BY {order} LIMIT ? OFFSET ?"
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
        (time_text(now - timedelta(days=stalled_days)),))
    today = now.date()
    expiring = db.query(
        f"SELECT id, title, stage, status, expires_on FROM agreement_list "
        f"WHERE expires_on IS NOT NULL AND expires_on >= ? AND expires_on <= ? AND {OPEN} ORDER BY expires_on, id",
        (date_text(today), date_text(today + timedelta(days=expiring_days))))
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
            recorded_from: datetime | None = None, recorded_to: datetime | None = None,
            aggregate_id: str | None = None, before: int | None = None) -> list[dict[str, Any]]:
    """The global log after a position, in order, optionally filtered by actor, step type, aggregate and time
    range; with ``before``, the last ``limit`` entries before that position (still in order): a page read
    backwards from the newest."""
    where, params = ["position > ?"], [after]
    if before is not None:
        where.append("position < ?")
        params.append(before)
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if type:
        where.append("type = ?")
        params.append(type)
    if aggregate_id:
        where.append("aggregate_id = ?")
        params.append(aggregate_id)
    if recorded_from:
        where.append("recorded_at >= ?")
        params.append(time_text(recorded_from))
    if recorded_to:
        where.append("recorded_at < ?")
        params.append(time_text(recorded_to))
    order = "DESC" if before is not None else "ASC"
    rows = db.query(f"SELECT * FROM journal WHERE {' AND '.join(where)} ORDER BY position {order} LIMIT ?",
                    [*params, limit])
    if before is not None:
        rows = list(reversed(rows))
    return [{**entry_of(r), "recorded_at": time_from_text(r["recorded_at"])} for r in rows]


CAPACITY_ORDER = ("member", "associate_member_pre_stage", "associate_member", "candidate_for_accession",
                  "observer", "cooperation_partner", "associate_member_signed")
NOT_PARTICIPATING = ("associate_member_signed",)
"""Statuses of record that are no participation: shown in a party's timeline, never on a date."""
AS_KNOWN = "recorded_from <= ? AND (recorded_to IS NULL OR recorded_to > ?)"
WITH_ORGANISATION = "with_organisation"


def participation(db: Database, on: str, known_at: str) -> list[dict[str, Any]]:
    """Every party participating on date ``on`` (YYYY-MM-DD), as recorded at ``known_at`` (ISO UTC text).

    A party is listed once, in the status it holds that day: one it certainly holds before one it possibly
    holds (a date inside an imprecise start or end), then the higher status (a state holds one institutional
    status a day; a Member is not listed again as a cooperation partner). The other statuses it holds that
    day are listed under ``also``. The organisation's own statuses elsewhere are not among them
    (``held_by_organisation``).
    """
    rows = _on(db, on, known_at)
    by_party: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["relation"] == WITH_ORGANISATION and row["capacity"] not in NOT_PARTICIPATING:
            by_party.setdefault(row["party_key"], []).append(row)
    listed = []
    for held in by_party.values():
        held.sort(key=lambda r: (not r["certain"], CAPACITY_ORDER.index(r["capacity"]), r["began_on"],
                                 r["source_id"]))
        first, *others = held
        listed.append({**_participant(first, on), "also": [_participant(r, on) for r in others]})
    return sorted(listed, key=lambda e: (CAPACITY_ORDER.index(e["capacity"]), e["party"].casefold()))


def held_by_organisation(db: Database, on: str, known_at: str) -> list[dict[str, Any]]:
    """The organisation's own statuses in other bodies on ``on`` (CERN, observer at the UN General
    Assembly), as recorded at ``known_at``."""
    return [_participant(r, on) for r in _on(db, on, known_at) if r["relation"] != WITH_ORGANISATION]


def _on(db: Database, on: str, known_at: str) -> list[dict[str, Any]]:
    rows = db.query(
        f"SELECT * FROM participation WHERE {AS_KNOWN} AND began_on <= ? AND (ended_on IS NULL OR ended_on > ?) "
        "ORDER BY party_key, began_on, source_id",
        (known_at, known_at, on, on))
    return [{**dict(r), "certain": r["certain_from"] <= on and (r["certain_until"] is None
                                                               or r["certain_until"] > on)} for r in rows]


def timeline(db: Database, party: str, known_at: str) -> list[dict[str, Any]]:
    """Every period of one party's participation, as recorded at ``known_at``; ``party`` is a country code or
    a name."""
    by_country = len(party) == 2 and party.isalpha() and party.isupper()
    key_clause = "country = ?" if by_country else "party_name_key = ?"
    value = party if by_country else party.strip().casefold()
    rows = db.query(
        f"SELECT * FROM participation WHERE {AS_KNOWN} AND {key_clause} ORDER BY began_on, capacity, source_id",
        (known_at, known_at, value))
    return [_participant(r) for r in rows]


def _participant(row: Mapping[str, Any], on: str | None = None) -> dict[str, Any]:
    """A row as the register shows it. ``since`` and ``until`` are the first day the period possibly holds
    and the first day it certainly no longer holds (None: unknown start; still holds); ``start`` and ``end``
    are its dates as the record gives them; ``certain`` says whether it certainly holds on ``on``
    (in a timeline: whether both its dates are known to the day)."""
    detail = json.loads(row["detail"])
    exact = row["began_on"] == row["certain_from"] and row["ended_on"] == row["certain_until"]
    return {
        "party": row["party"], "kind": row["party_kind"], "country": row["country"], "capacity": row["capacity"],
        "since": None if row["began_on"] == FLOOR else row["began_on"], "until": row["ended_on"],
        "certain": row["certain"] if on is not None else exact,
        "suspended": bool(row["suspended"]), "scope": row["scope"], "body": row["body"],
        "relation": row["relation"], "start": detail.get("start"), "end": detail.get("end"),
        "end_is": detail.get("end_is", "first_day_without"), "sources": detail.get("sources", []),
        "interpretation": detail.get("interpretation", []),
        "source": {"type": row["source_type"], "id": row["source_id"]}, "recorded_at": row["recorded_from"],
    }


def every_period(db: Database, known_at: str) -> list[dict[str, Any]]:
    """Every period of every party's participation, as recorded at ``known_at``, by party then date: the
    register's whole history, for its timeline."""
    rows = db.query(f"SELECT * FROM participation WHERE {AS_KNOWN} ORDER BY party_key, began_on, capacity, source_id",
                    (known_at, known_at))
    return [_participant(r) for r in rows]
