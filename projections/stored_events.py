"""Reading an event's stored JSON as a record, without decoding it into a domain event.

The views (and the journal's rows, which keep each event's stored JSON) read events straight from the JSON
the store holds: a value of a tagged type is {"_type_": tag, "_data_": data} (``domain.chain`` documents
the tags). ``stored_record`` gives what ``domain.records.record_of`` gives for the decoded event: who, why,
the step's fields as plain JSON, and the hashes. Whatever it cannot read faithfully raises ``NotPlain``:
decode the event then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain.dates import time_from_text, time_text
from domain.records import shown_in_data
from domain.values import STORED_VALUES

VALUE_FIELDS: dict[str, frozenset[str]] = {
    "value." + cls.__name__: frozenset(f.name for f in dataclasses.fields(cls)) for cls in STORED_VALUES
}
"""The field names of each stored value object, by tag."""
UNWRAPPED = frozenset({"date", "datetime_iso", "decimal_str"})


class NotPlain(ValueError):
    """Raised for stored JSON that only the decoder reads faithfully (an unknown tag, a value object whose
    fields are not its class's, a missing field)."""


def untagged(value: Any, strict: bool = True) -> Any:
    """A stored JSON value as ``domain.records.plain`` shows the decoded value: tags removed, UUIDs dashed.
    ``strict``: refuse (NotPlain) what decoding could change (unknown tags, value objects with other fields)."""
    if type(value) is dict:
        tag = value.get("_type_")
        if tag is None or len(value) != 2 or "_data_" not in value:
            return {k: untagged(v, strict) for k, v in value.items()}
        data = value["_data_"]
        if tag in UNWRAPPED or tag.startswith("enum."):
            return data
        if tag == "uuid_hex":
            return str(UUID(data))
        names = VALUE_FIELDS.get(tag)
        if strict and (names is None or type(data) is not dict or data.keys() != names):
            raise NotPlain(tag)
        return untagged(data, strict)
    if type(value) is list:
        return [untagged(v, strict) for v in value]
    return value


def stored_record(stored: Mapping[str, Any], strict: bool = True) -> dict[str, Any]:
    """``record_of`` the event whose stored JSON (parsed) is ``stored``; NotPlain if it cannot be read so."""
    try:
        by = stored["by"]["_data_"]
        context = stored.get("context")
        context = context["_data_"] if context is not None else None
        return {
            "actor": by["name"],
            "role": by["role"]["_data_"],
            "reason": context["reason"] if context else None,
            "reference": context["reference"] if context else None,
            "data": {k: v if type(v) is str else untagged(v, strict) for k, v in stored.items()
                     if shown_in_data(k, stored)},
            "hash": stored["hash"],
            "prev_hash": stored["prev_hash"],
        }
    except (KeyError, TypeError, AttributeError) as error:
        raise NotPlain(str(error)) from None


def recorded_time_text(stored_time: str) -> str:
    """An event's stored time (its ``timestamp``'s ISO text) as the views keep it (``domain.dates.time_text``).
    The store writes UTC times with microseconds and "+00:00", which only needs its "Z": no datetime is made
    for those."""
    if len(stored_time) == 32 and stored_time.endswith("+00:00"):
        return stored_time[:26] + "Z"
    return time_text(time_from_text(stored_time))


def dashed(aggregate_hex: str) -> str:
    """An aggregate id of 32 hex digits in the usual form, as ``str(UUID(aggregate_hex))`` writes it."""
    h = aggregate_hex
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
