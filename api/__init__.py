"""The HTTP API: ``create_app`` builds the Flask application; nothing is built at import time."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from flask_smorest import Api

from api import agreements, audit, auth, dashboard, enlargements, errors, health, participation, workflows
from api.errors import Problem, ProblemSchema, describe_problems
from api.jsonio import OrjsonProvider
from api.schemas import STEP_SCHEMAS
from api.services import init_app
from workflows.application import check_storage_settings, storage_env

DEFAULTS: dict[str, Any] = {
    "API_TITLE": "Accord",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "System of record for international agreements (see API.md)."},
        "security": [{"bearerAuth": []}],
    },
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "STORAGE": {},
    "CREATE_TABLES": False,
    "PROJECTIONS_IN_PROCESS": None,  # None: in-process on SQLite (embedded), a separate runner on PostgreSQL
    "READ_WAIT_SECONDS": 5.0,
    "DB_POOL_SIZE": 4,
    "TOKEN_CACHE_SECONDS": 0.0,  # > 0 trades immediate revocation for one store read less per request
}


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


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Defaults, then ``ACCORD_*`` environment variables, then ``config`` (tests)."""
    app = Flask("accord")
    app.json = OrjsonProvider(app)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("ACCORD")
    app.config.update(config or {})

    storage = storage_env(os.environ, app.config["STORAGE"])
    check_storage_settings(storage)
    if not app.config["CREATE_TABLES"]:
        storage["CREATE_TABLE"] = "n"
    elif storage["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        os.makedirs(os.path.dirname(os.path.abspath(storage["SQLITE_DBNAME"])), exist_ok=True)
    init_app(app, storage, int(app.config["DB_POOL_SIZE"]), float(app.config["TOKEN_CACHE_SECONDS"]))
    in_process = app.config["PROJECTIONS_IN_PROCESS"]
    if in_process is None:
        in_process = storage["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"

    api = AccordApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for schema in STEP_SCHEMAS.values():
        api.spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    api.register_blueprint(agreements.blp)
    api.register_blueprint(enlargements.blp)
    api.register_blueprint(participation.blp)
    api.register_blueprint(workflows.blp)
    api.register_blueprint(dashboard.blp)
    api.register_blueprint(audit.blp)
    app.register_blueprint(health.blp)
    errors.register(app)
    auth.register(app)

    if app.config["CREATE_TABLES"]:
        app.extensions["accord"].create_tables()
    if in_process:
        app.before_request(app.extensions["accord"].start_runner)

    @app.before_request
    def require_json() -> None:
        if request.method not in ("POST", "PUT", "PATCH"):
            return
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

    return app
