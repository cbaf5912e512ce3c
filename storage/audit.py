"""Verification of the stored log: per-event hashes, per-aggregate chains and the global chain.

Reads the stored events themselves (never a projection), in pages, holding only each aggregate's last
version and hash: memory grows with the number of aggregates, not with the number of events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder

from domain.chain import GENESIS
from storage.hashing import stored_hash_matches
from storage.log import Row, event_page, paged, position_page
from storage.recorders import CHAIN_TABLE

PAGE = 1000
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class ChainProblem:
    position: int
    aggregate_id: str | None
    version: int | None
    problem: str


@dataclass
class Verification:
    ok: bool = True
    events_checked: int = 0
    head_position: int = 0
    head_hash: str = GENESIS
    problems: list[ChainProblem] = field(default_factory=list)

    def add(self, position: int, aggregate_id: Any, version: int | None, problem: str) -> None:
        self.ok = False
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(ChainProblem(position, str(aggregate_id) if aggregate_id else None, version, problem))


Link = tuple[int, str, str, str, int]
"""A row of the global chain: position, event hash, running hash, aggregate id, version."""


def chain_page(recorder: ApplicationRecorder, after: int, up_to: int | None, limit: int) -> list[Link]:
    """Rows of the global chain table after a position."""
    return position_page(recorder, CHAIN_TABLE, "position",
                         "position, event_hash, running_hash, originator_id, originator_version", after, up_to, limit)


def stored_rows(recorder: ApplicationRecorder, up_to: int | None = None) -> Iterator[Row]:
    """Every stored event in position order, as plain rows, read in pages."""
    return paged(lambda after: event_page(recorder, after, up_to, PAGE))


def chain_links(recorder: ApplicationRecorder, up_to: int | None = None) -> Iterator[Link]:
    return paged(lambda after: chain_page(recorder, after, up_to, PAGE))


def verify(recorder: ApplicationRecorder, up_to: int | None = None,
           progress: Callable[[int], None] | None = None, documents: dict[str, int] | None = None) -> Verification:
    """Recompute every event's hash and both chains; report the first problems, each at a named place. With
    ``documents``, also note there the sha256 of every document an event binds to stored bytes (workflow
    version 2), with the position of its first such event."""
    result = Verification()
    last: dict[str, tuple[int, str]] = {}
    running = GENESIS
    links = chain_links(recorder, up_to)
    link = next(links, None)
    checked = 0
    for position, aggregate, version, topic, state in stored_rows(recorder, up_to):
        while link is not None and link[0] < position:
            result.add(link[0], link[3], link[4], "an event recorded in the global chain is missing from the log")
            running = link[2]  # resynchronise: the events after it are not to blame
            link = next(links, None)
        try:
            raw = orjson.loads(state)
            stored_hash, prev = raw["hash"], raw["prev_hash"]
            intact = stored_hash_matches(aggregate, version, topic, raw)
        except (ValueError, KeyError, TypeError):
            result.add(position, UUID(aggregate), version, "the stored event cannot be read")
            link = next(links, None) if link is not None and link[0] == position else link
            continue
        if not intact:
            result.add(position, UUID(aggregate), version, "the event's content does not match its hash")
        if documents is not None and BOUND_TAG in state:
            for document in bound_documents(raw):
                documents.setdefault(document, position)
        previous_version, previous_hash = last.get(aggregate, (0, GENESIS))
        if version != previous_version + 1:
            result.add(position, UUID(aggregate), version,
                       f"version {version} follows version {previous_version} of its aggregate")
        elif prev != previous_hash:
            result.add(position, UUID(aggregate), version, "prev_hash does not match the aggregate's previous event")
        last[aggregate] = (version, stored_hash)
        running = sha256((running + stored_hash).encode("ascii")).hexdigest()  # = running_hash(), inlined
        if link is None or link[0] != position:
            result.add(position, UUID(aggregate), version, "the event is not in the global chain")
        else:
            if link[4] != version or link[3].replace("-", "") != aggregate:
                result.add(position, UUID(aggregate), version,
                           f"the global chain recorded {link[3]} v{link[4]} at this position")
            elif link[1] != stored_hash or link[2] != running:
                result.add(position, UUID(aggregate), version,
                           "the global chain does not match the log at this position")
                running = link[2]  # resynchronise, so one problem is reported once
            link = next(links, None)
        checked += 1
        result.head_position = position
        if progress and checked % PAGE == 0:
            progress(PAGE)
    result.events_checked = checked
    while link is not None:
        result.add(link[0], link[3], link[4], "the log ends before the global chain does (truncated?)")
        link = next(links, None)
    result.head_hash = running
    if progress:
        progress(checked % PAGE)
    return result


BOUND_TAG = b'"value.BoundDocument"'


def bound_documents(value: Any) -> Iterator[str]:
    """The sha256 of each document bound to stored bytes in an event's stored JSON."""
    if isinstance(value, dict):
        if value.get("_type_") == "value.BoundDocument" and isinstance(value.get("_data_"), dict):
            yield value["_data_"].get("sha256")
            return
        for item in value.values():
            yield from bound_documents(item)
    elif isinstance(value, list):
        for item in value:
            yield from bound_documents(item)


def prove(recorder: ApplicationRecorder, position: int, digest: str) -> Verification:
    """Check the log up to ``position`` is unchanged since a verification that returned ``digest`` there."""
    result = verify(recorder, up_to=position)
    if result.head_position != position:
        result.add(position, None, None, f"the log has no event at position {position} any more")
    elif result.head_hash != digest:
        result.add(position, None, None, "the log up to this position differs from the saved digest")
    return result
