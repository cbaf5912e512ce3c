"""Processes started under version 1 keep version 1's rules, proved on histories stored by version 1 itself
(``fixtures/v1_store.jsonl``, written at commit c1ec1cd before events named their workflow version; see
``fixtures/make_v1_store.py``), imported into a fresh store on SQLite and on PostgreSQL: they load, verify
(hash chains), project and take steps under version 1, and a process started now takes version 2's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.values import StepContext
from projections import queries
from storage.archive import import_lines
from storage.audit import verify
from tests.drafts import draft, keep
from tests.projections.helpers import ACTORS
from workflows.definitions import AGREEMENT_V1, ENLARGEMENT_V1, OBSERVER_V1
from workflows.errors import UnknownStepError

FIXTURE = Path(__file__).parent / "fixtures" / "v1_store.jsonl"
LINES = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
NOW = StepContext()


def created(title_or_name: str) -> UUID:
    """The id of the fixture's process whose creation names ``title_or_name`` (title, state or party)."""
    for line in map(json.loads, LINES):
        data = line["data"]
        named = data.get("title") or (data.get("state") or data.get("party") or {}).get("name")
        if line["version"] == 1 and named == title_or_name:
            return UUID(line["aggregate_id"])
    raise LookupError(title_or_name)


@pytest.fixture
def imported(services) -> Any:
    count, digest = import_lines(services.app.recorder, LINES)
    assert count == len(LINES)
    services.projections.catch_up()
    return services


def take(service: Any, aggregate_id: UUID, step: str, by: str, **fields: Any) -> Any:
    current = service.get(aggregate_id)
    return service.take_step(current.id, step, fields, ACTORS[by], current.version, NOW).aggregate


def test_the_stored_version_1_events_name_no_workflow_version_but_their_creation():
    stored = [json.loads(json.loads(line)["stored"]) for line in LINES]
    assert sum("workflow_version" in s for s in stored) == sum("originator_topic" in s for s in stored) == 6
    assert {s["workflow_version"] for s in stored if "workflow_version" in s} == {1}


def test_version_1_histories_import_and_verify_on_both_backends(imported):
    verification = verify(imported.app.recorder)

    assert verification.ok, verification.problems
    assert verification.events_checked == len(LINES)
    assert verification.head_hash == json.loads(LINES[-1])["running_hash"]


def test_version_1_processes_load_and_project_under_version_1(imported):
    framework = imported.agreements.get(created("Framework agreement with Bulgaria"))
    membership = imported.enlargements.get(_membership_id())
    japan = imported.observers.get(created("Japan"))

    assert (framework.workflow_version, framework.status.value) == (1, "in_force")
    assert (membership.workflow_version, membership.stage.value) == (1, "drafting")
    assert (japan.workflow_version, japan.status, japan.scope) == (1, "active", "LHC")
    listed = queries.list_agreements(imported.db, {}, per_page=10).items
    assert {row["workflow_version"] for row in listed} == {1} and len(listed) == 3
    on = queries.participation(imported.db, "2025-01-01", "9999-12-31T00:00:00.000000Z")
    capacities = {(row["party"], row["capacity"]) for row in on}
    assert {("Estonia", "associate_member_pre_stage"), ("Japan", "observer"),
            ("Bulgaria", "cooperation_partner")} <= capacities


def test_every_event_of_a_version_1_history_reads_as_taken_under_version_1(imported):
    for service, aggregate_id in ((imported.agreements, created("Framework agreement with Bulgaria")),
                                  (imported.enlargements, created("Estonia")),
                                  (imported.observers, created("Japan"))):
        history = list(service.history(aggregate_id))
        assert len(history) > 1
        assert {entry.workflow_version for entry in history} == {1}


def test_a_version_1_agreement_takes_steps_under_version_1_and_records_it(imported):
    chile = created("Co-operation agreement with Chile")

    opened = take(imported.agreements, chile, "open_negotiation", "alice")

    assert opened.stage.value == "negotiation"
    [*_, last] = imported.agreements.history(opened.id)
    assert (last.type, last.workflow_version) == ("open_negotiation", 1)
    assert verify(imported.app.recorder).ok


def test_a_version_1_framework_is_terminated_by_version_1_s_rule_leaving_its_protocol_alone(imported):
    framework = take(imported.agreements, created("Framework agreement with Bulgaria"), "terminate", "carla",
                     effective_on="2025-06-30")

    assert framework.status.value == "terminated"
    protocol = imported.agreements.get(created("Protocol on computing with Bulgaria"))
    assert protocol.status.value == "in_force"


def test_a_version_1_process_to_membership_keeps_the_bilateral_route_and_has_no_accession_steps(imported):
    membership = _membership_id()

    with pytest.raises(UnknownStepError):
        take(imported.enlargements, membership, "adopt_admission_resolution", "alice", decided_on="2024-03-07")
    authorised = take(imported.enlargements, membership, "authorise_negotiation", "alice", decided_on="2023-06-01")

    assert authorised.stage.value == "negotiation"


def test_a_version_1_observer_status_is_suspended_under_version_1(imported):
    suspended = take(imported.observers, created("Japan"), "suspend", "carla", effective_on="2025-01-01")

    assert suspended.status == "suspended"
    assert [e.workflow_version for e in imported.observers.history(suspended.id)] == [1, 1, 1]


def test_a_process_started_now_starts_under_version_2_and_records_it_in_every_event(imported):
    chile = imported.agreements.create({"title": "Protocol with Chile", "kind": "protocol", "counterparties": [
        {"name": "Chile", "kind": "state", "country": "CL"}]}, ACTORS["alice"], NOW).aggregate
    text = draft("Protocol with Chile, first draft")
    keep(imported, text)
    take(imported.agreements, chile.id, "attach_text", "alice", document=text)

    rows = imported.app.positioned_events(chile.id, None, None)
    assert [json.loads(stored.state)["workflow_version"] for _, stored in rows] == [2, 2]
    assert [e.workflow_version for e in imported.agreements.history(chile.id)] == [2, 2]


def _membership_id() -> UUID:
    for line in map(json.loads, LINES):
        data = line["data"]
        if line["version"] == 1 and data.get("target") == "member":
            return UUID(line["aggregate_id"])
    raise LookupError("member")


def test_version_1_s_definitions_are_exactly_as_they_were_released():
    """Every step, field, choice, role and rule of version 1 as served at commit a65c61c
    (``fixtures/v1_definitions.json``): what version 2 adds never reaches version 1."""
    released = json.loads((Path(__file__).parent / "fixtures" / "v1_definitions.json").read_text(encoding="utf-8"))
    now = {w.kind: w.as_dict() for w in (AGREEMENT_V1, ENLARGEMENT_V1, OBSERVER_V1)}
    assert [w.pop("clock") for w in now.values()] == [(), (), ()], "time decides nothing under version 1"

    assert json.loads(json.dumps(now, default=lambda value: value.value, sort_keys=True)) == released
