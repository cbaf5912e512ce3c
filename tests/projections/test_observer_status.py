"""Observer status as a process of its own: requested, granted by the Council with a scope, suspended and
resumed, ended; the register answers it on every date (with its scope and suspension), bitemporally, and a
refused step records nothing."""

from __future__ import annotations

from typing import Any

import pytest

from domain.dates import time_text
from domain.errors import InvalidValueError, StageError
from domain.values import StepContext
from projections import queries
from tests.projections.enlargement_walk import FAR_FUTURE
from tests.projections.helpers import ACTORS, party
from workflows.errors import ForbiddenError, StepNotAllowedError


class Observer:
    def __init__(self, services: Any, name: str, kind: str = "state", country: str | None = None,
                 requested_on: str = "1995-01-10"):
        self.services, self.service = services, services.observers
        self.outcome = self.service.create({"party": party(name, kind, country), "requested_on": requested_on},
                                           ACTORS["alice"], StepContext(reason="Letter to the Council President"))

    def step(self, by: str, name: str, reason: str | None = None, **fields: Any) -> Observer:
        aggregate = self.outcome.aggregate
        self.outcome = self.service.take_step(aggregate.id, name, fields, ACTORS[by], aggregate.version,
                                              StepContext(reason=reason))
        self.services.projections.catch_up()
        return self


def observer_on(services: Any, key: str, day: str, known_at: str = FAR_FUTURE) -> list[tuple]:
    return [(x["capacity"], x["scope"], x["suspended"], x["since"], x["until"])
            for p in queries.participation(services.db, day, known_at) if key in (p["country"], p["party"])
            for x in (p, *p["also"])]


def test_an_observer_status_granted_suspended_resumed_and_ended_is_answered_on_every_date(services):
    russia = Observer(services, "Russian Federation", country="RU", requested_on="1993-01-15")
    russia.step("alice", "grant", decided_on="1993-06-24", scope="LHC", resolution="CERN/2000")
    russia.step("carla", "suspend", effective_on="2022-03-08")
    resumed = russia.step("carla", "resume", effective_on="2030-01-01")
    resumed.step("carla", "end_status", effective_on="2031-01-01", reason="The Council phased the status out.")

    assert observer_on(services, "RU", "1993-06-23") == []
    assert observer_on(services, "RU", "1993-06-24") == [("observer", "LHC", False, "1993-06-24", "2022-03-08")]
    assert observer_on(services, "RU", "2022-03-08") == [("observer", "LHC", True, "2022-03-08", "2030-01-01")]
    assert observer_on(services, "RU", "2030-06-01") == [("observer", "LHC", False, "2030-01-01", "2031-01-01")]
    assert observer_on(services, "RU", "2031-01-01") == []
    assert [p["suspended"] for p in queries.timeline(services.db, "RU", FAR_FUTURE)] == [False, True, False]


def test_a_suspension_is_answered_as_it_was_known_before_it_was_recorded(services):
    jinr = Observer(services, "JINR", kind="organisation", requested_on="2012-01-01")
    jinr.step("alice", "grant", decided_on="2012-06-01")
    before = time_text(jinr.outcome.aggregate.modified_on)
    jinr.step("carla", "suspend", effective_on="2022-03-25")

    assert observer_on(services, "JINR", "2023-01-01", before) == [("observer", None, False, "2012-06-01", None)]
    assert observer_on(services, "JINR", "2023-01-01") == [("observer", None, True, "2022-03-25", None)]


def test_a_party_observer_for_two_scopes_is_listed_once_with_the_other_under_also(services):
    Observer(services, "Japan", country="JP").step("alice", "grant", decided_on="1995-06-23", scope="LHC")
    Observer(services, "Japan", country="JP", requested_on="2024-01-01").step(
        "alice", "grant", decided_on="2024-09-26", scope="HL-LHC")

    assert observer_on(services, "JP", "2000-01-01") == [("observer", "LHC", False, "1995-06-23", None)]
    assert sorted(observer_on(services, "JP", "2025-01-01")) == [
        ("observer", "HL-LHC", False, "2024-09-26", None), ("observer", "LHC", False, "1995-06-23", None)]


@pytest.mark.parametrize(("by", "step", "fields", "error", "rule"), [
    ("carla", "suspend", {"effective_on": "1990-01-01"}, InvalidValueError, "dates_in_order"),
    ("carla", "resume", {"effective_on": "2000-01-01"}, StageError, "status"),
    ("carla", "end_status", {"effective_on": "1995-06-23", "reason": "Ended."}, InvalidValueError,
     "dates_in_order"),
    ("alice", "grant", {"decided_on": "2000-01-01"}, StepNotAllowedError, None),
    ("alice", "suspend", {"effective_on": "2000-01-01"}, ForbiddenError, None),
])
def test_a_refused_step_records_nothing(services, by, step, fields, error, rule):
    japan = Observer(services, "Japan", country="JP").step("alice", "grant", decided_on="1995-06-23")
    before = services.app.recorder.max_notification_id()

    with pytest.raises(error) as refused:
        japan.step(by, step, **fields)

    assert rule is None or refused.value.rule == rule
    assert services.app.recorder.max_notification_id() == before


def test_the_history_names_each_step_and_the_definition_version(services):
    status = Observer(services, "India", country="IN", requested_on="2001-05-01")
    status.step("alice", "grant", decided_on="2002-03-21", resolution="Council decision of 21 March 2002")

    history = list(services.observers.history(status.outcome.aggregate.id))

    assert [(h.type, h.workflow_version) for h in history] == [("created", 1), ("grant", 1)]
    assert history[0].data["workflow_version"] == 1
    assert history[1].data == {"decided_on": "2002-03-21", "scope": None,
                               "resolution": "Council decision of 21 March 2002"}
