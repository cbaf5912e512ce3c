"""An aggregate loaded from a snapshot plus later events equals the same aggregate replayed from event 1,
whether the snapshot was taken by this code or by an earlier version of the aggregate's state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from bootstrap import create_app
from domain.values import RECENT_ENTRIES, Actor, Entry, Role, StepContext
from tests.drafts import draft, keep
from workflows.errors import IdempotencyKeyReusedError
from workflows.fields import to_domain

ALICE, DMITRI = Actor("alice", Role.IR_OFFICER), Actor("dmitri", Role.IR_OFFICER)
BRUNO, CARLA = Actor("bruno", Role.LEGAL_OFFICER), Actor("carla", Role.LEGAL_OFFICER)
MANY = RECENT_ENTRIES + 2
"""Rounds and milestones in each story: more than the aggregates keep."""


def rounds(day: str) -> list[tuple[Actor, str, dict[str, Any]]]:
    return [(ALICE, "record_round", {"held_on": day, "summary": f"Round {n}."}) for n in range(1, MANY + 1)]


def milestones(day: str) -> list[tuple[Actor, str, dict[str, Any]]]:
    return [(ALICE, "record_milestone", {"on": day, "summary": f"Milestone {n}."}) for n in range(1, MANY + 1)]


AGREEMENT_STEPS: list[tuple[Actor, str, dict[str, Any]]] = [
    (ALICE, "attach_text", {"document": draft("v1")}),
    (ALICE, "request_legal_review", {}),
    (BRUNO, "complete_legal_review", {"outcome": "changes_requested", "comments": "Article 3."}),
    (CARLA, "attach_text", {"document": draft("v2")}),
    (ALICE, "request_legal_review", {}),
    (BRUNO, "complete_legal_review", {"outcome": "cleared"}),
    (ALICE, "open_negotiation", {}),
    *rounds("2025-01-10"),
    (DMITRI, "finalise_text", {}),
    (ALICE, "record_signature", {"party": "CERN", "signatory": "DG", "signed_on": "2025-02-01"}),
    (BRUNO, "record_signature", {"party": "Mongolia", "signatory": "Minister", "signed_on": "2025-02-03"}),
    (CARLA, "enter_into_force", {"effective_on": "2025-02-03"}),
    *milestones("2025-06-01"),
    (BRUNO, "renew", {"expires_on": "2031-01-01"}),
    (BRUNO, "suspend", {"effective_on": "2025-07-01"}),
    (BRUNO, "resume", {"effective_on": "2025-08-01"}),
    (CARLA, "correct", {"field": "title", "value": "ICA with Mongolia (corrected)"}),
    (CARLA, "terminate", {"effective_on": "2026-01-01"}),
]
ENLARGEMENT_STEPS: list[tuple[Actor, str, dict[str, Any]]] = [
    (ALICE, "establish_task_force", {"decided_on": "2020-03-01"}),
    (ALICE, "submit_task_force_report", {"submitted_on": "2020-09-01",
                                         "document": draft("report")}),
    (ALICE, "authorise_negotiation", {"decided_on": "2020-12-01"}),
    (ALICE, "attach_text", {"document": draft("AM agreement")}),
    (ALICE, "request_legal_review", {}),
    (BRUNO, "complete_legal_review", {"outcome": "cleared"}),
    *rounds("2021-01-15"),
    (ALICE, "approve_agreement", {"decided_on": "2021-03-01"}),
    (ALICE, "sign_agreement", {"signed_on": "2021-04-14", "signatories": ["DG", "Prime Minister"]}),
    (BRUNO, "notify_ratification", {"notified_on": "2021-07-30"}),
    (BRUNO, "enter_into_force", {"effective_on": "2021-08-02"}),
    (CARLA, "correct", {"field": "effective_on", "value": "2021-08-03"}),
    (CARLA, "end_participation", {"effective_on": "2030-01-01", "reason": "Became a Member State."}),
]


def uncached_services(storage, snapshot_interval: int):
    """Services on ``storage`` that take a snapshot every ``snapshot_interval`` events, without the aggregate
    cache (every load reads the store)."""
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "PROJECTIONS_IN_PROCESS": False,
                      "STORAGE": {**storage, "SNAPSHOT_INTERVAL": str(snapshot_interval),
                                  "AGGREGATE_CACHE_MAXSIZE": ""}})
    services = app.extensions["accord"]
    keep(services, [AGREEMENT_STEPS, ENLARGEMENT_STEPS])  # the texts they attach, uploaded (tests/drafts.py)
    yield services
    services.close()


@pytest.fixture
def snapshotting(storage):
    """Services that snapshot after every event, without the aggregate cache."""
    yield from uncached_services(storage, 1)


def replayed(events):
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def replayed_up_to(services, aggregate_id, version: int | None):
    """The aggregate replayed from its first event (to ``version``; None: to the last), each stored event decoded
    by the library's own mapper (the event store decodes with storage.stored_mapper.FastMapper)."""
    stored = services.app.recorder.select_events(aggregate_id, lte=version)
    return replayed(map(services.app.mapper.to_domain_event, stored))


def assert_snapshot_load_equals_replay(services, aggregate_id, step):
    loaded = services.app.repository.get(aggregate_id)
    [snapshot] = services.app.snapshots.get(aggregate_id, desc=True, limit=1)
    assert snapshot.originator_version == loaded.version, f"no snapshot after {step}"
    assert vars(loaded) == vars(replayed_up_to(services, aggregate_id, None)), step


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
    agreement = snapshotting.agreements.get(agreement_id)
    assert agreement.status.value == "terminated"
    assert (agreement.rounds_held, agreement.milestones_recorded) == (MANY, MANY)
    assert [r.summary for r in agreement.recent_rounds] == [f"Round {n}." for n in range(3, MANY + 1)]
    assert [m.summary for m in agreement.recent_milestones] == [f"Milestone {n}." for n in range(3, MANY + 1)]


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
    process = snapshotting.enlargements.get(process_id)
    assert process.status.value == "ended"
    assert process.rounds_held == MANY and len(process.recent_rounds) == RECENT_ENTRIES


def test_a_past_version_is_served_from_the_snapshot_at_or_before_it(snapshotting):
    outcome = snapshotting.agreements.create(
        {"title": "MoU", "kind": "memorandum_of_understanding",
         "counterparties": [{"name": "Institute", "kind": "institute"}]}, ALICE, StepContext())
    agreement_id = outcome.aggregate.id
    for number, (actor, step, fields) in enumerate(AGREEMENT_STEPS[:6], start=2):
        snapshotting.agreements.take_step(agreement_id, step, fields, actor, number - 1, StepContext())
    at_three = snapshotting.agreements.get(agreement_id, version=3)
    assert vars(at_three) == vars(replayed_up_to(snapshotting, agreement_id, 3))


# ---- snapshots of an earlier version of the state -------------------------------------------------------------


@pytest.fixture
def rarely_snapshotting(storage):
    """Services with a snapshot store that takes no snapshot of its own in these tests, and no cache."""
    yield from uncached_services(storage, 1000)


def put_version_1_snapshot(services, aggregate_id, version: int) -> None:
    """Store a snapshot at ``version`` as the aggregates stored them before ``class_version`` 2: every round
    and milestone in ``rounds`` and ``milestones``, whole request digests, no ``class_version``."""
    events = list(services.app.events.get(aggregate_id, lte=version))
    aggregate = replayed(events)
    state = {k: v for k, v in vars(aggregate).items() if k not in ("_id", "_version", "_pending_events")}
    for count, recent, name, step in (("rounds_held", "recent_rounds", "rounds", "RoundRecorded"),
                                      ("milestones_recorded", "recent_milestones", "milestones", "MilestoneRecorded")):
        if count in state:
            del state[count], state[recent]
            state[name] = [Entry(on=getattr(e, "held_on", None) or e.on, summary=e.summary)
                           for e in events if type(e).__name__ == step]
    state["requests"] = {e.context.idempotency_key: [e.originator_version, e.context.request_digest]
                         for e in events if e.context.idempotency_key is not None}
    services.app.snapshots.put([Snapshot(originator_id=aggregate_id, originator_version=version,
                                         timestamp=Snapshot.create_timestamp(), topic=get_topic(type(aggregate)),
                                         state=state)])
    [stored] = services.app.snapshots.recorder.select_events(aggregate_id, desc=True, limit=1)
    assert "rounds" in json.loads(stored.state)["state"], "the snapshot holds the version 1 state"


@pytest.mark.parametrize("kind", ["agreement", "enlargement"])
def test_a_snapshot_of_the_version_1_state_loads_upcast_and_equals_the_replay(rarely_snapshotting, kind):
    services = rarely_snapshotting
    if kind == "agreement":
        service, steps, repeated = services.agreements, AGREEMENT_STEPS, "record_milestone"
        outcome = service.create(
            {"title": "ICA with Mongolia", "kind": "international_cooperation_agreement",
             "expires_on": "2030-01-01", "counterparties": [{"name": "Mongolia", "kind": "state", "country": "MN"}]},
            ALICE, StepContext(idempotency_key="k1"))
    else:
        service, steps, repeated = services.enlargements, ENLARGEMENT_STEPS, "record_round"
        outcome = service.create({"state": {"name": "Latvia", "country": "LV"}, "target": "associate_member",
                                  "applied_on": "2020-02-24"}, ALICE, StepContext(idempotency_key="k1"))
    aggregate_id = outcome.aggregate.id
    # the snapshot sits before the last milestone (or round): the rest is replayed on top of it
    at = max(number for number, (_, step, _) in enumerate(steps, start=2) if step == repeated) - 1
    for number, (actor, step, fields) in enumerate(steps, start=2):
        fields = dict(fields)
        context = StepContext(reason=fields.pop("reason", None), idempotency_key=f"k{number}")
        service.take_step(aggregate_id, step, fields, actor, number - 1, context)
        if number == at:
            put_version_1_snapshot(services, aggregate_id, at)

    assert vars(services.app.repository.get(aggregate_id)) == vars(replayed_up_to(services, aggregate_id, None))
    from_snapshot = service.get(aggregate_id, version=at)
    assert vars(from_snapshot) == vars(replayed_up_to(services, aggregate_id, at))
    assert from_snapshot.rounds_held == (MANY if kind == "agreement" else MANY - 1)
    assert len(from_snapshot.recent_rounds) == RECENT_ENTRIES and "rounds" not in vars(from_snapshot)
    if kind == "agreement":
        assert from_snapshot.milestones_recorded == MANY - 1 and len(from_snapshot.recent_milestones) == RECENT_ENTRIES

    actor, step, fields = steps[at - 2]  # recorded before the snapshot, sent again after it
    retried = service.take_step(aggregate_id, step, fields, actor, 0, StepContext(idempotency_key=f"k{at}"))
    assert retried.replayed and retried.aggregate.version == at
    with pytest.raises(IdempotencyKeyReusedError):
        service.take_step(aggregate_id, step, {**fields, "summary": "Another."}, actor, 0,
                          StepContext(idempotency_key=f"k{at}"))


# ---- snapshots taken on the command path, aggregate cache on --------------------------------------------------


@pytest.fixture
def cached_snapshotting(storage):
    """Services with the production settings (aggregate cache on) but a snapshot every 4 events."""
    from bootstrap.services import Services
    from storage.settings import storage_env

    services = Services(storage_env({}, {**storage, "SNAPSHOT_INTERVAL": "4"}))
    services.create_tables()
    keep(services, AGREEMENT_STEPS)
    yield services
    services.close()


def test_every_snapshot_a_step_takes_equals_the_replay_of_the_stored_events_from_event_1(cached_snapshotting):
    """Steps taken on the cached copy: each snapshot holds what the stored events make of the agreement."""
    services = cached_snapshotting
    outcome = services.agreements.create(
        {"title": "ICA with Mongolia", "kind": "international_cooperation_agreement",
         "counterparties": [{"name": "Mongolia", "kind": "state", "country": "MN"}]},
        ALICE, StepContext(idempotency_key="k1"))
    agreement_id, version = outcome.aggregate.id, outcome.aggregate.version
    for number, (actor, step, fields) in enumerate(AGREEMENT_STEPS[:14], start=2):
        version = services.agreements.take_step(agreement_id, step, fields, actor, version,
                                                StepContext(idempotency_key=f"k{number}")).aggregate.version
    snapshots = list(services.app.snapshots.get(agreement_id))
    assert [s.originator_version for s in snapshots] == [4, 8, 12]
    for snapshot in snapshots:
        restored = snapshot.mutate(None)
        assert vars(restored) == vars(replayed_up_to(services, agreement_id, snapshot.originator_version))


def test_a_save_that_crosses_the_interval_before_its_last_event_snapshots_that_version_from_the_store(
        cached_snapshotting):
    """The snapshot of a save is taken from the aggregate in memory only when the aggregate is at the snapshot's
    version; a save of several events that passes a multiple of the interval before its last one snapshots that
    version as the store replays it."""
    services = cached_snapshotting
    outcome = services.agreements.create(
        {"title": "MoU", "kind": "memorandum_of_understanding",
         "counterparties": [{"name": "Institute", "kind": "institute"}]}, ALICE, StepContext())
    agreement = services.agreements.get(outcome.aggregate.id)
    workflow = services.agreements.workflow_of(agreement)
    for actor, step, fields in AGREEMENT_STEPS[:4]:  # versions 2 to 5, saved together
        values = to_domain(services.agreements.step_definition(workflow, step).fields, fields)
        getattr(agreement, step)(by=actor, context=StepContext(), **values)
    services.app.save(agreement)
    assert agreement.version == 5
    [snapshot] = services.app.snapshots.get(agreement.id)
    assert snapshot.originator_version == 4
    assert vars(snapshot.mutate(None)) == vars(replayed_up_to(services, agreement.id, 4))
    assert vars(services.app.repository.get(agreement.id)) == vars(replayed_up_to(services, agreement.id, None))


def test_a_save_records_the_events_of_aggregates_and_events_given_alone_and_skips_none(services):
    """AccordApplication.save collects pending events itself (without the library's protocol checks): what it
    records is what the library's save records."""
    from domain.agreement import CooperationAgreement
    from domain.values import AgreementKind, Counterparty, PartyKind

    def started(title: str) -> CooperationAgreement:
        return CooperationAgreement.start(
            by=ALICE, context=StepContext(), workflow_version=1, title=title, kind=AgreementKind.PROTOCOL,
            counterparties=[Counterparty(name="Chile", kind=PartyKind.STATE, country="CL")])

    first, second = started("First"), started("Second")
    [second_created] = second.collect_events()
    recordings = services.app.save(None, first, second_created)
    assert [(r.domain_event.originator_id, r.domain_event.originator_version) for r in recordings] == [
        (first.id, 1), (second.id, 1)]
    assert first.pending_events == []
    assert services.app.repository.get(first.id) == first
    assert services.app.repository.get(second.id).title == "Second"
