"""The one mapping from errors to HTTP: every error is application/problem+json, never a stack trace.

The OpenAPI document describes them the same way: ``ProblemSchema``, and for each status a response
(``describe_problems``) that a view names with ``@problems(blp, ...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from apispec import APISpec
from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask, Response, json
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException

from domain.errors import DomainError
from workflows import errors as wf
from workflows.documents import DocumentTooLargeError, UnsupportedDocumentError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
F = TypeVar("F", bound=Callable[..., Any])


class ProblemSchema(Schema):
    """An RFC 9457 problem: the body of every error. It may carry further members, which clients ignore."""

    class Meta:
        unknown = INCLUDE  # problem details are extensible: clients ignore members they do not know

    type = fields.String(required=True, metadata={"description": "urn:accord:problem:<slug>"})
    title = fields.String(required=True, metadata={"description": "the status's standard title"})
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), metadata={"description": "invalid fields: field -> messages"})
    rule = fields.String(metadata={"description": "the rule that refused the request (e.g. role, a workflow rule)"})
    current_version = fields.Integer(metadata={"description": "on a version conflict: the version now stored"})


PROBLEM_STATUSES: dict[int, str] = {
    400: "Malformed or too deeply nested JSON, a bad If-Match or Idempotency-Key, or contradictory query parameters",
    401: "No token, a malformed Authorization header, or an unknown or revoked token",
    403: "The caller's role may not do this",
    404: "No such agreement, process or step",
    409: "Version conflict: If-Match names a version that is no longer the current one",
    412: 'If-Match is required: send the version last read, e.g. "3"',
    413: "The body is too large",
    415: "The body is not JSON (or, for a document, not a kind of document Accord keeps)",
    416: "The range asked for is outside the document",
    422: "Invalid fields, or a step that the workflow does not allow now (the detail says which rule)",
    503: "The event store is unavailable, or a view has not reached min_position in time; retry later",
}
ALWAYS = (401, 503)
"""What every /api/v1 operation may answer: each needs a token and the event store."""
PROBLEM_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "the scheme to use: Bearer", "required": True,
                               "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "seconds to wait before retrying", "required": True,
                          "schema": {"type": "integer", "minimum": 0}}},
}


def describe_problems(spec: APISpec) -> None:
    """Describe each error status as sent: a problem+json body and its headers (replaces flask-smorest's
    application/json error responses of the same names)."""
    for status, description in PROBLEM_STATUSES.items():
        response: dict[str, Any] = {"description": description,
                                    "content": {PROBLEM: {"schema": ProblemSchema}}}
        if status in PROBLEM_HEADERS:
            response["headers"] = PROBLEM_HEADERS[status]
        spec.components.response(HTTPStatus(status).name, response, lazy=True)


def problems(blp: Blueprint, *statuses: int) -> Callable[[F], F]:
    """Document that a view may answer with the problems ``statuses``, besides those of every operation."""

    def decorate(view: F) -> F:
        documented = view
        for status in sorted({*ALWAYS, *statuses}):
            documented = blp.alt_response(status, response=HTTPStatus(status).name)(documented)
        # alt_response wraps the view in one more call per status, only to carry the documentation: keep the
        # documentation (on the view itself) and not the ten or so calls it would add to every request.
        view._apidoc = documented._apidoc  # type: ignore[attr-defined]
        return view

    return decorate


class Problem(Exception):
    """An HTTP error raised by the API layer itself (bad headers, authentication, ...)."""

    def __init__(self, status: int, title: str, detail: str, slug: str | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.slug, self.extra = status, title, detail, slug, extra


TITLES = {status.value: status.phrase for status in HTTPStatus} | {
    413: "Content Too Large", 416: "Range Not Satisfiable", 422: "Unprocessable Content"}
"""The standard title of each status (RFC 9110's reason phrases, where Python's are older)."""


def slug_of(status: int) -> str:
    """The problem type of a status with nothing more specific to say: its title, e.g. method-not-allowed."""
    return TITLES.get(status, "error").lower().replace(" ", "-").replace("'", "")


def problem_response(status: int, title: str, detail: str, slug: str | None = None, headers: dict | None = None,
                     **extra: Any) -> Response:
    """The application/problem+json response of a problem, in the one shape of every error: ``type`` is
    urn:accord:problem:<slug> (the status's own when no ``slug``), ``title`` the status's standard title (what
    went wrong is in ``detail``; ``title`` given here is kept only for a status without one), ``extra`` adds
    members (those that are None are left out)."""
    body = {
        "type": f"urn:accord:problem:{slug or slug_of(status)}",
        "title": TITLES.get(status, title),
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if v is not None},
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs nests messages under the request location ({"json": {...}}); clients want field -> messages."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "headers", "form", "files", "view_args"}:
        flat: dict[str, Any] = {}
        for inner in messages.values():
            flat.update(inner if isinstance(inner, dict) else {"_schema": inner})
        return flat
    return messages if isinstance(messages, dict) else {"_schema": messages}


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        messages = (getattr(error, "data", None) or {}).get("messages")
        errors = _flatten_messages(messages) if messages else None
        detail = error.description or error.name
        if errors and set(errors) != {"_schema"}:
            detail = "invalid fields: " + ", ".join(sorted(errors))
        elif errors:
            detail = " ".join(str(m) for m in errors["_schema"])
            errors = None
        headers = {"WWW-Authenticate": "Bearer"} if error.code == 401 else {}
        allow = dict(error.get_headers()).get("Allow")
        if allow:  # 405: the methods the resource has
            headers["Allow"] = allow
        slug = "invalid-fields" if error.code == 422 and errors else None
        return problem_response(error.code or 500, error.name, detail, slug, errors=errors, headers=headers)

    @app.errorhandler(Problem)
    def api_problem(error: Problem) -> Response:
        extra = dict(error.extra)
        headers = {}
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="accord"'
        if extra.pop("headers_retry", False):
            headers["Retry-After"] = "1"
        content_range = extra.pop("headers_content_range", None)
        if content_range:
            headers["Content-Range"] = content_range
        return problem_response(error.status, error.title, error.detail, error.slug, headers=headers, **extra)

    @app.errorhandler(ValidationError)
    def invalid_fields(error: ValidationError) -> Response:
        errors = _flatten_messages(error.messages)
        return problem_response(422, "Unprocessable Content", "invalid fields: " + ", ".join(sorted(errors)),
                                "invalid-fields", errors=errors)

    @app.errorhandler(DomainError)
    def rule_broken(error: DomainError) -> Response:
        errors = {error.field: [error.message]} if error.field else None
        return problem_response(422, "Step refused", error.message, "rule", rule=error.rule, errors=errors)

    @app.errorhandler(wf.StepNotAllowedError)
    def step_not_allowed(error: wf.StepNotAllowedError) -> Response:
        return problem_response(422, "Step not allowed now", error.message, "rule", rule=error.rule)

    @app.errorhandler(wf.NotFoundError)
    @app.errorhandler(wf.UnknownStepError)
    def not_found(error: wf.WorkflowError) -> Response:
        return problem_response(404, "Not Found", error.message, "not-found")

    @app.errorhandler(wf.ForbiddenError)
    def forbidden(error: wf.ForbiddenError) -> Response:
        return problem_response(403, "Forbidden", error.message, "forbidden", rule="role")

    @app.errorhandler(wf.VersionConflictError)
    def conflict(error: wf.VersionConflictError) -> Response:
        return problem_response(409, "Version conflict", error.message, "version-conflict",
                                current_version=error.details.get("current_version"))

    @app.errorhandler(DocumentTooLargeError)
    def too_large(error: DocumentTooLargeError) -> Response:
        return problem_response(413, "Content Too Large", error.message, "too-large")

    @app.errorhandler(UnsupportedDocumentError)
    def unsupported(error: UnsupportedDocumentError) -> Response:
        return problem_response(415, "Unsupported Media Type", error.message, "unsupported-document")

    @app.errorhandler(wf.IdempotencyKeyReusedError)
    def key_reused(error: wf.IdempotencyKeyReusedError) -> Response:
        return problem_response(422, "Idempotency key reused", error.message, "idempotency-key-reused",
                                rule="idempotency_key")

    @app.errorhandler(wf.StorageUnavailableError)
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def unavailable(error: Exception) -> Response:
        log.warning("storage unavailable: %s", error)
        return problem_response(503, "Service Unavailable", "the event store is unavailable; retry shortly",
                                "storage-unavailable", headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error", "an unexpected error occurred; it has been logged",
                                "internal")
