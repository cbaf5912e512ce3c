"""Enlargement processes on real storage (SQLite and PostgreSQL): one open process per state and target, the
conversion of a pre-stage Associate Member into a Member, the HTTP API under /api/v1/enlargements, and the
dashboard's enlargement counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from domain.errors import InvalidValueError, StageError
from domain.values import ProcessStatus, Stage
from projections import queries
from tests.projections.enlargement_walk import API, ENLARGEMENTS, FAR_FUTURE, Process, register_over_http, version_of
from tests.projections.helpers import document
from workflows.definitions import CURRENT

PROBLEM = "application/problem+json"
DASHBOARD = f"{API}/dashboard"


def create(client, headers: dict[str, str], name: str = "Estonia", country: str = "EE",
           target: str = "associate_member_pre_stage", applied_on: str = "2018-03-01", **extra: Any):
    body = {"state": {"name": name, "country": country}, "target": target, "applied_on": applied_on, **extra}
    return client.post(ENLARGEMENTS, json=body, headers=headers)


def take_step(client, headers: dict[str, str], process_id: str, step: str, version: int | None, **fields: Any):
    if_match = {"If-Match": f'"{version}"'} if version is not None else {}
    return client.post(f"{ENLARGEMENTS}/{process_id}/steps/{step}", json=fields, headers={**headers, **if_match})


def walk(client, auth, response, steps: list[tuple[str, str, dict[str, Any]]]):
    """Take ``(user, step, fields)`` in order over HTTP, each with the previous response's ETag; all must pass."""
    process_id = response.get_json()["id"]
    for user, step, fields in steps:
        response = take_step(client, auth(user), process_id, step, version_of(response), **fields)
        assert response.status_code == 200, (step, response.get_json())
    return response


TO_FORCE = [
    ("alice", "establish_task_force", {"decided_on": "2018-06-14"}),
    ("alice", "submit_task_force_report", {"submitted_on": "2019-03-07", "document": document("Task force report")}),
    ("alice", "authorise_negotiation", {"decided_on": "2019-06-20"}),
    ("alice", "attach_text", {"document": document("Agreement v1")}),
    ("alice", "request_legal_review", {}),
    ("bruno", "complete_legal_review", {"outcome": "cleared", "comments": "Fine."}),
    ("dmitri", "record_round", {"held_on": "2019-09-12", "summary": "First round in Tallinn"}),
    ("dmitri", "approve_agreement", {"decided_on": "2020-03-19", "reference": "CERN/3456"}),
    ("alice", "sign_agreement", {"signed_on": "2020-06-22", "signatories": ["Director-General", "Minister"]}),
    ("bruno", "notify_ratification", {"notified_on": "2021-01-20"}),
    ("carla", "enter_into_force", {"effective_on": "2021-02-01"}),
]
"""From drafting to a pre-stage Associate Membership in force since 2021-02-01, over HTTP."""


def assert_problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"], body
    return body


def head(services) -> int:
    return services.app.recorder.max_notification_id() or 0


# ---- one open process per state and target -----------------------------------------------------------


def test_a_second_open_process_for_the_same_state_and_target_is_refused(client, auth, services):
    first = create(client, auth("alice"))
    assert first.status_code == 201, first.get_json()
    before = head(services)

    again = create(client, auth("dmitri"), name="Republic of Estonia", applied_on="2019-01-01")

    body = assert_problem(again, 422)
    assert body["rule"] == "one_open_process"
    assert first.get_json()["id"] in body["detail"]
    assert head(services) == before


def test_the_same_state_may_have_processes_towards_other_targets_and_other_states_the_same_target(
        client, auth, services):
    assert create(client, auth("alice")).status_code == 201

    other_target = create(client, auth("alice"), target="member")
    other_state = create(client, auth("alice"), name="Cyprus", country="CY")

    assert (other_target.status_code, other_state.status_code) == (201, 201)
    ids = {create_response.get_json()["id"] for create_response in (other_target, other_state)}
    assert len(ids) == 2


@pytest.mark.parametrize("stage", ["drafting", "negotiation", "signature", "implementation"])
def test_the_open_process_blocks_a_new_one_in_every_stage_until_it_closes(services, stage):
    process = Process(services.enlargements, "alice", "Latvia", "LV", "associate_member", "2016-09-01")
    if stage == "negotiation":
        process.to_negotiation()
    elif stage == "signature":
        process.to_signature()
    elif stage == "implementation":
        process.to_force("2021-08-02")
    assert process.current.stage.value == stage

    with pytest.raises(StageError) as caught:
        Process(services.enlargements, "dmitri", "Latvia", "LV", "associate_member", "2022-01-01")
    assert caught.value.rule == "one_open_process"


def test_after_its_participation_ended_a_state_can_rejoin_through_a_new_process(client, auth, services):
    """Spain: Member State 1961-1968, again from 1983."""
    first = Process(services.enlargements, "alice", "Spain", "ES", "member", "1960-06-01").to_force("1961-01-01")
    first.end("1968-12-31", reason="Spain withdrew from the Organization.")

    again = create(client, auth("alice"), name="Spain", country="ES", target="member", applied_on="1982-06-01")

    assert again.status_code == 201, again.get_json()
    second_id = again.get_json()["id"]
    assert second_id != str(first.id)
    assert first.current.status is ProcessStatus.ENDED
    walk(client, auth, again, [  # Membership by accession (version 2)
        ("alice", "adopt_admission_resolution", {"decided_on": "1982-06-01"}),
        ("bruno", "deposit_instrument_of_accession", {"deposited_on": "1982-12-01"}),
        ("bruno", "enter_into_force", {"effective_on": "1983-01-01"}),
    ])
    services.projections.catch_up()

    listed = client.get(ENLARGEMENTS, query_string={"country": "ES"}, headers=auth("farid"))
    assert {i["id"] for i in listed.get_json()} == {str(first.id), second_id}
    register = {on: register_over_http(client, auth("farid"), on)["participants"]
                for on in ("1961-01-01", "1968-12-30", "1968-12-31", "1975-01-01", "1983-01-01")}
    spain = {on: [(p["capacity"], p["source"]["id"]) for p in rows if p["country"] == "ES"]
             for on, rows in register.items()}
    assert spain == {
        "1961-01-01": [("member", str(first.id))], "1968-12-30": [("member", str(first.id))],
        "1968-12-31": [], "1975-01-01": [], "1983-01-01": [("member", second_id)],
    }


def test_after_a_withdrawal_a_new_process_for_the_same_state_and_target_can_be_opened(client, auth, services):
    first = Process(services.enlargements, "alice", "Cyprus", "CY", "associate_member_pre_stage", "2012-10-01")
    first.step("alice", "withdraw", reason="The application was put on hold.")

    again = create(client, auth("alice"), name="Cyprus", country="CY", applied_on="2014-01-01")

    assert again.status_code == 201, again.get_json()
    assert again.get_json()["id"] != str(first.id)


# ---- a state holds one status at a time ----------------------------------------------------------


def estonia_in_the_pre_stage(services) -> Process:
    return Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                   "2018-03-01").to_force("2021-02-01")


def test_entering_into_force_as_member_ends_the_pre_stage_status_the_same_day(client, auth, services):
    pre_stage = estonia_in_the_pre_stage(services)
    member = Process(services.enlargements, "alice", "Estonia", "EE", "member", "2023-05-01").to_ratified()

    member.step("carla", "enter_into_force", effective_on="2024-08-30", reference="CERN/3700")

    ended, joined = pre_stage.current, member.current
    assert (joined.stage, joined.status, joined.effective_on.isoformat()) == (
        Stage.IMPLEMENTATION, ProcessStatus.IN_FORCE, "2024-08-30")
    assert (ended.stage, ended.status, ended.ended_on.isoformat()) == (Stage.CLOSED, ProcessStatus.ENDED,
                                                                      "2024-08-30")
    response = client.get(f"{ENLARGEMENTS}/{pre_stage.id}/history", headers=auth("eva"))
    last = response.get_json()[-1]
    assert (last["type"], last["actor"], last["role"], last["data"]["effective_on"]) == (
        "end_participation", "carla", "legal_officer", "2024-08-30")
    assert str(member.id) in last["reason"] and "member" in last["reason"]
    entered = list(services.enlargements.history(member.id))[-1]
    assert (entered.type, entered.actor) == ("enter_into_force", last["actor"])
    assert abs(last["position"] - entered.position) == 1, "both events are written together"


def test_after_the_conversion_the_register_lists_the_state_once_in_its_new_capacity_from_that_day(
        services):
    estonia_in_the_pre_stage(services)
    Process(services.enlargements, "alice", "Estonia", "EE", "member", "2023-05-01").to_force("2024-08-30")
    services.projections.catch_up()

    def capacities(on: str) -> list[str]:
        return [p["capacity"] for p in queries.participation(services.db, on, FAR_FUTURE) if p["country"] == "EE"]

    assert capacities("2024-08-29") == ["associate_member_pre_stage"]
    assert capacities("2024-08-30") == ["member"]
    assert capacities("2021-01-31") == []


def test_a_conversion_the_earlier_status_cannot_follow_is_refused_as_a_whole(services):
    """The pre-stage would enter into force on the day the Associate Membership began: that cannot end on
    the day it began, so nothing is recorded, on either process."""
    associate = Process(services.enlargements, "alice", "Estonia", "EE", "associate_member",
                        "2018-03-01").to_force("2021-02-01")
    pre_stage = Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                        "2021-02-01").to_ratified()
    before = head(services)

    with pytest.raises(InvalidValueError) as caught:
        pre_stage.step("carla", "enter_into_force", effective_on="2021-02-01")

    assert caught.value.rule == "dates_in_order"
    assert head(services) == before
    assert pre_stage.current.status is ProcessStatus.RATIFIED
    assert associate.current.status is ProcessStatus.IN_FORCE


def test_an_entry_into_force_leaves_other_states_and_unfinished_processes_alone(services):
    slovenia = Process(services.enlargements, "alice", "Slovenia", "SI", "associate_member_pre_stage",
                       "2016-01-01").to_force("2017-07-04")
    cyprus_pre_stage = Process(services.enlargements, "alice", "Cyprus", "CY", "associate_member_pre_stage",
                               "2012-10-01").to_signature()
    cyprus_member = Process(services.enlargements, "alice", "Cyprus", "CY", "member", "2015-01-01")
    estonia_pre_stage = estonia_in_the_pre_stage(services)
    Process(services.enlargements, "alice", "Estonia", "EE", "member", "2023-05-01").to_force("2024-08-30")

    assert slovenia.current.status is ProcessStatus.IN_FORCE
    assert cyprus_pre_stage.current.status is ProcessStatus.APPROVED
    assert cyprus_member.current.status is ProcessStatus.DRAFT
    assert estonia_pre_stage.current.status is ProcessStatus.ENDED


# ---- the HTTP API ------------------------------------------------------------------------------------


def test_create_answers_201_with_the_location_and_version_of_the_new_process(client, auth):
    response = create(client, auth("alice"), reason="Application letter of 1 March 2018.", reference="EE/2018/1")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"{ENLARGEMENTS}/{body['id']}")
    assert {k: body[k] for k in ("state", "target", "stage", "status", "version", "applied_on", "created_by",
                                 "workflow_version")} == {
        "state": {"name": "Estonia", "country": "EE"}, "target": "associate_member_pre_stage", "stage": "drafting",
        "status": "draft", "version": 1, "applied_on": "2018-03-01", "created_by": "alice",
        "workflow_version": CURRENT["enlargement"].version,
    }
    fetched = client.get(response.headers["Location"], headers=auth("farid"))
    assert fetched.status_code == 200
    assert fetched.get_json() == body


@pytest.mark.parametrize(("user", "status"), [("bruno", 403), ("eva", 403), ("farid", 403), ("gwen", 403)])
def test_only_an_ir_officer_may_open_a_process(client, auth, services, user, status):
    before = head(services)

    assert_problem(create(client, auth(user)), status)
    assert head(services) == before


@pytest.mark.parametrize("overrides", [
    {"country": "ee"}, {"country": "EST"}, {"target": "observer"}, {"applied_on": "1 March 2018"},
], ids=["lowercase_country", "alpha_3_country", "unknown_target", "not_a_date"])
def test_create_is_refused_with_a_422_naming_the_bad_field(client, auth, services, overrides):
    before = head(services)

    body = assert_problem(create(client, auth("alice"), **overrides), 422)

    assert body["errors"]
    assert head(services) == before


def build_list(services) -> dict[str, Process]:
    e = services.enlargements
    estonia = Process(e, "alice", "Estonia", "EE", "associate_member_pre_stage", "2018-03-01").to_force("2021-02-01")
    return {
        "estonia": estonia,
        "estonia_member": Process(e, "alice", "Estonia", "EE", "member", "2023-05-01").to_signature(),
        "latvia": Process(e, "dmitri", "Latvia", "LV", "associate_member", "2016-09-01").to_negotiation(),
        "cyprus": Process(e, "alice", "Cyprus", "CY", "associate_member_pre_stage", "2012-10-01"),
        "ireland": Process(e, "alice", "Ireland", "IE", "associate_member", "2023-01-01").step("alice", "withdraw"),
        "slovenia": Process(e, "alice", "Slovenia", "SI", "member", "2023-01-01").to_ratified(),
    }


def test_the_list_filters_by_stage_status_target_and_country(client, auth, services):
    built = build_list(services)
    services.projections.catch_up()
    slug_of = {str(p.id): slug for slug, p in built.items()}
    cases = [
        ({}, set(built)),
        ({"stage": "drafting"}, {"cyprus"}),
        ({"stage": "negotiation"}, {"latvia"}),
        ({"stage": "signature"}, {"estonia_member", "slovenia"}),
        ({"stage": "implementation"}, {"estonia"}),
        ({"stage": "closed"}, {"ireland"}),
        ({"status": "admitted"}, {"estonia_member"}),
        ({"status": "instrument_deposited"}, {"slovenia"}),
        ({"status": "withdrawn"}, {"ireland"}),
        ({"target": "member"}, {"estonia_member", "slovenia"}),
        ({"target": "associate_member"}, {"latvia", "ireland"}),
        ({"target": "associate_member_pre_stage"}, {"estonia", "cyprus"}),
        ({"country": "EE"}, {"estonia", "estonia_member"}),
        ({"country": "EE", "target": "member"}, {"estonia_member"}),
        ({"country": "FR"}, set()),
    ]
    wrong = []
    for query, expected in cases:
        response = client.get(ENLARGEMENTS, query_string={**query, "per_page": 500}, headers=auth("farid"))
        assert response.status_code == 200, response.get_json()
        items = response.get_json()
        got = {slug_of[i["id"]] for i in items}
        if got != expected or int(response.headers["X-Total-Count"]) != len(expected):
            wrong.append((query, sorted(got), response.headers["X-Total-Count"], sorted(expected)))
    assert not wrong


def test_each_listed_row_agrees_with_its_process(client, auth, services):
    built = build_list(services)
    services.projections.catch_up()

    items = client.get(ENLARGEMENTS, query_string={"per_page": 2, "sort": "state"}, headers=auth("eva"))

    assert items.headers["X-Total-Count"] == str(len(built))
    assert [i["state"] for i in items.get_json()] == ["Cyprus", "Estonia"]
    for process in built.values():
        current = process.current
        row = client.get(ENLARGEMENTS, query_string={"country": current.state.country,
                                                     "target": current.target.value},
                         headers=auth("eva")).get_json()[0]
        assert (row["id"], row["state"], row["stage"], row["status"], row["version"], row["applied_on"],
                row["effective_on"]) == (
            str(current.id), current.state.name, current.stage.value, current.status.value, current.version,
            current.applied_on.isoformat(), current.effective_on.isoformat() if current.effective_on else None)


def test_an_invalid_list_filter_is_a_422(client, auth, services):
    for query in ({"stage": "ratified"}, {"target": "observer"}, {"country": "est"}, {"status": "in-force"}):
        assert_problem(client.get(ENLARGEMENTS, query_string=query, headers=auth("farid")), 422)


def test_get_shows_a_past_version_and_the_state_as_of_a_past_time(client, auth, services):
    created = create(client, auth("alice"))
    process_id = created.get_json()["id"]
    walk(client, auth, created, TO_FORCE[:3])
    history = client.get(f"{ENLARGEMENTS}/{process_id}/history", headers=auth("eva")).get_json()

    def get(**query: Any):
        return client.get(f"{ENLARGEMENTS}/{process_id}", query_string=query, headers=auth("farid"))

    now = get()
    assert (now.get_json()["stage"], now.headers["ETag"]) == ("negotiation", '"4"')
    at_version_2 = get(version=2)
    assert at_version_2.headers["ETag"] == '"2"'
    assert (at_version_2.get_json()["stage"], at_version_2.get_json()["task_force_on"],
            at_version_2.get_json()["task_force_report"]) == ("drafting", "2018-06-14", None)
    as_of = get(as_of=history[2]["recorded_at"]).get_json()
    assert (as_of["version"], as_of["task_force_report_on"], as_of["stage"]) == (3, "2019-03-07", "drafting")
    assert_problem(get(version=9), 404)
    assert_problem(get(as_of="1999-01-01T00:00:00Z"), 404)
    assert_problem(get(version=1, as_of=history[0]["recorded_at"]), 400)


def test_steps_lists_what_the_caller_may_take_in_the_current_stage(client, auth, services):
    drafted = create(client, auth("alice"), name="Cyprus", country="CY").get_json()["id"]
    signing = Process(services.enlargements, "alice", "Slovenia", "SI", "member", "2023-01-01").to_signature()
    in_force = estonia_in_the_pre_stage(services)

    def steps(process_id: Any, user: str) -> list[str]:
        response = client.get(f"{ENLARGEMENTS}/{process_id}/steps", headers=auth(user))
        assert response.status_code == 200, response.get_json()
        return [s["name"] for s in response.get_json()]

    assert steps(drafted, "alice") == ["establish_task_force", "submit_task_force_report", "authorise_negotiation",
                                       "withdraw"], "the steps of Membership by accession are not the pre-stage's"
    assert steps(drafted, "bruno") == ["correct"]
    assert steps(drafted, "farid") == []
    assert steps(signing.id, "alice") == ["withdraw"], "Membership by accession: no bilateral signature"
    assert steps(signing.id, "carla") == ["enter_into_force", "correct", "deposit_instrument_of_accession"]
    assert steps(in_force.id, "alice") == []
    assert steps(in_force.id, "bruno") == ["end_participation", "correct"]
    fields = {s["name"]: [f["name"] for f in s["fields"]] for s in client.get(
        f"{ENLARGEMENTS}/{in_force.id}/steps", headers=auth("bruno")).get_json()}
    assert fields["end_participation"] == ["effective_on", "reason"]


def test_a_step_is_taken_from_the_version_named_by_if_match(client, auth, services):
    created = create(client, auth("alice"))
    process_id = created.get_json()["id"]

    taken = take_step(client, auth("alice"), process_id, "authorise_negotiation", 1, decided_on="2019-06-20",
                      reference="CERN/3401")

    assert taken.status_code == 200, taken.get_json()
    assert taken.headers["ETag"] == '"2"'
    assert int(taken.headers["X-Position"]) == head(services)
    assert (taken.get_json()["stage"], taken.get_json()["negotiation_authorised_on"]) == ("negotiation",
                                                                                          "2019-06-20")
    before = head(services)
    stale = take_step(client, auth("alice"), process_id, "attach_text", 1, document=document("v1"))
    assert assert_problem(stale, 409)["current_version"] == 2
    assert_problem(take_step(client, auth("alice"), process_id, "attach_text", None, document=document("v1")), 412)
    assert head(services) == before


def test_a_step_refused_by_a_rule_is_a_422_naming_the_rule_and_records_nothing(client, auth, services):
    created = create(client, auth("alice"))
    process_id = created.get_json()["id"]
    with_task_force = walk(client, auth, created, TO_FORCE[:1])
    before = head(services)

    refused = take_step(client, auth("alice"), process_id, "authorise_negotiation", version_of(with_task_force),
                        decided_on="2019-06-20")
    out_of_order = take_step(client, auth("alice"), process_id, "submit_task_force_report",
                             version_of(with_task_force), submitted_on="2018-06-13", document=document("Report"))
    wrong_stage = take_step(client, auth("alice"), process_id, "approve_agreement", version_of(with_task_force),
                            decided_on="2019-06-20")
    wrong_role = take_step(client, auth("bruno"), process_id, "authorise_negotiation", version_of(with_task_force),
                           decided_on="2019-06-20")
    unknown = take_step(client, auth("alice"), process_id, "open_negotiation", version_of(with_task_force))

    assert assert_problem(refused, 422)["rule"] == "task_force_report_pending"
    assert assert_problem(out_of_order, 422)["rule"] == "dates_in_order"
    assert assert_problem(wrong_stage, 422)["rule"] == "stage"
    assert assert_problem(wrong_role, 403)["rule"] == "role"
    assert_problem(unknown, 404)
    assert head(services) == before


def test_participation_ends_over_http_only_with_a_reason(client, auth, services):
    in_force = walk(client, auth, create(client, auth("alice")), TO_FORCE)
    process_id = in_force.get_json()["id"]
    before = head(services)

    without = take_step(client, auth("carla"), process_id, "end_participation", version_of(in_force),
                        effective_on="2024-08-30")
    blank = take_step(client, auth("carla"), process_id, "end_participation", version_of(in_force),
                      effective_on="2024-08-30", reason="  ")
    assert "reason" in assert_problem(without, 422)["errors"]
    assert assert_problem(blank, 422)["errors"].keys() == {"reason"}
    assert head(services) == before

    ended = take_step(client, auth("carla"), process_id, "end_participation", version_of(in_force),
                      effective_on="2024-08-30", reason="Converted into Membership.")

    assert ended.status_code == 200, ended.get_json()
    assert (ended.get_json()["stage"], ended.get_json()["status"], ended.get_json()["ended_on"]) == (
        "closed", "ended", "2024-08-30")
    last = client.get(f"{ENLARGEMENTS}/{process_id}/history", headers=auth("eva")).get_json()[-1]
    assert (last["type"], last["actor"], last["reason"]) == ("end_participation", "carla",
                                                             "Converted into Membership.")


def test_the_history_lists_every_step_in_order_with_its_actor_and_fields(client, auth, services):
    created = create(client, auth("alice"), reason="Application letter.")
    in_force = walk(client, auth, created, TO_FORCE)
    process_id = created.get_json()["id"]

    response = client.get(f"{ENLARGEMENTS}/{process_id}/history", headers=auth("eva"))

    assert response.status_code == 200
    entries = response.get_json()
    assert [(e["type"], e["actor"]) for e in entries] == [("created", "alice")] + [(s, u) for u, s, _ in TO_FORCE]
    assert [e["version"] for e in entries] == list(range(1, version_of(in_force) + 1))
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert entries[0]["reason"] == "Application letter."
    assert entries[8]["reference"] == "CERN/3456"
    assert entries[-1]["data"]["effective_on"] == "2021-02-01"
    assert [e["role"] for e in entries][-2:] == ["legal_officer", "legal_officer"]
    assert_problem(client.get(f"{ENLARGEMENTS}/{process_id}/history", headers=auth("gwen")), 403)


# ---- the dashboard -----------------------------------------------------------------------------------


def test_the_dashboard_counts_enlargement_processes_by_stage_and_target(client, auth, services):
    built = build_list(services)
    services.projections.catch_up()
    processes = [p.current for p in built.values()]

    response = client.get(DASHBOARD, headers=auth("farid"))

    assert response.status_code == 200, response.get_json()
    counts = response.get_json()["enlargements"]
    assert counts == {
        "total": len(processes),
        "by_stage": dict(Counter(p.stage.value for p in processes)),
        "by_target": dict(Counter(p.target.value for p in processes)),
    }
    assert counts["by_stage"] == {"implementation": 1, "signature": 2, "negotiation": 1, "drafting": 1, "closed": 1}
    assert counts["by_target"] == {"associate_member_pre_stage": 2, "member": 2, "associate_member": 2}
