"""The participation register is bitemporal: ``on`` is the real-world date asked about, ``known_at`` the moment
whose knowledge is asked for. Correcting a date changes the answers for ``known_at`` after the correction, and
leaves every answer as known before it unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.dates import time_text
from projections import queries
from tests.projections.enlargement_walk import FAR_FUTURE, PARTICIPATION, Process, register_over_http
from tests.projections.helpers import ICA, Walk, party

MICROSECOND = timedelta(microseconds=1)
LATVIA = "LV"
APPLIED_ON = "2016-09-01"
EFFECTIVE_ON = "2021-08-02"
ENDED_ON = "2024-01-01"
EPFL = "École Polytechnique Fédérale de Lausanne"


def recorded_at(services, process: Process, version: int | None = None) -> datetime:
    """When the process's event at ``version`` (default: its latest) was recorded."""
    history = list(services.enlargements.history(process.id))
    return history[-1 if version is None else version - 1].recorded_at


def latvia(services, *, ended_on: str | None = None) -> Process:
    """Latvia, Associate Member from EFFECTIVE_ON (and until ``ended_on``), projected."""
    process = Process(services.enlargements, "alice", "Latvia", LATVIA, "associate_member", APPLIED_ON)
    process.to_force(EFFECTIVE_ON)
    if ended_on:
        process.end(ended_on)
    services.projections.catch_up()
    return process


def latvia_on(services, on: str, known_at: datetime | str) -> list[tuple[str, str, Any]]:
    """Latvia's (capacity, since, until) on ``on`` as known at ``known_at``, from the register query."""
    known = known_at if isinstance(known_at, str) else time_text(known_at)
    return [(p["capacity"], p["since"], p["until"]) for p in queries.participation(services.db, on, known)
            if p["country"] == LATVIA]


def latvia_over_http(client, auth, on: str, known_at: datetime | str) -> list[tuple[str, str, Any]]:
    known = known_at if isinstance(known_at, str) else known_at.isoformat()
    body = register_over_http(client, auth("farid"), on, known)
    return [(p["capacity"], p["since"], p["until"]) for p in body["participants"] if p["country"] == LATVIA]


def correct(services, process: Process, field: str, value: str) -> datetime:
    """A legal officer corrects ``field``; the views catch up; returns when the correction was recorded."""
    process.step("bruno", "correct", field=field, value=value, reason="The Council's minutes give another date.")
    services.projections.catch_up()
    return recorded_at(services, process)


# ---- an entry into force, recorded, then its date corrected --------------------------------------------


def test_the_register_lists_a_status_from_its_entry_into_force_once_it_is_recorded(client, auth, services):
    process = Process(services.enlargements, "alice", "Latvia", LATVIA, "associate_member", APPLIED_ON)
    process.to_ratified()
    services.projections.catch_up()
    before = datetime.now(UTC)

    process.step("carla", "enter_into_force", effective_on=EFFECTIVE_ON)
    services.projections.catch_up()
    entered = recorded_at(services, process)

    assert before < entered
    assert latvia_on(services, EFFECTIVE_ON, entered) == [("associate_member", EFFECTIVE_ON, None)]
    assert latvia_on(services, "2021-08-01", entered) == []
    assert latvia_on(services, EFFECTIVE_ON, entered - MICROSECOND) == []
    assert latvia_over_http(client, auth, "2030-01-01", FAR_FUTURE) == [("associate_member", EFFECTIVE_ON, None)]


CORRECTED_EFFECTIVE_ON = [
    # (new effective_on, dates between the old and the new one)
    ("2021-09-01", ["2021-08-02", "2021-08-15", "2021-08-31"]),
    ("2021-07-15", ["2021-07-15", "2021-07-20", "2021-08-01"]),
]


@pytest.mark.parametrize(("corrected", "between"), CORRECTED_EFFECTIVE_ON, ids=["later", "earlier"])
def test_a_corrected_entry_into_force_changes_the_answers_known_after_the_correction_only(
        client, auth, services, corrected, between):
    process = latvia(services)
    entered = recorded_at(services, process)
    old = [("associate_member", EFFECTIVE_ON, None)]
    new = [("associate_member", corrected, None)]
    assert all(latvia_on(services, d, FAR_FUTURE) == (old if d >= EFFECTIVE_ON else []) for d in between)

    corrected_at = correct(services, process, "effective_on", corrected)

    just_before = corrected_at - MICROSECOND
    for day in between:
        was = old if day >= EFFECTIVE_ON else []
        is_now = new if day >= corrected else []
        assert was != is_now
        for known_at in (entered, just_before):
            assert latvia_on(services, day, known_at) == was, (day, known_at)
            assert latvia_over_http(client, auth, day, known_at) == was, (day, known_at)
        for known_at in (corrected_at, corrected_at + timedelta(seconds=1), FAR_FUTURE):
            assert latvia_on(services, day, known_at) == is_now, (day, known_at)
            assert latvia_over_http(client, auth, day, known_at) == is_now, (day, known_at)
    later = "2022-01-01"
    assert latvia_on(services, later, just_before) == old
    assert latvia_on(services, later, corrected_at) == new


def test_the_register_over_http_defaults_to_what_is_known_now(client, auth, services):
    process = latvia(services)
    correct(services, process, "effective_on", "2021-09-01")

    response = client.get(PARTICIPATION, query_string={"on": "2021-08-15"}, headers=auth("eva"))

    assert response.status_code == 200, response.get_json()
    assert [p for p in response.get_json()["participants"] if p["country"] == LATVIA] == []


def test_known_at_with_a_utc_offset_names_the_same_instant(client, auth, services):
    process = latvia(services)
    corrected_at = correct(services, process, "effective_on", "2021-09-01")
    just_before = (corrected_at - MICROSECOND).astimezone(timezone(timedelta(hours=2)))

    assert latvia_over_http(client, auth, "2021-08-15", just_before) == [("associate_member", EFFECTIVE_ON, None)]
    assert latvia_over_http(client, auth, "2021-08-15",
                            corrected_at.astimezone(timezone(timedelta(hours=-5)))) == []


def test_each_of_several_corrections_is_answered_as_known_in_its_own_time(services):
    process = latvia(services)
    first = correct(services, process, "effective_on", "2021-09-01")
    second = correct(services, process, "effective_on", "2021-10-01")

    answers = [latvia_on(services, "2021-09-15", known_at) for known_at in
               (first - MICROSECOND, first, second - MICROSECOND, second)]

    assert answers == [
        [("associate_member", EFFECTIVE_ON, None)],
        [("associate_member", "2021-09-01", None)],
        [("associate_member", "2021-09-01", None)],
        [],
    ]


def test_the_timeline_is_bitemporal_too(client, auth, services):
    process = latvia(services)
    corrected_at = correct(services, process, "effective_on", "2021-09-01")

    def since(known_at: datetime) -> list[str]:
        response = client.get(f"{PARTICIPATION}/{LATVIA}", query_string={"known_at": known_at.isoformat()},
                              headers=auth("farid"))
        assert response.status_code == 200, response.get_json()
        return [p["since"] for p in response.get_json()["periods"]]

    assert since(corrected_at - MICROSECOND) == [EFFECTIVE_ON]
    assert since(corrected_at) == ["2021-09-01"]


def test_correcting_the_application_date_changes_no_answer_of_the_register(services):
    process = latvia(services)
    entered = recorded_at(services, process)

    corrected_at = correct(services, process, "applied_on", "2016-06-01")

    for known_at in (entered, corrected_at, FAR_FUTURE):
        assert latvia_on(services, EFFECTIVE_ON, known_at) == [("associate_member", EFFECTIVE_ON, None)]


# ---- an end of participation, recorded, then its date corrected -----------------------------------------

CORRECTED_ENDED_ON = [
    # (new ended_on, dates between the old and the new one)
    ("2024-06-01", ["2024-01-01", "2024-03-15", "2024-05-31"]),
    ("2023-06-01", ["2023-06-01", "2023-09-30", "2023-12-31"]),
]


@pytest.mark.parametrize(("corrected", "between"), CORRECTED_ENDED_ON, ids=["later", "earlier"])
def test_a_corrected_end_changes_the_answers_known_after_the_correction_only(
        client, auth, services, corrected, between):
    process = latvia(services, ended_on=ENDED_ON)
    ended = recorded_at(services, process)
    entered = recorded_at(services, process, version=process.outcome.aggregate.version - 1)
    old = [("associate_member", EFFECTIVE_ON, ENDED_ON)]
    new = [("associate_member", EFFECTIVE_ON, corrected)]

    corrected_at = correct(services, process, "ended_on", corrected)

    just_before = corrected_at - MICROSECOND
    for day in between:
        was = old if day < ENDED_ON else []
        is_now = new if day < corrected else []
        assert was != is_now
        # before the end was recorded at all, Latvia was an Associate Member with no end in sight
        assert latvia_on(services, day, entered) == [("associate_member", EFFECTIVE_ON, None)]
        for known_at in (ended, just_before):
            assert latvia_on(services, day, known_at) == was, (day, known_at)
            assert latvia_over_http(client, auth, day, known_at) == was, (day, known_at)
        for known_at in (corrected_at, FAR_FUTURE):
            assert latvia_on(services, day, known_at) == is_now, (day, known_at)
            assert latvia_over_http(client, auth, day, known_at) == is_now, (day, known_at)


def test_an_end_corrected_and_then_its_start_corrected_keeps_both_corrections(services):
    process = latvia(services, ended_on=ENDED_ON)
    correct(services, process, "ended_on", "2024-06-01")
    both = correct(services, process, "effective_on", "2021-09-01")

    assert latvia_on(services, "2021-08-15", both) == []
    assert latvia_on(services, "2021-09-01", both) == [("associate_member", "2021-09-01", "2024-06-01")]
    assert latvia_on(services, "2024-03-01", both) == [("associate_member", "2021-09-01", "2024-06-01")]
    assert latvia_on(services, "2024-06-01", both) == []


# ---- cooperation partners ----------------------------------------------------------------------------




def partners_on(services, on: str, known_at: datetime | str = FAR_FUTURE) -> list[tuple[str, str]]:
    known = known_at if isinstance(known_at, str) else time_text(known_at)
    return [(p["party"], p["since"]) for p in queries.participation(services.db, on, known)
            if p["capacity"] == "cooperation_partner"]


def test_a_cooperation_agreement_in_force_lists_its_counterparties_as_partners_from_its_entry_into_force(services):
    walk = Walk(services.agreements, "alice", title="Collaboration with EPFL", kind=ICA,
                counterparties=[party(EPFL, "institute", "CH"), party("Republic of Chile", "state", "CL")])
    walk.to_force("2024-12-01")
    services.projections.catch_up()

    assert partners_on(services, "2024-11-30") == []
    assert set(partners_on(services, "2024-12-01")) == {(EPFL, "2024-12-01"), ("Republic of Chile", "2024-12-01")}


def test_a_suspended_cooperation_agreement_lists_no_partner_while_it_is_suspended(services):
    walk = Walk(services.agreements, "alice", title="International Co-operation Agreement with Mongolia", kind=ICA,
                counterparties=[party("Mongolia", "state", "MN")]).to_force("2024-12-01")
    walk.step("carla", "suspend", effective_on="2025-06-01")
    services.projections.catch_up()
    suspended_at = walk.outcome.aggregate.modified_on

    assert partners_on(services, "2025-05-31") == [("Mongolia", "2024-12-01")]
    assert partners_on(services, "2025-07-01", suspended_at - MICROSECOND) == [("Mongolia", "2024-12-01")]
    assert partners_on(services, "2025-07-01") == []
    walk.step("carla", "resume", effective_on="2025-09-01")
    services.projections.catch_up()
    assert partners_on(services, "2025-07-01") == []
    assert [name for name, _ in partners_on(services, "2025-09-01")] == ["Mongolia"]


def test_a_corrected_termination_date_moves_the_partner_s_end_as_known_after_the_correction(services):
    walk = Walk(services.agreements, "alice", title="International Co-operation Agreement with Belarus", kind=ICA,
                counterparties=[party("Belarus", "state", "BY")]).to_force("2024-12-01")
    walk.step("carla", "terminate", effective_on="2025-06-27")
    services.projections.catch_up()
    before = time_text(walk.outcome.aggregate.modified_on)

    walk.step("bruno", "correct", field="closed_on", value="2025-06-28", reason="The resolution's own date.")
    services.projections.catch_up()

    assert partners_on(services, "2025-06-27", before) == []
    assert partners_on(services, "2025-06-27") == [("Belarus", "2024-12-01")]
    assert partners_on(services, "2025-06-28") == []


@pytest.mark.parametrize("asked", [EPFL, EPFL.casefold(), EPFL.upper()], ids=["as_recorded", "lower", "upper"])
def test_the_timeline_of_a_partner_is_found_by_its_name_in_any_case(client, auth, services, asked):
    Walk(services.agreements, "alice", title="Collaboration with EPFL", kind=ICA,
         counterparties=[party(EPFL, "institute", "CH")]).to_force("2024-12-01")
    services.projections.catch_up()

    response = client.get(f"{PARTICIPATION}/{asked}", headers=auth("farid"))

    assert response.status_code == 200, response.get_json()
    assert [(p["party"], p["capacity"], p["since"]) for p in response.get_json()["periods"]] == [
        (EPFL, "cooperation_partner", "2024-12-01")]


def test_a_corrected_suspension_and_resumption_move_the_partner_s_gap_as_known_after_the_correction(services):
    walk = Walk(services.agreements, "alice", title="International Co-operation Agreement with Ukraine", kind=ICA,
                counterparties=[party("Ukraine", "state", "UA")]).to_force("2024-12-01")
    walk.step("carla", "suspend", effective_on="2025-06-01").step("carla", "resume", effective_on="2025-09-01")
    services.projections.catch_up()
    before = time_text(walk.outcome.aggregate.modified_on)

    walk.step("bruno", "correct", field="suspended_on", value="2025-06-10", reason="The Council's own date.")
    walk.step("bruno", "correct", field="resumed_on", value="2025-08-20", reason="The Council's own date.")
    services.projections.catch_up()

    assert [partners_on(services, day, before) for day in ("2025-06-05", "2025-08-25")] == [[], []]
    assert [name for day in ("2025-06-05", "2025-08-25") for name, _ in partners_on(services, day)] == [
        "Ukraine", "Ukraine"]
    assert partners_on(services, "2025-06-10") == []
    assert partners_on(services, "2025-08-19") == []
