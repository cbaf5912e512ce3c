"""The rule on text the record keeps (``domain.text``): what is refused, and the one form of what is kept."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest

from domain import dates
from domain.dates import PlausibleDates, plausible_date
from domain.errors import InvalidValueError
from domain.text import clean_text, text_refusal


@pytest.mark.parametrize(("text", "why"), [
    ("a\ud800b", "lone surrogate"), ("\udfff", "lone surrogate"), ("a\x00b", "control"), ("a\x1bb", "control"),
    ("a\x85b", "control"), ("a\u202eb", "bidirectional"), ("a\u2066b\u2069", "bidirectional"),
    ("a\ufffeb", "noncharacter"), ("a\U0010ffff", "noncharacter"), ("\u200b\u200d", "invisible"),
    ("\u3164", "invisible"), (" \u00a0\u3000", "invisible"), ("", "invisible"), ("a\nb", "control"),
    ("a\tb", "control"), ("a\u2028b", "line separator"),
])
def test_a_line_refuses_what_cannot_be_kept_or_read_as_written(text, why):
    assert why in text_refusal(text)
    with pytest.raises(InvalidValueError) as refused:
        clean_text(text, field="title")
    assert refused.value.rule == "text" and refused.value.field == "title"


def test_a_multiline_text_takes_line_breaks_and_tabs_but_nothing_else():
    assert clean_text("First line.\r\n\tSecond line.\n", multiline=True) == "First line.\r\n\tSecond line."
    for refused in ("a\x00", "a\u202e", "\u200b\n\t", "a\ud800"):
        assert text_refusal(refused, multiline=True) is not None


@pytest.mark.parametrize("text", ["Gene\u0300ve", "  São Tomé ", "Zoe\u0308", "\u00a0Curaçao\u00a0"])
def test_text_is_kept_in_nfc_without_surrounding_spaces(text):
    kept = clean_text(text)
    assert kept == unicodedata.normalize("NFC", text).strip()
    assert unicodedata.is_normalized("NFC", kept) and kept == kept.strip()


@pytest.mark.parametrize("text", ["Accord de coopération", "Соглашение", "協定", "اتفاقية", "a\u200db",
                                  "Protocol \u2013 Annex I"])
def test_ordinary_text_of_any_script_is_kept(text):
    assert clean_text(text) == text


def test_real_world_dates_are_refused_outside_the_plausible_range_with_the_rule_named():
    rules = PlausibleDates()
    assert rules.check(date(1945, 1, 1)) == date(1945, 1, 1)
    assert rules.check(rules.latest()) == rules.latest()
    for day in (date(1944, 12, 31), rules.latest() + timedelta(days=1), date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(InvalidValueError) as refused:
            rules.check(day, "signed_on")
        assert refused.value.rule == "plausible_date" and refused.value.field == "signed_on"


def test_the_plausible_range_is_the_deployments(monkeypatch):
    monkeypatch.setattr(dates, "PLAUSIBLE", dates.PLAUSIBLE)  # restored after the test
    dates.use_plausible_dates(date(2000, 1, 1), 5)
    assert plausible_date("2000-01-01") == date(2000, 1, 1)
    for text in ("1999-12-31", (date.today() + timedelta(days=6 * 366)).isoformat()):
        with pytest.raises(InvalidValueError):
            plausible_date(text)
    for text in ("20000101", "2000-W01-1", "2000-02-30", "2000-01-01\n"):
        with pytest.raises(InvalidValueError):
            plausible_date(text)
