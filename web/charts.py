"""Charts drawn on the server as SVG (they print, and need no script): bars for counts, and a timeline of
each party's statuses over the years. This module lays them out (every coordinate); the templates in
``charts.html`` draw them, each with a title, a description and a table that says the same in text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from web.formatting import words

CAPACITY_CLASSES = {
    "member": "capacity--member",
    "associate_member": "capacity--associate",
    "associate_member_pre_stage": "capacity--pre-stage",
    "candidate_for_accession": "capacity--candidate",
    "observer": "capacity--observer",
    "cooperation_partner": "capacity--partner",
    "associate_member_signed": "capacity--signed",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per label, the longest as wide as the chart."""

    id: str
    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    total: int


def bar_chart(chart_id: str, title: str, counts: Mapping[str, int], order: Sequence[str] | None = None,
              width: int = 600, label_width: int = 260, bar_height: int = 22) -> BarChart:
    """A bar per label (in ``order`` when given, with 0 for a label not counted; else the counts' own)."""
    labels = list(order) if order is not None else sorted(counts, key=lambda k: (-counts[k], k))
    labels += [k for k in counts if k not in labels]
    top = max([counts.get(k, 0) for k in labels] + [1])
    room = width - label_width - 60
    bars = [Bar(words(k), counts.get(k, 0), i * (bar_height + 8), room * counts.get(k, 0) / top)
            for i, k in enumerate(labels)]
    return BarChart(chart_id, title, bars, width, len(bars) * (bar_height + 8) + 4, label_width, bar_height,
                    sum(b.value for b in bars))


@dataclass(frozen=True)
class Span:
    capacity: str
    label: str
    since: str
    until: str | None
    x: float
    width: float
    css: str


@dataclass(frozen=True)
class Row:
    party: str
    country: str | None
    y: float
    spans: list[Span]


@dataclass(frozen=True)
class Timeline:
    """A row per party, a bar per period of a status, on a scale of years from ``first`` to ``last``."""

    id: str
    title: str
    rows: list[Row]
    ticks: list[tuple[float, int]]
    width: int
    height: int
    label_width: int
    row_height: int
    first: int
    last: int
    legend: list[tuple[str, str, float, float]]
    """Each key of the chart: its label, its class, and where it is drawn (x, y of its square)."""
    on_x: float | None
    plot_bottom: float


def timeline(chart_id: str, title: str, periods: Sequence[Mapping[str, Any]], today: date,
             first_year: int = 1954, on: date | None = None, width: int = 960, label_width: int = 220,
             row_height: int = 18) -> Timeline:
    """Each party's periods (``queries.every_period`` or ``timeline`` rows) from ``first_year`` to today's
    year; a period still running is drawn to today. ``on`` marks a date with a line."""
    last = today.year + 1
    start = date(first_year, 1, 1)
    span_days = (date(last, 1, 1) - start).days
    room = width - label_width - 10

    def x(day: date) -> float:
        return label_width + room * max(0, min((day - start).days, span_days)) / span_days

    by_party: dict[str, list[Mapping[str, Any]]] = {}
    countries: dict[str, str | None] = {}
    for period in periods:
        by_party.setdefault(period["party"], []).append(period)
        countries[period["party"]] = period.get("country")
    rows = []
    for index, party in enumerate(sorted(by_party, key=lambda p: (min(r["since"] or "" for r in by_party[p]), p))):
        spans = []
        for period in by_party[party]:
            began = date.fromisoformat(period["since"]) if period["since"] else start  # an unknown start
            ended = date.fromisoformat(period["until"]) if period["until"] else today
            left = x(began)
            css = CAPACITY_CLASSES.get(period["capacity"], "")
            if not period.get("certain", True):
                css += " chart__span--uncertain"
            spans.append(Span(period["capacity"], words(period["capacity"]), period["since"] or "an unknown date",
                              period["until"], left, max(1.5, x(ended) - left), css))
        rows.append(Row(party, countries[party], 24 + index * (row_height + 4), spans))
    ticks = [(x(date(year, 1, 1)), year) for year in range(first_year - first_year % 10 + 10, last, 10)]
    if first_year % 10 == 4:
        ticks.insert(0, (x(start), first_year))
    shown = {period["capacity"] for period in periods}
    keys = [(words(capacity), css) for capacity, css in CAPACITY_CLASSES.items() if capacity in shown]
    if any(not period.get("certain", True) for period in periods):
        keys.append(("Lighter: dates not known to the day", "capacity--member chart__span--uncertain"))
    plot_bottom = 24 + len(rows) * (row_height + 4)
    key_width = (width - 10) / KEYS_PER_ROW
    legend = [(label, css, 10 + (i % KEYS_PER_ROW) * key_width, plot_bottom + 12 + (i // KEYS_PER_ROW) * 20)
              for i, (label, css) in enumerate(keys)]
    height = plot_bottom + 12 + -(-len(keys) // KEYS_PER_ROW) * 20 + 4
    return Timeline(chart_id, title, rows, ticks, width, height, label_width, row_height, first_year, last, legend,
                    x(on) if on else None, plot_bottom)


KEYS_PER_ROW = 4
"""Keys of a timeline's legend on one line: each has room for its longest label."""
