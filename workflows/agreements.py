"""The agreement service: cooperation agreements created and taken through their workflow's steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from domain.errors import InvalidValueError
from domain.values import Actor, ProtocolFate, Stage, StepContext
from workflows.definitions import CURRENT
from workflows.fields import to_domain
from workflows.idempotency import keyed_id, with_digest
from workflows.steps import Outcome, ProcessService

CREATED_TOPIC = CooperationAgreement.Created.TOPIC
CREATIONS_PAGE = 1000


class AgreementService(ProcessService):
    """Cooperation agreements."""

    kind = "agreement"
    aggregate_class = CooperationAgreement
    noun = "agreement"

    def create(self, fields: Mapping[str, Any], actor: Actor, context: StepContext) -> Outcome:
        """Open an agreement in drafting, under the current workflow; a parent must be an agreement."""
        workflow = CURRENT[self.kind]
        self.require_role(actor, workflow.create_roles, "create an agreement")
        context = with_digest(context, actor, "create", fields)
        values = to_domain(workflow.creation_fields, fields)
        if values.get("parent_id") is not None and self._load_or_none(values["parent_id"]) is None:
            raise InvalidValueError("parent_id names no agreement", field="parent_id", rule="parent_exists")
        agreement = CooperationAgreement.start(
            by=actor, context=context, workflow_version=workflow.version, id=keyed_id(actor, context), **values
        )
        return self._created(agreement, context)

    def protocols_of(self, agreement_id: UUID) -> list[CooperationAgreement]:
        """Every agreement recorded with ``agreement_id`` as its parent (its protocols and addenda), oldest
        first, read from the store itself: a step's rule never waits on a view. The parent of an agreement is
        set when it is created and never changes, so only creations are read (their stored JSON; nothing is
        decoded but the protocols found)."""
        wanted = {"_type_": "uuid_hex", "_data_": agreement_id.hex}
        found, start = [], 1
        while True:
            page = self.app.recorder.select_notifications(start, CREATIONS_PAGE, topics=[CREATED_TOPIC])
            found += [n.originator_id for n in page if orjson.loads(n.state).get("parent_id") == wanted]
            if len(page) < CREATIONS_PAGE:
                break
            start = page[-1].id + 1
        return [self.get(protocol_id) for protocol_id in found]

    def open_protocols(self, agreement_id: UUID) -> list[CooperationAgreement]:
        """The protocols of an agreement that are not closed: what its termination must decide about."""
        return [p for p in self.protocols_of(agreement_id) if p.stage is not Stage.CLOSED]

    def consequences(self, aggregate: Any, step: str, values: Mapping[str, Any], actor: Actor,
                     context: StepContext) -> list[Any]:
        """A superseded agreement names its successor: an agreement or an enlargement process on record. An
        agreement terminated under a workflow that asks about protocols says what becomes of each open one."""
        if step == "terminate" and any(f.name == "protocols" for f in self.workflow_of(aggregate).step(step).fields):
            return self._protocols_follow(aggregate, values.get("protocols") or (), actor, context)
        if step == "supersede":
            try:
                successor = self.app.repository.get(values["successor_id"])
            except AggregateNotFoundError:
                successor = None
            if not isinstance(successor, (CooperationAgreement, EnlargementProcess)):
                raise InvalidValueError("successor_id names no agreement or enlargement process",
                                        field="successor_id", rule="successor_exists")
        return []

    def _protocols_follow(self, framework: CooperationAgreement, fates: tuple[ProtocolFate, ...], actor: Actor,
                          context: StepContext) -> list[Any]:
        """Each open protocol named once, no other (rule ``protocol_fates``); those to terminate are terminated
        the framework's day (or withdrawn if not yet in force), recorded with the framework's termination as
        their reason; those kept are left as they are (the reason is on the framework's event)."""
        open_ = {p.id: p for p in self.open_protocols(framework.id)}
        named = {f.protocol_id: f for f in fates}
        unknown = [str(i) for i in named if i not in open_]
        if unknown:
            raise InvalidValueError(f"not an open protocol of this agreement: {', '.join(unknown)}",
                                    field="protocols", rule="protocol_fates")
        missing = [f"{p.title} ({p.id})" for i, p in open_.items() if i not in named]
        if missing:
            raise InvalidValueError("say what becomes of each open protocol (terminate or keep, with a reason): "
                                    + "; ".join(missing), field="protocols", rule="protocol_fates")
        ended = []
        why = StepContext(reason=f"terminated with its framework agreement {framework.title} ({framework.id})"
                                 + (f": {context.reason}" if context.reason else ""), reference=context.reference)
        effective_on = framework.closed_on
        for protocol_id, fate in named.items():
            if fate.fate != "terminate":
                continue
            protocol = open_[protocol_id]
            if protocol.stage is Stage.IMPLEMENTATION:
                protocol.terminate(by=actor, context=why, effective_on=effective_on)
            else:
                protocol.withdraw(by=actor, context=why)
            ended.append(protocol)
        return ended
