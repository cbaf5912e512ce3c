"""Bearer-token authentication and role checks for every /api/v1 request."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, g, request

from api.current import services
from api.errors import Problem
from domain.values import Actor, Role

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_PATHS = {"/api/v1/openapi.json"}


def current_actor() -> Actor:
    return g.actor


def register(app: Flask) -> None:
    @app.before_request
    def authenticate() -> None:
        if not request.path.startswith("/api/v1") or request.path in PUBLIC_PATHS:
            return
        if request.method == "OPTIONS":
            return  # which methods a resource has (Allow) is public: the OpenAPI document says as much
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise Problem(401, "Unauthorized", "send Authorization: Bearer <token>", "unauthenticated")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "Unauthorized", "the Authorization header must be 'Bearer <token>'",
                          "unauthenticated")
        actor = services().access.authenticate(token.strip())
        if actor is None:
            raise Problem(401, "Unauthorized", "unknown or revoked token", "unauthenticated")
        g.actor = actor


def roles_allowed(roles: Iterable[Role], what: str) -> Callable[[F], F]:
    """Refuse (403) callers whose role is not among ``roles``."""
    allowed = tuple(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor.role not in allowed:
                raise Problem(403, "Forbidden", f"the role {actor.role.value} may not {what}", "forbidden", rule="role")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
