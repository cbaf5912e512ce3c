"""/api/v1/workflows: the workflow definitions, as data."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.errors import problems
from domain.records import plain
from workflows.definitions import DEFINITIONS

blp = Blueprint("workflows", __name__, url_prefix="/api/v1/workflows", description="Workflow definitions")


class WorkflowSchema(Schema):
    kind = fields.String()
    version = fields.Integer()
    stages = fields.List(fields.String())
    create_roles = fields.List(fields.String())
    creation_fields = fields.List(fields.Dict())
    steps = fields.List(fields.Dict())


@blp.route("")
class Workflows(MethodView):
    @blp.response(200, WorkflowSchema(many=True))
    @problems(blp)
    def get(self) -> Any:
        """Every workflow definition: stages, steps, roles, fields, rules and version."""
        return [plain(workflow) for workflow in DEFINITIONS.values()]
