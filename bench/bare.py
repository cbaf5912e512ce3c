"""The HTTP baseline of ``bench.http``: a bare Flask app served by the same gunicorn command and
``gunicorn.conf.py`` as Accord (``python -m gunicorn --config gunicorn.conf.py bench.bare:app``).

It answers the requests of Accord's write path (creates and steps, with ``If-Match`` and ``Idempotency-Key``)
so that the same load client drives both: it parses the JSON body, stores one event made from it and answers
with ``ETag``, ``X-Position`` (``Location`` on a create) and a JSON body; no authentication, schema,
aggregate or hash. ``BENCH_BARE_STORE``: ``recorder`` (default), the eventsourcing library's own
``insert_events``; ``driver``, the plain driver inserting a comparable row. ``GET /ping`` stores nothing: the
load client's ceiling. Each worker opens its store on first use, after the fork (tables exist beforehand).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import StoredEvent
from flask import Flask, Response, request

app = Flask("bare")
MODE = os.environ.get("BENCH_BARE_STORE", "recorder")
TOPICS = {"create": "bench.bare:Created", "step": "bench.bare:StepTaken"}
_lock = threading.Lock()
_store: Any = None


def store() -> Any:
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                from bench.stores import DriverStore, library_application
                from storage.settings import storage_env

                storage = storage_env(os.environ)
                _store = DriverStore(storage) if MODE == "driver" else library_application(storage, False)
    return _store


def record(originator_id: uuid.UUID, version: int, kind: str, body: dict[str, Any]) -> int | None:
    """Store one event made from the request; its position, or None on a version conflict."""
    state = json.dumps({
        "timestamp": {"_type_": "datetime_iso", "_data_": datetime.now(UTC).isoformat()},
        "context": {"idempotency_key": request.headers.get("Idempotency-Key"),
                    "if_match": request.headers.get("If-Match")},
        **body,
    }, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    target = store()
    try:
        if MODE == "driver":
            return target.insert(originator_id, version, TOPICS[kind], state)
        positions = target.recorder.insert_events([StoredEvent(originator_id, version, TOPICS[kind], state)])
        return positions[0] if positions else 0
    except Exception as error:  # a unique-key violation: someone else wrote this version
        if "IntegrityError" in type(error).__name__ or "UniqueViolation" in type(error).__name__:
            return None
        raise


def answer(originator_id: uuid.UUID, version: int, position: int | None, body: dict[str, Any],
           status: int) -> Response:
    if position is None:
        return Response(json.dumps({"title": "Conflict", "status": 409}), 409, content_type="application/problem+json")
    response = Response(json.dumps({"id": str(originator_id), "version": version, **body}), status,
                        content_type="application/json")
    response.headers["ETag"] = f'"{version}"'
    response.headers["X-Position"] = str(position)
    if status == 201:
        response.headers["Location"] = f"/api/v1/agreements/{originator_id}"
    return response


def unauthenticated() -> Response | None:
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return Response('{"status": 401}', 401, content_type="application/problem+json")
    return None


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}


@app.post("/api/v1/agreements")
def create() -> Response:
    refused = unauthenticated()
    if refused:
        return refused
    body = request.get_json()
    new_id = uuid.uuid4()
    return answer(new_id, 1, record(new_id, 1, "create", body), body, 201)


@app.post("/api/v1/agreements/<uuid:agreement_id>/steps/<step>")
def take_step(agreement_id: uuid.UUID, step: str) -> Response:
    refused = unauthenticated()
    if refused:
        return refused
    header = request.headers.get("If-Match", "").strip('"')
    if not header.isdigit():
        return Response('{"status": 412}', 412, content_type="application/problem+json")
    body = {"step": step, **((request.get_json() if request.content_length else None) or {})}
    version = int(header) + 1
    return answer(agreement_id, version, record(agreement_id, version, "step", body), body, 200)
