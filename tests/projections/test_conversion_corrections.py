"""Correcting the start of a status that replaced another moves the end of the replaced one with it."""

from __future__ import annotations

from datetime import date

from domain.values import StepContext
from projections import queries
from tests.projections.enlargement_walk import FAR_FUTURE, Process
from tests.projections.helpers import ACTORS


def capacities_on(services, on: str) -> list[tuple[str, str]]:
    return [(p["party"], p["capacity"]) for p in queries.participation(services.db, on, FAR_FUTURE)
            if p["country"] == "EE"]


def test_correcting_a_conversion_date_moves_the_end_of_the_replaced_status(services):
    pre_stage = Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                        "2020-06-19").to_force("2021-02-01")
    member = Process(services.enlargements, "alice", "Estonia", "EE", "member", "2024-03-01").to_force("2024-08-30")
    assert pre_stage.current.ended_on == date(2024, 8, 30)

    member.step("carla", "correct", field="effective_on", value="2024-09-02")

    assert pre_stage.current.ended_on == date(2024, 9, 2)
    assert [e.type for e in services.enlargements.history(pre_stage.id)][-2:] == ["end_participation", "correct"]
    services.projections.catch_up()
    assert capacities_on(services, "2024-08-31") == [("Estonia", "associate_member_pre_stage")]
    assert capacities_on(services, "2024-09-02") == [("Estonia", "member")]


def test_a_reason_given_as_a_step_field_through_the_service_goes_to_the_context(services):
    process = Process(services.enlargements, "alice", "Spain", "ES", "member", "1960-01-01").to_force("1961-01-01")
    aggregate = process.outcome.aggregate
    services.enlargements.take_step(aggregate.id, "end_participation",
                                    {"effective_on": "1968-12-31", "reason": "Spain withdrew."},
                                    ACTORS["bruno"], aggregate.version, StepContext())
    [ended] = [e for e in services.enlargements.history(process.id) if e.type == "end_participation"]
    assert ended.reason == "Spain withdrew."
