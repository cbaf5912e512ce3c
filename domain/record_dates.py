"""Dates as the published record gives them: to the day, the month or the year, exact or approximate, with
the values other sources give, or not known at all.

A ``RecordDate`` never stands for a day it does not name: "2014" is some day of 2014, not 1 January. What can
be said of a day is worked out from the span of days the date may be: the earliest and the latest day any
of its values (or the bounds the record sets on an unknown date) allow. ``Bounds`` turn a period's start
and end into the days on which the period possibly holds and the days on which it certainly holds.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from domain.errors import InvalidValueError

RECORD_DATE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")
FLOOR = "0001-01-01"
"""The earliest day: a period whose start is unknown and unbounded possibly holds from here."""
CEILING = "9999-12-31"
"""The latest day: a period whose start is unknown certainly holds from no day (from here, never reached)."""


class Precision(Enum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class Certainty(Enum):
    """How far the sources agree on a date: one value (exact, or approximate by its own source's words),
    several values (conflicting), or none (unknown)."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    CONFLICTING = "conflicting"
    UNKNOWN = "unknown"


def span_of(text: str) -> tuple[date, date]:
    """The first and last day a record date written YYYY, YYYY-MM or YYYY-MM-DD may be."""
    match = RECORD_DATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidValueError(f"{text!r} is not a date written YYYY, YYYY-MM or YYYY-MM-DD", field="date")
    year, month, day = (int(match[g]) if match[g] else None for g in ("year", "month", "day"))
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError as error:
        raise InvalidValueError(f"{text!r} is not a real date ({error})", field="date") from None


def precision_of(text: str | None) -> Precision:
    if text is None:
        return Precision.UNKNOWN
    span_of(text)
    return {4: Precision.YEAR, 7: Precision.MONTH, 10: Precision.DAY}[len(text)]


@dataclass(frozen=True)
class Alternative:
    """A value another source gives for the same date, and that source."""

    value: str
    source_title: str
    source_url: str | None = None


@dataclass(frozen=True)
class RecordDate:
    """A date as the record gives it.

    ``value`` is the date the record adopts (YYYY, YYYY-MM or YYYY-MM-DD), None when no source gives one;
    ``alternatives`` are the values other sources give; ``not_before`` and ``not_after`` bound an unknown or
    imprecise date where the record says so (JINR's observer status: absent from the June 2010 list,
    present in the 2017 one); ``note`` says in the record's words how it was read.
    """

    value: str | None
    certainty: Certainty
    alternatives: tuple[Alternative, ...] = ()
    not_before: str | None = None
    not_after: str | None = None
    note: str = ""

    def __post_init__(self) -> None:  # decoded from the store, lists come back: keep tuples
        object.__setattr__(self, "alternatives", tuple(
            a if isinstance(a, Alternative) else Alternative(**a) for a in self.alternatives))
        object.__setattr__(self, "certainty", Certainty(self.certainty))

    def check(self) -> None:
        for text in (self.value, self.not_before, self.not_after, *(a.value for a in self.alternatives)):
            if text is not None:
                span_of(text)
        if (self.value is None) != (self.certainty is Certainty.UNKNOWN):
            raise InvalidValueError("a date is unknown exactly when it has no value", field="date")
        if self.alternatives and self.certainty is not Certainty.CONFLICTING:
            raise InvalidValueError("a date with alternative values is conflicting", field="date")

    @property
    def precision(self) -> Precision:
        return precision_of(self.value)

    @property
    def exact(self) -> bool:
        """One day, given as such by every source."""
        return self.certainty is Certainty.EXACT and self.precision is Precision.DAY

    def earliest(self) -> date | None:
        """The first day the date may be (None: no bound)."""
        firsts = [span_of(t)[0] for t in self._values()]
        bound = span_of(self.not_before)[0] if self.not_before is not None else None
        if not firsts:
            return bound
        return max(min(firsts), bound) if bound else min(firsts)

    def latest(self) -> date | None:
        """The last day the date may be (None: no bound)."""
        lasts = [span_of(t)[1] for t in self._values()]
        bound = span_of(self.not_after)[1] if self.not_after is not None else None
        if not lasts:
            return bound
        return min(max(lasts), bound) if bound else max(lasts)

    def _values(self) -> list[str]:
        return [t for t in (self.value, *(a.value for a in self.alternatives)) if t is not None]

    def as_dict(self) -> dict[str, object]:
        earliest, latest = self.earliest(), self.latest()
        return {"value": self.value, "precision": self.precision.value, "certainty": self.certainty.value,
                "earliest": earliest and earliest.isoformat(), "latest": latest and latest.isoformat(),
                "alternatives": [{"value": a.value, "source": {"title": a.source_title, "url": a.source_url}}
                                 for a in self.alternatives],
                "note": self.note or None}


def exactly(day: date) -> RecordDate:
    """A date known to the day from one source."""
    return RecordDate(day.isoformat(), Certainty.EXACT)


class EndIs(Enum):
    """What a period's recorded end names: the last day the status held, or the first day it no longer
    held (a conversion's day: the new status begins that day)."""

    LAST_DAY = "last_day"
    FIRST_DAY_WITHOUT = "first_day_without"


@dataclass(frozen=True)
class Bounds:
    """A period's days as ISO text: it possibly holds from ``possible_from`` until ``possible_until``
    (exclusive; None: open) and certainly from ``certain_from`` until ``certain_until``."""

    possible_from: str
    certain_from: str
    certain_until: str | None
    possible_until: str | None

    def holds(self, day: str) -> str | None:
        """"certain", "possible" or None: whether the period holds on ``day`` (YYYY-MM-DD)."""
        if self.certain_from <= day and (self.certain_until is None or day < self.certain_until):
            return "certain"
        if self.possible_from <= day and (self.possible_until is None or day < self.possible_until):
            return "possible"
        return None


def bounds(began: RecordDate, ended: RecordDate | None, end_is: EndIs) -> Bounds:
    """The days a period from ``began`` to ``ended`` (None: still holds) possibly and certainly holds."""
    earliest, latest = began.earliest(), began.latest()
    possible_from = earliest.isoformat() if earliest else FLOOR
    certain_from = latest.isoformat() if latest else CEILING
    if ended is None:
        return Bounds(possible_from, certain_from, None, None)
    shift = timedelta(days=1 if EndIs(end_is) is EndIs.LAST_DAY else 0)
    first, last = ended.earliest(), ended.latest()
    certain_until = (first + shift).isoformat() if first else certain_from
    possible_until = (last + shift).isoformat() if last else None
    return Bounds(possible_from, certain_from, certain_until, possible_until)
