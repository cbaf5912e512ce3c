"""Terminating a framework agreement asks what becomes of each of its open protocols (version 2, DOMAIN.md
P4): each named once, ``terminate`` (terminated with it the same day, or withdrawn if not yet in force, with
the framework's termination as reason) or ``keep`` with a reason; a missing or unknown protocol is a problem
naming the rule ``protocol_fates``, and nothing is recorded."""

from __future__ import annotations

import uuid

from tests.projections.helpers import Walk, party

AGREEMENTS = "/api/v1/agreements"
PROBLEM = "application/problem+json"
BULGARIA = [party("Bulgaria", "state", "BG")]


def terminate(client, auth, framework: Walk, protocols=None, reason="Replaced by the Associate Membership."):
    body = {"effective_on": "2025-06-30", "reason": reason}
    if protocols is not None:
        body["protocols"] = protocols
    version = framework.service.get(framework.id).version
    return client.post(f"{AGREEMENTS}/{framework.id}/steps/terminate", json=body,
                       headers={**auth("carla"), "If-Match": f'"{version}"'})


def refused(response, rule: str = "protocol_fates") -> str:
    assert response.status_code == 422 and response.content_type == PROBLEM, response.get_data(as_text=True)
    assert response.get_json()["rule"] == rule
    return response.get_json()["detail"]


def family(services) -> tuple[Walk, Walk, Walk, Walk]:
    """A framework in force with a protocol in force, one in drafting and one already terminated."""
    service = services.agreements
    framework = Walk(service, "alice", title="Framework agreement with Bulgaria", kind="framework_agreement",
                     counterparties=BULGARIA).to_force("2024-12-01")
    in_force = Walk(service, "alice", title="Protocol on computing", kind="protocol", counterparties=BULGARIA,
                    parent_id=str(framework.id)).to_force("2024-12-02")
    drafted = Walk(service, "alice", title="Protocol on training", kind="protocol", counterparties=BULGARIA,
                   parent_id=str(framework.id))
    closed = (Walk(service, "alice", title="Protocol on detectors", kind="protocol", counterparties=BULGARIA,
                   parent_id=str(framework.id)).to_force("2024-12-03")
              .step("carla", "terminate", effective_on="2025-01-31", protocols=[]))
    return framework, in_force, drafted, closed


def test_each_open_protocol_must_be_named_once_and_no_other(client, auth, services):
    framework, in_force, drafted, closed = family(services)
    before = services.app.recorder.max_notification_id()

    detail = refused(terminate(client, auth, framework))
    assert "Protocol on computing" in detail and "Protocol on training" in detail
    assert "Protocol on detectors" not in detail, "a closed protocol is not asked about"
    refused(terminate(client, auth, framework, [{"protocol_id": str(in_force.id), "fate": "terminate"}]))
    refused(terminate(client, auth, framework, [
        {"protocol_id": str(in_force.id), "fate": "terminate"}, {"protocol_id": str(drafted.id), "fate": "keep"},
        {"protocol_id": str(closed.id), "fate": "terminate"}]))
    refused(terminate(client, auth, framework, [
        {"protocol_id": str(in_force.id), "fate": "terminate"}, {"protocol_id": str(drafted.id), "fate": "keep"}]))
    refused(terminate(client, auth, framework, [
        {"protocol_id": str(in_force.id), "fate": "terminate"},
        {"protocol_id": str(uuid.uuid4()), "fate": "keep", "reason": "Still useful."}]))
    bad = terminate(client, auth, framework, [{"protocol_id": str(in_force.id), "fate": "abandon"}])
    assert bad.status_code == 422 and bad.content_type == PROBLEM

    assert services.app.recorder.max_notification_id() == before, "every refusal recorded nothing"


def test_protocols_terminated_with_their_framework_or_kept_with_a_reason(client, auth, services):
    framework, in_force, drafted, closed = family(services)

    response = terminate(client, auth, framework, [
        {"protocol_id": str(in_force.id), "fate": "terminate"},
        {"protocol_id": str(drafted.id), "fate": "keep", "reason": "It will serve the new agreement."}])

    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["closed_on"]) == ("terminated", "2025-06-30")
    ended = services.agreements.get(in_force.id)
    assert (ended.status.value, ended.closed_on.isoformat()) == ("terminated", "2025-06-30")
    [*_, last] = services.agreements.history(in_force.id)
    assert last.type == "terminate" and last.actor == "carla"
    assert last.reason == (f"terminated with its framework agreement Framework agreement with Bulgaria "
                           f"({framework.id}): Replaced by the Associate Membership.")
    assert services.agreements.get(drafted.id).stage.value == "drafting", "kept as it was"
    [*_, decided] = services.agreements.history(framework.id)
    assert decided.data["protocols"] == [
        {"protocol_id": str(in_force.id), "fate": "terminate", "reason": None},
        {"protocol_id": str(drafted.id), "fate": "keep", "reason": "It will serve the new agreement."}]


def test_a_protocol_not_yet_in_force_is_withdrawn_with_its_framework(client, auth, services):
    framework, in_force, drafted, _ = family(services)

    response = terminate(client, auth, framework, [{"protocol_id": str(in_force.id), "fate": "keep",
                                                    "reason": "Stands alone."},
                                                   {"protocol_id": str(drafted.id), "fate": "terminate"}])

    assert response.status_code == 200, response.get_json()
    assert services.agreements.get(drafted.id).status.value == "withdrawn"
    assert services.agreements.get(in_force.id).status.value == "in_force"


def test_an_agreement_without_open_protocols_is_terminated_as_before(client, auth, services):
    alone = Walk(services.agreements, "alice", title="ICA with Chile", kind="international_cooperation_agreement",
                 counterparties=[party("Chile", "state", "CL")]).to_force("2024-12-01")

    assert terminate(client, auth, alone).status_code == 200
