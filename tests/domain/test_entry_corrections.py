"""``correct`` reaches the dates of steps taken more than once: a signature's (named by its party), a negotiation
round's and a milestone's (named by their number, from 1), each as a new event that says which entry it
corrects and what the date was."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidValueError, StageError
from domain.values import ORGANISATION, RECENT_ENTRIES
from tests.domain import enlargement_lifecycle as enlargement
from tests.domain.lifecycle import (
    ALICE,
    BRUNO,
    CERN_SIGNED_ON,
    CHILE,
    EFFECTIVE_ON,
    NO_REASON,
    in_force,
    in_negotiation,
    refused,
    signed,
)


def corrected(process, field: str, value: str, entry: str | None):
    process.correct(by=BRUNO, context=NO_REASON, field=field, value=value, entry=entry)
    return process.pending_events[-1]


def test_a_signature_date_is_corrected_by_naming_its_party():
    agreement = signed()

    event = corrected(agreement, "signed_on", "2025-05-14", ORGANISATION)

    assert {s.party: s.signed_on for s in agreement.signatures} == {
        ORGANISATION: date(2025, 5, 14), CHILE.name: date(2025, 5, 20)}
    assert (event.field, event.entry, event.value, event.previous) == (
        "signed_on", ORGANISATION, "2025-05-14", CERN_SIGNED_ON.isoformat())


def test_a_signature_is_never_corrected_to_after_the_entry_into_force():
    agreement = in_force()
    with refused(agreement, InvalidValueError, "not_before_last_signature"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="signed_on", value="2025-06-02", entry=CHILE.name)
    corrected(agreement, "signed_on", EFFECTIVE_ON.isoformat(), CHILE.name)  # the same day is allowed


@pytest.mark.parametrize("field, entry", [("signed_on", "Kingdom of Spain"), ("signed_on", None),
                                          ("held_on", "0"), ("held_on", "3"), ("held_on", "first"),
                                          ("milestone_on", "1")])
def test_an_entry_that_was_never_recorded_or_not_named_is_refused(field, entry):
    agreement = in_negotiation()
    agreement.record_round(by=ALICE, context=NO_REASON, held_on=date(2025, 3, 1), summary="First round.")
    agreement.record_round(by=ALICE, context=NO_REASON, held_on=date(2025, 4, 1), summary="Second round.")
    error = InvalidValueError if entry is None else StageError
    with refused(agreement, error, "entry_unknown"):
        agreement.correct(by=BRUNO, context=NO_REASON, field=field, value="2025-03-02", entry=entry)


def test_the_same_date_again_changes_nothing_and_is_refused():
    agreement = signed()
    with refused(agreement, InvalidValueError, "changes_something"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="signed_on", value=CERN_SIGNED_ON.isoformat(),
                          entry=ORGANISATION)


def test_an_entry_is_named_only_for_the_dates_of_steps_taken_more_than_once():
    agreement = in_force()
    with refused(agreement, InvalidValueError, "entry_unknown"):
        agreement.correct(by=BRUNO, context=NO_REASON, field="expires_on", value="2031-01-01", entry="1")


def test_a_round_older_than_those_kept_is_corrected_all_the_same_and_the_event_says_which():
    agreement = in_negotiation()
    for n in range(1, RECENT_ENTRIES + 3):
        agreement.record_round(by=ALICE, context=NO_REASON, held_on=date(2025, 1, n), summary=f"Round {n}.")
    kept = list(agreement.recent_rounds)

    oldest = corrected(agreement, "held_on", "2024-12-31", "1")
    latest = corrected(agreement, "held_on", "2025-02-01", str(RECENT_ENTRIES + 2))

    assert (oldest.entry, oldest.previous) == ("1", None), "the aggregate no longer holds the first round's date"
    assert agreement.recent_rounds[:-1] == kept[:-1]
    assert (latest.previous, agreement.recent_rounds[-1].on) == ("2025-01-07", date(2025, 2, 1))
    assert agreement.recent_rounds[-1].summary == kept[-1].summary


def test_a_milestone_date_is_corrected_by_its_number():
    agreement = in_force()
    agreement.record_milestone(by=ALICE, context=NO_REASON, on=date(2025, 9, 1), summary="Kick-off.")
    agreement.record_milestone(by=ALICE, context=NO_REASON, on=date(2025, 10, 1), summary="First school.")

    event = corrected(agreement, "milestone_on", "2025-10-03", "2")

    assert [m.on for m in agreement.recent_milestones] == [date(2025, 9, 1), date(2025, 10, 3)]
    assert event.previous == "2025-10-01"


def test_a_correction_replays_to_the_same_state():
    agreement = in_force()
    agreement.record_milestone(by=ALICE, context=NO_REASON, on=date(2025, 9, 1), summary="Kick-off.")
    corrected(agreement, "signed_on", "2025-05-14", ORGANISATION)
    corrected(agreement, "milestone_on", "2025-09-02", "1")

    replayed = None
    for event in agreement.collect_events():  # what a store does when it loads the agreement
        replayed = event.mutate(replayed)

    assert replayed.signatures == agreement.signatures
    assert replayed.recent_milestones == agreement.recent_milestones


def test_an_enlargement_round_date_is_corrected_by_its_number():
    process = enlargement.in_negotiation()
    process.record_round(by=enlargement.ALICE, context=NO_REASON, held_on=date(2019, 5, 1), summary="Round one.")

    event = corrected(process, "held_on", "2019-05-02", "1")

    assert (process.recent_rounds[0].on, event.previous, event.entry) == (date(2019, 5, 2), "2019-05-01", "1")
