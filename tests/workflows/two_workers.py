"""Two applications on one store, standing for two gunicorn workers, each with its own aggregate cache
(the ``workers`` fixture is in this folder's conftest.py)."""

from __future__ import annotations

from bootstrap.services import Services
from domain.values import Actor, Role, StepContext
from tests.drafts import draft, keep

ALICE, BOB = Actor("alice", Role.IR_OFFICER), Actor("bob", Role.IR_OFFICER)
TEXT = {"document": draft("Draft 1")}
TEXT_2 = {"document": draft("Draft 2")}


def started(services: Services, idempotency_key: str | None = None) -> tuple[object, int]:
    """A new agreement (in drafting): its id and version. TEXT and TEXT_2 are uploaded (tests/drafts.py)."""
    keep(services, [TEXT, TEXT_2])
    outcome = services.agreements.create(
        {"title": "ICA", "kind": "protocol", "counterparties": [{"name": "Chile", "kind": "state", "country": "CL"}]},
        ALICE, StepContext(idempotency_key=idempotency_key))
    return outcome.aggregate.id, outcome.aggregate.version
