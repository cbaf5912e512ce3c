"""The global journal: every event in log order, shaped like a history entry, for auditors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from domain.chain import canonical
from domain.dates import time_text
from projections.db import Cursor, insert_rows
from projections.engine import Change, View
from projections.stored_events import recorded_time_text, stored_record

COLUMNS = ("position", "aggregate_id", "aggregate_type", "version", "type", "recorded_at", "actor", "role",
           "event_json")
NOT_FIELDS = frozenset({"originator_id", "originator_version", "class_version"})


class Journal(View):
    """One row per event: the columns the journal is filtered by, and ``event_json``, the event's fields as
    the store holds them (type tags and all), so nothing is decoded on the way in; ``entry_of`` reads a row
    as a history entry (``domain.records.record_of``). An event the mapper must decode (one stored before its
    class's latest upcast) is kept as its decoded fields in the same form."""

    name = "journal"
    tables = ("journal",)

    def __init__(self, describe: Callable[[Any], tuple[str, str]],
                 describe_topic: Callable[[str], tuple[str, str, int] | None] = lambda topic: None):
        self.describe = describe  # event -> (aggregate type, public step name)
        self.describe_topic = describe_topic  # stored topic -> the same and its class version, or None: decode

    def ddl(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS journal (position BIGINT PRIMARY KEY, aggregate_id TEXT NOT NULL, "
            "aggregate_type TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, recorded_at TEXT NOT NULL, "
            "actor TEXT NOT NULL, role TEXT NOT NULL, event_json TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS journal_actor ON journal (actor, position)",
            "CREATE INDEX IF NOT EXISTS journal_aggregate ON journal (aggregate_id, position)",
            "CREATE INDEX IF NOT EXISTS journal_type ON journal (type, position)",
            "CREATE INDEX IF NOT EXISTS journal_recorded_at ON journal (recorded_at, position)",
        ]

    def apply(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        rows = []
        described: dict[str, tuple[str, str, int] | None] = {}
        for change in changes:
            topic = change.topic
            if topic not in described:
                described[topic] = self.describe_topic(topic)
            kind_step = described[topic]
            row = (self._from_stored(change, kind_step) if kind_step is not None else None) or self._from_event(change)
            rows.append((change.position, change.aggregate_id, row[0], change.version, *row[1:]))
        insert_rows(cursor, "journal", COLUMNS, rows)

    @staticmethod
    def _from_stored(change: Change, kind_step: tuple[str, str, int]) -> tuple[Any, ...] | None:
        """The row's fields read straight from the stored JSON (None: an event only the mapper reads, such as
        one stored before its class's latest upcast)."""
        try:
            raw = orjson.loads(change.state)
            if raw.get("class_version", 1) != kind_step[2]:
                return None
            by = raw["by"]["_data_"]
            return (kind_step[0], kind_step[1], recorded_time_text(raw["timestamp"]["_data_"]), by["name"],
                    by["role"]["_data_"], change.state.decode("utf-8"))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def _from_event(self, change: Change) -> tuple[Any, ...]:
        event = change.event
        aggregate_type, step = self.describe(event)
        fields = {k: canonical(v) for k, v in vars(event).items() if k not in NOT_FIELDS}
        return (aggregate_type, step, time_text(event.timestamp), event.by.name, event.by.role.value,
                orjson.dumps(fields).decode("utf-8"))


def entry_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A journal row as a history entry: who, why, the step's fields as records show them, the hashes."""
    entry = {k: v for k, v in dict(row).items() if k != "event_json"}
    record = stored_record(orjson.loads(row["event_json"]), strict=False)
    del record["actor"], record["role"]  # columns of the row already
    return {**entry, **record}
