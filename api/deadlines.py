"""/api/v1/deadlines: every date of an open agreement or enlargement process that asks for action."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from api.auth import roles_allowed
from api.current import services
from api.errors import Problem, problems
from api.fields import IsoDate, Line
from api.reads import PAGE_HEADERS, PageSchema, page_headers, wait_for_views
from projections.deadlines import KINDS, deadlines
from workflows.definitions import READERS

blp = Blueprint("deadlines", __name__, url_prefix="/api/v1/deadlines",
                description="Deadlines: notice windows, expiries, renewals, pre-stage limits, reviews")


class DeadlinesQuerySchema(PageSchema):
    officer = Line(100, metadata={"description": "a username: the deadlines of the processes this officer created "
                                                 "or took a step on"})
    process_id = fields.UUID(metadata={"description": "one agreement or enlargement process"})
    kind = fields.List(fields.String(validate=validate.OneOf(KINDS)), metadata={
        "description": "one or more kinds (repeat the parameter)"})
    from_ = IsoDate(data_key="from", metadata={"description": "due on or after this day (YYYY-MM-DD)"})
    to = IsoDate(metadata={"description": "due on or before this day (YYYY-MM-DD)"})


class OfficerSchema(Schema):
    username = fields.String()
    role = fields.String()


class DeadlineSchema(Schema):
    id = fields.String(metadata={"description": "<process_id>:<kind>:<due_on>, the same for the same date"})
    process_kind = fields.String(metadata={"enum": ["agreement", "enlargement"]})
    process_id = fields.UUID()
    title = fields.String()
    kind = fields.String(metadata={"enum": list(KINDS)})
    due_on = fields.String(metadata={"format": "date"})
    officers = fields.List(fields.Nested(OfficerSchema), metadata={
        "description": "who created the process and every IR or legal officer who took a step on it"})
    rule = fields.String(metadata={"description": "the rule of the workflow definition behind the date"})
    detail = fields.String()


@blp.route("")
class Deadlines(MethodView):
    @roles_allowed(READERS, "read deadlines")
    @blp.arguments(DeadlinesQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, DeadlineSchema(many=True), headers=PAGE_HEADERS)
    @problems(blp, 400, 403)
    def get(self, query: dict[str, Any]) -> Any:
        """Deadlines, soonest first, with pages (X-Total-Count, Link); past dates a process has not yet had
        decided are included unless ``from`` leaves them out."""
        wait_for_views(query, ["deadlines"])
        due_from, due_to = query.get("from_"), query.get("to")
        if due_from and due_to and due_from > due_to:
            raise Problem(400, "Bad Request", "from must not be after to", "bad-query")
        page, per_page = query["page"], query["per_page"]
        rows, total = deadlines(services().db, officer=query.get("officer"),
                                process_id=str(query["process_id"]) if query.get("process_id") else None,
                                kinds=query.get("kind"), due_from=due_from and due_from.isoformat(),
                                due_to=due_to and due_to.isoformat(), page=page, per_page=per_page)
        return rows, 200, page_headers(total, page, per_page)
