"""The composition root: ``create_app`` reads the configuration, plugs storage into the workflows and the
views (``bootstrap.services``), and the API and the pages into Flask; the ``accord`` command
(``bootstrap.cli``) does the same for operators. Nothing is built at import time: each gunicorn worker builds
its own after the fork."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

import api
import web
from bootstrap.config import DEFAULTS, SignInSettings, plausible_dates
from bootstrap.services import Services
from domain.dates import use_plausible_dates
from storage.settings import check_storage_settings, storage_env


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Defaults, then ``ACCORD_*`` environment variables, then ``config`` (tests)."""
    app = Flask("accord", static_folder=None)  # the pages serve their own assets (web/static)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("ACCORD")
    app.config.update(config or {})

    use_plausible_dates(*plausible_dates(app.config))
    storage = storage_env(os.environ, app.config["STORAGE"])
    check_storage_settings(storage)
    if not app.config["CREATE_TABLES"]:
        storage["CREATE_TABLE"] = "n"
    elif storage["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        os.makedirs(os.path.dirname(os.path.abspath(storage["SQLITE_DBNAME"])), exist_ok=True)
    services = Services(storage, int(app.config["DB_POOL_SIZE"]), float(app.config["TOKEN_CACHE_SECONDS"]),
                        SignInSettings.from_config(app.config), int(app.config["MAX_DOCUMENT_BYTES"]))
    app.extensions["accord"] = services
    api.init_app(app)
    web.init_app(app)  # after the API: its error pages leave the API's problem+json in place

    if app.config["CREATE_TABLES"]:
        services.create_tables()
    in_process = app.config["PROJECTIONS_IN_PROCESS"]
    if in_process is None:
        in_process = services.backend == "sqlite"
    if in_process:
        app.before_request(services.start_runner)
    return app
