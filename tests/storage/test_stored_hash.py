"""The fast hash check (orjson) gives exactly the verdict of the documented canonical encoding (json), for
any JSON a stored event may hold: floats and integers beyond 64 bits included, where orjson's encoding differs
or fails and the standard encoder decides."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.chain import GENESIS, NOT_HASHED, _new_event_hash, event_hash
from domain.errors import InvalidValueError
from domain.values import Actor, Role
from storage.hashing import stored_hash_matches

TOPIC = "accord.agreement:CooperationAgreement.RoundRecorded"
RECORDED_AT = "2026-11-26T19:00:00.123456+00:00"

scalars = st.one_of(st.none(), st.booleans(), st.text(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)
fields = st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in {"timestamp", "hash", "prev_hash"}),
                         values, max_size=6)


def stored_event(state: dict, aggregate: str, version: int) -> dict:
    """An event's stored JSON as parsed, with the hash the documented encoding gives it."""
    stored = {**state, "timestamp": {"_type_": "datetime_iso", "_data_": RECORDED_AT}, "prev_hash": GENESIS}
    stored["hash"] = event_hash(aggregate, version, TOPIC, RECORDED_AT, GENESIS, stored, stored=True)
    return json.loads(json.dumps(stored))  # as read back from the store


@settings(max_examples=300, deadline=None)
@given(state=fields, version=st.integers(min_value=1, max_value=10**6))
def test_an_intact_event_matches_and_a_changed_one_does_not(state, version):
    aggregate = uuid.uuid4().hex
    stored = stored_event(state, aggregate, version)
    assert stored_hash_matches(aggregate, version, TOPIC, stored)
    assert not stored_hash_matches(aggregate, version + 1, TOPIC, stored)
    assert not stored_hash_matches(aggregate, version, TOPIC, {**stored, "tampered": 1})
    assert not stored_hash_matches(uuid.uuid4().hex, version, TOPIC, stored)


def test_floats_and_big_integers_are_decided_by_the_standard_encoder():
    assert orjson.dumps(1e-05) != json.dumps(1e-05).encode(), "the case the fallback exists for"
    aggregate = uuid.uuid4().hex
    for value in (1e16, 1e-05, 2**64 + 1, -(2**80), 0.1):
        stored = stored_event({"amount": value}, aggregate, 1)
        assert stored_hash_matches(aggregate, 1, TOPIC, stored), value
        assert not stored_hash_matches(aggregate, 1, TOPIC, {**stored, "amount": value * 2 or 1}), value


new_fields = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda k: k not in NOT_HASHED and "\x00" not in k),
    st.recursive(
        st.one_of(scalars.filter(lambda v: not (isinstance(v, str) and "\x00" in v)), st.dates(),
                  st.sampled_from(list(Role)), st.builds(Actor, st.text(min_size=1, max_size=8).filter(
                      lambda t: "\x00" not in t), st.sampled_from(list(Role)))),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner)),
        max_leaves=8),
    max_size=5)


@settings(max_examples=300, deadline=None)
@given(fields=new_fields)
def test_a_new_events_hash_is_the_documented_hash_of_its_fields(fields):
    aggregate, when = uuid.uuid4(), datetime(2026, 11, 26, 19, 0, 0, 123456, tzinfo=UTC)
    assert _new_event_hash(aggregate, 7, TOPIC, when, GENESIS, fields) == event_hash(
        aggregate, 7, TOPIC, when, GENESIS, fields)


@given(fields=new_fields, where=st.sampled_from(["text", "nested", "key", "actor"]))
def test_nul_is_refused_anywhere_in_a_new_event(fields, where):
    bad = "a\x00b"
    fields = dict(fields)
    if where == "text":
        fields["x"] = bad
    elif where == "nested":
        fields["x"] = [1, {"y": [bad]}]
    elif where == "key":
        fields["x"] = {bad: 1}
    else:
        fields["x"] = Actor(bad, Role.IR_OFFICER)
    with pytest.raises(InvalidValueError):
        _new_event_hash(uuid.uuid4(), 1, TOPIC, datetime.now(UTC), GENESIS, fields)


def _store_transcoder():
    from bootstrap.services import Application as AccordApplication

    return AccordApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper.transcoder


STORE = _store_transcoder()


def _value_objects() -> st.SearchStrategy:
    from domain.values import STORED_ENUMS, STORED_VALUES

    text = st.text(max_size=6).filter(lambda t: "\x00" not in t)
    leaf = st.one_of(st.none(), text, st.integers(min_value=-(2**63), max_value=2**63 - 1), st.dates(),
                     st.datetimes(timezones=st.just(UTC)), st.uuids(),
                     *(st.sampled_from(list(enum)) for enum in STORED_ENUMS))
    objects = [st.builds(cls, **{name: leaf for name in cls.__dataclass_fields__}) for cls in STORED_VALUES]
    return st.recursive(st.one_of(leaf, *objects), lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.tuples(inner, inner),
        st.dictionaries(text, inner, max_size=3)), max_leaves=10)


@settings(max_examples=500, deadline=None)
@given(value=_value_objects())
def test_the_canonical_form_of_a_value_is_what_the_store_writes_for_it(value):
    """The hash covers canonical(value); verification reads the stored JSON: the two must be the same JSON."""
    from domain.chain import _Walk, canonical

    stored = json.loads(STORE.encode({"v": value}))["v"]
    assert canonical(value) == stored
    assert _Walk().canonical(value) == stored
