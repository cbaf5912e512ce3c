"""``correct`` reaches every real-world date of both aggregates, and keeps them in order: a correction that
would make a period end before it starts (or a step precede the one before it) is refused, changing nothing."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidValueError, StageError
from domain.values import Status
from tests.domain import enlargement_lifecycle as e
from tests.domain import lifecycle as a
from tests.domain.lifecycle import BRUNO, NO_REASON, refused

DAY = timedelta(days=1)
PROCESS_DATES = {"applied_on": e.APPLIED_ON, "task_force_on": e.TASK_FORCE_ON, "task_force_report_on": e.REPORT_ON,
                 "negotiation_authorised_on": e.AUTHORISED_ON, "approved_on": e.APPROVED_ON,
                 "signed_on": e.SIGNED_ON, "ratification_notified_on": e.RATIFIED_ON,
                 "effective_on": e.EFFECTIVE_ON, "ended_on": e.ENDED_ON}


def test_every_date_of_an_enlargement_process_is_correctable():
    """Those of a process by agreement here; those of a process by accession in test_accession.py."""
    process = e.ended()
    assert tuple(f for f in process.CORRECTABLE if f not in process.ACCESSION_DATES) == tuple(PROCESS_DATES)


@pytest.mark.parametrize("field", list(PROCESS_DATES))
def test_each_date_of_an_ended_process_can_be_corrected_by_a_day_within_its_neighbours(field):
    process = e.ended()
    value = PROCESS_DATES[field] + (DAY if field != "ended_on" else -DAY)

    process.correct(by=BRUNO, context=NO_REASON, field=field, value=value.isoformat())

    assert getattr(process, field) == value
    assert process.pending_events[-1].previous == PROCESS_DATES[field].isoformat()


@pytest.mark.parametrize(("field", "later"), list(zip(list(PROCESS_DATES)[:-1], list(PROCESS_DATES)[1:],
                                                      strict=True)))
def test_a_date_corrected_past_the_next_step_s_date_is_refused(field, later):
    process = e.ended()
    with refused(process, InvalidValueError, "dates_in_order"):
        process.correct(by=BRUNO, context=NO_REASON, field=field,
                        value=(PROCESS_DATES[later] + DAY).isoformat())


def test_a_process_s_end_corrected_to_its_start_or_before_is_refused():
    process = e.ended()
    for value in (e.EFFECTIVE_ON, e.EFFECTIVE_ON - DAY):
        with refused(process, InvalidValueError, "dates_in_order"):
            process.correct(by=BRUNO, context=NO_REASON, field="ended_on", value=value.isoformat())
    with refused(process, InvalidValueError, "dates_in_order"):
        process.correct(by=BRUNO, context=NO_REASON, field="effective_on", value=e.ENDED_ON.isoformat())


def test_a_date_never_recorded_cannot_be_corrected():
    process = e.in_negotiation()
    with refused(process, StageError, "has_date"):
        process.correct(by=BRUNO, context=NO_REASON, field="approved_on", value="2020-01-01")
    with refused(process, StageError, "has_ended_on"):
        process.correct(by=BRUNO, context=NO_REASON, field="ended_on", value="2030-01-01")


def test_a_terminated_agreement_s_end_can_be_corrected_but_never_before_its_start():
    agreement = a.closed()
    agreement.correct(by=BRUNO, context=NO_REASON, field="closed_on", value="2026-06-30")
    assert agreement.closed_on == date(2026, 6, 30) and agreement.status is Status.TERMINATED

    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="closed_on",
                          value=(a.EFFECTIVE_ON - DAY).isoformat())
    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="effective_on", value="2026-07-01")


def test_an_agreement_that_did_not_end_by_termination_has_no_end_to_correct():
    agreement = a.in_force()
    with refused(agreement, StageError, "has_closed_on"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="closed_on", value="2030-01-01")


def test_an_agreement_cannot_be_corrected_to_enter_into_force_after_its_suspension():
    agreement = a.suspended()
    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="effective_on",
                          value=(a.SUSPENDED_ON + DAY).isoformat())


def test_a_superseded_agreement_names_its_successor_and_its_end_is_correctable():
    agreement, successor = a.in_force(), uuid4()
    with refused(agreement, InvalidValueError, "not_self"):
        agreement.supersede(by=BRUNO, context=NO_REASON, effective_on=date(2026, 1, 1), successor_id=agreement.id)
    with refused(agreement, InvalidValueError, "dates_in_order"):
        agreement.supersede(by=BRUNO, context=NO_REASON, effective_on=a.EFFECTIVE_ON - DAY, successor_id=successor)

    agreement.supersede(by=BRUNO, context=NO_REASON, effective_on=date(2026, 1, 1), successor_id=successor)

    assert (agreement.status, agreement.closed_on, agreement.superseded_by) == (
        Status.SUPERSEDED, date(2026, 1, 1), successor)
    agreement.correct(by=BRUNO, context=NO_REASON, field="closed_on", value="2026-02-01")
    assert agreement.closed_on == date(2026, 2, 1)
