"""Dates and recorded times as text: the one place where they are written and read.

A real-world date (a signature, an entry into force) is text in exactly the form YYYY-MM-DD, everywhere:
in requests, in the stored events and in the views. A recorded time (when an event was recorded) is kept
by the views as UTC text with microseconds and a "Z", so that text order is time order and both
databases compare them alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


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
