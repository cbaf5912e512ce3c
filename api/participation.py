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


class CitedSourceSchema(Schema):
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True)


class AlternativeSchema(Schema):
    value = fields.String()
    source = fields.Nested(CitedSourceSchema)


class RecordDateSchema(Schema):
    """A date as the record gives it: to the day, month or year; exact, approximate, conflicting (with the
    other sources' values) or unknown; and the first and last day it may be."""

    value = fields.String(allow_none=True)
    precision = fields.String(metadata={"enum": ["day", "month", "year", "unknown"]})
    certainty = fields.String(metadata={"enum": ["exact", "approximate", "conflicting", "unknown"]})
    earliest = fields.String(allow_none=True)
    latest = fields.String(allow_none=True)
    alternatives = fields.List(fields.Nested(AlternativeSchema))
    note = fields.String(allow_none=True)


class ParticipantSchema(Schema):
    party = fields.String()
    kind = fields.String()
    country = fields.String(allow_none=True)
    capacity = fields.String(metadata={"enum": list(queries.CAPACITY_ORDER)})
    since = fields.String(allow_none=True, metadata={
        "description": "the first day the status possibly held (null: its start is unknown)"})
    until = fields.String(allow_none=True, metadata={
        "description": "the first day it certainly no longer held (null: it still holds)"})
    certain = fields.Boolean(metadata={
        "description": "on the date asked: whether the status certainly held (false inside an imprecise or "
                       "unknown start or end); in a timeline: whether both dates are known to the day"})
    suspended = fields.Boolean()
    scope = fields.String(allow_none=True)
    body = fields.String(allow_none=True, metadata={"description": "the body the status is held in"})
    relation = fields.String(metadata={"enum": ["with_organisation", "held_by_organisation"]})
    start = fields.Nested(RecordDateSchema, allow_none=True)
    end = fields.Nested(RecordDateSchema, allow_none=True)
    end_is = fields.String(metadata={"enum": ["last_day", "first_day_without"]})
    sources = fields.List(fields.Nested(CitedSourceSchema), metadata={"description": "every source of the row"})
    interpretation = fields.List(fields.String(), metadata={
        "description": "each reading of the record that is not a value copied from it"})
    source = fields.Nested(SourceSchema)
    recorded_at = fields.String()


class RegisteredSchema(ParticipantSchema):
    also = fields.List(fields.Nested(ParticipantSchema), metadata={
        "description": "the party's other statuses that day"})


class RegisterSchema(Schema):
    on = IsoDate()
    known_at = fields.String()
    count = fields.Integer()
    participants = fields.List(fields.Nested(RegisteredSchema))
    held_by_organisation = fields.List(fields.Nested(ParticipantSchema), metadata={
        "description": "the organisation's own statuses in other bodies that day"})


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
        held = queries.held_by_organisation(services().db, date_text(on), known_at)
        return {"on": on, "known_at": known_at, "count": len(rows), "participants": rows,
                "held_by_organisation": held}


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
