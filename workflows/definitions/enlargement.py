"""The enlargement process's workflow, version by version."""

from __future__ import annotations

from dataclasses import replace

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
    SYSTEM,
    Field,
    StepDefinition,
    WorkflowDefinition,
    bound_to_stored_bytes,
    entry_field,
    revised,
    values_of,
)

V1_TARGETS = (Target.ASSOCIATE_MEMBER.value, Target.ASSOCIATE_MEMBER_PRE_STAGE.value, Target.MEMBER.value)
"""The targets version 1 knew (later versions add others)."""

ENLARGEMENT_V1 = WorkflowDefinition(
    kind="enlargement",
    version=1,
    stages=ALL_STAGES,
    create_roles=(IR,),
    creation_fields=(
        Field("state", "state", description="{name, country: ISO 3166-1 alpha-2}"),
        Field("target", "enum", choices=V1_TARGETS),
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
                       (Field("field", "enum", choices=tuple(f for f in EnlargementProcess.CORRECTABLE
                                                             if f not in EnlargementProcess.ACCESSION_DATES)),
                        Field("value", "string")),
                       rule="corrects a real-world date; a new event, never a rewrite; the dates stay in the "
                            "order of the steps, and a status never ends before it begins",
                       rules=("correctable_field", "changes_something", "dates_in_order", "has_effective_on",
                              "has_ended_on", "has_date")),
    ),
)

CLOCK_DECISIONS = (
    StepDefinition("flag_pre_stage_limit", (IMPLEMENTATION,), (SYSTEM,), "PreStageLimitPassed",
                   rule="a pre-stage to Membership in force past its maximum (pre_stage_limits.max_end_on, entry "
                        "into force + 5 years): flagged once, effective on that day (rule pre_stage_maximum)",
                   rules=("not_due", "system_actor")),
)
"""What time decides for an enlargement process under version 2 (``workflows.clock``)."""

_V1 = {step.name: step for step in ENLARGEMENT_V1.steps}
_BY_AGREEMENT_ONLY = "; not on the route by accession (Membership)"

ACCESSION_STEPS = (
    StepDefinition("adopt_admission_resolution", (DRAFTING,), (IR,), "AdmissionResolutionAdopted",
                   (Field("decided_on", "date"), Field("resolution", "string", required=False,
                                                       description="e.g. CERN/3809")),
                   rule="Membership by accession: the Council's resolution admitting the state (unanimity, "
                        "Convention Art. III.2a); after the task force's report if one was set up; not before "
                        "the state's pre-stage has lasted two years, when its pre-stage is on record as a "
                        "process (rule pre_stage_minimum)",
                   moves_to=SIGNATURE, rules=("accession_only", "task_force_report_pending", "dates_in_order")),
    StepDefinition("deposit_instrument_of_accession", (SIGNATURE,), (LEGAL,), "InstrumentOfAccessionDeposited",
                   (Field("deposited_on", "date"),),
                   rule="Membership by accession: the state deposits its instrument of accession with the "
                        "Director-General of UNESCO (Art. XVII); once",
                   rules=("accession_only", "deposited_once", "dates_in_order")),
    replace(_V1["authorise_negotiation"], rule=_V1["authorise_negotiation"].rule + _BY_AGREEMENT_ONLY,
            rules=(*_V1["authorise_negotiation"].rules, "accession_route")),
    replace(_V1["approve_agreement"], rule=_V1["approve_agreement"].rule + _BY_AGREEMENT_ONLY,
            rules=(*_V1["approve_agreement"].rules, "accession_route")),
    replace(_V1["sign_agreement"], rule=_V1["sign_agreement"].rule + _BY_AGREEMENT_ONLY,
            rules=(*_V1["sign_agreement"].rules, "accession_route")),
    replace(_V1["notify_ratification"], rule=_V1["notify_ratification"].rule + _BY_AGREEMENT_ONLY,
            rules=(*_V1["notify_ratification"].rules, "accession_route")),
    replace(_V1["enter_into_force"],
            rule="signed and ratified, or (Membership by accession) the instrument of accession deposited: "
                 "Membership from the day of deposit (Art. XVIII.2) unless the record gives another; the "
                 "register changes on effective_on; a status of the same state still in force ends that day",
            rules=("signed_and_ratified", "needs_deposit", "dates_in_order")),
    replace(_V1["correct"], fields=(Field("field", "enum", choices=(*EnlargementProcess.CORRECTABLE,
                                                                    *EnlargementProcess.ENTRY_DATES)),
                                    Field("value", "string"), entry_field(EnlargementProcess.ENTRY_DATES)),
            rule=_V1["correct"].rule + "; also a negotiation round's date, named by its number",
            rules=(*_V1["correct"].rules, "entry_unknown")),
)
"""Version 2's steps of Membership by accession (DOMAIN.md 3.3 steps 10 to 12, P2.5 and P2.6): a process to
Membership opened under version 2 goes by accession, with no bilateral agreement (``route`` "accession");
every other target goes by agreement as in version 1."""

VAULT_STEPS = tuple(bound_to_stored_bytes(ENLARGEMENT_V1.step(name))  # type: ignore[arg-type]
                    for name in ("submit_task_force_report", "attach_text"))
"""Version 2's texts are bytes kept in the vault: the steps that take a document take an uploaded one's sha256."""

_REVISED = revised(ENLARGEMENT_V1, version=2, steps=VAULT_STEPS + ACCESSION_STEPS, clock=CLOCK_DECISIONS)
ENLARGEMENT_V2 = replace(_REVISED, creation_fields=tuple(
    replace(f, choices=values_of(Target)) if f.name == "target" else f for f in _REVISED.creation_fields))
"""Version 2: membership by accession (DOMAIN.md 3.3), the pre-stage's limits, and Candidate for Accession
(the pre-2010 procedure, DOMAIN.md 3.4) as a target, by agreement (its Framework Agreement)."""
