"""/api/v1/enlargements: enlargement processes. How a process answers (its body, the list's query and
summary, and ``body_of``, which presents a process to its body schema); what a client sends to create one is
``api.schemas.EnlargementCreateSchema``, and the routes themselves are in ``api.processes``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.current import services
from api.fields import CountryShaped, UtcDateTime
from api.processes import Resource, add_routes
from api.reads import PageSchema
from api.schemas import (
    DocumentStateSchema,
    EnlargementCreateSchema,
    IsoDate,
    StateSchema,
    entries_count,
    recent_entries,
)
from domain.values import ProcessStatus, Stage, Target
from projections import queries
from workflows.definitions import values_of

blp = Blueprint("enlargements", __name__, url_prefix="/api/v1/enlargements",
                description="Enlargement processes: Associate Membership (also in the pre-stage) and Membership")


class EnlargementSchema(Schema):
    id = fields.UUID()
    state = fields.Nested(StateSchema)
    target = fields.String(metadata={"enum": values_of(Target)})
    stage = fields.String(metadata={"enum": values_of(Stage)})
    status = fields.String(metadata={"enum": values_of(ProcessStatus)})
    version = fields.Integer()
    workflow_version = fields.Integer()
    created_at = UtcDateTime()
    created_by = fields.String()
    updated_at = UtcDateTime()
    applied_on = IsoDate()
    task_force_on = IsoDate(allow_none=True)
    task_force_report = fields.Nested(DocumentStateSchema, allow_none=True)
    task_force_report_on = IsoDate(allow_none=True)
    negotiation_authorised_on = IsoDate(allow_none=True)
    current_text = fields.Nested(DocumentStateSchema, allow_none=True)
    legal_clearance = fields.String()
    rounds_held = entries_count("negotiation rounds", "record_round")
    recent_rounds = recent_entries("negotiation rounds", "record_round")
    approved_on = IsoDate(allow_none=True)
    signed_on = IsoDate(allow_none=True)
    signatories = fields.List(fields.String())
    ratification_notified_on = IsoDate(allow_none=True)
    effective_on = IsoDate(allow_none=True)
    ended_on = IsoDate(allow_none=True)


class EnlargementListQuerySchema(PageSchema):
    stage = fields.String(validate=validate.OneOf(values_of(Stage)))
    status = fields.String(validate=validate.OneOf(values_of(ProcessStatus)))
    target = fields.String(validate=validate.OneOf(values_of(Target)))
    country = CountryShaped()
    sort = fields.String(load_default="-updated_at", validate=validate.OneOf(
        [f"{d}{c}" for c in queries.ENLARGEMENT_SORTABLE for d in ("", "-")]))


class EnlargementSummarySchema(Schema):
    id = fields.UUID()
    state = fields.String()
    country = fields.String()
    target = fields.String()
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
    applied_on = fields.String()
    effective_on = fields.String(allow_none=True)
    ended_on = fields.String(allow_none=True)


def body_of(process: Any) -> dict[str, Any]:
    """The process as ``EnlargementSchema`` writes it: enums as their values; value objects and dates as they
    are, for the schema's nested schemas and date fields to write; lists copied, never the aggregate's own."""
    return {
        "id": process.id,
        "state": process.state,
        "target": process.target.value,
        "stage": process.stage.value,
        "status": process.status.value,
        "version": process.version,
        "workflow_version": process.workflow_version,
        "created_at": process.created_on,
        "created_by": process.created_by,
        "updated_at": process.modified_on,
        "applied_on": process.applied_on,
        "task_force_on": process.task_force_on,
        "task_force_report": process.task_force_report,
        "task_force_report_on": process.task_force_report_on,
        "negotiation_authorised_on": process.negotiation_authorised_on,
        "current_text": process.current_text,
        "legal_clearance": process.legal_clearance.value,
        "rounds_held": process.rounds_held,
        "recent_rounds": list(process.recent_rounds),
        "approved_on": process.approved_on,
        "signed_on": process.signed_on,
        "signatories": list(process.signatories),
        "ratification_notified_on": process.ratification_notified_on,
        "effective_on": process.effective_on,
        "ended_on": process.ended_on,
    }


add_routes(blp, Resource(
    kind="enlargement", noun="enlargement process", service=lambda: services().enlargements, present=body_of,
    create_schema=EnlargementCreateSchema, schema=EnlargementSchema, list_query_schema=EnlargementListQuerySchema,
    summary_schema=EnlargementSummarySchema, list_rows=queries.list_enlargements, view="enlargements",
))
