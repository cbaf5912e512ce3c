"""Every refusal is an application/problem+json with type, title, status and detail, and records nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from domain.access import DIRECTORY_ID
from domain.values import Actor, Role
from tests.api.helpers import (
    AGREEMENTS,
    API,
    agreement_fields,
    assert_problem,
    create_agreement,
    document,
    take_step,
    version_of,
)

MAX_CONTENT_LENGTH = 256 * 1024
DATE_MESSAGE = "Not a valid date: a day of the calendar, as YYYY-MM-DD."


@dataclass
class World:
    """A drafted agreement (version 2, text attached by alice) and the ways to call the API about it."""

    client: Any
    auth: Callable[..., dict[str, str]]
    id: str
    revoked_token: str

    def step(self, user: str, step: str, version: int | str | None = 2, **fields: Any):
        return take_step(self.client, self.auth(user), self.id, step, version, **fields)

    def create(self, user: str, **fields: Any):
        return self.client.post(AGREEMENTS, json=fields, headers=self.auth(user))

    def get(self, path: str = "", headers: dict[str, str] | None = None):
        return self.client.get(f"{AGREEMENTS}/{self.id}{path}", headers=headers)


@pytest.fixture
def world(client, auth, services) -> World:
    created = create_agreement(client, auth("alice"), expires_on="2030-12-31")
    agreement_id = created.get_json()["id"]
    drafted = take_step(client, auth("alice"), agreement_id, "attach_text", version_of(created),
                        document=document("Draft v1"))
    assert version_of(drafted) == 2
    admin = Actor("pytest@cli", Role.ADMIN)
    revoked = services.access.issue_token(admin, "henri", Role.IR_OFFICER)
    services.access.revoke(admin, "henri")
    return World(client, auth, agreement_id, revoked)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def oversized_create(w: World):
    body = agreement_fields(summary="x" * (MAX_CONTENT_LENGTH + 1))
    return w.client.post(AGREEMENTS, json=body, headers=w.auth("alice"))


# (case id, expected status, request, members the problem must have)
CASES: list[tuple[str, int, Callable[[World], Any], dict[str, Any]]] = [
    ("malformed JSON on create", 400, lambda w: w.client.post(
        AGREEMENTS, data='{"title": "unfinished', content_type="application/json", headers=w.auth("alice")), {}),
    ("malformed JSON on a step", 400, lambda w: w.client.post(
        f"{AGREEMENTS}/{w.id}/steps/request_legal_review", data="{nope", content_type="application/json",
        headers=w.auth("alice", **{"If-Match": '"2"'})), {}),
    ("no token", 401, lambda w: w.get(), {}),
    ("no token on a write", 401, lambda w: w.client.post(AGREEMENTS, json=agreement_fields()), {}),
    ("basic scheme", 401, lambda w: w.get(headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"}), {}),
    ("bearer without a token", 401, lambda w: w.get(headers={"Authorization": "Bearer "}), {}),
    ("unknown token", 401, lambda w: w.get(headers=bearer("acc_" + "x" * 43)), {}),
    ("revoked token", 401, lambda w: w.get(headers=bearer(w.revoked_token)), {}),
    ("revoked token on a write", 401, lambda w: w.client.post(
        AGREEMENTS, json=agreement_fields(), headers=bearer(w.revoked_token)), {}),
    ("management creating", 403, lambda w: w.create("farid", **agreement_fields()), {"rule": "role"}),
    ("legal officer creating", 403, lambda w: w.create("bruno", **agreement_fields()), {"rule": "role"}),
    ("auditor creating", 403, lambda w: w.create("eva", **agreement_fields()), {"rule": "role"}),
    ("ir officer taking a legal step", 403, lambda w: w.step("alice", "complete_legal_review", outcome="cleared"),
     {"rule": "role"}),
    ("legal officer taking an ir step", 403, lambda w: w.step("bruno", "request_legal_review"), {"rule": "role"}),
    ("management taking a step", 403, lambda w: w.step("farid", "withdraw"), {"rule": "role"}),
    ("auditor taking a step", 403, lambda w: w.step("eva", "withdraw"), {"rule": "role"}),
    ("admin reading an agreement", 403, lambda w: w.get(headers=w.auth("gwen")), {"rule": "role"}),
    ("admin reading a history", 403, lambda w: w.get("/history", headers=w.auth("gwen")), {"rule": "role"}),
    ("admin reading the steps", 403, lambda w: w.get("/steps", headers=w.auth("gwen")), {"rule": "role"}),
    ("unknown id", 404, lambda w: w.client.get(f"{AGREEMENTS}/{uuid4()}", headers=w.auth("alice")), {}),
    ("unknown id's history", 404, lambda w: w.client.get(f"{AGREEMENTS}/{uuid4()}/history",
                                                         headers=w.auth("alice")), {}),
    ("unknown id's steps", 404, lambda w: w.client.get(f"{AGREEMENTS}/{uuid4()}/steps", headers=w.auth("alice")),
     {}),
    ("step on an unknown id", 404, lambda w: take_step(w.client, w.auth("alice"), str(uuid4()), "withdraw", 1), {}),
    ("not a uuid", 404, lambda w: w.client.get(f"{AGREEMENTS}/chile", headers=w.auth("alice")), {}),
    ("unknown step", 404, lambda w: w.step("alice", "sign_in_blood"), {}),
    ("the user directory is no agreement", 404, lambda w: w.client.get(f"{AGREEMENTS}/{DIRECTORY_ID}",
                                                                      headers=w.auth("alice")), {}),
    ("unsupported method", 405, lambda w: w.client.delete(f"{AGREEMENTS}/{w.id}", headers=w.auth("alice")), {}),
    ("stale If-Match", 409, lambda w: w.step("alice", "request_legal_review", 1), {"current_version": 2}),
    ("If-Match ahead of the agreement", 409, lambda w: w.step("alice", "request_legal_review", 7),
     {"current_version": 2}),
    ("missing If-Match", 412, lambda w: w.step("alice", "request_legal_review", None), {}),
    ("body over 256 KiB on create", 413, oversized_create, {}),
    ("body over 256 KiB on a step", 413, lambda w: w.step(
        "alice", "attach_text", document={"title": "x" * (MAX_CONTENT_LENGTH + 1), "sha256": "0" * 64}), {}),
    ("text/plain create", 415, lambda w: w.client.post(
        AGREEMENTS, data="title: Chile ICA", content_type="text/plain", headers=w.auth("alice")), {}),
    ("text/plain step", 415, lambda w: w.client.post(
        f"{AGREEMENTS}/{w.id}/steps/withdraw", data="please", content_type="text/plain",
        headers=w.auth("alice", **{"If-Match": '"2"'})), {}),
    ("unknown field on create", 422, lambda w: w.create("alice", **agreement_fields(budget="1 MCHF")),
     {"errors": {"budget": ["Unknown field."]}}),
    ("missing field on create", 422, lambda w: w.create(
        "alice", title="No counterparty", kind="protocol"), {"errors": {"counterparties": [
            "Missing data for required field."]}}),
    ("unknown kind", 422, lambda w: w.create("alice", **agreement_fields(kind="treaty")), {}),
    ("no counterparties", 422, lambda w: w.create("alice", **agreement_fields(counterparties=[])), {}),
    ("lowercase country", 422, lambda w: w.create("alice", **agreement_fields(
        counterparties=[{"name": "Chile", "kind": "state", "country": "cl"}])), {}),
    ("CERN as a counterparty", 422, lambda w: w.create("alice", **agreement_fields(
        counterparties=[{"name": "CERN", "kind": "organisation"}])), {"rule": "invalid_value"}),
    ("unknown parent", 422, lambda w: w.create("alice", **agreement_fields(parent_id=str(uuid4()))),
     {"rule": "parent_exists"}),
    ("reason over 2,000 characters", 422, lambda w: w.step("alice", "request_legal_review", reason="x" * 2001),
     {}),
    ("unknown field on a step", 422, lambda w: w.step("alice", "request_legal_review", urgent=True),
     {"errors": {"urgent": ["Unknown field."]}}),
    ("missing field on a step", 422, lambda w: w.step("bruno", "attach_text"),
     {"errors": {"document": ["Missing data for required field."]}}),
    ("bad sha256", 422, lambda w: w.step("bruno", "attach_text", document={"title": "v2", "sha256": "ABC"}),
     {"errors": {"document": {"sha256": ["must be 64 lowercase hexadecimal digits"]}}}),
    ("bad date", 422, lambda w: w.step("bruno", "correct", field="expires_on", value="31/12/2031"),
     {"rule": "invalid_value"}),
    ("a date without its dashes on create", 422, lambda w: w.create("alice", **agreement_fields(
        expires_on="20301231")), {"errors": {"expires_on": [DATE_MESSAGE]}}),
    ("a week date on create", 422, lambda w: w.create("alice", **agreement_fields(expires_on="2030-W52-1")),
     {"errors": {"expires_on": [DATE_MESSAGE]}}),
    ("a day that is not in the calendar", 422, lambda w: w.create("alice", **agreement_fields(
        expires_on="2031-02-29")), {"errors": {"expires_on": [DATE_MESSAGE]}}),
    ("an enlargement applied on a date without its dashes", 422, lambda w: w.client.post(
        f"{API}/enlargements", headers=w.auth("alice"), json={
            "state": {"name": "Estonia", "country": "EE"}, "target": "member", "applied_on": "20240101"}),
     {"errors": {"applied_on": [DATE_MESSAGE]}}),
    ("a list filtered by a date without its dashes", 422, lambda w: w.client.get(
        f"{AGREEMENTS}?expires_before=20301231", headers=w.auth("alice")),
     {"errors": {"expires_before": [DATE_MESSAGE]}}),
    ("the register on a week date", 422, lambda w: w.client.get(
        f"{API}/participation?on=2024-W01-1", headers=w.auth("alice")), {"errors": {"on": [DATE_MESSAGE]}}),
    ("unknown review outcome", 422, lambda w: w.step("bruno", "complete_legal_review", outcome="fine"), {}),
    ("a step of another stage", 422, lambda w: w.step(
        "alice", "record_round", held_on="2024-09-12", summary="Too early."), {"rule": "stage"}),
    ("a signature before signature", 422, lambda w: w.step(
        "bruno", "record_signature", party="CERN", signatory="DG", signed_on="2024-11-04"), {"rule": "stage"}),
    ("negotiation without a cleared text", 422, lambda w: w.step("alice", "open_negotiation"),
     {"rule": "needs_cleared_text"}),
    ("a review nobody requested", 422, lambda w: w.step("bruno", "complete_legal_review", outcome="cleared"),
     {"rule": "needs_pending_review"}),
    ("a correction that changes nothing", 422, lambda w: w.step(
        "carla", "correct", field="expires_on", value="2030-12-31"), {"rule": "changes_something"}),
]


@pytest.mark.parametrize(("status", "send", "members"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_refusal_is_a_problem_and_records_nothing(world, services, status, send, members):
    head = services.app.recorder.max_notification_id()
    body = assert_problem(send(world), status)
    for name, value in members.items():
        assert body.get(name) == value, body
    assert "Traceback" not in body["detail"]
    assert services.app.recorder.max_notification_id() == head


def test_a_401_names_the_bearer_scheme(world):
    response = world.get()
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_step_refused_by_a_rule_says_which_rule_in_the_detail(world):
    body = assert_problem(world.step("alice", "record_round", held_on="2024-09-12", summary="Early."), 422)
    assert "record_round" in body["detail"] and "drafting" in body["detail"]


def test_four_eyes_the_person_who_attached_a_text_cannot_clear_it(client, auth, services):
    created = create_agreement(client, auth("alice"))
    agreement_id = created.get_json()["id"]
    attached = take_step(client, auth("bruno"), agreement_id, "attach_text", 1, document=document("Legal's draft"))
    take_step(client, auth("alice"), agreement_id, "request_legal_review", version_of(attached))
    head = services.app.recorder.max_notification_id()
    refused = take_step(client, auth("bruno"), agreement_id, "complete_legal_review", 3, outcome="cleared")
    assert assert_problem(refused, 422)["rule"] == "four_eyes"
    assert services.app.recorder.max_notification_id() == head


@pytest.mark.parametrize("reader", ["farid", "alice"])
def test_the_history_of_an_aggregate_that_is_no_agreement_is_not_found(world, reader):
    """The user directory's events (users, roles, token ids) are not an agreement's history."""
    response = world.client.get(f"{AGREEMENTS}/{DIRECTORY_ID}/history", headers=world.auth(reader))
    assert_problem(response, 404)


# ---- a step request with several things wrong gets the answer about what concerns its caller first ------------
# (not found, then forbidden, then the If-Match, the body and the Idempotency-Key, then the version, the stage
# and the aggregate's own rules)

def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


ORDER: list[tuple[str, int, str, Callable[[World], Any]]] = [
    ("unknown id, no If-Match, bad body", 404, "not-found", lambda w: take_step(
        w.client, w.auth("alice"), str(uuid4()), "withdraw", None, urgent=True)),
    ("unknown step, no If-Match", 404, "not-found", lambda w: w.step("alice", "sign_in_blood", None)),
    ("a legal step by an ir officer, no If-Match, bad body", 403, "forbidden", lambda w: w.step(
        "alice", "complete_legal_review", None, outcome="fine")),
    ("a legal step by an ir officer, bad If-Match", 403, "forbidden", lambda w: w.step(
        "alice", "complete_legal_review", "soon", outcome="cleared")),
    ("no If-Match, bad body", 412, "if-match-required", lambda w: w.step("alice", "request_legal_review", None,
                                                                        urgent=True)),
    ("bad If-Match, bad body", 400, "bad-if-match", lambda w: w.step("alice", "request_legal_review", "soon",
                                                                    urgent=True)),
    ("stale If-Match, bad body", 422, "invalid-fields", lambda w: w.step("alice", "request_legal_review", 1,
                                                                        urgent=True)),
    ("stale If-Match, bad key", 400, "bad-idempotency-key", lambda w: w.client.post(
        f"{AGREEMENTS}/{w.id}/steps/request_legal_review", json={},
        headers=w.auth("alice", **{"If-Match": '"1"'}, **keyed(" ")))),
    ("stale If-Match, a step of another stage", 409, "version-conflict", lambda w: w.step(
        "alice", "record_round", 1, held_on="2024-09-12", summary="Too early.")),
    ("the right version and stage, refused by its aggregate", 422, "rule", lambda w: w.step(
        "bruno", "complete_legal_review", 2, outcome="cleared")),
]


@pytest.mark.parametrize(("status", "slug", "send"), [c[1:] for c in ORDER], ids=[c[0] for c in ORDER])
def test_a_step_request_is_answered_about_what_concerns_its_caller_first(world, services, status, slug, send):
    head = services.app.recorder.max_notification_id()
    body = assert_problem(send(world), status)
    assert body["type"] == f"urn:accord:problem:{slug}", body
    assert services.app.recorder.max_notification_id() == head
