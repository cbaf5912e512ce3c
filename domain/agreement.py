"""The cooperation agreement: from a first draft to its closure.

Command methods check the rules and then call one ``_past_tense`` method decorated with ``@event``; the
decorated body only assigns state, because it runs again every time the agreement is loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.errors import FourEyesError, InvalidValueError, StageError
from domain.lifecycle import Lifecycle, latest, numbered_entry, redated_entries, remember_request
from domain.term import TERM_FIELDS, Term, add_months, months_value, renewal_value
from domain.values import (
    ORGANISATION,
    PROTOCOL_FATES,
    RECENT_ENTRIES,
    Actor,
    AgreementKind,
    Counterparty,
    Document,
    Entry,
    Notice,
    ProtocolFate,
    ReviewOutcome,
    Role,
    Signature,
    Stage,
    Status,
    StepContext,
)

T = "accord.agreement:"  # prefix of every stored topic; never change a released topic


def today_utc() -> date:
    return datetime.now(UTC).date()


class CooperationAgreement(Term, Lifecycle, Aggregate):
    """A cooperation agreement with one or more counterparties, and its lifecycle."""

    TOPIC = T + "CooperationAgreement"
    NOUN = "agreement"
    TEXT_STAGES = (Stage.DRAFTING, Stage.NEGOTIATION)
    CORRECTABLE = {"title": "text", "expires_on": "date", "effective_on": "date", "closed_on": "date",
                   "suspended_on": "date", "resumed_on": "date", **TERM_FIELDS}
    """What ``correct`` may change; each workflow version's definition lists the choices it offers."""
    ENTRY_DATES = {**Lifecycle.ENTRY_DATES, "signed_on": "the party whose signature it is",
                   "milestone_on": "the milestone's number, counting from 1"}
    V1_CORRECTABLE = ("title", "expires_on", "effective_on", "closed_on")
    """What version 1's ``correct`` offers; the latest suspension's and resumption's dates and the term came
    with version 2."""
    superseded_by: Any = None
    """The agreement (or enlargement process) that replaced this one, once superseded (a class default: state
    recorded before there was a supersede step has none)."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 snapshots held every round in ``rounds`` and every milestone in ``milestones``."""
        Lifecycle.upcast_v1_v2(state)
        milestones = state.pop("milestones")
        state["milestones_recorded"] = len(milestones)
        state["recent_milestones"] = milestones[-RECENT_ENTRIES:]

    class Event(Aggregate.Event):
        """Every agreement event records who took the step and why."""

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
        initial_period_months: int | None = None,
        renewal_rule: str | None = None,
        renewal_period_months: int | None = None,
        notice_period_months: int | None = None,
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
        term = cls.term_values(initial_period_months, renewal_rule, renewal_period_months, notice_period_months)
        kwargs.update(term)
        return cls(**kwargs) if id is None else cls._create(cls.Created, id=id, **kwargs)

    @event("Created", topic=T + "Created")
    def __init__(
        self,
        by: Actor,
        context: StepContext,
        title: str,
        kind: AgreementKind,
        counterparties: tuple[Counterparty, ...],
        summary: str | None,
        parent_id: Any,
        expires_on: date | None,
        initial_period_months: int | None = None,
        renewal_rule: str | None = None,
        renewal_period_months: int | None = None,
        notice_period_months: int | None = None,
        workflow_version: int = 1,  # a default: the field stays the one every event declares (see Event)
    ) -> None:
        self._init_lifecycle()
        self._init_term(initial_period_months=initial_period_months, renewal_rule=renewal_rule,
                        renewal_period_months=renewal_period_months, notice_period_months=notice_period_months)
        self.created_by = by.name
        self.title = title
        self.kind = kind
        self.counterparties = list(counterparties)
        self.workflow_version = workflow_version
        self.summary = summary
        self.parent_id = parent_id
        self.expires_on = expires_on
        self.stage = Stage.DRAFTING
        self.status = Status.DRAFT
        self.finalised_text: Document | None = None
        self.milestones_recorded = 0
        self.recent_milestones: list[Entry] = []
        """The latest ``RECENT_ENTRIES`` milestones, oldest first."""
        self.signatures: list[Signature] = []
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

    def finalise_text(self, by: Actor, context: StepContext) -> None:
        """Freeze the cleared text for signature; never by the person who cleared it."""
        self._check(by, context)
        self._require_stage(Stage.NEGOTIATION, to="finalise the text")
        self._require_cleared_text("finalising it")
        if by.name == self.reviewed_by:
            raise FourEyesError("the text must be finalised by someone other than who cleared it", rule="four_eyes")
        self._text_finalised(by=by, context=context)

    @event("TextFinalised", topic=T + "TextFinalised")
    def _text_finalised(self, by: Actor, context: StepContext) -> None:
        self.finalised_text = self.current_text
        self.stage = Stage.SIGNATURE
        self.status = Status.AWAITING_SIGNATURE

    # ---- signature and entry into force ----------------------------------------------------------

    def record_signature(
        self, by: Actor, context: StepContext, party: str, signatory: str, signed_on: date,
        place: str | None = None,
    ) -> None:
        """Record one party's signature of the finalised text."""
        self._check(by, context)
        self._require_stage(Stage.SIGNATURE, to="record a signature")
        if not self.unsigned_parties:
            raise StageError("every party has signed already", rule="signed_once")
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
        self.signatures = [*self.signatures, signature]
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
        expires_on = self.expiry_from_term(effective_on)
        self._entered_into_force(by=by, context=context, effective_on=effective_on, expires_on=expires_on)

    def _require_not_before_last_signature(self, effective_on: date) -> None:
        last = max(s.signed_on for s in self.signatures)
        if effective_on < last:
            raise InvalidValueError(
                f"entry into force ({effective_on}) cannot precede the last signature ({last})",
                field="effective_on", rule="not_before_last_signature",
            )

    @event("EnteredIntoForce", topic=T + "EnteredIntoForce")
    def _entered_into_force(self, by: Actor, context: StepContext, effective_on: date,
                            expires_on: date | None = None) -> None:
        """``expires_on``: the expiry computed from the term (entry into force + initial period), if any."""
        self.effective_on = effective_on
        if expires_on is not None:
            self.expires_on = expires_on
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
        self.milestones_recorded += 1
        self.recent_milestones = latest(self.recent_milestones, Entry(on=on, summary=summary))

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
        self._require_after_last_status_change(effective_on)
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
        self._require_after_last_status_change(effective_on)
        self._resumed(by=by, context=context, effective_on=effective_on)

    @event("Resumed", topic=T + "Resumed")
    def _resumed(self, by: Actor, context: StepContext, effective_on: date) -> None:
        self.status = Status.IN_FORCE
        self.resumed_on = effective_on

    def terminate(self, by: Actor, context: StepContext, effective_on: date,
                  protocols: Iterable[ProtocolFate] = ()) -> None:
        """End the agreement before its expiry, saying what becomes of each of its open protocols
        (``protocols``: which protocols are open is the service's to know, DOMAIN.md P4)."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="terminate")
        fates = tuple(protocols)
        seen = set()
        for fate in fates:
            if fate.fate not in PROTOCOL_FATES:
                raise InvalidValueError(f"a protocol's fate is one of {', '.join(PROTOCOL_FATES)}",
                                        field="protocols", rule="protocol_fates")
            if fate.fate == "keep" and not (fate.reason or "").strip():
                raise InvalidValueError(f"say why protocol {fate.protocol_id} is kept", field="protocols",
                                        rule="protocol_fates")
            if fate.protocol_id in seen or fate.protocol_id == self.id:
                raise InvalidValueError(f"protocol {fate.protocol_id} is named twice, or is this agreement",
                                        field="protocols", rule="protocol_fates")
            seen.add(fate.protocol_id)
        self._require_after_last_status_change(effective_on)
        self._terminated(by=by, context=context, effective_on=effective_on, protocols=fates)

    @event("Terminated", topic=T + "Terminated")
    def _terminated(self, by: Actor, context: StepContext, effective_on: date,
                    protocols: tuple[ProtocolFate, ...] = ()) -> None:
        self.stage = Stage.CLOSED
        self.status = Status.TERMINATED
        self.closed_on = effective_on

    def supersede(self, by: Actor, context: StepContext, effective_on: date, successor_id: Any) -> None:
        """Close the agreement as replaced by another (Latvia's co-operation agreement by its Associate
        Membership), from the day the successor takes over; the successor's existence is the service's to
        check."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="supersede")
        if successor_id == self.id:
            raise InvalidValueError("an agreement cannot supersede itself", field="successor_id",
                                    rule="not_self")
        self._require_after_last_status_change(effective_on)
        self._superseded(by=by, context=context, effective_on=effective_on, successor_id=successor_id)

    @event("Superseded", topic=T + "Superseded")
    def _superseded(self, by: Actor, context: StepContext, effective_on: date, successor_id: Any) -> None:
        self.stage = Stage.CLOSED
        self.status = Status.SUPERSEDED
        self.closed_on = effective_on
        self.superseded_by = successor_id

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

    # ---- term: notice, and what time decides (the rules: domain.term) ---------------------------

    def give_notice(self, by: Actor, context: StepContext, party: str, given_on: date, addressed_to: str) -> None:
        """Record a written notice of termination, given by one party to another while the window is open:
        the agreement then ends at its expiry instead of renewing. Its reference is the step's."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="give notice")
        self._check_notice(party, given_on, addressed_to)
        self._notice_given(by=by, context=context, party=party, given_on=given_on, addressed_to=addressed_to)

    @event("NoticeGiven", topic=T + "NoticeGiven")
    def _notice_given(self, by: Actor, context: StepContext, party: str, given_on: date, addressed_to: str) -> None:
        self.notice = Notice(party=party, given_on=given_on, addressed_to=addressed_to, reference=context.reference)

    def withdraw_notice(self, by: Actor, context: StepContext) -> None:
        """Withdraw the notice that stands (before the expiry it was given against is decided)."""
        self._check(by, context)
        self._require_stage(Stage.IMPLEMENTATION, to="withdraw a notice")
        if self.notice is None:
            raise StageError("no notice stands", rule="notice_standing")
        self._notice_withdrawn(by=by, context=context)

    @event("NoticeWithdrawn", topic=T + "NoticeWithdrawn")
    def _notice_withdrawn(self, by: Actor, context: StepContext) -> None:
        self.notice = None

    def renew_tacitly(self, by: Actor, context: StepContext, due_on: date, today: date | None = None) -> None:
        """What time decides at the expiry of an agreement renewed tacitly with no notice standing: it renews
        for its renewal period, taking effect on the expiry date (``due_on``), whenever the clock records it."""
        self._check_system(by, context)
        rule = self._require_due("renew_tacitly", due_on, today or today_utc())
        self._renewed_tacitly(by=by, context=context, effective_on=due_on,
                              expires_on=add_months(due_on, self.renewal_period), rule=rule)

    @event("RenewedTacitly", topic=T + "RenewedTacitly")
    def _renewed_tacitly(self, by: Actor, context: StepContext, effective_on: date, expires_on: date,
                         rule: str) -> None:
        self.expires_on = expires_on
        self.renewals += 1

    def expire_at_term(self, by: Actor, context: StepContext, due_on: date, today: date | None = None) -> None:
        """What time decides at the expiry of an agreement with a notice standing, without renewal, or renewed
        only by amendment: it closes as expired on its expiry date."""
        self._check_system(by, context)
        rule = self._require_due("expire_at_term", due_on, today or today_utc())
        self._expired_at_term(by=by, context=context, expired_on=due_on, rule=rule)

    @event("ExpiredAtTerm", topic=T + "ExpiredAtTerm")
    def _expired_at_term(self, by: Actor, context: StepContext, expired_on: date, rule: str) -> None:
        self.stage = Stage.CLOSED
        self.status = Status.EXPIRED
        self.closed_on = expired_on

    @staticmethod
    def _check_system(by: Actor, context: StepContext) -> None:
        by.check()
        context.check()
        if by.role is not Role.SYSTEM:
            raise StageError("only the clock records what time decides", rule="system_actor")

    def _entry_date(self, field: str, entry: str) -> date | None:
        if field == "signed_on":
            return self._signature_of(entry).signed_on  # type: ignore[return-value]
        if field == "milestone_on":
            milestone = numbered_entry(entry, self.milestones_recorded, self.recent_milestones, "milestone")
            return milestone.on  # type: ignore[return-value]
        return super()._entry_date(field, entry)

    def _signature_of(self, party: str) -> Signature:
        for signature in self.signatures:
            if signature.party == party:
                return signature
        signed = ", ".join(s.party for s in self.signatures) or "nobody yet"
        raise StageError(f"{party!r} has not signed (signed: {signed})", rule="entry_unknown")

    def _check_entry_correction(self, field: str, entry: str, value: date) -> None:
        """A signature stays on or before the entry into force (rule not_before_last_signature)."""
        if field == "signed_on" and self.effective_on is not None and value > self.effective_on:
            raise InvalidValueError(f"the agreement entered into force on {self.effective_on}: no signature can "
                                    "be later", field="value", rule="not_before_last_signature")

    def _on_entry_corrected(self, field: str, entry: str, value: date) -> None:
        if field == "signed_on":
            self.signatures = [dataclasses.replace(s, signed_on=value) if s.party == entry else s
                               for s in self.signatures]
        elif field == "milestone_on":
            self.recent_milestones = redated_entries(entry, self.milestones_recorded, self.recent_milestones,
                                                     value)
        else:
            super()._on_entry_corrected(field, entry, value)

    def _correction_value(self, kind: str, value: str) -> Any:
        if kind == "months":
            return months_value(value, "value")
        if kind == "renewal":
            return renewal_value(value, "value")
        return super()._correction_value(kind, value)

    def _corrected_value(self, kind: str, text: str) -> Any:
        if kind == "months":
            return int(text)
        return text if kind == "renewal" else super()._corrected_value(kind, text)

    def _require_after_last_status_change(self, effective_on: date) -> None:
        self._require_on_or_after(effective_on, self._last_status_change, "effective_on",
                                  "the previous change of status")

    @property
    def _last_status_change(self) -> date | None:
        dates = [d for d in (self.effective_on, self.suspended_on, self.resumed_on) if d is not None]
        return max(dates) if dates else None

    # ---- corrections ---------------------------------------------------------------------------

    def _check_correction(self, field: str, value: Any) -> None:
        if field == "closed_on":
            if self.status not in (Status.TERMINATED, Status.SUPERSEDED):
                raise StageError("only a terminated or superseded agreement's end can be corrected",
                                 rule="has_closed_on")
            self._require_on_or_after(value, self._last_status_change, "value", "the agreement's start")
        if field in ("suspended_on", "resumed_on"):
            self._check_suspension_correction(field, value)
        if field == "effective_on":
            if self.effective_on is None:
                raise StageError("the agreement has not entered into force", rule="has_effective_on")
            self._require_not_before_last_signature(value)
            later = [d for d in (self.suspended_on, self.resumed_on, self.closed_on) if d is not None]
            if later and value > min(later):
                raise InvalidValueError(f"the agreement cannot enter into force after it was suspended or ended "
                                        f"({min(later)})", field="value", rule="dates_in_order")

    def _check_suspension_correction(self, field: str, value: date) -> None:
        """The latest suspension or resumption moves within its neighbours: after the entry into force, on the
        right side of the other (a resumption follows its suspension; a later suspension follows the latest
        resumption), and not after the agreement closed."""
        suspended, resumed = self.suspended_on, self.resumed_on
        if getattr(self, field) is None:
            raise StageError(f"{field} was never recorded: there is nothing to correct", rule="has_date")
        if value < self.effective_on or (self.closed_on is not None and value > self.closed_on):
            raise InvalidValueError(f"{field} must fall between the entry into force ({self.effective_on}) and "
                                    f"the end ({self.closed_on or 'none yet'})", field="value", rule="dates_in_order")
        other = resumed if field == "suspended_on" else suspended
        if other is None:
            return
        resumed_last = resumed >= suspended if resumed is not None and suspended is not None else False
        must_precede = (field == "suspended_on") == resumed_last
        if (must_precede and value > other) or (not must_precede and value < other):
            neighbour = "resumption" if field == "suspended_on" else "suspension"
            raise InvalidValueError(f"{field} cannot move past the {neighbour} of {other}", field="value",
                                    rule="dates_in_order")
