"""GET /api/v1/{agreements,enlargements}/{id}/diff?from=V1&to=V2: the fields that changed between two versions,
field by field, and exactly the events in between (versions in (V1, V2]); on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.audit.helpers import AGREEMENTS, ENLARGEMENTS, agreements
from tests.drafts import draft

IGNORED = {"version", "updated_at"}


def document(title: str) -> dict[str, str]:
    return draft(title)


def by_field(changes: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    fields = [c["field"] for c in changes]
    assert len(set(fields)) == len(fields), fields
    return {c["field"]: (c["from"], c["to"]) for c in changes}


def expected_changes(client, headers: dict[str, str], url: str, low: int, high: int) -> dict[str, tuple[Any, Any]]:
    """The changes as read from the resource itself at both versions (GET ...?version=), by field."""
    before = client.get(f"{url}?version={low}", headers=headers).get_json()
    after = client.get(f"{url}?version={high}", headers=headers).get_json()
    return {k: (before[k], after[k]) for k in after if k not in IGNORED and before[k] != after[k]}


def history(client, headers: dict[str, str], url: str) -> list[dict[str, Any]]:
    response = client.get(f"{url}/history", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def chile(services, seeded, raw) -> tuple[str, int]:
    """The demo's Chile agreement (drafting to implementation, with a round, signatures and a milestone)."""
    agreement = agreements(raw.rows(), at_least=10)[0]
    return f"{AGREEMENTS}/{agreement[0].aggregate_id}", len(agreement)


@pytest.fixture
def enlargement(client, auth, tokens) -> tuple[str, int]:
    """An enlargement process taken over HTTP from its application to an approved agreement."""
    created = client.post(ENLARGEMENTS, headers=auth("alice"), json={
        "state": {"name": "Republic of Estonia", "country": "EE"}, "target": "associate_member",
        "applied_on": "2024-01-15"})
    assert created.status_code == 201, created.get_json()
    url = f"{ENLARGEMENTS}/{created.get_json()['id']}"
    steps = [("alice", "authorise_negotiation", {"decided_on": "2024-03-01"}),
             ("alice", "attach_text", {"document": document("Association agreement with Estonia")}),
             ("alice", "request_legal_review", {}),
             ("bruno", "complete_legal_review", {"outcome": "cleared"}),
             ("dmitri", "approve_agreement", {"decided_on": "2024-06-20"})]
    version = 1
    for user, step, fields in steps:
        response = client.post(f"{url}/steps/{step}", json=fields, headers={**auth(user), "If-Match": f'"{version}"'})
        assert response.status_code == 200, (step, response.get_json())
        version = int(response.headers["ETag"].strip('"'))
    return url, version


def test_an_agreement_diff_lists_the_changed_fields_and_the_events_in_between(client, auth, chile):
    url, last = chile
    response = client.get(f"{url}/diff?from=1&to={last}", headers=auth("eva"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["from"], body["to"]) == (1, last)
    changes = by_field(body["changes"])
    assert changes["stage"] == ("drafting", "implementation")
    assert changes["status"] == ("draft", "in_force")
    assert changes["current_text"][0] is None
    assert changes["current_text"][1]["title"] == "Chile ICA draft v1"
    assert changes["legal_clearance"] == ("none", "cleared")
    assert changes["effective_on"] == (None, "2024-12-01")
    assert [s["party"] for s in changes["signatures"][1]] == ["CERN", "Republic of Chile"]
    assert not {"version", "updated_at", "title", "kind", "counterparties", "created_at"} & set(changes)
    assert by_field(body["changes"]) == expected_changes(client, auth("eva"), url, 1, last)
    assert [e["version"] for e in body["events"]] == list(range(2, last + 1))
    assert body["events"] == history(client, auth("eva"), url)[1:last]


@pytest.mark.parametrize(("low", "high"), [(3, 5), (1, 2), (4, 4), (10, 11)])
def test_a_diff_holds_exactly_the_events_after_from_up_to_to(client, auth, chile, low, high):
    url, _ = chile
    body = client.get(f"{url}/diff?from={low}&to={high}", headers=auth("alice")).get_json()
    assert [e["version"] for e in body["events"]] == list(range(low + 1, high + 1))
    assert body["events"] == [e for e in history(client, auth("alice"), url) if low < e["version"] <= high]
    assert by_field(body["changes"]) == expected_changes(client, auth("alice"), url, low, high)
    if low == high:
        assert body["changes"] == [] and body["events"] == []


def test_a_diff_from_a_later_version_to_an_earlier_one_is_refused(client, auth, chile):
    url, last = chile
    response = client.get(f"{url}/diff?from={last}&to=1", headers=auth("eva"))
    assert response.status_code == 400, response.get_json()
    assert "from" in response.get_json()["detail"]


@pytest.mark.parametrize("versions", ["from=1&to=99", "from=50&to=99"])
def test_a_diff_to_a_version_the_agreement_never_had_is_not_found(client, auth, chile, versions):
    url, _ = chile
    assert client.get(f"{url}/diff?{versions}", headers=auth("eva")).status_code == 404


def test_a_diff_of_an_unknown_agreement_is_not_found(client, auth, chile):
    unknown = f"{AGREEMENTS}/00000000-0000-4000-8000-000000000000"
    assert client.get(f"{unknown}/diff?from=1&to=2", headers=auth("eva")).status_code == 404


@pytest.mark.parametrize("query", ["from=1", "to=2", "from=0&to=2", "from=x&to=2"])
def test_a_diff_needs_two_versions(client, auth, chile, query):
    url, _ = chile
    assert client.get(f"{url}/diff?{query}", headers=auth("eva")).status_code in (400, 422)


def test_an_enlargement_diff_lists_the_changed_fields_and_the_events_in_between(client, auth, enlargement):
    url, last = enlargement
    body = client.get(f"{url}/diff?from=1&to={last}", headers=auth("farid")).get_json()
    changes = by_field(body["changes"])
    assert changes["negotiation_authorised_on"] == (None, "2024-03-01")
    assert changes["approved_on"] == (None, "2024-06-20")
    assert changes["legal_clearance"] == ("none", "cleared")
    assert changes["current_text"][1]["title"] == "Association agreement with Estonia"
    assert "stage" in changes and changes["stage"][0] != changes["stage"][1]
    assert not {"state", "target", "applied_on", "version", "updated_at"} & set(changes)
    assert by_field(body["changes"]) == expected_changes(client, auth("farid"), url, 1, last)
    assert [e["type"] for e in body["events"]] == [
        "authorise_negotiation", "attach_text", "request_legal_review", "complete_legal_review", "approve_agreement"]
    assert body["events"] == history(client, auth("farid"), url)[1:]

    middle = client.get(f"{url}/diff?from=2&to=4", headers=auth("farid")).get_json()
    assert [e["version"] for e in middle["events"]] == [3, 4]
    assert client.get(f"{url}/diff?from=4&to=2", headers=auth("farid")).status_code == 400
    assert client.get(f"{url}/diff?from=1&to={last + 1}", headers=auth("farid")).status_code == 404


def test_an_agreement_is_not_diffed_as_an_enlargement(client, auth, chile):
    url, _ = chile
    assert client.get(f"{url.replace(AGREEMENTS, ENLARGEMENTS)}/diff?from=1&to=2",
                      headers=auth("eva")).status_code == 404
