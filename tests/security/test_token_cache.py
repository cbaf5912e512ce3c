"""The optional token cache: a token is read from the store once per period; revocation here is immediate."""

from __future__ import annotations

from domain.values import Actor, Role
from workflows.access import AccessService


def test_a_cached_token_costs_one_store_read_and_a_revocation_in_the_same_process_is_immediate(services):
    admin = Actor("pytest@cli", Role.ADMIN)
    access = AccessService(services.app, cache_seconds=60)
    token = access.issue_token(admin, "hana", Role.AUDITOR)
    reads = []
    original = services.app.repository.get
    services.app.repository.get = lambda *a, **k: reads.append(a) or original(*a, **k)
    try:
        assert [access.authenticate(token) for _ in range(5)] == [Actor("hana", Role.AUDITOR)] * 5
        assert len(reads) == 1
    finally:
        services.app.repository.get = original
    access.revoke(admin, "hana")
    assert access.authenticate(token) is None


def test_without_the_cache_a_revocation_elsewhere_is_seen_at_once(services):
    admin = Actor("pytest@cli", Role.ADMIN)
    here, elsewhere = AccessService(services.app), AccessService(services.app)
    token = here.issue_token(admin, "ivo", Role.AUDITOR)
    assert here.authenticate(token) == Actor("ivo", Role.AUDITOR)
    elsewhere.revoke(admin, "ivo")
    assert here.authenticate(token) is None
