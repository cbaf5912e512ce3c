"""Dates and recorded times as text: the one place where they are written and read.

A real-world date (a signature, an entry into force) is text in exactly the form YYYY-MM-DD, everywhere:
in requests, in the stored events and in the views. A recorded time (when an event was recorded) is kept
by the views as UTC text with microseconds and a "Z", so that text order is time order and both
databases compare them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from domain.errors import InvalidValueError

PLAUSIBLE_DATE_RULE = "plausible_date"
"""The rule named when a real-world date falls outside the plausible range."""


@dataclass(frozen=True)
class PlausibleDates:
    """The real-world dates the record accepts: from ``earliest`` to ``years_ahead`` years after today.

    An agreement of the organisation cannot be signed before 1945 nor take effect centuries ahead: a date
    outside the range is a typing error (0204 for 2024, 2204 for 2024) that would otherwise be kept for ever."""

    earliest: date = date(1945, 1, 1)
    years_ahead: int = 100

    def latest(self, today: date | None = None) -> date:
        today = today or date.today()
        year = min(today.year + self.years_ahead, 9999)
        return today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today.replace(year=year)

    def check(self, day: date, field: str | None = None) -> date:
        """``day``, or InvalidValueError naming the rule ``plausible_date`` when it is outside the range."""
        latest = self.latest()
        if not self.earliest <= day <= latest:
            raise InvalidValueError(
                f"{field or 'the date'} {day.isoformat()} is outside the plausible range "
                f"{self.earliest.isoformat()} to {latest.isoformat()}", field=field, rule=PLAUSIBLE_DATE_RULE)
        return day


PLAUSIBLE = PlausibleDates()
"""The range in force: a deployment sets its own with ``use_plausible_dates`` (EARLIEST_DATE, DATE_YEARS_AHEAD)."""


def use_plausible_dates(earliest: date, years_ahead: int) -> None:
    """Set the range of real-world dates the record accepts from now on (the deployment's configuration)."""
    global PLAUSIBLE
    PLAUSIBLE = PlausibleDates(earliest, years_ahead)


def plausible_date(text: str, field: str | None = None) -> date:
    """The date written as ``text`` (exactly YYYY-MM-DD), refused unless it is in the plausible range."""
    try:
        day = date_from_text(text)
    except ValueError as error:
        raise InvalidValueError(f"{field or 'the date'}: {error}", field=field) from None
    return PLAUSIBLE.check(day, field)


def date_from_text(text: str) -> date:
    """The date written as ``text``, in exactly the form YYYY-MM-DD.

    Python's ``date.fromisoformat`` also reads 20240101, 2024-W01-1 and the like, which a reader of the
    record would not recognise as dates: those are refused. Raises ValueError, with a message that says so.
    """
    # ten ASCII characters with a dash at indexes 4 and 7: of such text, ``fromisoformat`` reads only digits
    if type(text) is str and len(text) == 10 and text[4] == text[7] == "-" and text.isascii():
        try:
            return date.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"{text!r} is not a real date ({error})") from None
    raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")


def date_text(day: date) -> str:
    """A date as YYYY-MM-DD."""
    return day.isoformat()


def time_text(moment: datetime) -> str:
    """A recorded time as the views keep it: UTC, with microseconds and a "Z" (2024-05-01T09:30:00.000000Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_from_text(text: str) -> datetime:
    """A recorded time from its ISO 8601 text, as ``time_text`` writes it (or the store: with "+00:00")."""
    return datetime.fromisoformat(text)
