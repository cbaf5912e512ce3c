"""Password hashes, invitation links and the key that signs session cookies, in tables of their own beside the
events (the same SQLite file or PostgreSQL schema), never in an event: an export or a journal of the log
cannot show them. Invitation links are kept by their sha256 only. ``workflows.signin.Credentials`` is the
port this implements; the rules (who may set what, when a link expires) are the service's.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime

from storage.views import Cursor, PostgresDatabase, SQLiteDatabase, create_all

TABLES = ("accord_passwords", "accord_invitations", "accord_secrets")
DDL = (
    "CREATE TABLE IF NOT EXISTS accord_passwords (username TEXT PRIMARY KEY, hash TEXT NOT NULL, "
    "set_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS accord_invitations (token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "valid_until TEXT NOT NULL, used_at TEXT)",
    "CREATE INDEX IF NOT EXISTS accord_invitations_user ON accord_invitations (username)",
    "CREATE TABLE IF NOT EXISTS accord_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def utc_text(at: datetime) -> str:
    """A time as stored: ISO 8601 in UTC to the microsecond, so that text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def read_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class StoredCredentials:
    """``workflows.signin.Credentials`` on the store's database."""

    def __init__(self, db: SQLiteDatabase | PostgresDatabase):
        self.db = db
        self._secrets: dict[str, str] = {}

    def create_tables(self) -> None:
        create_all(self.db, DDL)

    def _writing(self) -> AbstractContextManager[Cursor]:
        """A write transaction that waits for the disk even where the views' commits do not (PostgreSQL's
        view connections commit asynchronously: a lost password change is not something to catch up on)."""
        return durable(self.db)

    def password_hash(self, user: str) -> str | None:
        rows = self.db.query("SELECT hash FROM accord_passwords WHERE username = ?", (user,))
        return rows[0]["hash"] if rows else None

    def set_password_hash(self, user: str, hashed: str) -> None:
        with self._writing() as cursor:
            cursor.execute("INSERT INTO accord_passwords (username, hash, set_at) VALUES (?, ?, ?) "
                           "ON CONFLICT (username) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at",
                           (user, hashed, utc_text(datetime.now(UTC))))

    def forget(self, user: str) -> None:
        with self._writing() as cursor:
            cursor.execute("DELETE FROM accord_passwords WHERE username = ?", (user,))
            cursor.execute("DELETE FROM accord_invitations WHERE username = ?", (user,))

    def add_invitation(self, token_digest: str, user: str, valid_until: datetime) -> None:
        """A new invitation for ``user``; their earlier unused ones stop working."""
        with self._writing() as cursor:
            cursor.execute("DELETE FROM accord_invitations WHERE username = ? AND used_at IS NULL", (user,))
            cursor.execute("INSERT INTO accord_invitations (token_sha256, username, valid_until) VALUES (?, ?, ?)",
                           (token_digest, user, utc_text(valid_until)))

    def invitation(self, token_digest: str) -> tuple[str, datetime, bool] | None:
        """(user, valid until, used) of an invitation, or None."""
        rows = self.db.query("SELECT username, valid_until, used_at FROM accord_invitations WHERE token_sha256 = ?",
                             (token_digest,))
        if not rows:
            return None
        row = rows[0]
        return row["username"], read_time(row["valid_until"]), row["used_at"] is not None

    def use_invitation(self, token_digest: str, at: datetime) -> bool:
        """Mark an invitation used; False if it was used already (by a request that came first)."""
        with self._writing() as cursor:
            cursor.execute("UPDATE accord_invitations SET used_at = ? WHERE token_sha256 = ? AND used_at IS NULL",
                           (utc_text(at), token_digest))
            return cursor.rowcount == 1

    def summary(self) -> dict[str, tuple[bool, datetime | None]]:
        """For every user with a password or an invitation: (has a password, when their unused invitation
        ends, if they have one)."""
        found: dict[str, tuple[bool, datetime | None]] = {}
        for row in self.db.query("SELECT username FROM accord_passwords"):
            found[row["username"]] = (True, None)
        for row in self.db.query("SELECT username, MAX(valid_until) AS until FROM accord_invitations "
                                 "WHERE used_at IS NULL GROUP BY username"):
            found[row["username"]] = (found.get(row["username"], (False, None))[0], read_time(row["until"]))
        return found

    def secret(self, name: str) -> str:
        """A random secret made once for the whole store (every process reads the same)."""
        if name not in self._secrets:
            with self._writing() as cursor:
                cursor.execute("INSERT INTO accord_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                               (name, secrets.token_hex(32)))
                cursor.execute("SELECT value FROM accord_secrets WHERE name = ?", (name,))
                self._secrets[name] = cursor.fetchone()["value"]
        return self._secrets[name]


@contextmanager
def durable(db: SQLiteDatabase | PostgresDatabase) -> Iterator[Cursor]:
    """``db.transaction()``, with PostgreSQL's synchronous commit turned back on for it."""
    with db.transaction() as cursor:
        if db.dialect == "postgres":
            cursor.execute("SET LOCAL synchronous_commit = on")
        yield cursor
