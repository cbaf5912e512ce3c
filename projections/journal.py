"""The global journal: every event in log order, shaped like a history entry, for auditors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson

from domain.records import record_of
from projections.agreements import iso
from projections.db import Cursor
from projections.engine import Change, View

COLUMNS = ("position", "aggregate_id", "aggregate_type", "version", "type", "recorded_at", "actor", "role",
           "reason", "reference", "data", "hash", "prev_hash")


class Journal(View):
    name = "journal"
    tables = ("journal",)

    def __init__(self, describe: Callable[[Any], tuple[str, str]],
                 read: Callable[[str, dict[str, Any]], tuple[str, str, dict[str, Any]] | None] = lambda t, s: None):
        self.describe = describe  # event -> (aggregate type, public step name)
        self.read = read  # (stored topic, stored JSON) -> (aggregate type, step, record_of(event)), or None

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS journal (position BIGINT PRIMARY KEY, aggregate_id TEXT NOT NULL, "
            "aggregate_type TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, recorded_at TEXT NOT NULL, "
            "actor TEXT NOT NULL, role TEXT NOT NULL, reason TEXT, reference TEXT, data TEXT NOT NULL, "
            "hash TEXT NOT NULL, prev_hash TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS journal_actor ON journal (actor, position)",
            "CREATE INDEX IF NOT EXISTS journal_type ON journal (type, position)",
            "CREATE INDEX IF NOT EXISTS journal_recorded_at ON journal (recorded_at, position)",
        ]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        rows = []
        for change in changes:
            stored = change.stored
            raw = orjson.loads(stored.state)
            read = self.read(change.topic, raw)
            if read is not None:  # straight from the stored JSON
                aggregate_type, step, record = read
                recorded_at = utc_text(raw["timestamp"]["_data_"])
            else:
                event = change.event
                aggregate_type, step = self.describe(event)
                record = record_of(event)
                recorded_at = iso(event.timestamp)
            rows.append((change.position, str(stored.originator_id), aggregate_type, stored.originator_version, step,
                         recorded_at, record["actor"], record["role"], record["reason"], record["reference"],
                         orjson.dumps(record["data"], option=orjson.OPT_SORT_KEYS).decode("utf-8"),
                         record["hash"], record["prev_hash"]))
        cursor.executemany(
            f"INSERT INTO journal ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)


def utc_text(stored_time: str) -> str:
    """A stored ISO timestamp as ``iso()`` writes it (UTC, microseconds, Z), without parsing the usual form."""
    if len(stored_time) == 32 and stored_time.endswith("+00:00"):
        return stored_time[:26] + "Z"
    return iso(datetime.fromisoformat(stored_time))
