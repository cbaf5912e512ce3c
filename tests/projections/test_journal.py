"""GET /api/v1/audit/journal: the global log in position order, shaped like history entries, from its view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.projections.conftest import Portfolio
from tests.projections.helpers import log_positions
from workflows.definitions import CURRENT

JOURNAL = "/api/v1/audit/journal"
HISTORY_KEYS = ("position", "version", "type", "recorded_at", "actor", "role", "reason", "reference", "data", "hash",
                "prev_hash")
PROBLEM = "application/problem+json"


def journal(client, auth, user: str = "eva", **params: Any) -> list[dict[str, Any]]:
    response = client.get(JOURNAL, query_string=params, headers=auth(user))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def everything(client, auth, services) -> list[dict[str, Any]]:
    services.projections.catch_up()
    entries = journal(client, auth, after=0, limit=1000)
    assert len(entries) < 1000
    return entries


def history(client, auth, agreement_id: Any) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/agreements/{agreement_id}/history", headers=auth("eva"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def when(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["recorded_at"].replace("Z", "+00:00"))


def test_the_journal_is_every_event_in_position_order_shaped_like_the_history_of_each_agreement(
        client, auth, services, portfolio: Portfolio):
    entries = everything(client, auth, services)
    assert [e["position"] for e in entries] == log_positions(services)
    for entry in entries:
        assert set(HISTORY_KEYS) <= set(entry), entry
        assert when(entry).tzinfo is not None

    for slug, walk in portfolio.walks.items():
        own = [e for e in entries if e["aggregate_id"] == str(walk.id)]
        assert {e["aggregate_type"] for e in own} == {"agreement"}
        trail = history(client, auth, walk.id)
        assert len(own) == len(trail) >= 1, slug
        for mine, theirs in zip(own, trail, strict=True):
            assert {k: mine[k] for k in HISTORY_KEYS if k != "recorded_at"} == {
                k: theirs[k] for k in HISTORY_KEYS if k != "recorded_at"}, slug
            assert when(mine) == when(theirs), slug

    by_position = {e["position"]: e for e in entries}
    withdrawn = by_position[portfolio.walks["institute"].position]
    assert (withdrawn["type"], withdrawn["actor"], withdrawn["role"], withdrawn["reason"]) == (
        "withdraw", "alice", "ir_officer", "The institute joined the consortium MoU instead.")
    opened = next(e for e in entries if e["aggregate_id"] == portfolio.id("mongolia")
                  and e["type"] == "open_negotiation")
    assert opened["reference"] == "IR-2024-117"
    renewed = next(e for e in entries if e["type"] == "renew")
    assert renewed["data"] == {"expires_on": portfolio.day(1000)}

    access = [e for e in entries if e["aggregate_type"] != "agreement"]
    assert access, "the users and tokens of the test are in the log too"
    assert {(e["actor"], e["role"]) for e in access} == {("pytest@cli", "admin")}
    assert all("token_sha256" not in e["data"] for e in access)


def test_journal_recorded_at_is_written_exactly_as_in_the_history(client, auth, services, portfolio):
    entries = everything(client, auth, services)
    walk = portfolio.walks["chile"]
    own = [{k: e[k] for k in HISTORY_KEYS} for e in entries if e["aggregate_id"] == str(walk.id)]
    entries_of_history = history(client, auth, walk.id)
    assert own == [{k: e[k] for k in HISTORY_KEYS} for e in entries_of_history]
    assert {e["workflow_version"] for e in entries_of_history} == {CURRENT["agreement"].version}, (
        "the history names the definition version")


def test_after_and_limit_page_through_the_log_without_gaps(client, auth, services, portfolio):
    entries = everything(client, auth, services)
    head = entries[-1]["position"]
    pages, after = [], 0
    while True:
        page = journal(client, auth, after=after, limit=7)
        if not page:
            break
        assert len(page) <= 7 and all(e["position"] > after for e in page)
        pages += page
        after = page[-1]["position"]
    assert pages == entries
    assert journal(client, auth, after=head) == []
    assert journal(client, auth, after=head + 1000) == []
    assert journal(client, auth, after=entries[9]["position"], limit=3) == entries[10:13]
    assert journal(client, auth) == entries[:100]  # defaults: after=0, limit=100


def test_the_journal_filters_by_actor_type_and_recorded_time(client, auth, services, portfolio):
    entries = everything(client, auth, services)

    def expect(entries_filtered: list[dict[str, Any]], **params: Any) -> None:
        got = journal(client, auth, "farid", limit=1000, **params)
        assert got == entries_filtered, params
        assert got, f"the case {params} should select something"

    expect([e for e in entries if e["actor"] == "bruno"], actor="bruno")
    expect([e for e in entries if e["type"] == "record_signature"], type="record_signature")
    expect([e for e in entries if e["actor"] == "carla" and e["type"] == "enter_into_force"],
           actor="carla", type="enter_into_force")
    mid = portfolio.mid
    expect([e for e in entries if when(e) >= mid], recorded_from=mid.isoformat())
    expect([e for e in entries if when(e) < mid], recorded_to=mid.isoformat())
    geneva = timezone(timedelta(hours=1))
    expect([e for e in entries if when(e) >= mid], recorded_from=mid.astimezone(geneva).isoformat())
    first, last = when(entries[20]), when(entries[40])
    expect([e for e in entries if first <= when(e) < last], recorded_from=first.isoformat(),
           recorded_to=last.isoformat())
    assert entries[20] in journal(client, auth, recorded_from=first.isoformat(), recorded_to=last.isoformat())
    assert entries[40] not in journal(client, auth, recorded_from=first.isoformat(), recorded_to=last.isoformat())
    alice_since_mid = [e for e in entries if e["actor"] == "alice" and when(e) >= mid]
    expect(alice_since_mid[1:], actor="alice", recorded_from=mid.isoformat(), after=alice_since_mid[0]["position"])
    assert journal(client, auth, actor="nobody") == []
    assert journal(client, auth, type="no_such_step") == []


def test_a_time_without_an_offset_is_taken_as_utc(client, auth, services):
    entries = everything(client, auth, services)
    mid = when(entries[len(entries) // 2])
    naive = mid.astimezone(UTC).replace(tzinfo=None).isoformat()
    assert journal(client, auth, recorded_from=naive) == journal(client, auth, recorded_from=mid.isoformat())


def test_only_auditors_and_management_may_read_the_journal(client, auth, services):
    for user in ("eva", "farid"):
        assert client.get(JOURNAL, headers=auth(user)).status_code == 200, user
    for user, status in (("alice", 403), ("dmitri", 403), ("bruno", 403), ("gwen", 403)):
        response = client.get(JOURNAL, headers=auth(user))
        assert (response.status_code, response.mimetype) == (status, PROBLEM), user
    assert client.get(JOURNAL).status_code == 401


def test_invalid_journal_queries_are_422_problems(client, auth, services):
    for params in ({"limit": 0}, {"limit": 1001}, {"after": -1}, {"after": "start"},
                   {"recorded_from": "2025-01-01T25:00:00"}, {"recorded_to": "yesterday"}, {"actor": ""}):
        response = client.get(JOURNAL, query_string=params, headers=auth("eva"))
        assert (response.status_code, response.mimetype) == (422, PROBLEM), params
        assert set(response.get_json()["errors"]) == set(params), params
