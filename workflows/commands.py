"""The command services: take a named step on an aggregate, for an authenticated actor.

A service checks the caller's role and stage against the aggregate's workflow definition and the caller's
expected version, calls the aggregate, saves, and returns the new state with the event's global position.
A request carrying an idempotency key is recorded with its event; sending it again returns the first
result, whether the retry comes before or after the store reported a conflict on the caller's own write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from domain.errors import DomainError, InvalidValueError, StageError
from domain.lifecycle import remembered_digest
from domain.records import plain, record_of
from domain.values import (
    Actor,
    AgreementKind,
    Counterparty,
    Document,
    PartyKind,
    ReviewOutcome,
    Role,
    Stage,
    State,
    StepContext,
    Target,
)
from workflows.application import AccordApplication, replay
from workflows.definitions import CURRENT, READERS, Field, StepDefinition, WorkflowDefinition, definition
from workflows.errors import (
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    StepNotAllowedError,
    StorageUnavailableError,
    UnknownStepError,
    VersionConflictError,
    WorkflowError,
)

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.invalid/idempotency")
PROCESS_NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.invalid/enlargement")
UNCONFIRMED = "_accord_unconfirmed"
"""Marks a copy of a cached aggregate that was not brought up to date from the store (``_cached_at``)."""


@dataclass(frozen=True)
class Outcome:
    """The state after a write, the position of its event in the global log, and whether it was replayed."""

    aggregate: Any
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
    hash: str
    prev_hash: str


def request_digest(actor: Actor, action: str, fields: Mapping[str, Any], context: StepContext) -> str:
    """A digest of what was asked, to tell a retry from a different request under the same key: the SHA-256
    of ``json.dumps(asked, sort_keys=True, separators=(",", ":"))`` (ASCII: other text escaped). Events record
    it and retries are compared with it, so these bytes never change."""
    given = dict(fields)
    if not _orjson_writes_alike(given):  # plain() would give an equal copy, written the same
        given = plain(given)
    asked = [actor.name, action, given, context.reason, context.reference]
    return hashlib.sha256(sorted_json(asked)).hexdigest()


def sorted_json(value: Any) -> bytes:
    """``json.dumps(value, sort_keys=True, separators=(",", ":")).encode()``, written by orjson (a fraction
    of the time) when it writes the same bytes: for text, integers, booleans, null, lists and tuples, and
    dicts with text keys, when the result is printable ASCII. orjson writes other text unescaped (json.dumps
    writes "\\u00e9" for "é", "\\u007f" for DEL), some floats otherwise (1e16 for 1e+16, null for NaN),
    and types json.dumps refuses (a time of day); those go to json.dumps itself."""
    if _orjson_writes_alike(value):
        try:
            encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a lone surrogate
            pass
        else:
            if encoded.isascii() and b"\x7f" not in encoded:
                return encoded
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _orjson_writes_alike(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not _orjson_writes_alike(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            if not _orjson_writes_alike(item):
                return False
        return True
    return False


def _date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "date": _date,
    "uuid": lambda v: UUID(v) if isinstance(v, str) else v,
    "document": lambda d: Document(**d),
    "state": lambda d: State(name=d["name"], country=d["country"]),
    "names": tuple,
    "counterparties": lambda items: tuple(
        Counterparty(name=i["name"], kind=PartyKind(i["kind"]), country=i.get("country")) for i in items
    ),
}
ENUM_FIELDS: dict[str, type[Enum]] = {"outcome": ReviewOutcome, "kind": AgreementKind, "target": Target}


def to_domain(fields_def: Sequence[Field], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The step's fields as domain values (dates, enums, value objects), from API or plain input."""
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


class ProcessService:
    """Takes steps on one kind of aggregate and reads its state and history."""

    kind: ClassVar[str]
    aggregate_class: ClassVar[type[Aggregate]]
    noun: ClassVar[str]

    def __init__(self, app: AccordApplication):
        self.app = app

    # ---- writes ----------------------------------------------------------------------------------

    def prepare(self, aggregate_id: UUID, step: str, actor: Actor,
                expected_version: int | None = None) -> tuple[Any, StepDefinition]:
        """Load the aggregate and find the step, refusing an unknown step or a role that may not take it.

        With the version the caller expects (If-Match), a cached copy at exactly that version is used without
        asking the store whether it has moved on (see ``_cached_at``)."""
        aggregate = self._cached_at(aggregate_id, expected_version) or self.get(aggregate_id)
        step_def = self.step_definition(self.workflow_of(aggregate), step)
        self.require_role(actor, step_def.roles, f"take the step {step}")
        return aggregate, step_def

    def _cached_at(self, aggregate_id: UUID, version: int | None) -> Any:
        """A copy of this process's cached aggregate if it is at ``version``, else None.

        The copy is unconfirmed: the store may hold later versions. A step taken on it is saved only if the
        store is still at that version (the event store's unique key refuses the insert otherwise, which
        ``_save`` reports from the store's state), and any refusal decided on the copy is decided again on
        the store's state (``take_step``). So the answer is always the one a fresh load would give, and the
        usual case (the step follows this process's own last write) saves a read."""
        cache = self.app.repository.cache
        if version is None or cache is None:
            return None
        try:
            cached = cache.get(aggregate_id)
        except KeyError:
            return None
        if not isinstance(cached, self.aggregate_class) or cached.version != version:
            return None
        copy = cached.working_copy()
        copy.__dict__[UNCONFIRMED] = True
        return copy

    def _remember(self, aggregates: Sequence[Any]) -> None:
        """Keep what was just saved in this process's cache, so the next step on it needs no read."""
        cache = self.app.repository.cache
        if cache is None:
            return
        for aggregate in aggregates:
            aggregate.__dict__.pop(UNCONFIRMED, None)
            try:
                cached = cache.get(aggregate.id)
            except KeyError:
                cached = None
            if cached is None or cached.version < aggregate.version:
                cache.put(aggregate.id, aggregate.working_copy())

    def take_step(self, aggregate_id: UUID, step: str, fields: Mapping[str, Any], actor: Actor,
                  expected_version: int, context: StepContext, loaded: Any = None) -> Outcome:
        if loaded is None:
            loaded, _ = self.prepare(aggregate_id, step, actor, expected_version)
        if loaded.__dict__.pop(UNCONFIRMED, False):
            try:
                return self._take_step(loaded, step, fields, actor, expected_version, context)
            except (DomainError, WorkflowError) as refusal:
                if isinstance(refusal, StorageUnavailableError):
                    raise
                loaded = self.get(aggregate_id)  # decided on a copy the store had not confirmed: decide again
        return self._take_step(loaded, step, fields, actor, expected_version, context)

    def _take_step(self, aggregate: Any, step: str, fields: Mapping[str, Any], actor: Actor,
                   expected_version: int, context: StepContext) -> Outcome:
        aggregate_id = aggregate.id
        step_def = self.step_definition(self.workflow_of(aggregate), step)
        self.require_role(actor, step_def.roles, f"take the step {step}")
        context = self._with_digest(context, actor, step, fields)
        fields_reason = fields.get("reason")
        if context.idempotency_key in aggregate.requests:
            return self._replay(aggregate_id, context)
        if expected_version != aggregate.version:
            raise VersionConflictError(
                f"the {self.noun} is at version {aggregate.version}, not {expected_version}",
                current_version=aggregate.version,
            )
        if aggregate.stage not in step_def.stages:
            allowed = ", ".join(s.value for s in step_def.stages)
            raise StepNotAllowedError(
                f"{step} is not allowed in stage {aggregate.stage.value} (only in {allowed})", step=step
            )
        if "reason" in fields:  # a step whose definition requires the reason: it belongs to the context
            fields = {k: v for k, v in fields.items() if k != "reason"}
            context = dataclasses.replace(context, reason=context.reason or fields_reason)
        values = to_domain([f for f in step_def.fields if f.name != "reason"], fields)
        getattr(aggregate, step)(by=actor, context=context, **values)
        others = self.consequences(aggregate, step, values, actor, context)
        return self._save(aggregate, context, others)

    def consequences(self, aggregate: Any, step: str, values: Mapping[str, Any], actor: Actor,
                     context: StepContext) -> list[Any]:
        """Other aggregates a step changes in the same transaction (none by default)."""
        return []

    @staticmethod
    def _with_digest(context: StepContext, actor: Actor, action: str, fields: Mapping[str, Any]) -> StepContext:
        if context.idempotency_key is None:
            return context
        given = {k: v for k, v in fields.items() if v is not None}  # an omitted optional field is the same request
        return dataclasses.replace(context, request_digest=request_digest(actor, action, given, context))

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
            if current is not None and context.idempotency_key in current.requests:
                # A conflict with our own write, committed before its acknowledgement was lost.
                return self._replay(aggregate.id, context)
            raise VersionConflictError(
                f"the {self.noun} was changed by someone else; reload and try again",
                current_version=current.version if current else None,
            ) from None
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailableError(f"the event store is unavailable: {error}") from None
        self._remember([aggregate, *others])
        mine = [r for r in recordings if r.domain_event.originator_id == aggregate.id]
        return Outcome(aggregate=aggregate, position=mine[-1].notification.id)

    def _replay(self, aggregate_id: UUID, context: StepContext) -> Outcome:
        """The first result of a request already recorded under the same idempotency key."""
        current = self.get(aggregate_id)
        version, digest = current.requests.get(context.idempotency_key, (None, None))
        if version is None or digest != remembered_digest(context.request_digest):
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used for a different request", key=context.idempotency_key
            )
        state = current if version == current.version else self.get(aggregate_id, version=version)
        return Outcome(aggregate=state, position=self.position_of(aggregate_id, version), replayed=True)

    # ---- reads -----------------------------------------------------------------------------------

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any:
        try:
            aggregate = self.app.repository.get(aggregate_id, version=version, projector_func=replay)
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

    def available_steps(self, aggregate_id: UUID, actor: Actor) -> list[StepDefinition]:
        self.require_role(actor, READERS, f"read {self.noun}s")
        aggregate = self.get(aggregate_id)
        return self.workflow_of(aggregate).available(aggregate.stage, actor.role)

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
            )

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        rows = self.app.positioned_events(aggregate_id, version - 1, version)
        return rows[0][0]

    @staticmethod
    def require_role(actor: Actor, roles: tuple[Role, ...], what: str) -> None:
        if actor.role not in roles:
            raise ForbiddenError(f"the role {actor.role.value} may not {what}", role=actor.role.value)


class AgreementService(ProcessService):
    """Cooperation agreements."""

    kind = "agreement"
    aggregate_class = CooperationAgreement
    noun = "agreement"

    def create(self, fields: Mapping[str, Any], actor: Actor, context: StepContext) -> Outcome:
        workflow = CURRENT[self.kind]
        self.require_role(actor, workflow.create_roles, "create an agreement")
        context = self._with_digest(context, actor, "create", fields)
        values = to_domain(workflow.creation_fields, fields)
        if values.get("parent_id") is not None and self._load_or_none(values["parent_id"]) is None:
            raise InvalidValueError("parent_id names no agreement", field="parent_id", rule="parent_exists")
        keyed_id = (uuid5(IDEMPOTENCY_NAMESPACE, f"{actor.name}\n{context.idempotency_key}")
                    if context.idempotency_key is not None else None)
        agreement = CooperationAgreement.start(
            by=actor, context=context, workflow_version=workflow.version, id=keyed_id, **values
        )
        return self._created(agreement, context)


class EnlargementService(ProcessService):
    """Enlargement processes: one open process per state and target at a time.

    The n-th process of a state towards a target has the id uuid5(country, target, n), so "one open
    process" is enforced by the event store itself: two concurrent creates cannot both take number n.
    """

    kind = "enlargement"
    aggregate_class = EnlargementProcess
    noun = "enlargement process"

    @staticmethod
    def process_id(country: str, target: Target, number: int) -> UUID:
        return uuid5(PROCESS_NAMESPACE, f"{country}\n{target.value}\n{number}")

    def processes_of(self, country: str, target: Target) -> list[EnlargementProcess]:
        """Every process of a state towards a target, oldest first."""
        found = []
        while (process := self._load_or_none(self.process_id(country, target, len(found) + 1))) is not None:
            found.append(process)
        return found

    def create(self, fields: Mapping[str, Any], actor: Actor, context: StepContext) -> Outcome:
        workflow = CURRENT[self.kind]
        self.require_role(actor, workflow.create_roles, "open an enlargement process")
        context = self._with_digest(context, actor, "create", fields)
        values = to_domain(workflow.creation_fields, fields)
        state, target = values["state"], values["target"]
        state.check()
        earlier = self.processes_of(state.country, target)
        for process in earlier:
            if context.idempotency_key is not None and context.idempotency_key in process.requests:
                return self._replay(process.id, context)
        if earlier and earlier[-1].stage is not Stage.CLOSED:
            raise StageError(
                f"{state.name} already has an open {target.value} process ({earlier[-1].id})", rule="one_open_process"
            )
        process = EnlargementProcess.start(
            by=actor, context=context, workflow_version=workflow.version,
            id=self.process_id(state.country, target, len(earlier) + 1), **values,
        )
        return self._created(process, context)

    def consequences(self, aggregate: Any, step: str, values: Mapping[str, Any], actor: Actor,
                     context: StepContext) -> list[Any]:
        """A state holds one status at a time: a new status in force ends the one it replaces, that day; and
        correcting the new status's start moves the end of the one it replaced with it."""
        if step == "correct" and values["field"] == "effective_on":
            return self._move_replaced_end(aggregate, actor, context)
        if step != "enter_into_force":
            return []
        ended = []
        for target in Target:
            if target is aggregate.target:
                continue
            processes = self.processes_of(aggregate.state.country, target)
            if processes and processes[-1].stage is Stage.IMPLEMENTATION:
                previous = processes[-1]
                previous.end_participation(
                    by=actor,
                    context=StepContext(reason=f"superseded by {aggregate.target.value} ({aggregate.id})",
                                        reference=context.reference),
                    effective_on=values["effective_on"],
                )
                ended.append(previous)
        return ended

    def _move_replaced_end(self, process: EnlargementProcess, actor: Actor, context: StepContext) -> list[Any]:
        previous = process.pending_events[-1].previous
        moved = []
        for target in Target:
            for other in self.processes_of(process.state.country, target):
                if other.id != process.id and other.ended_on is not None and other.ended_on.isoformat() == previous \
                        and str(process.id) in (other_reason := self._end_reason(other)):
                    other.correct(by=actor, context=StepContext(reason=f"follows the correction of {process.id}: "
                                                                       f"{other_reason}", reference=context.reference),
                                  field="ended_on", value=process.effective_on.isoformat())
                    moved.append(other)
        return moved

    def _end_reason(self, process: EnlargementProcess) -> str:
        ended = [e for e in self.history(process.id) if e.type == "end_participation"]
        return ended[-1].reason or "" if ended else ""
