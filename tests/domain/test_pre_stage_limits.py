"""The limits of an Associate Membership in the pre-stage (DOMAIN.md 3.3 step 8, P2.2): at least two years, at
most five, counted from its entry into force, on the aggregate alone."""

from __future__ import annotations

from datetime import date

from domain.enlargement import PreStageLimits, years_after
from domain.values import Target
from tests.domain.enlargement_lifecycle import EFFECTIVE_ON, drafting, ended, in_force, signed
from tests.domain.lifecycle import BRUNO, NO_REASON


def test_a_pre_stage_in_force_knows_its_earliest_and_latest_end():
    process = in_force()

    assert process.pre_stage_limits == PreStageLimits(process_id=process.id, began_on=EFFECTIVE_ON,
                                                      min_end_on=date(2023, 2, 1), max_end_on=date(2026, 2, 1))


def test_an_ended_pre_stage_keeps_its_limits():
    assert ended().pre_stage_limits.max_end_on == date(2026, 2, 1)


def test_a_pre_stage_not_yet_in_force_has_no_limits():
    assert signed().pre_stage_limits is None


def test_no_other_target_has_pre_stage_limits():
    for target in (Target.ASSOCIATE_MEMBER, Target.MEMBER):
        assert drafting(target).pre_stage_limits is None


def test_a_corrected_entry_into_force_moves_the_limits():
    process = in_force()
    process.correct(by=BRUNO, context=NO_REASON, field="effective_on", value="2021-03-01")

    assert (process.pre_stage_limits.min_end_on, process.pre_stage_limits.max_end_on) == (
        date(2023, 3, 1), date(2026, 3, 1))


def test_a_pre_stage_begun_on_29_february_ends_on_28_february_of_a_common_year():
    assert years_after(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert years_after(date(2024, 2, 29), 4) == date(2028, 2, 29)
