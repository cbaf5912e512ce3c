"""The HTTP API under /api/v1: flask-smorest blueprints per resource, their schemas, bearer-token
authentication and the problem+json mapping. ``init_app`` plugs it into the Flask application that the
composition root (``bootstrap.create_app``) builds; nothing is built at import time."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask_smorest import Api

from api import (
    agreements,
    audit,
    auth,
    dashboard,
    deadlines,
    documents,
    enlargements,
    errors,
    health,
    observers,
    participation,
    reminders,
    texts,
    workflows,
)
from api.errors import Problem, ProblemSchema, describe_problems
from api.jsonio import OrjsonProvider
from api.schemas import STEP_SCHEMAS

SETTINGS: dict[str, Any] = {
    "API_TITLE": "Accord",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "System of record for international agreements (see API.md)."},
        "security": [{"bearerAuth": []}],
    },
}
"""flask-smorest's settings for the OpenAPI document (an application's own values win)."""


class AccordApi(Api):
    """flask-smorest's Api, documenting errors as they are sent: application/problem+json, and per operation
    only the statuses it may answer (``api.errors.problems``) rather than a catch-all ``default``."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app: Flask, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        super().init_app(app, spec_kwargs=spec_kwargs)
        describe_problems(self.spec)


MAX_JSON_DEPTH = 32
JSON_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests arrays and objects (checked before parsing, which would recurse)."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1  # the position of a character escaped by a backslash inside a string
    for match in JSON_STRUCTURE.finditer(body):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == b"\\":
                escaped_at = at + 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def init_app(app: Flask) -> None:
    """Register the API's blueprints, authentication, error mapping and JSON handling on ``app``."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    app.json = OrjsonProvider(app)
    api = AccordApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for schema in STEP_SCHEMAS.values():
        api.spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    api.register_blueprint(agreements.blp)
    api.register_blueprint(texts.blp)
    api.register_blueprint(enlargements.blp)
    api.register_blueprint(observers.blp)
    api.register_blueprint(participation.blp)
    api.register_blueprint(workflows.blp)
    api.register_blueprint(dashboard.blp)
    api.register_blueprint(deadlines.blp)
    api.register_blueprint(audit.blp)
    api.register_blueprint(reminders.blp)
    api.register_blueprint(documents.blp)
    app.register_blueprint(health.blp)
    errors.register(app)
    auth.register(app)

    @app.before_request
    def require_json() -> None:
        if not request.path.startswith("/api/"):
            return
        if request.method not in ("POST", "PUT", "PATCH") or request.path == documents.PREFIX:
            return  # an upload is multipart, read by its view under its own size limit
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if not (request.content_length or chunked):
            return
        body = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH, chunked or not
        if chunked and len(body) >= app.config["MAX_CONTENT_LENGTH"]:
            raise Problem(413, "Content Too Large", f"the body exceeds {app.config['MAX_CONTENT_LENGTH']} bytes",
                          "too-large")
        if body and not request.is_json:
            raise Problem(415, "Unsupported Media Type", "send the body as application/json", "not-json")
        # nesting is at most the number of brackets and braces, counted at C speed: most bodies hold a few
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
            raise Problem(400, "Bad Request", f"JSON nested deeper than {MAX_JSON_DEPTH} levels", "too-deep")
        # read once here (and kept): a text that is not JSON, or holds a number Python will not convert (more
        # than 4300 digits), is refused before any view reads it
        request.get_json()
