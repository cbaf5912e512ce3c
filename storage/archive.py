"""Export the whole store as JSON Lines, and import such an export into an empty store.

One event a line, keys sorted, UTF-8: its position, aggregate, version, stored topic, the decoded content
(type, recorded_at, actor, role, reason, reference, data), its hash and prev_hash, the running hash of the
log up to it, and ``stored``: the event's stored JSON exactly as recorded, from which the hashes are
recomputed. An export is byte-identical whichever backend it was taken from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from hashlib import sha256
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent

from domain.chain import GENESIS, running_hash
from storage.audit import chain_links, stored_rows
from storage.hashing import stored_hash_matches
from storage.recorders import insert_exported

BATCH = 1000

Describe = Callable[[str, dict[str, Any], Callable[[], Any]], tuple[str, str, dict[str, Any]]]
"""(stored topic, stored JSON parsed, decode) -> (aggregate type, step name, record): what an event means,
which the composition root supplies from the workflow definitions (``decode`` gives the domain event)."""


class ImportRefusedError(Exception):
    """Raised when an export cannot be imported: a non-empty store, or a line that does not verify."""


def export_lines(recorder: ApplicationRecorder, mapper: Mapper, describe: Describe) -> Iterator[str]:
    """The store as JSON Lines (each line ends with a newline), streamed."""
    links = chain_links(recorder)
    running = GENESIS
    for position, aggregate, version, topic, state in stored_rows(recorder):
        raw = orjson.loads(state)
        decode = partial(mapper.to_domain_event, StoredEvent(UUID(aggregate), version, topic, state))
        kind, step, record = describe(topic, raw, decode)
        recorded_at = raw["timestamp"]["_data_"]
        running = sha256((running + record["hash"]).encode("ascii")).hexdigest()  # = running_hash(), inlined
        link = next(links, None)
        line = {
            "position": position, "aggregate_id": str(UUID(aggregate)), "aggregate_type": kind,
            "version": version, "topic": topic, "type": step, "recorded_at": recorded_at, **record,
            "running_hash": link[2] if link and link[0] == position else running,
            "stored": state.decode("utf-8"),
        }
        yield orjson.dumps(line, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE).decode("utf-8")


def import_lines(recorder: ApplicationRecorder, lines: Iterable[str],
                 progress: Callable[[int], None] | None = None) -> tuple[int, str]:
    """Load an export into an empty store, verifying every hash and both chains as it goes.

    Returns (events imported, head digest). Nothing is written unless the store is empty; a line that
    does not verify stops the import (events already written stay: import into a fresh store again).
    """
    if recorder.max_notification_id():
        raise ImportRefusedError("the store is not empty: import only into a fresh store")
    last: dict[str, tuple[int, str]] = {}
    running, count, batch = GENESIS, 0, []
    previous_position = 0
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            line = orjson.loads(text)
            position, aggregate, version = int(line["position"]), line["aggregate_id"], int(line["version"])
            raw: dict[str, Any] = orjson.loads(line["stored"])
            intact = stored_hash_matches(UUID(aggregate).hex, version, line["topic"], raw)
            intact = intact and raw["hash"] == line["hash"]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ImportRefusedError(f"line {number}: not a line of an Accord export ({error})") from None
        where = f"line {number} (position {position}, {aggregate} v{version})"
        if position <= previous_position:
            raise ImportRefusedError(f"{where}: positions must increase")
        if not intact:
            raise ImportRefusedError(f"{where}: the event's content does not match its hash")
        last_version, last_hash = last.get(aggregate, (0, GENESIS))
        if version != last_version + 1 or raw["prev_hash"] != last_hash:
            raise ImportRefusedError(f"{where}: the aggregate's chain is broken")
        running = running_hash(running, raw["hash"])
        if running != line["running_hash"]:
            raise ImportRefusedError(f"{where}: the global chain is broken")
        last[aggregate] = (version, raw["hash"])
        previous_position = position
        batch.append((position, StoredEvent(originator_id=UUID(aggregate), originator_version=version,
                                            topic=line["topic"], state=line["stored"].encode("utf-8")),
                      raw["hash"], running))
        if len(batch) >= BATCH:
            insert_exported(recorder, batch)
            count += len(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        insert_exported(recorder, batch)
        count += len(batch)
        if progress:
            progress(len(batch))
    return count, running
