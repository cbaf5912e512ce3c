"""Enlargement processes walked through the command service (EnlargementService), each step from the version
it last saw, and small HTTP helpers for /api/v1/enlargements and /api/v1/participation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.values import StepContext
from tests.drafts import keep
from tests.projections.helpers import ACTORS, document

API = "/api/v1"
ENLARGEMENTS = f"{API}/enlargements"
PARTICIPATION = f"{API}/participation"
FAR_FUTURE = "9999-12-31T00:00:00.000000Z"
"""A ``known_at`` after every recording: the register as the system knows it now."""


class Process:
    """One enlargement process taken through steps by the command service.

    ``reason`` and ``reference`` go to the step's context (as the API does with the body's ``reason``)."""

    def __init__(self, service: Any, by: str, name: str, country: str, target: str, applied_on: str,
                 reason: str | None = None, reference: str | None = None):
        self.service = service
        self.name = name
        self.outcome = service.create({"state": {"name": name, "country": country}, "target": target,
                                       "applied_on": applied_on}, ACTORS[by],
                                      StepContext(reason=reason, reference=reference))
        self.applied_on = applied_on

    @property
    def id(self) -> UUID:
        return self.outcome.aggregate.id

    @property
    def position(self) -> int:
        return self.outcome.position

    @property
    def current(self) -> Any:
        """The process as stored now (it may have been changed by another process's step)."""
        return self.service.get(self.id)

    def step(self, by: str, step: str, reason: str | None = None, reference: str | None = None,
             **fields: Any) -> Process:
        aggregate = self.outcome.aggregate
        keep(self.service, fields)
        self.outcome = self.service.take_step(aggregate.id, step, fields, ACTORS[by], aggregate.version,
                                              StepContext(reason=reason, reference=reference))
        return self

    def to_negotiation(self, on: str | None = None) -> Process:
        return self.step("alice", "authorise_negotiation", decided_on=on or self.applied_on)

    def to_signature(self, on: str | None = None) -> Process:
        on = on or self.applied_on
        return (self.to_negotiation(on)
                .step("alice", "attach_text", document=document(f"Agreement with {self.name}"))
                .step("alice", "request_legal_review")
                .step("bruno", "complete_legal_review", outcome="cleared")
                .step("dmitri", "approve_agreement", decided_on=on))

    def to_ratified(self, on: str | None = None) -> Process:
        on = on or self.applied_on
        return (self.to_signature(on)
                .step("alice", "sign_agreement", signed_on=on, signatories=["Director-General", f"{self.name}"])
                .step("bruno", "notify_ratification", notified_on=on))

    def to_force(self, effective_on: str, by: str = "carla", reason: str | None = None) -> Process:
        return self.to_ratified().step(by, "enter_into_force", effective_on=effective_on, reason=reason)

    def end(self, effective_on: str, reason: str = "The state withdrew from the Organization.",
            by: str = "carla") -> Process:
        return self.step(by, "end_participation", effective_on=effective_on, reason=reason)


def version_of(response: Any) -> int:
    return int(response.headers["ETag"].strip('"'))


def register_over_http(client: Any, headers: dict[str, str], on: str, known_at: str = FAR_FUTURE) -> dict[str, Any]:
    response = client.get(PARTICIPATION, query_string={"on": on, "known_at": known_at}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()
