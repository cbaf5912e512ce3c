"""Agreements driven to each stage through the real commands of the aggregate, without storage.

Who does what, so that the four-eyes rules hold on the happy path: alice (IR) creates the agreement,
attaches the text, asks for its review and finalises it; bruno (Legal) clears it and puts it into force.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest

from domain.agreement import CooperationAgreement
from domain.errors import DomainError
from domain.values import (
    ORGANISATION,
    Actor,
    AgreementKind,
    Counterparty,
    Document,
    PartyKind,
    ReviewOutcome,
    Role,
    StepContext,
)

ALICE = Actor("alice", Role.IR_OFFICER)
DMITRI = Actor("dmitri", Role.IR_OFFICER)
BRUNO = Actor("bruno", Role.LEGAL_OFFICER)
CARLA = Actor("carla", Role.LEGAL_OFFICER)
NO_REASON = StepContext()

CHILE = Counterparty("Republic of Chile", PartyKind.STATE, "CL")
FIRST_TEXT = Document("Draft protocol v1", "a" * 64)
SECOND_TEXT = Document("Draft protocol v2", "b" * 64)

CERN_SIGNED_ON = date(2025, 5, 16)
CHILE_SIGNED_ON = date(2025, 5, 20)
LAST_SIGNATURE = CHILE_SIGNED_ON
EFFECTIVE_ON = date(2025, 6, 1)
EXPIRES_ON = date(2030, 12, 31)
SUSPENDED_ON = date(2026, 3, 1)


def drafting(expires_on: date | None = EXPIRES_ON, title: str = "Protocol on computing") -> CooperationAgreement:
    return CooperationAgreement.start(
        by=ALICE, context=NO_REASON, title=title, kind=AgreementKind.PROTOCOL,
        counterparties=[CHILE], workflow_version=1, expires_on=expires_on,
    )


def with_text(**kwargs) -> CooperationAgreement:
    agreement = drafting(**kwargs)
    agreement.attach_text(by=ALICE, context=NO_REASON, document=FIRST_TEXT)
    return agreement


def review_requested(**kwargs) -> CooperationAgreement:
    agreement = with_text(**kwargs)
    agreement.request_legal_review(by=ALICE, context=NO_REASON)
    return agreement


def cleared(**kwargs) -> CooperationAgreement:
    """In drafting, with its current text cleared by bruno."""
    agreement = review_requested(**kwargs)
    agreement.complete_legal_review(by=BRUNO, context=NO_REASON, outcome=ReviewOutcome.CLEARED)
    return agreement


def in_negotiation(**kwargs) -> CooperationAgreement:
    agreement = cleared(**kwargs)
    agreement.open_negotiation(by=ALICE, context=NO_REASON)
    return agreement


def awaiting_signature(**kwargs) -> CooperationAgreement:
    agreement = in_negotiation(**kwargs)
    agreement.finalise_text(by=ALICE, context=NO_REASON)
    return agreement


def signed_by_cern(**kwargs) -> CooperationAgreement:
    agreement = awaiting_signature(**kwargs)
    agreement.record_signature(
        by=ALICE, context=NO_REASON, party=ORGANISATION, signatory="Director-General", signed_on=CERN_SIGNED_ON
    )
    return agreement


def signed(**kwargs) -> CooperationAgreement:
    """In signature, signed by every party; the last signature is Chile's, on LAST_SIGNATURE."""
    agreement = signed_by_cern(**kwargs)
    agreement.record_signature(
        by=ALICE, context=NO_REASON, party=CHILE.name, signatory="Minister of Science", signed_on=CHILE_SIGNED_ON
    )
    return agreement


def in_force(**kwargs) -> CooperationAgreement:
    agreement = signed(**kwargs)
    agreement.enter_into_force(by=BRUNO, context=NO_REASON, effective_on=EFFECTIVE_ON)
    return agreement


def suspended(**kwargs) -> CooperationAgreement:
    agreement = in_force(**kwargs)
    agreement.suspend(by=BRUNO, context=NO_REASON, effective_on=SUSPENDED_ON)
    return agreement


def closed(**kwargs) -> CooperationAgreement:
    """Terminated after entering into force."""
    agreement = in_force(**kwargs)
    agreement.terminate(by=BRUNO, context=NO_REASON, effective_on=date(2027, 1, 1))
    return agreement


def recorded(agreement: CooperationAgreement) -> tuple[int, int]:
    """What a refused command must leave untouched: the version and the number of new events."""
    return agreement.version, len(agreement.pending_events)


@contextmanager
def refused(agreement: CooperationAgreement, error: type[DomainError], rule: str):
    """Expect exactly ``error`` naming ``rule``, and no event recorded on ``agreement``."""
    before = recorded(agreement)
    with pytest.raises(error) as caught:
        yield caught
    assert type(caught.value) is error
    assert caught.value.rule == rule
    assert recorded(agreement) == before
