"""/api/v1/observers over HTTP: create, take steps, list, history; the register answers the status."""

from __future__ import annotations

API = "/api/v1"


def test_an_observer_status_over_http_from_request_to_suspension(client, auth, services):
    created = client.post(f"{API}/observers", json={
        "party": {"name": "JINR", "kind": "organisation"}, "requested_on": "2012-01-10",
        "reason": "Letter from the Director of JINR"}, headers=auth("alice"))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["stage"], body["status"], body["workflow_version"]) == ("drafting", "requested", 1)

    granted = client.post(f"{API}/observers/{body['id']}/steps/grant",
                          json={"decided_on": "2012-06-01", "resolution": "CERN/3000"},
                          headers={**auth("alice"), "If-Match": f'"{body["version"]}"'})
    assert granted.status_code == 200, granted.get_json()
    suspended = client.post(f"{API}/observers/{body['id']}/steps/suspend", json={"effective_on": "2022-03-25"},
                            headers={**auth("carla"), "If-Match": f'"{granted.get_json()["version"]}"'})
    assert suspended.status_code == 200, suspended.get_json()
    assert suspended.get_json()["status"] == "suspended"

    early = client.post(f"{API}/observers/{body['id']}/steps/resume", json={"effective_on": "2020-01-01"},
                        headers={**auth("carla"), "If-Match": f'"{suspended.get_json()["version"]}"'})
    assert early.status_code == 422 and early.content_type == "application/problem+json"
    assert early.get_json()["rule"] == "dates_in_order"

    services.projections.catch_up()
    listed = client.get(f"{API}/observers", headers=auth("eva")).get_json()
    assert [(o["party"], o["kind"]) for o in listed] == [("JINR", "organisation")]
    history = client.get(f"{API}/observers/{body['id']}/history", headers=auth("eva")).get_json()
    assert [(h["type"], h["workflow_version"]) for h in history] == [("created", 1), ("grant", 1), ("suspend", 1)]
    on = client.get(f"{API}/participation", query_string={"on": "2023-01-01"}, headers=auth("eva")).get_json()
    [jinr] = [p for p in on["participants"] if p["party"] == "JINR"]
    assert (jinr["capacity"], jinr["suspended"], jinr["since"]) == ("observer", True, "2022-03-25")
