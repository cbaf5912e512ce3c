"""Tamper evidence survives schema evolution (issue 7, point 6): after an event class moves to a later
``class_version`` with an upcast, old events load upcast and still verify against the hashes computed when they
were recorded; new events of the later version verify too. On SQLite and PostgreSQL.

The later version is simulated by patching the event class for one test (monkeypatch restores it):
``CooperationAgreement.RoundRecorded`` gets ``class_version = 2`` and ``upcast_v1_v2``, adding a ``venue``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.agreement import CooperationAgreement
from domain.values import Actor, Role, StepContext
from storage.audit import prove, verify
from tests.audit.helpers import AGREEMENTS, RawStore, Row

ROUND = "accord.agreement:RoundRecorded"


def upcast_v1_v2(state: dict[str, Any]) -> None:
    state["venue"] = None


@pytest.fixture
def evolve(monkeypatch: pytest.MonkeyPatch):
    """Call to move RoundRecorded to class version 2 (until the end of the test)."""

    def later_version() -> type:
        cls = CooperationAgreement.RoundRecorded
        monkeypatch.setattr(cls, "class_version", 2, raising=False)
        monkeypatch.setattr(cls, "upcast_v1_v2", staticmethod(upcast_v1_v2), raising=False)
        return cls

    return later_version


def rounds(raw: RawStore) -> list[Row]:
    found = [r for r in raw.rows() if r.topic == ROUND]
    assert found, "the demo records negotiation rounds"
    return found


def loaded(services, row: Row) -> Any:
    """The event at ``row`` as the application loads it (through the mapper, with upcasting)."""
    [event] = [e for e in services.app.events.get(row.aggregate_id) if e.originator_version == row.version]
    return event


def test_an_upcast_event_still_verifies_against_the_hash_recorded_with_it(services, seeded, raw, evolve, client,
                                                                         auth):
    stored = raw.rows()
    old = rounds(raw)[0]
    saved = verify(services.app.recorder)
    assert saved.ok
    assert "venue" not in vars(loaded(services, old)) and "class_version" not in old.json

    evolve()

    event = loaded(services, old)
    assert vars(event)["venue"] is None, "loading applies the upcast"
    assert event.hash == old.json["hash"] and event.prev_hash == old.json["prev_hash"]
    assert raw.rows() == stored, "nothing stored was rewritten"
    result = verify(services.app.recorder)
    assert result.ok, result.problems
    assert result.head_hash == saved.head_hash
    assert prove(services.app.recorder, saved.head_position, saved.head_hash).ok
    agreement = services.agreements.get(old.aggregate_id)
    assert agreement.rounds_held and agreement.version >= old.version

    history = client.get(f"{AGREEMENTS}/{old.aggregate_id}/history", headers=auth("eva")).get_json()
    [entry] = [e for e in history if e["version"] == old.version]
    assert entry["hash"] == old.json["hash"] and entry["data"]["venue"] is None
    [line] = [json.loads(t) for t in services.audit.export_lines()
              if json.loads(t)["position"] == old.position]
    assert line["stored"] == old.state.decode() and line["hash"] == old.json["hash"]
    assert line["data"]["venue"] is None


def test_an_event_recorded_at_the_later_version_verifies(services, seeded, raw, evolve):
    negotiating = rounds(raw)[-1].aggregate_id
    agreement = services.agreements.get(negotiating)
    evolve()

    outcome = services.agreements.take_step(
        negotiating, "record_round", {"held_on": "2025-07-01", "summary": "Second round in Ulaanbaatar."},
        Actor("dmitri", Role.IR_OFFICER), agreement.version, StepContext(reason="after the review"))

    [new] = [r for r in raw.rows() if r.position == outcome.position]
    assert new.topic == ROUND and new.json["class_version"] == 2
    result = verify(services.app.recorder)
    assert result.ok, result.problems
    assert result.head_position == new.position
    assert services.agreements.get(negotiating).recent_rounds[-1].summary == "Second round in Ulaanbaatar."


def test_the_class_is_restored_after_the_evolution(services, seeded, raw):
    assert getattr(CooperationAgreement.RoundRecorded, "class_version", 1) == 1
    assert not hasattr(CooperationAgreement.RoundRecorded, "upcast_v1_v2")
    assert "venue" not in vars(loaded(services, rounds(raw)[0]))


def test_a_class_version_slipped_into_a_stored_event_is_detected(services, seeded, raw, evolve):
    old = rounds(raw)[0]
    evolve()
    assert vars(loaded(services, old))["venue"] is None

    state = old.json
    state["class_version"] = 2  # "already upcast": the upcast is skipped on loading
    raw.set_state(old.position, json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode())

    assert "venue" not in vars(loaded(services, old)), "the loaded event changed"
    result = verify(services.app.recorder)
    assert not result.ok
    assert (result.problems[0].position, result.problems[0].version) == (old.position, old.version)
