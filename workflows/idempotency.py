"""Idempotent requests: what a request asked, as a digest, and its first result when it is sent again.

A request carrying an idempotency key is recorded with its event (the key and the digest of what was asked,
in the event's context; the aggregate remembers its recent keys). Sending it again returns the first result,
whether the retry comes before or after the store reported a conflict on the caller's own write; the same key
with a different request is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

from domain.lifecycle import remembered_digest
from domain.records import plain
from domain.values import Actor, StepContext
from workflows.errors import IdempotencyKeyReusedError

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.invalid/idempotency")


def request_digest(actor: Actor, action: str, fields: Mapping[str, Any], context: StepContext) -> str:
    """A digest of what was asked, to tell a retry from a different request under the same key: the SHA-256
    of ``json.dumps(asked, sort_keys=True, separators=(",", ":"))`` (ASCII: other text escaped). Events record
    it and retries are compared with it, so these bytes never change."""
    given = dict(fields)
    if not _orjson_writes_alike(given):  # plain() would give an equal copy, written the same
        given = plain(given)
    asked = [actor.name, action, given, context.reason, context.reference]
    return hashlib.sha256(sorted_json(asked)).hexdigest()


def sorted_json(value: Any) -> bytes:
    """``json.dumps(value, sort_keys=True, separators=(",", ":")).encode()``, written by orjson (much faster)
    when it writes the same bytes: for text, integers, booleans, null, lists and tuples, and dicts with text
    keys, when the result is printable ASCII. orjson writes other text unescaped (json.dumps writes "\\u00e9"
    for "é", "\\u007f" for DEL), some floats otherwise (1e16 for 1e+16, null for NaN), and types json.dumps
    refuses (a time of day); those go to json.dumps itself."""
    if _orjson_writes_alike(value):
        try:
            encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a lone surrogate
            pass
        else:
            if encoded.isascii() and b"\x7f" not in encoded:
                return encoded
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _orjson_writes_alike(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not _orjson_writes_alike(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            if not _orjson_writes_alike(item):
                return False
        return True
    return False


def with_digest(context: StepContext, actor: Actor, action: str, fields: Mapping[str, Any]) -> StepContext:
    """The context of a keyed request, with the digest of what it asked (unchanged without a key)."""
    if context.idempotency_key is None:
        return context
    given = {k: v for k, v in fields.items() if v is not None}  # an omitted optional field is the same request
    return dataclasses.replace(context, request_digest=request_digest(actor, action, given, context))


def keyed_id(actor: Actor, context: StepContext) -> UUID | None:
    """The id of an aggregate created by a keyed request: the same for every retry of it, so that the event
    store itself refuses a second creation (None without a key: the aggregate chooses its own id)."""
    if context.idempotency_key is None:
        return None
    return uuid5(IDEMPOTENCY_NAMESPACE, f"{actor.name}\n{context.idempotency_key}")


def is_recorded(aggregate: Any, context: StepContext) -> bool:
    """Whether the aggregate remembers a request under this context's idempotency key."""
    return context.idempotency_key in aggregate.requests


def first_result_version(aggregate: Any, context: StepContext) -> int:
    """The version the first request under this context's key recorded, read from the aggregate's remembered
    requests; a different request under the same key (or a key it no longer remembers) is refused."""
    version, digest = aggregate.requests.get(context.idempotency_key, (None, None))
    if version is None or digest != remembered_digest(context.request_digest):
        raise IdempotencyKeyReusedError(
            "this Idempotency-Key was already used for a different request", key=context.idempotency_key
        )
    return version
