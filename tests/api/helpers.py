"""Small helpers for the API tests: create an agreement and take a step over HTTP, returning the response."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.drafts import draft

API = "/api/v1"
AGREEMENTS = f"{API}/agreements"
PROBLEM = "application/problem+json"


def sha256_of(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def document(title: str = "Draft v1") -> dict[str, str]:
    """A text to attach: its title and the sha256 that binds the audit trail to it."""
    return draft(title)


def agreement_fields(**overrides: Any) -> dict[str, Any]:
    """The fields of a valid new agreement with one counterparty, Chile."""
    fields: dict[str, Any] = {
        "title": "International Co-operation Agreement between CERN and the Republic of Chile",
        "kind": "international_cooperation_agreement",
        "counterparties": [{"name": "Republic of Chile", "kind": "state", "country": "CL"}],
    }
    fields.update(overrides)
    return fields


def if_match_header(version: int | str | None) -> dict[str, str]:
    """An int becomes ``"<version>"``; a str is sent as it is; None sends no If-Match at all."""
    if version is None:
        return {}
    return {"If-Match": f'"{version}"' if isinstance(version, int) else version}


def create_agreement(client, headers: dict[str, str], key: str | None = None, **overrides: Any):
    """POST /agreements with valid fields (``overrides`` replace some); returns the response."""
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(AGREEMENTS, json=agreement_fields(**overrides), headers={**headers, **extra})


def take_step(client, headers: dict[str, str], agreement_id: str, step: str, version: int | str | None,
              key: str | None = None, **fields: Any):
    """POST .../steps/<step> with ``If-Match`` for ``version`` and ``fields`` as the body; returns the response."""
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"{AGREEMENTS}/{agreement_id}/steps/{step}", json=fields,
                       headers={**headers, **if_match_header(version), **extra})


def version_of(response) -> int:
    """The version named by a response's ETag (``"3"`` -> 3)."""
    return int(response.headers["ETag"].strip('"'))


def history(client, headers: dict[str, str], agreement_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{AGREEMENTS}/{agreement_id}/history", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def walk(client, auth, response, steps: list[tuple[str, str, dict[str, Any]]]):
    """Take ``(user, step, fields)`` steps in order from ``response``'s state; return the last response.

    Each step sends the ETag of the previous response as If-Match, and must succeed.
    """
    agreement_id = response.get_json()["id"]
    for user, step, fields in steps:
        response = take_step(client, auth(user), agreement_id, step, version_of(response), **fields)
        assert response.status_code == 200, (step, response.get_json())
    return response


def assert_problem(response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with that status; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


CLEARED_DRAFT = [
    ("alice", "attach_text", {"document": document("Draft v1")}),
    ("alice", "request_legal_review", {}),
    ("bruno", "complete_legal_review", {"outcome": "cleared"}),
]
"""From drafting to a text cleared by bruno (attached and requested by alice)."""

TO_SIGNATURE = [*CLEARED_DRAFT, ("alice", "open_negotiation", {}), ("dmitri", "finalise_text", {})]
"""From drafting to signature, with a cleared and finalised text."""

TO_IMPLEMENTATION = [
    *TO_SIGNATURE,
    ("alice", "record_signature", {"party": "CERN", "signatory": "Director-General", "signed_on": "2024-11-04"}),
    ("bruno", "record_signature", {"party": "Republic of Chile", "signatory": "Minister of Science",
                                   "signed_on": "2024-11-20"}),
    ("carla", "enter_into_force", {"effective_on": "2024-12-01"}),
]
"""From drafting to an agreement in force since 2024-12-01."""


def stored_events(services, topic_prefix: str = "accord.agreement") -> list:
    """Every event in the global log whose topic starts with ``topic_prefix``, read from the store."""
    notifications = services.app.recorder.select_notifications(start=1, limit=10000)
    return [n for n in notifications if n.topic.startswith(topic_prefix)]
