"""The parts every workflow definition is made of, and the names they share.

Workflow definitions, kept as data: stages, steps, who may take them, their fields and rules.

The definition is the policy (who, in which stage); the aggregate enforces the invariants that hold
whatever a definition says. Each aggregate records the version it started under, and a later version
applies only to aggregates created after it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import Enum

from domain.values import Role, Stage


def values_of(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


@dataclass(frozen=True)
class Field:
    """One input of a step. ``type`` is one of: string, text, date, document, enum, months (a whole number of
    months, 1 to 1200), and the value objects' (state, counterparty, counterparties, names, uuid)."""

    name: str
    type: str
    required: bool = True
    choices: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class StepDefinition:
    """One step of a workflow: its name (the aggregate's command), the stages it may be taken in, the roles
    that may take it, the event it records, its fields, and the stage it moves to.

    ``rule`` says in words what binds the step; ``rules`` names the rules the aggregate enforces on it, by
    the slug its ``DomainError`` carries (``rule="..."`` at the raise in ``domain/``, also the ``rule`` of
    the API's problem): search a slug to find where it is enforced. The stage guard (``stage``) and
    malformed values (``invalid_value``) are common to every step and not listed."""

    name: str
    stages: tuple[Stage, ...]
    roles: tuple[Role, ...]
    event: str
    fields: tuple[Field, ...] = ()
    rule: str = ""
    moves_to: Stage | None = None
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkflowDefinition:
    kind: str
    version: int
    stages: tuple[Stage, ...]
    create_roles: tuple[Role, ...]
    creation_fields: tuple[Field, ...]
    steps: tuple[StepDefinition, ...] = field(default=())
    clock: tuple[StepDefinition, ...] = field(default=())
    """What the passing of time decides under this version, recorded by the clock (``workflows.clock``) as a
    system actor: never offered to people, so not among ``steps``."""

    def step(self, name: str) -> StepDefinition | None:
        return next((s for s in self.steps if s.name == name), None)

    def step_for_event(self, event_name: str) -> str:
        if event_name == "Created":
            return "created"
        return next((s.name for s in (*self.steps, *self.clock) if s.event == event_name), event_name)

    def available(self, stage: Stage, role: Role) -> list[StepDefinition]:
        return [s for s in self.steps if stage in s.stages and role in s.roles]

    def as_dict(self) -> dict:
        return asdict(self)


IR, LEGAL, SYSTEM = Role.IR_OFFICER, Role.LEGAL_OFFICER, Role.SYSTEM
READERS = (IR, LEGAL, Role.AUDITOR, Role.MANAGEMENT)
"""Who may read agreements, enlargements, their history, the register and the dashboard."""
DRAFTING, NEGOTIATION, SIGNATURE, IMPLEMENTATION, CLOSED = Stage
ALL_STAGES = tuple(Stage)
DOCUMENT = Field("document", "document", description="{title, sha256, media_type?, uri?}")
STORED_DOCUMENT = Field("document", "stored_document",
                        description="{title, sha256}: the sha256 of a document uploaded to POST /api/v1/documents; "
                                    "the step records its size, media type and filename as the vault has them")
DOCUMENT_STORED = "document_stored"
"""The rule that a step's document is one the vault holds (workflows.documents)."""


def bound_to_stored_bytes(step: StepDefinition) -> StepDefinition:
    """``step`` with its document field taking an uploaded document's sha256 (rule ``document_stored``)."""
    return replace(step, fields=tuple(STORED_DOCUMENT if f.type == "document" else f for f in step.fields),
                   rules=(*step.rules, DOCUMENT_STORED))


def entry_field(entry_dates: dict[str, str]) -> Field:
    """``correct``'s field naming which entry a date of a step taken more than once belongs to."""
    return Field("entry", "string", required=False,
                 description="only for " + "; ".join(f"{name}: {what}" for name, what in entry_dates.items()))


def revised(base: WorkflowDefinition, version: int, steps: tuple[StepDefinition, ...] = (),
            creation_fields: tuple[Field, ...] = (), without: tuple[str, ...] = (),
            clock: tuple[StepDefinition, ...] = ()) -> WorkflowDefinition:
    """A later version of ``base``: its steps, less those named in ``without``, with each step of ``steps``
    replacing the step of the same name or added after them; its creation fields plus ``creation_fields``;
    its clock's decisions plus ``clock``."""
    replaced = {s.name: s for s in steps}
    kept = tuple(replaced.pop(s.name, s) for s in base.steps if s.name not in without)
    return replace(base, version=version, steps=kept + tuple(replaced.values()),
                   creation_fields=base.creation_fields + creation_fields, clock=base.clock + clock)
