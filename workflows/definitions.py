"""Workflow definitions, kept as data: stages, steps, who may take them, their fields and rules.

The definition is the policy (who, in which stage); the aggregate enforces the invariants that hold
whatever a definition says. Each aggregate records the version it started under, and a later version
applies only to aggregates created after it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import lru_cache

from eventsourcing.utils import resolve_topic

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from domain.observer import ObserverStatus
from domain.recorded import RecordedStatus
from domain.values import AgreementKind, PartyKind, ReviewOutcome, Role, Stage, Target


def values_of(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


@dataclass(frozen=True)
class Field:
    """One input of a step. ``type`` is one of: string, text, date, document, enum."""

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

    def step(self, name: str) -> StepDefinition | None:
        return next((s for s in self.steps if s.name == name), None)

    def step_for_event(self, event_name: str) -> str:
        if event_name == "Created":
            return "created"
        return next((s.name for s in self.steps if s.event == event_name), event_name)

    def available(self, stage: Stage, role: Role) -> list[StepDefinition]:
        return [s for s in self.steps if stage in s.stages and role in s.roles]

    def as_dict(self) -> dict:
        return asdict(self)


IR, LEGAL = Role.IR_OFFICER, Role.LEGAL_OFFICER
READERS = (IR, LEGAL, Role.AUDITOR, Role.MANAGEMENT)
"""Who may read agreements, enlargements, their history, the register and the dashboard."""
DRAFTING, NEGOTIATION, SIGNATURE, IMPLEMENTATION, CLOSED = Stage
ALL_STAGES = tuple(Stage)
DOCUMENT = Field("document", "document", description="{title, sha256, media_type?, uri?}")

AGREEMENT_V1 = WorkflowDefinition(
    kind="agreement",
    version=1,
    stages=ALL_STAGES,
    create_roles=(IR,),
    creation_fields=(
        Field("title", "string"),
        Field("kind", "enum", choices=values_of(AgreementKind)),
        Field("counterparties", "counterparties",
              description=f"1..n of {{name, kind: {'|'.join(values_of(PartyKind))}, country?: ISO 3166-1 alpha-2}}"),
        Field("summary", "text", required=False),
        Field("parent_id", "uuid", required=False),
        Field("expires_on", "date", required=False),
    ),
    steps=(
        StepDefinition("attach_text", (DRAFTING, NEGOTIATION), (IR, LEGAL), "TextAttached", (DOCUMENT,),
                       rule="resets legal clearance: a new text needs a new review"),
        StepDefinition("request_legal_review", (DRAFTING, NEGOTIATION), (IR,), "LegalReviewRequested",
                       rule="needs a text",
                       rules=("needs_text", "review_pending", "already_cleared")),
        StepDefinition("complete_legal_review", (DRAFTING, NEGOTIATION), (LEGAL,), "LegalReviewCompleted",
                       (Field("outcome", "enum", choices=values_of(ReviewOutcome)),
                        Field("comments", "text", required=False)),
                       rule="needs a pending request; four eyes: not by who attached the text",
                       rules=("needs_pending_review", "four_eyes")),
        StepDefinition("open_negotiation", (DRAFTING,), (IR,), "NegotiationOpened",
                       rule="current text cleared", moves_to=NEGOTIATION,
                       rules=("needs_cleared_text",)),
        StepDefinition("record_round", (NEGOTIATION,), (IR,), "RoundRecorded",
                       (Field("held_on", "date"), Field("summary", "text"))),
        StepDefinition("finalise_text", (NEGOTIATION,), (IR,), "TextFinalised",
                       rule="current text cleared; four eyes: not by who cleared it", moves_to=SIGNATURE,
                       rules=("needs_cleared_text", "four_eyes")),
        StepDefinition("record_signature", (SIGNATURE,), (IR, LEGAL), "SignatureRecorded",
                       (Field("party", "string"), Field("signatory", "string"), Field("signed_on", "date"),
                        Field("place", "string", required=False)),
                       rule="party is CERN or a counterparty, once each",
                       rules=("party_unknown", "signed_once")),
        StepDefinition("enter_into_force", (SIGNATURE,), (LEGAL,), "EnteredIntoForce",
                       (Field("effective_on", "date"),),
                       rule="all parties signed; not before the last signature", moves_to=IMPLEMENTATION,
                       rules=("all_parties_signed", "not_before_last_signature")),
        StepDefinition("record_milestone", (IMPLEMENTATION,), (IR,), "MilestoneRecorded",
                       (Field("on", "date"), Field("summary", "text"))),
        StepDefinition("renew", (IMPLEMENTATION,), (LEGAL,), "Renewed", (Field("expires_on", "date"),),
                       rule="later than the current expiry",
                       rules=("has_expiry", "later_expiry")),
        StepDefinition("suspend", (IMPLEMENTATION,), (LEGAL,), "Suspended", (Field("effective_on", "date"),),
                       rule="status in force -> suspended",
                       rules=("status", "dates_in_order")),
        StepDefinition("resume", (IMPLEMENTATION,), (LEGAL,), "Resumed", (Field("effective_on", "date"),),
                       rule="status suspended -> in force",
                       rules=("status", "dates_in_order")),
        StepDefinition("terminate", (IMPLEMENTATION,), (LEGAL,), "Terminated", (Field("effective_on", "date"),),
                       rule="-> closed (terminated)", moves_to=CLOSED,
                       rules=("dates_in_order",)),
        StepDefinition("supersede", (IMPLEMENTATION,), (LEGAL,), "Superseded",
                       (Field("effective_on", "date"),
                        Field("successor_id", "uuid", description="the agreement or enlargement process that "
                                                                  "replaces this one")),
                       rule="-> closed (superseded), linked to its successor (an agreement or enlargement process "
                            "on record: rule successor_exists); from the day it takes over",
                       moves_to=CLOSED, rules=("not_self", "dates_in_order")),
        StepDefinition("expire", (IMPLEMENTATION,), (LEGAL,), "Expired",
                       rule="expiry date has passed; -> closed (expired)", moves_to=CLOSED,
                       rules=("expiry_passed",)),
        StepDefinition("withdraw", (DRAFTING, NEGOTIATION, SIGNATURE), (IR,), "Withdrawn",
                       rule="-> closed (withdrawn)", moves_to=CLOSED),
        StepDefinition("correct", ALL_STAGES, (LEGAL,), "Corrected",
                       (Field("field", "enum", choices=tuple(CooperationAgreement.CORRECTABLE)),
                        Field("value", "string")),
                       rule="corrects a real-world date or the title; a new event, never a rewrite; an agreement "
                            "never ends before it enters into force",
                       rules=("correctable_field", "changes_something", "has_effective_on", "has_closed_on",
                              "not_before_last_signature", "dates_in_order")),
    ),
)

ENLARGEMENT_V1 = WorkflowDefinition(
    kind="enlargement",
    version=1,
    stages=ALL_STAGES,
    create_roles=(IR,),
    creation_fields=(
        Field("state", "state", description="{name, country: ISO 3166-1 alpha-2}"),
        Field("target", "enum", choices=values_of(Target)),
        Field("applied_on", "date",
              description="the application letter, or the Council decision opening the process"),
    ),
    steps=(
        StepDefinition("establish_task_force", (DRAFTING,), (IR,), "TaskForceEstablished",
                       (Field("decided_on", "date"),), rule="Council decision on a fact-finding task force",
                       rules=("task_force_once", "dates_in_order")),
        StepDefinition("submit_task_force_report", (DRAFTING,), (IR,), "TaskForceReportSubmitted",
                       (Field("submitted_on", "date"), DOCUMENT), rule="after the task force",
                       rules=("needs_task_force", "report_once", "dates_in_order")),
        StepDefinition("authorise_negotiation", (DRAFTING,), (IR,), "NegotiationAuthorised",
                       (Field("decided_on", "date"),),
                       rule="Council authorises negotiation; after the task force's report if one was set up",
                       moves_to=NEGOTIATION,
                       rules=("task_force_report_pending", "dates_in_order")),
        StepDefinition("attach_text", (NEGOTIATION,), (IR, LEGAL), "TextAttached", (DOCUMENT,),
                       rule="resets legal clearance: a new text needs a new review"),
        StepDefinition("request_legal_review", (NEGOTIATION,), (IR,), "LegalReviewRequested", rule="needs a text",
                       rules=("needs_text", "review_pending", "already_cleared")),
        StepDefinition("complete_legal_review", (NEGOTIATION,), (LEGAL,), "LegalReviewCompleted",
                       (Field("outcome", "enum", choices=values_of(ReviewOutcome)),
                        Field("comments", "text", required=False)),
                       rule="needs a pending request; four eyes: not by who attached the text",
                       rules=("needs_pending_review", "four_eyes")),
        StepDefinition("record_round", (NEGOTIATION,), (IR,), "RoundRecorded",
                       (Field("held_on", "date"), Field("summary", "text"))),
        StepDefinition("approve_agreement", (NEGOTIATION,), (IR,), "AgreementApproved",
                       (Field("decided_on", "date"),), rule="Council approval; current text cleared",
                       moves_to=SIGNATURE,
                       rules=("needs_cleared_text", "dates_in_order")),
        StepDefinition("sign_agreement", (SIGNATURE,), (IR,), "AgreementSigned",
                       (Field("signed_on", "date"), Field("signatories", "names")), rule="once",
                       rules=("signed_once", "dates_in_order")),
        StepDefinition("notify_ratification", (SIGNATURE,), (LEGAL,), "RatificationNotified",
                       (Field("notified_on", "date"),), rule="after signature: the state completed its procedures",
                       rules=("needs_signature", "ratified_once", "dates_in_order")),
        StepDefinition("enter_into_force", (SIGNATURE,), (LEGAL,), "EnteredIntoForce",
                       (Field("effective_on", "date"),),
                       rule="signed and ratified; the register changes on effective_on; a status of the same "
                            "state still in force ends that day", moves_to=IMPLEMENTATION,
                       rules=("signed_and_ratified", "dates_in_order")),
        StepDefinition("end_participation", (IMPLEMENTATION,), (LEGAL,), "ParticipationEnded",
                       (Field("effective_on", "date"), Field("reason", "text")),
                       rule="withdrawal or conversion; the reason is required", moves_to=CLOSED,
                       rules=("dates_in_order",)),
        StepDefinition("withdraw", (DRAFTING, NEGOTIATION, SIGNATURE), (IR,), "Withdrawn",
                       rule="-> closed (withdrawn)", moves_to=CLOSED),
        StepDefinition("correct", ALL_STAGES, (LEGAL,), "Corrected",
                       (Field("field", "enum", choices=tuple(EnlargementProcess.CORRECTABLE)),
                        Field("value", "string")),
                       rule="corrects a real-world date; a new event, never a rewrite; the dates stay in the "
                            "order of the steps, and a status never ends before it begins",
                       rules=("correctable_field", "changes_something", "dates_in_order", "has_effective_on",
                              "has_ended_on", "has_date")),
    ),
)

OBSERVER_V1 = WorkflowDefinition(
    kind="observer",
    version=1,
    stages=(DRAFTING, IMPLEMENTATION, CLOSED),
    create_roles=(IR,),
    creation_fields=(
        Field("party", "counterparty",
              description=f"{{name, kind: {'|'.join(values_of(PartyKind))}, country?: ISO 3166-1 alpha-2}}"),
        Field("requested_on", "date", description="the request, or the first step of record"),
    ),
    steps=(
        StepDefinition("grant", (DRAFTING,), (IR,), "Granted",
                       (Field("decided_on", "date"), Field("scope", "string", required=False,
                                                           description="e.g. LHC, HL-LHC; none: in general"),
                        Field("resolution", "string", required=False)),
                       rule="Council decision; the status holds from decided_on", moves_to=IMPLEMENTATION,
                       rules=("dates_in_order",)),
        StepDefinition("suspend", (IMPLEMENTATION,), (LEGAL,), "Suspended", (Field("effective_on", "date"),),
                       rule="active -> suspended", rules=("status", "dates_in_order")),
        StepDefinition("resume", (IMPLEMENTATION,), (LEGAL,), "Resumed", (Field("effective_on", "date"),),
                       rule="suspended -> active", rules=("status", "dates_in_order")),
        StepDefinition("end_status", (IMPLEMENTATION,), (LEGAL,), "Ended",
                       (Field("effective_on", "date"), Field("reason", "text")),
                       rule="the first day without the status; the reason is required", moves_to=CLOSED,
                       rules=("dates_in_order",)),
        StepDefinition("withdraw", (DRAFTING,), (IR,), "Withdrawn", rule="-> closed (withdrawn)",
                       moves_to=CLOSED),
    ),
)

DEFINITIONS: dict[tuple[str, int], WorkflowDefinition] = {
    ("agreement", 1): AGREEMENT_V1,
    ("enlargement", 1): ENLARGEMENT_V1,
    ("observer", 1): OBSERVER_V1,
}
CURRENT: dict[str, WorkflowDefinition] = {"agreement": AGREEMENT_V1, "enlargement": ENLARGEMENT_V1,
                                          "observer": OBSERVER_V1}


def definition(kind: str, version: int) -> WorkflowDefinition:
    return DEFINITIONS[(kind, version)]


def describe_event(event: object) -> tuple[str, str]:
    """(aggregate type, public step name) of a stored event, for journals and audit trails."""
    return describe_class(type(event))


def describe_class(cls: type) -> tuple[str, str]:
    """(aggregate type, public step name) of an event class."""
    name = cls.__name__
    if issubclass(cls, CooperationAgreement.Event):
        return "agreement", CURRENT["agreement"].step_for_event(name)
    if issubclass(cls, EnlargementProcess.Event):
        return "enlargement", CURRENT["enlargement"].step_for_event(name)
    if issubclass(cls, ObserverStatus.Event):
        return "observer", CURRENT["observer"].step_for_event(name)
    if issubclass(cls, RecordedStatus.Event):
        return "record", _snake(name)
    owner = cls.__qualname__.split(".")[0]
    return "access", _snake(f"{owner}{name}")


def describe_topic(topic: str) -> tuple[str, str, int]:
    """(aggregate type, public step name, class version) of a stored event's topic. An event stored at that
    class version (its stored ``class_version``, 1 when it has none) reads from its stored JSON as it decodes;
    one stored at an earlier version must be decoded, since only the decoder applies the upcasts."""
    cls = resolve_topic(topic)  # the library keeps resolved topics
    return (*_described(cls), getattr(cls, "class_version", 1))


@lru_cache(maxsize=256)
def _described(cls: type) -> tuple[str, str]:
    return describe_class(cls)


def step_name(kind: str, event_name: str) -> str:
    return CURRENT[kind].step_for_event(event_name)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
