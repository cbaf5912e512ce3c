"""The one Accord application: one event store, one global log, for every aggregate type.

This is its domain-facing side: which aggregates it keeps, how they are snapshotted and replayed, and the two
questions the command services ask of the log besides loading and saving. How events are written to and read
from SQLite or PostgreSQL is ``storage.application``'s, which the composition root (``bootstrap``) combines
with this class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess

SNAPSHOTTED = (CooperationAgreement, EnlargementProcess)
"""The long-lived aggregates, snapshotted every ``SNAPSHOT_INTERVAL`` events."""


def replay(aggregate: Any, events: Iterable[CanMutateAggregate[UUID]]) -> Any:
    """Apply events to an aggregate (None before its first) in order: the library's ``project_aggregate``
    without its per-event ``typing.Protocol`` check, since every Accord event is one of the library's
    aggregate events, which mutate."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class AccordApplication(Application[UUID]):
    """Stores and loads every Accord aggregate under one fixed name, so that one ``save`` commits several
    aggregates in one transaction and there is one global, ordered log; ``save`` returns each event's
    recording, whose notification id is its global position.

    Long-lived aggregates are snapshotted every ``SNAPSHOT_INTERVAL`` events (0 turns snapshots off), so
    loading one costs the snapshot plus at most that many events; history, verification and audit read the
    events themselves. ``AGGREGATE_CACHE_MAXSIZE`` aggregates stay cached per process and are brought up to
    date from the store on every load (the library's fast-forward), so a cached copy is never stale.
    """

    name = "accord"

    def __init__(self, env: Mapping[str, str] | None = None):
        env = dict(env or {})
        interval = int(env.get("SNAPSHOT_INTERVAL") or 0)
        if interval > 0:
            env["IS_SNAPSHOTTING_ENABLED"] = "y"
        super().__init__(env)
        if interval > 0:
            self.snapshotting_intervals = {cls: interval for cls in SNAPSHOTTED}
            self.snapshotting_projectors = {cls: replay for cls in SNAPSHOTTED}

    def latest_version(self, aggregate_id: UUID) -> int | None:
        """The version of an aggregate's last recorded event, None if it has none (nothing decoded)."""
        raise NotImplementedError("given by the storage the application runs on (storage.application)")

    def positioned_events(self, aggregate_id: UUID, after_version: int | None = None,
                          up_to_version: int | None = None) -> list[tuple[int, StoredEvent]]:
        """An aggregate's stored events in version order, each with its global position."""
        raise NotImplementedError("given by the storage the application runs on (storage.application)")
