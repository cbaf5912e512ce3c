"""Narratives: agreements walked through whole lifecycles over HTTP, and the history each one leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.api.helpers import (
    AGREEMENTS,
    CLEARED_DRAFT,
    TO_IMPLEMENTATION,
    create_agreement,
    document,
    history,
    take_step,
    version_of,
    walk,
)

COUNTERPARTY = "Republic of Chile"


class Narrative:
    """Takes steps one after the other with the previous ETag, and remembers what each write returned."""

    def __init__(self, client, auth, user: str = "alice", **fields: Any):
        created = create_agreement(client, auth(user), **fields)
        assert created.status_code == 201, created.get_json()
        self.client, self.auth, self.created = client, auth, created
        self.id = created.get_json()["id"]
        self.writes: list[dict[str, Any]] = [self._write(user, "created", created, fields)]
        self.state = created.get_json()
        self.version = version_of(created)

    @staticmethod
    def _write(user: str, step: str, response, sent: dict[str, Any]) -> dict[str, Any]:
        return {"user": user, "step": step, "position": int(response.headers["X-Position"]),
                "reason": sent.get("reason"), "reference": sent.get("reference")}

    def step(self, user: str, step: str, **fields: Any) -> dict[str, Any]:
        response = take_step(self.client, self.auth(user), self.id, step, self.version, **fields)
        assert response.status_code == 200, (step, response.get_json())
        assert version_of(response) == self.version + 1
        self.writes.append(self._write(user, step, response, fields))
        self.state, self.version = response.get_json(), version_of(response)
        assert self.state["version"] == self.version
        return self.state

    def check_history(self, roles: dict[str, str]) -> list[dict[str, Any]]:
        """The audit trail matches the writes one for one: type, actor, role, version, position, context."""
        entries = history(self.client, self.auth("eva"), self.id)
        assert [e["type"] for e in entries] == [w["step"] for w in self.writes]
        assert [e["actor"] for e in entries] == [w["user"] for w in self.writes]
        assert [e["role"] for e in entries] == [roles[w["user"]] for w in self.writes]
        assert [e["version"] for e in entries] == list(range(1, len(self.writes) + 1))
        positions = [e["position"] for e in entries]
        assert positions == sorted(set(positions)), "positions must strictly increase"
        assert positions == [w["position"] for w in self.writes]
        assert [(e["reason"], e["reference"]) for e in entries] == [(w["reason"], w["reference"])
                                                                   for w in self.writes]
        return entries


ROLES = {"alice": "ir_officer", "dmitri": "ir_officer", "bruno": "legal_officer", "carla": "legal_officer"}


def test_an_agreement_goes_from_first_draft_to_termination_and_its_history_records_every_step(client, auth):
    story = Narrative(client, auth, "alice", expires_on="2030-12-31",
                      reason="Chile asked to formalise its institutes' participation.", reference="IR-2024-001")
    assert story.created.headers["Location"].endswith(f"/agreements/{story.id}")
    assert story.created.headers["ETag"] == '"1"'
    assert (story.state["stage"], story.state["status"], story.state["legal_clearance"]) == (
        "drafting", "draft", "none")

    draft = document("Chile ICA draft v1")
    assert story.step("alice", "attach_text", document=draft)["current_text"]["sha256"] == draft["sha256"]
    assert story.step("alice", "request_legal_review", reason="Please check article 4.")[
        "legal_clearance"] == "requested"
    assert story.step("bruno", "complete_legal_review", outcome="cleared", comments="No objection.",
                      reference="LS-2024-17")["legal_clearance"] == "cleared"
    state = story.step("alice", "open_negotiation", reference="IR-2024-117")
    assert (state["stage"], state["status"]) == ("negotiation", "under_negotiation")
    state = story.step("alice", "record_round", held_on="2024-09-12", summary="First round in Santiago.")
    assert state["rounds_held"] == 1
    assert state["recent_rounds"] == [{"on": "2024-09-12", "summary": "First round in Santiago."}]
    state = story.step("alice", "finalise_text")
    assert (state["stage"], state["status"]) == ("signature", "awaiting_signature")
    assert state["finalised_text"]["sha256"] == draft["sha256"]
    assert state["unsigned_parties"] == ["CERN", COUNTERPARTY]
    state = story.step("alice", "record_signature", party="CERN", signatory="Director-General",
                       signed_on="2024-11-04", place="Geneva")
    assert state["unsigned_parties"] == [COUNTERPARTY]
    state = story.step("alice", "record_signature", party=COUNTERPARTY, signatory="Minister of Science",
                       signed_on="2024-11-20", place="Santiago")
    assert (state["status"], state["unsigned_parties"]) == ("signed", [])
    assert [s["party"] for s in state["signatures"]] == ["CERN", COUNTERPARTY]
    state = story.step("carla", "enter_into_force", effective_on="2024-12-01", reason="Both parties signed.")
    assert (state["stage"], state["status"], state["effective_on"]) == ("implementation", "in_force", "2024-12-01")
    state = story.step("alice", "record_milestone", on="2025-03-15", summary="Joint committee met.")
    assert state["milestones_recorded"] == 1
    assert state["recent_milestones"] == [{"on": "2025-03-15", "summary": "Joint committee met."}]
    assert story.step("carla", "renew", expires_on="2035-12-31")["expires_on"] == "2035-12-31"
    state = story.step("bruno", "suspend", effective_on="2026-01-10", reason="Sanctions regime.")
    assert (state["status"], state["suspended_on"]) == ("suspended", "2026-01-10")
    assert story.step("bruno", "resume", effective_on="2026-06-01")["status"] == "in_force"
    state = story.step("carla", "terminate", effective_on="2027-01-01", reason="Replaced by a new agreement.",
                       reference="CERN/DG/2026-88")
    assert (state["stage"], state["status"], state["closed_on"]) == ("closed", "terminated", "2027-01-01")

    entries = story.check_history(ROLES)
    assert [e["type"] for e in entries] == [
        "created", "attach_text", "request_legal_review", "complete_legal_review", "open_negotiation",
        "record_round", "finalise_text", "record_signature", "record_signature", "enter_into_force",
        "record_milestone", "renew", "suspend", "resume", "terminate",
    ]
    by_type = {e["type"]: e for e in entries}
    assert by_type["created"]["reason"] == "Chile asked to formalise its institutes' participation."
    assert by_type["created"]["reference"] == "IR-2024-001"
    assert by_type["attach_text"]["data"]["document"]["sha256"] == draft["sha256"]
    assert by_type["complete_legal_review"]["data"]["outcome"] == "cleared"
    assert by_type["terminate"]["data"]["effective_on"] == "2027-01-01"
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in entries]
    assert recorded == sorted(recorded)
    assert all(t.utcoffset() == timedelta(0) for t in recorded), "recorded times are UTC"

    current = client.get(f"{AGREEMENTS}/{story.id}", headers=auth("farid"))
    assert current.status_code == 200
    assert current.headers["ETag"] == f'"{len(entries)}"'
    assert current.get_json() == state


def test_an_agreement_withdrawn_in_negotiation_closes_and_records_who_withdrew_it(client, auth):
    story = Narrative(client, auth, "dmitri", title="MoU with the Institute for Advanced Detector Studies",
                      kind="memorandum_of_understanding",
                      counterparties=[{"name": "IADS", "kind": "institute", "country": "PT"}])
    story.step("alice", "attach_text", document=document("MoU v1"))
    story.step("alice", "request_legal_review")
    story.step("carla", "complete_legal_review", outcome="cleared")
    story.step("dmitri", "open_negotiation")
    state = story.step("dmitri", "withdraw", reason="The institute joined the consortium MoU instead.",
                       reference="IR-2025-009")
    assert (state["stage"], state["status"]) == ("closed", "withdrawn")

    entries = story.check_history(ROLES)
    assert entries[-1]["type"] == "withdraw"
    assert (entries[-1]["actor"], entries[-1]["role"]) == ("dmitri", "ir_officer")


def test_an_agreement_created_with_a_past_expiry_date_can_be_expired_once_in_force(client, auth):
    expired_on = (date.today() - timedelta(days=30)).isoformat()
    story = Narrative(client, auth, "alice", expires_on=expired_on, reason="Recorded after the fact.")
    assert story.state["expires_on"] == expired_on
    for user, step, fields in TO_IMPLEMENTATION:
        story.step(user, step, **fields)
    state = story.step("carla", "expire", reason="The expiry date has passed.")
    assert (state["stage"], state["status"], state["closed_on"]) == ("closed", "expired", expired_on)

    entries = story.check_history(ROLES)
    assert [e["type"] for e in entries][-2:] == ["enter_into_force", "expire"]
    assert entries[-1]["data"] == {"expired_on": expired_on}


def test_history_lists_each_aggregate_s_own_events_only(client, auth):
    first = walk(client, auth, create_agreement(client, auth("alice")), CLEARED_DRAFT)
    second = create_agreement(client, auth("dmitri"), title="Protocol on CMS participation", kind="protocol")
    first_entries = history(client, auth("bruno"), first.get_json()["id"])
    second_entries = history(client, auth("bruno"), second.get_json()["id"])
    assert [e["version"] for e in first_entries] == [1, 2, 3, 4]
    assert [(e["type"], e["actor"]) for e in second_entries] == [("created", "dmitri")]
    assert second_entries[0]["position"] > first_entries[-1]["position"]
    assert datetime.fromisoformat(second_entries[0]["recorded_at"]) <= datetime.now(UTC)
