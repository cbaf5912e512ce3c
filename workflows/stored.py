"""Reading stored events as plain records straight from their stored JSON, without building domain events.

Exports, journals and audit trails show an event as JSON-ready data (``domain.records.record_of`` of the
decoded event). Decoding through the library's mapper builds every enum member, date and value object only
for them to be turned back into text; for an event whose class has never been upcast, the stored JSON
already holds that text, so ``plain_record`` reads it directly and gives the same record, several times
faster. Anything it does not recognise (an unknown type tag, a value object with missing or extra fields, an
event class above version 1, whose upcasts only the mapper applies) returns None: use the mapper then.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic

from domain.records import META_FIELDS, SECRET_FIELDS
from workflows.application import VALUE_OBJECTS
from workflows.definitions import describe_class

HIDDEN = META_FIELDS | SECRET_FIELDS
VALUE_FIELDS: dict[str, frozenset[str]] = {
    "value." + cls.__name__: frozenset(f.name for f in dataclasses.fields(cls)) for cls in VALUE_OBJECTS
}
UNWRAPPED = frozenset({"date", "datetime_iso", "decimal_str"})


class NotPlain(Exception):
    """The stored JSON holds something only the mapper can decode faithfully."""


def plain_stored(value: Any) -> Any:
    """A stored JSON value as ``domain.records.plain`` shows the decoded value: tags removed, UUIDs dashed."""
    if type(value) is dict:
        tag = value.get("_type_")
        if tag is None or len(value) != 2 or "_data_" not in value:
            return {k: plain_stored(v) for k, v in value.items()}
        data = value["_data_"]
        if tag in UNWRAPPED or tag.startswith("enum."):
            return data
        if tag == "uuid_hex":
            return str(UUID(data))
        names = VALUE_FIELDS.get(tag)
        if names is None or type(data) is not dict or data.keys() != names:
            raise NotPlain(tag)
        return {k: plain_stored(v) for k, v in data.items()}
    if type(value) is list:
        return [plain_stored(v) for v in value]
    return value


def event_class_info(topic: str) -> tuple[str, str] | None:
    """(aggregate type, public step name) of a stored topic, or None when its events may be upcast."""
    cls = resolve_topic(topic)  # the library keeps resolved topics
    if getattr(cls, "class_version", 1) != 1:
        return None
    return _described(cls)


@lru_cache(maxsize=256)
def _described(cls: type) -> tuple[str, str]:
    return describe_class(cls)


def plain_record(topic: str, stored: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(aggregate type, step, record_of(event)) read from a stored event's parsed JSON, or None: use the mapper."""
    info = event_class_info(topic)
    if info is None or "class_version" in stored:
        return None
    try:
        by = stored["by"]["_data_"]
        context = stored.get("context")
        context = context["_data_"] if context is not None else None
        record = {
            "actor": by["name"],
            "role": by["role"]["_data_"],
            "reason": context["reason"] if context else None,
            "reference": context["reference"] if context else None,
            "data": {k: v if type(v) is str else plain_stored(v) for k, v in stored.items() if k not in HIDDEN},
            "hash": stored["hash"],
            "prev_hash": stored["prev_hash"],
        }
    except (NotPlain, KeyError, TypeError, ValueError, AttributeError):
        return None
    return info[0], info[1], record
