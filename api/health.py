"""/health (the process is up) and /ready (storage reachable), without a token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.current import services
from api.errors import problem_response

blp = Blueprint("health", __name__)


@blp.get("/health")
def health() -> dict[str, Any]:
    return {"status": "ok"}


@blp.get("/ready")
def ready() -> Any:
    accord = services()
    try:
        head = accord.app.recorder.max_notification_id() or 0
        positions = accord.projections.positions()
    except Exception as error:  # noqa: BLE001 - any storage failure means "not ready"
        return problem_response(503, "Service Unavailable", f"storage unreachable: {type(error).__name__}",
                                "storage-unavailable", headers={"Retry-After": "5"}, storage=accord.backend)
    return {
        "status": "ready", "storage": accord.backend, "head_position": head,
        "projections": {name: {"position": p, "lag": head - p} for name, p in sorted(positions.items())},
    }
