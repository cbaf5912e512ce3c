"""Dates and recorded times as text (domain/dates.py): exactly YYYY-MM-DD, and the views' UTC text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.dates import date_from_text, date_text, time_from_text, time_text


@pytest.mark.parametrize("text", ["2024-01-01", "2024-02-29", "0001-01-01", "9999-12-31"])
def test_a_date_written_as_yyyy_mm_dd_reads_back_as_the_same_text(text):
    assert date_text(date_from_text(text)) == text


def test_a_date_from_text_is_the_calendar_day_it_names():
    assert date_from_text("2025-02-10") == date(2025, 2, 10)


@pytest.mark.parametrize("text", [
    "20240101",  # the ISO basic form, which date.fromisoformat reads
    "2024-W01-1", "2024W011", "2024-W01",  # ISO week dates, which date.fromisoformat reads too
    "2024-001", "2024-1-01", "2024-01-1", " 2024-01-01", "2024-01-01 ", "2024-01-01T00:00", "01/01/2024", "",
    "2024-01-0\u0661",  # a digit that is not ASCII
])
def test_any_other_form_of_a_date_is_refused_with_the_form_it_needs(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        date_from_text(text)


@pytest.mark.parametrize("text", ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "0000-01-01"])
def test_a_day_that_is_not_in_the_calendar_is_refused_as_not_a_real_date(text):
    with pytest.raises(ValueError, match="not a real date"):
        date_from_text(text)


@pytest.mark.parametrize("value", [None, 20240101, date(2024, 1, 1)])
def test_only_text_is_read_as_a_date(value):
    with pytest.raises(ValueError):
        date_from_text(value)


def test_a_recorded_time_is_kept_in_utc_with_microseconds_and_z_so_that_text_order_is_time_order():
    geneva = timezone(timedelta(hours=2))
    assert time_text(datetime(2024, 5, 1, 11, 30, tzinfo=geneva)) == "2024-05-01T09:30:00.000000Z"
    assert time_text(datetime(2024, 5, 1, 9, 30, 0, 5, tzinfo=UTC)) == "2024-05-01T09:30:00.000005Z"
    moments = [datetime(2024, 5, 1, 9, 30, tzinfo=UTC) + timedelta(microseconds=m) for m in (0, 9, 10, 999999)]
    assert sorted(time_text(m) for m in moments) == [time_text(m) for m in moments]


def test_a_recorded_time_reads_back_from_its_text_as_the_same_moment():
    moment = datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert time_from_text(time_text(moment)) == moment
    assert time_from_text(moment.isoformat()) == moment
