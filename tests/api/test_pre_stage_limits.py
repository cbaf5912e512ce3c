"""GET /enlargements/{id} says when an Associate Membership in the pre-stage may end: the pre-stage its own
limits, a process to Membership those of the state's pre-stage; any other process none."""

from __future__ import annotations

from tests.projections.enlargement_walk import ENLARGEMENTS, Process


def limits(client, auth, process) -> dict | None:
    response = client.get(f"{ENLARGEMENTS}/{process.id}", headers=auth("eva"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["pre_stage_limits"]


def test_the_pre_stage_and_the_process_to_membership_show_the_same_limits(client, auth, services):
    pre_stage = Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                        "2018-03-01").to_force("2021-02-01")
    membership = Process(services.enlargements, "alice", "Estonia", "EE", "member", "2023-05-01")

    expected = {"process_id": str(pre_stage.id), "began_on": "2021-02-01", "min_end_on": "2023-02-01",
                "max_end_on": "2026-02-01"}
    assert limits(client, auth, pre_stage) == expected
    assert limits(client, auth, membership) == expected


def test_a_process_to_membership_without_a_pre_stage_in_force_and_other_targets_show_none(client, auth, services):
    Process(services.enlargements, "alice", "Cyprus", "CY", "associate_member_pre_stage", "2012-10-05")
    membership = Process(services.enlargements, "alice", "Cyprus", "CY", "member", "2013-01-01")
    regular = Process(services.enlargements, "alice", "Chile", "CL", "associate_member", "2023-07-01")

    assert limits(client, auth, membership) is None
    assert limits(client, auth, regular) is None
