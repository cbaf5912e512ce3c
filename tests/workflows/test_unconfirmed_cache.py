"""A step whose If-Match names the version this process cached runs on a copy of the cached aggregate without
first reading the store (``workflows.cache``). The answer must always be the one a fresh load gives: two
applications on one store stand for two gunicorn workers, each with its own cache."""

from __future__ import annotations

from uuid import UUID

import pytest

from bootstrap.services import Services
from domain.values import StepContext
from tests.api.helpers import create_agreement, take_step, version_of
from tests.workflows.two_workers import ALICE, BOB, TEXT, TEXT_2, started
from workflows.errors import VersionConflictError
from workflows.steps import StepRequest


def event_reads(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every read of an aggregate's events from the store by this application, as it happens."""
    reads: list[object] = []
    recorder = services.app.recorder
    real = recorder.select_events
    monkeypatch.setattr(recorder, "select_events", lambda originator_id, **kw: reads.append(originator_id)
                        or real(originator_id, **kw))
    return reads


def test_a_step_after_this_process_own_write_reads_nothing_before_saving(workers, monkeypatch):
    a, _ = workers
    agreement_id, version = started(a)
    a.agreements.get(agreement_id)  # cached
    reads = event_reads(a, monkeypatch)
    for n, fields in enumerate([TEXT, TEXT_2], start=1):
        outcome = a.agreements.take_step(agreement_id, "attach_text", fields, ALICE, version,
                                         StepContext(idempotency_key=f"k{n}"))
        version = outcome.aggregate.version
    assert reads == [], "both steps ran on the cached copy"
    cached = a.app.repository.cache.get(agreement_id)
    replayed = Services(a.storage).agreements.get(agreement_id)
    assert cached.version == version == replayed.version == 3
    assert vars(cached) == vars(replayed), "what the cache keeps equals a load from the store"


def test_a_stale_if_match_on_a_stale_cache_is_a_version_conflict_with_the_stores_version(workers):
    a, b = workers
    agreement_id, version = started(a)
    a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version, StepContext())  # a caches v2
    b.agreements.take_step(agreement_id, "attach_text", TEXT_2, BOB, 2, StepContext())  # the store is at v3

    with pytest.raises(VersionConflictError) as conflict:
        a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, 2, StepContext())
    assert conflict.value.details["current_version"] == 3
    assert len(list(a.agreements.history(agreement_id))) == 3, "nothing recorded"


def test_a_refusal_decided_on_a_stale_copy_is_decided_again_on_the_store(workers):
    """a's copy (v2, drafting) refuses a negotiation step; the store (v3) says the If-Match is stale: that is
    the answer a fresh load gives, so it is the answer."""
    a, b = workers
    agreement_id, version = started(a)
    a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version, StepContext())
    b.agreements.take_step(agreement_id, "attach_text", TEXT_2, BOB, 2, StepContext())

    with pytest.raises(VersionConflictError) as conflict:
        a.agreements.take_step(agreement_id, "record_round", {"held_on": "2026-01-01", "summary": "First."}, ALICE,
                               2, StepContext())
    assert conflict.value.details["current_version"] == 3


def test_a_retry_on_another_worker_with_a_stale_cache_replays_the_first_result(workers):
    a, b = workers
    agreement_id, version = started(a)
    b.agreements.get(agreement_id)  # b caches v1
    first = a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version,
                                   StepContext(idempotency_key="retry-me"))
    again = b.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version,
                                   StepContext(idempotency_key="retry-me"))
    assert again.replayed and (again.aggregate.version, again.position) == (2, first.position)
    assert len(list(a.agreements.history(agreement_id))) == 2


def test_a_step_over_http_after_this_process_own_write_reads_nothing_of_the_agreement_before_saving(
        client, auth, services, monkeypatch):
    created = create_agreement(client, auth("alice"))
    agreement_id = created.get_json()["id"]
    reads = event_reads(services, monkeypatch)
    attached = take_step(client, auth("alice"), agreement_id, "attach_text", version_of(created), **TEXT)
    requested = take_step(client, auth("alice"), agreement_id, "request_legal_review", version_of(attached))
    assert (attached.status_code, requested.status_code) == (200, 200), requested.get_json()
    assert str(agreement_id) not in {str(r) for r in reads}, "both steps ran on the cached copy"
    cached = services.app.repository.cache.get(UUID(agreement_id))
    replayed = Services(services.storage).agreements.get(UUID(agreement_id))
    assert vars(cached) == vars(replayed) and cached.version == version_of(requested) == 3


def test_a_step_over_http_on_a_stale_cache_is_decided_on_the_store(workers):
    """Worker a cached version 2; worker b moved the store to version 3: a's step at If-Match 3 is taken (after
    a's cache is brought up to date from the store), a's step at If-Match 2 is a conflict naming version 3."""
    a, b = workers
    agreement_id, version = started(a)
    a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version, StepContext())
    b.agreements.take_step(agreement_id, "attach_text", TEXT_2, BOB, 2, StepContext())

    def asked(expected: int):
        return lambda workflow, step: StepRequest(fields={}, expected_version=expected, context=StepContext())

    with pytest.raises(VersionConflictError) as conflict:
        a.agreements.take_requested_step(agreement_id, "request_legal_review", ALICE, asked(2))
    assert conflict.value.details["current_version"] == 3
    taken = a.agreements.take_requested_step(agreement_id, "request_legal_review", ALICE, asked(3))
    assert taken.aggregate.version == 4 and not taken.replayed
