"""/api/v1/observers: observer statuses, each a process of its own (requested, granted with a scope,
suspended and resumed, ended). What a client sends to create one is ``api.schemas.ObserverCreateSchema``;
the routes themselves are in ``api.processes``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.current import services
from api.fields import CountryShaped
from api.processes import Resource, add_routes
from api.reads import PageSchema
from api.schemas import CounterpartySchema, IsoDate, ObserverCreateSchema
from domain.values import Stage
from projections import queries
from workflows.definitions import values_of
from workflows.observers import STATUSES

blp = Blueprint("observers", __name__, url_prefix="/api/v1/observers",
                description="Observer status of states and international organisations with the Council")


class ObserverSchema(Schema):
    id = fields.UUID()
    party = fields.Nested(CounterpartySchema)
    stage = fields.String(metadata={"enum": values_of(Stage)})
    status = fields.String(metadata={"enum": list(STATUSES)})
    version = fields.Integer()
    workflow_version = fields.Integer()
    created_at = fields.DateTime()
    created_by = fields.String()
    updated_at = fields.DateTime()
    requested_on = IsoDate()
    granted_on = IsoDate(allow_none=True)
    scope = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    suspended_on = IsoDate(allow_none=True, metadata={"description": "the latest suspension"})
    resumed_on = IsoDate(allow_none=True, metadata={"description": "the latest resumption"})
    ended_on = IsoDate(allow_none=True)


class ObserverListQuerySchema(PageSchema):
    country = CountryShaped()
    sort = fields.String(load_default="party", validate=validate.OneOf(["party", "-party"]))


class ObserverSummarySchema(Schema):
    id = fields.UUID()
    party = fields.String()
    kind = fields.String()
    country = fields.String(allow_none=True)


def body_of(status: Any) -> dict[str, Any]:
    return {
        "id": status.id, "party": {"name": status.party.name, "kind": status.party.kind.value,
                                   "country": status.party.country},
        "stage": status.stage.value, "status": status.status, "version": status.version,
        "workflow_version": status.workflow_version, "created_at": status.created_on,
        "created_by": status.created_by, "updated_at": status.modified_on, "requested_on": status.requested_on,
        "granted_on": status.granted_on, "scope": status.scope, "resolution": status.resolution,
        "suspended_on": status.suspended_on, "resumed_on": status.resumed_on, "ended_on": status.ended_on,
    }


add_routes(blp, Resource(
    kind="observer", noun="observer status", service=lambda: services().observers, present=body_of,
    create_schema=ObserverCreateSchema, schema=ObserverSchema, list_query_schema=ObserverListQuerySchema,
    summary_schema=ObserverSummarySchema, list_rows=queries.list_observers, view="register",
))
