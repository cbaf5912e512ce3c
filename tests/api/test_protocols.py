"""Protocols and addenda under a framework agreement: the framework's ``GET`` lists them, and the agreement
list filters by ``parent``."""

from __future__ import annotations

import uuid

AGREEMENTS = "/api/v1/agreements"


def create(client, auth, title: str, kind: str, parent: str | None = None) -> str:
    response = client.post(AGREEMENTS, json={
        "title": title, "kind": kind, "parent_id": parent,
        "counterparties": [{"name": "Republic of Chile", "kind": "state", "country": "CL"}]}, headers=auth("alice"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_framework_lists_its_protocols_and_the_list_filters_by_parent(client, auth, services):
    framework = create(client, auth, "International Co-operation Agreement with Chile",
                       "international_cooperation_agreement")
    protocols = [create(client, auth, f"Protocol {n} to the ICA with Chile", "protocol", framework) for n in (1, 2)]
    create(client, auth, "International Co-operation Agreement with Brazil", "international_cooperation_agreement")
    services.projections.catch_up()

    listed = client.get(AGREEMENTS, query_string={"parent": framework}, headers=auth("eva"))
    assert listed.status_code == 200
    assert sorted(a["id"] for a in listed.get_json()) == sorted(protocols)
    assert listed.headers["X-Total-Count"] == "2"

    body = client.get(f"{AGREEMENTS}/{framework}", headers=auth("eva")).get_json()
    assert [(p["id"], p["kind"], p["stage"]) for p in body["protocols"]] == [(p, "protocol", "drafting")
                                                                           for p in protocols]
    assert client.get(f"{AGREEMENTS}/{protocols[0]}", headers=auth("eva")).get_json()["protocols"] == []

    assert client.get(AGREEMENTS, query_string={"parent": str(uuid.uuid4())}, headers=auth("eva")).get_json() == []
    bad = client.get(AGREEMENTS, query_string={"parent": "not-an-id"}, headers=auth("eva"))
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
