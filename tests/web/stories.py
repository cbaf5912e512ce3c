"""Data for the read pages' tests, recorded through the real command services: the demo's agreements (one
in each stage, with texts, reviews, signatures and milestones), a few enlargement processes, and the views
brought up to date."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from bootstrap.seed.demo import seed_demo
from domain.values import Actor, Role, StepContext
from tests.drafts import draft, keep
from tests.web.conftest import OPERATOR

IR = Actor("alice", Role.IR_OFFICER)
LEGAL = Actor("bruno", Role.LEGAL_OFFICER)


def agreements(services: Any) -> dict[str, Any]:
    """The demo's six agreements, by title's first word(s) as the demo prints them; the views caught up."""
    seed_demo(services.agreements, services.access, OPERATOR, say=lambda _line: None)
    services.projections.catch_up()
    found = {}
    for row in services.db.query("SELECT id, title FROM agreement_list"):
        found[row["title"]] = UUID(row["id"])
    return found


def step(service: Any, aggregate_id: Any, actor: Actor, name: str, **fields: Any) -> Any:
    current = service.get(aggregate_id)
    keep(service, fields)
    return service.take_step(aggregate_id, name, fields, actor, current.version, StepContext()).aggregate


def enlargement(services: Any, name: str, country: str, target: str, applied_on: str,
                in_force_on: str | None = None) -> Any:
    """An enlargement process, taken into force on ``in_force_on`` when given."""
    service = services.enlargements
    created = service.create({"state": {"name": name, "country": country}, "target": target,
                              "applied_on": applied_on}, IR, StepContext()).aggregate
    if in_force_on is None:
        return created
    pid = created.id
    step(service, pid, IR, "authorise_negotiation", decided_on=applied_on)
    text = draft(f"{name} agreement")
    step(service, pid, IR, "attach_text", document=text)
    step(service, pid, IR, "request_legal_review")
    step(service, pid, LEGAL, "complete_legal_review", outcome="cleared")
    step(service, pid, IR, "approve_agreement", decided_on=applied_on)
    step(service, pid, IR, "sign_agreement", signed_on=applied_on, signatories=["CERN", name])
    step(service, pid, LEGAL, "notify_ratification", notified_on=applied_on)
    return step(service, pid, LEGAL, "enter_into_force", effective_on=in_force_on)


def today() -> str:
    return date.today().isoformat()
