"""/api/v1/agreements: cooperation agreements. How an agreement answers (its body, the list's query and
summary, and ``body_of``, which presents an agreement to its body schema); what a client sends to create one
is ``api.schemas.AgreementCreateSchema``, and the routes themselves are in ``api.processes``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.current import services
from api.fields import CountryShaped, Line, UtcDateTime, WholeNumber
from api.processes import Resource, add_routes
from api.reads import PageSchema
from api.schemas import (
    AgreementCreateSchema,
    CounterpartySchema,
    DocumentStateSchema,
    IsoDate,
    SignatureSchema,
    entries_count,
    recent_entries,
)
from domain.records import plain
from domain.values import AgreementKind, Clearance, Stage, Status
from projections import queries
from workflows.definitions import values_of

blp = Blueprint("agreements", __name__, url_prefix="/api/v1/agreements",
                description="Cooperation agreements and their workflow steps")


class ChildAgreementSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    kind = fields.String(metadata={"enum": values_of(AgreementKind)})
    stage = fields.String(metadata={"enum": values_of(Stage)})
    status = fields.String(metadata={"enum": values_of(Status)})


class AgreementSchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": values_of(AgreementKind)})
    title = fields.String()
    summary = fields.String(allow_none=True)
    counterparties = fields.List(fields.Nested(CounterpartySchema))
    parent_id = fields.UUID(allow_none=True)
    protocols = fields.List(fields.Nested(ChildAgreementSchema), metadata={
        "description": "the agreements concluded under this one (protocols, addenda), as the list knows them"})
    stage = fields.String(metadata={"enum": values_of(Stage)})
    status = fields.String(metadata={"enum": values_of(Status)})
    version = fields.Integer()
    workflow_version = fields.Integer()
    created_at = UtcDateTime()
    created_by = fields.String()
    updated_at = UtcDateTime()
    current_text = fields.Nested(DocumentStateSchema, allow_none=True)
    legal_clearance = fields.String(metadata={"enum": values_of(Clearance)})
    finalised_text = fields.Nested(DocumentStateSchema, allow_none=True)
    rounds_held = entries_count("negotiation rounds", "record_round")
    recent_rounds = recent_entries("negotiation rounds", "record_round")
    signatures = fields.List(fields.Nested(SignatureSchema))
    unsigned_parties = fields.List(fields.String())
    effective_on = IsoDate(allow_none=True)
    expires_on = IsoDate(allow_none=True)
    suspended_on = IsoDate(allow_none=True)
    closed_on = IsoDate(allow_none=True)
    superseded_by = fields.UUID(allow_none=True, metadata={
        "description": "the agreement or enlargement process that replaced this one"})
    milestones_recorded = entries_count("implementation milestones", "record_milestone")
    recent_milestones = recent_entries("implementation milestones", "record_milestone")


class AgreementListQuerySchema(PageSchema):
    stage = fields.String(validate=validate.OneOf(values_of(Stage)))
    status = fields.String(validate=validate.OneOf(values_of(Status)))
    kind = fields.String(validate=validate.OneOf(values_of(AgreementKind)))
    country = CountryShaped()
    counterparty = Line(300, metadata={"description": "name contains"})
    q = Line(300, metadata={"description": "title contains"})
    parent = fields.UUID(metadata={"description": "only the agreements concluded under this one (its protocols "
                                                  "and addenda)"})
    expires_before = IsoDate()
    stalled_for_days = WholeNumber(0, 36500)
    sort = fields.String(load_default="-updated_at", validate=validate.OneOf(
        [f"{d}{c}" for c in queries.AGREEMENT_SORTABLE for d in ("", "-")]))


class AgreementSummarySchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    stage = fields.String()
    status = fields.String()
    version = fields.Integer()
    workflow_version = fields.Integer()
    created_at = fields.String()
    created_by = fields.String()
    updated_at = fields.String()
    last_step = fields.String(allow_none=True)
    last_actor = fields.String(allow_none=True)
    position = fields.Integer()
    parent_id = fields.UUID(allow_none=True)
    expires_on = fields.String(allow_none=True)
    effective_on = fields.String(allow_none=True)
    closed_on = fields.String(allow_none=True)
    legal_clearance = fields.String()
    counterparties = fields.String()
    countries = fields.String()


def body_of(agreement: Any) -> dict[str, Any]:
    """The agreement as ``AgreementSchema`` writes it: enums as their values; value objects and dates as they
    are, for the schema's nested schemas and date fields to write, but counterparties as mappings (their kind
    is an enum); lists copied, never the aggregate's own."""
    return {
        "id": agreement.id,
        "kind": agreement.kind.value,
        "title": agreement.title,
        "summary": agreement.summary,
        "counterparties": [plain(c) for c in agreement.counterparties],
        "parent_id": agreement.parent_id,
        "protocols": queries.children_of(services().db, str(agreement.id)),
        "stage": agreement.stage.value,
        "status": agreement.status.value,
        "version": agreement.version,
        "workflow_version": agreement.workflow_version,
        "created_at": agreement.created_on,
        "created_by": agreement.created_by,
        "updated_at": agreement.modified_on,
        "current_text": agreement.current_text,
        "legal_clearance": agreement.legal_clearance.value,
        "finalised_text": agreement.finalised_text,
        "rounds_held": agreement.rounds_held,
        "recent_rounds": list(agreement.recent_rounds),
        "signatures": list(agreement.signatures),
        "unsigned_parties": list(agreement.unsigned_parties) if agreement.stage is Stage.SIGNATURE else [],
        "effective_on": agreement.effective_on,
        "expires_on": agreement.expires_on,
        "suspended_on": agreement.suspended_on,
        "closed_on": agreement.closed_on,
        "superseded_by": agreement.superseded_by,
        "milestones_recorded": agreement.milestones_recorded,
        "recent_milestones": list(agreement.recent_milestones),
    }


add_routes(blp, Resource(
    kind="agreement", noun="agreement", service=lambda: services().agreements, present=body_of,
    create_schema=AgreementCreateSchema, schema=AgreementSchema, list_query_schema=AgreementListQuerySchema,
    summary_schema=AgreementSummarySchema, list_rows=queries.list_agreements, view="agreements",
))
