"""A step's fields as domain values: dates, enums and value objects, from the plain values a client sends
(JSON text, lists and objects) or from values that are domain values already."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from domain.dates import plausible_date
from domain.values import AgreementKind, Counterparty, Document, PartyKind, ReviewOutcome, State, Target
from workflows.definitions import Field


def _date(value: Any) -> date:
    """A real-world date: exactly YYYY-MM-DD, in the plausible range (a date value is taken as it is)."""
    return plausible_date(value) if isinstance(value, str) else value


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "date": _date,
    "uuid": lambda v: UUID(v) if isinstance(v, str) else v,
    "document": lambda d: Document(**d),
    "stored_document": lambda d: d if isinstance(d, Document) else Document(**d),  # bound by workflows.documents
    "state": lambda d: State(name=d["name"], country=d["country"]),
    "names": tuple,
    "counterparty": lambda i: Counterparty(name=i["name"], kind=PartyKind(i["kind"]), country=i.get("country")),
    "counterparties": lambda items: tuple(
        Counterparty(name=i["name"], kind=PartyKind(i["kind"]), country=i.get("country")) for i in items
    ),
}
"""How a field of each type (``Field.type``) becomes a domain value; text needs nothing."""

ENUM_FIELDS: dict[str, type[Enum]] = {"outcome": ReviewOutcome, "kind": AgreementKind, "target": Target}
"""The enum behind each ``enum`` field that the aggregate takes as an enum (others, such as ``correct``'s
``field``, stay text)."""


def to_domain(fields_def: Sequence[Field], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields ``fields_def`` declares, as domain values; a field that is missing or None is left out (the
    aggregate's command gives it its default)."""
    out: dict[str, Any] = {}
    for f in fields_def:
        if f.name not in fields or fields[f.name] is None:
            continue
        value = fields[f.name]
        if f.type == "date" and isinstance(value, str):
            value = plausible_date(value, f.name)  # a refusal names the field
        elif f.type in CONVERTERS:
            value = CONVERTERS[f.type](value)
        elif f.type == "enum" and f.name in ENUM_FIELDS:
            value = ENUM_FIELDS[f.name](value)
        out[f.name] = value
    return out
