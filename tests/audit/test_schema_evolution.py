"""Tamper evidence survives schema evolution: after an event class moves to a later ``class_version`` with an
upcast, old events load upcast and still verify against the hashes computed when they were recorded; new events
of the later version verify too. On SQLite and PostgreSQL.

A later version simulated for one test (monkeypatch restores it): ``CooperationAgreement.RoundRecorded`` gets
``class_version = 2`` and ``upcast_v1_v2``, adding a ``venue``. A real one: an enlargement process's
``ParticipationEnded`` at version 2, whose ``superseded_by`` links the process that replaced the status, read
from version 1 events as they were stored.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.agreement import CooperationAgreement
from domain.chain import event_hash
from domain.values import Actor, Role, StepContext
from storage.audit import prove, verify
from tests.audit.helpers import AGREEMENTS, API, ENLARGEMENTS, RawStore, Row
from tests.projections.enlargement_walk import Process

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


# ---- ParticipationEnded, version 2: the link to the superseding process as a field ----------------------------
#
# Version 1 recorded the link only in the reason the enlargement service wrote, "superseded by <target> (<id>)".
# The rows below are written as version 1 wrote them: the event's JSON without ``superseded_by`` and without
# ``class_version``, hashed over that JSON, appended through the recorder (which chains them).

ENDED = "accord.enlargement:ParticipationEnded"
CARLA = Actor("carla", Role.LEGAL_OFFICER)


def walk(services, name: str, country: str, target: str, on: str, effective_on: str | None = None) -> UUID:
    """An enlargement process of ``name`` towards ``target``, ratified on ``on`` and, with ``effective_on``, in
    force from then (through the service: it ends the state's earlier status)."""
    process = Process(services.enlargements, "alice", name, country, target, on)
    return (process.to_force(effective_on) if effective_on else process.to_ratified()).id


def as_version_1(stored: StoredEvent) -> StoredEvent:
    """A ParticipationEnded event as version 1 stored it (and hashed it): no ``superseded_by``, no
    ``class_version``."""
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    state.pop("superseded_by")
    state["hash"] = event_hash(stored.originator_id, stored.originator_version, stored.topic,
                               state["timestamp"]["_data_"], state["prev_hash"], state, stored=True)
    return StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                       json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode())


def record_as_version_1(services, *aggregates: Any) -> None:
    """Save the aggregates' new events in one transaction, each ParticipationEnded as version 1 stored it."""
    mapper = services.app.mapper
    stored = [mapper.to_stored_event(e) for a in aggregates for e in a.collect_events()]
    services.app.recorder.insert_events([as_version_1(s) if s.topic == ENDED else s for s in stored])


def converted_at_version_1(services, reason: str | None = None) -> tuple[UUID, UUID]:
    """Slovenia's pre-stage status in force since 2017, then its Associate Membership entering into force on
    2024-06-01, recorded as the version 1 service did it: the pre-stage ended that day, with the reason
    "superseded by associate_member (<id>)" (or ``reason``) and no other link. Returns (pre-stage, associate)."""
    pre_stage = walk(services, "Republic of Slovenia", "SI", "associate_member_pre_stage", "2016-12-16",
                     effective_on="2017-07-21")
    associate = walk(services, "Republic of Slovenia", "SI", "associate_member", "2024-05-02")
    new, old = services.enlargements.get(associate), services.enlargements.get(pre_stage)
    new.enter_into_force(by=CARLA, context=StepContext(), effective_on=date(2024, 6, 1))
    old.end_participation(by=CARLA, context=StepContext(reason=reason or f"superseded by associate_member ({new.id})"),
                          effective_on=date(2024, 6, 1))
    record_as_version_1(services, new, old)
    return pre_stage, associate


def ended_row(raw: RawStore, process: UUID) -> Row:
    [row] = [r for r in raw.rows() if r.topic == ENDED and r.aggregate_id == process]
    return row


def test_a_version_1_end_of_participation_loads_with_the_link_its_reason_names(services, raw):
    pre_stage, associate = converted_at_version_1(services)

    row = ended_row(raw, pre_stage)
    assert "class_version" not in row.json and "superseded_by" not in row.json, "stored as version 1 stored it"
    ending = services.enlargements.ending_of(pre_stage)
    assert ending.superseded_by == associate
    assert ending.hash == row.json["hash"] and ending.context.reason == f"superseded by associate_member ({associate})"
    assert services.enlargements.get(pre_stage).ended_on == date(2024, 6, 1)
    result = verify(services.app.recorder)
    assert result.ok, result.problems


@pytest.mark.parametrize("reason", ["The Republic of Slovenia withdrew.", "superseded by associate_member (soon)",
                                    "Superseded by associate_member ({id})", "superseded by associate_member ({id})."])
def test_a_version_1_end_whose_reason_is_not_the_generated_form_links_nothing(services, reason):
    pre_stage = walk(services, "Republic of Slovenia", "SI", "associate_member_pre_stage", "2016-12-16",
                     effective_on="2017-07-21")
    old = services.enlargements.get(pre_stage)
    old.end_participation(by=CARLA, context=StepContext(reason=reason.format(id=uuid4())),
                          effective_on=date(2024, 6, 1))
    record_as_version_1(services, old)

    assert services.enlargements.ending_of(pre_stage).superseded_by is None
    assert verify(services.app.recorder).ok


def test_old_and_new_ends_of_participation_read_alike_in_history_export_journal_and_register(services, raw, client,
                                                                                              auth):
    """Slovenia's conversion recorded at version 1, Cyprus's by today's service: the same link, shown the same
    way; the version 1 row is shown as it was stored and still verifies."""
    slovenia_pre, slovenia = converted_at_version_1(services)
    cyprus_pre = walk(services, "Republic of Cyprus", "CY", "associate_member_pre_stage", "2012-10-05",
                      effective_on="2016-04-01")
    cyprus = walk(services, "Republic of Cyprus", "CY", "associate_member", "2024-05-02", effective_on="2024-06-01")
    old, new = ended_row(raw, slovenia_pre), ended_row(raw, cyprus_pre)
    assert new.json["class_version"] == 2 and new.json["superseded_by"] == {"_type_": "uuid_hex", "_data_": cyprus.hex}
    saved = verify(services.app.recorder)
    assert saved.ok, saved.problems
    assert prove(services.app.recorder, saved.head_position, saved.head_hash).ok

    services.projections.catch_up()
    journal = {e["position"]: e for e in client.get(f"{API}/audit/journal", query_string={"type": "end_participation"},
                                                   headers=auth("eva")).get_json()}
    lines = {line["position"]: line for line in map(json.loads, services.audit.export_lines())}
    for row, ended, superseding in ((old, slovenia_pre, slovenia), (new, cyprus_pre, cyprus)):
        assert services.enlargements.ending_of(ended).superseded_by == superseding
        history = client.get(f"{ENLARGEMENTS}/{ended}/history", headers=auth("eva")).get_json()
        [entry] = [e for e in history if e["version"] == row.version]
        assert entry["type"] == "end_participation" and entry["hash"] == row.json["hash"]
        assert entry["data"] == {"effective_on": "2024-06-01", "superseded_by": str(superseding)}
        assert entry["reason"] == f"superseded by associate_member ({superseding})"
        line = lines[row.position]
        assert line["stored"] == row.state.decode() and line["hash"] == row.json["hash"]
        assert line["data"] == entry["data"] and line["type"] == "end_participation"
        assert journal[row.position]["data"] == entry["data"] and journal[row.position]["hash"] == row.json["hash"]

    capacities = {country: [(p["since"], p["until"], p["capacity"]) for p in client.get(
        f"{API}/participation/{country}", query_string={"known_at": "9999-12-31T00:00:00Z"},
        headers=auth("eva")).get_json()["periods"]] for country in ("SI", "CY")}
    assert capacities["SI"][-2:] == [("2017-07-21", "2024-06-01", "associate_member_pre_stage"),
                                     ("2024-06-01", None, "associate_member")], capacities
    assert capacities["CY"][-2:] == [("2016-04-01", "2024-06-01", "associate_member_pre_stage"),
                                     ("2024-06-01", None, "associate_member")], capacities


def test_correcting_a_conversion_date_moves_an_end_recorded_at_version_1(services, raw):
    pre_stage, associate = converted_at_version_1(services)
    stored = ended_row(raw, pre_stage)
    version = services.enlargements.get(associate).version

    services.enlargements.take_step(associate, "correct", {"field": "effective_on", "value": "2024-06-03"}, CARLA,
                                    version, StepContext(reason="The notification arrived on the 3rd."))

    assert services.enlargements.get(pre_stage).ended_on == date(2024, 6, 3)
    [*_, ended, moved] = services.enlargements.history(pre_stage)
    assert (ended.type, moved.type) == ("end_participation", "correct")
    assert moved.reason == f"follows the correction of {associate}: superseded by associate_member ({associate})"
    assert ended_row(raw, pre_stage) == stored, "the version 1 row is never rewritten"
    result = verify(services.app.recorder)
    assert result.ok, result.problems
