"""An aggregate keeps a count of its rounds and milestones and only the latest few, so its state (and every
snapshot of it) stays small however long its history; the history itself has every one."""

from __future__ import annotations

from datetime import date, timedelta

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from domain.values import RECENT_ENTRIES, Entry
from tests.domain import enlargement_lifecycle
from tests.domain.lifecycle import ALICE, NO_REASON, in_force, in_negotiation

FIRST_DAY = date(2025, 1, 6)
MANY = RECENT_ENTRIES + 3


def entry(n: int) -> Entry:
    return Entry(on=FIRST_DAY + timedelta(days=n), summary=f"entry {n}")


def test_an_agreement_counts_every_round_and_keeps_the_latest_oldest_first():
    agreement = in_negotiation()
    for n in range(MANY):
        agreement.record_round(by=ALICE, context=NO_REASON, held_on=entry(n).on, summary=entry(n).summary)

    assert agreement.rounds_held == MANY
    assert agreement.recent_rounds == [entry(n) for n in range(MANY - RECENT_ENTRIES, MANY)]


def test_an_agreement_counts_every_milestone_and_keeps_the_latest_oldest_first():
    agreement = in_force()
    for n in range(MANY):
        agreement.record_milestone(by=ALICE, context=NO_REASON, on=entry(n).on, summary=entry(n).summary)

    assert agreement.milestones_recorded == MANY
    assert agreement.recent_milestones == [entry(n) for n in range(MANY - RECENT_ENTRIES, MANY)]


def test_an_enlargement_process_counts_every_round_and_keeps_the_latest():
    process = enlargement_lifecycle.in_negotiation()
    for n in range(MANY):
        process.record_round(by=ALICE, context=NO_REASON, held_on=entry(n).on, summary=entry(n).summary)

    assert process.rounds_held == MANY
    assert process.recent_rounds == [entry(n) for n in range(MANY - RECENT_ENTRIES, MANY)]


def test_fewer_rounds_than_are_kept_are_all_kept():
    agreement = in_negotiation()
    agreement.record_round(by=ALICE, context=NO_REASON, held_on=entry(0).on, summary=entry(0).summary)

    assert (agreement.rounds_held, agreement.recent_rounds) == (1, [entry(0)])
    assert (in_force().milestones_recorded, in_force().recent_milestones) == (0, [])


def test_a_version_1_agreement_state_is_upcast_to_counts_and_latest_entries():
    state = {"rounds": [entry(n) for n in range(MANY)], "milestones": [entry(0)],
             "requests": {f"k{n}": [n + 1, f"{n:064x}"] for n in range(300)}}

    CooperationAgreement.upcast_v1_v2(state)

    assert state["rounds_held"] == MANY
    assert state["recent_rounds"] == [entry(n) for n in range(MANY - RECENT_ENTRIES, MANY)]
    assert (state["milestones_recorded"], state["recent_milestones"]) == (1, [entry(0)])
    assert "rounds" not in state and "milestones" not in state
    assert list(state["requests"])[0] == "k44" and len(state["requests"]) == 256
    assert state["requests"]["k299"] == [300, f"{299:064x}"[:32]]


def test_a_version_1_enlargement_state_is_upcast_to_a_count_and_latest_rounds():
    state = {"rounds": [entry(0), entry(1)], "requests": {}}

    EnlargementProcess.upcast_v1_v2(state)

    assert state == {"rounds_held": 2, "recent_rounds": [entry(0), entry(1)], "requests": {}}
