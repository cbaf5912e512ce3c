"""Shared by the security tests: who is who, what the store holds, and aggregates built to a named situation.

A *situation* is a list of ``(user, step, fields)`` taken through the real command service from creation, so
that the aggregate ends in a stage (and a state of its rules) where a given step can succeed. Which roles may
take a step is never written here: the tests read it from the workflow definitions.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.countries import ASSIGNED
from domain.values import Actor, Role, StepContext
from tests.conftest import USERS
from tests.drafts import draft, keep

API = "/api/v1"
PROBLEM = "application/problem+json"
BASE = {"agreement": f"{API}/agreements", "enlargement": f"{API}/enlargements", "observer": f"{API}/observers"}
ACTORS = {name: Actor(name, role) for name, role in USERS.items()}
PEOPLE: dict[Role, list[str]] = {role: [n for n, r in USERS.items() if r is role] for role in Role}
"""role -> the test users acting in it (alice, dmitri: IR; bruno, carla: Legal; eva; farid; gwen)."""


def person(role: Role) -> str:
    """The first test user of a role: alice (IR), bruno (Legal), eva, farid, gwen."""
    return PEOPLE[role][0]


def head(services: Any) -> int:
    """The position of the last event in the global log (0 for an empty store)."""
    return services.app.recorder.max_notification_id() or 0


def sha256_of(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def document(title: str) -> dict[str, str]:
    return draft(title)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with that status; returns its body."""
    assert response.status_code == status, (status, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status, body
    return body


def problem_of(response: Any) -> dict[str, Any] | None:
    """The problem body of a response, or None if it is not application/problem+json."""
    if response.mimetype != PROBLEM:
        return None
    return response.get_json(silent=True)


# ---- situations -------------------------------------------------------------------------------------

CHILE = {"name": "Republic of Chile", "kind": "state", "country": "CL"}
DRAFT_V1, DRAFT_V2 = document("Draft v1"), document("Draft v2")

_agreement_cleared = [
    ("alice", "attach_text", {"document": DRAFT_V1}),
    ("alice", "request_legal_review", {}),
    ("bruno", "complete_legal_review", {"outcome": "cleared"}),
]
_agreement_negotiation = [*_agreement_cleared, ("alice", "open_negotiation", {})]
_agreement_signature = [*_agreement_negotiation, ("dmitri", "finalise_text", {})]
_agreement_signed = [
    *_agreement_signature,
    ("alice", "record_signature", {"party": "CERN", "signatory": "Director-General", "signed_on": "2024-11-04"}),
    ("bruno", "record_signature", {"party": CHILE["name"], "signatory": "Minister", "signed_on": "2024-11-20"}),
]
_agreement_in_force = [*_agreement_signed, ("carla", "enter_into_force", {"effective_on": "2024-12-01"})]

AGREEMENT_SITUATIONS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "drafting": [],
    "drafting, text attached": _agreement_cleared[:1],
    "drafting, review requested": _agreement_cleared[:2],
    "drafting, text cleared": _agreement_cleared,
    "drafting, text attached by a legal officer, review requested": [
        ("bruno", "attach_text", {"document": DRAFT_V1}), ("alice", "request_legal_review", {})],
    "negotiation": _agreement_negotiation,
    "negotiation, new text": [*_agreement_negotiation, ("alice", "attach_text", {"document": DRAFT_V2})],
    "negotiation, review requested": [*_agreement_negotiation, ("alice", "attach_text", {"document": DRAFT_V2}),
                                      ("alice", "request_legal_review", {})],
    "signature": _agreement_signature,
    "signature, all signed": _agreement_signed,
    "implementation": _agreement_in_force,
    "implementation, expiry passed": _agreement_in_force,  # created with an expiry in the past (see below)
    "implementation, suspended": [*_agreement_in_force, ("carla", "suspend", {"effective_on": "2025-01-01"})],
    "closed": [("alice", "withdraw", {})],
}

STATE_DATES = {"applied_on": "2018-03-01", "task_force": "2018-06-14", "report": "2019-03-07",
               "authorised": "2019-06-20", "approved": "2020-03-19", "signed": "2020-06-22",
               "ratified": "2021-01-20", "effective": "2021-02-01", "ended": "2024-08-30"}
_d = STATE_DATES
_enlargement_negotiation = [("alice", "authorise_negotiation", {"decided_on": _d["authorised"]})]
_enlargement_cleared = [
    *_enlargement_negotiation,
    ("alice", "attach_text", {"document": DRAFT_V1}),
    ("alice", "request_legal_review", {}),
    ("bruno", "complete_legal_review", {"outcome": "cleared"}),
]
_enlargement_signature = [*_enlargement_cleared, ("dmitri", "approve_agreement", {"decided_on": _d["approved"]})]
_enlargement_signed = [*_enlargement_signature, ("alice", "sign_agreement", {
    "signed_on": _d["signed"], "signatories": ["Director-General", "Minister of Education"]})]
_enlargement_ratified = [*_enlargement_signed, ("bruno", "notify_ratification", {"notified_on": _d["ratified"]})]

ENLARGEMENT_SITUATIONS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "drafting": [],
    "drafting, task force established": [("alice", "establish_task_force", {"decided_on": _d["task_force"]})],
    "negotiation": _enlargement_negotiation,
    "negotiation, text attached": _enlargement_cleared[:2],
    "negotiation, review requested": _enlargement_cleared[:3],
    "negotiation, text attached by a legal officer, review requested": [
        *_enlargement_negotiation, ("bruno", "attach_text", {"document": DRAFT_V1}),
        ("alice", "request_legal_review", {})],
    "negotiation, text cleared": _enlargement_cleared,
    "signature": _enlargement_signature,
    "signature, signed": _enlargement_signed,
    "signature, ratified": _enlargement_ratified,
    "implementation": [*_enlargement_ratified, ("carla", "enter_into_force", {"effective_on": _d["effective"]})],
    "closed": [("alice", "withdraw", {})],
}

OBSERVER_SITUATIONS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "drafting": [],
    "implementation": [("alice", "grant", {"decided_on": "2020-06-01"})],
}
SITUATIONS = {"agreement": AGREEMENT_SITUATIONS, "enlargement": ENLARGEMENT_SITUATIONS,
              "observer": OBSERVER_SITUATIONS}

_countries = itertools.cycle(sorted(ASSIGNED))
"""Country codes in use, each in turn: one open enlargement process per state and target, so each its own."""


def next_country() -> str:
    return next(_countries)


def agreement_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": "Co-operation Agreement with the Republic of Chile",
                              "kind": "international_cooperation_agreement", "counterparties": [CHILE],
                              "expires_on": "2030-12-31"}
    fields.update(overrides)
    return fields


def enlargement_fields(country: str | None = None, **overrides: Any) -> dict[str, Any]:
    country = country or next_country()
    fields: dict[str, Any] = {"state": {"name": f"State {country}", "country": country},
                              "target": "associate_member", "applied_on": STATE_DATES["applied_on"]}
    fields.update(overrides)
    return fields


def service_of(services: Any, kind: str) -> Any:
    return {"agreement": services.agreements, "enlargement": services.enlargements,
            "observer": services.observers}[kind]


def observer_fields(**overrides: Any) -> dict[str, Any]:
    return {"party": {"name": f"Observer state {next_country()}", "kind": "organisation"},
            "requested_on": "2020-01-01", **overrides}


def build(services: Any, kind: str, situation: str) -> tuple[UUID, int]:
    """A new aggregate of ``kind`` brought to ``situation`` through the command service: (id, version)."""
    service = service_of(services, kind)
    if kind == "agreement":
        expires = "2020-01-01" if situation == "implementation, expiry passed" else "2030-12-31"
        outcome = service.create(agreement_fields(expires_on=expires), ACTORS["alice"], StepContext())
    elif kind == "observer":
        outcome = service.create(observer_fields(), ACTORS["alice"], StepContext())
    else:
        outcome = service.create(enlargement_fields(), ACTORS["alice"], StepContext())
    return walk(service, outcome.aggregate, SITUATIONS[kind][situation])


def walk(service: Any, aggregate: Any, steps: Sequence[tuple[str, str, dict[str, Any]]]) -> tuple[UUID, int]:
    for user, step, fields in steps:
        keep(service, fields)
        aggregate = service.take_step(aggregate.id, step, dict(fields), ACTORS[user], aggregate.version,
                                      StepContext()).aggregate
    return aggregate.id, aggregate.version


def step_url(kind: str, aggregate_id: Any, step: str) -> str:
    return f"{BASE[kind]}/{aggregate_id}/steps/{step}"
