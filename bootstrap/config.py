"""Configuration: defaults, then ``ACCORD_*`` environment variables, then the mapping given to
``create_app`` (tests). Storage follows the eventsourcing library's own variables (``storage.settings``)."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "STORAGE": {},
    "CREATE_TABLES": False,
    "PROJECTIONS_IN_PROCESS": None,  # None: in-process on SQLite (embedded), a separate runner on PostgreSQL
    "READ_WAIT_SECONDS": 5.0,
    "DB_POOL_SIZE": 4,
    "TOKEN_CACHE_SECONDS": 0.0,  # > 0 trades immediate revocation for one store read less per request
}
