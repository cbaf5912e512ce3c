"""The cooperation agreement's workflow, version by version."""

from __future__ import annotations

from domain.agreement import CooperationAgreement
from domain.values import AgreementKind, PartyKind, ReviewOutcome
from workflows.definitions.common import (
    ALL_STAGES,
    CLOSED,
    DOCUMENT,
    DRAFTING,
    IMPLEMENTATION,
    IR,
    LEGAL,
    NEGOTIATION,
    SIGNATURE,
    Field,
    StepDefinition,
    WorkflowDefinition,
    bound_to_stored_bytes,
    revised,
    values_of,
)

AGREEMENT_V1 = WorkflowDefinition(
    kind="agreement",
    version=1,
    stages=ALL_STAGES,
    create_roles=(IR,),
    creation_fields=(
        Field("title", "string"),
        Field("kind", "enum", choices=values_of(AgreementKind)),
        Field("counterparties", "counterparties",
              description=f"1..n of {{name, kind: {'|'.join(values_of(PartyKind))}, country?: ISO 3166-1 alpha-2}}"),
        Field("summary", "text", required=False),
        Field("parent_id", "uuid", required=False),
        Field("expires_on", "date", required=False),
    ),
    steps=(
        StepDefinition("attach_text", (DRAFTING, NEGOTIATION), (IR, LEGAL), "TextAttached", (DOCUMENT,),
                       rule="resets legal clearance: a new text needs a new review"),
        StepDefinition("request_legal_review", (DRAFTING, NEGOTIATION), (IR,), "LegalReviewRequested",
                       rule="needs a text",
                       rules=("needs_text", "review_pending", "already_cleared")),
        StepDefinition("complete_legal_review", (DRAFTING, NEGOTIATION), (LEGAL,), "LegalReviewCompleted",
                       (Field("outcome", "enum", choices=values_of(ReviewOutcome)),
                        Field("comments", "text", required=False)),
                       rule="needs a pending request; four eyes: not by who attached the text",
                       rules=("needs_pending_review", "four_eyes")),
        StepDefinition("open_negotiation", (DRAFTING,), (IR,), "NegotiationOpened",
                       rule="current text cleared", moves_to=NEGOTIATION,
                       rules=("needs_cleared_text",)),
        StepDefinition("record_round", (NEGOTIATION,), (IR,), "RoundRecorded",
                       (Field("held_on", "date"), Field("summary", "text"))),
        StepDefinition("finalise_text", (NEGOTIATION,), (IR,), "TextFinalised",
                       rule="current text cleared; four eyes: not by who cleared it", moves_to=SIGNATURE,
                       rules=("needs_cleared_text", "four_eyes")),
        StepDefinition("record_signature", (SIGNATURE,), (IR, LEGAL), "SignatureRecorded",
                       (Field("party", "string"), Field("signatory", "string"), Field("signed_on", "date"),
                        Field("place", "string", required=False)),
                       rule="party is CERN or a counterparty, once each",
                       rules=("party_unknown", "signed_once")),
        StepDefinition("enter_into_force", (SIGNATURE,), (LEGAL,), "EnteredIntoForce",
                       (Field("effective_on", "date"),),
                       rule="all parties signed; not before the last signature", moves_to=IMPLEMENTATION,
                       rules=("all_parties_signed", "not_before_last_signature")),
        StepDefinition("record_milestone", (IMPLEMENTATION,), (IR,), "MilestoneRecorded",
                       (Field("on", "date"), Field("summary", "text"))),
        StepDefinition("renew", (IMPLEMENTATION,), (LEGAL,), "Renewed", (Field("expires_on", "date"),),
                       rule="later than the current expiry",
                       rules=("has_expiry", "later_expiry")),
        StepDefinition("suspend", (IMPLEMENTATION,), (LEGAL,), "Suspended", (Field("effective_on", "date"),),
                       rule="status in force -> suspended",
                       rules=("status", "dates_in_order")),
        StepDefinition("resume", (IMPLEMENTATION,), (LEGAL,), "Resumed", (Field("effective_on", "date"),),
                       rule="status suspended -> in force",
                       rules=("status", "dates_in_order")),
        StepDefinition("terminate", (IMPLEMENTATION,), (LEGAL,), "Terminated", (Field("effective_on", "date"),),
                       rule="-> closed (terminated)", moves_to=CLOSED,
                       rules=("dates_in_order",)),
        StepDefinition("supersede", (IMPLEMENTATION,), (LEGAL,), "Superseded",
                       (Field("effective_on", "date"),
                        Field("successor_id", "uuid", description="the agreement or enlargement process that "
                                                                  "replaces this one")),
                       rule="-> closed (superseded), linked to its successor (an agreement or enlargement process "
                            "on record: rule successor_exists); from the day it takes over",
                       moves_to=CLOSED, rules=("not_self", "dates_in_order")),
        StepDefinition("expire", (IMPLEMENTATION,), (LEGAL,), "Expired",
                       rule="expiry date has passed; -> closed (expired)", moves_to=CLOSED,
                       rules=("expiry_passed",)),
        StepDefinition("withdraw", (DRAFTING, NEGOTIATION, SIGNATURE), (IR,), "Withdrawn",
                       rule="-> closed (withdrawn)", moves_to=CLOSED),
        StepDefinition("correct", ALL_STAGES, (LEGAL,), "Corrected",
                       (Field("field", "enum", choices=tuple(CooperationAgreement.CORRECTABLE)),
                        Field("value", "string")),
                       rule="corrects a real-world date or the title; a new event, never a rewrite; an agreement "
                            "never ends before it enters into force",
                       rules=("correctable_field", "changes_something", "has_effective_on", "has_closed_on",
                              "not_before_last_signature", "dates_in_order")),
    ),
)

VAULT_STEPS = (bound_to_stored_bytes(AGREEMENT_V1.step("attach_text")),)  # type: ignore[arg-type]
"""Version 2's text is bytes kept in the vault: attach_text takes the sha256 of an uploaded document."""

AGREEMENT_V2 = revised(AGREEMENT_V1, version=2, steps=VAULT_STEPS)
"""Version 2: the agreement's term, notice and the fate of a framework's protocols."""
