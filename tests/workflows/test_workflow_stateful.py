"""Hypothesis state machines drive the command services (agreements, and enlargement processes) with random steps
by random people in every role (also the same person twice, and one person acting in two roles, as after a role
change), with random plausible field values, and now and then a stale version.

A small model predicts each command's outcome from the workflow definition (who, in which stage: read from
``AGREEMENT_V1`` / ``ENLARGEMENT_V1``) and the aggregate's rules (text, clearance, four eyes, signatures, dates
in order): accepted, or refused for a named reason. Invariants after every command: the outcome is the
predicted one; a refused command records nothing; an accepted one records exactly one event and moves only where
the definition says; the stage is always one of the definition's, with a status that stage allows; and the state
replayed from the stored events equals the repository's (cached, and rebuilt from a snapshot: snapshots every 4
versions here) and the model's.

Runs on both backends (derandomized: the same commands on each; a few seconds on SQLite, ~10 s on PostgreSQL).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from bootstrap import create_app
from domain.dates import PLAUSIBLE, date_from_text
from domain.errors import DomainError
from domain.text import text_refusal
from domain.values import Actor, Role, Stage, StepContext, Target
from tests.drafts import keep
from tests.security.helpers import ACTORS, document, head, next_country
from workflows.definitions import AGREEMENT_V1, ENLARGEMENT_V1, WorkflowDefinition
from workflows.errors import ForbiddenError, StepNotAllowedError, VersionConflictError

SETTINGS = settings(max_examples=50, stateful_step_count=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PEOPLE = [*ACTORS.values(), Actor("sam", Role.IR_OFFICER), Actor("sam", Role.LEGAL_OFFICER)]
"""Every role; sam acts as IR officer and as legal officer (one role at a time, after a role change)."""
DATES = ["2024-01-01", "2024-11-20", "2024-12-01", "2025-06-01", "2031-01-01"]
TEXTS = [document("Draft A"), document("Draft B")]
PARTIES = ["CERN", "Republic of Chile", "Kingdom of Norway", "Atlantis"]
DATED = ("held_on", "on", "signed_on", "effective_on", "expires_on", "decided_on", "submitted_on", "notified_on")
STATUS_OF_STAGE = {  # WORKFLOWS.md / API.md: which statuses each stage may show
    "agreement": {Stage.DRAFTING: {"draft"}, Stage.NEGOTIATION: {"under_negotiation"},
                  Stage.SIGNATURE: {"awaiting_signature", "signed"}, Stage.IMPLEMENTATION: {"in_force", "suspended"},
                  Stage.CLOSED: {"terminated", "superseded", "expired", "withdrawn"}},
    "enlargement": {Stage.DRAFTING: {"draft"}, Stage.NEGOTIATION: {"under_negotiation"},
                    Stage.SIGNATURE: {"approved", "signed", "ratified"}, Stage.IMPLEMENTATION: {"in_force"},
                    Stage.CLOSED: {"ended", "withdrawn"}},
}


def _dates(f: dict[str, Any]) -> dict[str, date]:
    return {k: date.fromisoformat(v) for k, v in f.items() if k in DATED}


@dataclass
class Model:
    """What the aggregate should be, kept by the test alone: the rules both aggregates share."""

    workflow: ClassVar[WorkflowDefinition]
    stage: Stage = Stage.DRAFTING
    status: str = "draft"
    version: int = 1
    text: str | None = None
    attached_by: str | None = None
    clearance: str = "none"
    reviewed_by: str | None = None
    effective_on: date | None = None

    @property
    def cleared(self) -> bool:
        return self.clearance == "cleared" and self.text is not None

    def predict(self, step: str, actor: Actor, f: dict[str, Any], stale: bool) -> str:
        """"ok", or why the command is refused: role, conflict, not_now (stage), or the rule's name."""
        definition = self.workflow.step(step)
        assert definition is not None
        if actor.role not in definition.roles:
            return "role"
        if stale:
            return "conflict"
        if self.stage not in definition.stages:
            return "not_now"
        if step == "request_legal_review":
            return ("needs_text" if self.text is None else "review_pending" if self.clearance == "requested"
                    else "already_cleared" if self.cleared else "ok")
        if step == "complete_legal_review":
            return ("needs_pending_review" if self.clearance != "requested" else
                    "four_eyes" if actor.name == self.attached_by else "ok")
        if step == "correct":
            return self._predict_correction(f["field"], f["value"])
        return self.rule(step, actor, f, _dates(f))

    def rule(self, step: str, actor: Actor, f: dict[str, Any], on: dict[str, date]) -> str:
        return "ok"

    def _predict_correction(self, name: str, value: str) -> str:
        if name == "title":
            if text_refusal(value) is not None:
                return "text"
            new: Any = unicodedata.normalize("NFC", value).strip()
        else:
            try:
                new = date_from_text(value)
            except ValueError:
                return "invalid_value"
            if not PLAUSIBLE.earliest <= new <= PLAUSIBLE.latest():
                return "plausible_date"
            refused = self.correction_rule(name, new)
            if refused:
                return refused
        return "changes_something" if getattr(self, name) == new else "ok"

    def correction_rule(self, name: str, new: date) -> str | None:
        return None

    def apply(self, step: str, actor: Actor, f: dict[str, Any]) -> None:
        definition = self.workflow.step(step)
        assert definition is not None
        self.version += 1
        if definition.moves_to is not None:
            self.stage = definition.moves_to
        if step == "attach_text":
            self.text, self.attached_by = f["document"]["sha256"], actor.name
            self.clearance, self.reviewed_by = "none", None
        elif step == "request_legal_review":
            self.clearance = "requested"
        elif step == "complete_legal_review":
            self.clearance, self.reviewed_by = f["outcome"], actor.name
        elif step == "withdraw":
            self.status = "withdrawn"
        elif step == "correct":
            value = f["value"].strip() if f["field"] == "title" else date.fromisoformat(f["value"])
            setattr(self, f["field"], value)
        else:
            self.effect(step, f, _dates(f))

    def effect(self, step: str, f: dict[str, Any], on: dict[str, date]) -> None:
        pass


@dataclass
class AgreementModel(Model):
    workflow: ClassVar[WorkflowDefinition] = AGREEMENT_V1
    title: str = ""
    parties: tuple[str, ...] = ()
    expires_on: date | None = None
    signed: dict[str, date] = field(default_factory=dict)
    suspended_on: date | None = None
    resumed_on: date | None = None
    closed_on: date | None = None

    def rule(self, step: str, actor: Actor, f: dict[str, Any], on: dict[str, date]) -> str:
        last_change = max((d for d in (self.effective_on, self.suspended_on, self.resumed_on) if d), default=None)
        if step == "open_negotiation":
            return "ok" if self.cleared else "needs_cleared_text"
        if step == "finalise_text":
            return ("needs_cleared_text" if not self.cleared else
                    "four_eyes" if actor.name == self.reviewed_by else "ok")
        if step in ("record_round", "record_milestone"):
            return "invalid_value" if not f["summary"].strip() else "ok"
        if step == "record_signature":
            return ("signed_once" if not set(self.parties) - set(self.signed) else
                    "party_unknown" if f["party"] not in self.parties else
                    "signed_once" if f["party"] in self.signed else
                    "invalid_value" if not f["signatory"].strip() else "ok")
        if step == "enter_into_force":
            if set(self.parties) - set(self.signed):
                return "all_parties_signed"
            return "not_before_last_signature" if on["effective_on"] < max(self.signed.values()) else "ok"
        if step == "renew":
            return ("has_expiry" if self.expires_on is None else
                    "later_expiry" if on["expires_on"] <= self.expires_on else "ok")
        if step in ("suspend", "resume"):
            if self.status != ("in_force" if step == "suspend" else "suspended"):
                return "status"
            return "dates_in_order" if last_change and on["effective_on"] < last_change else "ok"
        if step == "terminate":
            return "dates_in_order" if last_change and on["effective_on"] < last_change else "ok"
        if step == "supersede":  # the successor drawn is never on record
            return "dates_in_order" if last_change and on["effective_on"] < last_change else "successor_exists"
        if step == "expire":
            return "expiry_passed" if self.expires_on is None or self.expires_on >= datetime.now(UTC).date() else "ok"
        return "ok"  # attach_text, withdraw

    def correction_rule(self, name: str, new: date) -> str | None:
        if name == "effective_on":
            if self.effective_on is None:
                return "has_effective_on"
            if new < max(self.signed.values()):
                return "not_before_last_signature"
            later = [d for d in (self.suspended_on, self.resumed_on, self.closed_on) if d]
            if later and new > min(later):
                return "dates_in_order"
        return None

    def effect(self, step: str, f: dict[str, Any], on: dict[str, date]) -> None:
        if step == "open_negotiation":
            self.status = "under_negotiation"
        elif step == "finalise_text":
            self.status = "awaiting_signature"
        elif step == "record_signature":
            self.signed[f["party"]] = on["signed_on"]
            if set(self.parties) <= set(self.signed):
                self.status = "signed"
        elif step == "enter_into_force":
            self.status, self.effective_on = "in_force", on["effective_on"]
        elif step == "renew":
            self.expires_on = on["expires_on"]
        elif step == "suspend":
            self.status, self.suspended_on = "suspended", on["effective_on"]
        elif step == "resume":
            self.status, self.resumed_on = "in_force", on["effective_on"]
        elif step in ("terminate", "expire"):
            self.status = {"terminate": "terminated", "expire": "expired"}[step]
            self.closed_on = on["effective_on"] if step == "terminate" else self.expires_on


@dataclass
class EnlargementModel(Model):
    workflow: ClassVar[WorkflowDefinition] = ENLARGEMENT_V1
    applied_on: date = date(2024, 1, 1)
    task_force_on: date | None = None
    report_on: date | None = None
    authorised_on: date | None = None
    approved_on: date | None = None
    signed_on: date | None = None
    ratified_on: date | None = None
    ended_on: date | None = None

    @property
    def latest(self) -> date:
        """Every new step's date must not precede the latest real-world date recorded so far."""
        return max(d for d in (self.applied_on, self.task_force_on, self.report_on, self.authorised_on,
                               self.approved_on, self.signed_on, self.ratified_on, self.effective_on) if d)

    def rule(self, step: str, actor: Actor, f: dict[str, Any], on: dict[str, date]) -> str:
        when = next(iter(on.values()), None)
        in_order = "dates_in_order" if when is not None and when < self.latest else "ok"
        if step == "establish_task_force":
            return "task_force_once" if self.task_force_on else in_order
        if step == "submit_task_force_report":
            return ("needs_task_force" if self.task_force_on is None else
                    "report_once" if self.report_on else in_order)
        if step == "authorise_negotiation":
            return "task_force_report_pending" if self.task_force_on and not self.report_on else in_order
        if step == "record_round":
            return "invalid_value" if not f["summary"].strip() else "ok"
        if step == "approve_agreement":
            return "needs_cleared_text" if not self.cleared else in_order
        if step == "sign_agreement":
            return ("signed_once" if self.signed_on else
                    "invalid_value" if not any(n.strip() for n in f["signatories"]) else in_order)
        if step == "notify_ratification":
            return ("needs_signature" if self.signed_on is None else
                    "ratified_once" if self.ratified_on else in_order)
        if step == "enter_into_force":
            return "signed_and_ratified" if not (self.signed_on and self.ratified_on) else in_order
        if step == "end_participation":
            if not f["reason"].strip():
                return "invalid_value"
            return "dates_in_order" if self.effective_on and on["effective_on"] <= self.effective_on else "ok"
        return "ok"  # attach_text, withdraw

    def correction_rule(self, name: str, new: date) -> str | None:
        if name == "applied_on":
            later = [d for d in (self.task_force_on, self.authorised_on, self.approved_on, self.signed_on,
                                 self.ratified_on, self.effective_on) if d]
            return "dates_in_order" if later and new > min(later) else None
        if name == "effective_on":
            if self.effective_on is None:
                return "has_effective_on"
            floor = self.ratified_on or self.signed_on
            if (floor and new < floor) or (self.ended_on is not None and new >= self.ended_on):
                return "dates_in_order"
        if name == "ended_on":
            if self.ended_on is None:
                return "has_ended_on"
            if self.effective_on is not None and new <= self.effective_on:
                return "dates_in_order"
        return None

    def effect(self, step: str, f: dict[str, Any], on: dict[str, date]) -> None:
        when = next(iter(on.values()), None)
        field_and_status = {
            "establish_task_force": ("task_force_on", None), "submit_task_force_report": ("report_on", None),
            "authorise_negotiation": ("authorised_on", "under_negotiation"),
            "approve_agreement": ("approved_on", "approved"), "sign_agreement": ("signed_on", "signed"),
            "notify_ratification": ("ratified_on", "ratified"), "enter_into_force": ("effective_on", "in_force"),
            "end_participation": ("ended_on", "ended"),
        }
        if step in field_and_status:
            name, status = field_and_status[step]
            setattr(self, name, when)
            self.status = status or self.status


def fields_for(kind: str, step: str, draw: Callable[[Any], Any], model: Any) -> dict[str, Any]:
    """Random but plausible values for a step's fields (some break the rules: blank text, dates out of order,
    an unknown party, ...)."""
    dates = st.sampled_from(DATES)
    text = st.sampled_from(["Met.", "Scope agreed.", "   "])
    if step == "attach_text":
        return {"document": draw(st.sampled_from(TEXTS))}
    if step == "complete_legal_review":
        return {"outcome": draw(st.sampled_from(["cleared", "cleared", "changes_requested"]))}
    if step == "record_round":
        return {"held_on": draw(dates), "summary": draw(text)}
    if step == "correct":
        names = ("title", "expires_on", "effective_on") if kind == "agreement" else ("applied_on", "effective_on",
                                                                                     "ended_on")
        name = draw(st.sampled_from(names))
        if name == "title":
            return {"field": name, "value": draw(st.sampled_from(["Corrected title", model.title, "  "]))}
        return {"field": name, "value": draw(st.sampled_from([*DATES, "2023-06-01", "31/12/2031"]))}
    if step == "record_signature":
        unsigned = [p for p in model.parties if p not in model.signed]
        return {"party": draw(st.sampled_from(unsigned + PARTIES)),
                "signatory": draw(st.sampled_from(["Director-General", "Minister", " "])), "signed_on": draw(dates)}
    if step == "record_milestone":
        return {"on": draw(dates), "summary": draw(text)}
    if step == "renew":
        return {"expires_on": draw(st.sampled_from([*DATES, "2040-01-01"]))}
    if step == "submit_task_force_report":
        return {"submitted_on": draw(dates), "document": draw(st.sampled_from(TEXTS))}
    if step == "sign_agreement":
        return {"signed_on": draw(dates), "signatories": draw(st.sampled_from([["Director-General"], [" "]]))}
    if step == "end_participation":
        return {"effective_on": draw(dates), "reason": draw(st.sampled_from(["Converted into Membership.", " "]))}
    if step == "supersede":
        return {"effective_on": draw(dates), "successor_id": str(draw(st.uuids()))}
    definition = model.workflow.step(step)
    return {f.name: draw(dates) for f in definition.fields if f.type == "date"}


def valid_fields(kind: str, step: str, model: Any) -> dict[str, Any]:
    """Values that keep every rule (dates in order, an unsigned party, ...)."""
    if step == "attach_text":
        return {"document": TEXTS[0]}
    if step == "complete_legal_review":
        return {"outcome": "cleared"}
    if step == "record_round":
        return {"held_on": "2024-06-01", "summary": "Met."}
    if kind == "agreement":
        unsigned = [p for p in model.parties if p not in model.signed]
        return {
            "record_signature": {"party": unsigned[0] if unsigned else "CERN", "signatory": "Director-General",
                                 "signed_on": "2024-11-20"},
            "enter_into_force": {"effective_on": "2024-12-01"},
            "record_milestone": {"on": "2025-01-01", "summary": "Met."},
            "renew": {"expires_on": "2040-01-01"},
            "supersede": {"effective_on": "2025-06-01", "successor_id": "5d7f3c2e-1a4b-4c8d-9e0f-a1b2c3d4e5f6"},
        }.get(step, {"effective_on": "2025-06-01"} if step in ("suspend", "resume", "terminate") else {})
    on = model.latest.isoformat()
    extra = {"submit_task_force_report": {"document": TEXTS[1]}, "sign_agreement": {"signatories": ["DG"]},
             "end_participation": {"reason": "Converted into Membership.", "effective_on": "2031-01-01"}}
    dated = {f.name: on for f in model.workflow.step(step).fields if f.type == "date"}
    return {**dated, **extra.get(step, {})}


def outcome_of(error: Exception) -> str:
    if isinstance(error, ForbiddenError):
        return "role"
    if isinstance(error, VersionConflictError):
        return "conflict"
    if isinstance(error, StepNotAllowedError):
        return "not_now"
    if isinstance(error, DomainError):
        return error.rule
    raise error


STATS: dict[str, Counter[str]] = {"agreement": Counter(), "enlargement": Counter()}


class Workflow(RuleBasedStateMachine):
    """The rules and invariants both aggregates share; ``create`` (an @initialize) is each subclass's."""

    services: Any = None  # set by the test
    kind: ClassVar[str]
    model: Any

    @property
    def stats(self) -> Counter[str]:
        return STATS[self.kind]

    @property
    def service(self) -> Any:
        return self.services.agreements if self.kind == "agreement" else self.services.enlargements

    @property
    def takers(self) -> list[Actor]:
        return [a for a in PEOPLE if any(a.role in s.roles for s in self.model.workflow.steps)]

    def _command(self, step: str, actor: Actor, fields: dict[str, Any], stale: bool) -> None:
        expected = self.model.predict(step, actor, fields, stale)
        before, stage_before = head(self.services), self.model.stage
        keep(self.services, fields)
        try:
            outcome = self.service.take_step(self.aggregate_id, step, dict(fields), actor,
                                             self.model.version - 1 if stale else self.model.version, StepContext())
            got = "ok"
        except Exception as error:  # noqa: BLE001 - every refusal is named; anything else is re-raised
            got = outcome_of(error)
        self.stats["commands"] += 1
        self.stats["accepted" if got == "ok" else "refused"] += 1
        if got != "ok":
            self.stats[f"refused: {got}"] += 1
        assert got == expected, f"{actor.name} ({actor.role.value}) {step} {fields} in {stage_before.value}: " \
                                f"got {got}, the model expected {expected}"
        recorded = head(self.services) - before
        if got == "ok":
            self.model.apply(step, actor, fields)
            assert recorded == 1, f"{step} recorded {recorded} events"
            assert outcome.aggregate.version == self.model.version
            moves_to = self.model.workflow.step(step).moves_to
            assert outcome.aggregate.stage is (moves_to or stage_before)
            if self.model.stage is not stage_before:
                self.stats[f"reached {self.model.stage.value}"] += 1
        else:
            assert recorded == 0, f"the refused {step} recorded {recorded} events"

    @rule(data=st.data(), actor=st.sampled_from(PEOPLE), stale=st.integers(0, 9).map(lambda n: n == 0))
    def any_step(self, data: st.DataObject, actor: Actor, stale: bool) -> None:
        """Any step, by anyone, sometimes from a stale version."""
        step = data.draw(st.sampled_from([s.name for s in self.model.workflow.steps]))
        self._command(step, actor, fields_for(self.kind, step, data.draw, self.model), stale)

    @rule(data=st.data())
    def a_step_on_offer(self, data: st.DataObject) -> None:
        """A step the definition offers someone now (mostly forward: withdraw and correct are rarer)."""
        actor = data.draw(st.sampled_from(self.takers))
        offered = [s.name for s in self.model.workflow.available(self.model.stage, actor.role)]
        forward = [s for s in offered if s not in ("withdraw", "correct")]
        pool = forward if forward and data.draw(st.integers(0, 9)) else offered
        if pool:
            step = data.draw(st.sampled_from(pool))
            self._command(step, actor, fields_for(self.kind, step, data.draw, self.model), stale=False)

    @rule(data=st.data())
    def a_step_forward(self, data: st.DataObject) -> None:
        """A step the model expects to succeed and that moves the aggregate on, with valid values: without it,
        random sequences rarely get past drafting."""
        options = [(s.name, a) for a in self.takers for s in self.model.workflow.available(self.model.stage, a.role)
                   if s.name not in ("withdraw", "correct") and not (s.name == "attach_text" and self.model.text)
                   and self.model.predict(s.name, a, valid_fields(self.kind, s.name, self.model), False) == "ok"]
        if options:
            step, actor = data.draw(st.sampled_from(options))
            self._command(step, actor, valid_fields(self.kind, step, self.model), stale=False)

    @invariant()
    def stored_state_agrees(self) -> None:
        repository = self.services.app.repository
        cached = repository.get(self.aggregate_id)
        from_snapshot = repository.get(self.aggregate_id, version=self.model.version)  # bypasses the cache
        replayed = None
        for event in self.services.app.events.get(self.aggregate_id):
            replayed = event.mutate(replayed)

        def state(aggregate: Any) -> dict[str, Any]:
            return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}

        assert state(replayed) == state(cached) == state(from_snapshot)
        assert cached.stage in self.model.workflow.stages
        assert cached.status.value in STATUS_OF_STAGE[self.kind][cached.stage]
        m = self.model
        assert (cached.version, cached.stage, cached.status.value, cached.effective_on) == (
            m.version, m.stage, m.status, m.effective_on)
        assert cached.legal_clearance.value == m.clearance
        assert (cached.current_text.sha256 if cached.current_text else None) == m.text
        self.agrees(cached)
        self.stats["invariant checks"] += 1

    def agrees(self, aggregate: Any) -> None:
        raise NotImplementedError


class AgreementWorkflow(Workflow):
    kind = "agreement"

    @initialize(parties=st.sampled_from([("Republic of Chile",), ("Republic of Chile", "Kingdom of Norway")]),
                expires_on=st.sampled_from([None, "2020-01-01", "2030-12-31"]))
    def create(self, parties: tuple[str, ...], expires_on: str | None) -> None:
        fields = {"title": "Agreement under test", "kind": "protocol", "expires_on": expires_on,
                  "counterparties": [{"name": p, "kind": "state"} for p in parties]}
        self.aggregate_id = self.service.create(fields, ACTORS["alice"], StepContext()).aggregate.id
        self.model = AgreementModel(title="Agreement under test", parties=("CERN", *parties),
                                    expires_on=date.fromisoformat(expires_on) if expires_on else None)
        self.stats["sequences"] += 1

    def agrees(self, aggregate: Any) -> None:
        m = self.model
        assert (aggregate.title, aggregate.expires_on) == (m.title, m.expires_on)
        assert {s.party: s.signed_on for s in aggregate.signatures} == m.signed


class EnlargementWorkflow(Workflow):
    kind = "enlargement"

    @initialize(goal=st.sampled_from(["associate_member", "associate_member_pre_stage", "member"]),
                applied_on=st.sampled_from(["2023-06-01", "2024-01-01"]))
    def create(self, goal: str, applied_on: str) -> None:
        country = next_country()
        self._close_every_process_of(country)  # isolated: nothing this sequence does touches another process
        fields = {"state": {"name": f"State {country}", "country": country}, "target": goal,
                  "applied_on": applied_on}
        self.aggregate_id = self.service.create(fields, ACTORS["alice"], StepContext()).aggregate.id
        self.model = EnlargementModel(applied_on=date.fromisoformat(applied_on))
        self.stats["sequences"] += 1

    def _close_every_process_of(self, country: str) -> None:
        """A state's earlier processes (a long run reuses the made-up country codes) are closed first: one open
        process per state and target, and a process entering into force would end another one in force."""
        for target in Target:
            processes = self.service.processes_of(country, target)
            if processes and processes[-1].stage is not Stage.CLOSED:
                last = processes[-1]
                if last.stage is Stage.IMPLEMENTATION:
                    self.service.take_step(last.id, "end_participation", {"effective_on": "2099-01-01", "reason":
                                           "Closed before reusing the country code."}, ACTORS["carla"],
                                           last.version, StepContext())
                else:
                    self.service.take_step(last.id, "withdraw", {}, ACTORS["alice"], last.version, StepContext())

    def agrees(self, aggregate: Any) -> None:
        m = self.model
        assert (aggregate.applied_on, aggregate.task_force_on, aggregate.task_force_report_on,
                aggregate.negotiation_authorised_on, aggregate.approved_on, aggregate.signed_on,
                aggregate.ratification_notified_on, aggregate.ended_on) == (
            m.applied_on, m.task_force_on, m.report_on, m.authorised_on, m.approved_on, m.signed_on,
            m.ratified_on, m.ended_on)


@pytest.fixture
def snapshotting_services(storage: dict[str, str]) -> Iterator[Any]:
    """A fresh store that snapshots every 4 versions, so loads also go through snapshots."""
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "PROJECTIONS_IN_PROCESS": False,
                      "STORAGE": {**storage, "SNAPSHOT_INTERVAL": "4"}})
    yield app.extensions["accord"]
    app.extensions["accord"].close()


def test_random_step_sequences_stay_within_the_definitions(snapshotting_services):
    figures = []
    for machine in (AgreementWorkflow, EnlargementWorkflow):
        stats = STATS[machine.kind]
        stats.clear()
        machine.services = snapshotting_services
        run_state_machine_as_test(machine, settings=SETTINGS)
        refusals = {k.removeprefix("refused: "): v for k, v in sorted(stats.items()) if k.startswith("refused: ")}
        reached = {k.removeprefix("reached "): v for k, v in stats.items() if k.startswith("reached ")}
        figures.append(f"{machine.kind}s: {stats['sequences']} sequences, {stats['commands']} commands "
                       f"({stats['accepted']} accepted, {stats['refused']} refused: {refusals}); stages entered "
                       f"{reached}; {stats['invariant checks']} replay/snapshot/model checks")
        assert stats["sequences"] >= 50 and stats["accepted"] > 0 and stats["refused"] > 0
        assert reached.get("implementation", 0) > 0, f"no {machine.kind} reached implementation: too little explored"
    print(f"\nstateful[{snapshotting_services.backend}]: {'; '.join(figures)}; 0 disagreements")
