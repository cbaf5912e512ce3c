"""The title index behind the agreement list's ``q``: a case-insensitive substring search that does not
read every row.

Both engines keep a side table ``agreement_titles`` (the agreement's id and its casefolded title), written
with the agreement_list rows in the same transaction but only when an agreement is created or its title is
corrected: an index on agreement_list itself would be written again at every step, since every step changes
the row. It is indexed by trigrams (every run of three characters):

- SQLite: an FTS5 table with the ``trigram`` tokenizer (SQLite >= 3.34). A search is an FTS5 phrase, which
  the trigram tokenizer answers exactly as a substring match; its rowid is the position of the agreement's
  Created event (``agreement_list.created_position``), a stable integer key.
- PostgreSQL: a plain table with a GIN index from the ``pg_trgm`` extension, which answers ``LIKE '%q%'``.
  The extension is created if missing (in schema ``public``, so that it outlives any one schema); if it
  cannot be, the index is left out, the server logs a warning, and so does ``title_index_warning`` (called
  by ``Services.create_tables``); searches then scan agreement_titles. New titles wait in the index's
  pending list (256 kB at most, a few hundred titles, read by every search) and are merged in bulk, much
  cheaper than one at a time: a rebuild of the agreements view adds every title anew.

A search of fewer than three characters (after casefolding) has no trigram to look up: it scans
agreement_list, testing each title. Either way ``%``, ``_`` and ``\\`` are literal characters. How a search
counts its matches and chooses between looking its page up and walking the sort order:
``queries.list_agreements``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.db import Cursor, Database, insert_rows, like_contains

TABLE = "agreement_titles"
MIN_INDEXED = 3
"""Characters a search needs to use the index (one trigram)."""

_PG_TRIGRAM_INDEX = (
    # In a DO block: if the extension cannot be created (not installed, no right to), the block's exception
    # handler undoes only that, so the view's other tables are still made. No "%" or "?" in here: the SQL
    # goes through psycopg's placeholder parsing.
    "DO $$ DECLARE trgm name; BEGIN "
    "BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public; "
    "EXCEPTION WHEN OTHERS THEN RAISE WARNING USING MESSAGE = "
    "'accord: cannot create extension pg_trgm (' || SQLERRM || '): the title search scans agreement_titles'; "
    "END; "
    "SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'pg_trgm'; "
    "IF trgm IS NOT NULL THEN EXECUTE 'CREATE INDEX IF NOT EXISTS agreement_titles_trgm ON agreement_titles "
    "USING gin (title_key ' || quote_ident(trgm) || '.gin_trgm_ops) WITH (gin_pending_list_limit = 256)'; "
    "END IF; "
    "END $$"
)


def ddl(dialect: str, fts: bool) -> list[str]:
    """The title index's tables: an FTS5 trigram table (``fts``: SQLite with the trigram tokenizer), or a
    table of titles (with a pg_trgm index on PostgreSQL, where the extension can be had)."""
    if fts:
        return [f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(id UNINDEXED, title_key, "
                "tokenize = 'trigram case_sensitive 1')"]  # title_key is casefolded already
    statements = [f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, title_key TEXT NOT NULL)"]
    return [*statements, _PG_TRIGRAM_INDEX] if dialect == "postgres" else statements


def keep(cursor: Cursor, fts: bool, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
    """Write the titles of the agreements created in a batch, and the titles corrected in it."""
    new = [row for key, row in after.items() if key not in before]
    changed = [row for key, row in after.items() if key in before and before[key]["title_key"] != row["title_key"]]
    if fts:
        # in rowid order: FTS5 writes out what it holds whenever a rowid comes below the last one (a segment
        # for each title out of order, all merged later: many times the work)
        _many(cursor, f"INSERT INTO {TABLE} (rowid, id, title_key) VALUES (?, ?, ?)",
              sorted((r["created_position"], r["id"], r["title_key"]) for r in new))
        _many(cursor, f"UPDATE {TABLE} SET title_key = ? WHERE rowid = ?",
              sorted(((r["title_key"], r["created_position"]) for r in changed), key=lambda u: u[1]))
    else:
        insert_rows(cursor, TABLE, ("id", "title_key"), [(r["id"], r["title_key"]) for r in new])
        _many(cursor, f"UPDATE {TABLE} SET title_key = ? WHERE id = ?", [(r["title_key"], r["id"]) for r in changed])


def _many(cursor: Cursor, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        cursor.executemany(sql, rows)


def _phrase(text: str) -> str:
    """An FTS5 phrase matching exactly ``text`` (every character literal)."""
    return '"' + text.casefold().replace('"', '""') + '"'


def indexed(text: str) -> bool:
    """Whether a search for ``text`` can use the index: three characters at least, and no NUL (FTS5 reads a
    query only up to one)."""
    return len(text.casefold()) >= MIN_INDEXED and "\x00" not in text


def matching(db: Database, text: str) -> tuple[str, str]:
    """A condition on ``agreement_titles`` (and its parameter) true for the titles containing ``text``;
    ``text`` must be ``indexed``."""
    if db.fts5_trigram:
        return f"{TABLE} MATCH ?", _phrase(text)
    return "title_key LIKE ? ESCAPE '\\'", like_contains(text)
