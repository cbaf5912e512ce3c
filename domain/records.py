"""How domain values and events read as plain data: ``plain`` for any value (JSON-ready), ``record_of`` for
an event (who took it, in which role, why, the step's own fields, and its hashes)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.dates import date_text

META_FIELDS = frozenset({"by", "context", "originator_id", "originator_version", "timestamp", "originator_topic",
                         "hash", "prev_hash", "class_version"})
"""An event's attributes that say who, when and where it belongs (and, in its stored JSON, which version of
its class recorded it), not what the step recorded."""
SECRET_FIELDS = frozenset({"token_sha256"})
"""Never shown in a record, even though they are not usable secrets."""
HIDDEN_FIELDS = META_FIELDS | SECRET_FIELDS

JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A JSON-ready copy of a domain value: dataclasses as dicts, enums as values, dates as ISO text."""
    kind = type(value)
    if kind in JSON_SCALARS:  # exactly these types (an enum of str or int is not one): as they are
        return value
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def shown_in_data(name: str, fields: Mapping[str, Any]) -> bool:
    """Whether an event's field is one of the step's own: not who, when or where (``HIDDEN_FIELDS``), and the
    workflow version only on a creation (``originator_topic``), where it is chosen: every later step
    carries it too, and a history shows it beside each entry rather than among the step's data."""
    return name not in HIDDEN_FIELDS and (name != "workflow_version" or "originator_topic" in fields)


def record_of(event: Any) -> dict[str, Any]:
    """actor, role, reason, reference, data (the step's fields), hash and prev_hash of one event. The
    workflow version every step carries is in the data of the creation only (where it is chosen)."""
    context = getattr(event, "context", None)
    return {
        "actor": event.by.name,
        "role": event.by.role.value,
        "reason": context.reason if context else None,
        "reference": context.reference if context else None,
        "data": {k: plain(v) for k, v in vars(event).items() if shown_in_data(k, vars(event))},
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }
