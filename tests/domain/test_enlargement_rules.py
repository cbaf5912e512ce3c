"""The rules of an enlargement process, one small test per rule or refusal, on the aggregate alone."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain.enlargement import EnlargementProcess
from domain.errors import FourEyesError, InvalidValueError, StageError, UnauthenticatedError
from domain.values import (
    Actor,
    Clearance,
    Document,
    ProcessStatus,
    ReviewOutcome,
    Role,
    Stage,
    State,
    StepContext,
    Target,
)
from tests.domain.enlargement_lifecycle import (
    APPLIED_ON,
    APPROVED_ON,
    AUTHORISED_ON,
    EFFECTIVE_ON,
    ENDED_ON,
    ENDING,
    ESTONIA,
    FIRST_TEXT,
    RATIFIED_ON,
    REPORT,
    REPORT_ON,
    SECOND_TEXT,
    SIGNATORIES,
    SIGNED_ON,
    TASK_FORCE_ON,
    approved,
    changes_requested,
    cleared,
    drafting,
    ended,
    in_force,
    in_negotiation,
    ratified,
    reported,
    review_requested,
    signed,
    with_task_force,
    with_text,
    withdrawn,
)
from tests.domain.lifecycle import ALICE, BRUNO, CARLA, DMITRI, NO_REASON, refused
from workflows.definitions import ENLARGEMENT_V1

DAY = timedelta(days=1)
UNAUTHENTICATED = [Actor("", Role.IR_OFFICER), Actor("  ", Role.LEGAL_OFFICER), Actor("alice", "ir_officer")]
UNAUTHENTICATED_IDS = ["no_name", "blank_name", "role_not_a_role"]


def start(**overrides) -> EnlargementProcess:
    fields = dict(by=ALICE, context=NO_REASON, state=ESTONIA, target=Target.ASSOCIATE_MEMBER_PRE_STAGE,
                  applied_on=APPLIED_ON, workflow_version=1)
    return EnlargementProcess.start(**{**fields, **overrides})


def replay(events) -> EnlargementProcess:
    process = None
    for e in events:
        process = e.mutate(process)
    return process


# ---- creation ------------------------------------------------------------------------------------


def test_a_new_process_starts_in_drafting_as_a_draft_under_its_workflow_version():
    process = start(state=State("  Estonia  ", "EE"), target=Target.MEMBER)

    assert (process.stage, process.status) == (Stage.DRAFTING, ProcessStatus.DRAFT)
    assert process.workflow_version == 1
    assert process.state == State("Estonia", "EE")
    assert process.target is Target.MEMBER
    assert process.applied_on == APPLIED_ON
    assert process.created_by == "alice"
    assert len(process.pending_events) == 1


def test_a_process_can_be_opened_under_an_id_chosen_by_the_caller():
    chosen = uuid4()

    process = start(id=chosen)

    assert process.id == chosen


@pytest.mark.parametrize("country", ["ee", "EST", "E1", "", None])
def test_creation_is_refused_for_a_country_that_is_not_an_iso_alpha_2_code(country):
    with pytest.raises(InvalidValueError) as caught:
        start(state=State("Estonia", country))
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "state.country"


@pytest.mark.parametrize("name", ["", "   "])
def test_creation_is_refused_without_the_name_of_the_state(name):
    with pytest.raises(InvalidValueError) as caught:
        start(state=State(name, "EE"))
    assert caught.value.rule == "invalid_value"
    assert caught.value.field == "state.name"


@pytest.mark.parametrize("actor", UNAUTHENTICATED, ids=UNAUTHENTICATED_IDS)
def test_creation_is_refused_without_an_authenticated_actor(actor):
    with pytest.raises(UnauthenticatedError) as caught:
        start(by=actor)
    assert caught.value.rule == "authenticated_actor"


def test_creation_is_refused_when_the_reason_is_longer_than_2000_characters():
    with pytest.raises(InvalidValueError) as caught:
        start(context=StepContext(reason="x" * 2001))
    assert caught.value.field == "reason"


# ---- every step: an authenticated actor, one event -------------------------------------------------

EVERY_STEP = {
    "establish_task_force": (drafting, dict(decided_on=TASK_FORCE_ON)),
    "submit_task_force_report": (with_task_force, dict(submitted_on=REPORT_ON, document=REPORT)),
    "authorise_negotiation": (drafting, dict(decided_on=AUTHORISED_ON)),
    "attach_text": (in_negotiation, dict(document=FIRST_TEXT)),
    "request_legal_review": (with_text, {}),
    "complete_legal_review": (review_requested, dict(outcome=ReviewOutcome.CLEARED)),
    "record_round": (in_negotiation, dict(held_on=date(2019, 9, 12), summary="First round in Tallinn")),
    "approve_agreement": (cleared, dict(decided_on=APPROVED_ON)),
    "sign_agreement": (approved, dict(signed_on=SIGNED_ON, signatories=SIGNATORIES)),
    "notify_ratification": (signed, dict(notified_on=RATIFIED_ON)),
    "enter_into_force": (ratified, dict(effective_on=EFFECTIVE_ON)),
    "end_participation": (in_force, dict(effective_on=ENDED_ON)),
    "withdraw": (drafting, {}),
    "correct": (in_force, dict(field="effective_on", value="2021-03-01")),
}
"""Each step, with a process in a stage that allows it and fields it accepts."""


def test_every_step_of_the_workflow_definition_is_a_command_of_the_process():
    assert [s.name for s in ENLARGEMENT_V1.steps] == list(EVERY_STEP)
    for name in EVERY_STEP:
        assert callable(getattr(EnlargementProcess, name))


@pytest.mark.parametrize("step", list(EVERY_STEP))
def test_a_step_records_one_event_with_its_actor_reason_and_reference(step):
    build, fields = EVERY_STEP[step]
    process = build()
    version = process.version
    context = StepContext(reason="Council decision CERN/1234", reference="CERN/1234/RA")

    getattr(process, step)(by=CARLA, context=context, **fields)

    event = process.pending_events[-1]
    assert process.version == version + 1
    assert (event.by, event.context) == (CARLA, context)
    assert process.last_actor == "carla"


@pytest.mark.parametrize("actor", UNAUTHENTICATED, ids=UNAUTHENTICATED_IDS)
@pytest.mark.parametrize("step", list(EVERY_STEP))
def test_no_step_is_recorded_without_an_authenticated_actor(step, actor):
    build, fields = EVERY_STEP[step]
    process = build()

    with refused(process, UnauthenticatedError, "authenticated_actor"):
        getattr(process, step)(by=actor, context=ENDING, **fields)


def test_a_step_is_refused_when_the_reason_is_longer_than_2000_characters():
    process = in_force()

    with refused(process, InvalidValueError, "invalid_value") as caught:
        process.end_participation(by=CARLA, context=StepContext(reason="x" * 2001), effective_on=ENDED_ON)
    assert caught.value.field == "reason"


# ---- stages --------------------------------------------------------------------------------------

STEPS_OUTSIDE_THEIR_STAGES = [
    ("establish_task_force", in_negotiation, dict(decided_on=date(2022, 1, 1))),
    ("submit_task_force_report", in_negotiation, dict(submitted_on=date(2022, 1, 1), document=REPORT)),
    ("authorise_negotiation", in_negotiation, dict(decided_on=date(2022, 1, 1))),
    ("authorise_negotiation", approved, dict(decided_on=date(2022, 1, 1))),
    ("attach_text", drafting, dict(document=FIRST_TEXT)),
    ("attach_text", approved, dict(document=SECOND_TEXT)),
    ("request_legal_review", drafting, {}),
    ("request_legal_review", signed, {}),
    ("complete_legal_review", approved, dict(outcome=ReviewOutcome.CLEARED)),
    ("record_round", drafting, dict(held_on=date(2019, 1, 10), summary="exploratory talks")),
    ("record_round", approved, dict(held_on=date(2022, 1, 10), summary="late round")),
    ("approve_agreement", reported, dict(decided_on=date(2022, 1, 1))),
    ("approve_agreement", signed, dict(decided_on=date(2022, 1, 1))),
    ("sign_agreement", cleared, dict(signed_on=date(2022, 1, 1), signatories=SIGNATORIES)),
    ("notify_ratification", cleared, dict(notified_on=date(2022, 1, 1))),
    ("enter_into_force", cleared, dict(effective_on=date(2022, 1, 1))),
    ("enter_into_force", in_force, dict(effective_on=date(2022, 1, 1))),
    ("end_participation", ratified, dict(effective_on=date(2025, 1, 1))),
    ("end_participation", ended, dict(effective_on=date(2025, 1, 1))),
    ("end_participation", withdrawn, dict(effective_on=date(2025, 1, 1))),
    ("withdraw", in_force, {}),
    ("withdraw", ended, {}),
    ("withdraw", withdrawn, {}),
]


@pytest.mark.parametrize(
    ("step", "build", "fields"), STEPS_OUTSIDE_THEIR_STAGES,
    ids=[f"{step}-in-{build.__name__}" for step, build, _ in STEPS_OUTSIDE_THEIR_STAGES],
)
def test_a_step_is_refused_outside_its_stages(step, build, fields):
    process = build()
    stage, status = process.stage, process.status

    with refused(process, StageError, "stage"):
        getattr(process, step)(by=CARLA, context=ENDING, **fields)
    assert (process.stage, process.status) == (stage, status)


# ---- drafting: task force and authorisation --------------------------------------------------------


def test_a_task_force_is_established_on_the_date_of_the_council_decision():
    process = drafting()

    process.establish_task_force(by=ALICE, context=NO_REASON, decided_on=TASK_FORCE_ON)

    assert process.task_force_on == TASK_FORCE_ON
    assert process.stage is Stage.DRAFTING


def test_a_task_force_is_established_only_once():
    process = with_task_force()

    with refused(process, StageError, "task_force_once"):
        process.establish_task_force(by=ALICE, context=NO_REASON, decided_on=REPORT_ON)


def test_a_task_force_report_needs_a_task_force():
    process = drafting()

    with refused(process, StageError, "needs_task_force"):
        process.submit_task_force_report(by=ALICE, context=NO_REASON, submitted_on=REPORT_ON, document=REPORT)


def test_the_task_force_report_is_recorded_with_its_document_and_date():
    process = with_task_force()

    process.submit_task_force_report(by=ALICE, context=NO_REASON, submitted_on=REPORT_ON, document=REPORT)

    assert (process.task_force_report, process.task_force_report_on) == (REPORT, REPORT_ON)


def test_the_task_force_reports_only_once():
    process = reported()

    with refused(process, StageError, "report_once"):
        process.submit_task_force_report(by=ALICE, context=NO_REASON, submitted_on=REPORT_ON,
                                         document=Document("Second report", "d" * 64))
    assert process.task_force_report == REPORT


def test_a_task_force_report_with_a_malformed_sha256_is_refused():
    process = with_task_force()

    with refused(process, InvalidValueError, "invalid_value") as caught:
        process.submit_task_force_report(by=ALICE, context=NO_REASON, submitted_on=REPORT_ON,
                                         document=Document("Report", "C" * 64))
    assert caught.value.field == "document.sha256"


def test_negotiation_cannot_be_authorised_while_the_task_force_has_not_reported():
    process = with_task_force()

    with refused(process, StageError, "task_force_report_pending"):
        process.authorise_negotiation(by=ALICE, context=NO_REASON, decided_on=AUTHORISED_ON)
    assert process.stage is Stage.DRAFTING


def test_negotiation_is_authorised_after_the_task_force_reported():
    process = reported()

    process.authorise_negotiation(by=ALICE, context=NO_REASON, decided_on=AUTHORISED_ON)

    assert (process.stage, process.status) == (Stage.NEGOTIATION, ProcessStatus.UNDER_NEGOTIATION)
    assert process.negotiation_authorised_on == AUTHORISED_ON


def test_negotiation_can_be_authorised_without_any_task_force():
    process = drafting()

    process.authorise_negotiation(by=ALICE, context=NO_REASON, decided_on=AUTHORISED_ON)

    assert (process.stage, process.status) == (Stage.NEGOTIATION, ProcessStatus.UNDER_NEGOTIATION)
    assert process.task_force_on is None


# ---- negotiation: the text, its legal review, the Council's approval -------------------------------


def test_a_text_attached_in_negotiation_becomes_the_current_text():
    process = in_negotiation()

    process.attach_text(by=ALICE, context=NO_REASON, document=FIRST_TEXT)

    assert process.current_text == FIRST_TEXT
    assert process.legal_clearance is Clearance.NONE


def test_a_negotiation_round_is_recorded_with_its_date():
    process = in_negotiation()

    process.record_round(by=ALICE, context=NO_REASON, held_on=date(2019, 9, 12), summary="First round")

    assert process.rounds_held == 1
    assert [(r.on, r.summary) for r in process.recent_rounds] == [(date(2019, 9, 12), "First round")]


def test_a_negotiation_round_needs_a_summary():
    process = in_negotiation()

    with refused(process, InvalidValueError, "invalid_value") as caught:
        process.record_round(by=ALICE, context=NO_REASON, held_on=date(2019, 9, 12), summary="  ")
    assert caught.value.field == "summary"


def test_a_legal_review_cannot_be_requested_without_a_text():
    process = in_negotiation()

    with refused(process, StageError, "needs_text"):
        process.request_legal_review(by=ALICE, context=NO_REASON)


def test_the_person_who_attached_the_text_cannot_complete_its_legal_review():
    process = in_negotiation()
    process.attach_text(by=BRUNO, context=NO_REASON, document=FIRST_TEXT)
    process.request_legal_review(by=ALICE, context=NO_REASON)

    with refused(process, FourEyesError, "four_eyes"):
        process.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED)
    assert process.legal_clearance is Clearance.REQUESTED


def test_a_legal_review_by_someone_else_clears_the_text():
    process = review_requested()

    process.complete_legal_review(by=CARLA, context=NO_REASON, outcome=ReviewOutcome.CLEARED)

    assert process.is_cleared
    assert process.reviewed_by == "carla"


@pytest.mark.parametrize("build", [in_negotiation, with_text, review_requested, changes_requested])
def test_the_council_cannot_approve_before_the_current_text_is_cleared(build):
    process = build()

    with refused(process, StageError, "needs_cleared_text"):
        process.approve_agreement(by=ALICE, context=NO_REASON, decided_on=APPROVED_ON)
    assert process.stage is Stage.NEGOTIATION


def test_the_council_cannot_approve_when_the_text_changed_after_its_clearance():
    process = cleared()
    process.attach_text(by=DMITRI, context=NO_REASON, document=SECOND_TEXT)

    with refused(process, StageError, "needs_cleared_text"):
        process.approve_agreement(by=ALICE, context=NO_REASON, decided_on=APPROVED_ON)


def test_the_council_approves_a_cleared_text_and_the_process_moves_to_signature():
    process = cleared()

    process.approve_agreement(by=ALICE, context=NO_REASON, decided_on=APPROVED_ON)

    assert (process.stage, process.status) == (Stage.SIGNATURE, ProcessStatus.APPROVED)
    assert process.approved_on == APPROVED_ON


# ---- signature, ratification, entry into force ----------------------------------------------------


@pytest.mark.parametrize("signatories", [(), ("",), ("  ", "")], ids=["none", "empty", "blank"])
def test_a_signature_needs_at_least_one_signatory(signatories):
    process = approved()

    with refused(process, InvalidValueError, "invalid_value") as caught:
        process.sign_agreement(by=ALICE, context=NO_REASON, signed_on=SIGNED_ON, signatories=signatories)
    assert caught.value.field == "signatories"


def test_the_signature_is_recorded_with_its_signatories():
    process = approved()

    process.sign_agreement(by=ALICE, context=NO_REASON, signed_on=SIGNED_ON,
                           signatories=[" Director-General ", "", "Minister"])

    assert (process.stage, process.status) == (Stage.SIGNATURE, ProcessStatus.SIGNED)
    assert (process.signed_on, list(process.signatories)) == (SIGNED_ON, ["Director-General", "Minister"])


def test_the_agreement_is_signed_only_once():
    process = signed()

    with refused(process, StageError, "signed_once"):
        process.sign_agreement(by=ALICE, context=NO_REASON, signed_on=RATIFIED_ON, signatories=["Deputy DG"])


def test_ratification_cannot_be_notified_before_the_signature():
    process = approved()

    with refused(process, StageError, "needs_signature"):
        process.notify_ratification(by=BRUNO, context=NO_REASON, notified_on=RATIFIED_ON)


def test_the_notified_ratification_is_recorded():
    process = signed()

    process.notify_ratification(by=BRUNO, context=NO_REASON, notified_on=RATIFIED_ON)

    assert (process.status, process.ratification_notified_on) == (ProcessStatus.RATIFIED, RATIFIED_ON)


def test_ratification_is_notified_only_once():
    process = ratified()

    with refused(process, StageError, "ratified_once"):
        process.notify_ratification(by=BRUNO, context=NO_REASON, notified_on=EFFECTIVE_ON)


@pytest.mark.parametrize("build", [approved, signed], ids=["not_signed", "signed_not_ratified"])
def test_entry_into_force_needs_the_agreement_signed_and_ratified(build):
    process = build()

    with refused(process, StageError, "signed_and_ratified"):
        process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=EFFECTIVE_ON)
    assert process.stage is Stage.SIGNATURE


def test_entry_into_force_moves_the_process_to_implementation_on_its_date():
    process = ratified()

    process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=EFFECTIVE_ON)

    assert (process.stage, process.status) == (Stage.IMPLEMENTATION, ProcessStatus.IN_FORCE)
    assert process.effective_on == EFFECTIVE_ON


# ---- dates in order ------------------------------------------------------------------------------

DATED_STEPS = [
    ("establish_task_force", drafting, "decided_on", "task_force_on", APPLIED_ON, {}),
    ("submit_task_force_report", with_task_force, "submitted_on", "task_force_report_on", TASK_FORCE_ON,
     dict(document=REPORT)),
    ("authorise_negotiation", drafting, "decided_on", "negotiation_authorised_on", APPLIED_ON, {}),
    ("authorise_negotiation", reported, "decided_on", "negotiation_authorised_on", REPORT_ON, {}),
    ("approve_agreement", cleared, "decided_on", "approved_on", AUTHORISED_ON, {}),
    ("sign_agreement", approved, "signed_on", "signed_on", APPROVED_ON, dict(signatories=SIGNATORIES)),
    ("notify_ratification", signed, "notified_on", "ratification_notified_on", SIGNED_ON, {}),
    ("enter_into_force", ratified, "effective_on", "effective_on", RATIFIED_ON, {}),
]
"""(step, a process ready for it, the step's date field, where the process keeps it, the date of the process's
previous step, other fields)"""
DATED_IDS = [f"{step}-after-{build.__name__}" for step, build, *_ in DATED_STEPS]


@pytest.mark.parametrize(("step", "build", "field", "attribute", "previous", "fields"), DATED_STEPS, ids=DATED_IDS)
def test_a_step_cannot_be_dated_before_the_previous_step(step, build, field, attribute, previous, fields):
    process = build()

    with refused(process, InvalidValueError, "dates_in_order") as caught:
        getattr(process, step)(by=CARLA, context=NO_REASON, **{field: previous - DAY}, **fields)
    assert caught.value.field == field
    assert getattr(process, attribute) is None


@pytest.mark.parametrize(("step", "build", "field", "attribute", "previous", "fields"), DATED_STEPS, ids=DATED_IDS)
def test_a_step_can_be_dated_on_the_day_of_the_previous_step(step, build, field, attribute, previous, fields):
    process = build()

    getattr(process, step)(by=CARLA, context=NO_REASON, **{field: previous}, **fields)

    assert getattr(process, attribute) == previous


def test_a_step_cannot_be_dated_before_an_earlier_step_than_the_previous_one():
    process = approved()  # approved on APPROVED_ON, after the task force and the authorisation

    with refused(process, InvalidValueError, "dates_in_order"):
        process.sign_agreement(by=ALICE, context=NO_REASON, signed_on=TASK_FORCE_ON, signatories=SIGNATORIES)


def test_a_whole_process_can_happen_on_one_day():
    day = date(2024, 8, 30)
    process = drafting(target=Target.MEMBER, applied_on=day)
    process.authorise_negotiation(by=ALICE, context=NO_REASON, decided_on=day)
    process.attach_text(by=ALICE, context=NO_REASON, document=FIRST_TEXT)
    process.request_legal_review(by=ALICE, context=NO_REASON)
    process.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED)
    process.approve_agreement(by=ALICE, context=NO_REASON, decided_on=day)
    process.sign_agreement(by=ALICE, context=NO_REASON, signed_on=day, signatories=SIGNATORIES)
    process.notify_ratification(by=BRUNO, context=NO_REASON, notified_on=day)

    process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=day)

    assert (process.stage, process.effective_on) == (Stage.IMPLEMENTATION, day)


# ---- the end of participation --------------------------------------------------------------------


@pytest.mark.parametrize("context", [NO_REASON, StepContext(reason=""), StepContext(reason="   ")],
                         ids=["none", "empty", "blank"])
def test_ending_participation_needs_a_reason(context):
    process = in_force()

    with refused(process, InvalidValueError, "invalid_value") as caught:
        process.end_participation(by=CARLA, context=context, effective_on=ENDED_ON)
    assert caught.value.field == "reason"
    assert process.stage is Stage.IMPLEMENTATION


@pytest.mark.parametrize("effective_on", [EFFECTIVE_ON, EFFECTIVE_ON - DAY], ids=["same_day", "day_before"])
def test_participation_cannot_end_on_or_before_it_began(effective_on):
    process = in_force()

    with refused(process, InvalidValueError, "dates_in_order") as caught:
        process.end_participation(by=CARLA, context=ENDING, effective_on=effective_on)
    assert caught.value.field == "effective_on"


def test_participation_ends_on_its_date_and_closes_the_process():
    process = in_force()

    process.end_participation(by=CARLA, context=ENDING, effective_on=EFFECTIVE_ON + DAY)

    assert (process.stage, process.status, process.ended_on) == (Stage.CLOSED, ProcessStatus.ENDED,
                                                                 EFFECTIVE_ON + DAY)
    assert process.pending_events[-1].context.reason == ENDING.reason


# ---- withdrawal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [drafting, with_task_force, in_negotiation, cleared, approved, signed, ratified])
def test_a_process_can_be_withdrawn_before_it_enters_into_force(build):
    process = build()

    process.withdraw(by=ALICE, context=NO_REASON)

    assert (process.stage, process.status) == (Stage.CLOSED, ProcessStatus.WITHDRAWN)


@pytest.mark.parametrize("build", [in_force, ended, withdrawn])
def test_a_process_cannot_be_withdrawn_once_in_force_or_closed(build):
    process = build()
    status = process.status

    with refused(process, StageError, "stage"):
        process.withdraw(by=ALICE, context=NO_REASON)
    assert process.status is status


# ---- corrections ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [(in_force, "applied_on", APPLIED_ON - timedelta(days=30)), (in_force, "effective_on", EFFECTIVE_ON + DAY),
     (in_force, "effective_on", RATIFIED_ON), (ended, "effective_on", ENDED_ON - DAY),
     (ended, "ended_on", ENDED_ON + DAY), (ended, "ended_on", EFFECTIVE_ON + DAY)],
    ids=["applied_on-earlier", "effective_on-later", "effective_on-on_ratification", "effective_on-before_end",
         "ended_on-later", "ended_on-day_after_start"],
)
def test_a_real_world_date_can_be_corrected(build, field, value):
    process = build()
    stage = process.stage

    process.correct(by=BRUNO, context=NO_REASON, field=field, value=value.isoformat())

    assert getattr(process, field) == value
    assert process.stage is stage


def test_the_application_date_can_be_moved_freely_while_no_later_step_is_recorded():
    process = drafting()

    process.correct(by=BRUNO, context=NO_REASON, field="applied_on", value="2030-01-01")

    assert process.applied_on == date(2030, 1, 1)


def test_the_application_date_can_be_corrected_to_the_day_of_the_first_later_step():
    process = with_task_force()

    process.correct(by=BRUNO, context=NO_REASON, field="applied_on", value=TASK_FORCE_ON.isoformat())

    assert process.applied_on == TASK_FORCE_ON


@pytest.mark.parametrize("build", [with_task_force, reported, in_force, ended])
def test_the_application_date_cannot_be_corrected_past_a_later_step(build):
    process = build()

    with refused(process, InvalidValueError, "dates_in_order") as caught:
        process.correct(by=BRUNO, context=NO_REASON, field="applied_on", value=(TASK_FORCE_ON + DAY).isoformat())
    assert caught.value.field == "value"
    assert process.applied_on == APPLIED_ON


def test_a_corrected_entry_into_force_cannot_precede_the_ratification():
    process = in_force()

    with refused(process, InvalidValueError, "dates_in_order") as caught:
        process.correct(by=BRUNO, context=NO_REASON, field="effective_on", value=(RATIFIED_ON - DAY).isoformat())
    assert caught.value.field == "value"
    assert process.effective_on == EFFECTIVE_ON


@pytest.mark.parametrize("value", [ENDED_ON, ENDED_ON + DAY], ids=["on_the_end", "after_the_end"])
def test_a_corrected_entry_into_force_must_precede_the_end(value):
    process = ended()

    with refused(process, InvalidValueError, "dates_in_order"):
        process.correct(by=BRUNO, context=NO_REASON, field="effective_on", value=value.isoformat())
    assert process.effective_on == EFFECTIVE_ON


@pytest.mark.parametrize("value", [EFFECTIVE_ON, EFFECTIVE_ON - DAY], ids=["on_the_start", "before_the_start"])
def test_a_corrected_end_must_follow_the_entry_into_force(value):
    process = ended()

    with refused(process, InvalidValueError, "dates_in_order"):
        process.correct(by=BRUNO, context=NO_REASON, field="ended_on", value=value.isoformat())
    assert process.ended_on == ENDED_ON


@pytest.mark.parametrize("build", [ratified, withdrawn])
def test_the_entry_into_force_cannot_be_corrected_before_there_is_one(build):
    process = build()

    with refused(process, StageError, "has_effective_on"):
        process.correct(by=BRUNO, context=NO_REASON, field="effective_on", value=EFFECTIVE_ON.isoformat())


def test_the_end_cannot_be_corrected_before_participation_ended():
    process = in_force()

    with refused(process, StageError, "has_ended_on"):
        process.correct(by=BRUNO, context=NO_REASON, field="ended_on", value=ENDED_ON.isoformat())


@pytest.mark.parametrize(("field", "value"), [("applied_on", APPLIED_ON), ("effective_on", EFFECTIVE_ON),
                                              ("ended_on", ENDED_ON)])
def test_a_correction_that_changes_nothing_is_refused(field, value):
    process = ended()

    with refused(process, InvalidValueError, "changes_something"):
        process.correct(by=BRUNO, context=NO_REASON, field=field, value=value.isoformat())


@pytest.mark.parametrize("field", ["stage", "status", "target", "state", "title", "signatories", "workflow_version",
                                   "task_force_report"])
def test_only_the_real_world_dates_can_be_corrected(field):
    process = ended()

    with refused(process, InvalidValueError, "correctable_field") as caught:
        process.correct(by=BRUNO, context=NO_REASON, field=field, value="2021-01-01")
    assert caught.value.field == "field"


@pytest.mark.parametrize("value", ["30/08/2024", "2024-13-01", "", "yesterday"])
def test_a_date_correction_needs_an_iso_date(value):
    process = ended()

    with refused(process, InvalidValueError, "invalid_value") as caught:
        process.correct(by=BRUNO, context=NO_REASON, field="ended_on", value=value)
    assert caught.value.field == "value"


def test_a_correction_is_a_new_event_and_the_earlier_state_stays_reachable():
    process = ended()
    version = process.version

    process.correct(by=BRUNO, context=StepContext(reason="The Council document gives 2 February."),
                    field="effective_on", value="2021-02-02")

    events = process.pending_events
    correction = events[-1]
    assert process.version == version + 1
    assert type(correction).__name__ == "Corrected"
    assert (correction.field, correction.value, correction.previous) == ("effective_on", "2021-02-02", "2021-02-01")
    assert replay(events[:-1]).effective_on == EFFECTIVE_ON
    assert replay(events).effective_on == date(2021, 2, 2)
    assert replay(events).stage is Stage.CLOSED


def test_a_process_after_a_correction_keeps_its_later_dates_in_order():
    process = in_force()
    process.correct(by=BRUNO, context=NO_REASON, field="effective_on", value="2022-01-01")

    with refused(process, InvalidValueError, "dates_in_order"):
        process.end_participation(by=CARLA, context=ENDING, effective_on=date(2021, 6, 1))
