"""The enlargement process's workflow, version by version."""

from __future__ import annotations

from domain.enlargement import EnlargementProcess
from domain.values import ReviewOutcome, Target
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

ENLARGEMENT_V1 = WorkflowDefinition(
    kind="enlargement",
    version=1,
    stages=ALL_STAGES,
    create_roles=(IR,),
    creation_fields=(
        Field("state", "state", description="{name, country: ISO 3166-1 alpha-2}"),
        Field("target", "enum", choices=values_of(Target)),
        Field("applied_on", "date",
              description="the application letter, or the Council decision opening the process"),
    ),
    steps=(
        StepDefinition("establish_task_force", (DRAFTING,), (IR,), "TaskForceEstablished",
                       (Field("decided_on", "date"),), rule="Council decision on a fact-finding task force",
                       rules=("task_force_once", "dates_in_order")),
        StepDefinition("submit_task_force_report", (DRAFTING,), (IR,), "TaskForceReportSubmitted",
                       (Field("submitted_on", "date"), DOCUMENT), rule="after the task force",
                       rules=("needs_task_force", "report_once", "dates_in_order")),
        StepDefinition("authorise_negotiation", (DRAFTING,), (IR,), "NegotiationAuthorised",
                       (Field("decided_on", "date"),),
                       rule="Council authorises negotiation; after the task force's report if one was set up",
                       moves_to=NEGOTIATION,
                       rules=("task_force_report_pending", "dates_in_order")),
        StepDefinition("attach_text", (NEGOTIATION,), (IR, LEGAL), "TextAttached", (DOCUMENT,),
                       rule="resets legal clearance: a new text needs a new review"),
        StepDefinition("request_legal_review", (NEGOTIATION,), (IR,), "LegalReviewRequested", rule="needs a text",
                       rules=("needs_text", "review_pending", "already_cleared")),
        StepDefinition("complete_legal_review", (NEGOTIATION,), (LEGAL,), "LegalReviewCompleted",
                       (Field("outcome", "enum", choices=values_of(ReviewOutcome)),
                        Field("comments", "text", required=False)),
                       rule="needs a pending request; four eyes: not by who attached the text",
                       rules=("needs_pending_review", "four_eyes")),
        StepDefinition("record_round", (NEGOTIATION,), (IR,), "RoundRecorded",
                       (Field("held_on", "date"), Field("summary", "text"))),
        StepDefinition("approve_agreement", (NEGOTIATION,), (IR,), "AgreementApproved",
                       (Field("decided_on", "date"),), rule="Council approval; current text cleared",
                       moves_to=SIGNATURE,
                       rules=("needs_cleared_text", "dates_in_order")),
        StepDefinition("sign_agreement", (SIGNATURE,), (IR,), "AgreementSigned",
                       (Field("signed_on", "date"), Field("signatories", "names")), rule="once",
                       rules=("signed_once", "dates_in_order")),
        StepDefinition("notify_ratification", (SIGNATURE,), (LEGAL,), "RatificationNotified",
                       (Field("notified_on", "date"),), rule="after signature: the state completed its procedures",
                       rules=("needs_signature", "ratified_once", "dates_in_order")),
        StepDefinition("enter_into_force", (SIGNATURE,), (LEGAL,), "EnteredIntoForce",
                       (Field("effective_on", "date"),),
                       rule="signed and ratified; the register changes on effective_on; a status of the same "
                            "state still in force ends that day", moves_to=IMPLEMENTATION,
                       rules=("signed_and_ratified", "dates_in_order")),
        StepDefinition("end_participation", (IMPLEMENTATION,), (LEGAL,), "ParticipationEnded",
                       (Field("effective_on", "date"), Field("reason", "text")),
                       rule="withdrawal or conversion; the reason is required", moves_to=CLOSED,
                       rules=("dates_in_order",)),
        StepDefinition("withdraw", (DRAFTING, NEGOTIATION, SIGNATURE), (IR,), "Withdrawn",
                       rule="-> closed (withdrawn)", moves_to=CLOSED),
        StepDefinition("correct", ALL_STAGES, (LEGAL,), "Corrected",
                       (Field("field", "enum", choices=tuple(EnlargementProcess.CORRECTABLE)),
                        Field("value", "string")),
                       rule="corrects a real-world date; a new event, never a rewrite; the dates stay in the "
                            "order of the steps, and a status never ends before it begins",
                       rules=("correctable_field", "changes_something", "dates_in_order", "has_effective_on",
                              "has_ended_on", "has_date")),
    ),
)

VAULT_STEPS = tuple(bound_to_stored_bytes(ENLARGEMENT_V1.step(name))  # type: ignore[arg-type]
                    for name in ("submit_task_force_report", "attach_text"))
"""Version 2's texts are bytes kept in the vault: the steps that take a document take an uploaded one's sha256."""

ENLARGEMENT_V2 = revised(ENLARGEMENT_V1, version=2, steps=VAULT_STEPS)
"""Version 2: membership by accession (DOMAIN.md 3.3) and the pre-stage's limits."""
