"""How domain values are stored in an event's JSON: dates as ISO text, enum members as their values and value
objects as mappings of their fields, each under a stable tag (``domain.chain.type_tag``), which the events'
hashes cover. Tags are part of the stored format: never rename one."""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.chain import type_tag
from domain.dates import date_from_text, date_text
from domain.recorded import RECORD_ENUMS, RECORD_VALUES
from domain.values import STORED_ENUMS, STORED_VALUES


class DateAsISO(Transcoding):
    type = date
    name = type_tag(date(2000, 1, 1))

    def encode(self, obj: date) -> str:
        return date_text(obj)

    def decode(self, data: str) -> date:
        return date_from_text(data)


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


def register_domain_values(transcoder: JSONTranscoder) -> None:
    """Register how every date, enum and value object the events hold is stored."""
    transcoder.register(DateAsISO())
    for enum in STORED_ENUMS + RECORD_ENUMS:
        transcoder.register(enum_transcoding(enum))
    for cls in STORED_VALUES + RECORD_VALUES:
        transcoder.register(dataclass_transcoding(cls))
