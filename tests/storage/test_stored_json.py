"""The application writes events' stored JSON with storage.stored_json.StoredJSONTranscoder: byte for byte what
the library's JSONTranscoder writes with the same transcodings, and the same refusals."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any

import pytest
from eventsourcing.persistence import JSONTranscoder, Transcoding
from hypothesis import given, settings
from hypothesis import strategies as st

from bootstrap.services import Application as AccordApplication
from domain.values import STORED_ENUMS, STORED_VALUES, Actor, Document, Role, StepContext
from storage.stored_json import StoredJSONTranscoder

APP = AccordApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"})
OURS = APP.mapper.transcoder
LIBRARY = JSONTranscoder()
APP.register_transcodings(LIBRARY)


def outcome(transcoder: JSONTranscoder, value: Any) -> Any:
    try:
        return transcoder.encode(value)
    except Exception as error:  # noqa: BLE001 - the refusal itself is compared
        return type(error)


class Text(str):
    pass


class Number(IntEnum):
    ONE = 1


class Colour(Enum):
    RED = "red"


class Mapping(OrderedDict):
    pass


def test_the_application_writes_with_it():
    assert isinstance(OURS, StoredJSONTranscoder)


@pytest.mark.parametrize("value", [
    {"by": Actor("zoë", Role.IR_OFFICER), "context": StepContext(reason="Überprüfung\n\t\"\\", idempotency_key="k"),
     "document": Document(title="Draft \U0001F600 \x7f \u2028", sha256="a" * 64), "on": date(2025, 1, 31),
     "at": datetime(2026, 11, 26, 19, 0, 0, 123456, tzinfo=UTC), "id": uuid.uuid4(), "amount": Decimal("1.10"),
     "names": ("a", ["b", ("c",)]), "empty": {}, "none": None, "yes": True, "big": 2**63 - 1, "small": -(2**63)},
    {"float": 1.5}, {"floats": [1e16, 1e-07, float("nan"), float("inf"), -0.0]},
    {"beyond 64 bits": 2**64}, {"negative beyond": -(2**63) - 1},
    {"str subclass": Text("x")}, {"int enum": Number.ONE}, {"dict subclass": Mapping(a=1)},
    {1: "integer key"}, {Text("k"): "str subclass key"}, {("t",): "tuple key"},
    {"lone surrogate": "\ud800"}, {"unregistered": Colour.RED}, {"unregistered": object()},
    "top-level text", 7, [Role.ADMIN],
])
def test_it_writes_what_the_library_writes_or_refuses_what_it_refuses(value):
    assert outcome(OURS, value) == outcome(LIBRARY, value)


def test_a_deeply_nested_value_and_a_cycle():
    deep: Any = "end"
    for _ in range(400):  # beyond orjson's nesting limit
        deep = [deep]
    assert outcome(OURS, {"deep": deep}) == outcome(LIBRARY, {"deep": deep})
    cycle: list[Any] = []
    cycle.append(cycle)
    assert outcome(OURS, {"cycle": cycle}) is outcome(LIBRARY, {"cycle": cycle}) is ValueError


def test_a_transcoding_registered_later_is_used():
    class DateAsText(Transcoding):
        type = date
        name = "other_date"

        def encode(self, obj: date) -> str:
            return obj.strftime("%d/%m/%Y")

        def decode(self, data: str) -> date:
            return datetime.strptime(data, "%d/%m/%Y").date()

    ours = StoredJSONTranscoder()
    APP.register_transcodings(ours)
    assert ours.encode({"on": date(2025, 1, 31)}) == b'{"on":{"_type_":"date","_data_":"2025-01-31"}}'
    ours.register(DateAsText())
    assert ours.encode({"on": date(2025, 1, 31)}) == b'{"on":{"_type_":"other_date","_data_":"31/01/2025"}}'


text = st.text(max_size=6)
leaves = st.one_of(
    st.none(), st.booleans(), text, st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
    st.dates(), st.datetimes(timezones=st.just(UTC)), st.uuids(), st.decimals(allow_nan=False),
    *(st.sampled_from(list(enum)) for enum in STORED_ENUMS))
stored_values = st.recursive(
    st.one_of(leaves, *(st.builds(cls, **{name: leaves for name in cls.__dataclass_fields__})
                        for cls in STORED_VALUES)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.dictionaries(text, inner, max_size=3)),
    max_leaves=12)


@settings(max_examples=1000, deadline=None)
@given(state=st.dictionaries(text, stored_values, max_size=6))
def test_any_event_state_is_written_as_the_library_writes_it(state):
    assert outcome(OURS, state) == outcome(LIBRARY, state)


def test_a_registered_subclass_of_str_is_written_as_text_as_json_writes_it():
    class Code(StrEnum):
        CERN = "cern"

    class CodeAsValue(Transcoding):
        type = Code
        name = "enum.Code"

        def encode(self, obj: Code) -> str:
            return obj.value

        def decode(self, data: str) -> Code:
            return Code(data)

    ours, library = StoredJSONTranscoder(), JSONTranscoder()
    for transcoder in (ours, library):
        APP.register_transcodings(transcoder)
        transcoder.register(CodeAsValue())
    assert ours.encode({"code": Code.CERN}) == library.encode({"code": Code.CERN}) == b'{"code":"cern"}'
