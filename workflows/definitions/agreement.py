"""The cooperation agreement's workflow, version by version."""

from __future__ import annotations

from dataclasses import replace

from domain.agreement import CooperationAgreement
from domain.values import RENEWAL_RULES, AgreementKind, PartyKind, ReviewOutcome
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
    SYSTEM,
    Field,
    StepDefinition,
    WorkflowDefinition,
    bound_to_stored_bytes,
    entry_field,
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
                       (Field("field", "enum", choices=CooperationAgreement.V1_CORRECTABLE),
                        Field("value", "string")),
                       rule="corrects a real-world date or the title; a new event, never a rewrite; an agreement "
                            "never ends before it enters into force",
                       rules=("correctable_field", "changes_something", "has_effective_on", "has_closed_on",
                              "not_before_last_signature", "dates_in_order")),
    ),
)

TERM_FIELDS = (
    Field("initial_period_months", "months", required=False,
          description="how long the agreement runs from its entry into force (its expiry, unless expires_on "
                      "is given)"),
    Field("renewal_rule", "enum", required=False, choices=RENEWAL_RULES,
          description="none: it ends at expiry; tacit: it renews itself for its renewal period unless notice "
                      "is given; by_amendment: only an amendment extends it"),
    Field("renewal_period_months", "months", required=False,
          description="what a tacit renewal adds (the initial period unless given)"),
    Field("notice_period_months", "months", required=False,
          description="a notice stops the renewal only if given at least this long before expiry"),
)
"""The agreement's term, given at creation (version 2), corrected with ``correct``."""
TERM_STEPS = (
    StepDefinition("give_notice", (IMPLEMENTATION,), (IR, LEGAL), "NoticeGiven",
                   (Field("party", "string", description="who gives notice: CERN or a counterparty"),
                    Field("given_on", "date"),
                    Field("addressed_to", "string", description="the party notified")),
                   rule="a tacitly renewed agreement with an expiry; by a party to another, while the notice "
                        "window is open (given_on at the latest notice_period before expiry); one notice at a "
                        "time; its reference is the step's",
                   rules=("tacit_renewal", "has_expiry", "notice_standing", "party_unknown", "addressed_to_party",
                          "dates_in_order", "notice_window_closed")),
    StepDefinition("withdraw_notice", (IMPLEMENTATION,), (IR, LEGAL), "NoticeWithdrawn",
                   rule="a notice stands; the agreement renews again at expiry", rules=("notice_standing",)),
)
"""Version 2's steps about the term (issue 20): giving and withdrawing notice."""
CLOCK_DECISIONS = (
    StepDefinition("renew_tacitly", (IMPLEMENTATION,), (SYSTEM,), "RenewedTacitly",
                   rule="at expiry, renewal tacit and no notice standing: renews for the renewal period, "
                        "effective on the expiry date (rule tacit_renewal)",
                   rules=("not_due", "system_actor")),
    StepDefinition("expire_at_term", (IMPLEMENTATION,), (SYSTEM,), "ExpiredAtTerm",
                   rule="at expiry, with a notice standing (notice_given), no renewal (no_renewal) or renewal only "
                        "by amendment (renewal_by_amendment): -> closed (expired) on the expiry date",
                   moves_to=CLOSED, rules=("not_due", "system_actor")),
)
"""What time decides for an agreement under version 2 (``workflows.clock``)."""


_V1_CORRECT = next(step for step in AGREEMENT_V1.steps if step.name == "correct")

PROTOCOL_STEPS = (
    StepDefinition("terminate", (IMPLEMENTATION,), (LEGAL,), "Terminated",
                   (Field("effective_on", "date"),
                    Field("protocols", "protocol_fates", required=False,
                          description="one entry per open protocol of this agreement (its children by "
                                      "parent_id): {protocol_id, fate: terminate|keep, reason (required to "
                                      "keep)}; none when it has no open protocol")),
                   rule="-> closed (terminated); says what becomes of each open protocol (rule protocol_fates: "
                        "each open protocol named once, no other): terminate (terminated with it, the same "
                        "day, or withdrawn if not yet in force, with this termination as reason) or keep (with "
                        "the reason)",
                   moves_to=CLOSED, rules=("dates_in_order", "protocol_fates")),
)
"""Version 2's changed step: the fate of a framework's protocols and addenda on its termination (DOMAIN.md P4)."""
CORRECT_V2 = replace(
    _V1_CORRECT, fields=(Field("field", "enum", choices=(*CooperationAgreement.CORRECTABLE,
                                                         *CooperationAgreement.ENTRY_DATES)),
                         Field("value", "string"), entry_field(CooperationAgreement.ENTRY_DATES)),
    rule=_V1_CORRECT.rule + "; also the term, the latest suspension's and resumption's dates within their "
                            "neighbours, a signature's date (never after the entry into force), a round's and a "
                            "milestone's",
    rules=(*_V1_CORRECT.rules, "has_date", "entry_unknown"))
"""Version 2's ``correct``: version 1's, reaching the term, the latest suspension's and resumption's dates, and
the dates of the steps taken more than once (signatures, rounds, milestones), each named by its ``entry``."""

VAULT_STEPS = (bound_to_stored_bytes(AGREEMENT_V1.step("attach_text")),)  # type: ignore[arg-type]
"""Version 2's text is bytes kept in the vault: attach_text takes the sha256 of an uploaded document."""

AGREEMENT_V2 = revised(AGREEMENT_V1, version=2, steps=VAULT_STEPS + TERM_STEPS + PROTOCOL_STEPS + (CORRECT_V2,),
                       creation_fields=TERM_FIELDS, clock=CLOCK_DECISIONS)
"""Version 2: the agreement's term, notice and the fate of a framework's protocols."""
