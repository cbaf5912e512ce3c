"""The participation register after loading the published record (bootstrap/seed/data/cern-participation.json).

What the register should say is computed here from the data file itself, with its own date arithmetic and the
readings of the record that bootstrap/seed/readings.py lists (what an end names, a month given only in
``date_certainty``, alternative values and bounds named in the notes, the day a state ceased to exist):
- a date is as precise as the record: "2014" may be any day of 2014, so a period holds *possibly* from the
  first day its start may be, and *certainly* from the last; likewise for its end; an unknown start makes the
  period uncertain until its end;
- every status is listed (member, associate member, pre-stage, candidate for accession, observer with its scope
  and suspension, cooperation partner), one row per party and day: a status it certainly holds first, then
  the highest; the others it holds that day under ``also``; an agreement signed and not in force never;
- CERN's own observer status at the UN General Assembly is never among the participants.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bootstrap import create_app
from bootstrap.seed import readings
from bootstrap.seed.history import country_of, entry_keys, load_history, record_entries
from domain.recorded import RecordedStatus
from projections import queries
from tests.projections.enlargement_walk import FAR_FUTURE, PARTICIPATION, register_over_http
from tests.storage.stores import BACKENDS, fresh_store

CAPACITIES = {"member": "member", "associate-member": "associate_member",
              "associate-member-pre-stage": "associate_member_pre_stage",
              "candidate-for-accession": "candidate_for_accession", "observer": "observer",
              "observer-suspended": "observer", "cooperation-agreement": "cooperation_partner"}
RANK = ("member", "associate_member_pre_stage", "associate_member", "candidate_for_accession", "observer",
        "cooperation_partner")
TODAY = datetime.now(UTC).date()
DAY = timedelta(days=1)
LOW, HIGH = date(1, 1, 1), date(9999, 12, 31)


def span(text: str) -> tuple[date, date]:
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        return date(*parts, 1), date(*parts, calendar.monthrange(*parts)[1])
    return date(*parts), date(*parts)


def reading(table: dict, entry: dict[str, Any]) -> Any:
    for (party, status, began), value in table.items():
        if entry["party"].startswith(party) and entry["status"] == status and entry.get("from") == began:
            return value
    return None


def cessation(entry: dict[str, Any]) -> date | None:
    for name, (day, _, _) in readings.CESSATIONS.items():
        if entry["party"].startswith(name):
            return date.fromisoformat(day)
    return None


class Expected:
    """One period as the record (and its listed readings) says: possibly from .. until, certainly from .. until
    (exclusive ends; None: open)."""

    def __init__(self, entry: dict[str, Any], began: tuple[date, date] | None, ended: tuple[date, date] | None,
                 suspended: bool):
        self.entry, self.suspended = entry, suspended
        self.possible_from, self.certain_from = began if began else (LOW, HIGH)
        self.certain_until, self.possible_until = ended if ended else (None, None)
        self.capacity = CAPACITIES[entry["status"]]
        self.key = country_of(entry["party"]) if entry["kind"] == "state" else entry["party"].casefold()

    def holds(self, day: date) -> str | None:
        if self.certain_from <= day and (self.certain_until is None or day < self.certain_until):
            return "certain"
        if self.possible_from <= day and (self.possible_until is None or day < self.possible_until):
            return "possible"
        return None


def expected_periods(entry: dict[str, Any]) -> list[Expected]:
    """The periods an entry states, computed from the entry and the readings the loader documents."""
    if entry["status"] == "associate-member-agreement-signed-not-in-force" or entry["party"] == "CERN":
        return []
    month = reading(readings.MONTHS, entry)
    start = month[1] if month and month[0] == "began" else entry.get("from")
    end = month[1] if month and month[0] == "ended" else entry.get("to")
    starts = [span(v) for v in [start, *(v for v, _ in reading(readings.ALTERNATIVES, entry) or [])] if v]
    began = (min(s[0] for s in starts), max(s[1] for s in starts)) if starts else None
    if (bound := reading(readings.BOUNDS, entry)) is not None:
        low, high = bound[0] and span(bound[0])[0], bound[1] and span(bound[1])[1]
        began = ((max(began[0], low) if low else began[0], min(began[1], high) if high else began[1]) if began
                 else (low or LOW, high or HIGH))
    shift = DAY if reading(readings.LAST_DAY, entry) else timedelta(0)
    ceased = cessation(entry)
    ended = ((span(end)[0] + shift, span(end)[1] + shift) if end
             else (ceased, ceased) if ceased else None)
    periods = [Expected(entry, began, ended, entry["status"] == "observer-suspended")]
    if entry.get("suspended_from"):
        suspended = date.fromisoformat(entry["suspended_from"])
        periods.append(Expected(entry, (suspended, suspended), (ceased, ceased) if ceased else None, True))
    return periods


def all_periods(entries: list[dict[str, Any]]) -> list[Expected]:
    return [p for e in entries for p in expected_periods(e)]


Listed = tuple[str, str, bool, bool, str | None]
"""(party, capacity, certain, suspended, scope)"""


def expected_on(periods: list[Expected], day: date) -> dict[str, tuple[Listed, list[Listed]]]:
    """Party key -> (the row listed, the party's other statuses that day)."""
    by_party: dict[str, list[tuple[Expected, str]]] = {}
    for p in periods:
        if (holds := p.holds(day)) is not None:
            by_party.setdefault(p.key, []).append((p, holds))
    answer = {}
    for key, held in by_party.items():
        held.sort(key=lambda h: (h[1] != "certain", RANK.index(h[0].capacity), h[0].possible_from))
        rows = [(p.entry["party"], p.capacity, holds == "certain", p.suspended, p.entry.get("scope"))
                for p, holds in held]
        answer[key] = (rows[0], sorted(rows[1:], key=repr))
    return answer


def got_on(services: Any, day: date) -> dict[str, tuple[Listed, list[Listed]]]:
    answer = {}
    for p in queries.participation(services.db, day.isoformat(), FAR_FUTURE):
        key = p["country"] if p["kind"] == "state" else p["party"].casefold()
        assert key not in answer, f"{key} listed twice on {day}"
        listed = [(x["party"], x["capacity"], x["certain"], x["suspended"], x["scope"]) for x in [p, *p["also"]]]
        answer[key] = (listed[0], sorted(listed[1:], key=repr))
    return answer


def dates_to_check(periods: list[Expected]) -> list[date]:
    """Every day where the record changes (a possible or certain start or end) and the day before each,
    every 1 January from 1954, and today."""
    days = {date(year, 1, 1) for year in range(1954, TODAY.year + 1)} | {TODAY}
    for p in periods:
        for day in (p.possible_from, p.certain_from, p.certain_until, p.possible_until):
            if day is not None and LOW < day < HIGH:
                days |= {day, day - DAY}
    return sorted(days)


@pytest.fixture(scope="module")
def entries() -> list[dict[str, Any]]:
    return record_entries()


@pytest.fixture(scope="module", params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One store per backend for the whole module, the record loaded once; the tests only read."""
    with fresh_store(request.param, tmp_path_factory.mktemp("history")) as storage:
        app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage,
                          "PROJECTIONS_IN_PROCESS": False, "READ_WAIT_SECONDS": 1.0})
        services = app.extensions["accord"]
        load_history(services.records, say=lambda m: None)
        services.projections.catch_up()
        try:
            yield app
        finally:
            services.close()


@pytest.fixture(scope="module")
def tokens(app) -> dict[str, str]:
    from domain.values import Actor, Role
    from tests.conftest import USERS
    admin = Actor("pytest@cli", Role.ADMIN)
    return {name: app.extensions["accord"].access.issue_token(admin, name, role) for name, role in USERS.items()}


def on(services: Any, day: str) -> list[dict[str, Any]]:
    return queries.participation(services.db, day, FAR_FUTURE)


def listed(services: Any, key: str, day: str) -> dict[str, Any] | None:
    return next((p for p in on(services, day) if key in (p["country"], p["party"])), None)


# ---- the register, date by date ------------------------------------------------------------------


def test_the_checked_dates_cover_every_change_of_the_record(entries):
    periods = all_periods(entries)
    days = dates_to_check(periods)
    assert len(days) > 150
    assert {date(1968, 12, 31), date(1969, 1, 1), date(2018, 1, 30), date(2018, 1, 31), date(1985, 1, 1),
            date(1986, 1, 11), date(1991, 12, 26), date(2003, 2, 4)} <= set(days)


def test_on_every_date_the_register_lists_what_the_record_says_with_certainty(services, entries):
    periods = all_periods(entries)
    wrong = []
    for day in dates_to_check(periods):
        expected, got = expected_on(periods, day), got_on(services, day)
        if got != expected:
            diff = {k: (got.get(k), expected.get(k)) for k in set(got) | set(expected) if got.get(k) != expected.get(k)}
            wrong.append((day.isoformat(), diff))
    assert not wrong, wrong[:3]


def test_every_status_of_the_record_is_answered_on_some_day(services, entries):
    seen = set()
    for day in dates_to_check(all_periods(entries)):
        for p in on(services, day.isoformat()):
            for x in (p, *p["also"]):
                seen.add((x["capacity"], x["certain"], x["suspended"]))
    assert {(c, True, False) for c in RANK} <= seen
    assert {("member", False, False), ("observer", False, False), ("observer", True, True),
            ("associate_member", False, False), ("cooperation_partner", False, False)} <= seen


# ---- the cases, one by one -----------------------------------------------------------------------


def test_a_date_inside_a_month_only_start_is_answered_uncertain(services):
    """Lithuania: Associate Member 'January 2018', the day not confirmed."""
    assert listed(services, "LT", "2017-12-31") is None
    january = listed(services, "LT", "2018-01-15")
    assert (january["capacity"], january["certain"], january["since"]) == ("associate_member", False, "2018-01-01")
    assert january["start"]["precision"] == "month" and january["start"]["value"] == "2018-01"
    assert listed(services, "LT", "2018-02-01")["certain"] is True


def test_a_year_only_start_is_not_1_january(services):
    """Turkey: observer from 1961 (year only): uncertain all 1961, certain from 31 December 1961."""
    assert listed(services, "TR", "1960-12-31") is None
    assert listed(services, "TR", "1961-01-01")["certain"] is False
    assert listed(services, "TR", "1961-12-30")["certain"] is False
    assert listed(services, "TR", "1961-12-31")["certain"] is True


def test_conflicting_sources_are_kept_each_with_its_source(services, entries):
    """Portugal: 1 January 1986 (CERN timeline), 1985 (home.cern), 11 January 1986 (LIP)."""
    [portugal] = [e for e in entries if e["party"] == "Portugal"]
    assert listed(services, "PT", "1984-12-31") is None
    row = listed(services, "PT", "1985-06-01")
    assert (row["capacity"], row["certain"]) == ("member", False)
    assert row["start"]["certainty"] == "conflicting"
    alternatives = {(a["value"], a["source"]["url"]) for a in row["start"]["alternatives"]}
    urls = {s["title"]: s["url"] for s in portugal["source"]}
    assert alternatives == {("1985", urls["CERN – Our Member States (home.cern)"]),
                            ("1986-01-11", next(u for t, u in urls.items() if t.startswith("LIP")))}
    assert listed(services, "PT", "1986-01-10")["certain"] is False
    assert listed(services, "PT", "1986-01-11")["certain"] is True


def test_an_unknown_start_stays_unknown(services):
    """Belarus: a cooperation agreement whose start no source gives, ended 27 June 2024."""
    row = listed(services, "BY", "2020-01-01")
    assert (row["capacity"], row["since"], row["certain"]) == ("cooperation_partner", None, False)
    assert row["start"]["certainty"] == "unknown" and row["start"]["value"] is None
    assert listed(services, "BY", "2024-06-27") is None
    [period] = queries.timeline(services.db, "BY", FAR_FUTURE)
    assert (period["since"], period["until"], period["certain"]) == (None, "2024-06-27", False)


def test_bounds_the_notes_give_an_unknown_start_are_kept(services):
    """JINR: absent from the June 2010 observer list, present in the 2017 one; suspended 25 March 2022."""
    jinr = "JINR (Joint Institute for Nuclear Research)"
    assert listed(services, jinr, "2010-05-31") is None
    assert listed(services, jinr, "2012-01-01")["certain"] is False
    assert listed(services, jinr, "2017-12-31")["certain"] is True
    suspended = listed(services, jinr, "2022-03-25")
    assert (suspended["capacity"], suspended["suspended"], suspended["certain"]) == ("observer", True, True)


def test_an_observer_status_is_suspended_and_its_scope_kept(services):
    """Russian Federation: observer (start 1993 or 1995), suspended 8 March 2022; Japan: LHC and HL-LHC."""
    before = listed(services, "RU", "2022-03-07")
    assert (before["capacity"], before["suspended"]) == ("observer", False)
    assert [a["capacity"] for a in before["also"]] == ["cooperation_partner"]
    after = listed(services, "RU", "2022-03-08")
    assert (after["capacity"], after["suspended"]) == ("observer", True)
    assert listed(services, "RU", "1993-06-01")["capacity"] == "cooperation_partner" or \
        listed(services, "RU", "1993-06-01")["certain"] is False
    assert listed(services, "RU", "1995-06-23")["certain"] is True
    japan = listed(services, "JP", TODAY.isoformat())
    assert {japan["scope"], *(a["scope"] for a in japan["also"])} == {
        "LHC (special observer; restricted sessions on LHC matters)", "HL-LHC"}


def test_the_candidate_for_accession_is_listed_until_membership(services):
    """Romania: Candidate for Accession from 12 November 2010, Member State from 17 July 2016."""
    assert listed(services, "RO", "2010-11-11") is None
    assert listed(services, "RO", "2010-11-12")["capacity"] == "candidate_for_accession"
    assert listed(services, "RO", "2016-07-16")["capacity"] == "candidate_for_accession"
    assert listed(services, "RO", "2016-07-17")["capacity"] == "member"


def test_ends_as_they_happened(services):
    """Spain's withdrawal took effect at the end of 1968 (its last day as a Member State); the CSFR's last day
    was 31 December 1992, its successors' first 1 July 1993; the USSR's agreement ends when the USSR ceased
    (26 December 1991), the Russian Federation's begins on 30 October 1993; Yugoslavia left in 1961 (the day
    is not known) and its suspended observer status ends with the state (4 February 2003)."""
    assert listed(services, "ES", "1968-12-31")["capacity"] == "member"
    assert listed(services, "ES", "1969-01-01") is None
    assert listed(services, "CS", "1992-12-31")["capacity"] == "member"
    assert listed(services, "CS", "1993-01-01") is None
    assert listed(services, "CZ", "1993-06-30") is None and listed(services, "CZ", "1993-07-01") is not None
    assert listed(services, "SU", "1991-12-25")["capacity"] == "cooperation_partner"
    assert listed(services, "SU", "1991-12-26") is None
    assert listed(services, "RU", "1993-10-30")["capacity"] in ("observer", "cooperation_partner")
    member = listed(services, "YU", "1961-06-01")
    assert (member["capacity"], member["certain"]) == ("member", False)
    assert listed(services, "YU", "1960-12-31")["certain"] is True
    assert listed(services, "YU", "1962-01-01")["capacity"] == "observer"
    suspended = listed(services, "YU", "2000-01-01")
    assert (suspended["capacity"], suspended["suspended"]) == ("observer", True)
    assert listed(services, "YU", "2003-02-04") is None


def test_an_agreement_signed_and_not_in_force_is_in_the_timeline_never_on_a_date(services, entries):
    [chile] = [e for e in entries if e["status"] == "associate-member-agreement-signed-not-in-force"]
    assert all(listed(services, "CL", day.isoformat()) is None for day in dates_to_check(all_periods(entries)))
    [period] = queries.timeline(services.db, "CL", FAR_FUTURE)
    assert (period["capacity"], period["since"]) == ("associate_member_signed", chile["from"])


def test_cern_s_own_observer_status_is_a_relation_the_other_way(services):
    """CERN, observer at the UN General Assembly since 14 December 2012: not one of CERN's own observers."""
    for day in ("2012-12-14", TODAY.isoformat()):
        assert all(p["party"] != "CERN" for p in on(services, day))
    assert queries.held_by_organisation(services.db, "2012-12-13", FAR_FUTURE) == []
    [held] = queries.held_by_organisation(services.db, "2012-12-14", FAR_FUTURE)
    assert (held["party"], held["capacity"], held["body"], held["relation"]) == (
        "CERN", "observer", "United Nations General Assembly", "held_by_organisation")


def test_every_row_carries_all_of_its_entry_s_sources(services, entries):
    by_id = {str(RecordedStatus.create_id(key)): entry for entry, key in zip(entries, entry_keys(entries),
                                                                              strict=True)}
    rows = [r for p in ("CERN", *{country_of(e["party"]) or e["party"] for e in entries})
            for r in queries.timeline(services.db, p, FAR_FUTURE)]
    assert {r["source"]["id"] for r in rows} == set(by_id)
    for row in rows:
        entry = by_id[row["source"]["id"]]
        cited = [{"title": s["title"], "url": s.get("url")} for s in entry["source"]]
        assert row["sources"][:len(cited)] == cited, row["party"]
        assert len(row["sources"]) == len(cited) or any(i.startswith(("ended:", "suspension:"))
                                                        for i in row["interpretation"]), row["party"]


# ---- over HTTP -----------------------------------------------------------------------------------


def test_the_register_over_http_shows_certainty_sources_and_the_organisation_s_own_status(client, auth):
    body = register_over_http(client, auth("farid"), "2018-01-15")

    assert body["count"] == len(body["participants"])
    lithuania = next(p for p in body["participants"] if p["country"] == "LT")
    assert (lithuania["certain"], lithuania["start"]["precision"]) == (False, "month")
    assert all(p["sources"] for p in body["participants"])
    assert [h["body"] for h in body["held_by_organisation"]] == ["United Nations General Assembly"]
    timeline = client.get(f"{PARTICIPATION}/ES", headers=auth("farid")).get_json()["periods"]
    assert [(p["since"], p["until"], p["end_is"]) for p in timeline] == [
        ("1961-01-01", "1969-01-01", "last_day"), ("1983-01-01", None, "first_day_without")]
