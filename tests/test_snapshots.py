"""An aggregate loaded from a snapshot plus later events equals the same aggregate replayed from event 1."""

from __future__ import annotations

from typing import Any

import pytest

from api import create_app
from domain.values import Actor, Role, StepContext
from workflows.demo import _sha

ALICE, DMITRI = Actor("alice", Role.IR_OFFICER), Actor("dmitri", Role.IR_OFFICER)
BRUNO, CARLA = Actor("bruno", Role.LEGAL_OFFICER), Actor("carla", Role.LEGAL_OFFICER)

AGREEMENT_STEPS: list[tuple[Actor, str, dict[str, Any]]] = [
    (ALICE, "attach_text", {"document": {"title": "v1", "sha256": _sha("v1")}}),
    (ALICE, "request_legal_review", {}),
    (BRUNO, "complete_legal_review", {"outcome": "changes_requested", "comments": "Article 3."}),
    (CARLA, "attach_text", {"document": {"title": "v2", "sha256": _sha("v2")}}),
    (ALICE, "request_legal_review", {}),
    (BRUNO, "complete_legal_review", {"outcome": "cleared"}),
    (ALICE, "open_negotiation", {}),
    (ALICE, "record_round", {"held_on": "2025-01-10", "summary": "First round."}),
    (DMITRI, "finalise_text", {}),
    (ALICE, "record_signature", {"party": "CERN", "signatory": "DG", "signed_on": "2025-02-01"}),
    (BRUNO, "record_signature", {"party": "Mongolia", "signatory": "Minister", "signed_on": "2025-02-03"}),
    (CARLA, "enter_into_force", {"effective_on": "2025-02-03"}),
    (ALICE, "record_milestone", {"on": "2025-06-01", "summary": "Joint committee."}),
    (BRUNO, "renew", {"expires_on": "2031-01-01"}),
    (BRUNO, "suspend", {"effective_on": "2025-07-01"}),
    (BRUNO, "resume", {"effective_on": "2025-08-01"}),
    (CARLA, "correct", {"field": "title", "value": "ICA with Mongolia (corrected)"}),
    (CARLA, "terminate", {"effective_on": "2026-01-01"}),
]
ENLARGEMENT_STEPS: list[tuple[Actor, str, dict[str, Any]]] = [
    (ALICE, "establish_task_force", {"decided_on": "2020-03-01"}),
    (ALICE, "submit_task_force_report", {"submitted_on": "2020-09-01",
                                         "document": {"title": "report", "sha256": _sha("report")}}),
    (ALICE, "authorise_negotiation", {"decided_on": "2020-12-01"}),
    (ALICE, "attach_text", {"document": {"title": "AM agreement", "sha256": _sha("am")}}),
    (ALICE, "request_legal_review", {}),
    (BRUNO, "complete_legal_review", {"outcome": "cleared"}),
    (ALICE, "record_round", {"held_on": "2021-01-15", "summary": "Contribution agreed."}),
    (ALICE, "approve_agreement", {"decided_on": "2021-03-01"}),
    (ALICE, "sign_agreement", {"signed_on": "2021-04-14", "signatories": ["DG", "Prime Minister"]}),
    (BRUNO, "notify_ratification", {"notified_on": "2021-07-30"}),
    (BRUNO, "enter_into_force", {"effective_on": "2021-08-02"}),
    (CARLA, "correct", {"field": "effective_on", "value": "2021-08-03"}),
    (CARLA, "end_participation", {"effective_on": "2030-01-01", "reason": "Became a Member State."}),
]


@pytest.fixture
def snapshotting(storage):
    """Services that snapshot after every event, without the aggregate cache (every load reads the store)."""
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "PROJECTIONS_IN_PROCESS": False,
                      "STORAGE": {**storage, "SNAPSHOT_INTERVAL": "1", "AGGREGATE_CACHE_MAXSIZE": ""}})
    services = app.extensions["accord"]
    yield services
    services.close()


def replayed_from_the_first_event(services, aggregate_id):
    aggregate = None
    for event in services.app.events.get(aggregate_id):
        aggregate = event.mutate(aggregate)
    return aggregate


def assert_snapshot_load_equals_replay(services, aggregate_id, step):
    loaded = services.app.repository.get(aggregate_id)
    [snapshot] = services.app.snapshots.get(aggregate_id, desc=True, limit=1)
    assert snapshot.originator_version == loaded.version, f"no snapshot after {step}"
    assert vars(loaded) == vars(replayed_from_the_first_event(services, aggregate_id)), step


def test_an_agreement_loaded_from_snapshots_equals_its_replay_after_every_step_kind(snapshotting):
    outcome = snapshotting.agreements.create(
        {"title": "ICA with Mongolia", "kind": "international_cooperation_agreement", "expires_on": "2030-01-01",
         "counterparties": [{"name": "Mongolia", "kind": "state", "country": "MN"}]}, ALICE, StepContext())
    agreement_id = outcome.aggregate.id
    assert_snapshot_load_equals_replay(snapshotting, agreement_id, "create")
    for number, (actor, step, fields) in enumerate(AGREEMENT_STEPS, start=2):
        snapshotting.agreements.take_step(agreement_id, step, fields, actor, number - 1,
                                          StepContext(idempotency_key=f"k{number}"))
        assert_snapshot_load_equals_replay(snapshotting, agreement_id, step)
    assert snapshotting.agreements.get(agreement_id).status.value == "terminated"


def test_an_enlargement_loaded_from_snapshots_equals_its_replay_after_every_step_kind(snapshotting):
    outcome = snapshotting.enlargements.create(
        {"state": {"name": "Latvia", "country": "LV"}, "target": "associate_member", "applied_on": "2020-02-24"},
        ALICE, StepContext())
    process_id = outcome.aggregate.id
    for number, (actor, step, fields) in enumerate(ENLARGEMENT_STEPS, start=2):
        fields = dict(fields)
        context = StepContext(reason=fields.pop("reason", None))
        snapshotting.enlargements.take_step(process_id, step, fields, actor, number - 1, context)
        assert_snapshot_load_equals_replay(snapshotting, process_id, step)
    assert snapshotting.enlargements.get(process_id).status.value == "ended"


def test_a_past_version_is_served_from_the_snapshot_at_or_before_it(snapshotting):
    outcome = snapshotting.agreements.create(
        {"title": "MoU", "kind": "memorandum_of_understanding",
         "counterparties": [{"name": "Institute", "kind": "institute"}]}, ALICE, StepContext())
    agreement_id = outcome.aggregate.id
    for number, (actor, step, fields) in enumerate(AGREEMENT_STEPS[:6], start=2):
        snapshotting.agreements.take_step(agreement_id, step, fields, actor, number - 1, StepContext())
    at_three = snapshotting.agreements.get(agreement_id, version=3)
    replayed = None
    for event in snapshotting.app.events.get(agreement_id, lte=3):
        replayed = event.mutate(replayed)
    assert vars(at_three) == vars(replayed)
