"""The aggregate cache as the step services use it: each process keeps the aggregates it last loaded or saved
(the library's repository cache, ``AGGREGATE_CACHE_MAXSIZE``), so that a step that follows this process's own
last write on an aggregate reads nothing from the store before saving.

Three rules keep every answer the one a fresh load from the store would give:

- Every caller works on its own copy (``working_copy``), and the cache keeps its own, replaced only by a later
  version (``keep``): nothing a caller does to what it was given, and nothing a refused step did to its copy,
  reaches the cache.
- What never changes for an aggregate (that it exists, its class and its workflow version) may be read from
  the cached aggregate at whatever version this process last saw (``known``).
- A step may run on a copy of the cached aggregate only when it is at the version the caller expects. Such a
  copy is unconfirmed: the store may hold later versions. Its save succeeds only if the store is still at
  that version (the event store's unique key refuses it otherwise), and any refusal decided on it is decided
  again on the store's state (``workflows.steps``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

from workflows.application import replay


def working_copy(aggregate: Any) -> Any:
    """A copy of an aggregate for one command, or for the cache to keep: a new object with a copy of the
    state's dict and of each list and dict in it. That is a whole copy because every other value in the state
    is immutable and events never change a list's or a dict's items in place (``domain.lifecycle.Lifecycle``);
    it costs a small part of ``copy.deepcopy``."""
    copy = object.__new__(type(aggregate))
    state = aggregate.__dict__.copy()
    for name, value in state.items():
        kind = type(value)  # the state holds plain lists and dicts: no subclass to look for
        if kind is list or kind is dict:
            state[name] = value.copy()  # unlike dict(), dict.copy() clones a dict with deleted keys in one block
    copy.__dict__ = state
    return copy


class AggregateCache:
    """The cached aggregates of one class (the cache itself holds every class the application stores)."""

    def __init__(self, repository: Repository[UUID], aggregate_class: type):
        self.repository = repository
        self.cache = repository.cache
        self.aggregate_class = aggregate_class

    def load(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate from the store (at ``version``, or its latest, brought up to date through the cache),
        as a copy of its own; the library's errors (not found, storage) propagate."""
        aggregate = self.repository.get(aggregate_id, version=version, projector_func=replay,
                                        deepcopy_from_cache=False)
        if version is None and self.cache is not None and isinstance(aggregate, self.aggregate_class):
            return working_copy(aggregate)  # the library returned the cached aggregate itself
        return aggregate

    def known(self, aggregate_id: UUID) -> Any:
        """The cached aggregate itself, at the version this process last saw, or None: to read what never
        changes (its class, its workflow version), and to take a ``working_copy`` of. Never change it, nor
        hand it out."""
        if self.cache is None:
            return None
        try:
            cached = self.cache.get(aggregate_id)
        except KeyError:
            return None
        return cached if isinstance(cached, self.aggregate_class) else None

    def keep(self, aggregates: Any) -> None:
        """Keep a copy of each aggregate just saved, unless the cache holds a later version already."""
        cache = self.cache
        if cache is None:
            return
        for aggregate in aggregates:
            try:
                cached = cache.get(aggregate.id)
            except KeyError:
                cached = None
            if cached is None or cached.version < aggregate.version:
                cache.put(aggregate.id, working_copy(aggregate))
