"""The services of one process, created lazily on first use (after gunicorn forks, never at import)."""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from typing import Any

from flask import current_app

from projections.agreements import AgreementList
from projections.db import Database, database_for
from projections.engine import Projections
from projections.enlargements import EnlargementList
from projections.journal import Journal
from projections.register import Register
from projections.titles import title_index_warning
from workflows.access import AccessService
from workflows.application import AccordApplication
from workflows.commands import AgreementService, EnlargementService
from workflows.definitions import describe_event, step_name
from workflows.log import page_reader
from workflows.sqlite_gate import SoleRunner, gate_for
from workflows.stored import FastMapper, event_class_info

log = logging.getLogger(__name__)

STANDBY_SECONDS = 1.0
"""How often a standing-by in-process runner (SQLite) asks whether the running one has exited."""


class Services:
    """One Accord application per process, and the services and views built on it."""

    def __init__(self, storage: dict[str, str], pool_size: int = 4, token_cache_seconds: float = 0.0):
        self.storage = storage
        self.pool_size = pool_size
        self.token_cache_seconds = token_cache_seconds
        self._lock = threading.Lock()
        self._app: AccordApplication | None = None
        self._runner: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def app(self) -> AccordApplication:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = AccordApplication(env=self.storage)
        return self._app

    @cached_property
    def agreements(self) -> AgreementService:
        return AgreementService(self.app)

    @cached_property
    def enlargements(self) -> EnlargementService:
        return EnlargementService(self.app)

    @cached_property
    def access(self) -> AccessService:
        return AccessService(self.app, cache_seconds=self.token_cache_seconds)

    @cached_property
    def db(self) -> Database:
        gate = gate_for(self.storage["SQLITE_DBNAME"]) if self.backend == "sqlite" else None
        return database_for(self.storage, pool_size=self.pool_size, writer_gate=gate)

    @cached_property
    def projections(self) -> Projections:
        views = [AgreementList(step_name, self.db.dialect), EnlargementList(step_name), Register(),
                 Journal(describe_event, event_class_info)]
        return Projections(self.db, self.app.recorder, FastMapper(self.app.mapper), views,
                           page_reader(self.app.recorder))

    @property
    def backend(self) -> str:
        return self.storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]

    def create_tables(self) -> None:
        _ = self.app  # the library creates the event store's tables unless CREATE_TABLE=n
        self.projections.create_tables()
        warning = title_index_warning(self.db)
        if warning:
            log.warning("%s", warning)

    def start_runner(self) -> None:
        """Keep the views current from a background thread of this process (the embedded deployment)."""
        with self._lock:
            if self._runner is not None:
                return
            self._runner = threading.Thread(target=self._run, name="accord-projections", daemon=True)
            self._runner.start()

    def _run(self) -> None:
        sole = SoleRunner(self.storage["SQLITE_DBNAME"]) if self.backend == "sqlite" else None
        try:
            while sole is not None and not sole.take():  # another worker's runner keeps the views current
                if self._stopping.wait(STANDBY_SECONDS):
                    return
            if not self._stopping.is_set():
                self.projections.run()
        except Exception:  # noqa: BLE001 - e.g. a restored backup: log loudly, serve stale reads with lag
            log.exception("the in-process projection runner stopped")
        finally:
            if sole is not None:
                sole.release()

    def close(self) -> None:
        self._stopping.set()
        if "projections" in self.__dict__:
            self.projections.stop()
        if self._runner is not None:
            self._runner.join(timeout=5)
            self._runner = None
        if "db" in self.__dict__:
            self.db.close()
        if self._app is not None:
            self._app.close()
            self._app = None
        for name in ("agreements", "enlargements", "access", "projections", "db"):
            self.__dict__.pop(name, None)


def services() -> Services:
    return current_app.extensions["accord"]


def init_app(app: Any, storage: dict[str, str], pool_size: int = 4, token_cache_seconds: float = 0.0) -> None:
    app.extensions["accord"] = Services(storage, pool_size, token_cache_seconds)
