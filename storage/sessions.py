"""Signed-in sessions, in a table of their own beside the events (the same SQLite file or PostgreSQL schema),
so that every process sees a sign-out or a revocation at its next request. A session is found by the sha256
of its id: the id itself is only ever in the person's cookie. ``workflows.signin.Sessions`` is the port this
implements; when a session is over is the service's rule (``domain.signin.SessionRules``), given here as
times to compare.
"""

from __future__ import annotations

from datetime import datetime

from storage.credentials import read_time, utc_text
from storage.views import PostgresDatabase, SQLiteDatabase, create_all

TABLES = ("accord_sessions",)
DDL = (
    "CREATE TABLE IF NOT EXISTS accord_sessions (id_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "role TEXT NOT NULL, method TEXT NOT NULL, started_at TEXT NOT NULL, last_seen TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS accord_sessions_user ON accord_sessions (username)",
)


class StoredSessions:
    """``workflows.signin.Sessions`` on the store's database."""

    def __init__(self, db: SQLiteDatabase | PostgresDatabase):
        self.db = db

    def create_tables(self) -> None:
        create_all(self.db, DDL)

    def start(self, key: str, user: str, role: str, method: str, at: datetime) -> None:
        with self.db.transaction() as cursor:
            cursor.execute("INSERT INTO accord_sessions (id_sha256, username, role, method, started_at, last_seen) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (key, user, role, method, utc_text(at), utc_text(at)))

    def find(self, key: str) -> tuple[str, str, str, datetime, datetime] | None:
        """(user, role, method, started at, last seen) of a session, or None."""
        rows = self.db.query("SELECT username, role, method, started_at, last_seen FROM accord_sessions "
                             "WHERE id_sha256 = ?", (key,))
        if not rows:
            return None
        row = rows[0]
        return (row["username"], row["role"], row["method"], read_time(row["started_at"]),
                read_time(row["last_seen"]))

    def touch(self, key: str, at: datetime) -> None:
        with self.db.transaction() as cursor:
            cursor.execute("UPDATE accord_sessions SET last_seen = ? WHERE id_sha256 = ?", (utc_text(at), key))

    def end(self, key: str) -> bool:
        """End one session; False if it had ended already."""
        with self.db.transaction() as cursor:
            cursor.execute("DELETE FROM accord_sessions WHERE id_sha256 = ?", (key,))
            return cursor.rowcount == 1

    def end_all(self, user: str, keep: str | None = None) -> int:
        """End every session of ``user`` but ``keep``; return how many ended."""
        with self.db.transaction() as cursor:
            cursor.execute("DELETE FROM accord_sessions WHERE username = ? AND id_sha256 <> ?", (user, keep or ""))
            return cursor.rowcount

    def clear_expired(self, idle_before: datetime, started_before: datetime) -> int:
        """Remove the sessions last seen before ``idle_before`` or started before ``started_before``."""
        with self.db.transaction() as cursor:
            cursor.execute("DELETE FROM accord_sessions WHERE last_seen < ? OR started_at < ?",
                           (utc_text(idle_before), utc_text(started_before)))
            return cursor.rowcount
