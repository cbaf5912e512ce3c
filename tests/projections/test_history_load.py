"""Loading the published record records what it states and nothing else: every entry once, as an imported
fact with its sources; every value of it traced to the entry, or to a reading that says so; again, nothing;
a changed entry, a revision at its own recorded time, with earlier answers kept as they were known."""

from __future__ import annotations

import calendar
import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from bootstrap.seed import readings
from bootstrap.seed.history import (
    CAPACITIES,
    DATA_FILE,
    country_of,
    entry_keys,
    entry_sha256,
    load_history,
    record_entries,
)
from domain.dates import time_text
from domain.record_dates import Certainty, EndIs, span_of
from domain.recorded import RecordedStatus, Relation
from projections import queries
from tests.projections.enlargement_walk import FAR_FUTURE


@pytest.fixture
def entries() -> list[dict[str, Any]]:
    return record_entries()


@pytest.fixture
def loaded(services, entries):
    report = load_history(services.records, say=lambda m: None)
    services.projections.catch_up()
    return report


def stored_events(services: Any) -> list[Any]:
    recorder = services.app.recorder
    return [services.app.mapper.to_domain_event(n)
            for n in recorder.select_notifications(0, limit=recorder.max_notification_id() + 1)]


def spelled(value: str) -> str:
    """A record date as the notes write it: 1985, January 2018, 11 January 1986."""
    parts = [int(p) for p in value.split("-")]
    words = [str(parts[0])]
    if len(parts) > 1:
        words.insert(0, calendar.month_name[parts[1]])
    if len(parts) > 2:
        words.insert(0, str(parts[2]))
    return " ".join(words)


def lines(period: Any, prefix: str) -> list[str]:
    return [line for line in period.interpretation if line.startswith(prefix)]


def test_every_entry_of_the_record_is_loaded_and_none_skipped(services, loaded, entries):
    assert len(entries) == 64
    assert loaded.outcomes == {"imported": 64}
    assert len(loaded.loaded) == 64 and loaded.skipped == []


def test_the_load_takes_no_workflow_step_on_the_record_s_behalf(services, loaded):
    """No enlargement process, no agreement, no signature, no decision: only the imported entries."""
    events = stored_events(services)
    assert len(events) == 64
    assert all(isinstance(e, RecordedStatus.Imported) for e in events)
    assert {(e.by.name, e.context.reference) for e in events} == {("history-loader", DATA_FILE)}
    assert services.db.query("SELECT COUNT(*) AS n FROM enlargement_list")[0]["n"] == 0
    assert services.db.query("SELECT COUNT(*) AS n FROM agreement_list")[0]["n"] == 0


def _traces(entry: dict[str, Any], value: str | None, text: str | None, period: Any, which: str) -> None:
    """A date is the entry's, or narrower than it by a reading the period states, citing the record."""
    if value == text:
        return
    assert value is not None and text is not None, (entry["party"], which)
    (low, high), (inner_low, inner_high) = span_of(text), span_of(value)
    assert low <= inner_low and inner_high <= high, (entry["party"], which)
    [line] = lines(period, f"{which}: the record's date_certainty gives the month")
    assert entry["date_certainty"].split("(")[-1].split(";")[0].rstrip(")") in line


def test_every_loaded_value_traces_to_its_entry_or_to_a_stated_reading(services, loaded, entries):
    by_key = dict(zip(entry_keys(entries), entries, strict=True))
    events = stored_events(services)
    assert {e.entry_key for e in events} == set(by_key)
    for event in events:
        entry, p = by_key[event.entry_key], event.period
        party = entry["party"]
        assert event.entry_sha256 == entry_sha256(entry)
        assert (p.party, p.party_kind, p.notes, p.scope, p.body) == (
            party, entry["kind"], entry["notes"], entry.get("scope"), entry.get("in_body"))
        assert p.country == (country_of(party) if entry["kind"] == "state" else None)
        assert p.capacity is CAPACITIES[entry["status"]]
        assert p.suspended == (entry["status"] == "observer-suspended")
        assert p.relation is (Relation.HELD_BY_ORGANISATION if party == "CERN" else Relation.WITH_ORGANISATION)
        # the start: the entry's, or unknown; alternatives and bounds only from sources the entry names
        _traces(entry, p.began.value, entry.get("from"), p, "began")
        expected_certainty = (Certainty.UNKNOWN if entry.get("from") is None
                              else Certainty.CONFLICTING if p.began.alternatives
                              else Certainty.APPROXIMATE if entry["date_certainty"] == "approximate"
                              else Certainty.EXACT)
        assert p.began.certainty is expected_certainty, party
        for alternative in p.began.alternatives:
            assert (alternative.source_title in {s["title"] for s in entry["source"]}
                    or ("JINR" in alternative.source_title and "JINR" in entry["notes"])), party
            assert spelled(alternative.value) in entry["notes"], party
        if p.began.alternatives:
            assert lines(p, "began: sources conflict"), party
        for bound in (p.began.not_before, p.began.not_after):
            if bound is not None:
                assert bound[:4] in entry["notes"] and lines(p, "began: bounded by the notes"), party
        # the end: the entry's, or the day a state ceased, with its source named
        if entry.get("to") is not None:
            _traces(entry, p.ended.value, entry["to"], p, "ended")
        elif p.ended is not None:
            [state] = [n for n in readings.CESSATIONS if party.startswith(n)]
            day, source, _ = readings.CESSATIONS[state]
            assert p.ended.value == day and source in p.sources and lines(p, "ended: "), party
        if p.ended is not None:
            assert len(lines(p, "end_is: ")) == 1, party
            assert (p.end_is is EndIs.LAST_DAY) == ("last day" in lines(p, "end_is: ")[0]), party
        else:
            assert entry.get("to") is None
        if p.suspension is not None:
            assert p.suspension.began.value == entry["suspended_from"] and lines(p, "suspension: "), party
        # the sources: the entry's, all of them, in order; any other only with the reading that needs it
        cited = tuple((s["title"], s.get("url")) for s in entry["source"])
        assert tuple((s.title, s.url) for s in p.sources[:len(cited)]) == cited, party
        assert len(p.sources) == len(cited) or lines(p, "ended: "), party


def test_loading_again_records_nothing(services, loaded):
    before = services.app.recorder.max_notification_id()

    again = load_history(services.records, say=lambda m: None)

    assert services.app.recorder.max_notification_id() == before
    assert again.outcomes == {"unchanged": 64}


def test_a_changed_entry_is_recorded_as_a_revision_and_earlier_answers_stay_as_they_were_known(
        services, loaded, entries):
    """Lithuania's start, 'January 2018' in the record, later found to be 9 January 2018."""
    before_revision = time_text(datetime.now(UTC))
    changed = copy.deepcopy(entries)
    [lithuania] = [e for e in changed if e["party"] == "Lithuania"]
    lithuania.update({"from": "2018-01-09", "date_certainty": "exact"})

    report = load_history(services.records, say=lambda m: None, entries=changed)
    services.projections.catch_up()

    assert report.outcomes == {"revised": 1, "unchanged": 63}
    [revised] = [e for e in stored_events(services) if isinstance(e, RecordedStatus.Revised)]
    [imported] = [e for e in stored_events(services)
                  if isinstance(e, RecordedStatus.Imported) and e.originator_id == revised.originator_id]
    assert revised.timestamp > imported.timestamp and revised.period.began.value == "2018-01-09"

    def lithuania_on(day: str, known_at: str) -> tuple[str, bool] | None:
        row = next((p for p in queries.participation(services.db, day, known_at) if p["country"] == "LT"), None)
        return row and (row["since"], row["certain"])

    assert lithuania_on("2018-01-05", before_revision) == ("2018-01-01", False)
    assert lithuania_on("2018-01-05", FAR_FUTURE) is None
    assert lithuania_on("2018-01-09", FAR_FUTURE) == ("2018-01-09", True)
    [period] = queries.timeline(services.db, "LT", FAR_FUTURE)
    assert period["recorded_at"] == time_text(revised.timestamp)
    assert load_history(services.records, say=lambda m: None, entries=changed).outcomes == {"unchanged": 64}


def test_a_revision_that_would_end_a_period_before_it_starts_is_refused(services, loaded, entries):
    from domain.errors import InvalidValueError

    changed = copy.deepcopy(entries)
    [estonia] = [e for e in changed if e["party"] == "Estonia" and e["status"] == "member"]
    estonia["to"] = "2024-01-01"
    before = services.app.recorder.max_notification_id()

    with pytest.raises(InvalidValueError, match="end before it starts"):
        load_history(services.records, say=lambda m: None, entries=changed)

    assert services.app.recorder.max_notification_id() == before
