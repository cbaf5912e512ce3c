"""Reminders of deadlines, planned into an outbox in the same transaction as the deadlines they remind of.

The deadlines view (``deadlines`` table: one row per upcoming date that asks for action, with the officers
responsible) is wrapped by ``WithReminders``: after the view has written a batch of events, in the same
transaction as the rows and the view's tracking position, the planner compares the deadlines of every process
the batch touched with the reminders already planned for them and writes the difference into
``reminder_outbox``:

- one row per deadline x lead time x recipient (the officers in the configured roles), with a deterministic
  key ``<deadline id>:<lead days>d:<username>`` and the day it is to be sent (``send_on``);
- when a deadline goes away (notice given, a date corrected: the deadline's id names its date), its pending
  reminders are marked cancelled and a cancellation row is added (``<deadline id>:<username>:cancelled@<position>``);
  nothing is deleted. A deadline that comes back makes its cancelled reminders pending again (same keys: a
  reminder already delivered is never planned twice).

So a crash loses neither (the plan commits with the deadlines or not at all), and a second runner or a rebuild
writes nothing twice (keys are deterministic; only differences are written). Deadlines already past when first
planned get no reminder. The sender (``projections.outbox``) sends what is due and logs every attempt in
``reminder_deliveries``, which is append-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from projections.db import Cursor, Database, rows_where_in
from projections.engine import Change, View

PENDING, DELIVERED, CANCELLED = "pending", "delivered", "cancelled"
SETTLED = ("delivered", "superseded", "too_late", "no_address", "refused")
"""A reminder's final states: sent, left out for a nearer one due at the same time, its deadline passed before
it could be sent, no address for its recipient, refused by the mail server for good."""
RECORDED = "recorded"
"""The state of a cancellation row: a record, nothing to send."""


@dataclass(frozen=True)
class ReminderSettings:
    """When and to whom reminders go: ``days`` before a deadline (``ACCORD_REMINDER_DAYS``, default 90, 30 and
    7), to the deadline's officers in ``roles`` (``ACCORD_REMINDER_ROLES``, default IR and legal officers)."""

    days: tuple[int, ...] = (90, 30, 7)
    roles: tuple[str, ...] = ("ir_officer", "legal_officer")

    @classmethod
    def from_config(cls, days: object, roles: object) -> ReminderSettings:
        """Settings from configuration values: lists, or comma-separated text ("90,30,7")."""
        lead = tuple(sorted({int(d) for d in _items(days)}, reverse=True))
        if not lead or any(d < 0 or d > 3660 for d in lead):
            raise ValueError("ACCORD_REMINDER_DAYS: whole numbers of days from 0 to 3660, e.g. 90,30,7")
        return cls(days=lead, roles=tuple(str(r) for r in _items(roles)))


def _items(value: object) -> list[Any]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, int):
        return [value]
    return list(value)  # type: ignore[call-overload]


def outbox_ddl(dialect: str) -> list[str]:
    """The outbox and the delivery log: not the view's own tables, so a rebuild of the view keeps them."""
    serial = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" if dialect == "postgres" else "INTEGER PRIMARY KEY"
    return [
        "CREATE TABLE IF NOT EXISTS reminder_outbox (key TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "deadline_id TEXT NOT NULL, process_kind TEXT NOT NULL, process_id TEXT NOT NULL, title TEXT NOT NULL, "
        "deadline_kind TEXT NOT NULL, due_on TEXT NOT NULL, lead_days INTEGER, send_on TEXT NOT NULL, "
        "username TEXT NOT NULL, role TEXT NOT NULL, rule TEXT, detail TEXT, position BIGINT NOT NULL, "
        "planned_at TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
        "next_try_at TEXT NOT NULL DEFAULT '', settled_at TEXT)",
        "CREATE INDEX IF NOT EXISTS reminder_outbox_due ON reminder_outbox (status, send_on)",
        "CREATE INDEX IF NOT EXISTS reminder_outbox_process ON reminder_outbox (process_id)",
        f"CREATE TABLE IF NOT EXISTS reminder_deliveries (seq {serial}, key TEXT NOT NULL, attempt INTEGER NOT NULL, "
        "at TEXT NOT NULL, outcome TEXT NOT NULL, address TEXT, message_id TEXT, detail TEXT)",
        "CREATE INDEX IF NOT EXISTS reminder_deliveries_key ON reminder_deliveries (key)",
    ]


def reminder_key(deadline_id: str, lead_days: int, username: str) -> str:
    return f"{deadline_id}:{lead_days}d:{username}"


def utc_now_text(now: datetime | None = None) -> str:
    """A time as the outbox keeps it: ISO 8601 in UTC to the microsecond, so that text order is time order."""
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


class WithReminders(View):
    """A deadlines view that also plans the reminders of the deadlines it writes, in the same transaction."""

    def __init__(self, deadlines: View, settings: ReminderSettings, today: Callable[[], date] | None = None):
        self.deadlines = deadlines
        self.settings = settings
        self.today = today or (lambda: datetime.now(UTC).date())
        self.name = deadlines.name
        self.tables = deadlines.tables
        self.topics = deadlines.topics

    def wants(self, topic: str) -> bool:
        return self.deadlines.wants(topic)

    def ddl(self, dialect: str) -> list[str]:
        return [*self.deadlines.ddl(dialect), *outbox_ddl(dialect)]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        self.deadlines.apply(cursor, changes)
        if changes:
            plan_reminders(cursor, sorted({c.aggregate_id for c in changes}), changes[-1].position,
                           self.settings, self.today())

    def __getattr__(self, name: str) -> Any:  # the wrapped view's own helpers (its queries, say)
        return getattr(self.deadlines, name)


def _officers(value: Any) -> list[dict[str, str]]:
    if isinstance(value, (str, bytes)):
        value = orjson.loads(value)
    return list(value or [])


def plan_reminders(cursor: Cursor, process_ids: Sequence[str], position: int, settings: ReminderSettings,
                   today: date) -> dict[str, int]:
    """Bring the outbox of the processes ``process_ids`` in line with their rows in ``deadlines``: plan new
    reminders, cancel those whose deadline went away, reinstate those whose deadline came back. Returns the
    count of each."""
    wanted: dict[str, dict[str, Any]] = {}
    for d in rows_where_in(cursor, "deadlines", "process_id", list(process_ids)):
        d = dict(d)
        recipients: dict[str, str] = {}
        for officer in _officers(d["officers"]):
            if officer.get("role") in settings.roles:
                recipients.setdefault(officer["username"], officer["role"])
        due = date.fromisoformat(str(d["due_on"])[:10])
        for username, role in recipients.items():
            for lead in settings.days:
                wanted[reminder_key(d["id"], lead, username)] = {
                    "deadline_id": d["id"], "process_kind": d["process_kind"], "process_id": d["process_id"],
                    "title": d["title"], "deadline_kind": d["kind"], "due_on": due.isoformat(), "lead_days": lead,
                    "send_on": (due - timedelta(days=lead)).isoformat(), "username": username, "role": role,
                    "rule": d.get("rule"), "detail": d.get("detail"), "past": due < today}
    existing = {r["key"]: dict(r) for r in rows_where_in(cursor, "reminder_outbox", "process_id", list(process_ids))
                if r["kind"] == "reminder"}
    now = utc_now_text()
    planned = [(key, w) for key, w in wanted.items() if key not in existing and not w["past"]]
    _insert(cursor, [_row(key, "reminder", w, position, now, PENDING) for key, w in planned])
    reinstated = [key for key, w in wanted.items() if existing.get(key, {}).get("status") == CANCELLED]
    for key in reinstated:
        cursor.execute("UPDATE reminder_outbox SET status = ?, next_try_at = '' WHERE key = ?", (PENDING, key))
    for key, w in wanted.items():  # pending reminders follow their deadline's current wording
        old = existing.get(key)
        if old and old["status"] == PENDING and (old["title"], old["rule"], old["detail"]) != \
                (w["title"], w["rule"], w["detail"]):
            cursor.execute("UPDATE reminder_outbox SET title = ?, rule = ?, detail = ? WHERE key = ?",
                           (w["title"], w["rule"], w["detail"], key))
    gone = [old for key, old in existing.items() if key not in wanted and old["status"] == PENDING]
    for old in gone:
        cursor.execute("UPDATE reminder_outbox SET status = ?, settled_at = ? WHERE key = ? AND status = ?",
                       (CANCELLED, now, old["key"], PENDING))
    cancellations = {}
    for old in gone:
        cancellations.setdefault((old["deadline_id"], old["username"]), old)
    _insert(cursor, [_row(f"{deadline_id}:{username}:cancelled@{position}", "cancellation",
                          {**old, "lead_days": None, "detail": "the deadline went away: its pending reminders "
                                                               "are not sent"}, position, now, RECORDED)
                     for (deadline_id, username), old in cancellations.items()])
    return {"planned": len(planned), "reinstated": len(reinstated), "cancelled": len(gone)}


COLUMNS = ("key", "kind", "deadline_id", "process_kind", "process_id", "title", "deadline_kind", "due_on",
           "lead_days", "send_on", "username", "role", "rule", "detail", "position", "planned_at", "status")


def _row(key: str, kind: str, w: dict[str, Any], position: int, now: str, status: str) -> tuple[Any, ...]:
    return (key, kind, w["deadline_id"], w["process_kind"], w["process_id"], w["title"], w["deadline_kind"],
            w["due_on"], w["lead_days"], w["send_on"], w["username"], w["role"], w["rule"], w["detail"], position,
            now, status)


def _insert(cursor: Cursor, rows: Iterable[tuple[Any, ...]]) -> None:
    rows = list(rows)
    if rows:
        cursor.executemany(f"INSERT INTO reminder_outbox ({', '.join(COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(COLUMNS))}) ON CONFLICT (key) DO NOTHING", rows)


# ---- what auditors read ----------------------------------------------------------------------------------

def outbox(db: Database, status: str | None = None, username: str | None = None, page: int = 1,
           per_page: int = 50) -> tuple[list[dict[str, Any]], int]:
    """Reminders and cancellations, the latest planned first, with their state: (a page of rows, total)."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if username:
        where.append("username = ?")
        params.append(username)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = db.query(f"SELECT COUNT(*) AS n FROM reminder_outbox{clause}", params)[0]["n"]
    rows = db.query(f"SELECT * FROM reminder_outbox{clause} ORDER BY position DESC, key LIMIT ? OFFSET ?",
                    [*params, per_page, (page - 1) * per_page])
    return [dict(r) for r in rows], int(total)


def deliveries(db: Database, key: str | None = None, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """The delivery log in order after ``after``: every attempt, its outcome, the address and Message-ID."""
    if key:
        rows = db.query("SELECT * FROM reminder_deliveries WHERE key = ? AND seq > ? ORDER BY seq LIMIT ?",
                        (key, after, limit))
    else:
        rows = db.query("SELECT * FROM reminder_deliveries WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
    return [dict(r) for r in rows]


def deliveries_of(db: Database, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The delivery log of each of ``keys`` (at most a page of them), in order."""
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    if keys:
        for r in db.query(f"SELECT * FROM reminder_deliveries WHERE key IN ({', '.join('?' * len(keys))}) "
                          "ORDER BY seq", list(keys)):
            found[r["key"]].append(dict(r))
    return found


def latest_deliveries(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    return [dict(r) for r in db.query("SELECT * FROM reminder_deliveries ORDER BY seq DESC LIMIT ?", (limit,))]


def summary(db: Database) -> dict[str, int]:
    """How many reminders are in each state (cancellation rows apart), and attempts that failed."""
    counts = {row["status"]: int(row["n"]) for row in db.query(
        "SELECT status, COUNT(*) AS n FROM reminder_outbox WHERE kind = 'reminder' GROUP BY status")}
    failed = db.query("SELECT COUNT(*) AS n FROM reminder_deliveries WHERE outcome = 'failed'")[0]["n"]
    return {**counts, "failed_attempts": int(failed)}
