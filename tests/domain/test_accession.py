"""Membership by accession (DOMAIN.md 3.3 steps 10 to 12) on the aggregate alone: the Council's admission
resolution, the instrument of accession deposited with UNESCO, then Membership in force; no bilateral
agreement on that route, and no accession step on the other."""

from __future__ import annotations

from datetime import date

import pytest

from domain.enlargement import ACCESSION, EnlargementProcess
from domain.errors import InvalidValueError, StageError
from domain.values import ProcessStatus, Stage, Target
from tests.domain.enlargement_lifecycle import ESTONIA, signed
from tests.domain.lifecycle import ALICE, BRUNO, NO_REASON, refused

APPLIED_ON, ADMITTED_ON, DEPOSITED_ON = date(2023, 5, 1), date(2024, 3, 7), date(2024, 8, 30)


def by_accession() -> EnlargementProcess:
    return EnlargementProcess.start(by=ALICE, context=NO_REASON, state=ESTONIA, target=Target.MEMBER,
                                    applied_on=APPLIED_ON, workflow_version=2, route=ACCESSION)


def admitted() -> EnlargementProcess:
    process = by_accession()
    process.adopt_admission_resolution(by=ALICE, context=NO_REASON, decided_on=ADMITTED_ON,
                                       resolution="CERN/3809")
    return process


def deposited() -> EnlargementProcess:
    process = admitted()
    process.deposit_instrument_of_accession(by=BRUNO, context=NO_REASON, deposited_on=DEPOSITED_ON)
    return process


def test_membership_by_accession_from_resolution_to_deposit_to_force():
    process = deposited()
    process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=DEPOSITED_ON)

    assert (process.route, process.admitted_on, process.admission_resolution, process.deposited_on) == (
        ACCESSION, ADMITTED_ON, "CERN/3809", DEPOSITED_ON)
    assert (process.stage, process.status, process.effective_on) == (Stage.IMPLEMENTATION, ProcessStatus.IN_FORCE,
                                                                     DEPOSITED_ON)
    assert process.signed_on is None and process.signatories == [], "no bilateral signature"
    assert [type(e).__name__ for e in process.pending_events] == [
        "Created", "AdmissionResolutionAdopted", "InstrumentOfAccessionDeposited", "EnteredIntoForce"]


def test_the_resolution_waits_for_the_task_force_s_report_and_moves_the_process_to_await_the_deposit():
    process = by_accession()
    process.establish_task_force(by=ALICE, context=NO_REASON, decided_on=date(2023, 6, 1))
    with refused(process, StageError, "task_force_report_pending"):
        process.adopt_admission_resolution(by=ALICE, context=NO_REASON, decided_on=ADMITTED_ON)

    process = admitted()
    assert (process.stage, process.status) == (Stage.SIGNATURE, ProcessStatus.ADMITTED)


def test_membership_by_accession_needs_the_deposit_and_enters_into_force_on_or_after_it():
    process = admitted()
    with refused(process, StageError, "needs_deposit"):
        process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=DEPOSITED_ON)
    process = deposited()
    with refused(process, InvalidValueError, "dates_in_order"):
        process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=date(2024, 8, 29))
    process.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=date(2024, 9, 2))  # as Finland's
    assert process.effective_on == date(2024, 9, 2)


def test_the_instrument_is_deposited_once_and_not_before_the_resolution():
    process = admitted()
    with refused(process, InvalidValueError, "dates_in_order"):
        process.deposit_instrument_of_accession(by=BRUNO, context=NO_REASON, deposited_on=date(2024, 3, 6))
    process = deposited()
    with refused(process, StageError, "deposited_once"):
        process.deposit_instrument_of_accession(by=BRUNO, context=NO_REASON, deposited_on=DEPOSITED_ON)


@pytest.mark.parametrize(("build", "step", "fields"), [
    (by_accession, "authorise_negotiation", {"decided_on": ADMITTED_ON}),
    (admitted, "sign_agreement", {"signed_on": DEPOSITED_ON, "signatories": ["Director-General"]}),
    (admitted, "notify_ratification", {"notified_on": DEPOSITED_ON}),
])
def test_a_process_by_accession_has_no_bilateral_agreement(build, step, fields):
    process = build()
    with refused(process, StageError, "accession_route"):
        getattr(process, step)(by=ALICE, context=NO_REASON, **fields)


def test_a_process_by_agreement_takes_no_accession_step():
    process = EnlargementProcess.start(by=ALICE, context=NO_REASON, state=ESTONIA, target=Target.MEMBER,
                                       applied_on=APPLIED_ON, workflow_version=1)
    assert process.route == "agreement"
    with refused(process, StageError, "accession_only"):
        process.adopt_admission_resolution(by=ALICE, context=NO_REASON, decided_on=ADMITTED_ON)
    process = signed()
    with refused(process, StageError, "accession_only"):
        process.deposit_instrument_of_accession(by=BRUNO, context=NO_REASON, deposited_on=DEPOSITED_ON)


def test_only_membership_goes_by_accession():
    with pytest.raises(InvalidValueError) as refusal:
        EnlargementProcess.start(by=ALICE, context=NO_REASON, state=ESTONIA, target=Target.ASSOCIATE_MEMBER,
                                 applied_on=APPLIED_ON, workflow_version=2, route=ACCESSION)
    assert refusal.value.rule == "accession_only"


def test_the_accession_s_dates_are_corrected_in_order():
    process = deposited()
    process.correct(by=BRUNO, context=NO_REASON, field="deposited_on", value="2024-08-29")
    assert process.deposited_on == date(2024, 8, 29)
    with refused(process, InvalidValueError, "dates_in_order"):
        process.correct(by=BRUNO, context=NO_REASON, field="admitted_on", value="2024-08-30")
