"""The enlargement process: a state becoming an Associate Member, an Associate Member in the pre-stage to
Membership, or a Member State, and later ending that participation.

The dates of each Council decision and of the state's own procedures are real-world dates given by the
user; they must follow each other in order. The process in force is what the participation register shows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValueError, StageError
from domain.lifecycle import Lifecycle, remember_request
from domain.values import (
    Actor,
    Document,
    ProcessStatus,
    ReviewOutcome,
    Role,
    Stage,
    State,
    StepContext,
    Target,
)

T = "accord.enlargement:"  # prefix of every stored topic; never change a released topic

SUPERSEDED_BY_V1 = re.compile(r"superseded by [a-z_]+ \((?P<id>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})\)")
"""The reason the enlargement service gave a status it ended on a conversion, "superseded by <target>
(<process id>)", as version 1 events of ``ParticipationEnded`` hold it (the only place their link to the
superseding process is written)."""


MAX_RESOLUTION_LENGTH = 200
PRE_STAGE_MINIMUM_YEARS = 2
PRE_STAGE_MAXIMUM_YEARS = 5
"""Associate Membership in the pre-stage lasts at least two years and at most five (DOMAIN.md 3.3, step 8:
"minimum of two and maximum of five years"): policy parameters, not a rule of the Convention."""


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls on 28 February of a common year (the last day of the
    same month, never a day of the next one)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class PreStageLimits:
    """When an Associate Membership in the pre-stage may end in Membership: read from the pre-stage process's
    entry into force (``began_on``, its ``effective_on``, corrections included). ``min_end_on`` is the
    earliest day (``began_on`` + 2 years), ``max_end_on`` the latest (``began_on`` + 5 years); DOMAIN.md P2
    calls them minEndDate and maxEndDate. ``process_id`` is the pre-stage process they are read from."""

    process_id: object  # UUID
    began_on: date
    min_end_on: date
    max_end_on: date


AGREEMENT, ACCESSION = "agreement", "accession"
ROUTES = (AGREEMENT, ACCESSION)
"""How a process reaches its status: by a bilateral agreement the Council approves and both sides sign and
the state ratifies (Associate Membership, in the pre-stage or not), or by accession to the Convention
(Membership, DOMAIN.md 3.3 steps 10 to 12: the Council's resolution admitting the state, then the state's
instrument of accession deposited with the Director-General of UNESCO; no bilateral signature)."""


class EnlargementProcess(Lifecycle, Aggregate):
    """One state's process towards one target status, from application to the end of participation."""

    TOPIC = T + "EnlargementProcess"
    NOUN = "enlargement process"
    TEXT_STAGES = (Stage.NEGOTIATION,)
    DATES_IN_ORDER = ("applied_on", "task_force_on", "task_force_report_on", "negotiation_authorised_on",
                      "approved_on", "signed_on", "ratification_notified_on", "admitted_on", "deposited_on",
                      "effective_on", "ended_on")
    """Every real-world date of a process, in the order its steps record them."""
    ACCESSION_DATES = ("admitted_on", "deposited_on")
    """The dates only a process by accession records."""
    CORRECTABLE = dict.fromkeys(DATES_IN_ORDER, "date")
    route: str = AGREEMENT
    """``AGREEMENT`` or ``ACCESSION`` (``ROUTES``), chosen when the process opens (a class default: a process
    recorded before there was a route went by agreement)."""
    admitted_on: date | None = None
    admission_resolution: str | None = None
    deposited_on: date | None = None

    class Event(Aggregate.Event):
        """Every enlargement event records who took the step and why."""

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
    def start(cls, *, by: Actor, context: StepContext, state: State, target: Target, applied_on: date,
              workflow_version: int, id: Any = None, route: str = AGREEMENT) -> EnlargementProcess:  # noqa: A002
        """Open a process on the date of the application (or of the Council decision that opens it); only
        Membership goes by accession."""
        by.check()
        context.check()
        state.check()
        if route not in ROUTES:
            raise InvalidValueError(f"route is one of {', '.join(ROUTES)}", field="route")
        if route == ACCESSION and Target(target) is not Target.MEMBER:
            raise InvalidValueError("only Membership goes by accession", field="route", rule="accession_only")
        kwargs = dict(by=by, context=context, state=State(state.name.strip(), state.country),
                      target=Target(target), applied_on=applied_on, workflow_version=workflow_version, route=route)
        return cls(**kwargs) if id is None else cls._create(cls.Created, id=id, **kwargs)

    @event("Created", topic=T + "Created")
    def __init__(self, by: Actor, context: StepContext, state: State, target: Target, applied_on: date,
                 workflow_version: int = 1,  # a default: the field every event declares (see Event)
                 route: str = AGREEMENT) -> None:
        self._init_lifecycle()
        self.created_by = by.name
        self.state = state
        self.target = target
        self.applied_on = applied_on
        self.workflow_version = workflow_version
        self.route = route
        self.stage = Stage.DRAFTING
        self.status = ProcessStatus.DRAFT
        self.task_force_on: date | None = None
        self.task_force_report: Document | None = None
        self.task_force_report_on: date | None = None
        self.negotiation_authorised_on: date | None = None
        self.approved_on: date | None = None
        self.signed_on: date | None = None
        self.signatories: list[str] = []
        self.ratification_notified_on: date | None = None
        self.effective_on: date | None = None
        self.ended_on: date | None = None

    @property
    def title(self) -> str:
        return f"{self.state.name}: {self.target.value.replace('_', ' ')}"

    @property
    def pre_stage_limits(self) -> PreStageLimits | None:
        """The limits of this Associate Membership in the pre-stage once it has entered into force (None for
        any other target, or before)."""
        if self.target is not Target.ASSOCIATE_MEMBER_PRE_STAGE or self.effective_on is None:
            return None
        return PreStageLimits(process_id=self.id, began_on=self.effective_on,
                              min_end_on=years_after(self.effective_on, PRE_STAGE_MINIMUM_YEARS),
                              max_end_on=years_after(self.effective_on, PRE_STAGE_MAXIMUM_YEARS))

    def _latest_date(self) -> date:
        """The latest real-world date recorded so far: every new step's date must not precede it."""
        dates = [getattr(self, name) for name in self.DATES_IN_ORDER if name != "ended_on"]
        return max(d for d in dates if d is not None)

    def _require_route(self, route: str, to: str) -> None:
        """A step of one route only: the bilateral agreement's steps are refused to a process by accession
        (``accession_route``), the accession's to a process by agreement (``accession_only``)."""
        if self.route == route:
            return
        if self.route == ACCESSION:
            raise StageError(f"cannot {to}: Membership comes by accession to the Convention, with no bilateral "
                             "agreement", rule="accession_route")
        raise StageError(f"cannot {to}: only a process to Membership by accession can", rule="accession_only")

    def _require_in_order(self, when: date, field: str) -> None:
        self._require_on_or_after(when, self._latest_date(), field, "the process's previous step")

    # ---- drafting: the Council looks into the application -----------------------------------------

    def establish_task_force(self, by: Actor, context: StepContext, decided_on: date) -> None:
        """The Council sets up a task force (fact-finding group) to assess the state."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, to="establish a task force")
        if self.task_force_on is not None:
            raise StageError("a task force was already established", rule="task_force_once")
        self._require_in_order(decided_on, "decided_on")
        self._task_force_established(by=by, context=context, decided_on=decided_on)

    @event("TaskForceEstablished", topic=T + "TaskForceEstablished")
    def _task_force_established(self, by: Actor, context: StepContext, decided_on: date) -> None:
        self.task_force_on = decided_on

    def submit_task_force_report(self, by: Actor, context: StepContext, submitted_on: date,
                                 document: Document) -> None:
        """The task force reports to the Council."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, to="submit a task force report")
        if self.task_force_on is None:
            raise StageError("establish the task force first", rule="needs_task_force")
        if self.task_force_report is not None:
            raise StageError("the task force has already reported", rule="report_once")
        document.check()
        self._require_in_order(submitted_on, "submitted_on")
        self._task_force_report_submitted(by=by, context=context, submitted_on=submitted_on, document=document)

    @event("TaskForceReportSubmitted", topic=T + "TaskForceReportSubmitted")
    def _task_force_report_submitted(self, by: Actor, context: StepContext, submitted_on: date,
                                     document: Document) -> None:
        self.task_force_report = document
        self.task_force_report_on = submitted_on

    def authorise_negotiation(self, by: Actor, context: StepContext, decided_on: date) -> None:
        """The Council authorises negotiation (after the task force's report, if one was set up)."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, to="authorise negotiation")
        self._require_route(AGREEMENT, to="authorise negotiation")
        if self.task_force_on is not None and self.task_force_report is None:
            raise StageError("the task force has not reported yet", rule="task_force_report_pending")
        self._require_in_order(decided_on, "decided_on")
        self._negotiation_authorised(by=by, context=context, decided_on=decided_on)

    @event("NegotiationAuthorised", topic=T + "NegotiationAuthorised")
    def _negotiation_authorised(self, by: Actor, context: StepContext, decided_on: date) -> None:
        self.negotiation_authorised_on = decided_on
        self.stage = Stage.NEGOTIATION
        self.status = ProcessStatus.UNDER_NEGOTIATION

    # ---- negotiation -----------------------------------------------------------------------------

    def approve_agreement(self, by: Actor, context: StepContext, decided_on: date) -> None:
        """The Council approves the agreement on a cleared text."""
        self._check(by, context)
        self._require_stage(Stage.NEGOTIATION, to="approve the agreement")
        self._require_route(AGREEMENT, to="approve the agreement")
        self._require_cleared_text("the Council's approval")
        self._require_in_order(decided_on, "decided_on")
        self._agreement_approved(by=by, context=context, decided_on=decided_on)

    @event("AgreementApproved", topic=T + "AgreementApproved")
    def _agreement_approved(self, by: Actor, context: StepContext, decided_on: date) -> None:
        self.approved_on = decided_on
        self.stage = Stage.SIGNATURE
        self.status = ProcessStatus.APPROVED

    # ---- signature, ratification, entry into force -----------------------------------------------

    def sign_agreement(self, by: Actor, context: StepContext, signed_on: date, signatories: Iterable[str]) -> None:
        """Record the signature of the approved agreement."""
        self._check(by, context)
        self._require_stage(Stage.SIGNATURE, to="sign the agreement")
        self._require_route(AGREEMENT, to="sign the agreement")
        if self.signed_on is not None:
            raise StageError("the agreement is already signed", rule="signed_once")
        names = tuple(n.strip() for n in signatories if n and n.strip())
        if not names:
            raise InvalidValueError("name at least one signatory", field="signatories")
        self._require_in_order(signed_on, "signed_on")
        self._agreement_signed(by=by, context=context, signed_on=signed_on, signatories=names)

    @event("AgreementSigned", topic=T + "AgreementSigned")
    def _agreement_signed(self, by: Actor, context: StepContext, signed_on: date,
                          signatories: tuple[str, ...]) -> None:
        self.signed_on = signed_on
        self.signatories = list(signatories)
        self.status = ProcessStatus.SIGNED

    def notify_ratification(self, by: Actor, context: StepContext, notified_on: date) -> None:
        """The state notifies that its internal procedures (ratification, accession) are complete."""
        self._check(by, context)
        self._require_stage(Stage.SIGNATURE, to="notify ratification")
        self._require_route(AGREEMENT, to="notify ratification")
        if self.signed_on is None:
            raise StageError("the agreement must be signed first", rule="needs_signature")
        if self.ratification_notified_on is not None:
            raise StageError("ratification was already notified", rule="ratified_once")
        self._require_in_order(notified_on, "notified_on")
        self._ratification_notified(by=by, context=context, notified_on=notified_on)

    @event("RatificationNotified", topic=T + "RatificationNotified")
    def _ratification_notified(self, by: Actor, context: StepContext, notified_on: date) -> None:
        self.ratification_notified_on = notified_on
        self.status = ProcessStatus.RATIFIED

    def enter_into_force(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """The new status takes effect: the participation register changes on ``effective_on``."""
        self._check(by, context)
        self._require_stage(Stage.SIGNATURE, to="enter into force")
        if self.route == ACCESSION:
            if self.deposited_on is None:
                raise StageError("the instrument of accession must be deposited first", rule="needs_deposit")
        elif self.signed_on is None or self.ratification_notified_on is None:
            raise StageError("the agreement must be signed and ratified first", rule="signed_and_ratified")
        self._require_in_order(effective_on, "effective_on")
        self._entered_into_force(by=by, context=context, effective_on=effective_on)

    @event("EnteredIntoForce", topic=T + "EnteredIntoForce")
    def _entered_into_force(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.effective_on = effective_on
        self.stage = Stage.IMPLEMENTATION
        self.status = ProcessStatus.IN_FORCE

    # ---- what time decides ---------------------------------------------------------------------

    pre_stage_limit_passed_on: date | None = None
    """The day the pre-stage reached its maximum, once the clock recorded it (a class default: processes
    recorded before the clock have none)."""

    def due_decision(self, today: date) -> tuple[str, str, date] | None:
        """What the passing of time decides by ``today`` (step, rule, effective date), or None: a pre-stage in
        force past its maximum is flagged, once."""
        limits = self.pre_stage_limits
        limit = limits.max_end_on if limits is not None else None
        if (self.stage is not Stage.IMPLEMENTATION or limit is None or limit >= today
                or self.pre_stage_limit_passed_on is not None):
            return None
        return ("flag_pre_stage_limit", "pre_stage_maximum", limit)

    def flag_pre_stage_limit(self, by: Actor, context: StepContext, due_on: date, today: date) -> None:
        """Record that the pre-stage went past its maximum on ``due_on`` (the Council's to decide what follows)."""
        self._check(by, context)
        if by.role is not Role.SYSTEM:
            raise StageError("only the clock records what time decides", rule="system_actor")
        decision = self.due_decision(today)
        if decision is None or decision[0] != "flag_pre_stage_limit" or decision[2] != due_on:
            raise StageError(f"flag_pre_stage_limit on {due_on} is not what time decides as of {today}",
                             rule="not_due")
        self._pre_stage_limit_passed(by=by, context=context, due_on=due_on, rule=decision[1])

    @event("PreStageLimitPassed", topic=T + "PreStageLimitPassed")
    def _pre_stage_limit_passed(self, by: Actor, context: StepContext, due_on: date, rule: str) -> None:
        self.pre_stage_limit_passed_on = due_on

    # ---- Membership by accession (DOMAIN.md 3.3 steps 10 to 12) ---------------------------------------

    def adopt_admission_resolution(self, by: Actor, context: StepContext, decided_on: date,
                                   resolution: str | None = None) -> None:
        """The Council adopts the resolution admitting the state as a Member State (unanimity, Convention
        Art. III.2a), after the task force's report if one was set up."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, to="adopt the admission resolution")
        self._require_route(ACCESSION, to="adopt an admission resolution")
        if self.task_force_on is not None and self.task_force_report is None:
            raise StageError("the task force has not reported yet", rule="task_force_report_pending")
        if resolution is not None and (not resolution.strip() or len(resolution) > MAX_RESOLUTION_LENGTH):
            raise InvalidValueError(f"resolution is 1 to {MAX_RESOLUTION_LENGTH} characters", field="resolution")
        self._require_in_order(decided_on, "decided_on")
        self._admission_resolution_adopted(by=by, context=context, decided_on=decided_on,
                                           resolution=resolution and resolution.strip())

    @event("AdmissionResolutionAdopted", topic=T + "AdmissionResolutionAdopted")
    def _admission_resolution_adopted(self, by: Actor, context: StepContext, decided_on: date,
                                      resolution: str | None) -> None:
        self.admitted_on = decided_on
        self.admission_resolution = resolution
        self.stage = Stage.SIGNATURE
        self.status = ProcessStatus.ADMITTED

    def deposit_instrument_of_accession(self, by: Actor, context: StepContext, deposited_on: date) -> None:
        """The state, having ratified the Convention, deposits its instrument of accession with the
        Director-General of UNESCO; Membership then enters into force (``enter_into_force``), on the day of
        deposit under Art. XVIII.2 unless the record says otherwise (Finland: deposited 28 December 1990,
        Member from 1 January 1991)."""
        self._check(by, context)
        self._require_stage(Stage.SIGNATURE, to="deposit the instrument of accession")
        self._require_route(ACCESSION, to="deposit an instrument of accession")
        if self.deposited_on is not None:
            raise StageError("the instrument of accession was already deposited", rule="deposited_once")
        self._require_in_order(deposited_on, "deposited_on")
        self._instrument_of_accession_deposited(by=by, context=context, deposited_on=deposited_on)

    @event("InstrumentOfAccessionDeposited", topic=T + "InstrumentOfAccessionDeposited")
    def _instrument_of_accession_deposited(self, by: Actor, context: StepContext, deposited_on: date) -> None:
        self.deposited_on = deposited_on
        self.status = ProcessStatus.INSTRUMENT_DEPOSITED

    # ---- the end of participation ----------------------------------------------------------------

    def end_participation(self, by: Actor, context: StepContext, effective_on: date,
                          superseded_by: UUID | None = None) -> None:
        """The status ends (withdrawal, or conversion into another status); the reason is required.

        ``superseded_by`` is the process whose status replaced this one (the enlargement service ends a status
        when the state's next one enters into force); None when the status simply ends."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="end participation")
        if not context.reason or not context.reason.strip():
            raise InvalidValueError("say why participation ends (withdrawal, conversion, ...)", field="reason")
        if self.effective_on is not None and effective_on <= self.effective_on:
            raise InvalidValueError(
                f"participation cannot end ({effective_on}) on or before it began ({self.effective_on})",
                field="effective_on", rule="dates_in_order",
            )
        self._participation_ended(by=by, context=context, effective_on=effective_on, superseded_by=superseded_by)

    class ParticipationEnded(Event):
        """The status ended on ``effective_on``; ``superseded_by`` links the process whose status replaced it.

        Version 1 had no ``superseded_by``: the link was only in the reason text, which the enlargement
        service wrote as "superseded by <target> (<process id>)". ``upcast_v1_v2`` reads that one generated
        form, once, as it loads a version 1 event, so that old and new events give the same link; any other
        reason (a withdrawal) links nothing. The stored event is never rewritten, so it still verifies against
        the hash recorded with it.
        """

        TOPIC = T + "ParticipationEnded"
        class_version = 2
        effective_on: date
        superseded_by: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            reason = getattr(state.get("context"), "reason", None) or ""
            found = SUPERSEDED_BY_V1.fullmatch(reason)
            state["superseded_by"] = UUID(found["id"]) if found else None

    @event(ParticipationEnded)
    def _participation_ended(self, by: Actor, context: StepContext, effective_on: date,
                             superseded_by: UUID | None) -> None:
        self.ended_on = effective_on
        self.stage = Stage.CLOSED
        self.status = ProcessStatus.ENDED

    # ---- event bodies of the shared steps (see domain/lifecycle.py) ------------------------------

    @event("TextAttached", topic=T + "TextAttached")
    def _text_attached(self, by: Actor, context: StepContext, document: Document) -> None:
        self._on_text_attached(by, document)

    @event("LegalReviewRequested", topic=T + "LegalReviewRequested")
    def _legal_review_requested(self, by: Actor, context: StepContext, sha256: str) -> None:
        self._on_legal_review_requested(by, sha256)

    @event("LegalReviewCompleted", topic=T + "LegalReviewCompleted")
    def _legal_review_completed(
        self, by: Actor, context: StepContext, outcome: ReviewOutcome, comments: str | None, sha256: str
    ) -> None:
        self._on_legal_review_completed(by, outcome, sha256)

    @event("RoundRecorded", topic=T + "RoundRecorded")
    def _round_recorded(self, by: Actor, context: StepContext, held_on: date, summary: str) -> None:
        self._on_round_recorded(held_on, summary)

    @event("Withdrawn", topic=T + "Withdrawn")
    def _withdrawn(self, by: Actor, context: StepContext) -> None:
        self._on_withdrawn()

    @event("Corrected", topic=T + "Corrected")
    def _corrected(self, by: Actor, context: StepContext, field: str, value: str, previous: Any,
                   entry: str | None = None) -> None:
        self._on_corrected(field, value, entry)

    def _check_correction(self, field: str, value: Any) -> None:
        """A corrected date keeps every date of the process in order, and a status never ends on or before
        the day it began."""
        if field == "effective_on" and self.effective_on is None:
            raise StageError("the process has not entered into force", rule="has_effective_on")
        if field == "ended_on" and self.ended_on is None:
            raise StageError("participation has not ended", rule="has_ended_on")
        if getattr(self, field) is None:
            raise StageError(f"{field} was never recorded: there is nothing to correct", rule="has_date")
        index = self.DATES_IN_ORDER.index(field)
        before = [d for d in (getattr(self, f) for f in self.DATES_IN_ORDER[:index]) if d is not None]
        after = [d for d in (getattr(self, f) for f in self.DATES_IN_ORDER[index + 1:]) if d is not None]
        if field == "ended_on" and self.effective_on is not None and value <= self.effective_on:
            raise InvalidValueError("the status must end after it began", field="value", rule="dates_in_order")
        if field == "effective_on" and self.ended_on is not None and value >= self.ended_on:
            raise InvalidValueError("the status must begin before it ends", field="value", rule="dates_in_order")
        if before and value < max(before):
            raise InvalidValueError(f"{field} cannot precede the process's earlier steps ({max(before)})",
                                    field="value", rule="dates_in_order")
        if after and value > min(after):
            raise InvalidValueError(f"{field} cannot follow the process's later steps ({min(after)})",
                                    field="value", rule="dates_in_order")
