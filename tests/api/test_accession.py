"""Membership by accession over HTTP (DOMAIN.md 3.3, Estonia): a process to Membership opened now goes by
accession; the Council's admission resolution comes at least two years into the pre-stage; the instrument
of accession is deposited with UNESCO; Membership enters into force and ends the pre-stage that day; no
bilateral signature on the way. Refusals are problems naming the rule, and record nothing."""

from __future__ import annotations

from projections import queries
from tests.projections.enlargement_walk import ENLARGEMENTS, FAR_FUTURE, Process, version_of

PROBLEM = "application/problem+json"


def step(client, auth, process_id, name: str, version: int, by: str, **fields):
    return client.post(f"{ENLARGEMENTS}/{process_id}/steps/{name}", json=fields,
                       headers={**auth(by), "If-Match": f'"{version}"'})


def refused(response, rule: str) -> None:
    assert response.status_code == 422 and response.content_type == PROBLEM, response.get_data(as_text=True)
    assert response.get_json()["rule"] == rule


def test_estonia_becomes_a_member_by_accession_ending_its_pre_stage(client, auth, services):
    pre_stage = Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                        "2018-03-01").to_force("2021-02-01")
    created = client.post(ENLARGEMENTS, json={"state": {"name": "Estonia", "country": "EE"}, "target": "member",
                                              "applied_on": "2022-09-01"}, headers=auth("alice"))
    assert created.status_code == 201, created.get_json()
    body, pid = created.get_json(), created.get_json()["id"]
    assert (body["route"], body["workflow_version"]) == ("accession", 2)
    before = services.app.recorder.max_notification_id()

    refused(step(client, auth, pid, "authorise_negotiation", 1, "alice", decided_on="2023-06-01"), "accession_route")
    refused(step(client, auth, pid, "adopt_admission_resolution", 1, "alice", decided_on="2023-01-31"),
            "pre_stage_minimum")
    assert services.app.recorder.max_notification_id() == before, "a refusal records nothing"

    admitted = step(client, auth, pid, "adopt_admission_resolution", 1, "alice", decided_on="2024-03-07",
                    resolution="CERN/3809")
    assert admitted.status_code == 200, admitted.get_json()
    assert (admitted.get_json()["stage"], admitted.get_json()["status"]) == ("signature", "admitted")
    refused(step(client, auth, pid, "sign_agreement", 2, "alice", signed_on="2024-04-01",
                 signatories=["Director-General"]), "accession_route")
    refused(step(client, auth, pid, "enter_into_force", 2, "bruno", effective_on="2024-08-30"), "needs_deposit")
    deposited = step(client, auth, pid, "deposit_instrument_of_accession", 2, "bruno", deposited_on="2024-08-30")
    assert deposited.status_code == 200, deposited.get_json()
    in_force = step(client, auth, pid, "enter_into_force", version_of(deposited), "bruno",
                    effective_on="2024-08-30")

    assert in_force.status_code == 200, in_force.get_json()
    member = in_force.get_json()
    assert (member["status"], member["admitted_on"], member["admission_resolution"], member["deposited_on"],
            member["effective_on"], member["signed_on"]) == (
        "in_force", "2024-03-07", "CERN/3809", "2024-08-30", "2024-08-30", None)
    assert (pre_stage.current.ended_on.isoformat(), str(pre_stage.current.status.value)) == ("2024-08-30", "ended")
    history = client.get(f"{ENLARGEMENTS}/{pid}/history", headers=auth("eva")).get_json()
    assert [(h["type"], h["workflow_version"]) for h in history] == [
        ("created", 2), ("adopt_admission_resolution", 2), ("deposit_instrument_of_accession", 2),
        ("enter_into_force", 2)]
    services.projections.catch_up()
    on = {day: {r["party"]: r["capacity"] for r in queries.participation(services.db, day, FAR_FUTURE)}
          for day in ("2024-08-29", "2024-08-30")}
    assert (on["2024-08-29"]["Estonia"], on["2024-08-30"]["Estonia"]) == ("associate_member_pre_stage", "member")
    listed = client.get(ENLARGEMENTS, query_string={"status": "in_force", "target": "member"},
                        headers=auth("eva")).get_json()
    assert [p["id"] for p in listed] == [pid]


def test_the_steps_of_a_process_by_accession_are_the_accession_s(client, auth, services):
    created = client.post(ENLARGEMENTS, json={"state": {"name": "Cyprus", "country": "CY"}, "target": "member",
                                              "applied_on": "2024-01-01"}, headers=auth("alice"))
    pid = created.get_json()["id"]

    steps = {s["name"]: s for s in client.get(f"{ENLARGEMENTS}/{pid}/steps", headers=auth("alice")).get_json()}

    assert steps["adopt_admission_resolution"]["would_pass"] is True, "no pre-stage on record: no minimum"
    assert "authorise_negotiation" not in steps, "a step of the other route is left out, not said to wait"
    assert set(steps) == {"establish_task_force", "submit_task_force_report", "adopt_admission_resolution",
                          "withdraw"}


def test_an_associate_membership_still_goes_by_agreement(client, auth, services):
    created = client.post(ENLARGEMENTS, json={"state": {"name": "Chile", "country": "CL"},
                                              "target": "associate_member", "applied_on": "2023-07-01"},
                          headers=auth("alice"))
    assert created.get_json()["route"] == "agreement"
    refused(step(client, auth, created.get_json()["id"], "adopt_admission_resolution", 1, "alice",
                 decided_on="2024-01-01"), "accession_only")
