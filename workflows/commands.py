"""The command service: takes a named step on an aggregate, for an authenticated actor.

It checks the caller's role and stage against the aggregate's workflow definition and the caller's
expected version, calls the aggregate, saves, and returns the new state with the event's global position.
A request carrying an idempotency key is recorded with its event; sending it again returns the first
result, whether the retry comes before or after the store reported a conflict on the caller's own write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.agreement import CooperationAgreement
from domain.errors import InvalidValueError
from domain.records import plain, record_of
from domain.values import (
    Actor,
    AgreementKind,
    Counterparty,
    Document,
    PartyKind,
    ReviewOutcome,
    Role,
    StepContext,
)
from workflows.application import AccordApplication
from workflows.definitions import CURRENT, READERS, Field, StepDefinition, WorkflowDefinition, definition
from workflows.errors import (
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    StepNotAllowedError,
    StorageUnavailableError,
    UnknownStepError,
    VersionConflictError,
)
from workflows.log import select_positioned_events

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.invalid/idempotency")


@dataclass(frozen=True)
class Outcome:
    """The state after a write, the position of its event in the global log, and whether it was replayed."""

    aggregate: CooperationAgreement
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class HistoryEntry:
    position: int
    version: int
    type: str
    recorded_at: datetime
    actor: str
    role: str
    reason: str | None
    reference: str | None
    data: dict[str, Any]


def request_digest(actor: Actor, action: str, fields: Mapping[str, Any]) -> str:
    """A digest of what was asked, to tell a retry from a different request under the same key."""
    canonical = json.dumps([actor.name, action, plain(dict(fields))], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "date": _date,
    "uuid": lambda v: UUID(v) if isinstance(v, str) else v,
    "document": lambda d: Document(**d),
    "counterparties": lambda items: tuple(
        Counterparty(name=i["name"], kind=PartyKind(i["kind"]), country=i.get("country")) for i in items
    ),
}
ENUM_FIELDS: dict[str, type[Enum]] = {"outcome": ReviewOutcome, "kind": AgreementKind}


def to_domain(fields_def: tuple[Field, ...], fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields_def:
        if f.name not in fields or fields[f.name] is None:
            continue
        value = fields[f.name]
        if f.type in CONVERTERS:
            value = CONVERTERS[f.type](value)
        elif f.type == "enum" and f.name in ENUM_FIELDS:
            value = ENUM_FIELDS[f.name](value)
        out[f.name] = value
    return out


class AgreementService:
    """Creates cooperation agreements, takes their steps, and reads their state and history."""

    kind = "agreement"

    def __init__(self, app: AccordApplication):
        self.app = app

    # ---- writes ----------------------------------------------------------------------------------

    def create(self, fields: Mapping[str, Any], actor: Actor, context: StepContext) -> Outcome:
        workflow = CURRENT[self.kind]
        self.require_role(actor, workflow.create_roles, "create an agreement")
        context, agreement_id = self._keyed(context, actor, "create", fields)
        values = to_domain(workflow.creation_fields, fields)
        if values.get("parent_id") is not None and self._load_or_none(values["parent_id"]) is None:
            raise InvalidValueError("parent_id names no agreement", field="parent_id", rule="parent_exists")
        agreement = CooperationAgreement.start(
            by=actor, context=context, workflow_version=workflow.version, id=agreement_id, **values
        )
        if agreement_id is not None:
            try:
                existing = self.app.repository.get(agreement_id, version=1)
            except AggregateNotFoundError:
                pass
            else:
                return self._replay(existing.id, context, expected=None)
        return self._save(agreement, context, expected=None)

    def take_step(
        self,
        agreement_id: UUID,
        step: str,
        fields: Mapping[str, Any],
        actor: Actor,
        expected_version: int,
        context: StepContext,
    ) -> Outcome:
        agreement = self.get(agreement_id)
        workflow = self.workflow_of(agreement)
        step_def = self.step_definition(workflow, step)
        self.require_role(actor, step_def.roles, f"take the step {step}")
        context, _ = self._keyed(context, actor, step, fields)
        if context.idempotency_key in agreement.requests:
            return self._replay(agreement_id, context, expected=expected_version)
        if expected_version != agreement.version:
            raise VersionConflictError(
                f"the agreement is at version {agreement.version}, not {expected_version}",
                current_version=agreement.version,
            )
        if agreement.stage not in step_def.stages:
            allowed = ", ".join(s.value for s in step_def.stages)
            raise StepNotAllowedError(
                f"{step} is not allowed in stage {agreement.stage.value} (only in {allowed})", step=step
            )
        getattr(agreement, step)(by=actor, context=context, **to_domain(step_def.fields, fields))
        return self._save(agreement, context, expected=expected_version)

    def _keyed(
        self, context: StepContext, actor: Actor, action: str, fields: Mapping[str, Any]
    ) -> tuple[StepContext, UUID | None]:
        """The context with the request's digest, and for a keyed create the agreement's deterministic id."""
        if context.idempotency_key is None:
            return context, None
        digest = request_digest(actor, action, fields)
        context = dataclasses.replace(context, request_digest=digest)
        return context, uuid5(IDEMPOTENCY_NAMESPACE, f"{actor.name}\n{context.idempotency_key}")

    def _save(self, agreement: CooperationAgreement, context: StepContext, expected: int | None) -> Outcome:
        try:
            recordings = self.app.save(agreement)
        except IntegrityError:
            if context.idempotency_key is not None:
                # The conflict may be our own write, committed before its acknowledgement was lost.
                current = self._load_or_none(agreement.id)
                if current is not None and context.idempotency_key in current.requests:
                    return self._replay(agreement.id, context, expected=expected)
            current = self._load_or_none(agreement.id)
            raise VersionConflictError(
                "the agreement was changed by someone else; reload and try again",
                current_version=current.version if current else None,
            ) from None
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailableError(f"the event store is unavailable: {error}") from None
        return Outcome(aggregate=agreement, position=recordings[-1].notification.id)

    def _replay(self, agreement_id: UUID, context: StepContext, expected: int | None) -> Outcome:
        """The first result of a request already recorded under the same idempotency key."""
        current = self.get(agreement_id)
        version, digest = current.requests.get(context.idempotency_key, (None, None))
        if version is None or digest != context.request_digest:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used for a different request", key=context.idempotency_key
            )
        state = self.get(agreement_id, version=version)
        position = self.position_of(agreement_id, version)
        return Outcome(aggregate=state, position=position, replayed=True)

    # ---- reads -----------------------------------------------------------------------------------

    def get(self, agreement_id: UUID, version: int | None = None) -> CooperationAgreement:
        try:
            agreement = self.app.repository.get(agreement_id, version=version)
        except AggregateNotFoundError:
            raise NotFoundError(f"no agreement with id {agreement_id}") from None
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailableError(f"the event store is unavailable: {error}") from None
        if not isinstance(agreement, CooperationAgreement):
            raise NotFoundError(f"no agreement with id {agreement_id}")
        if version is not None and agreement.version != version:
            raise NotFoundError(f"agreement {agreement_id} has no version {version}")
        return agreement

    def get_as_of(self, agreement_id: UUID, as_of: datetime) -> CooperationAgreement:
        """The agreement as it was recorded at a past moment."""
        version = None
        for event in self.app.events.get(agreement_id):
            if event.timestamp > as_of:
                break
            version = event.originator_version
        if version is None:
            self.get(agreement_id)  # 404 if it never existed
            raise NotFoundError(f"agreement {agreement_id} did not exist yet at {as_of.isoformat()}")
        return self.get(agreement_id, version=version)

    def _load_or_none(self, agreement_id: UUID) -> CooperationAgreement | None:
        try:
            return self.get(agreement_id)
        except NotFoundError:
            return None

    def workflow_of(self, agreement: CooperationAgreement) -> WorkflowDefinition:
        return definition(self.kind, agreement.workflow_version)

    @staticmethod
    def step_definition(workflow: WorkflowDefinition, step: str) -> StepDefinition:
        step_def = workflow.step(step)
        if step_def is None:
            raise UnknownStepError(f"there is no step {step!r} in {workflow.kind} workflow v{workflow.version}")
        return step_def

    def available_steps(self, agreement_id: UUID, actor: Actor) -> list[StepDefinition]:
        self.require_role(actor, READERS, "read agreements")
        agreement = self.get(agreement_id)
        return self.workflow_of(agreement).available(agreement.stage, actor.role)

    def history(self, agreement_id: UUID) -> Iterator[HistoryEntry]:
        """Every event of the agreement in order, read from the store itself."""
        rows = select_positioned_events(self.app.recorder, agreement_id)
        if not rows:
            raise NotFoundError(f"no agreement with id {agreement_id}")
        workflow: WorkflowDefinition | None = None
        for position, stored in rows:
            event = self.app.mapper.to_domain_event(stored)
            if workflow is None:
                workflow = definition(self.kind, getattr(event, "workflow_version", 1))
            yield HistoryEntry(
                position=position,
                version=event.originator_version,
                type=workflow.step_for_event(type(event).__name__),
                recorded_at=event.timestamp,
                **record_of(event),
            )

    def position_of(self, agreement_id: UUID, version: int) -> int:
        rows = select_positioned_events(self.app.recorder, agreement_id, gt=version - 1, lte=version)
        return rows[0][0]

    @staticmethod
    def require_role(actor: Actor, roles: tuple[Role, ...], what: str) -> None:
        if actor.role not in roles:
            raise ForbiddenError(f"the role {actor.role.value} may not {what}", role=actor.role.value)
