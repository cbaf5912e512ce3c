"""The event store round trip on each backend: what is saved loads back equal, with positions."""

from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.values import Actor, Role, StepContext
from storage.audit import chain_links, verify


def test_an_agreement_saved_on_each_backend_loads_back_equal(services):
    alice = Actor("alice", Role.IR_OFFICER)
    outcome = services.agreements.create(
        {"title": "ICA", "kind": "protocol", "counterparties": [{"name": "Chile", "kind": "state"}]},
        alice, StepContext(reason="start"),
    )
    loaded = services.agreements.get(outcome.aggregate.id)
    assert loaded == outcome.aggregate
    assert outcome.position == services.app.recorder.max_notification_id()
    [entry] = list(services.agreements.history(outcome.aggregate.id))
    assert (entry.position, entry.type, entry.actor, entry.reason) == (outcome.position, "created", "alice", "start")



def test_a_save_refused_by_the_store_records_none_of_its_events_and_the_next_save_is_chained(services):
    alice = Actor("alice", Role.IR_OFFICER)
    fields = {"title": "ICA", "kind": "protocol", "counterparties": [{"name": "Chile", "kind": "state"}]}
    first = services.agreements.create(fields, alice, StepContext(reason="start"))
    recorder = services.app.recorder
    [stored] = recorder.select_events(first.aggregate.id)
    new = StoredEvent(uuid4(), 1, stored.topic, stored.state)
    with pytest.raises(IntegrityError):
        recorder.insert_events([new, stored])  # the second takes a version already recorded
    assert recorder.select_events(new.originator_id) == []
    assert [link[0] for link in chain_links(recorder)] == [first.position]

    later = services.agreements.create(fields, alice, StepContext(reason="after the refusal"))
    assert later.position > first.position
    assert [link[0] for link in chain_links(recorder)] == [first.position, later.position]
    assert verify(recorder).ok
