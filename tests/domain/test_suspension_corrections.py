"""``correct`` reaches the latest suspension's and resumption's dates of an agreement (version 2), each kept
within its neighbours; a correction out of order is refused and records nothing."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidValueError, StageError
from tests.domain.lifecycle import BRUNO, NO_REASON, in_force, refused, suspended

RESUMED_ON = date(2026, 9, 1)


def resumed():
    agreement = suspended()
    agreement.resume(by=BRUNO, context=NO_REASON, effective_on=RESUMED_ON)
    return agreement


def suspended_again():
    agreement = resumed()
    agreement.suspend(by=BRUNO, context=NO_REASON, effective_on=date(2027, 1, 1))
    return agreement


def correct(agreement, field: str, value: date) -> None:
    agreement.correct(by=BRUNO, context=NO_REASON, field=field, value=value.isoformat())


def test_the_latest_suspension_and_resumption_are_corrected():
    agreement = resumed()
    correct(agreement, "suspended_on", date(2026, 3, 2))
    correct(agreement, "resumed_on", date(2026, 9, 15))

    assert (agreement.suspended_on, agreement.resumed_on) == (date(2026, 3, 2), date(2026, 9, 15))
    assert [e.field for e in agreement.pending_events[-2:]] == ["suspended_on", "resumed_on"]


@pytest.mark.parametrize(("build", "field", "value"), [
    (resumed, "suspended_on", date(2026, 9, 2)),  # past its resumption
    (resumed, "resumed_on", date(2026, 2, 28)),  # before its suspension
    (resumed, "suspended_on", date(2025, 5, 31)),  # before the entry into force
    (suspended_again, "suspended_on", date(2026, 8, 31)),  # a later suspension before the latest resumption
    (suspended_again, "resumed_on", date(2027, 1, 2)),  # the resumption past the later suspension
])
def test_a_suspension_or_resumption_moved_past_its_neighbour_is_refused(build, field, value):
    agreement = build()
    with refused(agreement, InvalidValueError, "dates_in_order"):
        correct(agreement, field, value)


def test_a_date_never_recorded_is_not_corrected():
    agreement = in_force()
    with refused(agreement, StageError, "has_date"):
        correct(agreement, "suspended_on", date(2026, 1, 1))
    agreement = suspended()
    with refused(agreement, StageError, "has_date"):
        correct(agreement, "resumed_on", date(2027, 1, 1))
