"""Views decode the log without the library's mapper where they can (storage.stored_mapper): the events they get,
and the journal rows written from stored JSON, must equal what the mapper gives, for every event type that the
demo, the published participation record and the access events hold, and an upcast event class must still go
through the mapper."""

from __future__ import annotations

from random import Random
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from bootstrap.seed.demo import seed_demo
from bootstrap.seed.history import load_history
from domain.agreement import CooperationAgreement
from domain.values import Actor, Role
from projections import agreements, queries
from storage.stored_mapper import FastMapper
from tests.projections.helpers import ICA, Walk, Writer, party


@pytest.fixture
def logged(services):
    load_history(services.records, say=lambda m: None)
    seed_demo(services.agreements, services.access, Actor("pytest@cli", Role.ADMIN), say=lambda m: None)
    Writer(services.agreements, Random(7)).write(400)  # many steps of many agreements: suspensions, corrections...
    renewed = Walk(services.agreements, "alice", title="Renewed", kind=ICA, expires_on="2030-06-30",
                   counterparties=[party("Renewing state", country="SE")]).to_force()
    renewed.step("carla", "renew", expires_on="2035-06-30").step("bruno", "correct", field="expires_on",
                                                                 value="2035-07-31")
    renewed.step("bruno", "correct", field="effective_on", value="2024-12-02")
    Walk(services.agreements, "alice", title="Expired", kind=ICA, expires_on="2025-01-31",
         counterparties=[party("Expiring state", country="KE")]).to_force().step("carla", "expire")
    Walk(services.agreements, "alice", title="Withdrawn", kind=ICA,
         counterparties=[party("Withdrawing institute", "institute")]).step("alice", "withdraw")
    recorder = services.app.recorder
    return recorder.select_notifications(0, limit=recorder.max_notification_id() + 1)


def test_fast_decoding_gives_the_mappers_events(services, logged):
    mapper, fast = services.app.mapper, FastMapper(services.app.mapper)
    classes = set()
    for stored in logged:
        expected, got = mapper.to_domain_event(stored), fast.to_domain_event(stored)
        assert type(got) is type(expected)
        assert vars(got) == vars(expected), stored.topic
        assert list(vars(got)) == list(vars(expected)), "the same fields in the same order"
        classes.add(type(got).__qualname__)
    assert len(classes) >= 20, classes


def test_an_upcast_event_class_goes_through_the_mapper(services, logged, monkeypatch):
    cls = CooperationAgreement.RoundRecorded
    stored = next(s for s in logged if s.topic == get_topic(cls))
    monkeypatch.setattr(cls, "class_version", 2, raising=False)
    monkeypatch.setattr(cls, "upcast_v1_v2", staticmethod(lambda state: state.update(venue="Geneva")),
                        raising=False)
    assert FastMapper(services.app.mapper).to_domain_event(stored).venue == "Geneva"


def test_journal_entries_from_stored_json_equal_entries_from_decoded_events(services, logged, monkeypatch):
    engine = services.projections
    journal = engine.views["journal"]

    def entries() -> list[dict]:
        engine.rebuild("journal")
        return queries.journal(engine.db, limit=10_000)

    decoded = []
    real = journal._from_event
    monkeypatch.setattr(journal, "_from_event", lambda change: decoded.append(change.topic) or real(change))
    fast = entries()
    assert len(fast) == len(logged) and not decoded, "every row read from the stored JSON"
    monkeypatch.setattr(journal, "describe_topic", lambda topic: None)  # every event decoded by the mapper
    assert entries() == fast
    assert len(decoded) == len(logged)
    history = {(e.position, e.type, e.actor, e.reason, e.hash) for e in services.agreements.history(
        UUID(next(e["aggregate_id"] for e in fast if e["aggregate_type"] == "agreement")))}
    assert history <= {(e["position"], e["type"], e["actor"], e["reason"], e["hash"]) for e in fast}


def test_agreement_rows_from_stored_json_equal_rows_from_decoded_events(services, logged, monkeypatch):
    engine = services.projections
    tables = ("agreement_list", "agreement_parties", "agreement_counts", "agreement_countries")

    def contents() -> dict[str, list[tuple]]:
        engine.rebuild("agreements")
        return {t: sorted(tuple(dict(r).values()) for r in engine.db.query(f"SELECT * FROM {t}")) for t in tables}

    decoded = []
    view = engine.views["agreements"]
    real = view._apply_decoded
    monkeypatch.setattr(view, "_apply_decoded", lambda rows, change, name, step: decoded.append(name) or real(
        rows, change, name, step))
    fast = contents()
    assert not decoded and len(fast["agreement_list"]) >= 6, "every event read from its stored JSON"
    decoded.clear()
    monkeypatch.setattr(agreements, "DECODED", frozenset({"everything"}) | {
        type(e).__name__ for e in map(services.app.mapper.to_domain_event, logged)})
    assert contents() == fast
    assert {"Created", "Corrected", "SignatureRecorded", "EnteredIntoForce", "TextAttached", "LegalReviewCompleted",
            "Suspended", "Resumed", "Terminated", "Renewed", "Expired", "Withdrawn"} <= set(decoded)
