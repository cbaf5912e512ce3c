"""Optimistic concurrency (If-Match) and idempotent retries (Idempotency-Key) on agreement writes."""

from __future__ import annotations

import threading
from uuid import UUID

import pytest

from domain.values import Actor, Role, StepContext
from tests.api.helpers import (
    CLEARED_DRAFT,
    assert_problem,
    create_agreement,
    history,
    stored_events,
    take_step,
    version_of,
    walk,
)

ROUND = {"held_on": "2024-09-12", "summary": "First round in Santiago."}


@pytest.fixture
def drafted(client, auth):
    """A new agreement with a text attached: the response of the last write (version 2)."""
    response = walk(client, auth, create_agreement(client, auth("alice")), CLEARED_DRAFT[:1])
    assert version_of(response) == 2
    return response


@pytest.fixture
def negotiating(client, auth):
    """An agreement in negotiation: the response of the last write (version 5)."""
    response = walk(client, auth, create_agreement(client, auth("alice")),
                    [*CLEARED_DRAFT, ("alice", "open_negotiation", {})])
    assert version_of(response) == 5
    return response


def same_response(first, second) -> None:
    assert second.status_code == first.status_code
    assert second.get_json() == first.get_json()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["X-Position"] == first.headers["X-Position"]


# ---- If-Match --------------------------------------------------------------------------------------

def test_a_stale_if_match_is_a_conflict_and_records_nothing(client, auth, services, drafted):
    agreement_id = drafted.get_json()["id"]
    before = history(client, auth("eva"), agreement_id)
    head = services.app.recorder.max_notification_id()

    body = assert_problem(take_step(client, auth("alice"), agreement_id, "request_legal_review", 1), 409)
    assert body["current_version"] == 2

    assert history(client, auth("eva"), agreement_id) == before
    assert services.app.recorder.max_notification_id() == head


def test_the_second_of_two_writers_from_the_same_version_gets_a_conflict(client, auth, negotiating):
    agreement_id = negotiating.get_json()["id"]
    first = take_step(client, auth("alice"), agreement_id, "record_round", 5, **ROUND)
    assert first.status_code == 200
    second = take_step(client, auth("dmitri"), agreement_id, "withdraw", 5)
    assert assert_problem(second, 409)["current_version"] == 6
    assert [e["type"] for e in history(client, auth("eva"), agreement_id)][-1] == "record_round"


def test_concurrent_writers_from_the_same_version_exactly_one_wins(app, auth, negotiating):
    agreement_id = negotiating.get_json()["id"]
    statuses: list[int] = []
    start = threading.Barrier(6)

    def writer(n: int) -> None:
        with app.test_client() as own_client:
            start.wait()
            response = take_step(own_client, auth("alice" if n % 2 else "dmitri"), agreement_id, "record_round", 5,
                                 held_on="2024-09-12", summary=f"Round reported by writer {n}.")
            statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [200] + [409] * 5
    with app.test_client() as reader:
        entries = history(reader, auth("eva"), agreement_id)
    assert [e["version"] for e in entries] == [1, 2, 3, 4, 5, 6]


def test_a_step_without_if_match_is_refused_with_412(client, auth, services, drafted):
    agreement_id = drafted.get_json()["id"]
    head = services.app.recorder.max_notification_id()
    body = assert_problem(take_step(client, auth("alice"), agreement_id, "request_legal_review", None), 412)
    assert "If-Match" in body["detail"]
    assert services.app.recorder.max_notification_id() == head


@pytest.mark.parametrize("header", ['"two"', "*", '""', '"-1"', '"2", "3"'])
def test_a_malformed_if_match_is_a_bad_request(client, auth, services, drafted, header):
    agreement_id = drafted.get_json()["id"]
    head = services.app.recorder.max_notification_id()
    response = take_step(client, auth("alice"), agreement_id, "request_legal_review", header)
    assert_problem(response, 400)
    assert services.app.recorder.max_notification_id() == head


@pytest.mark.parametrize("header", ["2", 'W/"2"', '""2""', '"2" ', '"02"', '"2", "3"', "*", '"2'])
def test_if_match_names_a_version_only_as_a_strong_tag(client, auth, services, drafted, header):
    """If-Match is compared strongly (RFC 9110): only "2" names version 2; a bare number, a weak tag, doubled
    quotes or a list are refused as malformed, and nothing is recorded."""
    head = services.app.recorder.max_notification_id()
    response = take_step(client, auth("alice"), drafted.get_json()["id"], "request_legal_review", header)
    assert_problem(response, 400)
    assert response.get_json()["type"] == "urn:accord:problem:bad-if-match"
    assert services.app.recorder.max_notification_id() == head
    accepted = take_step(client, auth("alice"), drafted.get_json()["id"], "request_legal_review", '"2"')
    assert accepted.status_code == 200 and version_of(accepted) == 3


# ---- Idempotency-Key on steps --------------------------------------------------------------------

def test_a_step_repeated_with_its_idempotency_key_returns_the_first_response_and_records_once(
        client, auth, services, negotiating):
    agreement_id = negotiating.get_json()["id"]
    first = take_step(client, auth("alice"), agreement_id, "record_round", 5, key="round-1", **ROUND)
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    head = services.app.recorder.max_notification_id()

    again = take_step(client, auth("alice"), agreement_id, "record_round", 5, key="round-1", **ROUND)
    same_response(first, again)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert services.app.recorder.max_notification_id() == head
    assert [e["type"] for e in history(client, auth("eva"), agreement_id)].count("record_round") == 1


def test_a_retry_after_later_steps_still_returns_the_first_result(client, auth, negotiating):
    agreement_id = negotiating.get_json()["id"]
    first = take_step(client, auth("alice"), agreement_id, "record_round", 5, key="round-1", **ROUND)
    later = take_step(client, auth("dmitri"), agreement_id, "finalise_text", 6)
    assert later.status_code == 200

    again = take_step(client, auth("alice"), agreement_id, "record_round", 5, key="round-1", **ROUND)
    same_response(first, again)
    assert again.get_json()["stage"] == "negotiation"
    assert len(history(client, auth("eva"), agreement_id)) == 7


def test_the_same_idempotency_key_with_a_different_body_is_refused(client, auth, services, negotiating):
    agreement_id = negotiating.get_json()["id"]
    assert take_step(client, auth("alice"), agreement_id, "record_round", 5, key="k", **ROUND).status_code == 200
    head = services.app.recorder.max_notification_id()

    changed = take_step(client, auth("alice"), agreement_id, "record_round", 6, key="k",
                        held_on="2024-09-13", summary=ROUND["summary"])
    assert assert_problem(changed, 422)["rule"] == "idempotency_key"
    other_step = take_step(client, auth("alice"), agreement_id, "withdraw", 6, key="k")
    assert assert_problem(other_step, 422)["rule"] == "idempotency_key"
    assert services.app.recorder.max_notification_id() == head


@pytest.mark.parametrize("write", ["create", "step"])
def test_the_same_idempotency_key_with_a_different_reason_is_refused(client, auth, services, negotiating, write):
    """API.md: the same key with a different body gets 422; ``reason`` is part of the body."""
    agreement_id = negotiating.get_json()["id"]

    def send(reason: str):
        if write == "create":
            return create_agreement(client, auth("alice"), key="k", reason=reason)
        return take_step(client, auth("alice"), agreement_id, "record_round", 5, key="k", reason=reason, **ROUND)

    assert send("As planned.").status_code in (200, 201)
    head = services.app.recorder.max_notification_id()
    assert_problem(send("Something else entirely."), 422)
    assert services.app.recorder.max_notification_id() == head


def test_a_lost_response_is_recovered_by_retrying_with_the_same_key_and_the_old_if_match(
        client, auth, services, drafted):
    """The write committed but its response never reached the caller, who retries from the old version."""
    agreement_id = drafted.get_json()["id"]
    requested = take_step(client, auth("alice"), agreement_id, "request_legal_review", 2)
    body = {"outcome": "cleared", "comments": "No objection."}
    committed = services.agreements.take_step(
        UUID(agreement_id), "complete_legal_review", dict(body), actor=Actor("bruno", Role.LEGAL_OFFICER),
        expected_version=version_of(requested),
        context=StepContext(reason="Reviewed.", idempotency_key="review-42"),
    )
    assert committed.aggregate.version == 4
    head = services.app.recorder.max_notification_id()

    retry = take_step(client, auth("bruno"), agreement_id, "complete_legal_review", 3, key="review-42",
                      reason="Reviewed.", **body)
    assert retry.status_code == 200, retry.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["ETag"] == '"4"'
    assert retry.headers["X-Position"] == str(committed.position)
    assert (retry.get_json()["version"], retry.get_json()["legal_clearance"]) == (4, "cleared")
    assert services.app.recorder.max_notification_id() == head
    entries = history(client, auth("eva"), agreement_id)
    assert [e["type"] for e in entries].count("complete_legal_review") == 1
    assert entries[-1]["position"] == committed.position


def test_a_lost_response_is_recovered_when_the_request_omits_an_optional_field(client, auth, services, drafted):
    agreement_id = drafted.get_json()["id"]
    take_step(client, auth("alice"), agreement_id, "request_legal_review", 2)
    services.agreements.take_step(
        UUID(agreement_id), "complete_legal_review", {"outcome": "cleared"},
        actor=Actor("bruno", Role.LEGAL_OFFICER), expected_version=3,
        context=StepContext(idempotency_key="review-43"),
    )
    retry = take_step(client, auth("bruno"), agreement_id, "complete_legal_review", 3, key="review-43",
                      outcome="cleared")
    assert retry.status_code == 200, retry.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_concurrent_retries_of_one_keyed_request_record_it_once_and_all_get_its_result(app, auth, services,
                                                                                       negotiating):
    """Whichever retry loses the race (before or after the store's conflict) replays the winner's result."""
    agreement_id = negotiating.get_json()["id"]
    responses: list = []
    start = threading.Barrier(6)

    def retry() -> None:
        with app.test_client() as own_client:
            start.wait()
            responses.append(take_step(own_client, auth("alice"), agreement_id, "record_round", 5, key="round-1",
                                       **ROUND))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [r.status_code for r in responses] == [200] * 6, [r.get_json() for r in responses]
    assert len({r.headers["X-Position"] for r in responses}) == 1
    assert len({r.headers["ETag"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" in r.headers for r in responses) == 5
    with app.test_client() as reader:
        assert [e["type"] for e in history(reader, auth("eva"), agreement_id)].count("record_round") == 1


def test_without_a_key_the_retry_of_a_committed_write_is_a_conflict(client, auth, services, drafted):
    agreement_id = drafted.get_json()["id"]
    assert take_step(client, auth("alice"), agreement_id, "request_legal_review", 2).status_code == 200
    retry = take_step(client, auth("alice"), agreement_id, "request_legal_review", 2)
    assert assert_problem(retry, 409)["current_version"] == 3


# ---- Idempotency-Key on create -------------------------------------------------------------------

def test_a_create_repeated_with_its_idempotency_key_creates_one_agreement(client, auth, services):
    first = create_agreement(client, auth("alice"), key="create-chile", reason="Kick-off.")
    again = create_agreement(client, auth("alice"), key="create-chile", reason="Kick-off.")
    assert (first.status_code, again.status_code) == (201, 201)
    same_response(first, again)
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(stored_events(services, "accord.agreement:Created")) == 1
    assert len(history(client, auth("eva"), first.get_json()["id"])) == 1


def test_a_create_repeated_after_later_steps_returns_the_agreement_as_first_created(client, auth, services):
    first = create_agreement(client, auth("alice"), key="create-chile")
    walk(client, auth, first, CLEARED_DRAFT[:1])
    again = create_agreement(client, auth("alice"), key="create-chile")
    same_response(first, again)
    assert again.get_json()["current_text"] is None


def test_the_same_create_key_with_a_different_body_is_refused(client, auth, services):
    assert create_agreement(client, auth("alice"), key="create-chile").status_code == 201
    head = services.app.recorder.max_notification_id()
    changed = create_agreement(client, auth("alice"), key="create-chile", title="Another agreement")
    assert assert_problem(changed, 422)["rule"] == "idempotency_key"
    assert services.app.recorder.max_notification_id() == head
    assert len(stored_events(services, "accord.agreement:Created")) == 1


def test_the_same_create_key_from_another_person_creates_their_own_agreement(client, auth, services):
    mine = create_agreement(client, auth("alice"), key="create-chile")
    theirs = create_agreement(client, auth("dmitri"), key="create-chile")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers


@pytest.mark.parametrize("write", ["create", "step"])
def test_an_idempotency_key_longer_than_200_characters_is_a_bad_request(client, auth, services, drafted, write):
    head = services.app.recorder.max_notification_id()
    too_long = "k" * 201
    if write == "create":
        response = create_agreement(client, auth("alice"), key=too_long)
    else:
        response = take_step(client, auth("alice"), drafted.get_json()["id"], "request_legal_review", 2,
                             key=too_long)
    assert "Idempotency-Key" in assert_problem(response, 400)["detail"]
    assert services.app.recorder.max_notification_id() == head


def test_an_idempotency_key_of_exactly_200_characters_is_accepted(client, auth):
    assert create_agreement(client, auth("alice"), key="k" * 200).status_code == 201


def test_a_blank_idempotency_key_is_a_bad_request(client, auth, services):
    head = services.app.recorder.max_notification_id()
    assert_problem(create_agreement(client, auth("alice"), key="   "), 400)
    assert services.app.recorder.max_notification_id() == head
