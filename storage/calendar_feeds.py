"""The calendar feeds' addresses: one per user, kept by the sha256 of its token only (``workflows.calendar``'s
``FeedTokens`` port), in a table of its own beside the events. Resetting replaces the digest: the old address
then finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.credentials import durable, read_time, utc_text
from storage.views import PostgresDatabase, SQLiteDatabase, create_all

DDL = ("CREATE TABLE IF NOT EXISTS accord_calendar_feeds (username TEXT PRIMARY KEY, "
       "token_sha256 TEXT NOT NULL UNIQUE, made_at TEXT NOT NULL)",)


class StoredFeedTokens:
    """``workflows.calendar.FeedTokens`` on the store's database."""

    def __init__(self, db: SQLiteDatabase | PostgresDatabase):
        self.db = db

    def create_tables(self) -> None:
        create_all(self.db, DDL)

    def replace(self, user: str, token_digest: str) -> datetime:
        made = datetime.now(UTC)
        with durable(self.db) as cursor:
            cursor.execute("INSERT INTO accord_calendar_feeds (username, token_sha256, made_at) VALUES (?, ?, ?) "
                           "ON CONFLICT (username) DO UPDATE SET token_sha256 = excluded.token_sha256, "
                           "made_at = excluded.made_at", (user, token_digest, utc_text(made)))
        return made

    def made_at(self, user: str) -> datetime | None:
        rows = self.db.query("SELECT made_at FROM accord_calendar_feeds WHERE username = ?", (user,))
        return read_time(rows[0]["made_at"]) if rows else None

    def user_of(self, token_digest: str) -> str | None:
        rows = self.db.query("SELECT username FROM accord_calendar_feeds WHERE token_sha256 = ?", (token_digest,))
        return rows[0]["username"] if rows else None
