"""The step service: takes a named step on an aggregate for an authenticated actor, and reads the aggregate's
state and history. Each kind of aggregate has its service (``workflows.agreements``,
``workflows.enlargements``), which adds how one is created and what its steps change in other aggregates.

A step request is answered in this order, so that each caller hears first what concerns it most:

1. the aggregate exists and the step is one of its workflow's (not found), and the caller's role may take
   it (forbidden): nothing else is read of a request its caller may not make;
2. the request is read (the caller's ``read``, given the step's definition: the version the caller expects,
   the fields, why it is taken); the reader refuses what it cannot read;
3. a retry of a keyed request gets the first request's result (``workflows.idempotency``);
4. the expected version is the aggregate's (conflict), and its stage allows the step (not allowed);
5. the aggregate takes the step, enforcing its own rules, and the service saves it in one transaction with
   what the step changed in other aggregates (``consequences``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, NamedTuple
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.errors import DomainError
from domain.records import record_of
from domain.values import Actor, Document, Role, Stage, StepContext
from workflows.application import AccordApplication
from workflows.cache import AggregateCache, working_copy
from workflows.definitions import DOCUMENT_STORED, READERS, StepDefinition, WorkflowDefinition, definition
from workflows.documents import DocumentService
from workflows.errors import (
    ForbiddenError,
    NotFoundError,
    StepNotAllowedError,
    StorageUnavailableError,
    UnknownStepError,
    VersionConflictError,
    WorkflowError,
)
from workflows.fields import to_domain
from workflows.idempotency import first_result_version, is_recorded, with_digest
from workflows.readiness import Readiness, assess


@dataclass(frozen=True)
class Outcome:
    """The state after a write, the position of its event in the global log, and whether it was replayed."""

    aggregate: Any
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class HistoryEntry:
    """One event of an aggregate's history, as its audit trail shows it."""

    position: int
    version: int
    type: str
    recorded_at: datetime
    actor: str
    role: str
    reason: str | None
    reference: str | None
    data: dict[str, Any]
    hash: str
    prev_hash: str
    workflow_version: int = 1
    """The version of the workflow definition the event was taken under: the one its aggregate started
    under (``workflow_version`` of its first event), which a later definition never changes."""


class StepRequest(NamedTuple):
    """What a caller asks of a step: its fields (plain values as a client sends them, or domain values), the
    version of the aggregate the caller last read, and why (the step's context)."""

    fields: Mapping[str, Any]
    expected_version: int
    context: StepContext


RequestReader = Callable[[WorkflowDefinition, StepDefinition], StepRequest]
"""Reads a caller's request for a step of a workflow, once the caller is known to be allowed that step; it
refuses a request it cannot read (an invalid field, a missing expected version) by raising."""


@dataclass(frozen=True)
class StepForm:
    """What a caller needs to ask for a step: the step's definition (its fields with their types and choices,
    who may take it and in which stages, the rules it is bound by) and the aggregate as it was read: its
    version (to send back as the expected version), workflow version and stage."""

    aggregate_id: UUID
    kind: str
    version: int
    workflow_version: int
    stage: Stage
    step: StepDefinition


class ProcessService:
    """Takes steps on one kind of aggregate and reads its state and history."""

    kind: ClassVar[str]
    aggregate_class: ClassVar[type[Aggregate]]
    noun: ClassVar[str]

    def __init__(self, app: AccordApplication, documents: DocumentService | None = None):
        self.app = app
        self.cache = AggregateCache(app.repository, self.aggregate_class)
        self.documents = documents
        """The vault's rules: binds a ``stored_document`` field to the stored bytes (none: such steps refused)."""

    # ---- steps -----------------------------------------------------------------------------------

    def take_step(self, aggregate_id: UUID, step: str, fields: Mapping[str, Any], actor: Actor,
                  expected_version: int, context: StepContext) -> Outcome:
        """Take ``step`` with fields given as values (the seed data, the command line, tests): the request
        is read already."""
        request = StepRequest(fields, expected_version, context)
        return self.take_requested_step(aggregate_id, step, actor, lambda _workflow, _step: request)

    def take_requested_step(self, aggregate_id: UUID, step: str, actor: Actor, read: RequestReader) -> Outcome:
        """Take ``step`` as the caller asks it: ``read`` reads the request once the aggregate and the step are
        known and the caller may take it (the one call an HTTP request or a form makes; see the module's
        docstring for the order of the checks).

        The aggregate's workflow version never changes, so the step is looked up on this process's cached
        aggregate at any version. The step itself runs on a copy of the cached aggregate when that is at the
        version the caller expects (``workflows.cache``): if it is refused there, the refusal is decided again
        on the store's state."""
        seen = self.cache.known(aggregate_id)
        loaded = None if seen is not None else self.get(aggregate_id)
        workflow = self.workflow_of(seen if seen is not None else loaded)
        step_def = self.step_definition(workflow, step)
        self.require_role(actor, step_def.roles, f"take the step {step}")
        request = read(workflow, step_def)
        if loaded is None:
            if seen.version == request.expected_version:
                try:
                    return self._step_on(working_copy(seen), step_def, request, actor)  # unconfirmed
                except (DomainError, WorkflowError) as refusal:
                    if isinstance(refusal, StorageUnavailableError):
                        raise
            loaded = self.get(aggregate_id)
        return self._step_on(loaded, step_def, request, actor)

    def _step_on(self, aggregate: Any, step_def: StepDefinition, request: StepRequest, actor: Actor) -> Outcome:
        step, fields = step_def.name, request.fields
        context = with_digest(request.context, actor, step, fields)
        if is_recorded(aggregate, context):
            return self._replay(aggregate.id, context)
        if request.expected_version != aggregate.version:
            raise VersionConflictError(
                f"the {self.noun} is at version {aggregate.version}, not {request.expected_version}",
                current_version=aggregate.version,
            )
        if aggregate.stage not in step_def.stages:
            allowed = ", ".join(s.value for s in step_def.stages)
            raise StepNotAllowedError(
                f"{step} is not allowed in stage {aggregate.stage.value} (only in {allowed})", step=step
            )
        if "reason" in fields:  # a step whose definition requires the reason: it belongs to the context
            reason = fields["reason"]
            fields = {k: v for k, v in fields.items() if k != "reason"}
            context = dataclasses.replace(context, reason=context.reason or reason)
        fields = self._bound(step_def, fields)
        values = to_domain([f for f in step_def.fields if f.name != "reason"], fields)
        getattr(aggregate, step)(by=actor, context=context, **values)
        others = self.consequences(aggregate, step, values, actor, context)
        outcome = self._save(aggregate, context, others)
        documents = [v for v in values.values() if isinstance(v, Document)]
        if documents and self.documents is not None:
            self.documents.note_references(aggregate.id, documents)
        return outcome

    def _bound(self, step_def: StepDefinition, fields: Mapping[str, Any]) -> Mapping[str, Any]:
        """The fields, each ``stored_document`` bound to the vault's record of it (rule ``document_stored``)."""
        stored = [f.name for f in step_def.fields if f.type == "stored_document" and fields.get(f.name) is not None]
        if not stored:
            return fields
        if self.documents is None:
            raise DomainError("this process has no document vault", rule=DOCUMENT_STORED)
        return {**fields, **{name: self.documents.bound(fields[name], name) for name in stored}}

    def consequences(self, aggregate: Any, step: str, values: Mapping[str, Any], actor: Actor,
                     context: StepContext) -> list[Any]:
        """Other aggregates a step changes in the same transaction (none by default)."""
        return []

    def _created(self, aggregate: Any, context: StepContext) -> Outcome:
        """Save a new aggregate, or replay the first result of the same keyed request."""
        if context.idempotency_key is not None and self._recorded(aggregate.id):
            return self._replay(aggregate.id, context)
        return self._save(aggregate, context)

    def _save(self, aggregate: Any, context: StepContext, others: Sequence[Any] = ()) -> Outcome:
        try:
            recordings = self.app.save(aggregate, *others)
        except IntegrityError:
            current = self._load_or_none(aggregate.id)
            if current is not None and is_recorded(current, context):
                # A conflict with our own write, committed before its acknowledgement was lost.
                return self._replay(aggregate.id, context)
            raise VersionConflictError(
                f"the {self.noun} was changed by someone else; reload and try again",
                current_version=current.version if current else None,
            ) from None
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailableError(f"the event store is unavailable: {error}") from None
        self.cache.keep([aggregate, *others])
        mine = [r for r in recordings if r.domain_event.originator_id == aggregate.id]
        return Outcome(aggregate=aggregate, position=mine[-1].notification.id)

    def _replay(self, aggregate_id: UUID, context: StepContext) -> Outcome:
        """The first result of a request already recorded under the same idempotency key."""
        current = self.get(aggregate_id)
        version = first_result_version(current, context)
        state = current if version == current.version else self.get(aggregate_id, version=version)
        return Outcome(aggregate=state, position=self.position_of(aggregate_id, version), replayed=True)

    # ---- what a caller may ask before taking a step ----------------------------------------------

    def available_steps(self, aggregate_id: UUID, actor: Actor) -> list[StepDefinition]:
        """The steps the caller's role may take in the aggregate's stage (by the definition alone)."""
        self.require_role(actor, READERS, f"read {self.noun}s")
        aggregate = self.get(aggregate_id)
        return self.workflow_of(aggregate).available(aggregate.stage, actor.role)

    def readiness(self, aggregate_id: UUID, actor: Actor) -> Readiness:
        """Which of the steps the caller's role may take now would pass, and what the others wait for,
        decided by the aggregate's own guards on a copy (``workflows.readiness``). Nothing is recorded."""
        self.require_role(actor, READERS, f"read {self.noun}s")
        aggregate = self.get(aggregate_id)
        return assess(aggregate, self.workflow_of(aggregate), actor)

    def step_form(self, aggregate_id: UUID, step: str, actor: Actor) -> StepForm:
        """The form of one step for a caller who may take it: the step's definition and the aggregate's
        version, workflow version and stage. Nothing is recorded."""
        self.require_role(actor, READERS, f"read {self.noun}s")
        aggregate = self.get(aggregate_id)
        step_def = self.step_definition(self.workflow_of(aggregate), step)
        self.require_role(actor, step_def.roles, f"take the step {step}")
        return StepForm(aggregate_id=aggregate.id, kind=self.kind, version=aggregate.version,
                        workflow_version=aggregate.workflow_version, stage=aggregate.stage, step=step_def)

    # ---- reads -----------------------------------------------------------------------------------

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate (its latest version, or ``version``), as a copy the caller may change."""
        try:
            aggregate = self.cache.load(aggregate_id, version)
        except AggregateNotFoundError:
            raise NotFoundError(f"no {self.noun} with id {aggregate_id}") from None
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailableError(f"the event store is unavailable: {error}") from None
        if not isinstance(aggregate, self.aggregate_class):
            raise NotFoundError(f"no {self.noun} with id {aggregate_id}")
        if version is not None and aggregate.version != version:
            raise NotFoundError(f"{self.noun} {aggregate_id} has no version {version}")
        return aggregate

    def get_as_of(self, aggregate_id: UUID, as_of: datetime) -> Any:
        """The aggregate as it was recorded at a past moment."""
        version = None
        for event in self.app.events.get(aggregate_id):
            if event.timestamp > as_of:
                break
            version = event.originator_version
        if version is None:
            self.get(aggregate_id)  # 404 if it never existed
            raise NotFoundError(f"{self.noun} {aggregate_id} did not exist yet at {as_of.isoformat()}")
        return self.get(aggregate_id, version=version)

    def _recorded(self, aggregate_id: UUID) -> bool:
        """Whether anything is recorded under this id (one indexed read; nothing loaded)."""
        try:
            return self.app.latest_version(aggregate_id) is not None
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailableError(f"the event store is unavailable: {error}") from None

    def _load_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.get(aggregate_id)
        except NotFoundError:
            return None

    def workflow_of(self, aggregate: Any) -> WorkflowDefinition:
        return definition(self.kind, aggregate.workflow_version)

    @staticmethod
    def step_definition(workflow: WorkflowDefinition, step: str) -> StepDefinition:
        step_def = workflow.step(step)
        if step_def is None:
            raise UnknownStepError(f"there is no step {step!r} in {workflow.kind} workflow v{workflow.version}")
        return step_def

    def history(self, aggregate_id: UUID, after_version: int | None = None,
                up_to_version: int | None = None) -> Iterator[HistoryEntry]:
        """The aggregate's events in order (all, or those after/up to a version), read from the store itself."""
        rows = self.app.positioned_events(aggregate_id, after_version, up_to_version)
        if not rows:
            if after_version and self._load_or_none(aggregate_id) is not None:
                return
            raise NotFoundError(f"no {self.noun} with id {aggregate_id}")
        workflow: WorkflowDefinition | None = None
        for position, stored in rows:
            event = self.app.mapper.to_domain_event(stored)
            if not isinstance(event, self.aggregate_class.Event):
                raise NotFoundError(f"no {self.noun} with id {aggregate_id}")
            if workflow is None:
                workflow = self.workflow_of(self.get(aggregate_id, version=1)) if after_version else definition(
                    self.kind, getattr(event, "workflow_version", 1))
            yield HistoryEntry(
                position=position,
                version=event.originator_version,
                type=workflow.step_for_event(type(event).__name__),
                recorded_at=event.timestamp,
                **record_of(event),
                workflow_version=workflow.version,
            )

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        rows = self.app.positioned_events(aggregate_id, version - 1, version)
        return rows[0][0]

    @staticmethod
    def require_role(actor: Actor, roles: tuple[Role, ...], what: str) -> None:
        if actor.role not in roles:
            raise ForbiddenError(f"the role {actor.role.value} may not {what}", role=actor.role.value)
