"""/api/v1/audit: the global journal, for auditors and management."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from api.auth import roles_allowed
from api.current import services
from api.errors import problems
from api.fields import Line, Sha256, UtcDateTime, WholeNumber
from api.reads import MAX_POSITION, FreshnessSchema, wait_for_views
from api.schemas import HistoryEntrySchema, InputSchema
from domain.values import Role
from projections import queries

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit")


class JournalQuerySchema(FreshnessSchema):
    after = WholeNumber(0, MAX_POSITION, load_default=0)
    limit = WholeNumber(1, 1000, load_default=100)
    actor = Line(100)
    type = Line(100, metadata={"description": "a step name, e.g. renew"})
    recorded_from = UtcDateTime()
    recorded_to = UtcDateTime()


class JournalEntrySchema(HistoryEntrySchema):
    """A history entry, with the aggregate it belongs to."""

    aggregate_id = fields.String()
    aggregate_type = fields.String()


@blp.route("/journal")
class Journal(MethodView):
    @roles_allowed((Role.AUDITOR, Role.MANAGEMENT), "read the audit journal")
    @blp.arguments(JournalQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, JournalEntrySchema(many=True))
    @problems(blp, 403)
    def get(self, query: dict[str, Any]) -> Any:
        """The global log in order after position ``after``, shaped like history entries."""
        wait_for_views(query, ["journal"])
        return queries.journal(services().db, **query)


class ChainProblemSchema(Schema):
    """A place where the hash chain does not verify."""

    position = fields.Integer()
    aggregate_id = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    problem = fields.String()


class VerificationSchema(Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    head_position = fields.Integer()
    head_hash = fields.String()
    problems = fields.List(fields.Nested(ChainProblemSchema))


class DigestSchema(InputSchema):
    position = WholeNumber(1, MAX_POSITION, required=True)
    hash = Sha256(required=True)


@blp.route("/verify")
class Verify(MethodView):
    @roles_allowed((Role.AUDITOR,), "verify the event store")
    @blp.response(200, VerificationSchema)
    @problems(blp, 403)
    def get(self) -> Any:
        """Recompute every event's hash and both chains from the stored events; name each problem's place."""
        return services().audit.verify()

    @roles_allowed((Role.AUDITOR,), "verify the event store")
    @blp.arguments(DigestSchema)
    @blp.response(200, VerificationSchema)
    @problems(blp, 400, 403, 413, 415)
    def post(self, digest: dict[str, Any]) -> Any:
        """Prove the log up to ``position`` is unchanged since a verification that gave ``hash`` there."""
        return services().audit.prove(digest["position"], digest["hash"])


@blp.route("/export")
class Export(MethodView):
    @roles_allowed((Role.AUDITOR,), "export the event store")
    @blp.doc(responses={"200": {"description": "JSON Lines, one event a line",
                                "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
    @problems(blp, 403)
    def get(self) -> Any:
        """The whole event store as JSON Lines, streamed (for archiving; `accord audit import` loads it)."""
        lines = services().audit.export_lines()
        return Response(stream_with_context(lines), mimetype="application/x-ndjson",
                        headers={"Content-Disposition": "attachment; filename=accord-export.jsonl"})
