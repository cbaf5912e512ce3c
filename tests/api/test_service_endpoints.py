"""Service endpoints: health and readiness, the workflow definitions, the OpenAPI document, available steps."""

from __future__ import annotations

import pytest

from bootstrap import create_app
from tests.api.helpers import (
    AGREEMENTS,
    API,
    assert_problem,
    create_agreement,
    document,
    take_step,
    version_of,
    walk,
)
from tests.storage.stores import PG
from workflows.definitions import DEFINITIONS

# The public vocabulary of the cooperation agreement workflow, as WORKFLOWS.md (v1) lists it.
AGREEMENT_STEPS = {
    "attach_text", "request_legal_review", "complete_legal_review", "open_negotiation", "record_round",
    "finalise_text", "record_signature", "enter_into_force", "record_milestone", "renew", "suspend", "resume",
    "terminate", "supersede", "expire", "withdraw", "correct",
}
STAGES = ["drafting", "negotiation", "signature", "implementation", "closed"]


def test_health_needs_no_token(client):
    response = client.get("/health")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_ready_needs_no_token_and_reports_the_storage_and_the_head_of_the_log(client, auth, services, storage):
    backend = storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]
    before = client.get("/ready")
    assert before.status_code == 200
    assert before.get_json()["status"] == "ready"
    assert before.get_json()["storage"] == backend

    created = create_agreement(client, auth("alice"))
    after = client.get("/ready").get_json()
    assert after["head_position"] == int(created.headers["X-Position"]) == services.app.recorder.max_notification_id()
    assert after["head_position"] > before.get_json()["head_position"]


def test_ready_is_503_when_the_storage_cannot_be_reached(storage, tmp_path):
    if storage["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        unreachable = {**storage, "SQLITE_DBNAME": str(tmp_path / "missing" / "dir" / "accord.db")}
    else:
        unreachable = {**storage, **PG, "POSTGRES_PORT": "1"}
    app = create_app({"TESTING": True, "STORAGE": unreachable, "PROJECTIONS_IN_PROCESS": False})
    try:
        client = app.test_client()
        assert client.get("/health").status_code == 200
        body = assert_problem(client.get("/ready"), 503)
        assert body["storage"] == storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]
    finally:
        app.extensions["accord"].close()


def test_the_workflow_definitions_list_every_step_of_the_agreement_workflow(client, auth):
    response = client.get(f"{API}/workflows", headers=auth("farid"))
    assert response.status_code == 200
    listed = response.get_json()
    assert {(w["kind"], w["version"]) for w in listed} == set(DEFINITIONS), "every version of every workflow"
    [agreement] = [w for w in listed if (w["kind"], w["version"]) == ("agreement", 1)]
    assert agreement["stages"] == STAGES
    assert agreement["create_roles"] == ["ir_officer"]
    assert {f["name"] for f in agreement["creation_fields"]} == {
        "title", "kind", "counterparties", "summary", "parent_id", "expires_on"}
    steps = {s["name"]: s for s in agreement["steps"]}
    assert set(steps) == AGREEMENT_STEPS
    assert steps["complete_legal_review"]["roles"] == ["legal_officer"]
    assert steps["finalise_text"]["stages"] == ["negotiation"]
    assert steps["finalise_text"]["moves_to"] == "signature"
    assert steps["correct"]["stages"] == STAGES
    assert {f["name"] for f in steps["record_signature"]["fields"]} == {"party", "signatory", "signed_on", "place"}
    assert next(f for f in steps["complete_legal_review"]["fields"] if f["name"] == "outcome")["choices"] == [
        "cleared", "changes_requested"]


def test_the_workflow_definitions_name_the_rules_each_step_is_bound_by(client, auth):
    """Each step lists the slugs of the rules its aggregate enforces, as a refused step's problem names them."""
    served = {w["kind"]: {s["name"]: s["rules"] for s in w["steps"]}
              for w in client.get(f"{API}/workflows", headers=auth("eva")).get_json()}
    assert served == {w.kind: {s.name: list(s.rules) for s in w.steps} for w in DEFINITIONS.values()}
    assert served["agreement"]["complete_legal_review"] == ["needs_pending_review", "four_eyes"]
    assert served["agreement"]["enter_into_force"] == ["all_parties_signed", "not_before_last_signature"]


def test_the_workflow_definitions_need_a_token(client):
    assert_problem(client.get(f"{API}/workflows"), 401)


def test_the_openapi_document_is_public_and_describes_the_agreement_api(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {
        f"{AGREEMENTS}", f"{AGREEMENTS}/{{agreement_id}}", f"{AGREEMENTS}/{{agreement_id}}/steps",
        f"{AGREEMENTS}/{{agreement_id}}/steps/{{step}}", f"{AGREEMENTS}/{{agreement_id}}/history",
        f"{API}/workflows",
    } <= set(spec["paths"])
    assert "post" in spec["paths"][AGREEMENTS]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert {"bearerAuth": []} in spec["security"]
    step = spec["paths"][f"{AGREEMENTS}/{{agreement_id}}/steps/{{step}}"]["post"]
    if_match = next(p for p in step["parameters"] if p["name"] == "If-Match")
    assert (if_match["in"], if_match["required"]) == ("header", True)
    assert "Agreement" in spec["components"]["schemas"]
    assert {"version", "stage", "status", "legal_clearance"} <= set(
        spec["components"]["schemas"]["Agreement"]["properties"])


def steps_for(client, auth, user: str, agreement_id: str) -> dict[str, dict]:
    response = client.get(f"{AGREEMENTS}/{agreement_id}/steps", headers=auth(user))
    assert response.status_code == 200, response.get_json()
    return {s["name"]: s for s in response.get_json()}


def field_names(step: dict) -> list[str]:
    return [f["name"] for f in step["fields"]]


def test_an_ir_officer_in_drafting_is_offered_the_ir_steps_of_drafting(client, auth):
    agreement_id = create_agreement(client, auth("alice")).get_json()["id"]
    steps = steps_for(client, auth, "alice", agreement_id)
    assert list(steps) == ["attach_text", "request_legal_review", "open_negotiation", "withdraw"]
    assert field_names(steps["attach_text"]) == ["document"]
    assert field_names(steps["request_legal_review"]) == []
    assert steps["open_negotiation"]["moves_to"] == "negotiation"
    assert steps["withdraw"]["moves_to"] == "closed"
    assert steps["attach_text"]["roles"] == ["ir_officer", "legal_officer"]


def test_each_step_says_whether_it_would_pass_now_and_if_not_the_rule_and_what_it_waits_for(client, auth,
                                                                                          services):
    created = create_agreement(client, auth("alice"))
    agreement_id = created.get_json()["id"]
    steps = steps_for(client, auth, "alice", agreement_id)
    assert {name: (s["would_pass"], s["rule"], s["waits_for"]) for name, s in steps.items()} == {
        "attach_text": (True, None, None),
        "request_legal_review": (False, "needs_text", "a text to be attached"),
        "open_negotiation": (False, "needs_cleared_text", "a text cleared by the Legal Service"),
        "withdraw": (True, None, None),
    }
    assert steps["open_negotiation"]["rule_text"] == "current text cleared"
    walk(client, auth, created, [("bruno", "attach_text", {"document": document("v1")}),
                                 ("alice", "request_legal_review", {})])
    head = services.app.recorder.max_notification_id()
    review = {user: steps_for(client, auth, user, agreement_id)["complete_legal_review"] for user in ("bruno", "carla")}
    assert (review["bruno"]["would_pass"], review["bruno"]["rule"]) == (False, "four_eyes")
    assert review["bruno"]["waits_for"] == "another legal officer: you attached this text"
    assert (review["carla"]["would_pass"], review["carla"]["rule"], review["carla"]["waits_for"]) == (True, None, None)
    assert services.app.recorder.max_notification_id() == head, "asking records nothing"


def test_a_legal_officer_in_drafting_is_offered_the_legal_steps_of_drafting(client, auth):
    agreement_id = create_agreement(client, auth("alice")).get_json()["id"]
    steps = steps_for(client, auth, "bruno", agreement_id)
    assert list(steps) == ["attach_text", "complete_legal_review", "correct"]
    review = steps["complete_legal_review"]
    assert field_names(review) == ["outcome", "comments"]
    assert [(f["required"], f["type"]) for f in review["fields"]] == [(True, "enum"), (False, "text")]
    assert review["fields"][0]["choices"] == ["cleared", "changes_requested"]
    assert field_names(steps["correct"]) == ["field", "value", "entry"]


def test_the_steps_offered_follow_the_stage(client, auth):
    response = walk(client, auth, create_agreement(client, auth("alice"), expires_on="2030-12-31"), [
        ("alice", "attach_text", {"document": document("v1")}),
        ("alice", "request_legal_review", {}),
        ("bruno", "complete_legal_review", {"outcome": "cleared"}),
        ("alice", "open_negotiation", {}),
    ])
    agreement_id = response.get_json()["id"]
    assert list(steps_for(client, auth, "alice", agreement_id)) == [
        "attach_text", "request_legal_review", "record_round", "finalise_text", "withdraw"]
    assert list(steps_for(client, auth, "carla", agreement_id)) == ["attach_text", "complete_legal_review", "correct"]
    closed = take_step(client, auth("dmitri"), agreement_id, "withdraw", version_of(response))
    assert closed.status_code == 200
    assert list(steps_for(client, auth, "alice", agreement_id)) == []
    assert list(steps_for(client, auth, "carla", agreement_id)) == ["correct"]


@pytest.mark.parametrize("user", ["eva", "farid"])
def test_readers_without_steps_are_offered_none(client, auth, user):
    agreement_id = create_agreement(client, auth("alice")).get_json()["id"]
    assert steps_for(client, auth, user, agreement_id) == {}
