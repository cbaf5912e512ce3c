"""Start-up refuses storage settings that lose data: the service and the command line say why."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bootstrap import create_app
from bootstrap.cli import main
from storage.settings import UnsafeSettingsError


@pytest.mark.parametrize("storage, says", [
    ({"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_ENABLE_DB_FUNCTIONS": "y", "POSTGRES_DBNAME": "x",
      "POSTGRES_HOST": "127.0.0.1", "POSTGRES_USER": "postgres"}, "skip events"),
    ({"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_LOCK_TIMEOUT": "0", "POSTGRES_DBNAME": "x",
      "POSTGRES_HOST": "127.0.0.1", "POSTGRES_USER": "postgres"}, "LOCK_TIMEOUT"),
    ({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}, "in-memory"),
    ({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": "file:x?mode=memory&cache=shared"},
     "in-memory"),
    ({"PERSISTENCE_MODULE": "eventsourcing.popo"}, "not supported"),
], ids=["db-functions", "no-lock-timeout", "sqlite-memory", "sqlite-memory-uri", "popo"])
def test_the_service_refuses_to_start_with_settings_that_lose_data(storage, says):
    with pytest.raises(UnsafeSettingsError, match=says):
        create_app({"STORAGE": storage})


def test_the_cli_says_why_it_refuses_to_start(monkeypatch):
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    monkeypatch.setenv("SQLITE_DBNAME", ":memory:")
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 1
    assert "refusing to start" in result.output and "in-memory" in result.output
