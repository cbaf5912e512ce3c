"""Fixtures of the audit tests: a store seeded with the demo data, and plain SQL on its rows."""

from __future__ import annotations

import pytest

from bootstrap.seed.demo import seed_demo
from domain.values import Actor, Role
from tests.audit.helpers import RawStore


@pytest.fixture
def raw(storage: dict[str, str]) -> RawStore:
    """The test store's rows, for direct SQL (an attacker with database access)."""
    return RawStore(storage)


@pytest.fixture
def seeded(services, tokens) -> dict[str, str]:
    """The demo data (users, tokens, agreements in every stage) after the test users' tokens; the demo's tokens."""
    return seed_demo(services.agreements, services.access, Actor("pytest@cli", Role.ADMIN), say=lambda m: None)
