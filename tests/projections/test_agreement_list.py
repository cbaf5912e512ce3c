"""GET /api/v1/agreements and GET /api/v1/dashboard, served from the agreement_list view.

The fixture is a portfolio of thirteen agreements built through the command service (conftest.py), projected
with ``catch_up()``. Expectations are written out by hand from that portfolio.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from projections import queries
from tests.projections.conftest import Portfolio
from tests.projections.helpers import ICA, Walk, party

API = "/api/v1"
AGREEMENTS = f"{API}/agreements"
DASHBOARD = f"{API}/dashboard"
PROBLEM = "application/problem+json"
ALL = {"chile", "cms", "mongolia", "institute", "ess", "nairobi", "helmholtz", "norway", "open_science", "japan",
       "spain", "korea", "thailand"}
CLOSED = {"institute", "norway", "thailand"}
OPEN = ALL - CLOSED
NOT_TOUCHED_SINCE_MID = ["cms", "ess", "helmholtz", "open_science", "spain", "korea"]
"""Open agreements whose last step came before ``portfolio.mid``, in the order they were last touched."""

BY_STAGE = {"drafting": {"nairobi", "open_science", "spain"}, "negotiation": {"mongolia", "japan"},
            "signature": {"ess", "helmholtz"}, "implementation": {"chile", "cms", "korea"},
            "closed": {"institute", "norway", "thailand"}}
BY_STATUS = {"draft": {"nairobi", "open_science", "spain"}, "under_negotiation": {"mongolia", "japan"},
             "awaiting_signature": {"ess"}, "signed": {"helmholtz"}, "in_force": {"chile", "korea"},
             "suspended": {"cms"}, "terminated": {"norway"}, "expired": {"thailand"}, "withdrawn": {"institute"}}
BY_KIND = {"international_cooperation_agreement": {"chile", "mongolia", "norway", "korea", "thailand"},
           "protocol": {"cms", "spain"}, "memorandum_of_understanding": {"institute", "nairobi"},
           "framework_agreement": {"ess", "japan"}, "collaboration_agreement": {"helmholtz"},
           "other": {"open_science"}}


def get_list(client, auth, user: str = "alice", **params: Any):
    return client.get(AGREEMENTS, query_string=params, headers=auth(user))


def listed(client, auth, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("per_page", 500)
    response = get_list(client, auth, **params)
    assert response.status_code == 200, response.get_json()
    items = response.get_json()
    assert int(response.headers["X-Total-Count"]) == len(items)
    return items


def slugs(portfolio: Portfolio, items: list[dict[str, Any]]) -> set[str]:
    return {portfolio.slug_of(item["id"]) for item in items}


def links(response) -> dict[str, dict[str, list[str]]]:
    """rel -> the query of its URL, from an RFC 8288 Link header."""
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))
    rels = [rel for _, rel in found]
    assert len(rels) == len(set(rels)), response.headers["Link"]
    return {rel: parse_qs(urlsplit(url).query) for url, rel in found}


def assert_problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"], body
    return body


# ---- filters ----------------------------------------------------------------------------------------

def check_cases(client, auth, portfolio, cases: list[tuple[dict[str, Any], set[str]]]) -> None:
    """Each (query, expected slugs) case; every mismatch is reported at once."""
    wrong = []
    for params, expected in cases:
        got = slugs(portfolio, listed(client, auth, **params))
        if got != expected:
            wrong.append((params, sorted(got), sorted(expected)))
    assert not wrong, wrong


def test_stage_status_kind_and_country_filters_list_exactly_the_matching_agreements(client, auth, portfolio):
    cases = [({"stage": k}, v) for k, v in BY_STAGE.items()]
    cases += [({"status": k}, v) for k, v in BY_STATUS.items()]
    cases += [({"kind": k}, v) for k, v in BY_KIND.items()]
    cases += [({"country": "CL"}, {"chile", "cms"}), ({"country": "DE"}, {"helmholtz"}),
              ({"country": "CH"}, {"helmholtz"}), ({"country": "JP"}, {"japan"}), ({"country": "XX"}, set())]
    check_cases(client, auth, portfolio, cases)


def test_the_counterparty_filter_is_a_case_insensitive_substring_of_any_counterparty_name(
        client, auth, portfolio):
    check_cases(client, auth, portfolio, [
        ({"counterparty": "chile"}, {"chile", "cms"}),
        ({"counterparty": "REPUBLIC OF"}, {"chile", "cms", "korea"}),
        ({"counterparty": "scherrer"}, {"helmholtz"}),
        ({"counterparty": "KiNgDoM"}, {"norway", "spain", "thailand"}),
        ({"counterparty": "Open Science Foundation"}, {"open_science"}),
        ({"counterparty": "%"}, set()),
        ({"counterparty": "_"}, set()),
        ({"counterparty": "nobody"}, set()),
    ])


def test_q_is_a_case_insensitive_title_substring_with_percent_and_underscore_taken_literally(
        client, auth, portfolio):
    check_cases(client, auth, portfolio, [
        ({"q": "%"}, {"open_science"}),
        ({"q": "100%"}, {"open_science"}),
        ({"q": "_"}, {"japan"}),
        ({"q": "r_d"}, {"japan"}),
        ({"q": "R%D"}, set()),  # as wildcards these would match many titles
        ({"q": "a_c"}, set()),  # ... "Acc"elerator
        ({"q": "MEMORANDUM"}, {"institute", "nairobi", "open_science"}),
        ({"q": "co-operation"}, {"chile", "mongolia", "norway", "korea"}),
        ({"q": "University of Nairobi"}, {"nairobi"}),
        ({"q": "working title"}, set()),  # the title as corrected, not as first recorded
        ({"q": "\\"}, set()),
    ])


def test_q_is_case_insensitive_beyond_ascii(client, auth, services):
    ecole = Walk(services.agreements, "alice", title="Accord avec l'ÉCOLE polytechnique fédérale", kind=ICA,
                 counterparties=[party("EPFL", "institute", "CH")])
    strasse = Walk(services.agreements, "alice", title="Vereinbarung mit der Stadt Straßburg", kind=ICA,
                   counterparties=[party("Stadt Straßburg", "organisation", "FR")])
    services.projections.catch_up()
    assert [i["id"] for i in listed(client, auth, q="Straßburg")] == [str(strasse.id)]
    assert [i["id"] for i in listed(client, auth, q="école")] == [str(ecole.id)]


def test_expires_before_lists_open_agreements_expiring_strictly_before_the_date(client, auth, portfolio):
    """Closed agreements (institute day 30, norway day 150, thailand day -10) are never listed."""
    check_cases(client, auth, portfolio, [
        ({"expires_before": portfolio.day(180)}, {"mongolia", "chile", "ess"}),
        ({"expires_before": portfolio.day(100)}, {"mongolia"}),  # chile expires on day 100 itself
        ({"expires_before": portfolio.day(101)}, {"mongolia", "chile"}),
        ({"expires_before": portfolio.day(2000)}, {"mongolia", "chile", "ess", "cms", "korea"}),
        ({"expires_before": portfolio.day(500)}, {"mongolia", "chile", "ess", "cms"}),  # korea as renewed
        ({"expires_before": portfolio.day(-100)}, set()),
    ])


def test_stalled_for_days_lists_open_agreements_with_no_step_for_that_many_days(
        client, auth, services, portfolio):
    db, mid = services.db, portfolio.mid

    def stalled(days: int, now: datetime, **more: Any) -> list[str]:
        page = queries.list_agreements(db, {"stalled_for_days": days, **more}, sort="updated_at", now=now)
        assert page.total == len(page.items)
        return [portfolio.slug_of(i["id"]) for i in page.items]

    assert stalled(10, mid + timedelta(days=10)) == NOT_TOUCHED_SINCE_MID
    assert stalled(10, mid + timedelta(days=10) - timedelta(minutes=5)) == []
    assert stalled(0, mid) == NOT_TOUCHED_SINCE_MID
    assert set(stalled(30, mid + timedelta(days=400))) == OPEN
    assert stalled(10, mid + timedelta(days=10), stage="drafting") == ["open_science", "spain"]
    # over HTTP, against the real clock: 0 days lists every open agreement, a century none
    check_cases(client, auth, portfolio, [({"stalled_for_days": 0}, OPEN), ({"stalled_for_days": 36500}, set())])


def test_filters_combine_with_and(client, auth, portfolio):
    check_cases(client, auth, portfolio, [
        ({"stage": "drafting", "kind": "memorandum_of_understanding"}, {"nairobi"}),
        ({"status": "draft", "country": "ES"}, {"spain"}),
        ({"kind": "international_cooperation_agreement", "stage": "closed"}, {"norway", "thailand"}),
        ({"counterparty": "republic", "status": "in_force"}, {"chile", "korea"}),
        ({"q": "agreement", "country": "CL"}, {"chile"}),
        ({"stage": "closed", "country": "CL"}, set()),
        ({"stalled_for_days": 0, "kind": "framework_agreement", "expires_before": portfolio.day(365)}, {"ess"}),
    ])


def test_every_row_agrees_with_its_agreement(client, auth, services, portfolio):
    items = {portfolio.slug_of(i["id"]): i for i in listed(client, auth)}
    assert set(items) == ALL
    for slug, item in items.items():
        agreement = services.agreements.get(portfolio.walks[slug].id)
        assert (item["stage"], item["status"], item["kind"], item["title"], item["version"],
                item["legal_clearance"], item["created_by"]) == (
            agreement.stage.value, agreement.status.value, agreement.kind.value, agreement.title,
            agreement.version, agreement.legal_clearance.value, agreement.created_by), slug
        assert item["expires_on"] == (agreement.expires_on.isoformat() if agreement.expires_on else None), slug
        assert item["position"] == portfolio.walks[slug].position, slug
    assert items["korea"]["expires_on"] == portfolio.day(1000)
    assert (items["thailand"]["closed_on"], items["norway"]["closed_on"]) == (portfolio.day(-10), "2025-01-31")
    assert items["chile"]["effective_on"] == "2024-12-01"
    assert items["cms"]["parent_id"] == portfolio.id("chile")
    assert (items["nairobi"]["last_step"], items["nairobi"]["last_actor"]) == ("attach_text", "alice")
    assert (items["thailand"]["last_step"], items["thailand"]["last_actor"]) == ("expire", "carla")
    assert items["spain"]["legal_clearance"] == "changes_requested"
    assert (items["helmholtz"]["countries"], items["helmholtz"]["counterparties"]) == (
        "CH,DE", "Helmholtz Association; Paul Scherrer Institute")
    assert items["open_science"]["countries"] == ""


# ---- sorting ----------------------------------------------------------------------------------------

def test_sort_orders_by_each_sortable_column_then_by_id_in_the_same_direction(client, auth, portfolio):
    default = listed(client, auth)
    assert [r["id"] for r in default] == [r["id"] for r in sorted(default, key=lambda r: (r["updated_at"], r["id"]),
                                                                  reverse=True)], "default: -updated_at"
    assert portfolio.slug_of(default[0]["id"]) == "japan"
    for column in queries.AGREEMENT_SORTABLE:
        if column in ("stage", "status", "kind"):
            assert len({r[column] for r in default}) < len(default), "the fixture must have ties"
        for direction in ("", "-"):
            rows = listed(client, auth, sort=f"{direction}{column}")
            assert slugs(portfolio, rows) == ALL
            present = [r for r in rows if r[column] is not None]
            expected = sorted(present, key=lambda r: (r[column], r["id"]), reverse=direction == "-")
            assert [r["id"] for r in present] == [r["id"] for r in expected], f"{direction}{column}"
            nulls = [i for i, r in enumerate(rows) if r[column] is None]
            if nulls:  # only expires_on may be missing: those rows come together, at one end
                assert nulls in (list(range(len(nulls))), list(range(len(rows) - len(nulls), len(rows))))


def test_agreements_without_an_expiry_date_sort_last_when_soonest_expiry_comes_first(client, auth, services):
    for title, expires_on in (("Never expires", None), ("Expires in 2030", "2030-01-01"),
                              ("Expires in 2040", "2040-01-01")):
        Walk(services.agreements, "alice", title=title, kind=ICA, counterparties=[party("Japan", "state", "JP")],
             **({"expires_on": expires_on} if expires_on else {}))
    services.projections.catch_up()
    assert [r["title"] for r in listed(client, auth, sort="expires_on")] == [
        "Expires in 2030", "Expires in 2040", "Never expires"]
    assert [r["title"] for r in listed(client, auth, sort="-expires_on")] == [
        "Never expires", "Expires in 2040", "Expires in 2030"]


# ---- pagination -------------------------------------------------------------------------------------

def test_pages_split_the_list_without_gaps_or_overlaps_and_link_exactly_where_they_can(client, auth, portfolio):
    everything = [r["id"] for r in listed(client, auth, sort="title")]
    seen = []
    expected_rels = {1: {"first", "last", "next"}, 2: {"first", "last", "prev", "next"},
                     3: {"first", "last", "prev"}, 4: {"first", "last", "prev"}, 9: {"first", "last", "prev"}}
    for page, size in ((1, 5), (2, 5), (3, 3), (4, 0), (9, 0)):
        response = get_list(client, auth, sort="title", page=page, per_page=5)
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "13", page  # right even beyond the last page
        assert len(response.get_json()) == size, page
        seen += [r["id"] for r in response.get_json()]
        rels = links(response)
        assert set(rels) == expected_rels[page], (page, response.headers["Link"])
        assert rels["first"]["page"] == ["1"] and rels["last"]["page"] == ["3"]
        assert all(q["per_page"] == ["5"] and q["sort"] == ["title"] for q in rels.values())
        if "next" in rels:
            assert rels["next"]["page"] == [str(page + 1)]
        if "prev" in rels:
            assert rels["prev"]["page"] == [str(min(page - 1, 3))]  # beyond the end, prev is the last page
    assert seen == everything

    seen = []
    for page in range(1, 14):
        response = get_list(client, auth, sort="title", page=page, per_page=1)
        assert response.status_code == 200 and response.headers["X-Total-Count"] == "13"
        seen += [r["id"] for r in response.get_json()]
        rels = links(response)
        assert ("prev" in rels, "next" in rels) == (page > 1, page < 13), page
        assert rels["last"]["page"] == ["13"]
    assert seen == everything

    response = get_list(client, auth, per_page=500)
    assert response.status_code == 200 and len(response.get_json()) == 13
    assert set(links(response)) == {"first", "last"}


def test_links_keep_the_filters_and_drop_min_position_and_an_empty_list_has_first_and_last_only(
        client, auth, services, portfolio):
    head = services.projections.head()
    response = get_list(client, auth, kind="international_cooperation_agreement", page=2, per_page=2,
                        min_position=head)
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "5"
    rels = links(response)
    assert set(rels) == {"first", "last", "prev", "next"}
    for query in rels.values():
        assert query["kind"] == ["international_cooperation_agreement"] and query["per_page"] == ["2"]
        assert "min_position" not in query
    assert rels["last"]["page"] == ["3"]

    response = get_list(client, auth, country="XX")
    assert response.status_code == 200 and response.get_json() == []
    assert response.headers["X-Total-Count"] == "0"
    rels = links(response)
    assert set(rels) == {"first", "last"} and rels["last"]["page"] == ["1"]


INVALID = [
    {"per_page": 501}, {"per_page": 0}, {"page": 0}, {"page": -1}, {"page": "two"}, {"per_page": "all"},
    {"stage": "review"}, {"status": "active"}, {"kind": "treaty"}, {"country": "cl"}, {"country": "CHL"},
    {"expires_before": "2025-13-01"}, {"expires_before": "next year"}, {"stalled_for_days": -1},
    {"stalled_for_days": "ten"}, {"stalled_for_days": 36501}, {"sort": "id"}, {"sort": "bogus"},
    {"sort": "--title"}, {"q": ""}, {"q": "x" * 301}, {"counterparty": ""}, {"counterparty": "x" * 301},
    {"min_position": -1},
]


def test_invalid_pages_and_filter_values_are_422_problems_naming_the_field(client, auth, services):
    for params in INVALID:
        body = assert_problem(get_list(client, auth, **params), 422)
        assert set(body["errors"]) == set(params), (params, body)


def test_an_unknown_query_parameter_is_a_422_problem(client, auth, services):
    for params in ({"colour": "red"}, {"Stage": "drafting"}, {"sort_by": "title"}):
        body = assert_problem(get_list(client, auth, **params), 422)
        assert set(body["errors"]) == set(params), body


def test_every_reader_may_list_but_an_admin_may_not(client, auth, services):
    for user in ("alice", "bruno", "eva", "farid"):
        assert get_list(client, auth, user).status_code == 200, user
    assert_problem(get_list(client, auth, "gwen"), 403)
    assert_problem(client.get(AGREEMENTS), 401)


# ---- dashboard --------------------------------------------------------------------------------------

def counts(groups: dict[str, set[str]]) -> dict[str, int]:
    return {key: len(members) for key, members in groups.items()}


def test_the_dashboard_counts_by_stage_status_and_kind_and_lists_what_expires_soon(client, auth, portfolio):
    response = client.get(DASHBOARD, headers=auth("farid"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == 13
    assert body["by_stage"] == {"drafting": 3, "negotiation": 2, "signature": 2, "implementation": 3, "closed": 3}
    assert body["by_status"] == {"draft": 3, "under_negotiation": 2, "awaiting_signature": 1, "signed": 1,
                                 "in_force": 2, "suspended": 1, "terminated": 1, "expired": 1, "withdrawn": 1}
    assert body["by_kind"] == {"international_cooperation_agreement": 5, "protocol": 2,
                               "memorandum_of_understanding": 2, "framework_agreement": 2,
                               "collaboration_agreement": 1, "other": 1}
    assert (body["by_stage"], body["by_status"], body["by_kind"]) == (
        counts(BY_STAGE), counts(BY_STATUS), counts(BY_KIND))
    assert body["stalled"] == {"days": 90, "count": 0, "items": []}
    expiring = body["expiring"]
    assert (expiring["days"], expiring["count"]) == (180, 3)
    assert [portfolio.slug_of(i["id"]) for i in expiring["items"]] == ["mongolia", "chile", "ess"]
    assert [i["expires_on"] for i in expiring["items"]] == [portfolio.day(50), portfolio.day(100),
                                                            portfolio.day(170)]
    assert {"id", "title", "stage", "status", "expires_on"} <= set(expiring["items"][0])


def test_the_dashboard_windows_follow_the_query(client, auth, portfolio):
    body = client.get(DASHBOARD, query_string={"stalled_days": 0, "expiring_days": 36500},
                      headers=auth("eva")).get_json()
    assert (body["stalled"]["days"], body["stalled"]["count"]) == (0, 10)
    assert {portfolio.slug_of(i["id"]) for i in body["stalled"]["items"]} == OPEN
    assert [portfolio.slug_of(i["id"]) for i in body["expiring"]["items"]] == [
        "mongolia", "chile", "ess", "cms", "korea"]
    body = client.get(DASHBOARD, query_string={"expiring_days": 0}, headers=auth("eva")).get_json()
    assert body["expiring"] == {"days": 0, "count": 0, "items": []}
    assert_problem(client.get(DASHBOARD, query_string={"stalled_days": -1}, headers=auth("eva")), 422)
    assert_problem(client.get(DASHBOARD, headers=auth("gwen")), 403)


def test_the_dashboard_at_a_given_moment_lists_stalled_and_expiring_agreements(services, portfolio):
    now = portfolio.mid + timedelta(days=10)
    body = queries.dashboard(services.db, stalled_days=10, expiring_days=120, now=now)
    assert body["total"] == 13
    stalled = body["stalled"]
    assert (stalled["days"], stalled["count"]) == (10, 6)
    assert [portfolio.slug_of(i["id"]) for i in stalled["items"]] == NOT_TOUCHED_SINCE_MID
    assert [i["last_step"] for i in stalled["items"]] == [
        "suspend", "record_signature", "record_signature", "created", "complete_legal_review", "renew"]
    expiring = body["expiring"]
    assert [portfolio.slug_of(i["id"]) for i in expiring["items"]] == ["mongolia", "chile"]  # ess: day 170 > 130
    assert expiring["count"] == 2
    later = queries.dashboard(services.db, stalled_days=10, now=datetime.now(UTC) + timedelta(days=1001))
    assert {portfolio.slug_of(i["id"]) for i in later["stalled"]["items"]} == OPEN
    assert later["expiring"]["count"] == 0  # korea's renewed expiry (day 1000) is behind "today" then
