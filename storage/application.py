"""What an eventsourcing Application does with Accord's storage: the stored JSON written by
``StoredJSONTranscoder``, events loaded by ``FastMapper``, snapshots taken from the aggregate just saved,
PostgreSQL hardened against outages, and the two reads of the log the command services ask for.

``StoredApplication`` is a mixin for ``workflows.application.AccordApplication``: the composition root
(``bootstrap.services``) puts the two together, so that neither imports the other.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import EventStore, JSONTranscoder, Recording, StoredEvent, Transcoder

from storage.hashing import hash_new_events_fast
from storage.log import select_positioned_events
from storage.recorders import ChainedPostgresRecorder, harden_postgres
from storage.stored_json import StoredJSONTranscoder
from storage.stored_mapper import FastMapper
from storage.transcodings import register_domain_values


class StoredApplication(Application[UUID]):
    """The storage side of the Accord application (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any):
        hash_new_events_fast()
        super().__init__(*args, **kwargs)
        if isinstance(self.recorder, ChainedPostgresRecorder):
            harden_postgres([self.recorder, *([self.snapshots.recorder] if self.snapshots else [])])

    def construct_event_store(self) -> EventStore[UUID]:
        """The library's event store, decoding the events it loads with ``FastMapper``: the same events as the
        library's mapper, for a fraction of its work (aggregates loaded from the store, and snapshots)."""
        return self.factory.event_store(mapper=FastMapper(self.mapper), recorder=self.recorder)

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON transcoder, writing through orjson the bytes the library writes
        (``storage.stored_json``); the library's own if ``TRANSCODER_TOPIC`` names another."""
        if self.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = StoredJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_values(transcoder)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save``: an aggregate's pending events are collected directly (the library asks two
        ``isinstance`` questions of a ``typing.Protocol`` per object first); anything that is not one of the
        library's aggregates is collected by the library's own ``collect_events``."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            elif obj is not None:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated in the library, still called by its own save
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """A snapshot of each saved aggregate whose new version is a multiple of its interval, taken from the
        aggregate in memory, now committed at that version (the library reads it back from the store: the
        previous snapshot and up to an interval of events, decoded and replayed). An aggregate that crossed
        the interval in the middle of a save of several of its events is read back at that version."""
        if not self.snapshots or not self.snapshotting_intervals:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is None or event.originator_version % interval:
                continue
            if aggregate.version == event.originator_version:
                snapshot_class = getattr(type(aggregate), "Snapshot", type(self).snapshot_class)
                self.snapshots.put([snapshot_class.take(aggregate)])
            else:
                self.take_snapshot(event.originator_id, version=event.originator_version,
                                   projector_func=self.snapshotting_projectors[type(aggregate)])

    def latest_version(self, aggregate_id: UUID) -> int | None:
        """The version of an aggregate's last recorded event, None if it has none: one indexed read of one
        number, no event loaded or decoded."""
        return self.recorder.latest_version(aggregate_id)

    def positioned_events(self, aggregate_id: UUID, after_version: int | None = None,
                          up_to_version: int | None = None) -> list[tuple[int, StoredEvent]]:
        return select_positioned_events(self.recorder, aggregate_id, gt=after_version, lte=up_to_version)
