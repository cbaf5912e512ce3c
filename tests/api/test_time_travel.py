"""Reading an agreement as it was: at an earlier version, or as recorded at an earlier moment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.api.helpers import (
    AGREEMENTS,
    CLEARED_DRAFT,
    assert_problem,
    create_agreement,
    history,
    take_step,
    version_of,
)


@pytest.fixture
def negotiated(client, auth) -> tuple[str, list[dict]]:
    """An agreement taken to negotiation, a few milliseconds between steps; its id and history."""
    response = create_agreement(client, auth("alice"), title="Original title")
    agreement_id = response.get_json()["id"]
    for user, step, fields in [*CLEARED_DRAFT, ("alice", "open_negotiation", {})]:
        time.sleep(0.005)
        response = take_step(client, auth(user), agreement_id, step, version_of(response), **fields)
        assert response.status_code == 200, response.get_json()
    entries = history(client, auth("alice"), agreement_id)
    assert [e["version"] for e in entries] == [1, 2, 3, 4, 5]
    return agreement_id, entries


def read(client, auth, agreement_id: str, **query):
    return client.get(f"{AGREEMENTS}/{agreement_id}", headers=auth("farid"), query_string=query)


def between(earlier: str, later: str) -> datetime:
    first, second = datetime.fromisoformat(earlier), datetime.fromisoformat(later)
    assert first < second, "steps must be recorded at distinct times"
    return first + (second - first) / 2


def test_a_past_version_shows_the_state_at_that_version(client, auth, negotiated):
    agreement_id, _ = negotiated
    response = read(client, auth, agreement_id, version=2)
    assert response.status_code == 200
    state = response.get_json()
    assert (state["version"], response.headers["ETag"]) == (2, '"2"')
    assert (state["stage"], state["status"], state["legal_clearance"]) == ("drafting", "draft", "none")
    assert state["current_text"]["title"] == "Draft v1"

    first = read(client, auth, agreement_id, version=1).get_json()
    assert (first["version"], first["current_text"]) == (1, None)
    now = read(client, auth, agreement_id).get_json()
    assert (now["version"], now["stage"], now["status"]) == (5, "negotiation", "under_negotiation")


def test_as_of_a_moment_between_two_steps_shows_the_state_recorded_then(client, auth, negotiated):
    agreement_id, entries = negotiated
    moment = between(entries[2]["recorded_at"], entries[3]["recorded_at"])
    response = read(client, auth, agreement_id, as_of=moment.isoformat())
    assert response.status_code == 200, response.get_json()
    state = response.get_json()
    assert (state["version"], state["legal_clearance"], state["stage"]) == (3, "requested", "drafting")
    assert response.headers["ETag"] == '"3"'

    before_negotiation = between(entries[3]["recorded_at"], entries[4]["recorded_at"])
    state = read(client, auth, agreement_id, as_of=before_negotiation.isoformat()).get_json()
    assert (state["version"], state["legal_clearance"], state["stage"]) == (4, "cleared", "drafting")


def test_as_of_the_exact_recorded_time_of_a_step_includes_that_step(client, auth, negotiated):
    agreement_id, entries = negotiated
    state = read(client, auth, agreement_id, as_of=entries[4]["recorded_at"]).get_json()
    assert (state["version"], state["stage"]) == (5, "negotiation")


def test_as_of_accepts_other_offsets_and_takes_naive_times_as_utc(client, auth, negotiated):
    agreement_id, entries = negotiated
    moment = between(entries[1]["recorded_at"], entries[2]["recorded_at"])
    in_geneva = moment.astimezone(timezone(timedelta(hours=2)))
    assert read(client, auth, agreement_id, as_of=in_geneva.isoformat()).get_json()["version"] == 2
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    assert read(client, auth, agreement_id, as_of=naive.isoformat()).get_json()["version"] == 2


def test_as_of_after_the_last_step_is_the_current_state(client, auth, negotiated):
    agreement_id, entries = negotiated
    later = datetime.fromisoformat(entries[-1]["recorded_at"]) + timedelta(days=1)
    assert read(client, auth, agreement_id, as_of=later.isoformat()).get_json()["version"] == 5


def test_as_of_before_the_agreement_was_created_is_not_found(client, auth, negotiated):
    agreement_id, entries = negotiated
    before = datetime.fromisoformat(entries[0]["recorded_at"]) - timedelta(milliseconds=1)
    body = assert_problem(read(client, auth, agreement_id, as_of=before.isoformat()), 404)
    assert "did not exist yet" in body["detail"]


def test_a_version_beyond_the_current_one_is_not_found(client, auth, negotiated):
    agreement_id, _ = negotiated
    body = assert_problem(read(client, auth, agreement_id, version=6), 404)
    assert "no version 6" in body["detail"]


def test_version_and_as_of_together_are_a_bad_request(client, auth, negotiated):
    agreement_id, entries = negotiated
    assert_problem(read(client, auth, agreement_id, version=2, as_of=entries[1]["recorded_at"]), 400)


@pytest.mark.parametrize("query", [{"version": 0}, {"version": "two"}, {"as_of": "yesterday"}])
def test_a_malformed_version_or_time_is_refused(client, auth, negotiated, query):
    agreement_id, _ = negotiated
    assert_problem(read(client, auth, agreement_id, **query), 422)


def test_a_version_too_large_for_the_store_is_refused_not_a_server_error(client, auth, negotiated):
    agreement_id, _ = negotiated
    response = read(client, auth, agreement_id, version=2**63)
    assert response.status_code in (404, 422), response.get_json()
    assert_problem(response, response.status_code)
