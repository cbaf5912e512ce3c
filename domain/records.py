"""How a stored event reads as a record: who, why, and the step's own fields as JSON-ready data, from the
decoded event (``record_of``) or straight from its stored JSON (``stored_record``, the same record)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.values import STORED_VALUES

META_FIELDS = frozenset({"by", "context", "originator_id", "originator_version", "timestamp", "originator_topic",
                         "hash", "prev_hash"})
SECRET_FIELDS = frozenset({"token_sha256"})
"""Never shown in a record, even though they are not usable secrets."""


JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def fields_of(value: Any) -> dict[str, Any]:
    """A flat value object's fields, as they are (``dataclasses.asdict`` without its deep copy of every value,
    which cost more than the rest of an agreement's view: these objects hold only text, enums and dates)."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def plain(value: Any) -> Any:
    """A JSON-ready copy of a domain value: dataclasses as dicts, enums as values, dates as ISO text."""
    kind = type(value)
    if kind in JSON_SCALARS:  # exactly these types (an enum of str or int is not one): as they are
        return value
    if kind is dict:  # exactly: what the Mapping branch below gives, without asking the ABC
        return {str(k): plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def record_of(event: Any) -> dict[str, Any]:
    """actor, role, reason, reference, data (the step's fields), hash and prev_hash of one event."""
    context = getattr(event, "context", None)
    return {
        "actor": event.by.name,
        "role": event.by.role.value,
        "reason": context.reason if context else None,
        "reference": context.reference if context else None,
        "data": {k: plain(v) for k, v in vars(event).items() if k not in META_FIELDS | SECRET_FIELDS},
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


HIDDEN = META_FIELDS | SECRET_FIELDS
VALUE_FIELDS: dict[str, frozenset[str]] = {
    "value." + cls.__name__: frozenset(f.name for f in dataclasses.fields(cls)) for cls in STORED_VALUES
}
UNWRAPPED = frozenset({"date", "datetime_iso", "decimal_str"})


class NotPlain(ValueError):
    """Stored JSON that only the decoder reads faithfully (an unknown tag, a value object whose fields are not
    its class's, a missing field)."""


def plain_stored(value: Any, strict: bool = True) -> Any:
    """A stored JSON value as ``plain`` shows the decoded value: tags removed, UUIDs dashed. ``strict``:
    refuse (NotPlain) what decoding could change (unknown tags, value objects with other fields)."""
    if type(value) is dict:
        tag = value.get("_type_")
        if tag is None or len(value) != 2 or "_data_" not in value:
            return {k: plain_stored(v, strict) for k, v in value.items()}
        data = value["_data_"]
        if tag in UNWRAPPED or tag.startswith("enum."):
            return data
        if tag == "uuid_hex":
            return str(UUID(data))
        names = VALUE_FIELDS.get(tag)
        if strict and (names is None or type(data) is not dict or data.keys() != names):
            raise NotPlain(tag)
        return plain_stored(data, strict)
    if type(value) is list:
        return [plain_stored(v, strict) for v in value]
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
            "data": {k: v if type(v) is str else plain_stored(v, strict) for k, v in stored.items()
                     if k not in HIDDEN},
            "hash": stored["hash"],
            "prev_hash": stored["prev_hash"],
        }
    except (KeyError, TypeError, AttributeError) as error:
        raise NotPlain(str(error)) from None


def dashed(aggregate_hex: str) -> str:
    """An aggregate id of 32 hex digits in the usual form, as ``str(UUID(aggregate_hex))`` writes it."""
    h = aggregate_hex
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
