"""The blueprint every area of the pages hangs under: its templates and static assets, what runs before each
page (the CSRF check of every form sent, with Flask-WTF's ``CSRFProtect``, which ``web.init_app`` sets up to
check pages only: the API has bearer tokens; then who is signed in, ``web.sessions``), and the headers every
page is sent with. None of it runs for the API's requests."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_wtf.csrf import CSRFProtect

from web.sessions import identify

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
"""Scripts, styles and images from Accord itself only (no inline script or style attribute), no framing."""

csrf = CSRFProtect()
pages = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")


@pages.before_request
def before_each_page() -> None:
    if request.method in UNSAFE:
        csrf.protect()
    if request.endpoint != "web.static":
        identify()


@pages.after_request
def page_headers(response: Response) -> Response:
    return with_page_headers(response)


def with_page_headers(response: Response) -> Response:
    """The security headers, and (but for static assets) no caching: a signed-out browser's Back shows no page."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "web.static":
        response.headers["Cache-Control"] = "no-store"
    return response
