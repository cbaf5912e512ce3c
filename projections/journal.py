"""The global journal: every event in log order, shaped like a history entry, for auditors."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from domain.records import record_of
from projections.agreements import iso
from projections.db import Cursor
from projections.engine import Change, View

COLUMNS = ("position", "aggregate_id", "aggregate_type", "version", "type", "recorded_at", "actor", "role",
           "reason", "reference", "data", "hash", "prev_hash")


class Journal(View):
    name = "journal"
    tables = ("journal",)

    def __init__(self, describe: Callable[[Any], tuple[str, str]]):
        self.describe = describe  # event -> (aggregate type, public step name)

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
            event = change.event
            aggregate_type, step = self.describe(event)
            record = record_of(event)
            rows.append((change.position, str(event.originator_id), aggregate_type, event.originator_version, step,
                         iso(event.timestamp), record["actor"], record["role"], record["reason"],
                         record["reference"], json.dumps(record["data"], sort_keys=True, separators=(",", ":")),
                         record["hash"], record["prev_hash"]))
        cursor.executemany(
            f"INSERT INTO journal ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
