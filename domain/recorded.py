"""A status period as the published participation record states it, imported with its sources.

The record says who held which status with the organisation (or, once, which status the organisation holds
elsewhere), from when until when, and on whose word. Where it does not give a step's date or actor, Accord
does not take workflow steps on its behalf: it keeps the period as an imported fact, ``RecordedStatus``,
whose dates are ``RecordDate``s (as precise as the record, no more) and whose every value comes from the
record's entry (``entry_sha256`` binds it) or from an interpretation that says so in ``interpretation``.

A changed entry is recorded as a revision, a new event with its own recorded time: what the register said
before the revision stays as it was known then.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.chain import Chained
from domain.errors import InvalidValueError
from domain.record_dates import Alternative, Bounds, Certainty, EndIs, RecordDate, bounds
from domain.values import Actor, StepContext

T = "accord.recorded:"
NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.invalid/recorded-status")


class Capacity(Enum):
    """The statuses the record knows. ``associate_member_signed`` (an agreement signed, not in force) is a
    fact of record but no participation."""

    MEMBER = "member"
    ASSOCIATE_MEMBER_PRE_STAGE = "associate_member_pre_stage"
    ASSOCIATE_MEMBER = "associate_member"
    ASSOCIATE_MEMBER_SIGNED = "associate_member_signed"
    CANDIDATE_FOR_ACCESSION = "candidate_for_accession"
    OBSERVER = "observer"
    COOPERATION_PARTNER = "cooperation_partner"


class Relation(Enum):
    """Which way the status points: a party's status with the organisation, or the organisation's own
    status in another body (CERN, observer at the United Nations General Assembly)."""

    WITH_ORGANISATION = "with_organisation"
    HELD_BY_ORGANISATION = "held_by_organisation"


@dataclass(frozen=True)
class Source:
    """A source the record cites: its title and address."""

    title: str
    url: str | None = None


@dataclass(frozen=True)
class Suspension:
    """A stretch of a period during which the status was suspended."""

    began: RecordDate
    ended: RecordDate | None
    end_is: EndIs
    sources: tuple[Source, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "end_is", EndIs(self.end_is))


@dataclass(frozen=True)
class StatusPeriod:
    """One period of one party's status, as the record gives it.

    ``interpretation`` lists, in words, every reading of the record that is not a value copied from it
    (how an end is meant, a date bound read from the notes, an end the record implies but does not date).
    """

    party: str
    party_kind: str
    country: str | None
    capacity: Capacity
    relation: Relation
    began: RecordDate
    ended: RecordDate | None
    end_is: EndIs
    sources: tuple[Source, ...]
    suspended: bool = False
    scope: str | None = None
    body: str | None = None
    notes: str = ""
    suspension: Suspension | None = None
    interpretation: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, kind in (("capacity", Capacity), ("relation", Relation), ("end_is", EndIs)):
            object.__setattr__(self, name, kind(getattr(self, name)))
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "interpretation", tuple(self.interpretation))

    def check(self) -> None:
        if not self.party.strip() or self.party_kind not in ("state", "organisation", "institute"):
            raise InvalidValueError("a period needs a party and its kind", field="party")
        if not self.sources:
            raise InvalidValueError("a recorded period names its sources", field="sources")
        for day in (self.began, self.ended, *((self.suspension.began, self.suspension.ended)
                                               if self.suspension else ())):
            if day is not None:
                day.check()
        b = self.bounds()
        if b.possible_until is not None and b.possible_until <= b.possible_from:
            raise InvalidValueError("a period cannot end before it starts", field="ended", )

    def bounds(self) -> Bounds:
        return bounds(self.began, self.ended, self.end_is)


class RecordedStatus(Chained, Aggregate):
    """One entry of the published record, as imported and as later revised."""

    TOPIC = T + "RecordedStatus"

    class Event(Aggregate.Event):
        TOPIC = T + "Event"
        by: Actor
        context: StepContext
        prev_hash: str
        hash: str

        def apply(self, aggregate: Any) -> None:
            aggregate.last_hash = self.hash
            super().apply(aggregate)

    @staticmethod
    def create_id(entry_key: str) -> UUID:
        """One aggregate per entry of the record, found again from the entry's key."""
        return uuid5(NAMESPACE, entry_key)

    @classmethod
    def imported(cls, *, by: Actor, context: StepContext, entry_key: str, period: StatusPeriod,
                 entry_sha256: str) -> RecordedStatus:
        by.check()
        context.check()
        period.check()
        return cls._create(cls.Imported, entry_key=entry_key, by=by, context=context, period=period,
                           entry_sha256=entry_sha256)

    @event("Imported", topic=T + "Imported")
    def __init__(self, by: Actor, context: StepContext, entry_key: str, period: StatusPeriod,
                 entry_sha256: str) -> None:
        self.entry_key = entry_key
        self.period = period
        self.entry_sha256 = entry_sha256

    def revise(self, by: Actor, context: StepContext, period: StatusPeriod, entry_sha256: str) -> bool:
        """Record the entry as it now reads; nothing when it reads as already recorded."""
        if entry_sha256 == self.entry_sha256 and period == self.period:
            return False
        by.check()
        context.check()
        period.check()
        self._revised(by=by, context=context, period=period, entry_sha256=entry_sha256)
        return True

    @event("Revised", topic=T + "Revised")
    def _revised(self, by: Actor, context: StepContext, period: StatusPeriod, entry_sha256: str) -> None:
        self.period = period
        self.entry_sha256 = entry_sha256


RECORD_ENUMS: tuple[type[Enum], ...] = (Capacity, Relation, EndIs, Certainty)
RECORD_VALUES: tuple[type, ...] = (Alternative, RecordDate, Source, Suspension, StatusPeriod)
"""The enums and value objects a recorded status's events hold (stored as domain.values' are)."""
