"""/api/v1/audit: the global journal, for auditors and management."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import roles_allowed
from api.reads import FreshnessSchema, wait_for_views
from api.services import services
from domain.values import Role
from projections import queries

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit")


class JournalQuerySchema(FreshnessSchema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    actor = fields.String(validate=validate.Length(1, 100))
    type = fields.String(validate=validate.Length(1, 100), metadata={"description": "a step name, e.g. renew"})
    recorded_from = fields.AwareDateTime()
    recorded_to = fields.AwareDateTime()


class JournalEntrySchema(Schema):
    position = fields.Integer()
    aggregate_id = fields.String()
    aggregate_type = fields.String()
    version = fields.Integer()
    type = fields.String()
    recorded_at = fields.String()
    actor = fields.String()
    role = fields.String()
    reason = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    data = fields.Dict()
    hash = fields.String()
    prev_hash = fields.String()


@blp.route("/journal")
class Journal(MethodView):
    @blp.arguments(JournalQuerySchema, location="query")
    @blp.response(200, JournalEntrySchema(many=True))
    @roles_allowed((Role.AUDITOR, Role.MANAGEMENT), "read the audit journal")
    def get(self, query: dict[str, Any]) -> Any:
        """The global log in order after position ``after``, shaped like history entries."""
        wait_for_views(query, ["journal"])
        return queries.journal(services().db, **query)
