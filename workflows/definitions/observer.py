"""Observer status's workflow, version by version."""

from __future__ import annotations

from domain.values import PartyKind
from workflows.definitions.common import (
    CLOSED,
    DRAFTING,
    IMPLEMENTATION,
    IR,
    LEGAL,
    Field,
    StepDefinition,
    WorkflowDefinition,
    values_of,
)

OBSERVER_V1 = WorkflowDefinition(
    kind="observer",
    version=1,
    stages=(DRAFTING, IMPLEMENTATION, CLOSED),
    create_roles=(IR,),
    creation_fields=(
        Field("party", "counterparty",
              description=f"{{name, kind: {'|'.join(values_of(PartyKind))}, country?: ISO 3166-1 alpha-2}}"),
        Field("requested_on", "date", description="the request, or the first step of record"),
    ),
    steps=(
        StepDefinition("grant", (DRAFTING,), (IR,), "Granted",
                       (Field("decided_on", "date"), Field("scope", "string", required=False,
                                                           description="e.g. LHC, HL-LHC; none: in general"),
                        Field("resolution", "string", required=False)),
                       rule="Council decision; the status holds from decided_on", moves_to=IMPLEMENTATION,
                       rules=("dates_in_order",)),
        StepDefinition("suspend", (IMPLEMENTATION,), (LEGAL,), "Suspended", (Field("effective_on", "date"),),
                       rule="active -> suspended", rules=("status", "dates_in_order")),
        StepDefinition("resume", (IMPLEMENTATION,), (LEGAL,), "Resumed", (Field("effective_on", "date"),),
                       rule="suspended -> active", rules=("status", "dates_in_order")),
        StepDefinition("end_status", (IMPLEMENTATION,), (LEGAL,), "Ended",
                       (Field("effective_on", "date"), Field("reason", "text")),
                       rule="the first day without the status; the reason is required", moves_to=CLOSED,
                       rules=("dates_in_order",)),
        StepDefinition("withdraw", (DRAFTING,), (IR,), "Withdrawn", rule="-> closed (withdrawn)",
                       moves_to=CLOSED),
    ),
)
