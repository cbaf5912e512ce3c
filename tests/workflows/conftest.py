"""Fixtures of the workflow tests: two applications on one store, as two gunicorn workers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bootstrap.services import Services
from storage.settings import storage_env


@pytest.fixture
def workers(storage: dict[str, str]) -> Iterator[tuple[Services, Services]]:
    """Two applications on one store, as two gunicorn workers: the service's defaults (aggregate cache on)."""
    env = storage_env({}, storage)
    first, second = Services(env), Services(env)
    first.create_tables()
    yield first, second
    first.close()
    second.close()
