"""Value objects and vocabularies shared by the aggregates.

Enum values are the public vocabulary (API, audit trail), so they never change once released.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from domain.countries import is_country_code
from domain.errors import InvalidValueError, UnauthenticatedError
from domain.text import text_refusal

ORGANISATION = "CERN"
"""The name under which the organisation itself signs agreements."""

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
"""A document's SHA-256, matched whole (``fullmatch``): 64 lowercase hexadecimal digits and nothing else."""
URI_SCHEMES = ("https", "http", "urn")
"""Where a document may be found: the web, or a URN (urn:<namespace>:<name>)."""
URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[!-~]+")
MAX_REASON_LENGTH = 2000
RECENT_ENTRIES = 5
"""How many of the latest negotiation rounds (and implementation milestones) an aggregate keeps in its state,
besides their count: every round and milestone is in the history (its events), and a bounded state keeps the
aggregate, and so its snapshots, small however long that history."""


class Role(Enum):
    IR_OFFICER = "ir_officer"
    LEGAL_OFFICER = "legal_officer"
    AUDITOR = "auditor"
    MANAGEMENT = "management"
    ADMIN = "admin"


class Stage(Enum):
    DRAFTING = "drafting"
    NEGOTIATION = "negotiation"
    SIGNATURE = "signature"
    IMPLEMENTATION = "implementation"
    CLOSED = "closed"


class Status(Enum):
    DRAFT = "draft"
    UNDER_NEGOTIATION = "under_negotiation"
    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Target(Enum):
    """What an enlargement process makes of a state."""

    ASSOCIATE_MEMBER = "associate_member"
    ASSOCIATE_MEMBER_PRE_STAGE = "associate_member_pre_stage"
    MEMBER = "member"


class ProcessStatus(Enum):
    DRAFT = "draft"
    UNDER_NEGOTIATION = "under_negotiation"
    APPROVED = "approved"
    SIGNED = "signed"
    RATIFIED = "ratified"
    IN_FORCE = "in_force"
    ENDED = "ended"
    WITHDRAWN = "withdrawn"


class AgreementKind(Enum):
    INTERNATIONAL_COOPERATION_AGREEMENT = "international_cooperation_agreement"
    PROTOCOL = "protocol"
    MEMORANDUM_OF_UNDERSTANDING = "memorandum_of_understanding"
    FRAMEWORK_AGREEMENT = "framework_agreement"
    COLLABORATION_AGREEMENT = "collaboration_agreement"
    OTHER = "other"


class PartyKind(Enum):
    STATE = "state"
    ORGANISATION = "organisation"
    INSTITUTE = "institute"


class Clearance(Enum):
    NONE = "none"
    REQUESTED = "requested"
    CLEARED = "cleared"
    CHANGES_REQUESTED = "changes_requested"


class ReviewOutcome(Enum):
    CLEARED = "cleared"
    CHANGES_REQUESTED = "changes_requested"


@dataclass(frozen=True)
class Actor:
    """The authenticated person taking a step, with the role they act in."""

    name: str
    role: Role

    def check(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or not isinstance(self.role, Role):
            raise UnauthenticatedError("a step needs an authenticated actor with a role")


@dataclass(frozen=True)
class StepContext:
    """Why a step was taken, its external reference, and the request that carried it."""

    reason: str | None = None
    reference: str | None = None
    idempotency_key: str | None = None
    request_digest: str | None = None

    def check(self) -> None:
        if self.reason is not None and len(self.reason) > MAX_REASON_LENGTH:
            raise InvalidValueError(
                f"reason is longer than {MAX_REASON_LENGTH} characters", field="reason"
            )


def uri_refusal(uri: str) -> str | None:
    """Why ``uri`` cannot be a document's address (a sentence), or None: an http(s) URL with a host, or a
    URN, written in printable ASCII without spaces (RFC 3986)."""
    if not isinstance(uri, str) or not uri.isascii() or any(not c.isprintable() or c.isspace() for c in uri):
        return "must be printable ASCII without spaces (percent-encode the rest)"
    parts = urlsplit(uri)
    if parts.scheme not in URI_SCHEMES:
        return f"must use one of the schemes {', '.join(URI_SCHEMES)}"
    if parts.scheme == "urn":
        return None if URN.fullmatch(uri) else "must be a URN such as urn:cern:doc:1234"
    return None if parts.hostname else "must name a host, as in https://cds.cern.ch/record/1"


@dataclass(frozen=True)
class Document:
    """One version of an agreement's text, bound by its sha256."""

    title: str
    sha256: str
    media_type: str | None = None
    uri: str | None = None

    def check(self) -> None:
        if not self.title or not self.title.strip():
            raise InvalidValueError("a document needs a title", field="document.title")
        refusal = text_refusal(self.title)
        if refusal is not None:
            raise InvalidValueError(f"the title {refusal}", field="document.title", rule="text")
        if not isinstance(self.sha256, str) or not SHA256_PATTERN.fullmatch(self.sha256):
            raise InvalidValueError(
                "sha256 must be 64 lowercase hexadecimal digits", field="document.sha256"
            )
        refusal = None if self.uri is None else uri_refusal(self.uri)
        if refusal is not None:
            raise InvalidValueError(f"uri {refusal}", field="document.uri")


@dataclass(frozen=True)
class BoundDocument(Document):
    """A document bound to bytes kept in Accord's vault (workflow version 2 on): its sha256, size, media type
    and filename were read from the vault when the step was taken, never from the client."""

    size: int = 0
    filename: str = ""


@dataclass(frozen=True)
class Counterparty:
    """A state, organisation or institute on the other side of an agreement."""

    name: str
    kind: PartyKind
    country: str | None = None

    def check(self) -> None:
        if not self.name or not self.name.strip():
            raise InvalidValueError("a counterparty needs a name", field="counterparties")
        if self.name.strip().casefold() == ORGANISATION.casefold():
            raise InvalidValueError(
                f"{ORGANISATION} is always a party; it cannot be a counterparty",
                field="counterparties",
            )
        refusal = text_refusal(self.name)
        if refusal is not None:
            raise InvalidValueError(f"the name {refusal}", field="counterparties", rule="text")
        if self.country is not None and not is_country_code(self.country):
            raise InvalidValueError(
                "country must be an ISO 3166-1 alpha-2 code such as 'CH' (or SU, YU, CS, DD)",
                field="counterparties.country",
            )


@dataclass(frozen=True)
class State:
    """A state taking part in an enlargement process."""

    name: str
    country: str

    def check(self) -> None:
        if not self.name or not self.name.strip():
            raise InvalidValueError("a state needs a name", field="state.name")
        refusal = text_refusal(self.name)
        if refusal is not None:
            raise InvalidValueError(f"the name {refusal}", field="state.name", rule="text")
        if not is_country_code(self.country):
            raise InvalidValueError("country must be an ISO 3166-1 alpha-2 code such as 'EE' (or SU, YU, CS, DD)",
                                    field="state.country")


@dataclass(frozen=True)
class Signature:
    """One party's signature of the finalised text."""

    party: str
    signatory: str
    signed_on: object  # datetime.date; typed loosely to keep dataclass transcoding simple
    place: str | None = None


@dataclass(frozen=True)
class Entry:
    """A dated note in an agreement's life: a negotiation round or an implementation milestone."""

    on: object  # datetime.date
    summary: str


STORED_ENUMS: tuple[type[Enum], ...] = (
    Role, Stage, Status, AgreementKind, PartyKind, Clearance, ReviewOutcome, Target, ProcessStatus,
)
STORED_VALUES: tuple[type, ...] = (Actor, StepContext, Document, Counterparty, Signature, Entry, State,
                                   BoundDocument)
"""The enums and value objects events hold: the store tags them "enum.<Name>" and "value.<Name>"."""
