"""Start-up refuses settings that lose data; hostile bodies are refused before they reach a parser."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api import json_depth
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


@pytest.mark.parametrize("body, depth", [
    (b"{}", 1), (b'{"a": [1, {"b": [2]}]}', 4), (b'{"a": "[[[{{{"}', 1), (b'{"a": "\\\\", "b": [[1]]}', 3),
    (b'{"a": "\\"[[", "b": [1]}', 2), (b"[" * 40 + b"]" * 40, 40),
])
def test_json_depth_counts_nesting_outside_strings(body, depth):
    assert json_depth(body) == depth


@pytest.mark.parametrize("body", ["[" * 100_000, '{"title": ' + "[" * 5000 + "]" * 5000 + "}"])
def test_deeply_nested_json_is_refused_and_records_nothing(client, auth, services, body):
    before = services.app.recorder.max_notification_id()
    response = client.post("/api/v1/agreements", data=body, content_type="application/json", headers=auth("alice"))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "nested deeper" in response.get_json()["detail"]
    assert services.app.recorder.max_notification_id() == before
