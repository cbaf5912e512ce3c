"""The routes every process resource has (agreements, enlargements): create, list, get (also at a past
version or time), the steps the caller may take, take a step, and the history.

A view translates HTTP to a command or a query, nothing more.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from api.auth import current_actor, roles_allowed
from api.current import services
from api.errors import Problem, problems
from api.fields import WholeNumber
from api.reads import PAGE_HEADERS, page_field, page_headers, per_page_field, wait_for_views
from api.schemas import (
    STEP_LOADERS,
    STEP_SCHEMAS,
    AvailableStepSchema,
    HistoryEntrySchema,
    InputSchema,
    StateQuerySchema,
)
from domain.records import plain
from domain.values import StepContext
from projections.db import Database
from projections.queries import Page
from workflows.definitions import CURRENT, DEFINITIONS, READERS, StepDefinition, WorkflowDefinition
from workflows.steps import Outcome, ProcessService, StepRequest

MAX_IDEMPOTENCY_KEY = 200
IDEMPOTENCY_KEY = re.compile(rf"(?=.*[!-~])[ -~]{{1,{MAX_IDEMPOTENCY_KEY}}}")
"""An Idempotency-Key, recorded with the step: printable ASCII (no control character), not only spaces."""
STRONG_VERSION = re.compile(r'"([1-9][0-9]{0,9})"')
"""If-Match as the ETag writes it: a version in double quotes, nothing around it."""


@dataclass(frozen=True)
class Resource:
    """What differs between process resources."""

    kind: str
    noun: str
    service: Callable[[], ProcessService]
    present: Callable[[Any], dict[str, Any]]
    create_schema: type[Schema]
    schema: type[Schema]
    list_query_schema: type[Schema]
    summary_schema: type[Schema]
    list_rows: Callable[..., Page]
    view: str


ETAG_HEADER = {"ETag": {"description": 'the version of the state in the body, e.g. "3": send it as If-Match',
                        "required": True, "schema": {"type": "string"}}}
WRITE_HEADERS = {
    **ETAG_HEADER,
    "X-Position": {"description": "the event's position in the global log: pass it as min_position to read it",
                   "required": True, "schema": {"type": "integer", "minimum": 1}},
    "Idempotent-Replayed": {"description": "true when an Idempotency-Key repeated an earlier request",
                            "schema": {"type": "string", "enum": ["true"]}},
}
CREATED_HEADERS = {**WRITE_HEADERS, "Location": {"description": "the URL of the new resource", "required": True,
                                                 "schema": {"type": "string"}}}


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Problem(400, "Bad Request", f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII "
                      "characters, not only spaces", "bad-idempotency-key")
    return key


def if_match() -> int:
    """The version named by the If-Match header, required on every step: a strong entity tag, "3", compared
    strongly (RFC 9110): a weak tag (W/"3"), a bare number or doubled quotes are not a version."""
    header = request.headers.get("If-Match")
    match = STRONG_VERSION.fullmatch(header or "")
    if match:
        return int(match.group(1))
    if header is None:
        raise Problem(412, "Precondition Required",
                      'send If-Match: "<version>" with the version you last read (its ETag)',
                      "if-match-required")
    raise Problem(400, "Bad Request", 'If-Match must be a version such as "3"', "bad-if-match")


def context_from(fields: dict[str, Any]) -> StepContext:
    return StepContext(reason=fields.pop("reason", None), reference=fields.pop("reference", None),
                       idempotency_key=idempotency_key())


def step_request(workflow: WorkflowDefinition, step: StepDefinition) -> StepRequest:
    """What this HTTP request asks of a step the caller may take: the version it expects (If-Match), the
    step's fields (the JSON body, read by the step's schema: reason and reference go to the context) and its
    Idempotency-Key. The command service calls it once the caller is known to be allowed the step."""
    expected = if_match()
    body = request.get_json() if request.get_data(cache=True) else {}
    fields = STEP_LOADERS[(workflow.kind, workflow.version, step.name)].load(body if body is not None else {})
    return StepRequest(fields=fields, expected_version=expected, context=context_from(fields))


class HistoryPageSchema(InputSchema):
    """The pages of a history: the rule of every paged list (``api.reads.PageSchema``), without min_position
    (the history is read from the event store itself)."""

    page = page_field()
    per_page = per_page_field()


class DiffQuerySchema(InputSchema):
    from_ = WholeNumber(1, 2**31 - 1, data_key="from", attribute="from", required=True)
    to = WholeNumber(1, 2**31 - 1, required=True)


class ChangeSchema(Schema):
    field = fields.String()
    from_ = fields.Raw(data_key="from", attribute="from", allow_none=True)
    to = fields.Raw(allow_none=True)


class DiffSchema(Schema):
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))
    events = fields.List(fields.Nested(HistoryEntrySchema))


def add_routes(blp: Blueprint, r: Resource) -> None:
    """Register the process routes of resource ``r`` on ``blp``."""
    id_param = f"<uuid:{r.kind}_id>"

    def written(outcome: Outcome, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
        aggregate = outcome.aggregate
        headers = {"ETag": f'"{aggregate.version}"', "X-Position": str(outcome.position)}
        if status == 201:
            headers["Location"] = url_for(f"{blp.name}.Item", **{f"{r.kind}_id": aggregate.id})
        if outcome.replayed:
            headers["Idempotent-Replayed"] = "true"
        return r.present(aggregate), status, headers

    step_takers = sorted({role for (kind, _), workflow in DEFINITIONS.items() if kind == r.kind
                          for s in workflow.steps for role in s.roles}, key=lambda role: role.value)
    step_refs = [{"$ref": f"#/components/schemas/{schema.__name__.removesuffix('Schema')}"}
                 for (kind, _, _), schema in STEP_SCHEMAS.items() if kind == r.kind]

    @blp.route("")
    class Collection(MethodView):
        @roles_allowed(READERS, f"read {r.noun}s")
        @blp.arguments(r.list_query_schema, location="query", unknown=RAISE)
        @blp.response(200, r.summary_schema(many=True), headers=PAGE_HEADERS)
        @problems(blp, 403)
        def get(self, query: dict[str, Any]) -> Any:
            """List from the projection: filters, sort, pages (X-Total-Count, Link); min_position waits."""
            wait_for_views(query, [r.view])
            page, per_page, sort = query.pop("page"), query.pop("per_page"), query.pop("sort")
            db: Database = services().db
            result = r.list_rows(db, query, sort=sort, page=page, per_page=per_page)
            return result.items, 200, page_headers(result.total, page, per_page, result.total_is_lower_bound)

        @roles_allowed(CURRENT[r.kind].create_roles, f"create {r.noun}s")
        @blp.arguments(r.create_schema)
        @blp.response(201, r.schema, headers=CREATED_HEADERS)
        @problems(blp, 400, 403, 413, 415, 422)
        def post(self, fields: dict[str, Any]) -> Any:
            """Create (in drafting); an Idempotency-Key makes a retry return the first result."""
            outcome = r.service().create(fields, actor=current_actor(), context=context_from(fields))
            return written(outcome, 201)

    @blp.route(f"/{id_param}")
    class Item(MethodView):
        @roles_allowed(READERS, f"read {r.noun}s")
        @blp.arguments(StateQuerySchema, location="query", unknown=RAISE)
        @blp.response(200, r.schema, headers=ETAG_HEADER)
        @problems(blp, 400, 403, 404)
        def get(self, query: dict[str, Any], **ids: Any) -> Any:
            """The current state, or the state at a past ``version`` or time (``as_of``)."""
            [aggregate_id] = ids.values()
            if "version" in query and "as_of" in query:
                raise Problem(400, "Bad Request", "give either version or as_of, not both", "bad-query")
            if "as_of" in query:
                aggregate = r.service().get_as_of(aggregate_id, query["as_of"])
            else:
                aggregate = r.service().get(aggregate_id, version=query.get("version"))
            return r.present(aggregate), 200, {"ETag": f'"{aggregate.version}"'}

    @blp.route(f"/{id_param}/steps")
    class Steps(MethodView):
        @roles_allowed(READERS, f"read {r.noun}s")
        @blp.response(200, AvailableStepSchema(many=True))
        @problems(blp, 403, 404)
        def get(self, **ids: Any) -> Any:
            """The steps the caller's role may take in this stage, with their fields, each saying whether it
            would pass now (the domain's own guards, tried without recording anything) and, if not, the rule
            that refuses it and what it waits for."""
            [aggregate_id] = ids.values()
            return [
                {"name": s.step.name, "roles": [role.value for role in s.step.roles], "rule_text": s.step.rule,
                 "moves_to": s.step.moves_to.value if s.step.moves_to else None,
                 "fields": [dataclasses.asdict(f) for f in s.step.fields],
                 "would_pass": s.would_pass, "rule": s.rule, "waits_for": s.waits_for}
                for s in r.service().readiness(aggregate_id, current_actor()).steps
            ]

    @blp.route(f"/{id_param}/steps/<step>")
    class Step(MethodView):
        @roles_allowed(step_takers, f"take steps on {r.noun}s")
        @blp.response(200, r.schema, headers=WRITE_HEADERS)
        @problems(blp, 400, 403, 404, 409, 412, 413, 415, 422)
        @blp.doc(
            parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
                         "description": 'the version last read, as its ETag gives it: "3" (a strong tag; '
                                        'W/"3" or a bare 3 is refused)'},
                        {"in": "header", "name": "Idempotency-Key", "required": False,
                         "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY,
                                    "pattern": "^[ -~]+$"}}],
            requestBody={"required": False, "content": {"application/json": {"schema": {"anyOf": step_refs}}}},
        )
        def post(self, step: str, **ids: Any) -> Any:
            """Take a workflow step; the body holds the step's fields (see GET .../steps)."""
            [aggregate_id] = ids.values()
            return written(r.service().take_requested_step(aggregate_id, step, current_actor(), step_request))

    @blp.route(f"/{id_param}/diff")
    class Diff(MethodView):
        @roles_allowed(READERS, f"read {r.noun}s")
        @blp.arguments(DiffQuerySchema, location="query", unknown=RAISE)
        @blp.response(200, DiffSchema)
        @problems(blp, 400, 403, 404)
        def get(self, query: dict[str, Any], **ids: Any) -> Any:
            """What changed between two versions: field by field, with the events in between."""
            [aggregate_id] = ids.values()
            low, high = query["from"], query["to"]
            if low > high:
                raise Problem(400, "Bad Request", "from must not be after to", "bad-query")
            service = r.service()
            before, after = r.present(service.get(aggregate_id, version=low)), r.present(
                service.get(aggregate_id, version=high))
            changes = [{"field": k, "from": plain(before[k]), "to": plain(after[k])}
                       for k in after if k not in ("version", "updated_at") and before.get(k) != after[k]]
            events = [dataclasses.asdict(e) for e in service.history(aggregate_id) if low < e.version <= high]
            return {"from": low, "to": high, "changes": changes, "events": events}

    @blp.route(f"/{id_param}/history")
    class History(MethodView):
        @roles_allowed(READERS, f"read {r.noun}s")
        @blp.arguments(HistoryPageSchema, location="query", unknown=RAISE)
        @blp.response(200, HistoryEntrySchema(many=True), headers=PAGE_HEADERS)
        @problems(blp, 403, 404)
        def get(self, query: dict[str, Any], **ids: Any) -> Any:
            """The audit trail, from the event store itself: events in order, a page of versions at a time
            (X-Total-Count, Link)."""
            [aggregate_id] = ids.values()
            page, per_page = query["page"], query["per_page"]
            service = r.service()
            entries = [dataclasses.asdict(e) for e in service.history(
                aggregate_id, after_version=(page - 1) * per_page or None, up_to_version=page * per_page)]
            total = service.get(aggregate_id).version
            return entries, 200, page_headers(total, page, per_page)
