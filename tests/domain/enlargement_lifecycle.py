"""Enlargement processes driven to each stage through the real commands of the aggregate, without storage.

Who does what: alice (IR) opens the process, takes the Council's steps, attaches the text and asks for its
review, records the signature; bruno (Legal) clears the text, records the ratification and the entry into
force; carla (Legal) ends the participation. Each step's date follows the previous one (see the constants).
"""

from __future__ import annotations

from datetime import date

from domain.enlargement import EnlargementProcess
from domain.values import Document, ReviewOutcome, State, StepContext, Target
from tests.domain.lifecycle import ALICE, BRUNO, CARLA, NO_REASON

ESTONIA = State("Estonia", "EE")
REPORT = Document("Report of the task force on Estonia", "c" * 64)
FIRST_TEXT = Document("Draft Associate Membership agreement v1", "a" * 64)
SECOND_TEXT = Document("Draft Associate Membership agreement v2", "b" * 64)
SIGNATORIES = ("Director-General", "Minister of Education and Research")

APPLIED_ON = date(2018, 3, 1)
TASK_FORCE_ON = date(2018, 6, 14)
REPORT_ON = date(2019, 3, 7)
AUTHORISED_ON = date(2019, 6, 20)
APPROVED_ON = date(2020, 3, 19)
SIGNED_ON = date(2020, 6, 22)
RATIFIED_ON = date(2021, 1, 20)
EFFECTIVE_ON = date(2021, 2, 1)
ENDED_ON = date(2024, 8, 30)

ENDING = StepContext(reason="Converted into Membership.")


def drafting(target: Target = Target.ASSOCIATE_MEMBER_PRE_STAGE, applied_on: date = APPLIED_ON) -> EnlargementProcess:
    return EnlargementProcess.start(by=ALICE, context=NO_REASON, state=ESTONIA, target=target,
                                    applied_on=applied_on, workflow_version=1)


def with_task_force() -> EnlargementProcess:
    process = drafting()
    process.establish_task_force(by=ALICE, context=NO_REASON, decided_on=TASK_FORCE_ON)
    return process


def reported() -> EnlargementProcess:
    process = with_task_force()
    process.submit_task_force_report(by=ALICE, context=NO_REASON, submitted_on=REPORT_ON, document=REPORT)
    return process


def in_negotiation() -> EnlargementProcess:
    """Negotiation authorised after the task force reported; no text yet."""
    process = reported()
    process.authorise_negotiation(by=ALICE, context=NO_REASON, decided_on=AUTHORISED_ON)
    return process


def with_text() -> EnlargementProcess:
    process = in_negotiation()
    process.attach_text(by=ALICE, context=NO_REASON, document=FIRST_TEXT)
    return process


def review_requested() -> EnlargementProcess:
    process = with_text()
    process.request_legal_review(by=ALICE, context=NO_REASON)
    return process


def changes_requested() -> EnlargementProcess:
    process = review_requested()
    process.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CHANGES_REQUESTED)
    return process


def cleared() -> EnlargementProcess:
    """In negotiation, the current text cleared by bruno."""
    process = review_requested()
    process.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED)
    return process


def approved() -> EnlargementProcess:
    """In signature, approved by the Council, not yet signed."""
    process = cleared()
    process.approve_agreement(by=ALICE, context=NO_REASON, decided_on=APPROVED_ON)
    return process


def signed() -> EnlargementProcess:
    process = approved()
    process.sign_agreement(by=ALICE, context=NO_REASON, signed_on=SIGNED_ON, signatories=SIGNATORIES)
    return process


def ratified() -> EnlargementProcess:
    process = signed()
    process.notify_ratification(by=BRUNO, context=NO_REASON, notified_on=RATIFIED_ON)
    return process


def in_force() -> EnlargementProcess:
    process = ratified()
    process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=EFFECTIVE_ON)
    return process


def ended() -> EnlargementProcess:
    process = in_force()
    process.end_participation(by=CARLA, context=ENDING, effective_on=ENDED_ON)
    return process


def withdrawn() -> EnlargementProcess:
    process = in_negotiation()
    process.withdraw(by=ALICE, context=StepContext(reason="The state withdrew its application."))
    return process
