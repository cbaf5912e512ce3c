"""The deadlines view: the dates of each open process that ask for action, with the officers responsible."""

from __future__ import annotations

from projections.deadlines import deadlines
from tests.time.helpers import agreement_in_force, caught_up, tacit


def test_an_agreement_renewed_tacitly_lists_its_notice_window_and_renewal(services):
    walk = agreement_in_force(services, **tacit())
    caught_up(services)
    rows, total = deadlines(services.db, process_id=str(walk.id))
    assert total == 3
    assert [(r["kind"], r["due_on"], r["rule"]) for r in rows] == [
        ("notice_window_opens", "2025-01-01", "notice_window_closed"),
        ("notice_window_closes", "2029-07-01", "notice_window_closed"),
        ("renewal", "2030-01-01", "tacit_renewal"),
    ]
    assert rows[0]["id"] == f"{walk.id}:notice_window_opens:2025-01-01"
    assert rows[0]["process_kind"] == "agreement" and rows[0]["title"] == "Co-operation with Chile"
    assert rows[0]["officers"] == [{"username": "alice", "role": "ir_officer"},
                                   {"username": "bruno", "role": "legal_officer"},
                                   {"username": "dmitri", "role": "ir_officer"}]


def test_a_notice_turns_the_renewal_into_an_expiry_and_its_withdrawal_back(services):
    walk = agreement_in_force(services, **tacit())
    walk.step("carla", "give_notice", reference="CERN/DG/2029-17", party="CERN", given_on="2029-03-01",
              addressed_to="Republic of Chile")
    caught_up(services)
    rows, _ = deadlines(services.db, process_id=str(walk.id))
    assert [(r["kind"], r["due_on"], r["rule"]) for r in rows] == [("expiry", "2030-01-01", "notice_given")]
    assert {"username": "carla", "role": "legal_officer"} in rows[0]["officers"]
    walk.step("carla", "withdraw_notice")
    caught_up(services)
    assert [r["kind"] for r in deadlines(services.db, process_id=str(walk.id))[0]] == [
        "notice_window_opens", "notice_window_closes", "renewal"]


def test_filters_and_pages(services):
    first = agreement_in_force(services, title="A", **tacit())
    second = agreement_in_force(services, title="B", effective_on="2026-01-01", initial_period_months=36,
                                renewal_rule="none")
    caught_up(services)
    _, total = deadlines(services.db)
    assert total == 4
    rows, total = deadlines(services.db, kinds=["expiry", "renewal"])
    assert [(r["title"], r["kind"], r["due_on"]) for r in rows] == [("B", "expiry", "2029-01-01"),
                                                                     ("A", "renewal", "2030-01-01")]
    rows, total = deadlines(services.db, due_from="2029-01-02", due_to="2029-12-31")
    assert [(r["title"], r["kind"]) for r in rows] == [("A", "notice_window_closes")]
    rows, total = deadlines(services.db, per_page=2, page=2)
    assert total == 4 and [r["due_on"] for r in rows] == ["2029-07-01", "2030-01-01"]
    assert deadlines(services.db, per_page=2, page=5) == ([], 4)  # past the end, still the total
    assert deadlines(services.db, officer="carla") == ([], 0)
    assert deadlines(services.db, officer="dmitri")[1] == 4
    assert {r["process_id"] for r in deadlines(services.db, process_id=str(second.id))[0]} == {str(second.id)}
    assert first.id != second.id
