"""The participation register after loading the published record (workflows/data/cern-participation.json).

What the register should say is computed here from the data file itself, with the record's documented rules:
- ``member``, ``associate-member`` and ``associate-member-pre-stage`` periods give the capacities ``member``,
  ``associate_member`` and ``associate_member_pre_stage``;
- a ``cooperation-agreement`` period with a known start makes the state a ``cooperation_partner``, unless the
  state holds an institutional capacity that day;
- observers, candidates for accession and the signed-but-not-in-force agreement (Chile) are never listed;
- a year alone is 1 January; ``to`` is the first day the status no longer holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bootstrap import create_app
from bootstrap.seed.history import country_of, load_history, record_date, record_entries
from domain.values import Actor, Role, Target
from projections import queries
from tests.conftest import USERS
from tests.projections.enlargement_walk import ENLARGEMENTS, FAR_FUTURE, PARTICIPATION, register_over_http
from tests.storage.stores import BACKENDS, fresh_store

CAPACITIES = {"member": "member", "associate-member": "associate_member",
              "associate-member-pre-stage": "associate_member_pre_stage"}
OBSERVERS = ("observer", "observer-suspended")
TODAY = datetime.now(UTC).date()
DAY = timedelta(days=1)

Participant = tuple[str, str, str, str, Any]
"""(party, country, capacity, since, until)"""


def periods(entries: list[dict[str, Any]], statuses: Any) -> list[tuple[dict[str, Any], date, date | None]]:
    """The states' periods with one of ``statuses`` and a known start: (entry, began, ended)."""
    return [(e, record_date(e["from"]), record_date(e.get("to"))) for e in entries
            if e["kind"] == "state" and e["status"] in statuses and record_date(e.get("from")) is not None]


def holds(began: date, ended: date | None, day: date) -> bool:
    return began <= day and (ended is None or day < ended)


def expected_on(entries: list[dict[str, Any]], day: date) -> set[Participant]:
    """Who the record says participates on ``day``, in what capacity, since and until when."""
    institutional: dict[str, Participant] = {}
    for entry, began, ended in periods(entries, CAPACITIES):
        if holds(began, ended, day):
            country = country_of(entry["party"])
            assert country not in institutional, f"the record gives {country} two statuses on {day}"
            institutional[country] = (entry["party"], country, CAPACITIES[entry["status"]], began.isoformat(),
                                      ended.isoformat() if ended else None)
    partners: dict[str, Participant] = {}
    for entry, began, ended in periods(entries, ("cooperation-agreement",)):
        country = country_of(entry["party"])
        if holds(began, ended, day) and country not in institutional:
            if country not in partners or began.isoformat() < partners[country][3]:
                partners[country] = (entry["party"], country, "cooperation_partner", began.isoformat(),
                                     ended.isoformat() if ended else None)
    return set(institutional.values()) | set(partners.values())


def as_participants(rows: list[dict[str, Any]]) -> set[Participant]:
    return {(r["party"], r["country"], r["capacity"], r["since"], r["until"]) for r in rows}


def dates_to_check(entries: list[dict[str, Any]]) -> list[date]:
    """Every 1 January from 1954 to this year, every start and end in the record and the day before each, today."""
    days = {date(year, 1, 1) for year in range(1954, TODAY.year + 1)} | {TODAY}
    for entry in entries:
        for key in ("from", "to"):
            if (day := record_date(entry.get(key))) is not None:
                days |= {day, day - DAY}
    return sorted(days)


@pytest.fixture
def entries() -> list[dict[str, Any]]:
    return record_entries()


@pytest.fixture(scope="module", params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One store per backend for the whole module (loading the record takes seconds on PostgreSQL); the tests
    only read, except the one that loads again and must record nothing."""
    with fresh_store(request.param, tmp_path_factory.mktemp("history")) as storage:
        app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage,
                          "PROJECTIONS_IN_PROCESS": False, "READ_WAIT_SECONDS": 1.0})
        try:
            yield app
        finally:
            app.extensions["accord"].close()


@pytest.fixture(scope="module")
def tokens(app) -> dict[str, str]:
    """A bearer token for each test user, issued once per store (a user exists only once)."""
    admin = Actor("pytest@cli", Role.ADMIN)
    return {name: app.extensions["accord"].access.issue_token(admin, name, role) for name, role in USERS.items()}


@pytest.fixture(scope="module")
def loaded(app):
    services = app.extensions["accord"]
    report = load_history(services.agreements, services.enlargements, say=lambda m: None)
    services.projections.catch_up()
    return report


def on(services, day: date | str, known_at: str = FAR_FUTURE) -> list[dict[str, Any]]:
    return queries.participation(services.db, day if isinstance(day, str) else day.isoformat(), known_at)


def capacities_of(services, country: str, day: str) -> list[str]:
    return [p["capacity"] for p in on(services, day) if p["country"] == country]


# ---- the register, date by date ------------------------------------------------------------------


def test_the_data_file_covers_the_cases_the_register_must_get_right(entries):
    """The record has a same-day conversion, a withdrawal and rejoin, and a state still in the pre-stage."""
    estonia = [(e["status"], e["from"], e["to"]) for e in entries if e["party"] == "Estonia"]
    spain = [(e["status"], e["from"], e["to"]) for e in entries if e["party"] == "Spain"]
    cyprus = [(e["status"], e["to"]) for e in entries if e["party"] == "Cyprus"]
    assert [s for s, _, _ in estonia] == ["associate-member-pre-stage", "member"]
    assert estonia[0][2] == estonia[1][1]
    assert [s for s, _, _ in spain] == ["member", "member"] and spain[0][2] < spain[1][1]
    assert cyprus == [("associate-member-pre-stage", None)]
    assert len(dates_to_check(entries)) > 150


def test_on_every_date_the_register_lists_what_the_record_says(services, loaded, entries):
    wrong = []
    for day in dates_to_check(entries):
        expected, got = expected_on(entries, day), as_participants(on(services, day))
        if got != expected:
            wrong.append((day.isoformat(), sorted(got - expected), sorted(expected - got)))
    assert not wrong, wrong[:5]


def test_no_party_is_ever_listed_twice_on_one_day(services, loaded, entries):
    for day in dates_to_check(entries):
        rows = on(services, day)
        assert len({r["country"] for r in rows}) == len(rows), (day, Counter(r["country"] for r in rows))
        assert len({r["party"] for r in rows}) == len(rows), day


def test_the_register_over_http_agrees_with_the_record(client, auth, services, loaded, entries):
    for day in ("1954-09-28", "1954-09-29", "1968-12-31", "1993-07-01", "2014-01-01", "2024-08-30",
                TODAY.isoformat()):
        body = register_over_http(client, auth("farid"), day)
        assert body["on"] == day
        assert body["count"] == len(body["participants"])
        assert as_participants(body["participants"]) == expected_on(entries, date.fromisoformat(day)), day
        assert all(p["source"]["type"] in ("enlargement", "agreement") and p["source"]["id"]
                   for p in body["participants"])


def test_the_register_by_default_answers_for_today_as_known_now(client, auth, services, loaded, entries):
    response = client.get(PARTICIPATION, headers=auth("eva"))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["on"] == TODAY.isoformat()
    assert as_participants(response.get_json()["participants"]) == expected_on(entries, TODAY)


def test_before_the_record_was_loaded_the_register_knew_no_one(services, loaded):
    assert on(services, TODAY, known_at="2000-01-01T00:00:00.000000Z") == []
    assert on(services, TODAY) != []


def test_a_pre_stage_associate_member_becomes_a_member_on_the_day_of_the_conversion(services, loaded):
    """Estonia: Associate Member in the pre-stage from 2021-02-01, Member State from 2024-08-30."""
    assert capacities_of(services, "EE", "2024-08-29") == ["associate_member_pre_stage"]
    assert capacities_of(services, "EE", "2024-08-30") == ["member"]
    assert capacities_of(services, "EE", "2021-02-01") == ["associate_member_pre_stage"]
    assert capacities_of(services, "EE", "2021-01-31") == []


def test_a_state_that_withdrew_and_rejoined_is_listed_only_while_it_was_a_member(services, loaded):
    """Spain: Member State from 1961-01-01 until it withdrew (1968-12-31), again from 1983-01-01."""
    assert capacities_of(services, "ES", "1960-12-31") == []
    assert capacities_of(services, "ES", "1961-01-01") == ["member"]
    assert capacities_of(services, "ES", "1968-12-30") == ["member"]
    assert capacities_of(services, "ES", "1968-12-31") == []
    assert capacities_of(services, "ES", "1969-06-01") == []
    assert capacities_of(services, "ES", "1983-01-01") == ["member"]
    first, second = ([p["source"]["id"] for p in on(services, d) if p["country"] == "ES"]
                     for d in ("1961-01-01", "1983-01-01"))
    assert first != second


def test_a_state_still_in_the_pre_stage_is_listed_so_today(services, loaded):
    [cyprus] = [p for p in on(services, TODAY) if p["country"] == "CY"]

    assert (cyprus["party"], cyprus["capacity"], cyprus["since"], cyprus["until"]) == (
        "Cyprus", "associate_member_pre_stage", "2016-04-01", None)


def test_a_signed_agreement_not_in_force_never_lists_the_state(services, loaded, entries):
    [chile] = [e for e in entries if e["status"] == "associate-member-agreement-signed-not-in-force"]
    country = country_of(chile["party"])

    assert all(country not in {p["country"] for p in on(services, day)} for day in dates_to_check(entries))
    assert queries.timeline(services.db, country, FAR_FUTURE) == []


def test_a_cooperation_partner_that_becomes_an_associate_member_is_listed_once_in_the_new_capacity(
        services, loaded, entries):
    """Latvia: a co-operation agreement from 2016, Associate Member from 2021-08-02 (the record's dates)."""
    [agreement] = [e for e in entries if e["party"] == "Latvia" and e["status"] == "cooperation-agreement"]
    changed_on = record_date(agreement["to"])

    assert capacities_of(services, "LV", (changed_on - DAY).isoformat()) == ["cooperation_partner"]
    assert capacities_of(services, "LV", changed_on.isoformat()) == ["associate_member"]


# ---- one party's timeline ------------------------------------------------------------------------


def test_the_timeline_of_spain_shows_its_two_periods_of_membership(client, auth, services, loaded, entries):
    from_file = [("member", record_date(e["from"]).isoformat(), e["to"] and record_date(e["to"]).isoformat())
                 for e in entries if country_of(e["party"]) == "ES" and e["status"] in CAPACITIES]

    response = client.get(f"{PARTICIPATION}/ES", headers=auth("farid"))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["party"] == "ES"
    got = [(p["capacity"], p["since"], p["until"]) for p in body["periods"]]
    assert got == from_file == [("member", "1961-01-01", "1968-12-31"), ("member", "1983-01-01", None)]
    assert len({p["source"]["id"] for p in body["periods"]}) == 2
    by_name = client.get(f"{PARTICIPATION}/Spain", headers=auth("farid")).get_json()["periods"]
    assert by_name == body["periods"]


def test_every_state_s_timeline_is_its_periods_in_the_record(services, loaded, entries):
    countries = {country_of(e["party"]) for e, _, _ in periods(entries, (*CAPACITIES, "cooperation-agreement"))}
    wrong = []
    for country in sorted(countries):
        expected = sorted(
            (CAPACITIES.get(e["status"], "cooperation_partner"), began.isoformat(), ended and ended.isoformat())
            for e, began, ended in periods(entries, (*CAPACITIES, "cooperation-agreement"))
            if country_of(e["party"]) == country)
        got = sorted((p["capacity"], p["since"], p["until"]) for p in queries.timeline(services.db, country,
                                                                                        FAR_FUTURE))
        if got != expected:
            wrong.append((country, got, expected))
    assert not wrong


# ---- the load itself -----------------------------------------------------------------------------


def test_each_status_period_is_one_enlargement_process_with_the_record_s_dates(client, auth, services, loaded,
                                                                               entries):
    expected = Counter()
    for entry in entries:
        if entry["kind"] == "state" and entry["status"] in (*CAPACITIES,
                                                            "associate-member-agreement-signed-not-in-force"):
            in_force = entry["status"] in CAPACITIES
            began, ended = record_date(entry["from"]), record_date(entry.get("to"))
            expected[(country_of(entry["party"]), CAPACITIES.get(entry["status"], "associate_member"),
                      began.isoformat(), began.isoformat() if in_force else None,
                      ended.isoformat() if ended else None)] += 1

    response = client.get(ENLARGEMENTS, query_string={"per_page": 500}, headers=auth("eva"))

    got = Counter((r["country"], r["target"], r["applied_on"], r["effective_on"], r["ended_on"])
                  for r in response.get_json())
    assert got == expected
    assert int(response.headers["X-Total-Count"]) == sum(expected.values())


def test_the_loaded_steps_are_recorded_by_named_system_users_with_the_source_as_reference(services, loaded,
                                                                                          entries):
    [period] = [e for e in entries if e["party"] == "Serbia" and e["status"] == "member"]
    [process] = services.enlargements.processes_of("RS", Target.MEMBER)

    history = list(services.enlargements.history(process.id))

    assert {h.actor for h in history} == {"history-loader", "history-reviewer"}
    assert {h.reference for h in history} == {period["source"][0]["url"]}
    assert all(period["date_certainty"] in h.reason for h in history)
    assert history[-1].type == "enter_into_force"


def test_loading_again_records_nothing_new(services, loaded):
    recorder = services.app.recorder
    before = recorder.max_notification_id()

    again = load_history(services.agreements, services.enlargements, say=lambda m: None)

    assert recorder.max_notification_id() == before
    assert again.loaded == loaded.loaded
    assert again.skipped == loaded.skipped


def test_the_report_lists_every_observer_as_skipped_with_the_reason(loaded, entries):
    observers = [e for e in entries if e["status"] in OBSERVERS]
    assert observers

    for entry in observers:
        matching = [(label, reason) for label, reason in loaded.skipped
                    if label.startswith(entry["party"] + " ") and f" {entry['status']} " in label
                    and (entry.get("from") or "?") in label]
        assert len(matching) == 1, (entry["party"], entry["status"], loaded.skipped)
        [(_, reason)] = matching
        assert "observer" in reason and "not modelled" in reason


def test_the_report_lists_every_period_it_did_not_load(loaded, entries):
    modelled = periods(entries, (*CAPACITIES, "associate-member-agreement-signed-not-in-force",
                                 "cooperation-agreement"))

    assert len(loaded.loaded) == len(modelled)
    assert len(loaded.skipped) == len(entries) - len(modelled)
    assert all(reason.strip() for _, reason in loaded.skipped)
    assert any("candidate-for-accession" in label for label, _ in loaded.skipped)
