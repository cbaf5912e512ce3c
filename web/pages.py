"""The blueprint every area of the pages hangs under: its templates and static assets, and what runs before
each page: the CSRF check of every form sent (Flask-WTF's ``CSRFProtect``, which ``web.init_app`` sets up
to check pages only: the API has bearer tokens), then who is signed in (``web.sessions``)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_wtf.csrf import CSRFProtect

from web.sessions import identify

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

csrf = CSRFProtect()
pages = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")


@pages.before_request
def before_each_page() -> None:
    if request.method in UNSAFE:
        csrf.protect()
    if request.endpoint != "web.static":
        identify()
