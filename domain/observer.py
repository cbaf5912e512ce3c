"""Observer status: a state or an international organisation admitted by the Council to attend its meetings
and receive its documents, without a part in its decisions (DOMAIN.md 3.5).

The process opens with the request; the Council grants the status by a decision, for a scope where it says
one (its sessions in general, the LHC, the HL-LHC); the Council may suspend it (the Russian Federation and
JINR, March 2022) and lift the suspension; the status ends. Every date is a real-world date given by the
user, in order. Each stretch in which the status holds, active or suspended, is what the register shows.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.chain import Chained
from domain.errors import InvalidValueError, StageError
from domain.lifecycle import remember_request
from domain.values import Actor, Counterparty, Stage, StepContext

T = "accord.observer:"
MAX_SCOPE_LENGTH = 200


class ObserverStatus(Chained, Aggregate):
    """One party's observer status with the organisation, from the request to its end."""

    TOPIC = T + "ObserverStatus"
    NOUN = "observer status"
    STATUSES = ("requested", "active", "suspended", "ended", "withdrawn")

    class Event(Aggregate.Event):
        """Every observer event records who took the step and why."""

        TOPIC = T + "Event"
        by: Actor
        context: StepContext
        prev_hash: str
        hash: str
        workflow_version: int = dataclasses.field(default=1, kw_only=True)
        """The version of the workflow definition the step was taken under (its aggregate's); an event
        stored before events carried it reads as version 1, the only version there was, and still verifies:
        its stored JSON, over which its hash was computed, is never changed."""

        def apply(self, aggregate: Any) -> None:
            remember_request(self, aggregate)
            super().apply(aggregate)

    @classmethod
    def start(cls, *, by: Actor, context: StepContext, party: Counterparty, requested_on: date,
              workflow_version: int, id: Any = None) -> ObserverStatus:  # noqa: A002
        by.check()
        context.check()
        party.check()
        kwargs = dict(by=by, context=context, party=party, requested_on=requested_on,
                      workflow_version=workflow_version)
        return cls(**kwargs) if id is None else cls._create(cls.Created, id=id, **kwargs)

    @event("Created", topic=T + "Requested")
    def __init__(self, by: Actor, context: StepContext, party: Counterparty, requested_on: date,
                 workflow_version: int = 1) -> None:  # a default: the field every event declares (see Event)
        self.requests: dict[str, list[Any]] = {}
        self.created_by = by.name
        self.party = party
        self.requested_on = requested_on
        self.workflow_version = workflow_version
        self.stage = Stage.DRAFTING
        self.status = "requested"
        self.scope: str | None = None
        self.resolution: str | None = None
        self.granted_on: date | None = None
        self.suspended_on: date | None = None
        self.resumed_on: date | None = None
        self.ended_on: date | None = None

    @property
    def title(self) -> str:
        return f"{self.party.name}: observer" + (f" ({self.scope})" if self.scope else "")

    def _latest_date(self) -> date:
        return max(d for d in (self.requested_on, self.granted_on, self.suspended_on, self.resumed_on)
                   if d is not None)

    def _require(self, when: date, stage: Stage, to: str) -> None:
        if self.stage is not stage:
            raise StageError(f"cannot {to} in stage {self.stage.value}; only in {stage.value}")
        if when < self._latest_date():
            raise InvalidValueError(f"{when} cannot precede the status's previous step ({self._latest_date()})",
                                    field="effective_on", rule="dates_in_order")

    # ---- steps -----------------------------------------------------------------------------------

    def grant(self, by: Actor, context: StepContext, decided_on: date, scope: str | None = None,
              resolution: str | None = None) -> None:
        """The Council grants the status, from the day of its decision, for a scope where it gives one."""
        by.check()
        context.check()
        self._require(decided_on, Stage.DRAFTING, "grant observer status")
        for name, text in (("scope", scope), ("resolution", resolution)):
            if text is not None and (not text.strip() or len(text) > MAX_SCOPE_LENGTH):
                raise InvalidValueError(f"{name} is 1 to {MAX_SCOPE_LENGTH} characters", field=name)
        self._granted(by=by, context=context, decided_on=decided_on, scope=scope and scope.strip(),
                      resolution=resolution and resolution.strip())

    @event("Granted", topic=T + "Granted")
    def _granted(self, by: Actor, context: StepContext, decided_on: date, scope: str | None,
                 resolution: str | None) -> None:
        self.granted_on, self.scope, self.resolution = decided_on, scope, resolution
        self.stage, self.status = Stage.IMPLEMENTATION, "active"

    def suspend(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """The Council suspends the status (its delegates are no longer invited)."""
        by.check()
        context.check()
        self._require(effective_on, Stage.IMPLEMENTATION, "suspend observer status")
        if self.status != "active":
            raise StageError("only an active observer status can be suspended", rule="status")
        self._suspended(by=by, context=context, effective_on=effective_on)

    @event("Suspended", topic=T + "Suspended")
    def _suspended(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.suspended_on, self.status = effective_on, "suspended"

    def resume(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """The Council lifts the suspension."""
        by.check()
        context.check()
        self._require(effective_on, Stage.IMPLEMENTATION, "lift a suspension")
        if self.status != "suspended":
            raise StageError("only a suspended observer status can be resumed", rule="status")
        self._resumed(by=by, context=context, effective_on=effective_on)

    @event("Resumed", topic=T + "Resumed")
    def _resumed(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.resumed_on, self.status = effective_on, "active"

    def end_status(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """The status ends (phased out, converted into Associate Membership, the party ceased): the first
        day without it. The reason is required."""
        by.check()
        context.check()
        if not (context.reason or "").strip():
            raise InvalidValueError("ending an observer status needs a reason", field="reason")
        self._require(effective_on, Stage.IMPLEMENTATION, "end observer status")
        if effective_on <= self.granted_on:
            raise InvalidValueError("the status must end after it was granted", field="effective_on",
                                    rule="dates_in_order")
        self._ended(by=by, context=context, effective_on=effective_on)

    @event("Ended", topic=T + "Ended")
    def _ended(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.ended_on, self.stage, self.status = effective_on, Stage.CLOSED, "ended"

    def withdraw(self, by: Actor, context: StepContext) -> None:
        """The request is withdrawn before the Council decides."""
        by.check()
        context.check()
        if self.stage is not Stage.DRAFTING:
            raise StageError(f"cannot withdraw a request in stage {self.stage.value}; only in drafting")
        self._withdrawn(by=by, context=context)

    @event("Withdrawn", topic=T + "Withdrawn")
    def _withdrawn(self, by: Actor, context: StepContext) -> None:
        self.stage, self.status = Stage.CLOSED, "withdrawn"
