"""Tamper evidence: every event carries the hash of its predecessor in its aggregate and its own hash.

The hash is SHA-256 over a canonical encoding of the event's content, documented here because auditors'
own tools (see ``tools/verify_export.py``) recompute it:

    sha256( JSON of {"aggregate_id": <hex>, "version": <int>, "type": <stored topic>,
                     "recorded_at": <ISO 8601 timestamp>, "prev_hash": <hex or 64 zeros>,
                     "state": <the event's stored fields, canonical>} )

with keys sorted, separators "," and ":", UTF-8, no ASCII escaping. "state" holds every stored field of the
event except ``timestamp`` (it is ``recorded_at``), ``hash`` and ``prev_hash``: actor and role (``by``),
reason, reference and the request's idempotency key (``context``), the step's own data, the aggregate's
class on a created event (``originator_topic``) and the event class's version when above 1
(``class_version``, which decides the upcasts applied on reading), exactly as the store's JSON holds
them: a value of a tagged type is {"_type_": <tag>, "_data_": <data>} (tags: "date", "datetime_iso",
"uuid_hex", "decimal_str", "enum.<Name>" with the member's value, "value.<Name>" with the value object's
fields), tuples are lists.
Because the hash is computed over the stored JSON itself (never over a decoded, upcast object), an event
upcast to a later class version still verifies against the hash computed when it was recorded, and
re-tagging a stored value (a date turned into a timestamp) breaks it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import get_topic

from domain.dates import date_text
from domain.errors import InvalidValueError

GENESIS = "0" * 64
NOT_HASHED = frozenset({"timestamp", "hash", "prev_hash", "originator_id", "originator_version"})


def type_tag(value: Any) -> str | None:
    """The name under which the store's JSON transcoder tags a value of this type (None: plain JSON).

    storage/transcodings.py registers the store's transcodings under these same names.
    """
    if isinstance(value, Enum):
        return "enum." + type(value).__name__
    if isinstance(value, UUID):
        return "uuid_hex"
    if isinstance(value, datetime):
        return "datetime_iso"
    if isinstance(value, date):
        return "date"
    if isinstance(value, Decimal):
        return "decimal_str"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "value." + type(value).__name__
    return None


_TAGS: dict[type, str | None] = {}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _tag(value: Any) -> str | None:
    """``type_tag(value)``, which depends on the value's type alone, worked out once per type."""
    kind = type(value)
    try:
        return _TAGS[kind]
    except KeyError:
        tag = _TAGS[kind] = type_tag(value)
        return tag


def _field_names(value: Any) -> tuple[str, ...]:
    """The field names of a value object (a dataclass instance), in order, worked out once per type."""
    kind = type(value)
    try:
        return _FIELD_NAMES[kind]
    except KeyError:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
        return names


def canonical(value: Any) -> Any:
    """The value as the store's JSON holds it: tagged types as {"_type_": tag, "_data_": data}."""
    tag = _tag(value)
    if tag is None:
        if isinstance(value, Mapping):
            return {str(k): canonical(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [canonical(v) for v in value]
        return value
    if isinstance(value, Enum):
        data: Any = value.value
    elif isinstance(value, UUID):
        data = value.hex
    elif isinstance(value, datetime):
        data = value.isoformat()
    elif isinstance(value, date):
        data = date_text(value)
    elif isinstance(value, Decimal):
        data = str(value)
    else:
        data = {name: canonical(getattr(value, name)) for name in _field_names(value)}
    return {"_type_": tag, "_data_": data}


def event_hash(aggregate_id: UUID | str, version: int, topic: str, recorded_at: datetime | str, prev_hash: str,
               state: Mapping[str, Any], *, stored: bool = False) -> str:
    """The hash of one event; ``state`` is the event's fields, or (``stored=True``) its stored JSON as parsed,
    which is canonical already."""
    body = {
        "aggregate_id": aggregate_id.hex if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id)).hex,
        "version": version,
        "type": topic,
        "recorded_at": recorded_at.isoformat() if isinstance(recorded_at, datetime) else recorded_at,
        "prev_hash": prev_hash,
        "state": {k: (v if stored else canonical(v)) for k, v in state.items() if k not in NOT_HASHED},
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


def canonical_json(body: Mapping[str, Any], floats: bool = True) -> bytes:
    """The canonical encoding: keys sorted, separators "," and ":", UTF-8, no ASCII escaping. ``floats``
    says whether the body may hold a float (an encoder may then need to write it as Python does)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


Encoder = Callable[[Mapping[str, Any], bool], bytes]
_encoder: Encoder = canonical_json


def use_encoder(encoder: Encoder) -> None:
    """Encode new events' hashed bodies with ``encoder``, which must write exactly ``canonical_json``'s bytes
    (storage installs a faster one: the domain's rule stays this module's)."""
    global _encoder
    _encoder = encoder


def running_hash(previous: str, event_hash_hex: str) -> str:
    """The digest of the whole log up to an event: sha256(previous running hash + the event's hash)."""
    return hashlib.sha256((previous + event_hash_hex).encode("ascii")).hexdigest()


class Chained:
    """Mixin for aggregates: computes each new event's ``prev_hash`` and ``hash`` as it is triggered.

    The aggregate's ``Event`` base declares ``hash`` and ``prev_hash`` and sets ``last_hash`` in ``apply``.
    """

    last_hash: str = GENESIS

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        timestamp = event_class.create_timestamp()
        originator_id = id if id is not None else cls.create_id(**_create_id_kwargs(cls, kwargs))
        stored = {**kwargs, "originator_topic": get_topic(cls), **_class_version(event_class)}
        digest = _new_event_hash(originator_id, 1, get_topic(event_class), timestamp, GENESIS, stored)
        return super()._create(event_class, id=originator_id, timestamp=timestamp, prev_hash=GENESIS,
                               hash=digest, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        timestamp = event_class.create_timestamp()
        if "workflow_version" in getattr(event_class, "__dataclass_fields__", ()):
            kwargs["workflow_version"] = self.workflow_version  # type: ignore[attr-defined]
        stored = {**kwargs, **_class_version(event_class)}
        digest = _new_event_hash(self.id, self.version + 1, get_topic(event_class), timestamp, self.last_hash,
                                 stored)
        super().trigger_event(event_class, timestamp=timestamp, prev_hash=self.last_hash, hash=digest, **kwargs)


def _new_event_hash(aggregate_id: UUID, version: int, topic: str, recorded_at: datetime, prev_hash: str,
                    fields: Mapping[str, Any]) -> str:
    """``event_hash`` of a new event's fields, refusing NUL in any text, in one pass over the fields."""
    walk = _Walk()
    state = {k: walk.canonical(v) for k, v in fields.items() if k not in NOT_HASHED}
    body = {"aggregate_id": aggregate_id.hex if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id)).hex,
            "version": version, "type": topic,
            "recorded_at": recorded_at.isoformat(), "prev_hash": prev_hash, "state": state}
    return hashlib.sha256(_encoder(body, walk.floats)).hexdigest()


class _Walk:
    """``canonical()`` that also refuses NUL (PostgreSQL cannot store it in a text column or a view) and
    notes whether a float was seen (see ``canonical_json``)."""

    def __init__(self) -> None:
        self.floats = False

    def canonical(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            if "\x00" in value:
                raise InvalidValueError("text may not contain the NUL character", rule="no_nul")
            return value
        if kind is int or kind is bool or value is None:
            return value
        if kind is float:
            self.floats = True
            return value
        walker = _WALKERS.get(kind)
        if walker is not None:
            return walker(self, value)
        tag = _tag(value)
        if tag is None:
            if isinstance(value, Mapping):
                return {self.canonical(str(k)): self.canonical(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [self.canonical(v) for v in value]
            if isinstance(value, str):  # a subclass of str
                self.canonical(str(value))  # checked for NUL
                return value
            self.floats = self.floats or isinstance(value, float)
            return value
        if tag.startswith("value."):
            walker = _WALKERS[kind] = _value_walker(tag, _field_names(value))
            return walker(self, value)
        if tag.startswith("enum."):
            walker = _WALKERS[kind] = _enum_walker(tag)
            return walker(self, value)
        tagged = canonical(value)
        self.canonical(tagged["_data_"])  # a date's text...: checked, never changed
        return tagged


_WALKERS: dict[type, Callable[[_Walk, Any], Any]] = {}
"""How ``_Walk`` gives the canonical form of a value object's or an enum's type: made once per type."""


def _value_walker(tag: str, names: tuple[str, ...]) -> Callable[[_Walk, Any], Any]:
    def walk_value(walk: _Walk, value: Any) -> Any:
        data = {}
        for name in names:  # text and None (most fields) checked here, anything else walked
            item = getattr(value, name)
            if type(item) is str:
                if "\x00" in item:
                    raise InvalidValueError("text may not contain the NUL character", rule="no_nul")
                data[name] = item
            else:
                data[name] = item if item is None else walk.canonical(item)
        return {"_type_": tag, "_data_": data}
    return walk_value


def _enum_walker(tag: str) -> Callable[[_Walk, Any], Any]:
    def walk_enum(walk: _Walk, value: Any) -> Any:
        data = value._value_
        if type(data) is not str or "\x00" in data:
            walk.canonical(data)  # checked, never changed
        return {"_type_": tag, "_data_": data}
    return walk_enum


def _class_version(event_class: Any) -> dict[str, int]:
    """The library stores ``class_version`` with an event only when it is above 1."""
    version = getattr(event_class, "class_version", 1)
    return {"class_version": version} if version > 1 else {}


def _create_id_kwargs(cls: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    names = set(inspect.signature(cls.create_id).parameters)
    return {k: v for k, v in kwargs.items() if k in names}
