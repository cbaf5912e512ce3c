"""The deadlines view: every date of an open agreement or enlargement process that asks for action, with the
officers responsible, and the query every reader of it asks (the API, the desk, the dashboard, reminders,
the calendar feed).

Rows (table ``deadlines``), one per date of a process's current period:

    id            f"{process_id}:{kind}:{due_on}" (the same date of the same process always has the same id)
    process_kind  'agreement' | 'enlargement'
    process_id    the process's id
    title         the process's title
    kind          notice_window_opens, notice_window_closes, expiry, renewal, pre_stage_minimum,
                  pre_stage_maximum, review
    due_on        YYYY-MM-DD
    officers      JSON [{"username": ..., "role": ...}]: who created the process and everyone who took a step
                  on it as an IR or legal officer, in the order they first acted
    rule          the rule of the definition behind the date (tacit_renewal, notice_window_closed, ...)
    detail        a few words

The view knows no "today": it keeps every date of each open process's current period, past ones included
until time or a person decides them (an expiry the clock has not recorded yet is overdue, not gone). Ask
``deadlines(db, due_from=today)`` for the upcoming ones. A process's rows are recomputed from a small state
kept per process (``deadline_processes``) whenever one of its events arrives; a closed process has none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from eventsourcing.utils import resolve_topic

from domain.dates import date_from_text, date_text
from domain.enlargement import PRE_STAGE_MAXIMUM_YEARS, PRE_STAGE_MINIMUM_YEARS, years_after
from domain.term import TERM_FIELDS, add_months, notice_deadline
from projections.db import Cursor, Database, insert_rows, rows_where_in, upsert_rows
from projections.engine import Change, View

KINDS = ("notice_window_opens", "notice_window_closes", "expiry", "renewal", "pre_stage_minimum",
         "pre_stage_maximum", "review")
COLUMNS = ("id", "process_kind", "process_id", "title", "kind", "due_on", "officers", "rule", "detail")
OFFICER_ROLES = ("ir_officer", "legal_officer")
PRE_STAGE = "associate_member_pre_stage"
REVIEW_MONTHS = 6
"""An agreement renewed only by amendment is reviewed this long before its expiry (or its notice period, if
longer), so that an amendment can still be concluded."""
CLOSING = {"Terminated", "Superseded", "Expired", "ExpiredAtTerm", "Withdrawn", "ParticipationEnded"}
STAGES = {"NegotiationOpened": "negotiation", "TextFinalised": "signature", "NegotiationAuthorised": "negotiation",
          "AgreementApproved": "signature", "EnteredIntoForce": "implementation"}


class Deadlines(View):
    name = "deadlines"
    topics = ("accord.agreement:", "accord.enlargement:")
    tables = ("deadline_processes", "deadline_officers", "deadlines")

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS deadline_processes (id TEXT PRIMARY KEY, process_kind TEXT NOT NULL, "
            "state TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS deadlines (id TEXT PRIMARY KEY, process_kind TEXT NOT NULL, "
            "process_id TEXT NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL, due_on TEXT NOT NULL, "
            "officers TEXT NOT NULL, rule TEXT NOT NULL, detail TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS deadline_officers (process_id TEXT NOT NULL, username TEXT NOT NULL, "
            "PRIMARY KEY (username, process_id))",
            "CREATE INDEX IF NOT EXISTS deadlines_due_on ON deadlines (due_on, id)",
            "CREATE INDEX IF NOT EXISTS deadlines_process ON deadlines (process_id, due_on)",
            "CREATE INDEX IF NOT EXISTS deadline_officers_process ON deadline_officers (process_id)",
        ]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        if not changes:
            return
        ids = sorted({c.aggregate_id for c in changes})
        states = {r["id"]: json.loads(r["state"]) for r in rows_where_in(cursor, "deadline_processes", "id", ids)}
        for change in changes:
            name = event_name(change.topic)
            if name in READS_FIELDS:
                event = change.event
                by_name, by_role = event.by.name, event.by.role.value
            else:  # only its name and who took it: read from the stored JSON, nothing decoded
                event = None
                by = orjson.loads(change.state)["by"]["_data_"]
                by_name, by_role = by["name"], by["role"]["_data_"]
            apply_event(states, change.aggregate_id, change.topic, name, by_name, by_role, event)
        upsert_rows(cursor, "deadline_processes", ("id", "process_kind", "state"), ("id",),
                    [(i, states[i]["process_kind"], json.dumps(states[i], sort_keys=True)) for i in ids if i in states])
        for table, column in (("deadlines", "process_id"), ("deadline_officers", "process_id")):
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({','.join('?' * len(part))})", part)
        rows = [row for i in ids if i in states for row in deadlines_of(i, states[i])]
        insert_rows(cursor, "deadlines", COLUMNS, [tuple(r[c] for c in COLUMNS) for r in rows])
        insert_rows(cursor, "deadline_officers", ("process_id", "username"),
                    [(i, o["username"]) for i in ids if i in states and _open(states[i])
                     for o in states[i]["officers"]])


def _open(state: dict[str, Any]) -> bool:
    return state["stage"] != "closed"


READS_FIELDS = frozenset({"Created", "EnteredIntoForce", "Renewed", "RenewedTacitly", "NoticeGiven", "Corrected"})
"""The events whose fields the view reads (decoded); of every other it needs only its name and who took it."""


@lru_cache(maxsize=256)
def event_name(topic: str) -> str:
    """The name of the event class a stored topic stands for (as ``type(event).__name__``)."""
    return resolve_topic(topic).__name__


def apply_event(states: dict[str, dict[str, Any]], key: str, topic: str, name: str, by_name: str, role: str,
                event: Any) -> None:
    """Apply one event (``name``, taken by ``by_name`` in ``role``) to the state the view keeps of its process;
    ``event`` is the decoded event for those of ``READS_FIELDS``, else None."""
    if name == "Created":
        states[key] = _created(topic, event)
    state = states.get(key)
    if state is None:  # not a process (an aggregate of another type under the same prefix)
        return
    if role in OFFICER_ROLES and all(o["username"] != by_name for o in state["officers"]):
        state["officers"].append({"username": by_name, "role": role})
    if name in STAGES:
        state["stage"] = STAGES[name]
    if name in CLOSING:
        state["stage"] = "closed"
    if name == "EnteredIntoForce":
        state["effective_on"] = date_text(event.effective_on)
        state["period_start"] = state["effective_on"]
        if getattr(event, "expires_on", None) is not None:
            state["expires_on"] = date_text(event.expires_on)
    elif name == "Renewed":
        state["expires_on"] = date_text(event.expires_on)
    elif name == "RenewedTacitly":
        state["period_start"] = date_text(event.effective_on)
        state["expires_on"] = date_text(event.expires_on)
    elif name == "NoticeGiven":
        state["notice"] = {"party": event.party, "given_on": date_text(event.given_on)}
    elif name == "NoticeWithdrawn":
        state["notice"] = None
    elif name == "PreStageLimitPassed":
        state["pre_stage_flagged"] = True
    elif name == "Corrected" and event.field in state:
        state[event.field] = int(event.value) if TERM_FIELDS.get(event.field) == "months" else event.value


def _created(topic: str, event: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"stage": "drafting", "officers": [], "effective_on": None, "expires_on": None,
                             "period_start": None, "notice": None}
    if topic.startswith("accord.agreement:"):
        state.update(process_kind="agreement", title=event.title,
                     expires_on=date_text(event.expires_on) if event.expires_on else None,
                     **{f: getattr(event, f, None) for f in TERM_FIELDS})
    else:
        state.update(process_kind="enlargement", target=event.target.value, pre_stage_flagged=False,
                     title=f"{event.state.name}: {event.target.value.replace('_', ' ')}")
    role = event.by.role.value
    state["officers"].append({"username": event.by.name, "role": role})
    return state


def deadlines_of(process_id: str, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one process's dates that ask for action (none once it is closed)."""
    if not _open(state) or state["stage"] != "implementation":
        return []
    found: list[tuple[str, date, str, str]] = []
    if state["process_kind"] == "agreement":
        found = _agreement_dates(state)
    elif state.get("target") == PRE_STAGE and state["effective_on"]:
        start = date_from_text(state["effective_on"])  # the limits as the process knows them (PreStageLimits)
        found.append(("pre_stage_minimum", years_after(start, PRE_STAGE_MINIMUM_YEARS), "pre_stage_limits",
                      "two years in the pre-stage: Council may decide on Membership"))
        if not state.get("pre_stage_flagged"):
            found.append(("pre_stage_maximum", years_after(start, PRE_STAGE_MAXIMUM_YEARS), "pre_stage_maximum",
                          "five years in the pre-stage: its maximum"))
    officers = json.dumps(state["officers"], sort_keys=True)
    return [{"id": f"{process_id}:{kind}:{date_text(due)}", "process_kind": state["process_kind"],
             "process_id": process_id, "title": state["title"], "kind": kind, "due_on": date_text(due),
             "officers": officers, "rule": rule, "detail": detail} for kind, due, rule, detail in found]


def _agreement_dates(state: dict[str, Any]) -> list[tuple[str, date, str, str]]:
    if not state["expires_on"]:
        return []
    expires = date_from_text(state["expires_on"])
    rule, notice = state.get("renewal_rule"), state.get("notice")
    notice_months = state.get("notice_period_months")
    if rule == "tacit" and notice is None:
        period = state.get("renewal_period_months") or state.get("initial_period_months")
        closes = notice_deadline(expires, notice_months)
        found = [("notice_window_closes", closes, "notice_window_closed",
                  f"last day to give notice against the renewal on {date_text(expires)}"),
                 ("renewal", expires, "tacit_renewal",
                  f"renews for {period} months unless notice is given by {date_text(closes)}" if period
                  else "no renewal period recorded: expires")]
        if state["period_start"]:
            found.insert(0, ("notice_window_opens", date_from_text(state["period_start"]), "notice_window_closed",
                             "notice against the next renewal may be given from this day"))
        return found
    words = {"tacit": ("notice_given", f"expires: notice given on {notice['given_on']} by {notice['party']}"
                       if notice else ""),
             "none": ("no_renewal", "expires: no renewal"),
             "by_amendment": ("renewal_by_amendment", "expires unless amended before")}
    slug, detail = words.get(rule or "", ("expiry_passed", "expiry date: for the legal officer to record"))
    found = [("expiry", expires, slug, detail)]
    if rule == "by_amendment":
        found.insert(0, ("review", add_months(expires, -max(REVIEW_MONTHS, notice_months or 0)),
                         "renewal_by_amendment", f"decide on an amendment before the expiry on {date_text(expires)}"))
    return found


def deadlines(db: Database, officer: str | None = None, process_id: str | None = None,
              kinds: Sequence[str] | None = None, due_from: str | None = None, due_to: str | None = None,
              page: int = 1, per_page: int = 50) -> tuple[list[dict[str, Any]], int]:
    """One page of deadlines, soonest first, and how many match in all. ``officer``: a username among the
    officers; ``kinds``: any of ``KINDS``; ``due_from``/``due_to``: YYYY-MM-DD, inclusive. Each row is a dict
    of ``COLUMNS`` with ``officers`` as a list of {username, role}."""
    where, params = [], []
    if officer:
        where.append("process_id IN (SELECT process_id FROM deadline_officers WHERE username = ?)")
        params.append(officer)
    if process_id:
        where.append("process_id = ?")
        params.append(str(process_id))
    if kinds:
        where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    if due_from:
        where.append("due_on >= ?")
        params.append(due_from)
    if due_to:
        where.append("due_on <= ?")
        params.append(due_to)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = db.query(f"SELECT *, COUNT(*) OVER () AS total_rows FROM deadlines{clause} ORDER BY due_on, title, id "
                    "LIMIT ? OFFSET ?", [*params, per_page, (page - 1) * per_page])  # the page and the total at once
    if rows or page == 1:
        total = int(rows[0]["total_rows"]) if rows else 0
    else:  # a page past the end: count alone
        total = int(db.query(f"SELECT COUNT(*) AS n FROM deadlines{clause}", params)[0]["n"])
    return [{**{c: r[c] for c in COLUMNS}, "officers": json.loads(r["officers"])} for r in rows], total


DECIDED_BY_TIME = ("renewal", "expiry", "pre_stage_maximum")
"""The kinds of deadline the clock may have to decide once they have passed."""


def due_processes(db: Database, before: str) -> list[tuple[str, str]]:
    """(process kind, process id) of every process with a date the clock may decide that falls before
    ``before`` (YYYY-MM-DD): each then decides for itself, loaded from the store."""
    marks = ", ".join("?" for _ in DECIDED_BY_TIME)
    rows = db.query(f"SELECT DISTINCT process_kind, process_id FROM deadlines WHERE kind IN ({marks}) AND due_on < ? "
                    "ORDER BY process_kind, process_id", [*DECIDED_BY_TIME, before])
    return [(r["process_kind"], r["process_id"]) for r in rows]
