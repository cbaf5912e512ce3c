"""The browser interface of UI.md: pages at the site's root, beside the API under /api/v1, served by the same
``create_app`` and gunicorn. ``init_app`` plugs it into the Flask application that the composition root
(``bootstrap.create_app``) builds, after the API; nothing is built at import time.

- ``web.pages``: the blueprint every area's blueprint hangs under: who is signed in, CSRF on every form,
  the templates and static assets (``web/templates``, ``web/static``: our own, nothing fetched elsewhere).
- One blueprint per area: ``web.signin`` (sign in and out, invitations, one's own password), ``web.home``
  (each role's home), ``web.users`` (the administrators' Users page), ``web.steps`` ("What you can do now",
  the step forms and the new agreement and enlargement forms, with ``web.forms``; the Jinja global
  ``steps_panel(kind, process_id)`` renders the section for any page).
- ``web.navigation``: the header's links and each role's home, from UI.md's table.
- ``web.errors``: error pages (the API keeps its problem+json).

A new area is a module with a ``Blueprint``, registered on ``pages`` below; its views take
``@signed_in(roles)`` from ``web.current``, render a template that extends ``base.html`` and use the macros of
``macros.html``. Forms post a ``csrf_token`` field (the ``csrf()`` macro); pages send a Content-Security-Policy
that allows scripts, styles and images from Accord itself only (no inline script or style attribute).
"""

from __future__ import annotations

from flask import Flask, request

from web import errors, home, signin, steps, users
from web.current import is_page, person, services
from web.formatting import relative, utc_time
from web.navigation import links_for, role_name
from web.pages import csrf, pages
from web.sessions import PageSessions

for area in (signin, home, users, steps):
    pages.register_blueprint(area.blp)
errors.show_on(pages)


def init_app(app: Flask) -> None:
    """Register the pages, their cookie sessions, CSRF protection and error pages on ``app`` (after the API)."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked for pages only (web.pages): the API has tokens
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a form's token lasts as long as its cookie session
    app.session_interface = PageSessions(lambda: services().signin.signing_key())
    csrf.init_app(app)
    app.register_blueprint(pages)
    errors.register(app)

    @app.context_processor
    def page_context() -> dict:
        if not is_page(request.path):
            return {}
        actor = person()
        return {"person": actor, "navigation": links_for(actor.role if actor else None), "role_name": role_name}

    app.jinja_env.filters["utc_time"] = utc_time
    app.jinja_env.filters["relative"] = relative
