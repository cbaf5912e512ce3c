"""Long histories come a page of versions at a time, with X-Total-Count and Link headers; the state itself shows
only the latest rounds and milestones, with their counts."""

from __future__ import annotations

from domain.values import RECENT_ENTRIES
from tests.api.helpers import CLEARED_DRAFT, TO_IMPLEMENTATION, assert_problem, create_agreement, history, walk


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
    for query in ("per_page=0", "per_page=501", "page=0", "colour=red"):
        assert_problem(client.get(f"/api/v1/agreements/{agreement_id}/history?{query}", headers=auth("eva")), 422)


def test_the_state_shows_the_latest_rounds_and_milestones_and_the_history_every_one(client, auth):
    many = RECENT_ENTRIES + 2
    created = create_agreement(client, auth("alice"))
    rounds = [("alice", "record_round", {"held_on": f"2024-09-{n:02d}", "summary": f"Round {n}."})
              for n in range(1, many + 1)]
    milestones = [("alice", "record_milestone", {"on": f"2025-03-{n:02d}", "summary": f"Milestone {n}."})
                  for n in range(1, many + 1)]
    steps = [*TO_IMPLEMENTATION[:4], *rounds, *TO_IMPLEMENTATION[4:], *milestones]
    state = walk(client, auth, created, steps).get_json()

    assert (state["rounds_held"], state["milestones_recorded"]) == (many, many)
    assert [r["summary"] for r in state["recent_rounds"]] == [f"Round {n}." for n in range(3, many + 1)]
    assert state["recent_milestones"][-1] == {"on": f"2025-03-{many:02d}", "summary": f"Milestone {many}."}
    assert len(state["recent_milestones"]) == RECENT_ENTRIES
    entries = history(client, auth("eva"), state["id"])
    assert [e["data"]["summary"] for e in entries if e["type"] == "record_round"] == [
        f"Round {n}." for n in range(1, many + 1)]
    assert [e["data"]["on"] for e in entries if e["type"] == "record_milestone"] == [
        f"2025-03-{n:02d}" for n in range(1, many + 1)]
