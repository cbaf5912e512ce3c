"""Through the API, version 2's ``correct`` reaches a signature's date (by its party), a round's and a
milestone's (by their number): the history says which entry and what the date was; an unknown entry is a
problem naming ``entry_unknown`` and records nothing; version 1's ``correct`` offers none of them."""

from __future__ import annotations

from tests.projections.helpers import Walk, party

AGREEMENTS = "/api/v1/agreements"
PROBLEM = "application/problem+json"
MOROCCO = [party("Kingdom of Morocco", "state", "MA")]


def correct(client, auth, walk: Walk, **body):
    version = walk.service.get(walk.id).version
    return client.post(f"{AGREEMENTS}/{walk.id}/steps/correct", json={"reason": "As the signed copy shows.", **body},
                       headers={**auth("carla"), "If-Match": f'"{version}"'})


def in_force(services) -> Walk:
    return Walk(services.agreements, "alice", title="Co-operation agreement with Morocco",
                kind="international_cooperation_agreement", counterparties=MOROCCO).to_force("2024-12-01")


def test_a_signature_date_is_corrected_by_its_party_and_the_history_says_which(client, auth, services):
    walk = in_force(services)

    response = correct(client, auth, walk, field="signed_on", value="2024-11-18", entry="Kingdom of Morocco")

    assert response.status_code == 200, response.get_json()
    signatures = {s["party"]: s["signed_on"] for s in response.get_json()["signatures"]}
    assert signatures == {"CERN": "2024-11-20", "Kingdom of Morocco": "2024-11-18"}
    history = client.get(f"{AGREEMENTS}/{walk.id}/history", headers=auth("eva")).get_json()
    assert {k: history[-1]["data"][k] for k in ("field", "entry", "value", "previous")} == {
        "field": "signed_on", "entry": "Kingdom of Morocco", "value": "2024-11-18", "previous": "2024-11-20"}


def test_a_signature_moved_after_the_entry_into_force_or_of_no_party_is_refused_and_nothing_recorded(
        client, auth, services):
    walk = in_force(services)
    version = services.agreements.get(walk.id).version

    late = correct(client, auth, walk, field="signed_on", value="2024-12-02", entry="CERN")
    stranger = correct(client, auth, walk, field="signed_on", value="2024-11-18", entry="Kingdom of Spain")
    unnamed = correct(client, auth, walk, field="signed_on", value="2024-11-18")

    assert [(r.status_code, r.content_type, r.get_json()["rule"]) for r in (late, stranger, unnamed)] == [
        (422, PROBLEM, "not_before_last_signature"), (422, PROBLEM, "entry_unknown"),
        (422, PROBLEM, "entry_unknown")]
    assert services.agreements.get(walk.id).version == version


def test_a_milestone_date_is_corrected_by_its_number(client, auth, services):
    walk = in_force(services)
    walk.step("alice", "record_milestone", on="2025-02-01", summary="Joint committee.")

    response = correct(client, auth, walk, field="milestone_on", value="2025-02-03", entry="1")

    assert response.status_code == 200, response.get_json()
    history = client.get(f"{AGREEMENTS}/{walk.id}/history", headers=auth("eva")).get_json()
    assert (history[-1]["data"]["entry"], history[-1]["data"]["previous"]) == ("1", "2025-02-01")


def test_version_1_s_correct_offers_no_entry_date(client, auth, services):
    steps = client.get("/api/v1/workflows", headers=auth("farid")).get_json()
    choices = {(w["kind"], w["version"]): next(f["choices"] for s in w["steps"] if s["name"] == "correct"
                                               for f in s["fields"] if f["name"] == "field")
               for w in steps if w["kind"] in ("agreement", "enlargement")}

    assert {"signed_on", "held_on", "milestone_on"} <= set(choices[("agreement", 2)])
    assert "held_on" in choices[("enlargement", 2)]
    assert not {"held_on", "milestone_on"} & set(choices[("agreement", 1)] + choices[("enlargement", 1)])
    assert "signed_on" not in choices[("agreement", 1)]
