"""The rules of a cooperation agreement, one small test per rule or refusal, on the aggregate alone."""

from __future__ import annotations

from datetime import date

import pytest

from domain.agreement import CooperationAgreement
from domain.errors import FourEyesError, InvalidValueError, StageError, UnauthenticatedError
from domain.values import (
    ORGANISATION,
    Actor,
    AgreementKind,
    Clearance,
    Counterparty,
    Document,
    PartyKind,
    ReviewOutcome,
    Role,
    Stage,
    Status,
    StepContext,
)
from tests.domain.lifecycle import (
    ALICE,
    BRUNO,
    CARLA,
    CHILE,
    CHILE_SIGNED_ON,
    DMITRI,
    EFFECTIVE_ON,
    EXPIRES_ON,
    FIRST_TEXT,
    LAST_SIGNATURE,
    NO_REASON,
    SECOND_TEXT,
    SUSPENDED_ON,
    awaiting_signature,
    cleared,
    closed,
    drafting,
    in_force,
    in_negotiation,
    refused,
    review_requested,
    signed,
    signed_by_cern,
    suspended,
    with_text,
)


def start(**overrides) -> CooperationAgreement:
    fields = dict(
        by=ALICE, context=NO_REASON, title="Protocol on computing", kind=AgreementKind.PROTOCOL,
        counterparties=[CHILE], workflow_version=1,
    )
    return CooperationAgreement.start(**{**fields, **overrides})


UNAUTHENTICATED = [Actor("", Role.IR_OFFICER), Actor("alice", "ir_officer")]


def replay(events) -> CooperationAgreement:
    agreement = None
    for e in events:
        agreement = e.mutate(agreement)
    return agreement


# ---- creation ------------------------------------------------------------------------------------


def test_a_new_agreement_starts_in_drafting_as_a_draft_under_its_workflow_version():
    agreement = start(title="  Protocol on computing  ")

    assert agreement.stage is Stage.DRAFTING
    assert agreement.status is Status.DRAFT
    assert agreement.workflow_version == 1
    assert agreement.title == "Protocol on computing"
    assert agreement.parties == (ORGANISATION, CHILE.name)
    assert len(agreement.pending_events) == 1


@pytest.mark.parametrize("title", ["", "   "])
def test_creation_is_refused_without_a_title(title):
    with pytest.raises(InvalidValueError) as caught:
        start(title=title)
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "title"


def test_creation_is_refused_without_a_counterparty():
    with pytest.raises(InvalidValueError) as caught:
        start(counterparties=[])
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "counterparties"


def test_creation_is_refused_when_a_counterparty_appears_twice():
    with pytest.raises(InvalidValueError) as caught:
        start(counterparties=[CHILE, Counterparty(CHILE.name, PartyKind.STATE)])
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "counterparties"


def test_creation_is_refused_when_cern_is_named_as_a_counterparty():
    with pytest.raises(InvalidValueError) as caught:
        start(counterparties=[CHILE, Counterparty(ORGANISATION, PartyKind.ORGANISATION)])
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "counterparties"


@pytest.mark.parametrize("country", ["cl", "CHL", "C1", ""])
def test_creation_is_refused_for_a_country_that_is_not_an_iso_alpha_2_code(country):
    with pytest.raises(InvalidValueError) as caught:
        start(counterparties=[Counterparty("Republic of Chile", PartyKind.STATE, country)])
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "counterparties.country"


def test_a_counterparty_without_a_country_is_accepted():
    agreement = start(counterparties=[Counterparty("European Commission", PartyKind.ORGANISATION)])

    assert agreement.parties == (ORGANISATION, "European Commission")


@pytest.mark.parametrize("actor", UNAUTHENTICATED, ids=["no_name", "role_not_a_role"])
def test_creation_is_refused_without_an_authenticated_actor(actor):
    with pytest.raises(UnauthenticatedError) as caught:
        start(by=actor)
    assert caught.value.rule == "authenticated_actor"


def test_creation_is_refused_when_the_reason_is_longer_than_2000_characters():
    with pytest.raises(InvalidValueError) as caught:
        start(context=StepContext(reason="x" * 2001))
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "reason"


# ---- every step: actor, reason, stage ------------------------------------------------------------


@pytest.mark.parametrize("actor", UNAUTHENTICATED, ids=["no_name", "role_not_a_role"])
def test_a_step_is_refused_without_an_authenticated_actor(actor):
    agreement = drafting()

    with refused(agreement, UnauthenticatedError, "authenticated_actor"):
        agreement.attach_text(by=actor, context=NO_REASON, document=FIRST_TEXT)


def test_a_step_is_refused_when_the_reason_is_longer_than_2000_characters():
    agreement = drafting()

    with refused(agreement, InvalidValueError, "invalid_value") as caught:
        agreement.attach_text(by=ALICE, context=StepContext(reason="x" * 2001), document=FIRST_TEXT)
    assert caught.value.field == "reason"


def test_a_reason_of_exactly_2000_characters_is_recorded_with_the_event():
    agreement = drafting()

    agreement.attach_text(by=ALICE, context=StepContext(reason="x" * 2000, reference="IR/2025/7"), document=FIRST_TEXT)

    event = agreement.pending_events[-1]
    assert (event.by, event.context.reason, event.context.reference) == (ALICE, "x" * 2000, "IR/2025/7")


STEPS_OUTSIDE_THEIR_STAGES = [
    ("attach_text", signed, dict(document=SECOND_TEXT)),
    ("attach_text", closed, dict(document=SECOND_TEXT)),
    ("request_legal_review", awaiting_signature, {}),
    ("complete_legal_review", in_force, dict(outcome=ReviewOutcome.CLEARED)),
    ("open_negotiation", in_negotiation, {}),
    ("record_round", drafting, dict(held_on=date(2025, 1, 10), summary="first round")),
    ("record_round", awaiting_signature, dict(held_on=date(2025, 1, 10), summary="late round")),
    ("finalise_text", cleared, {}),
    ("record_signature", in_negotiation, dict(party=ORGANISATION, signatory="DG", signed_on=CHILE_SIGNED_ON)),
    ("enter_into_force", in_negotiation, dict(effective_on=EFFECTIVE_ON)),
    ("enter_into_force", in_force, dict(effective_on=EFFECTIVE_ON)),
    ("record_milestone", signed, dict(on=date(2025, 9, 1), summary="first workshop")),
    ("renew", signed, dict(expires_on=date(2035, 12, 31))),
    ("suspend", signed, dict(effective_on=date(2026, 1, 1))),
    ("resume", closed, dict(effective_on=date(2027, 6, 1))),
    ("terminate", signed, dict(effective_on=date(2026, 1, 1))),
    ("terminate", closed, dict(effective_on=date(2027, 6, 1))),
    ("expire", signed, dict(today=date(2040, 1, 1))),
    ("expire", closed, dict(today=date(2040, 1, 1))),
]


@pytest.mark.parametrize(
    ("step", "build", "fields"), STEPS_OUTSIDE_THEIR_STAGES,
    ids=[f"{step}-in-{build.__name__}" for step, build, _ in STEPS_OUTSIDE_THEIR_STAGES],
)
def test_a_step_is_refused_outside_its_stages(step, build, fields):
    agreement = build()
    stage = agreement.stage

    with refused(agreement, StageError, "stage"):
        getattr(agreement, step)(by=CARLA, context=NO_REASON, **fields)
    assert agreement.stage is stage


# ---- the text and its legal review ---------------------------------------------------------------


def test_an_attached_text_becomes_the_current_text():
    agreement = drafting()

    agreement.attach_text(by=ALICE, context=NO_REASON, document=FIRST_TEXT)

    assert agreement.current_text == FIRST_TEXT
    assert agreement.legal_clearance is Clearance.NONE


@pytest.mark.parametrize(
    "sha256", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, ""], ids=["uppercase", "short", "long", "not_hex", "empty"]
)
def test_a_text_with_a_malformed_sha256_is_refused(sha256):
    agreement = drafting()

    with refused(agreement, InvalidValueError, "invalid_value") as caught:
        agreement.attach_text(by=ALICE, context=NO_REASON, document=Document("Draft", sha256))
    assert caught.value.field == "document.sha256"


def test_a_text_without_a_title_is_refused():
    agreement = drafting()

    with refused(agreement, InvalidValueError, "invalid_value") as caught:
        agreement.attach_text(by=ALICE, context=NO_REASON, document=Document(" ", "a" * 64))
    assert caught.value.field == "document.title"


def test_attaching_a_new_text_lapses_the_clearance_of_the_earlier_one():
    agreement = cleared()
    assert agreement.is_cleared

    agreement.attach_text(by=ALICE, context=NO_REASON, document=SECOND_TEXT)

    assert agreement.legal_clearance is Clearance.NONE
    assert not agreement.is_cleared


def test_attaching_a_new_text_cancels_a_pending_review():
    agreement = review_requested()

    agreement.attach_text(by=ALICE, context=NO_REASON, document=SECOND_TEXT)

    assert agreement.legal_clearance is Clearance.NONE
    with refused(agreement, StageError, "needs_pending_review"):
        agreement.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED)


def test_a_legal_review_cannot_be_requested_without_a_text():
    agreement = drafting()

    with refused(agreement, StageError, "needs_text"):
        agreement.request_legal_review(by=ALICE, context=NO_REASON)


def test_a_legal_review_cannot_be_requested_while_one_is_pending():
    agreement = review_requested()

    with refused(agreement, StageError, "review_pending"):
        agreement.request_legal_review(by=DMITRI, context=NO_REASON)


def test_a_legal_review_cannot_be_requested_for_a_text_already_cleared():
    agreement = cleared()

    with refused(agreement, StageError, "already_cleared"):
        agreement.request_legal_review(by=ALICE, context=NO_REASON)


def test_a_legal_review_can_be_requested_again_after_changes_were_requested():
    agreement = review_requested()
    agreement.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CHANGES_REQUESTED)
    assert agreement.legal_clearance is Clearance.CHANGES_REQUESTED

    agreement.request_legal_review(by=ALICE, context=NO_REASON)

    assert agreement.legal_clearance is Clearance.REQUESTED


def test_a_legal_review_cannot_be_completed_without_a_pending_request():
    agreement = with_text()

    with refused(agreement, StageError, "needs_pending_review"):
        agreement.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED)


def test_a_completed_review_clears_the_current_text():
    agreement = review_requested()

    agreement.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED, comments="fine")

    assert agreement.legal_clearance is Clearance.CLEARED
    assert agreement.is_cleared
    assert agreement.reviewed_by == "bruno"


def test_the_person_who_attached_the_text_cannot_complete_its_review():
    agreement = drafting()
    agreement.attach_text(by=BRUNO, context=NO_REASON, document=FIRST_TEXT)
    agreement.request_legal_review(by=ALICE, context=NO_REASON)

    with refused(agreement, FourEyesError, "four_eyes"):
        agreement.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED)
    assert agreement.legal_clearance is Clearance.REQUESTED


def test_the_person_who_cleared_the_text_cannot_finalise_it():
    agreement = in_negotiation()
    assert agreement.reviewed_by == BRUNO.name

    with refused(agreement, FourEyesError, "four_eyes"):
        agreement.finalise_text(by=BRUNO, context=NO_REASON)
    assert agreement.stage is Stage.NEGOTIATION


# ---- negotiation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [drafting, with_text, review_requested])
def test_negotiation_cannot_open_before_the_current_text_is_cleared(build):
    agreement = build()

    with refused(agreement, StageError, "needs_cleared_text"):
        agreement.open_negotiation(by=ALICE, context=NO_REASON)


def test_negotiation_cannot_open_when_the_text_changed_after_its_clearance():
    agreement = cleared()
    agreement.attach_text(by=ALICE, context=NO_REASON, document=SECOND_TEXT)

    with refused(agreement, StageError, "needs_cleared_text"):
        agreement.open_negotiation(by=ALICE, context=NO_REASON)


def test_a_clearance_holds_only_for_the_text_it_was_given_for():
    agreement = cleared()

    agreement.current_text = SECOND_TEXT  # as if the text had changed without the lapse of its clearance

    assert agreement.legal_clearance is Clearance.CLEARED
    assert not agreement.is_cleared


def test_opening_negotiation_on_a_cleared_text_moves_to_negotiation():
    agreement = cleared()

    agreement.open_negotiation(by=ALICE, context=NO_REASON)

    assert (agreement.stage, agreement.status) == (Stage.NEGOTIATION, Status.UNDER_NEGOTIATION)


def test_a_negotiation_round_is_recorded_with_its_date():
    agreement = in_negotiation()

    agreement.record_round(by=ALICE, context=NO_REASON, held_on=date(2025, 2, 3), summary="contributions")

    assert agreement.rounds_held == 1
    assert [(r.on, r.summary) for r in agreement.recent_rounds] == [(date(2025, 2, 3), "contributions")]


def test_a_negotiation_round_needs_a_summary():
    agreement = in_negotiation()

    with refused(agreement, InvalidValueError, "invalid_value") as caught:
        agreement.record_round(by=ALICE, context=NO_REASON, held_on=date(2025, 2, 3), summary=" ")
    assert caught.value.field == "summary"


def test_the_text_cannot_be_finalised_when_a_new_text_awaits_clearance():
    agreement = in_negotiation()
    agreement.attach_text(by=ALICE, context=NO_REASON, document=SECOND_TEXT)

    with refused(agreement, StageError, "needs_cleared_text"):
        agreement.finalise_text(by=ALICE, context=NO_REASON)


def test_finalising_the_cleared_text_freezes_it_and_moves_to_signature():
    agreement = in_negotiation()

    agreement.finalise_text(by=ALICE, context=NO_REASON)

    assert (agreement.stage, agreement.status) == (Stage.SIGNATURE, Status.AWAITING_SIGNATURE)
    assert agreement.finalised_text == FIRST_TEXT


# ---- signature and entry into force --------------------------------------------------------------


def test_a_signature_by_someone_who_is_not_a_party_is_refused():
    agreement = awaiting_signature()

    with refused(agreement, InvalidValueError, "party_unknown") as caught:
        agreement.record_signature(
            by=ALICE, context=NO_REASON, party="Republic of Peru", signatory="Minister", signed_on=CHILE_SIGNED_ON
        )
    assert caught.value.field == "party"


def test_each_party_signs_only_once():
    agreement = signed_by_cern()

    with refused(agreement, InvalidValueError, "signed_once"):
        agreement.record_signature(
            by=ALICE, context=NO_REASON, party=ORGANISATION, signatory="Deputy DG", signed_on=CHILE_SIGNED_ON
        )


def test_a_signature_needs_a_signatory():
    agreement = awaiting_signature()

    with refused(agreement, InvalidValueError, "invalid_value") as caught:
        agreement.record_signature(
            by=ALICE, context=NO_REASON, party=CHILE.name, signatory="", signed_on=CHILE_SIGNED_ON
        )
    assert caught.value.field == "signatory"


def test_the_agreement_is_signed_once_every_party_has_signed():
    agreement = signed_by_cern()
    assert agreement.status is Status.AWAITING_SIGNATURE

    agreement.record_signature(
        by=BRUNO, context=NO_REASON, party=CHILE.name, signatory="Minister", signed_on=CHILE_SIGNED_ON
    )

    assert agreement.status is Status.SIGNED
    assert agreement.stage is Stage.SIGNATURE
    assert agreement.unsigned_parties == ()


def test_no_signature_is_recorded_once_every_party_has_signed_whoever_it_names():
    agreement = signed_by_cern()
    agreement.record_signature(
        by=BRUNO, context=NO_REASON, party=CHILE.name, signatory="Minister", signed_on=CHILE_SIGNED_ON
    )

    for party in (ORGANISATION, "Republic of Peru"):
        with refused(agreement, StageError, "signed_once") as caught:
            agreement.record_signature(
                by=ALICE, context=NO_REASON, party=party, signatory="Deputy", signed_on=CHILE_SIGNED_ON
            )
        assert caught.value.field is None, "the state refuses it, whatever the form says"


def test_entry_into_force_needs_every_party_to_have_signed():
    agreement = signed_by_cern()

    with refused(agreement, StageError, "all_parties_signed"):
        agreement.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=EFFECTIVE_ON)


def test_entry_into_force_cannot_precede_the_last_signature():
    agreement = signed()

    with refused(agreement, InvalidValueError, "not_before_last_signature"):
        agreement.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=date(2025, 5, 19))


def test_entry_into_force_on_the_day_of_the_last_signature_is_allowed():
    agreement = signed()

    agreement.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=LAST_SIGNATURE)

    assert (agreement.stage, agreement.status) == (Stage.IMPLEMENTATION, Status.IN_FORCE)
    assert agreement.effective_on == LAST_SIGNATURE


# ---- implementation ------------------------------------------------------------------------------


def test_a_milestone_is_recorded_with_its_date():
    agreement = in_force()

    agreement.record_milestone(by=ALICE, context=NO_REASON, on=date(2025, 9, 1), summary="first workshop")

    assert agreement.milestones_recorded == 1
    assert [(m.on, m.summary) for m in agreement.recent_milestones] == [(date(2025, 9, 1), "first workshop")]


def test_renewal_extends_the_expiry_to_a_later_date():
    agreement = in_force()

    agreement.renew(by=BRUNO, context=NO_REASON, expires_on=date(2035, 12, 31))

    assert agreement.expires_on == date(2035, 12, 31)


@pytest.mark.parametrize("new_expiry", [EXPIRES_ON, date(2029, 12, 31)], ids=["same_date", "earlier_date"])
def test_renewal_must_be_later_than_the_current_expiry(new_expiry):
    agreement = in_force()

    with refused(agreement, InvalidValueError, "later_expiry"):
        agreement.renew(by=BRUNO, context=NO_REASON, expires_on=new_expiry)
    assert agreement.expires_on == EXPIRES_ON


def test_an_agreement_without_an_expiry_cannot_be_renewed():
    agreement = in_force(expires_on=None)

    with refused(agreement, StageError, "has_expiry"):
        agreement.renew(by=BRUNO, context=NO_REASON, expires_on=date(2035, 12, 31))


def test_suspension_suspends_an_agreement_in_force():
    agreement = in_force()

    agreement.suspend(by=BRUNO, context=NO_REASON, effective_on=SUSPENDED_ON)

    assert (agreement.stage, agreement.status) == (Stage.IMPLEMENTATION, Status.SUSPENDED)


def test_only_an_agreement_in_force_can_be_suspended():
    agreement = suspended()

    with refused(agreement, StageError, "status"):
        agreement.suspend(by=BRUNO, context=NO_REASON, effective_on=date(2026, 4, 1))


def test_only_a_suspended_agreement_can_be_resumed():
    agreement = in_force()

    with refused(agreement, StageError, "status"):
        agreement.resume(by=BRUNO, context=NO_REASON, effective_on=date(2026, 4, 1))


def test_resumption_brings_a_suspended_agreement_back_into_force_on_the_day_of_its_suspension():
    agreement = suspended()

    agreement.resume(by=BRUNO, context=NO_REASON, effective_on=SUSPENDED_ON)

    assert agreement.status is Status.IN_FORCE


def test_a_suspension_cannot_precede_the_entry_into_force():
    agreement = in_force()

    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.suspend(by=BRUNO, context=NO_REASON, effective_on=date(2025, 5, 31))


def test_a_resumption_cannot_precede_the_suspension():
    agreement = suspended()

    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.resume(by=BRUNO, context=NO_REASON, effective_on=date(2026, 2, 28))


def test_a_second_suspension_cannot_precede_the_resumption():
    agreement = suspended()
    agreement.resume(by=BRUNO, context=NO_REASON, effective_on=date(2026, 6, 1))

    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.suspend(by=BRUNO, context=NO_REASON, effective_on=date(2026, 5, 31))


def test_termination_closes_the_agreement_as_terminated():
    agreement = in_force()

    agreement.terminate(by=BRUNO, context=NO_REASON, effective_on=date(2027, 1, 1))

    assert (agreement.stage, agreement.status, agreement.closed_on) == (
        Stage.CLOSED, Status.TERMINATED, date(2027, 1, 1),
    )


def test_a_suspended_agreement_can_be_terminated():
    agreement = suspended()

    agreement.terminate(by=BRUNO, context=NO_REASON, effective_on=SUSPENDED_ON)

    assert agreement.status is Status.TERMINATED


def test_a_termination_cannot_precede_the_entry_into_force():
    agreement = in_force()

    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.terminate(by=BRUNO, context=NO_REASON, effective_on=date(2025, 5, 31))


def test_a_termination_cannot_precede_the_suspension():
    agreement = suspended()

    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.terminate(by=BRUNO, context=NO_REASON, effective_on=date(2026, 2, 28))


def test_a_termination_cannot_precede_the_resumption():
    agreement = suspended()
    agreement.resume(by=BRUNO, context=NO_REASON, effective_on=date(2026, 6, 1))

    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.terminate(by=BRUNO, context=NO_REASON, effective_on=date(2026, 4, 1))


def test_an_agreement_cannot_expire_on_its_expiry_date():
    agreement = in_force()

    with refused(agreement, StageError, "expiry_passed"):
        agreement.expire(by=BRUNO, context=NO_REASON, today=EXPIRES_ON)
    assert agreement.stage is Stage.IMPLEMENTATION


def test_an_agreement_expires_once_its_expiry_date_has_passed():
    agreement = in_force()

    agreement.expire(by=BRUNO, context=NO_REASON, today=date(2031, 1, 1))

    assert (agreement.stage, agreement.status, agreement.closed_on) == (Stage.CLOSED, Status.EXPIRED, EXPIRES_ON)


def test_an_agreement_without_an_expiry_never_expires():
    agreement = in_force(expires_on=None)

    with refused(agreement, StageError, "expiry_passed"):
        agreement.expire(by=BRUNO, context=NO_REASON, today=date(2099, 1, 1))


# ---- withdrawal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [drafting, in_negotiation, awaiting_signature, signed])
def test_an_agreement_can_be_withdrawn_before_it_enters_into_force(build):
    agreement = build()

    agreement.withdraw(by=ALICE, context=NO_REASON)

    assert (agreement.stage, agreement.status) == (Stage.CLOSED, Status.WITHDRAWN)


@pytest.mark.parametrize("build", [in_force, suspended, closed])
def test_an_agreement_cannot_be_withdrawn_once_it_has_entered_into_force(build):
    agreement = build()
    status = agreement.status

    with refused(agreement, StageError, "stage"):
        agreement.withdraw(by=ALICE, context=NO_REASON)
    assert agreement.status is status


# ---- corrections ---------------------------------------------------------------------------------


def test_the_title_can_be_corrected():
    agreement = drafting()

    agreement.correct(by=BRUNO, context=NO_REASON, field="title", value="Protocol on grid computing")

    assert agreement.title == "Protocol on grid computing"


def test_a_corrected_title_is_kept_without_surrounding_spaces():
    agreement = drafting()

    agreement.correct(by=BRUNO, context=NO_REASON, field="title", value="  Protocol on grid computing  ")

    assert agreement.title == "Protocol on grid computing"


@pytest.mark.parametrize(
    ("field", "value"), [("expires_on", date(2031, 6, 30)), ("effective_on", date(2025, 6, 2))]
)
def test_a_real_world_date_can_be_corrected(field, value):
    agreement = in_force()

    agreement.correct(by=BRUNO, context=NO_REASON, field=field, value=value.isoformat())

    assert getattr(agreement, field) == value


def test_a_closed_agreement_can_still_be_corrected():
    agreement = closed()

    agreement.correct(by=BRUNO, context=NO_REASON, field="effective_on", value="2025-06-02")

    assert agreement.effective_on == date(2025, 6, 2)
    assert agreement.stage is Stage.CLOSED


@pytest.mark.parametrize("field", ["stage", "status", "kind", "counterparties", "signatures"])
def test_only_the_title_and_real_world_dates_can_be_corrected(field):
    agreement = in_force()

    with refused(agreement, InvalidValueError, "correctable_field") as caught:
        agreement.correct(by=BRUNO, context=NO_REASON, field=field, value="closed")
    assert caught.value.field == "field"


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "Protocol on computing"), ("title", " Protocol on computing "), ("expires_on", EXPIRES_ON.isoformat()),
     ("effective_on", EFFECTIVE_ON.isoformat())],
)
def test_a_correction_that_changes_nothing_is_refused(field, value):
    agreement = in_force()

    with refused(agreement, InvalidValueError, "changes_something"):
        agreement.correct(by=BRUNO, context=NO_REASON, field=field, value=value)


def test_a_title_cannot_be_corrected_to_nothing():
    agreement = drafting()

    with refused(agreement, InvalidValueError, "text"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="title", value="  ")


def test_a_date_correction_needs_an_iso_date():
    agreement = in_force()

    with refused(agreement, InvalidValueError, "invalid_value") as caught:
        agreement.correct(by=BRUNO, context=NO_REASON, field="expires_on", value="31/12/2031")
    assert caught.value.field == "value"


def test_a_corrected_entry_into_force_cannot_precede_the_last_signature():
    agreement = in_force()

    with refused(agreement, InvalidValueError, "not_before_last_signature"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="effective_on", value="2025-05-19")
    assert agreement.effective_on == EFFECTIVE_ON


def test_the_entry_into_force_cannot_be_corrected_before_there_is_one():
    agreement = signed()

    with refused(agreement, StageError, "has_effective_on"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="effective_on", value="2025-06-01")


def test_a_correction_is_a_new_event_and_the_earlier_state_stays_reachable():
    agreement = in_force()
    version_before = agreement.version

    agreement.correct(by=BRUNO, context=NO_REASON, field="title", value="Protocol on grid computing")

    events = agreement.pending_events
    correction = events[-1]
    assert agreement.version == version_before + 1
    assert type(correction).__name__ == "Corrected"
    assert (correction.field, correction.value, correction.previous) == (
        "title", "Protocol on grid computing", "Protocol on computing",
    )
    assert replay(events[:-1]).title == "Protocol on computing"
    assert replay(events).title == "Protocol on grid computing"
