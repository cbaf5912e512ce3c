"""Long histories come a page of versions at a time, with X-Total-Count and Link headers."""

from __future__ import annotations

from tests.api.helpers import CLEARED_DRAFT, assert_problem, create_agreement, history, walk


def test_a_history_is_served_in_pages_of_versions(client, auth):
    created = create_agreement(client, auth("alice"))
    walk(client, auth, created, CLEARED_DRAFT)
    agreement_id = created.get_json()["id"]
    everything = history(client, auth("eva"), agreement_id)
    assert [e["version"] for e in everything] == list(range(1, len(everything) + 1))

    pages = []
    page = 1
    while True:
        response = client.get(f"/api/v1/agreements/{agreement_id}/history?page={page}&per_page=2",
                              headers=auth("farid"))
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == str(len(everything))
        if not response.get_json():
            assert 'rel="next"' not in response.headers["Link"]
            break
        pages.append(response.get_json())
        page += 1
    assert [e for p in pages for e in p] == everything
    assert all(len(p) == 2 for p in pages[:-1])


def test_history_page_sizes_are_bounded(client, auth):
    agreement_id = create_agreement(client, auth("alice")).get_json()["id"]
    for query in ("per_page=0", "per_page=1001", "page=0", "colour=red"):
        assert_problem(client.get(f"/api/v1/agreements/{agreement_id}/history?{query}", headers=auth("eva")), 422)
