"""Who is signed in, for the pages.

The browser's cookie (Flask's signed session cookie, HttpOnly, SameSite=Lax, Secure unless configured off)
holds the CSRF token and a session id; who that id signs in, since when and until when is kept on the server
(``workflows.signin``), so a sign-out or a revocation ends it in every process at once. The cookie is signed
with a key kept in the store (the same for every worker and host), unless ``ACCORD_SECRET_KEY`` gives one.
API requests get no cookie session at all: they carry bearer tokens.

Behind a single-sign-on proxy, ``ACCORD_TRUSTED_USER_HEADER`` names the header in which the proxy names the
user; it is honoured only from ``ACCORD_TRUSTED_PROXIES`` (addresses or networks), ignored from anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface

from web.current import is_page, services

SESSION_ID = "sid"


class PageSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, for page requests only, signed with the store's key."""

    def __init__(self, signing_key: Callable[[], str]):
        self.signing_key = signing_key

    def open_session(self, app: Flask, request: Request) -> Any:
        if not is_page(request.path):
            return None  # a null session: nothing read, nothing written
        if not app.secret_key:
            app.secret_key = self.signing_key()
        return super().open_session(app, request)


def start(session_id: str) -> None:
    """Begin a fresh cookie session holding a new session id (and, from then on, a new CSRF token)."""
    session.clear()
    session[SESSION_ID] = session_id


def end() -> None:
    session.clear()


def identify() -> None:
    """Find who is signed in (``g.person``): the trusted proxy's user if the request comes from one, else the
    session the cookie names, if it is still open."""
    signin = services().signin
    current = signin.session(session.get(SESSION_ID))
    header = current_app.config.get("TRUSTED_USER_HEADER")
    named = signin.trusted_user(request.remote_addr, request.headers.get(header)) if header else None
    if named is not None and (current is None or current.name != named):
        if current is not None:
            signin.sign_out(session.get(SESSION_ID))
        signed = signin.sign_in_trusted(named)
        start(signed.session_id)
        current = signed.actor
    g.person = current
