"""A status that ended because another entered into force records the process that superseded it as a field
of its ParticipationEnded event (``superseded_by``); the enlargement service follows that link, never the
reason's text. Through the command service, on a real store."""

from __future__ import annotations

import json
from datetime import date

from tests.projections.enlargement_walk import Process

ENDED = "accord.enlargement:ParticipationEnded"


def stored_end(services, process_id) -> dict:
    [(_, stored)] = [(p, s) for p, s in services.app.positioned_events(process_id) if s.topic == ENDED]
    return json.loads(stored.state)


def test_a_status_ended_by_the_next_one_links_the_process_that_superseded_it(services):
    pre_stage = Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                        "2020-06-19").to_force("2021-02-01")
    member = Process(services.enlargements, "alice", "Estonia", "EE", "member", "2024-03-01").to_force("2024-08-30")

    ending = services.enlargements.ending_of(pre_stage.id)
    assert ending.superseded_by == member.id and ending.effective_on == date(2024, 8, 30)
    assert ending.context.reason == f"superseded by member ({member.id})"
    stored = stored_end(services, pre_stage.id)
    assert stored["class_version"] == 2 and stored["superseded_by"] == {"_type_": "uuid_hex", "_data_": member.id.hex}
    assert services.enlargements.ending_of(member.id) is None


def test_a_status_ended_by_hand_links_nothing(services):
    process = Process(services.enlargements, "alice", "Spain", "ES", "member", "1960-01-01").to_force("1961-01-01")
    process.end("1968-12-31", reason="Spain withdrew.")

    assert services.enlargements.ending_of(process.id).superseded_by is None
    assert stored_end(services, process.id)["superseded_by"] is None


def test_correcting_a_start_moves_no_end_whose_reason_merely_names_the_process(services):
    """The pre-stage was ended by hand, the day the membership began, with a reason that names the membership's
    process: it is not linked, so correcting the membership's start leaves that end where it was."""
    pre_stage = Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                        "2020-06-19").to_force("2021-02-01")
    member = Process(services.enlargements, "alice", "Estonia", "EE", "member", "2024-03-01").to_ratified()
    pre_stage.end("2024-08-30", reason=f"Ended ahead of the membership ({member.id}).")
    member.step("carla", "enter_into_force", effective_on="2024-08-30")

    member.step("carla", "correct", field="effective_on", value="2024-09-02")

    assert services.enlargements.ending_of(pre_stage.id).superseded_by is None
    assert pre_stage.current.ended_on == date(2024, 8, 30)
    assert [e.type for e in services.enlargements.history(pre_stage.id)][-1] == "end_participation"
