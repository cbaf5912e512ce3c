"""How pages write times: exact UTC times, with a relative hint rounded to the nearest unit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from web.formatting import relative, utc_time

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_time_is_written_in_utc_and_labelled_so():
    assert utc_time(datetime(2026, 3, 2, 10, 5, tzinfo=UTC)) == "2026-03-02 10:05 UTC"
    assert utc_time(None) == ""


def test_the_hint_rounds_to_the_nearest_unit_ahead_or_behind():
    assert relative(NOW + timedelta(hours=71, minutes=59), NOW) == "in 3 days"
    assert relative(NOW - timedelta(days=95), NOW) == "3 months ago"
    assert relative(NOW + timedelta(minutes=1), NOW) == "in 1 minute"
    assert relative(NOW + timedelta(seconds=20), NOW) == "now"
    assert relative(date(2026, 3, 2), NOW) == "today"
    assert relative(date(2024, 8, 30), NOW) == "2 years ago"
