"""What the page of one agreement and of one enlargement share: the state shown (the latest, a past version,
or as it was recorded at a past moment), the history as a timeline a page at a time (newest first, so that a
long history costs no more to show than a short one), and the difference between two versions (each field
that changed, and the events in between, as the API's diff gives them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

from flask import request
from marshmallow import ValidationError

from api.schemas import StateQuerySchema
from domain.dates import date_from_text
from domain.records import plain
from web.formatting import words
from workflows.steps import HistoryEntry, ProcessService

HISTORY_PER_PAGE = 25
NOT_STATE = ("version", "modified_on", "created_on", "id")
"""What the diff leaves out of the fields compared: they change with every event, or never."""
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Shown:
    """The state a page shows, how it was asked for, and what could not be read in the request."""

    aggregate: Any
    latest_version: int
    version: int | None = None
    as_of: datetime | None = None
    form: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def past(self) -> bool:
        return self.aggregate.version != self.latest_version


def as_of_value(text: str) -> str:
    """A date alone means the end of that day, in UTC: everything recorded on that day is included."""
    if DATE_ONLY.match(text):
        end = datetime.combine(date_from_text(text), time.max, tzinfo=UTC)
        return end.isoformat()
    return text


def shown(service: ProcessService, aggregate_id: UUID) -> Shown:
    """The state asked for by ``?version=N`` or ``?as_of=TIME`` (the latest without either)."""
    latest = service.get(aggregate_id)
    form = {k: request.args.get(k, "").strip() for k in ("version", "as_of") if request.args.get(k, "").strip()}
    asked = dict(form)
    if "as_of" in asked:
        asked["as_of"] = as_of_value(asked["as_of"])
    try:
        query = StateQuerySchema().load(asked)
    except ValidationError as error:
        messages = error.normalized_messages()
        return Shown(latest, latest.version, form=form,
                     errors={k: " ".join(v) if isinstance(v, list) else str(v) for k, v in messages.items()})
    if "version" in query and "as_of" in query:
        return Shown(latest, latest.version, form=form, errors={"version": "Give either a version or a time."})
    if "as_of" in query:
        if query["as_of"] >= latest.modified_on:
            return Shown(latest, latest.version, as_of=query["as_of"], form=form)
        return Shown(service.get_as_of(aggregate_id, query["as_of"]), latest.version, as_of=query["as_of"],
                     form=form)
    if "version" in query:
        if query["version"] > latest.version:
            return Shown(latest, latest.version, form=form,
                         errors={"version": f"There is no version {query['version']}: the latest is "
                                            f"{latest.version}."})
        state = latest if query["version"] == latest.version else service.get(aggregate_id, query["version"])
        return Shown(state, latest.version, version=query["version"], form=form)
    return Shown(latest, latest.version, form=form)


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    page: int
    last: int


def history_page(service: ProcessService, aggregate_id: UUID, latest_version: int, page: int) -> HistoryPage:
    """Page ``page`` of the history, newest first: page 1 holds the last HISTORY_PER_PAGE versions."""
    last = max(1, -(-latest_version // HISTORY_PER_PAGE))
    page = min(max(page, 1), last)
    high = latest_version - (page - 1) * HISTORY_PER_PAGE
    low = max(0, high - HISTORY_PER_PAGE)
    entries = list(service.history(aggregate_id, after_version=low or None, up_to_version=high))
    return HistoryPage(list(reversed(entries)), page, last)


def requested_page() -> int:
    text = request.args.get("history_page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else 1


def real_world_date(data: Mapping[str, Any]) -> str | None:
    """The date an event's fields say something happened on (signed on, effective on, held on, ...), if
    any; an expiry date is what the event sets, not when it happened."""
    for key, value in data.items():
        if (key == "on" or key.endswith("_on")) and key != "expires_on" and isinstance(value, str):
            return value
    return None


def details(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An event's own fields, as (name in words, value) for a timeline; the date shown apart is left out."""
    shown_date = real_world_date(data)
    found = []
    for key, value in data.items():
        if isinstance(value, str) and value == shown_date and key != "expires_on":
            continue
        found.append((key.replace("_", " ").capitalize(), describe(value, key)))
    return found


CODED = {"kind", "status", "stage", "outcome", "target", "legal_clearance", "role", "moves_to"}
"""Fields whose values are codes of the domain (``memorandum_of_understanding``), shown in words."""


def describe(value: Any, key: str = "") -> str:
    """A stored value as a person reads it: codes in words, a party as "name (kind, country)", a document as
    its title and hash."""
    value = plain(value)
    if isinstance(value, dict):
        if "title" in value and "sha256" in value:
            return f"{value['title']} (sha256 {value['sha256']})"
        if "name" in value and "kind" in value:
            return f"{value['name']} ({', '.join(filter(None, [words(value['kind']), value.get('country')]))})"
        return "; ".join(f"{k.replace('_', ' ')}: {describe(v, k)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(describe(v, key) for v in value)
    if isinstance(value, str) and key in CODED:
        return words(value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Diff:
    low: int
    high: int
    changes: list[tuple[str, str, str]]
    events: list[HistoryEntry]


def state_of(aggregate: Any) -> dict[str, Any]:
    """The aggregate's public fields, as plain values."""
    return {k: plain(v) for k, v in vars(aggregate).items() if not k.startswith("_") and k not in NOT_STATE}


def diff(service: ProcessService, aggregate_id: UUID, low: int, high: int) -> Diff:
    """What changed from version ``low`` to ``high``: each field, and the events recorded in between."""
    before, after = state_of(service.get(aggregate_id, low)), state_of(service.get(aggregate_id, high))
    changes = [(k.replace("_", " ").capitalize(), describe(before.get(k), k), describe(after[k], k))
               for k in after if before.get(k) != after[k]]
    events = list(service.history(aggregate_id, after_version=low or None, up_to_version=high)) if high > low else []
    return Diff(low, high, changes, events)


@dataclass(frozen=True)
class AskedDiff:
    """The diff a page's ``?from=A&to=B`` asks for: the diff (None when not asked, or refused), the errors
    named by field, and the form as typed."""

    diff: Diff | None
    errors: dict[str, str]
    form: dict[str, str]


def requested_diff(service: ProcessService, aggregate_id: UUID, latest_version: int) -> AskedDiff:
    """The diff between the two versions the query string names, if it names any."""
    form = {k: request.args.get(k, "") for k in ("from", "to")}
    asked = diff_versions(latest_version)
    if asked is None:
        return AskedDiff(None, {}, form)
    low, high, errors = asked
    return AskedDiff(None if errors else diff(service, aggregate_id, low, high), errors, form)


def diff_versions(latest_version: int) -> tuple[int, int, dict[str, str]] | None:
    """The versions ``?from=A&to=B`` asks to compare, or None when the diff is not asked for; errors named."""
    given = {k: request.args.get(k, "").strip() for k in ("from", "to")}
    if not any(given.values()):
        return None
    errors = {}
    numbers = {}
    for name, text in given.items():
        if not (text.isdigit() and 1 <= int(text) <= latest_version):
            errors[name] = f"Enter a version from 1 to {latest_version}."
        else:
            numbers[name] = int(text)
    if not errors and numbers["from"] > numbers["to"]:
        errors["from"] = "The first version must not be after the second."
    return numbers.get("from", 0), numbers.get("to", 0), errors
