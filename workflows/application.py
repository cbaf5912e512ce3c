"""The one Accord application: one event store, one global log, for every aggregate type."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate, CanMutateAggregate
from eventsourcing.persistence import EventStore, JSONTranscoder, Recording, Transcoder, Transcoding

from domain import values
from domain.agreement import CooperationAgreement
from domain.chain import type_tag
from domain.enlargement import EnlargementProcess
from workflows.recorders import ChainedPostgresRecorder, harden_postgres
from workflows.stored import FastMapper
from workflows.stored_json import StoredJSONTranscoder

ENUMS, VALUE_OBJECTS = values.STORED_ENUMS, values.STORED_VALUES


class DateAsISO(Transcoding):
    type = date
    name = type_tag(date(2000, 1, 1))

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def enum_transcoding(enum: type[Enum]) -> Transcoding:
    """A transcoding that stores an enum member as its value, under a stable name."""

    class EnumAsValue(Transcoding):
        type = enum
        name = type_tag(next(iter(enum)))

        def encode(self, obj: Enum) -> Any:
            return obj.value

        def decode(self, data: Any) -> Enum:
            return enum(data)

    return EnumAsValue()


def dataclass_transcoding(cls: type) -> Transcoding:
    """A transcoding that stores a frozen dataclass as a mapping of its fields."""
    names = tuple(f.name for f in dataclasses.fields(cls))

    class DataclassAsDict(Transcoding):
        type = cls
        name = "value." + cls.__name__  # = domain.chain.type_tag of an instance
        field_names = names  # what encode reads: StoredJSONTranscoder reads them itself

        def encode(self, obj: Any) -> dict[str, Any]:
            return {n: getattr(obj, n) for n in names}

        def decode(self, data: dict[str, Any]) -> Any:
            return cls(**{k: v for k, v in data.items() if k in names})

    return DataclassAsDict()


def replay(aggregate: Any, events: Iterable[CanMutateAggregate[UUID]]) -> Any:
    """The library's ``project_aggregate`` without its per-event protocol check (an ``isinstance`` against a
    ``typing.Protocol``, which costs more on Python 3.11 than applying the event): every Accord event is one
    of the library's aggregate events, which mutate."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class AccordApplication(Application[UUID]):
    """Stores and loads every Accord aggregate; its ``save`` returns each event's global position.

    Long-lived aggregates are snapshotted every ``SNAPSHOT_INTERVAL`` events (0 turns snapshots off), so
    loading one costs the snapshot plus at most that many events; history, verification and audit read the
    events themselves. A snapshot is taken from the aggregate just saved, whose state is its previous state
    with the saved events applied, by the same ``apply`` a replay runs (``_take_snapshots``); the snapshot
    tests compare every snapshot with the replay of the stored events from event 1.
    ``AGGREGATE_CACHE_MAXSIZE`` aggregates stay cached per process and are brought up to date from the store
    on every load (the library's fast-forward), so a cached copy is never stale.
    """

    name = "accord"

    def __init__(self, env: Mapping[str, str] | None = None):
        env = dict(env or {})
        interval = int(env.get("SNAPSHOT_INTERVAL") or 0)
        if interval > 0:
            env["IS_SNAPSHOTTING_ENABLED"] = "y"
        super().__init__(env)
        if interval > 0:
            self.snapshotting_intervals = {CooperationAgreement: interval, EnlargementProcess: interval}
            self.snapshotting_projectors = {CooperationAgreement: replay, EnlargementProcess: replay}
        if isinstance(self.recorder, ChainedPostgresRecorder):
            harden_postgres([self.recorder, *([self.snapshots.recorder] if self.snapshots else [])])

    def construct_event_store(self) -> EventStore[UUID]:
        """The library's event store, decoding the events it loads with ``FastMapper``: the same events as the
        library's mapper, for 60% of its instructions (aggregates loaded from the store, and snapshots)."""
        return self.factory.event_store(mapper=FastMapper(self.mapper), recorder=self.recorder)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save``, collecting an aggregate's pending events without its protocol checks (two
        ``isinstance`` against a ``typing.Protocol`` per object: about 15 microseconds on Python 3.11, more
        than collecting the events): anything that is not one of the library's aggregates is collected by the
        library's own ``collect_events``."""
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
        aggregate in memory, now committed at that version: the library reads the aggregate back from the
        store instead (the previous snapshot and up to an interval of events, decoded and replayed, about
        5 ms every 100 steps, a tenth of a step's cost). An aggregate that crossed the interval in the middle
        of a save of several of its events is still read back from the store at that version."""
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

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON transcoder, writing through orjson the bytes the library writes
        (``workflows.stored_json``); the library's own if ``TRANSCODER_TOPIC`` names another."""
        if self.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = StoredJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        for enum in ENUMS:
            transcoder.register(enum_transcoding(enum))
        for cls in VALUE_OBJECTS:
            transcoder.register(dataclass_transcoding(cls))


def storage_env(environ: Mapping[str, str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The persistence settings from the library's own variables, with the embedded SQLite default."""
    keys = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "SINGLE_ROW_TRACKING",
            "SNAPSHOT_INTERVAL", "AGGREGATE_CACHE")
    env = {k: v for k, v in environ.items() if k.startswith(keys)}
    env.update(overrides or {})
    env.setdefault("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    env.setdefault("SNAPSHOT_INTERVAL", "100")
    env.setdefault("AGGREGATE_CACHE_MAXSIZE", "1000")
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        env.setdefault("APPLICATION_RECORDER_TOPIC", "workflows.recorders:ChainedSQLiteRecorder")
        env.setdefault("SQLITE_DBNAME", "var/accord.db")
        env.setdefault("SQLITE_LOCK_TIMEOUT", "10")
    elif env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        env.setdefault("APPLICATION_RECORDER_TOPIC", "workflows.recorders:ChainedPostgresRecorder")
        env.setdefault("POSTGRES_PASSWORD", "")  # trust or .pgpass authentication
        env.setdefault("POSTGRES_LOCK_TIMEOUT", "5")  # seconds; 0 would wait forever on a locked table
        env.setdefault("POSTGRES_CONNECT_TIMEOUT", "5")
        env.setdefault("POSTGRES_PRE_PING", "y")  # connections broken by a server restart are replaced
    return env


class UnsafeSettingsError(RuntimeError):
    """Raised at start-up when storage settings could lose events or let readers skip them."""


def check_storage_settings(env: Mapping[str, str]) -> None:
    """Refuse settings that lose data: checked before anything is served or recorded."""
    def on(key: str) -> bool:
        return (env.get(key) or "").strip().lower() in ("y", "yes", "t", "true", "on", "1")

    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        if on("POSTGRES_ENABLE_DB_FUNCTIONS"):
            raise UnsafeSettingsError("POSTGRES_ENABLE_DB_FUNCTIONS is on: it lets log readers skip events; unset it")
        if int(env.get("POSTGRES_LOCK_TIMEOUT") or 0) <= 0:
            raise UnsafeSettingsError("POSTGRES_LOCK_TIMEOUT must be a positive number of seconds: without it a "
                                      "stuck writer makes every other writer wait forever")
    elif env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        name = env.get("SQLITE_DBNAME", "")
        if ":memory:" in name or "mode=memory" in name:
            raise UnsafeSettingsError("an in-memory SQLite database keeps nothing and has no write-ahead log; "
                                      "name a file in SQLITE_DBNAME")
    else:
        raise UnsafeSettingsError(f"PERSISTENCE_MODULE {env['PERSISTENCE_MODULE']!r} is not supported: use "
                                  "eventsourcing.sqlite or eventsourcing.postgres")
