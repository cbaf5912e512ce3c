"""An agreement replaced by another closes as ``superseded``, linked to its successor (Latvia's co-operation
agreement by its Associate Membership); the register ends the partner's period that day; a successor not on
record, or the agreement itself, is refused and nothing is recorded."""

from __future__ import annotations

import uuid

from projections import queries
from tests.projections.enlargement_walk import FAR_FUTURE, Process
from tests.projections.helpers import ICA, Walk, party

AGREEMENTS = "/api/v1/agreements"


def supersede(client, auth, agreement_id, version: int, successor: str, on: str = "2025-08-02"):
    return client.post(f"{AGREEMENTS}/{agreement_id}/steps/supersede",
                       json={"effective_on": on, "successor_id": successor,
                             "reason": "The Associate Membership agreement entered into force."},
                       headers={**auth("carla"), "If-Match": f'"{version}"'})


def test_a_cooperation_agreement_superseded_by_an_associate_membership(client, auth, services):
    ica = Walk(services.agreements, "alice", title="ICA-LV-0137", kind=ICA,
               counterparties=[party("Latvia", "state", "LV")]).to_force("2024-12-01")
    membership = Process(services.enlargements, "alice", "Latvia", "LV", "associate_member", "2020-02-24")
    membership.to_force("2025-08-02")
    version = ica.outcome.aggregate.version
    before = services.app.recorder.max_notification_id()

    for wrong in (str(uuid.uuid4()), str(ica.id)):
        refused = supersede(client, auth, ica.id, version, wrong)
        assert refused.status_code == 422 and refused.content_type == "application/problem+json"
        assert refused.get_json()["rule"] in ("successor_exists", "not_self")
    assert services.app.recorder.max_notification_id() == before

    response = supersede(client, auth, ica.id, version, str(membership.id))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["stage"], body["status"], body["closed_on"], body["superseded_by"]) == (
        "closed", "superseded", "2025-08-02", str(membership.id))
    services.projections.catch_up()
    [row] = [p for p in queries.timeline(services.db, "LV", FAR_FUTURE) if p["capacity"] == "cooperation_partner"]
    assert (row["since"], row["until"]) == ("2024-12-01", "2025-08-02")
    listed = client.get(AGREEMENTS, query_string={"status": "superseded"}, headers=auth("eva")).get_json()
    assert [a["id"] for a in listed] == [str(ica.id)]
