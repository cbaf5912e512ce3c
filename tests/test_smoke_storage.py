"""The event store round trip on each backend: what is saved loads back equal, with positions."""

from domain.values import Actor, Role, StepContext


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
