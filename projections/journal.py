"""The global journal: every event in log order, shaped like a history entry, for auditors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from domain.chain import canonical
from domain.records import META_FIELDS, SECRET_FIELDS, record_of
from projections.agreements import iso
from projections.db import Cursor, insert_rows
from projections.engine import Change, View

COLUMNS = ("position", "aggregate_id", "aggregate_type", "version", "type", "recorded_at", "actor", "role",
           "reason", "reference", "stored_data", "hash", "prev_hash")
HIDDEN = META_FIELDS | SECRET_FIELDS


class Journal(View):
    """One row per event. ``data`` keeps the step's fields as the store holds them (type tags and all: no
    decoding on the way in); ``data_of`` reads them as records show them (``domain.records.plain``)."""

    name = "journal"
    tables = ("journal",)

    def __init__(self, describe: Callable[[Any], tuple[str, str]],
                 describe_topic: Callable[[str], tuple[str, str] | None] = lambda topic: None):
        self.describe = describe  # event -> (aggregate type, public step name)
        self.describe_topic = describe_topic  # stored topic -> the same, or None: decode the event

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS journal (position BIGINT PRIMARY KEY, aggregate_id TEXT NOT NULL, "
            "aggregate_type TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, recorded_at TEXT NOT NULL, "
            "actor TEXT NOT NULL, role TEXT NOT NULL, reason TEXT, reference TEXT, stored_data TEXT NOT NULL, "
            "hash TEXT NOT NULL, prev_hash TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS journal_actor ON journal (actor, position)",
            "CREATE INDEX IF NOT EXISTS journal_type ON journal (type, position)",
            "CREATE INDEX IF NOT EXISTS journal_recorded_at ON journal (recorded_at, position)",
        ]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        rows = []
        for change in changes:
            row = self._from_stored(change) or self._from_event(change)
            rows.append((change.position, change.aggregate_id, row[0], change.version, *row[1:]))
        insert_rows(cursor, "journal", COLUMNS, rows)

    def _from_stored(self, change: Change) -> tuple[Any, ...] | None:
        """The row's fields read straight from the stored JSON (None: an event only the mapper reads)."""
        described = self.describe_topic(change.topic)
        if described is None:
            return None
        try:
            raw = orjson.loads(change.state)
            by = raw["by"]["_data_"]
            context = raw.get("context")
            context = context["_data_"] if context is not None else None
            return (described[0], described[1], utc_text(raw["timestamp"]["_data_"]), by["name"],
                    by["role"]["_data_"], context["reason"] if context else None,
                    context["reference"] if context else None,
                    orjson.dumps({k: v for k, v in raw.items() if k not in HIDDEN}).decode("utf-8"),
                    raw["hash"], raw["prev_hash"])
        except (KeyError, TypeError, ValueError):
            return None

    def _from_event(self, change: Change) -> tuple[Any, ...]:
        event = change.event
        aggregate_type, step = self.describe(event)
        record = record_of(event)
        data = {k: canonical(v) for k, v in vars(event).items() if k not in HIDDEN}
        return (aggregate_type, step, iso(event.timestamp), record["actor"], record["role"], record["reason"],
                record["reference"], orjson.dumps(data).decode("utf-8"), record["hash"], record["prev_hash"])


def data_of(stored_data: str) -> dict[str, Any]:
    """A journal row's step fields as records show them: dates and enums as text, value objects as objects."""
    return unwrap(orjson.loads(stored_data))


def unwrap(value: Any) -> Any:
    if type(value) is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            data = value["_data_"]
            return str(UUID(data)) if value["_type_"] == "uuid_hex" else unwrap(data)
        return {k: unwrap(v) for k, v in value.items()}
    if type(value) is list:
        return [unwrap(v) for v in value]
    return value


def utc_text(stored_time: str) -> str:
    """A stored ISO timestamp as ``iso()`` writes it (UTC, microseconds, Z), without parsing the usual form."""
    if len(stored_time) == 32 and stored_time.endswith("+00:00"):
        return stored_time[:26] + "Z"
    return iso(datetime.fromisoformat(stored_time))
