"""/api/v1/reminders: the reminders planned for deadlines, their state, and the delivery log (every attempt to
send one, appended, never changed), for auditors and management."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from api.auth import roles_allowed
from api.current import services
from api.errors import problems
from api.fields import Line, WholeNumber
from api.reads import MAX_POSITION, PAGE_HEADERS, FreshnessSchema, PageSchema, page_headers, wait_for_views
from domain.values import Role
from projections import reminders

blp = Blueprint("reminders", __name__, url_prefix="/api/v1/reminders", description="Reminders of deadlines")
READERS = (Role.AUDITOR, Role.MANAGEMENT)
STATES = ("pending", "cancelled", reminders.RECORDED, *reminders.SETTLED)


class ReminderQuerySchema(PageSchema):
    status = fields.String(validate=validate.OneOf(STATES))
    username = Line(100)


class DeliverySchema(Schema):
    """One entry of the delivery log: ``sending`` before each attempt, then ``delivered`` or ``failed``
    (or how the reminder was settled without sending)."""

    seq = fields.Integer()
    key = fields.String()
    attempt = fields.Integer()
    at = fields.String(metadata={"description": "UTC, ISO 8601"})
    outcome = fields.String()
    address = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)


class ReminderSchema(Schema):
    """A reminder (``kind`` reminder) or the record that a deadline's reminders were cancelled (cancellation)."""

    key = fields.String()
    kind = fields.String()
    deadline_id = fields.String()
    deadline_kind = fields.String()
    process_kind = fields.String()
    process_id = fields.String()
    title = fields.String()
    due_on = fields.String()
    lead_days = fields.Integer(allow_none=True)
    send_on = fields.String()
    username = fields.String()
    role = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    planned_at = fields.String()
    settled_at = fields.String(allow_none=True)
    position = fields.Integer(metadata={"description": "the log position whose view update planned it"})
    deliveries = fields.List(fields.Nested(DeliverySchema))


class DeliveryQuerySchema(FreshnessSchema):
    after = WholeNumber(0, MAX_POSITION, load_default=0)
    limit = WholeNumber(1, 1000, load_default=100)


@blp.route("")
class Reminders(MethodView):
    @roles_allowed(READERS, "read the reminders")
    @blp.arguments(ReminderQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ReminderSchema(many=True), headers=PAGE_HEADERS)
    @problems(blp, 403)
    def get(self, query: dict[str, Any]) -> Any:
        """Reminders and cancellations, the latest planned first, each with its delivery log."""
        wait_for_views(query, ["deadlines"])
        db = services().db
        rows, total = reminders.outbox(db, query.get("status"), query.get("username"), query["page"],
                                       query["per_page"])
        logs = reminders.deliveries_of(db, [row["key"] for row in rows])
        for row in rows:
            row["deliveries"] = logs[row["key"]]
        return rows, 200, page_headers(total, query["page"], query["per_page"])


@blp.route("/deliveries")
class Deliveries(MethodView):
    @roles_allowed(READERS, "read the reminders")
    @blp.arguments(DeliveryQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, DeliverySchema(many=True))
    @problems(blp, 403)
    def get(self, query: dict[str, Any]) -> Any:
        """The delivery log in order after ``seq`` ``after``: every attempt and how it ended."""
        wait_for_views(query, ["deadlines"])
        return reminders.deliveries(services().db, after=query["after"], limit=query["limit"])
