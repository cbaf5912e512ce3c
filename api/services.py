"""The services of one process, created lazily on first use (after gunicorn forks, never at import)."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from flask import current_app

from workflows.access import AccessService
from workflows.application import AccordApplication
from workflows.commands import AgreementService


class Services:
    """One Accord application per process, and the services built on it."""

    def __init__(self, storage: dict[str, str]):
        self.storage = storage
        self._lock = threading.Lock()
        self._app: AccordApplication | None = None

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
    def access(self) -> AccessService:
        return AccessService(self.app)

    @property
    def backend(self) -> str:
        return self.storage["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None
            self.__dict__.pop("agreements", None)
            self.__dict__.pop("access", None)


def services() -> Services:
    return current_app.extensions["accord"]


def init_app(app: Any, storage: dict[str, str]) -> None:
    app.extensions["accord"] = Services(storage)
