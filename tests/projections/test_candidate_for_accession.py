"""Candidate for Accession as a process (the pre-2010 procedure, DOMAIN.md 3.4: Romania): the Council admits
the state as Candidate effective on the conclusion of a Framework Agreement; the register lists it as a
candidate from that day, and Membership by accession ends the candidacy the day it begins."""

from __future__ import annotations

from projections import queries
from tests.projections.enlargement_walk import ENLARGEMENTS, FAR_FUTURE, Process


def capacity_on(services, day: str) -> str | None:
    return {r["party"]: r["capacity"] for r in queries.participation(services.db, day, FAR_FUTURE)}.get("Romania")


def test_romania_candidate_for_accession_from_its_framework_agreement_until_membership(client, auth, services):
    candidacy = Process(services.enlargements, "alice", "Romania", "RO", "candidate_for_accession", "2008-04-01")
    candidacy.to_ratified("2008-12-11").step("carla", "enter_into_force", effective_on="2010-11-12")
    membership = Process(services.enlargements, "alice", "Romania", "RO", "member", "2013-01-01")
    assert membership.by_accession and not candidacy.by_accession
    membership.to_force("2016-07-17")

    services.projections.catch_up()
    assert [capacity_on(services, d) for d in ("2010-11-11", "2010-11-12", "2016-07-16", "2016-07-17")] == [
        None, "candidate_for_accession", "candidate_for_accession", "member"]
    ended = candidacy.current
    assert (ended.status.value, ended.ended_on.isoformat()) == ("ended", "2016-07-17")
    listed = client.get(ENLARGEMENTS, query_string={"target": "candidate_for_accession"}, headers=auth("eva"))
    assert [p["state"] for p in listed.get_json()] == ["Romania"]
    assert client.get(f"{ENLARGEMENTS}/{candidacy.id}", headers=auth("eva")).get_json()["pre_stage_limits"] is None
