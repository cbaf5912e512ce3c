"""/api/v1/participation: the participation register, on any date, as known at any time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from api.auth import roles_allowed
from api.current import services
from api.errors import problems
from api.reads import FreshnessSchema, wait_for_views
from api.schemas import IsoDate, UtcDateTime
from domain.dates import date_text, time_text
from projections import queries
from workflows.definitions import READERS

blp = Blueprint("participation", __name__, url_prefix="/api/v1/participation",
                description="Who participates in the programme, in what capacity, since when")


class RegisterQuerySchema(FreshnessSchema):
    on = IsoDate(metadata={"description": "the date asked about (default: today, UTC)"})
    known_at = UtcDateTime(metadata={
        "description": "answer as the system knew it at this time (default: now)"})


class TimelineQuerySchema(FreshnessSchema):
    known_at = UtcDateTime()


class SourceSchema(Schema):
    type = fields.String()
    id = fields.String()


class ParticipantSchema(Schema):
    party = fields.String()
    kind = fields.String()
    country = fields.String(allow_none=True)
    capacity = fields.String(metadata={"enum": list(queries.CAPACITY_ORDER)})
    since = fields.String()
    until = fields.String(allow_none=True)
    source = fields.Nested(SourceSchema)
    recorded_at = fields.String()


class RegisterSchema(Schema):
    on = IsoDate()
    known_at = fields.String()
    count = fields.Integer()
    participants = fields.List(fields.Nested(ParticipantSchema))


class TimelineSchema(Schema):
    party = fields.String()
    known_at = fields.String()
    periods = fields.List(fields.Nested(ParticipantSchema))


def _known_at(query: dict[str, Any]) -> str:
    return time_text(query.get("known_at") or datetime.now(UTC))


@blp.route("")
class Register(MethodView):
    @roles_allowed(READERS, "read the participation register")
    @blp.arguments(RegisterQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, RegisterSchema)
    @problems(blp, 403)
    def get(self, query: dict[str, Any]) -> Any:
        """Every party participating on ``on``, as known at ``known_at``, with capacity and start date."""
        wait_for_views(query, ["register"])
        on = query.get("on") or datetime.now(UTC).date()
        known_at = _known_at(query)
        rows = queries.participation(services().db, date_text(on), known_at)
        return {"on": on, "known_at": known_at, "count": len(rows), "participants": rows}


@blp.route("/<party>")
class Timeline(MethodView):
    @roles_allowed(READERS, "read the participation register")
    @blp.arguments(TimelineQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, TimelineSchema)
    @problems(blp, 403)
    def get(self, query: dict[str, Any], party: str) -> Any:
        """One party's whole timeline (a country code such as ES, or a name), as known at ``known_at``."""
        wait_for_views(query, ["register"])
        if not 1 <= len(party) <= 300 or "\x00" in party:
            raise validate.ValidationError("party must be 1 to 300 characters, without NUL")
        known_at = _known_at(query)
        return {"party": party, "known_at": known_at,
                "periods": queries.timeline(services().db, party, known_at)}
