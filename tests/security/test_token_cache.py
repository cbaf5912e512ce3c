"""Remembered tokens: a known token is not loaded again, only checked for anything recorded on it since, so a
revocation made anywhere is refused at the next request; the optional cache period skips even that check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bootstrap.services import Application as AccordApplication
from domain.values import Actor, Role
from workflows.access import AccessService


def loads_of(app: AccordApplication, calls: Callable[[], Any]) -> tuple[Any, int]:
    """What ``calls`` returns, and how many aggregates it loaded from the store on the way."""
    loads = []
    original = app.repository.get
    app.repository.get = lambda *a, **k: loads.append(a) or original(*a, **k)
    try:
        return calls(), len(loads)
    finally:
        app.repository.get = original


def test_a_cached_token_costs_one_store_read_and_a_revocation_in_the_same_process_is_immediate(services):
    admin = Actor("pytest@cli", Role.ADMIN)
    access = AccessService(services.app, cache_seconds=60)
    token = access.issue_token(admin, "hana", Role.AUDITOR)
    actors, loads = loads_of(services.app, lambda: [access.authenticate(token) for _ in range(5)])
    assert (actors, loads) == ([Actor("hana", Role.AUDITOR)] * 5, 1)
    access.revoke(admin, "hana")
    assert access.authenticate(token) is None


def test_without_the_cache_a_revocation_elsewhere_is_seen_at_once(services):
    admin = Actor("pytest@cli", Role.ADMIN)
    here, elsewhere = AccessService(services.app), AccessService(services.app)
    token = here.issue_token(admin, "ivo", Role.AUDITOR)
    assert here.authenticate(token) == Actor("ivo", Role.AUDITOR)
    elsewhere.revoke(admin, "ivo")
    assert here.authenticate(token) is None


def test_a_known_token_is_not_loaded_again_while_nothing_is_recorded_on_it(services):
    admin = Actor("pytest@cli", Role.ADMIN)
    access = AccessService(services.app)
    token = access.issue_token(admin, "jana", Role.AUDITOR)
    actors, loads = loads_of(services.app, lambda: [access.authenticate(token) for _ in range(5)])
    assert (actors, loads) == ([Actor("jana", Role.AUDITOR)] * 5, 1)  # then one number read per request


def test_a_revocation_recorded_by_another_application_is_refused_at_the_next_request(services):
    admin = Actor("pytest@cli", Role.ADMIN)
    here = AccessService(services.app)
    token = here.issue_token(admin, "kim", Role.AUDITOR)
    assert [here.authenticate(token) for _ in range(3)] == [Actor("kim", Role.AUDITOR)] * 3
    elsewhere = AccordApplication(env=services.storage)  # its own caches, as in another process
    try:
        AccessService(elsewhere).revoke(admin, "kim")
    finally:
        elsewhere.close()
    assert here.authenticate(token) is None
    assert here.authenticate(token) is None
