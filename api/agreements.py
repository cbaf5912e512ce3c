"""/api/v1/agreements: a view translates HTTP to a command or a query, nothing more."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor, roles_allowed
from api.errors import Problem
from api.reads import PageSchema, page_headers, wait_for_views
from api.schemas import (
    STEP_SCHEMAS,
    AgreementCreateSchema,
    AgreementSchema,
    AvailableStepSchema,
    HistoryEntrySchema,
    StateQuerySchema,
)
from api.services import services
from domain.agreement import CooperationAgreement
from domain.records import plain
from domain.values import AgreementKind, Stage, Status, StepContext
from projections import queries
from workflows.commands import Outcome
from workflows.definitions import CURRENT, READERS, values_of

blp = Blueprint("agreements", __name__, url_prefix="/api/v1/agreements",
                description="Cooperation agreements and their workflow steps")
MAX_IDEMPOTENCY_KEY = 200
CONTEXT_FIELDS = ("reason", "reference")


def view_of(agreement: CooperationAgreement) -> dict[str, Any]:
    """The agreement as the API shows it (enums as their values, value objects as mappings)."""
    return {
        "id": agreement.id,
        "kind": agreement.kind.value,
        "title": agreement.title,
        "summary": agreement.summary,
        "counterparties": [plain(c) for c in agreement.counterparties],
        "parent_id": agreement.parent_id,
        "stage": agreement.stage.value,
        "status": agreement.status.value,
        "version": agreement.version,
        "workflow_version": agreement.workflow_version,
        "created_at": agreement.created_on,
        "created_by": agreement.created_by,
        "updated_at": agreement.modified_on,
        "current_text": dataclasses.asdict(agreement.current_text) if agreement.current_text else None,
        "legal_clearance": agreement.legal_clearance.value,
        "finalised_text": dataclasses.asdict(agreement.finalised_text) if agreement.finalised_text else None,
        "rounds": [dataclasses.asdict(r) for r in agreement.rounds],
        "signatures": [dataclasses.asdict(s) for s in agreement.signatures],
        "unsigned_parties": list(agreement.unsigned_parties) if agreement.stage.value == "signature" else [],
        "effective_on": agreement.effective_on,
        "expires_on": agreement.expires_on,
        "suspended_on": agreement.suspended_on,
        "closed_on": agreement.closed_on,
        "milestones": [dataclasses.asdict(m) for m in agreement.milestones],
    }


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY:
        raise Problem(400, "Bad Request", f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
                      "bad-idempotency-key")
    return key


def if_match() -> int:
    """The version named by the If-Match header: required on every step."""
    header = request.headers.get("If-Match")
    if header is None:
        raise Problem(412, "Precondition Required",
                      'send If-Match: "<version>" with the version you last read (its ETag)',
                      "if-match-required")
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise Problem(400, "Bad Request", 'If-Match must be a version such as "3"', "bad-if-match")
    return int(value)


def context_from(fields: dict[str, Any]) -> StepContext:
    return StepContext(reason=fields.pop("reason", None), reference=fields.pop("reference", None),
                       idempotency_key=idempotency_key())


def written(outcome: Outcome, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    agreement = outcome.aggregate
    headers = {"ETag": f'"{agreement.version}"', "X-Position": str(outcome.position)}
    if status == 201:
        headers["Location"] = url_for("agreements.Agreement", agreement_id=agreement.id)
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return view_of(agreement), status, headers


class AgreementListQuerySchema(PageSchema):
    stage = fields.String(validate=validate.OneOf(values_of(Stage)))
    status = fields.String(validate=validate.OneOf(values_of(Status)))
    kind = fields.String(validate=validate.OneOf(values_of(AgreementKind)))
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"))
    counterparty = fields.String(validate=validate.Length(1, 300), metadata={"description": "name contains"})
    q = fields.String(validate=validate.Length(1, 300), metadata={"description": "title contains"})
    expires_before = fields.Date()
    stalled_for_days = fields.Integer(validate=validate.Range(min=0, max=36500))
    sort = fields.String(load_default="-updated_at", validate=validate.OneOf(
        [f"{d}{c}" for c in queries.SORTABLE for d in ("", "-")]))


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


@blp.route("")
class Agreements(MethodView):
    @blp.arguments(AgreementListQuerySchema, location="query")
    @blp.response(200, AgreementSummarySchema(many=True))
    @roles_allowed(READERS, "read agreements")
    def get(self, query: dict[str, Any]) -> Any:
        """List agreements from the projection: filters, sort, pages (X-Total-Count, Link)."""
        wait_for_views(query, ["agreements"])
        page, per_page, sort = query.pop("page"), query.pop("per_page"), query.pop("sort")
        result = queries.list_agreements(services().db, query, sort=sort, page=page, per_page=per_page)
        return result.items, 200, page_headers(result.total, page, per_page)

    @roles_allowed(CURRENT["agreement"].create_roles, "create agreements")
    @blp.arguments(AgreementCreateSchema)
    @blp.response(201, AgreementSchema)
    @blp.alt_response(422, description="Invalid fields")
    def post(self, fields: dict[str, Any]) -> Any:
        """Create a cooperation agreement (in drafting). IR officers only."""
        context = context_from(fields)
        outcome = services().agreements.create(fields, actor=current_actor(), context=context)
        return written(outcome, 201)


@blp.route("/<uuid:agreement_id>")
class Agreement(MethodView):
    @blp.arguments(StateQuerySchema, location="query")
    @blp.response(200, AgreementSchema)
    @roles_allowed(READERS, "read agreements")
    def get(self, query: dict[str, Any], agreement_id: UUID) -> Any:
        """The agreement's current state, or its state at a past ``version`` or time (``as_of``)."""
        if "version" in query and "as_of" in query:
            raise Problem(400, "Bad Request", "give either version or as_of, not both", "bad-query")
        agreements = services().agreements
        if "as_of" in query:
            agreement = agreements.get_as_of(agreement_id, query["as_of"])
        else:
            agreement = agreements.get(agreement_id, version=query.get("version"))
        return view_of(agreement), 200, {"ETag": f'"{agreement.version}"'}


@blp.route("/<uuid:agreement_id>/steps")
class Steps(MethodView):
    @blp.response(200, AvailableStepSchema(many=True))
    @roles_allowed(READERS, "read agreements")
    def get(self, agreement_id: UUID) -> Any:
        """The steps the caller may take now, with their fields."""
        steps = services().agreements.available_steps(agreement_id, current_actor())
        return [
            {"name": s.name, "roles": [r.value for r in s.roles], "rule": s.rule,
             "moves_to": s.moves_to.value if s.moves_to else None,
             "fields": [dataclasses.asdict(f) for f in s.fields]}
            for s in steps
        ]


@blp.route("/<uuid:agreement_id>/steps/<step>")
class Step(MethodView):
    @blp.response(200, AgreementSchema)
    @blp.doc(
        parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
                     "description": 'the version last read, e.g. "3"'},
                    {"in": "header", "name": "Idempotency-Key", "required": False,
                     "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY}}],
        requestBody={"required": False, "content": {"application/json": {"schema": {"oneOf": [
            {"$ref": f"#/components/schemas/{schema.__name__.removesuffix('Schema')}"}
            for schema in STEP_SCHEMAS.values()]}}}},
    )
    def post(self, agreement_id: UUID, step: str) -> Any:
        """Take a workflow step; the body holds the step's fields (see GET .../steps)."""
        agreements = services().agreements
        actor = current_actor()
        agreement = agreements.get(agreement_id)
        step_def = agreements.step_definition(agreements.workflow_of(agreement), step)
        agreements.require_role(actor, step_def.roles, f"take the step {step}")
        expected = if_match()
        schema = STEP_SCHEMAS[("agreement", agreement.workflow_version, step_def.name)]
        body = request.get_json() if request.content_length else {}
        fields = schema().load(body if body is not None else {})
        outcome = agreements.take_step(agreement_id, step_def.name, fields, actor=actor,
                                       expected_version=expected, context=context_from(fields))
        return written(outcome)


@blp.route("/<uuid:agreement_id>/history")
class History(MethodView):
    @blp.response(200, HistoryEntrySchema(many=True))
    @roles_allowed(READERS, "read agreements")
    def get(self, agreement_id: UUID) -> Any:
        """The audit trail: every event of the agreement, in order, from the event store itself."""
        return [dataclasses.asdict(e) for e in services().agreements.history(agreement_id)]
