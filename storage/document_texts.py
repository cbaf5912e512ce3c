"""Each document's extracted text, kept once (``document_texts``, beside the events and the vault): written
the first time a comparison asks for it, never updated (``workflows.texts.TextStore`` is the port)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from storage.views import PostgresDatabase, SQLiteDatabase, create_all

DDL = ("CREATE TABLE IF NOT EXISTS document_texts (sha256 TEXT PRIMARY KEY, paragraphs TEXT NOT NULL, "
       "extracted_at TEXT NOT NULL)",)


class StoredTexts:
    """The paragraphs of each document whose text has been read, by the document's sha256."""

    def __init__(self, db: SQLiteDatabase | PostgresDatabase):
        self.db = db

    def create_tables(self) -> None:
        create_all(self.db, DDL)

    def paragraphs(self, sha256: str) -> list[str] | None:
        rows = self.db.query("SELECT paragraphs FROM document_texts WHERE sha256 = ?", (sha256,))
        return json.loads(rows[0]["paragraphs"]) if rows else None

    def keep(self, sha256: str, paragraphs: list[str]) -> None:
        """Keep a document's paragraphs; if another request kept them first, theirs stay (the same text)."""
        with self.db.transaction() as cursor:
            cursor.execute("INSERT INTO document_texts (sha256, paragraphs, extracted_at) VALUES (?, ?, ?) "
                           "ON CONFLICT (sha256) DO NOTHING",
                           (sha256, json.dumps(paragraphs, ensure_ascii=False),
                            datetime.now(UTC).isoformat(timespec="microseconds")))
