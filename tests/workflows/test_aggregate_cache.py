"""The aggregate cache keeps its own copy of each aggregate: nothing a caller does with what a step returns, and
nothing a refused or failed step did to its working copy, changes what the next step starts from. Two
applications on one store stand for two gunicorn workers, each with its own cache."""

from __future__ import annotations

import pytest

from bootstrap.services import Services
from domain.values import StepContext
from tests.workflows.two_workers import ALICE, BOB, TEXT, TEXT_2, started
from workflows.errors import StepNotAllowedError, VersionConflictError


def cached(services: Services, agreement_id: object) -> dict[str, object]:
    return dict(vars(services.app.repository.cache.get(agreement_id)))


def from_store(services: Services, agreement_id: object, version: int | None = None) -> dict[str, object]:
    """The agreement loaded from the store by a new application (no cache of its own)."""
    fresh = Services({**services.storage, "AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        return dict(vars(fresh.agreements.get(agreement_id, version=version)))
    finally:
        fresh.close()


def test_changing_what_a_step_returned_changes_nothing_the_next_step_sees(workers):
    a, _ = workers
    agreement_id, version = started(a, "k0")
    outcome = a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version,
                                     StepContext(idempotency_key="k1"))
    returned = outcome.aggregate
    returned.title = "Changed by the caller"
    returned.requests["forged"] = [1, "0" * 32]
    del returned.requests["k1"]
    returned.counterparties.append("a forged party")
    returned.recent_rounds.append("a forged round")
    returned.current_text = None

    assert cached(a, agreement_id) == from_store(a, agreement_id)
    following = a.agreements.take_step(agreement_id, "request_legal_review", {}, ALICE, outcome.aggregate.version,
                                       StepContext(idempotency_key="k2"))
    assert following.aggregate.title == "ICA" and "forged" not in following.aggregate.requests
    assert vars(following.aggregate) == cached(a, agreement_id) == from_store(a, agreement_id)


def test_changing_an_aggregate_loaded_through_the_cache_changes_nothing_in_it(workers):
    a, _ = workers
    agreement_id, version = started(a, "k0")
    loaded = a.agreements.get(agreement_id)
    loaded.requests.clear()
    loaded.counterparties.clear()
    loaded.title = "Changed by the caller"
    assert cached(a, agreement_id) == from_store(a, agreement_id)


def test_a_step_refused_on_the_cached_copy_leaves_the_cache_as_it_was(workers):
    a, _ = workers
    agreement_id, version = started(a, "k0")
    a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version, StepContext())
    before = cached(a, agreement_id)
    with pytest.raises(StepNotAllowedError):
        a.agreements.take_step(agreement_id, "record_round", {"held_on": "2025-01-10", "summary": "Too early."},
                               ALICE, 2, StepContext(idempotency_key="refused"))
    assert cached(a, agreement_id) == before == from_store(a, agreement_id)


def test_a_step_whose_save_the_store_refuses_leaves_nothing_of_it_in_the_cache(workers):
    """The copy at version 2 takes the step (its event applied, pending); the store, moved on by another
    worker, refuses the save: the cache holds the store's state (brought up to date while the conflict was
    examined), never the copy the step changed."""
    a, b = workers
    agreement_id, version = started(a, "k0")
    a.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version, StepContext())  # a caches v2
    b.agreements.take_step(agreement_id, "attach_text", TEXT_2, BOB, 2, StepContext())  # the store is at v3

    with pytest.raises(VersionConflictError):
        a.agreements.take_step(agreement_id, "request_legal_review", {}, ALICE, 2,
                               StepContext(idempotency_key="lost"))
    kept = cached(a, agreement_id)
    assert kept == from_store(a, agreement_id) and kept["_version"] == 3
    assert "lost" not in kept["requests"] and kept["_pending_events"] == []
