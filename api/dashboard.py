"""/api/v1/dashboard: where all our agreements stand."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from api.auth import roles_allowed
from api.current import services
from api.errors import problems
from api.fields import WholeNumber
from api.reads import FreshnessSchema, wait_for_views
from projections import queries
from workflows.definitions import READERS

blp = Blueprint("dashboard", __name__, url_prefix="/api/v1/dashboard", description="Management dashboard")


class DashboardQuerySchema(FreshnessSchema):
    stalled_days = WholeNumber(0, 36500, load_default=90)
    expiring_days = WholeNumber(0, 36500, load_default=180)


class ItemsSchema(Schema):
    days = fields.Integer()
    count = fields.Integer()
    items = fields.List(fields.Dict())


class EnlargementCountsSchema(Schema):
    total = fields.Integer()
    by_stage = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_target = fields.Dict(keys=fields.String(), values=fields.Integer())


class DashboardSchema(Schema):
    enlargements = fields.Nested(EnlargementCountsSchema)
    total = fields.Integer()
    by_stage = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    stalled = fields.Nested(ItemsSchema)
    expiring = fields.Nested(ItemsSchema)


@blp.route("")
class Dashboard(MethodView):
    @roles_allowed(READERS, "read the dashboard")
    @blp.arguments(DashboardQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, DashboardSchema)
    @problems(blp, 403)
    def get(self, query: dict[str, Any]) -> Any:
        """Counts by stage, status and kind; stalled (no step for N days); expiring within N days."""
        wait_for_views(query, ["agreements", "enlargements"])
        return queries.dashboard(services().db, query["stalled_days"], query["expiring_days"])
