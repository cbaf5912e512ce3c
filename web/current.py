"""What a page's view needs to know about the request: this process's services, the person signed in, and
the decorator that lets only signed-in people in the roles allowed reach a page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, url_for

from domain.values import Actor, Role

F = TypeVar("F", bound=Callable[..., Any])
NOT_PAGES = ("/api/", "/health", "/ready")
"""Paths served by the API and the health checks, never as pages (no cookie session, no CSRF, JSON errors)."""


def is_page(path: str) -> bool:
    return not (path == "/api" or path.startswith(NOT_PAGES))


def services() -> Any:
    """This process's ``bootstrap.services.Services``, as the composition root plugged them in."""
    return current_app.extensions["accord"]


def person() -> Actor | None:
    """Who is signed in for this request, or None."""
    return g.get("person")


def safe_next(target: str | None) -> str | None:
    """A page of this site to go on to after signing in (never another site's address)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def signed_in(roles: Iterable[Role] | None = None) -> Callable[[F], F]:
    """Let only signed-in people reach the page (the others go to the sign-in page and come back), and
    of them only those in ``roles`` (the others get 403), if given."""
    allowed = tuple(roles) if roles is not None else None

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = person()
            if actor is None:
                target = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("web.signin.sign_in", next=target if target != "/" else None))
            if allowed is not None and actor.role not in allowed:
                abort(403, description=f"this page is not for the role {words(actor.role.value)}")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def words(name: str) -> str:
    """A vocabulary name as words: "legal_officer" -> "legal officer"."""
    return name.replace("_", " ")
