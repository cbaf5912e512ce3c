"""Clumsy and hostile requests beyond the fields of a step, through the real API on SQLite and PostgreSQL:
integers in query parameters, timestamps, normalised text, HTTP headers and methods, and the one shape of
every 4xx problem."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.errors import TITLES
from bootstrap import create_app
from domain import dates
from domain.values import Actor, Role
from tests.contract import hostile

API = "/api/v1"
PROBLEM = "application/problem+json"
ADMIN = Actor("pytest@cli", Role.ADMIN)
AGREEMENT = {"title": "Protocol with the Republic of Chile", "kind": "protocol",
             "counterparties": [{"name": "Republic of Chile", "kind": "state", "country": "CL"}]}


def check(examples: int = 40):
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def is_problem(response, *statuses: int) -> dict:
    """A problem of the one shape: a URN type of ours, the status's standard title, a detail."""
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["type"].startswith("urn:accord:problem:"), problem
    assert problem["title"] == TITLES[response.status_code], problem
    assert problem["status"] == response.status_code and problem["detail"]
    return problem


@pytest.fixture
def agreement(client, auth) -> dict:
    response = client.post(f"{API}/agreements", json=AGREEMENT, headers=auth("alice"))
    assert response.status_code == 201
    return response.get_json()


INTEGER_QUERIES = ["agreements?page={}", "agreements?per_page={}", "agreements?min_position={}",
                   "agreements?stalled_for_days={}", "enlargements?page={}", "enlargements?per_page={}",
                   "agreements/{id}?version={}", "agreements/{id}/history?page={}",
                   "agreements/{id}/history?per_page={}",
                   "agreements/{id}/diff?from=1&to={}", "audit/journal?after={}", "audit/journal?limit={}",
                   "dashboard?stalled_days={}", "dashboard?expiring_days={}", "participation?min_position={}"]


def test_integers_in_any_form_but_the_one_are_refused_in_every_query(client, auth, agreement):
    """1_000, ١٢, +1, 1e3, 5,000 digits or 2**200 as a page, a version, a position...: 400 or 422, never 500."""

    @check(60)
    @given(query=st.sampled_from(INTEGER_QUERIES), number=hostile.hostile_integer_text())
    def send(query, number):
        url = f"{API}/" + query.replace("{id}", agreement["id"]).format(number.replace("&", "%26"))
        is_problem(client.get(url, headers=auth("eva")), 400, 422)

    send()


def test_an_integer_too_long_to_convert_is_refused_in_every_body(client, auth, agreement):
    digits = "9" * 5000
    bodies = {f"{API}/agreements": f'{{"title": {digits}}}', f"{API}/audit/verify": f'{{"position": {digits}}}',
              f"{API}/agreements/{agreement['id']}/steps/withdraw": f'{{"reason": {digits}}}'}
    for url, body in bodies.items():
        response = client.post(url, data=body, content_type="application/json",
                               headers=auth("alice" if "verify" not in url else "eva", **{"If-Match": '"1"'}))
        is_problem(response, 400, 422)


@pytest.mark.parametrize("as_of", ["2024-05-01 09:30:00", "2024-05-01T9:30", "20240501T093000Z", "2024-05-01",
                                   "2024-W18-3T09:30:00Z", "2024-05-01T09:30:00+0200", "2024-05-01T09:30:00z",
                                   "2024-05-01T25:00:00Z", "2024-05-01T09:30:00.1234567Z", "１２"])
def test_a_timestamp_in_another_form_than_rfc_3339_is_refused(client, auth, agreement, as_of):
    is_problem(client.get(f"{API}/agreements/{agreement['id']}", query_string={"as_of": as_of},
                          headers=auth("eva")), 422)


def test_timestamps_are_written_in_rfc_3339_with_z_everywhere(client, auth, agreement, services):
    services.projections.catch_up()
    stamps = [agreement["created_at"], agreement["updated_at"]]
    stamps += [e["recorded_at"] for e in client.get(f"{API}/agreements/{agreement['id']}/history",
                                                    headers=auth("eva")).get_json()]
    stamps += [e["recorded_at"] for e in client.get(f"{API}/audit/journal", headers=auth("eva")).get_json()]
    listed = client.get(f"{API}/agreements", headers=auth("eva")).get_json()
    stamps += [row[k] for row in listed for k in ("created_at", "updated_at") if k in row]
    assert len(stamps) >= 4
    for stamp in stamps:
        assert stamp.endswith("Z") and "+00:00" not in stamp and stamp[10] == "T", stamp
    as_of = client.get(f"{API}/agreements/{agreement['id']}", query_string={"as_of": agreement["created_at"]},
                       headers=auth("eva"))
    assert as_of.status_code == 200  # what is written is read back


def test_names_and_titles_are_kept_in_nfc_without_surrounding_spaces(client, auth, services):
    @check(20)
    @given(title=hostile.clumsy_text(), party=hostile.clumsy_text())
    def send(title, party):
        (typed_title, kept_title), (typed_party, kept_party) = title, party
        body = {**AGREEMENT, "title": typed_title,
                "counterparties": [{"name": typed_party, "kind": "state", "country": "CL"}]}
        response = client.post(f"{API}/agreements", json=body, headers=auth("alice"))
        assert response.status_code == 201, response.get_json()
        state = response.get_json()
        assert state["title"] == kept_title
        assert state["counterparties"][0]["name"] == kept_party
        assert unicodedata.is_normalized("NFC", state["title"])

    send()


def test_a_lone_surrogate_in_a_field_name_is_refused_not_a_server_error(client, auth, agreement):
    for url in (f"{API}/agreements", f"{API}/agreements/{agreement['id']}/steps/withdraw"):
        response = client.post(url, data='{"\\ud800": 1}', content_type="application/json",
                               headers=auth("alice", **{"If-Match": '"1"'}))
        is_problem(response, 422)


def test_every_kind_of_4xx_has_the_one_problem_shape(client, auth, agreement):
    step = f"{API}/agreements/{agreement['id']}/steps/withdraw"
    answers = {
        400: client.post(f"{API}/agreements", data="{", content_type="application/json", headers=auth("alice")),
        401: client.get(f"{API}/agreements"),
        403: client.post(f"{API}/agreements", json=AGREEMENT, headers=auth("eva")),
        404: client.get(f"{API}/agreements/{agreement['id'][:-1]}0", headers=auth("eva")),
        405: client.delete(f"{API}/agreements", headers=auth("alice")),
        409: client.post(step, json={}, headers=auth("alice", **{"If-Match": '"7"'})),
        412: client.post(step, json={}, headers=auth("alice")),
        413: client.post(f"{API}/agreements", data="[" + " " * 300_000 + "]", content_type="application/json",
                         headers=auth("alice")),
        415: client.post(f"{API}/agreements", data="title=x", content_type="text/plain", headers=auth("alice")),
        422: client.post(f"{API}/agreements", json={**AGREEMENT, "title": "\u202e"}, headers=auth("alice")),
    }
    unknown_route = client.get(f"{API}/no-such-thing", headers=auth("eva"))
    for status, response in [*answers.items(), (404, unknown_route)]:
        is_problem(response, status)
    assert "GET" in answers[405].headers["Allow"] and "POST" in answers[405].headers["Allow"]


def test_options_answers_with_the_allowed_methods_without_a_token(client, agreement):
    for url, methods in ((f"{API}/agreements", {"GET", "POST"}), (f"{API}/agreements/{agreement['id']}", {"GET"})):
        response = client.options(url)
        assert response.status_code in (200, 204)
        assert methods <= {m.strip() for m in response.headers["Allow"].split(",")}
        assert not response.get_data()


@pytest.mark.parametrize("key", ["clé-1", "key\x7f", "   ", "k" * 201, "key\x01"])
def test_an_idempotency_key_outside_printable_ascii_is_refused_and_records_nothing(client, auth, services, key):
    head = services.app.recorder.max_notification_id()
    response = client.post(f"{API}/agreements", json=AGREEMENT, headers=auth("alice", **{"Idempotency-Key": key}))
    assert is_problem(response, 400)["type"] == "urn:accord:problem:bad-idempotency-key"
    assert services.app.recorder.max_notification_id() == head


def test_the_plausible_range_of_dates_is_configured_by_the_deployment(storage):
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
                      "EARLIEST_DATE": "1990-01-01", "DATE_YEARS_AHEAD": 10})
    try:
        officer = app.extensions["accord"].access.issue_token(ADMIN, "alice", Role.IR_OFFICER)
        client = app.test_client()
        body = {"state": {"name": "Republic of Estonia", "country": "EE"}, "target": "associate_member"}
        headers = {"Authorization": f"Bearer {officer}"}
        refused = client.post(f"{API}/enlargements", json={**body, "applied_on": "1989-12-31"}, headers=headers)
        assert "plausible_date" in str(is_problem(refused, 422)["errors"]["applied_on"])
        assert client.post(f"{API}/enlargements", json={**body, "applied_on": "1990-01-01"},
                           headers=headers).status_code == 201
    finally:
        app.extensions["accord"].close()
        dates.use_plausible_dates(dates.PlausibleDates().earliest, dates.PlausibleDates().years_ahead)
    with pytest.raises(ValueError, match="EARLIEST_DATE"):
        create_app({"TESTING": True, "STORAGE": storage, "EARLIEST_DATE": "1990-1-1"})
