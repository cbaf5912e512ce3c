"""The document vault (``workflows.documents.Vault``) in the event store's own database: the SQLite file or the
PostgreSQL schema the events are in, so that one backup holds the record and its texts, and every web host
sees the same documents.

A document is its bytes in pieces of ``CHUNK`` bytes (``document_chunks``, keyed by the upload that wrote them)
and one row in ``documents`` named by the sha256 of the bytes, written together in one transaction: the bytes
are hashed as they are written, so the pieces are keyed by a fresh upload id, and the document's row is
written last, once its hash is known. The same bytes stored already: the transaction is rolled back (nothing of
the second upload is kept) and the stored record answered. Neither table is ever updated or deleted from:
triggers refuse it, as the event store is never rewritten. Reading gives the bytes piece by piece, each piece
one short query (a document never changes, so the pieces of one download need no common transaction).

Who uploaded what (``document_uploaders``) and which aggregates reference a document (``document_references``)
are kept beside them, for the download rule.

Durability: on PostgreSQL an upload commits synchronously (the views' connections otherwise do not). On
SQLite it commits as the views do (synchronous=NORMAL in WAL mode, which survives any crash of the process):
the first event that references the document commits with a sync of the write-ahead log, which carries the
document's earlier pages to the disk with it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

import psycopg

from domain.documents import DocumentTooLargeError, StoredDocument
from storage.credentials import durable, read_time, utc_text
from storage.views import PostgresDatabase, SQLiteDatabase, create_all

UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)
CHUNK = 256 * 1024
"""Bytes per stored piece: large enough that a 50 MiB file is 200 rows, small enough to hold one in memory."""

TABLES = ("documents", "document_chunks", "document_uploaders", "document_references")
COLUMNS = "sha256, size, media_type, filename, uploaded_by, uploaded_at, upload_id, chunk_size"


def ddl(dialect: str) -> list[str]:
    blob, big = ("BYTEA", "BIGINT") if dialect == "postgres" else ("BLOB", "INTEGER")
    tables = [
        f"CREATE TABLE IF NOT EXISTS documents (sha256 TEXT PRIMARY KEY, size {big} NOT NULL, "
        "media_type TEXT NOT NULL, filename TEXT NOT NULL, uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL, "
        "upload_id TEXT NOT NULL UNIQUE, chunk_size INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS document_chunks (upload_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        f"bytes {blob} NOT NULL, PRIMARY KEY (upload_id, seq))",
        "CREATE TABLE IF NOT EXISTS document_uploaders (sha256 TEXT NOT NULL, username TEXT NOT NULL, "
        "PRIMARY KEY (sha256, username))",
        "CREATE TABLE IF NOT EXISTS document_references (sha256 TEXT NOT NULL, aggregate_id TEXT NOT NULL, "
        "PRIMARY KEY (sha256, aggregate_id))",
    ]
    return tables + guards(dialect)


GUARDED = ("documents", "document_chunks")


def guards(dialect: str) -> list[str]:
    """Triggers that refuse any update or deletion of a stored document or its bytes."""
    if dialect == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS {table}_never_{what} BEFORE {what.upper()} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'stored documents are never updated or deleted'); END"
                for table in GUARDED for what in ("update", "delete")]
    statements = ["CREATE OR REPLACE FUNCTION accord_documents_unchanged() RETURNS trigger LANGUAGE plpgsql AS "
                  "$$ BEGIN RAISE EXCEPTION 'stored documents are never updated or deleted'; END $$"]
    for table in GUARDED:
        statements += [
            f"CREATE OR REPLACE TRIGGER {table}_never_changed BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION accord_documents_unchanged()",
            f"CREATE OR REPLACE TRIGGER {table}_never_truncated BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION accord_documents_unchanged()",
        ]
    return statements


def drop_guards(dialect: str) -> list[str]:
    """The statements that remove the guards (for tests that alter stored bytes, as an intruder would)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_never_{what}" for table in GUARDED for what in ("update", "delete")]
    return [f"DROP TRIGGER IF EXISTS {table}_never_{what} ON {table}" for table in GUARDED
            for what in ("changed", "truncated")]


class StoredVault:
    """``workflows.documents.Vault`` on the store's database."""

    def __init__(self, db: SQLiteDatabase | PostgresDatabase, chunk_size: int = CHUNK):
        self.db = db
        self.chunk_size = chunk_size

    def create_tables(self) -> None:
        create_all(self.db, ddl(self.db.dialect))

    def put(self, stream: BinaryIO, *, media_type: str, filename: str, uploaded_by: str, max_bytes: int,
            uploaded_at: datetime | None = None) -> tuple[StoredDocument, bool]:
        """See ``workflows.documents.Vault.put``. ``stream`` should be local (a spooled upload): the write
        transaction lasts as long as reading it."""
        at = utc_text(uploaded_at or datetime.now(UTC))
        upload_id = uuid.uuid4().hex
        digest, size, seq = hashlib.sha256(), 0, 0
        try:
            with durable(self.db) as cursor:
                while piece := stream.read(self.chunk_size):
                    size += len(piece)
                    if size > max_bytes:
                        raise DocumentTooLargeError(f"the document is larger than {max_bytes} bytes")
                    digest.update(piece)
                    cursor.execute("INSERT INTO document_chunks (upload_id, seq, bytes) VALUES (?, ?, ?)",
                                   (upload_id, seq, piece))
                    seq += 1
                sha256 = digest.hexdigest()
                cursor.execute("SELECT sha256 FROM documents WHERE sha256 = ?", (sha256,))
                if cursor.fetchone() is not None:
                    raise _AlreadyStored  # rolls the pieces of this upload back
                cursor.execute(f"INSERT INTO documents ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (sha256, size, media_type, filename, uploaded_by, at, upload_id, self.chunk_size))
                cursor.execute("INSERT INTO document_uploaders (sha256, username) VALUES (?, ?) "
                               "ON CONFLICT DO NOTHING", (sha256, uploaded_by))
            created = True
        except (_AlreadyStored, *UNIQUE_VIOLATIONS):  # the same bytes, stored before (or just now, alongside)
            sha256, created = digest.hexdigest(), False
            if self._record(sha256) is None:
                raise
            self._note_uploader(sha256, uploaded_by)
        record = self._record(sha256)
        assert record is not None
        return record, created

    def put_stored(self, stream: BinaryIO, record: StoredDocument) -> bool:
        """Store a document as exported elsewhere, keeping its record (import); False when it is here already.
        Raises ValueError when the bytes do not match the record's sha256 or size (nothing kept)."""
        if self.record(record.sha256) is not None:
            return False
        upload_id = uuid.uuid4().hex
        digest, size, seq = hashlib.sha256(), 0, 0
        with durable(self.db) as cursor:
            while piece := stream.read(self.chunk_size):
                size += len(piece)
                digest.update(piece)
                cursor.execute("INSERT INTO document_chunks (upload_id, seq, bytes) VALUES (?, ?, ?)",
                               (upload_id, seq, piece))
                seq += 1
            if digest.hexdigest() != record.sha256 or size != record.size:
                raise ValueError(f"document {record.sha256}: the bytes do not match its sha256 and size")
            cursor.execute(f"INSERT INTO documents ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (record.sha256, size, record.media_type, record.filename, record.uploaded_by,
                            utc_text(record.uploaded_at), upload_id, self.chunk_size))
            cursor.execute("INSERT INTO document_uploaders (sha256, username) VALUES (?, ?) "
                           "ON CONFLICT DO NOTHING", (record.sha256, record.uploaded_by))
        return True

    def _note_uploader(self, sha256: str, username: str) -> None:
        with self.db.transaction() as cursor:
            cursor.execute("INSERT INTO document_uploaders (sha256, username) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           (sha256, username))

    def record(self, sha256: str) -> StoredDocument | None:
        return self._record(sha256)

    def _record(self, sha256: str) -> StoredDocument | None:
        rows = self.db.query("SELECT sha256, size, media_type, filename, uploaded_by, uploaded_at FROM documents "
                             "WHERE sha256 = ?", (sha256,))
        if not rows:
            return None
        row = rows[0]
        return StoredDocument(sha256=row["sha256"], size=int(row["size"]), media_type=row["media_type"],
                              filename=row["filename"], uploaded_by=row["uploaded_by"],
                              uploaded_at=read_time(row["uploaded_at"]))

    def chunks(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        rows = self.db.query("SELECT upload_id, size, chunk_size FROM documents WHERE sha256 = ?", (sha256,))
        if not rows:
            return
        upload_id, size, chunk_size = rows[0]["upload_id"], int(rows[0]["size"]), int(rows[0]["chunk_size"])
        end = size if end is None else min(end, size)
        position = (start // chunk_size) * chunk_size
        for seq in range(start // chunk_size, (end + chunk_size - 1) // chunk_size):
            found = self.db.query("SELECT bytes FROM document_chunks WHERE upload_id = ? AND seq = ?",
                                  (upload_id, seq))
            piece = bytes(found[0]["bytes"]) if found else b""
            yield piece[max(start - position, 0): end - position]
            position += chunk_size

    def uploaded_by(self, sha256: str, username: str) -> bool:
        return bool(self.db.query("SELECT 1 AS found FROM document_uploaders WHERE sha256 = ? AND username = ?",
                                  (sha256, username)))

    def reference(self, sha256: str, aggregate_id: str) -> None:
        with self.db.transaction() as cursor:
            cursor.execute("INSERT INTO document_references (sha256, aggregate_id) VALUES (?, ?) "
                           "ON CONFLICT DO NOTHING", (sha256, aggregate_id))

    def referenced(self, sha256: str) -> bool:
        return bool(self.db.query("SELECT 1 AS found FROM document_references WHERE sha256 = ? LIMIT 1",
                                  (sha256,)))

    # ---- audit -------------------------------------------------------------------------------------

    def hashes(self) -> list[str]:
        return [row["sha256"] for row in self.db.query("SELECT sha256 FROM documents ORDER BY sha256")]

    def problems(self) -> Iterator[tuple[str, str]]:
        """(sha256, what is wrong) for every stored document whose bytes no longer match its name and size."""
        for sha256 in self.hashes():
            record = self._record(sha256)
            digest, size = hashlib.sha256(), 0
            for piece in self.chunks(sha256):
                digest.update(piece)
                size += len(piece)
            if record is not None and size != record.size:
                yield sha256, f"the stored document has {size} bytes, not {record.size}"
            elif digest.hexdigest() != sha256:
                yield sha256, "the stored document's bytes do not match its sha256"


class _AlreadyStored(Exception):
    """Raised inside an upload's transaction when the same bytes are stored already (so that it rolls back)."""
