"""The cooperation agreement: from a first draft to its closure.

Command methods check the rules and then call one ``_past_tense`` method decorated with ``@event``; the
decorated body only assigns state, because it runs again every time the agreement is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.errors import FourEyesError, InvalidValueError, StageError
from domain.values import (
    ORGANISATION,
    Actor,
    AgreementKind,
    Clearance,
    Counterparty,
    Document,
    Entry,
    ReviewOutcome,
    Signature,
    Stage,
    Status,
    StepContext,
)

T = "accord.agreement:"  # prefix of every stored topic; never change a released topic

CORRECTABLE_FIELDS = ("title", "expires_on", "effective_on")
"""Fields that `correct` may change: the title and real-world dates, never the workflow state."""


def today_utc() -> date:
    return datetime.now(UTC).date()


class CooperationAgreement(Aggregate):
    """A cooperation agreement with one or more counterparties, and its lifecycle."""

    TOPIC = T + "CooperationAgreement"

    class Event(Aggregate.Event):
        """Every agreement event records who took the step and why."""

        TOPIC = T + "Event"
        by: Actor
        context: StepContext

        def apply(self, aggregate: Any) -> None:
            key = self.context.idempotency_key
            if key is not None:
                aggregate.requests[key] = (self.originator_version, self.context.request_digest)
            aggregate.last_actor = self.by.name
            super().apply(aggregate)

    # ---- creation --------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        by: Actor,
        context: StepContext,
        title: str,
        kind: AgreementKind,
        counterparties: Iterable[Counterparty],
        workflow_version: int,
        summary: str | None = None,
        parent_id: Any = None,
        expires_on: date | None = None,
        id: Any = None,  # noqa: A002 - a deterministic id, e.g. from an idempotency key
    ) -> CooperationAgreement:
        """Open a new agreement in drafting."""
        by.check()
        context.check()
        if not title or not title.strip():
            raise InvalidValueError("an agreement needs a title", field="title")
        parties = tuple(counterparties)
        if not parties:
            raise InvalidValueError("an agreement needs at least one counterparty", field="counterparties")
        for party in parties:
            party.check()
        names = [p.name.strip().casefold() for p in parties]
        if len(set(names)) != len(names):
            raise InvalidValueError("each counterparty may appear only once", field="counterparties")
        kwargs = dict(
            by=by, context=context, title=title.strip(), kind=AgreementKind(kind),
            counterparties=parties, workflow_version=workflow_version, summary=summary,
            parent_id=parent_id, expires_on=expires_on,
        )
        return cls(**kwargs) if id is None else cls._create(cls.Created, id=id, **kwargs)

    @event("Created", topic=T + "Created")
    def __init__(
        self,
        by: Actor,
        context: StepContext,
        title: str,
        kind: AgreementKind,
        counterparties: tuple[Counterparty, ...],
        workflow_version: int,
        summary: str | None,
        parent_id: Any,
        expires_on: date | None,
    ) -> None:
        self.requests: dict[str, tuple[int, str | None]] = {}
        self.created_by = by.name
        self.title = title
        self.kind = kind
        self.counterparties = tuple(counterparties)
        self.workflow_version = workflow_version
        self.summary = summary
        self.parent_id = parent_id
        self.expires_on = expires_on
        self.stage = Stage.DRAFTING
        self.status = Status.DRAFT
        self.current_text: Document | None = None
        self.text_attached_by: str | None = None
        self.legal_clearance = Clearance.NONE
        self.clearance_sha256: str | None = None
        self.reviewed_by: str | None = None
        self.review_requested_by: str | None = None
        self.finalised_text: Document | None = None
        self.rounds: tuple[Entry, ...] = ()
        self.milestones: tuple[Entry, ...] = ()
        self.signatures: tuple[Signature, ...] = ()
        self.effective_on: date | None = None
        self.suspended_on: date | None = None
        self.resumed_on: date | None = None
        self.closed_on: date | None = None

    # ---- read helpers ----------------------------------------------------------------------------

    @property
    def parties(self) -> tuple[str, ...]:
        """Every party that must sign: the organisation and each counterparty."""
        return (ORGANISATION, *(p.name for p in self.counterparties))

    @property
    def unsigned_parties(self) -> tuple[str, ...]:
        signed = {s.party for s in self.signatures}
        return tuple(p for p in self.parties if p not in signed)

    @property
    def is_cleared(self) -> bool:
        return (
            self.legal_clearance is Clearance.CLEARED
            and self.current_text is not None
            and self.clearance_sha256 == self.current_text.sha256
        )

    def _require_stage(self, *stages: Stage, to: str) -> None:
        if self.stage not in stages:
            allowed = " or ".join(s.value for s in stages)
            raise StageError(f"cannot {to} in stage {self.stage.value}; only in {allowed}")

    @staticmethod
    def _check(by: Actor, context: StepContext) -> None:
        by.check()
        context.check()

    # ---- documents and legal review --------------------------------------------------------------

    def attach_text(self, by: Actor, context: StepContext, document: Document) -> None:
        """Record a new version of the text; any legal clearance of an earlier text lapses."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, Stage.NEGOTIATION, to="attach a text")
        document.check()
        self._text_attached(by=by, context=context, document=document)

    @event("TextAttached", topic=T + "TextAttached")
    def _text_attached(self, by: Actor, context: StepContext, document: Document) -> None:
        self.current_text = document
        self.text_attached_by = by.name
        self.legal_clearance = Clearance.NONE
        self.clearance_sha256 = None
        self.reviewed_by = None
        self.review_requested_by = None

    def request_legal_review(self, by: Actor, context: StepContext) -> None:
        """Ask the Legal Service to review the current text."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, Stage.NEGOTIATION, to="request a legal review")
        if self.current_text is None:
            raise StageError("attach a text before requesting its legal review", rule="needs_text")
        if self.legal_clearance is Clearance.REQUESTED:
            raise StageError("a legal review of this text is already pending", rule="review_pending")
        if self.is_cleared:
            raise StageError("the current text is already cleared", rule="already_cleared")
        self._legal_review_requested(by=by, context=context, sha256=self.current_text.sha256)

    @event("LegalReviewRequested", topic=T + "LegalReviewRequested")
    def _legal_review_requested(self, by: Actor, context: StepContext, sha256: str) -> None:
        self.legal_clearance = Clearance.REQUESTED
        self.clearance_sha256 = sha256
        self.review_requested_by = by.name

    def complete_legal_review(
        self, by: Actor, context: StepContext, outcome: ReviewOutcome, comments: str | None = None
    ) -> None:
        """Clear the current text, or ask for changes; never by the person who attached it."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, Stage.NEGOTIATION, to="complete a legal review")
        if self.legal_clearance is not Clearance.REQUESTED or self.current_text is None:
            raise StageError("no legal review is pending", rule="needs_pending_review")
        if by.name == self.text_attached_by:
            raise FourEyesError("the text must be reviewed by someone other than who attached it")
        self._legal_review_completed(
            by=by, context=context, outcome=ReviewOutcome(outcome), comments=comments,
            sha256=self.current_text.sha256,
        )

    @event("LegalReviewCompleted", topic=T + "LegalReviewCompleted")
    def _legal_review_completed(
        self, by: Actor, context: StepContext, outcome: ReviewOutcome, comments: str | None, sha256: str
    ) -> None:
        self.legal_clearance = Clearance(outcome.value)
        self.clearance_sha256 = sha256
        self.reviewed_by = by.name

    # ---- negotiation -----------------------------------------------------------------------------

    def open_negotiation(self, by: Actor, context: StepContext) -> None:
        """Start negotiating with the counterparties on a cleared text."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, to="open negotiation")
        self._require_cleared_text("opening negotiation")
        self._negotiation_opened(by=by, context=context)

    @event("NegotiationOpened", topic=T + "NegotiationOpened")
    def _negotiation_opened(self, by: Actor, context: StepContext) -> None:
        self.stage = Stage.NEGOTIATION
        self.status = Status.UNDER_NEGOTIATION

    def record_round(self, by: Actor, context: StepContext, held_on: date, summary: str) -> None:
        """Record a negotiation round held on a given date."""
        self._check(by, context)
        self._require_stage(Stage.NEGOTIATION, to="record a negotiation round")
        if not summary or not summary.strip():
            raise InvalidValueError("a round needs a summary", field="summary")
        self._round_recorded(by=by, context=context, held_on=held_on, summary=summary)

    @event("RoundRecorded", topic=T + "RoundRecorded")
    def _round_recorded(self, by: Actor, context: StepContext, held_on: date, summary: str) -> None:
        self.rounds = (*self.rounds, Entry(on=held_on, summary=summary))

    def finalise_text(self, by: Actor, context: StepContext) -> None:
        """Freeze the cleared text for signature; never by the person who cleared it."""
        self._check(by, context)
        self._require_stage(Stage.NEGOTIATION, to="finalise the text")
        self._require_cleared_text("finalising it")
        if by.name == self.reviewed_by:
            raise FourEyesError("the text must be finalised by someone other than who cleared it")
        self._text_finalised(by=by, context=context)

    @event("TextFinalised", topic=T + "TextFinalised")
    def _text_finalised(self, by: Actor, context: StepContext) -> None:
        self.finalised_text = self.current_text
        self.stage = Stage.SIGNATURE
        self.status = Status.AWAITING_SIGNATURE

    def _require_cleared_text(self, before: str) -> None:
        if not self.is_cleared:
            raise StageError(
                f"the current text must be cleared by the Legal Service before {before}",
                rule="needs_cleared_text",
            )

    # ---- signature and entry into force ----------------------------------------------------------

    def record_signature(
        self, by: Actor, context: StepContext, party: str, signatory: str, signed_on: date,
        place: str | None = None,
    ) -> None:
        """Record one party's signature of the finalised text."""
        self._check(by, context)
        self._require_stage(Stage.SIGNATURE, to="record a signature")
        if party not in self.parties:
            raise InvalidValueError(
                f"{party!r} is not a party; parties are {', '.join(self.parties)}", field="party",
                rule="party_unknown",
            )
        if party not in self.unsigned_parties:
            raise InvalidValueError(f"{party} has already signed", field="party", rule="signed_once")
        if not signatory or not signatory.strip():
            raise InvalidValueError("a signature needs a signatory", field="signatory")
        self._signature_recorded(
            by=by, context=context,
            signature=Signature(party=party, signatory=signatory, signed_on=signed_on, place=place),
        )

    @event("SignatureRecorded", topic=T + "SignatureRecorded")
    def _signature_recorded(self, by: Actor, context: StepContext, signature: Signature) -> None:
        self.signatures = (*self.signatures, signature)
        if not self.unsigned_parties:
            self.status = Status.SIGNED

    def enter_into_force(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """Put the signed agreement into force, not before its last signature."""
        self._check(by, context)
        self._require_stage(Stage.SIGNATURE, to="enter into force")
        if self.unsigned_parties:
            raise StageError(
                f"every party must sign first; missing: {', '.join(self.unsigned_parties)}",
                rule="all_parties_signed",
            )
        self._require_not_before_last_signature(effective_on)
        self._entered_into_force(by=by, context=context, effective_on=effective_on)

    def _require_not_before_last_signature(self, effective_on: date) -> None:
        last = max(s.signed_on for s in self.signatures)
        if effective_on < last:
            raise InvalidValueError(
                f"entry into force ({effective_on}) cannot precede the last signature ({last})",
                field="effective_on", rule="not_before_last_signature",
            )

    @event("EnteredIntoForce", topic=T + "EnteredIntoForce")
    def _entered_into_force(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.effective_on = effective_on
        self.stage = Stage.IMPLEMENTATION
        self.status = Status.IN_FORCE

    # ---- implementation --------------------------------------------------------------------------

    def record_milestone(self, by: Actor, context: StepContext, on: date, summary: str) -> None:
        """Record a dated milestone of the agreement's implementation."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="record a milestone")
        if not summary or not summary.strip():
            raise InvalidValueError("a milestone needs a summary", field="summary")
        self._milestone_recorded(by=by, context=context, on=on, summary=summary)

    @event("MilestoneRecorded", topic=T + "MilestoneRecorded")
    def _milestone_recorded(self, by: Actor, context: StepContext, on: date, summary: str) -> None:
        self.milestones = (*self.milestones, Entry(on=on, summary=summary))

    def renew(self, by: Actor, context: StepContext, expires_on: date) -> None:
        """Extend the agreement to a later expiry date."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="renew")
        if self.expires_on is None:
            raise StageError("the agreement has no expiry date to renew", rule="has_expiry")
        if expires_on <= self.expires_on:
            raise InvalidValueError(
                f"the new expiry ({expires_on}) must be later than the current one ({self.expires_on})",
                field="expires_on", rule="later_expiry",
            )
        self._renewed(by=by, context=context, expires_on=expires_on)

    @event("Renewed", topic=T + "Renewed")
    def _renewed(self, by: Actor, context: StepContext, expires_on: date) -> None:
        self.expires_on = expires_on

    def suspend(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """Suspend an agreement in force."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="suspend")
        if self.status is not Status.IN_FORCE:
            raise StageError("only an agreement in force can be suspended", rule="status")
        self._require_on_or_after(effective_on, self._last_status_change)
        self._suspended(by=by, context=context, effective_on=effective_on)

    @event("Suspended", topic=T + "Suspended")
    def _suspended(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.status = Status.SUSPENDED
        self.suspended_on = effective_on

    def resume(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """Bring a suspended agreement back into force."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="resume")
        if self.status is not Status.SUSPENDED:
            raise StageError("only a suspended agreement can be resumed", rule="status")
        self._require_on_or_after(effective_on, self._last_status_change)
        self._resumed(by=by, context=context, effective_on=effective_on)

    @event("Resumed", topic=T + "Resumed")
    def _resumed(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.status = Status.IN_FORCE
        self.resumed_on = effective_on

    def terminate(self, by: Actor, context: StepContext, effective_on: date) -> None:
        """End the agreement before its expiry."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="terminate")
        self._require_on_or_after(effective_on, self._last_status_change)
        self._terminated(by=by, context=context, effective_on=effective_on)

    @event("Terminated", topic=T + "Terminated")
    def _terminated(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.stage = Stage.CLOSED
        self.status = Status.TERMINATED
        self.closed_on = effective_on

    def expire(self, by: Actor, context: StepContext, today: date | None = None) -> None:
        """Close the agreement once its expiry date has passed."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="expire")
        today = today or today_utc()
        if self.expires_on is None or self.expires_on >= today:
            raise StageError(
                f"the expiry date ({self.expires_on or 'none'}) has not passed", rule="expiry_passed"
            )
        self._expired(by=by, context=context, expired_on=self.expires_on)

    @event("Expired", topic=T + "Expired")
    def _expired(self, by: Actor, context: StepContext, expired_on: date) -> None:
        self.stage = Stage.CLOSED
        self.status = Status.EXPIRED
        self.closed_on = expired_on

    @property
    def _last_status_change(self) -> date | None:
        dates = [d for d in (self.effective_on, self.suspended_on, self.resumed_on) if d is not None]
        return max(dates) if dates else None

    def _require_on_or_after(self, when: date, earlier: date | None) -> None:
        if earlier is not None and when < earlier:
            raise InvalidValueError(
                f"{when} is before the previous change of status ({earlier})",
                field="effective_on", rule="dates_in_order",
            )

    # ---- ending early and corrections ------------------------------------------------------------

    def withdraw(self, by: Actor, context: StepContext) -> None:
        """Abandon an agreement that has not entered into force."""
        self._check(by, context)
        self._require_stage(Stage.DRAFTING, Stage.NEGOTIATION, Stage.SIGNATURE, to="withdraw")
        self._withdrawn(by=by, context=context)

    @event("Withdrawn", topic=T + "Withdrawn")
    def _withdrawn(self, by: Actor, context: StepContext) -> None:
        self.stage = Stage.CLOSED
        self.status = Status.WITHDRAWN

    def correct(self, by: Actor, context: StepContext, field: str, value: str) -> None:
        """Correct the title or a real-world date, as a new event: nothing is ever rewritten."""
        self._check(by, context)
        if field not in CORRECTABLE_FIELDS:
            raise InvalidValueError(
                f"{field!r} cannot be corrected; correctable: {', '.join(CORRECTABLE_FIELDS)}",
                field="field", rule="correctable_field",
            )
        new_value: Any
        if field == "title":
            new_value = (value or "").strip()
            if not new_value:
                raise InvalidValueError("the title cannot be empty", field="value")
        else:
            try:
                new_value = date.fromisoformat(value)
            except (TypeError, ValueError):
                raise InvalidValueError(f"{field} needs an ISO date (YYYY-MM-DD)", field="value") from None
            if field == "effective_on":
                if self.effective_on is None:
                    raise StageError("the agreement has not entered into force", rule="has_effective_on")
                self._require_not_before_last_signature(new_value)
        if getattr(self, field) == new_value:
            raise InvalidValueError(f"{field} already has that value", field="value", rule="changes_something")
        recorded = new_value if field == "title" else value
        self._corrected(by=by, context=context, field=field, value=recorded, previous=_plain(getattr(self, field)))

    @event("Corrected", topic=T + "Corrected")
    def _corrected(self, by: Actor, context: StepContext, field: str, value: str, previous: Any) -> None:
        setattr(self, field, value if field == "title" else date.fromisoformat(value))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
