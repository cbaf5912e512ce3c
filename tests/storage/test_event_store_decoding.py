"""The application's event store decodes stored events with storage.stored_mapper.FastMapper: aggregates are loaded
and snapshotted from exactly the events the library's mapper gives, for every kind of event the demo, the
published participation record and the access service store, and for numbers orjson reads differently."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bootstrap.seed.demo import seed_demo
from bootstrap.seed.history import load_history
from domain.values import Actor, Role
from storage.stored_mapper import FastMapper
from tests.projections.enlargement_walk import Process


@pytest.fixture
def logged(services):
    load_history(services.records, say=lambda m: None)
    for name, country, target in (("Estonia", "EE", "associate_member_pre_stage"), ("Estonia", "EE", "member")):
        Process(services.enlargements, "alice", name, country, target, "2020-01-01").to_force(
            "2021-02-01" if target != "member" else "2024-08-30")
    Process(services.enlargements, "alice", "Spain", "ES", "member", "1960-01-01").to_force("1961-01-01").end(
        "1968-12-31")
    seed_demo(services.agreements, services.access, Actor("pytest@cli", Role.ADMIN), say=lambda m: None)
    recorder = services.app.recorder
    return recorder.select_notifications(0, limit=recorder.max_notification_id() + 1)


def test_every_aggregate_loads_from_the_events_the_librarys_mapper_decodes(services, logged):
    app = services.app
    assert isinstance(app.events.mapper, FastMapper)
    aggregate_ids = list(dict.fromkeys(n.originator_id for n in logged))
    kinds = set()
    for aggregate_id in aggregate_ids:
        loaded = list(app.events.get(aggregate_id))
        expected = [app.mapper.to_domain_event(s) for s in app.recorder.select_events(aggregate_id)]
        assert [type(e) for e in loaded] == [type(e) for e in expected]
        for got, want in zip(loaded, expected, strict=True):
            assert vars(got) == vars(want) and list(vars(got)) == list(vars(want)), type(want).__qualname__
        kinds.update(type(e).__qualname__ for e in expected)
    assert len(kinds) >= 20 and "RecordedStatus.Imported" in kinds, kinds


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30, 1.5, 1e16, -0.0])
def test_a_number_orjson_reads_otherwise_is_decoded_by_the_librarys_mapper(services, logged, number):
    """orjson reads an integer beyond 64 bits as a float; the library's json keeps it exact."""
    mapper = services.app.mapper
    stored = next(s for s in logged if s.topic.endswith("TextAttached"))
    state = json.loads(stored.state)
    state["document"]["_data_"]["title"] = [number, {"n": number}]
    edited = replace(stored, state=json.dumps(state, separators=(",", ":")).encode())
    expected, got = mapper.to_domain_event(edited), FastMapper(mapper).to_domain_event(edited)
    assert vars(got) == vars(expected)
    assert type(got.document.title[0]) is type(number) and got.document.title[0] == number
