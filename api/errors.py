"""The one mapping from errors to HTTP: every error is application/problem+json, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask, Response, json
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from domain.errors import DomainError
from workflows import errors as wf

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class Problem(Exception):
    """An HTTP error raised by the API layer itself (bad headers, authentication, ...)."""

    def __init__(self, status: int, title: str, detail: str, slug: str | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.slug, self.extra = status, title, detail, slug, extra


def problem(status: int, title: str, detail: str, slug: str | None = None, headers: dict | None = None,
            **extra: Any) -> Response:
    body = {
        "type": f"urn:accord:problem:{slug}" if slug else "about:blank",
        "title": title,
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
        headers = {"WWW-Authenticate": "Bearer"} if error.code == 401 else None
        return problem(error.code or 500, error.name, detail, errors=errors, headers=headers)

    @app.errorhandler(Problem)
    def api_problem(error: Problem) -> Response:
        extra = dict(error.extra)
        headers = {}
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="accord"'
        if extra.pop("headers_retry", False):
            headers["Retry-After"] = "1"
        return problem(error.status, error.title, error.detail, error.slug, headers=headers, **extra)

    @app.errorhandler(ValidationError)
    def invalid_fields(error: ValidationError) -> Response:
        errors = _flatten_messages(error.messages)
        return problem(422, "Unprocessable Content", "invalid fields: " + ", ".join(sorted(errors)),
                       "invalid-fields", errors=errors)

    @app.errorhandler(DomainError)
    def rule_broken(error: DomainError) -> Response:
        errors = {error.field: [error.message]} if error.field else None
        return problem(422, "Step refused", error.message, "rule", rule=error.rule, errors=errors)

    @app.errorhandler(wf.StepNotAllowedError)
    def step_not_allowed(error: wf.StepNotAllowedError) -> Response:
        return problem(422, "Step not allowed now", error.message, "rule", rule=error.rule)

    @app.errorhandler(wf.NotFoundError)
    @app.errorhandler(wf.UnknownStepError)
    def not_found(error: wf.WorkflowError) -> Response:
        return problem(404, "Not Found", error.message, "not-found")

    @app.errorhandler(wf.ForbiddenError)
    def forbidden(error: wf.ForbiddenError) -> Response:
        return problem(403, "Forbidden", error.message, "forbidden", rule="role")

    @app.errorhandler(wf.VersionConflictError)
    def conflict(error: wf.VersionConflictError) -> Response:
        return problem(409, "Version conflict", error.message, "version-conflict",
                       current_version=error.details.get("current_version"))

    @app.errorhandler(wf.IdempotencyKeyReusedError)
    def key_reused(error: wf.IdempotencyKeyReusedError) -> Response:
        return problem(422, "Idempotency key reused", error.message, "idempotency-key-reused",
                       rule="idempotency_key")

    @app.errorhandler(wf.StorageUnavailableError)
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def unavailable(error: Exception) -> Response:
        log.warning("storage unavailable: %s", error)
        return problem(503, "Service Unavailable", "the event store is unavailable; retry shortly",
                       "storage-unavailable", headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "an unexpected error occurred; it has been logged",
                       "internal")
