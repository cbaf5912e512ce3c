"""The browser interface of UI.md: pages at the site's root, beside the API under /api/v1, served by the same
``create_app`` and gunicorn. ``init_app`` plugs it into the Flask application that the composition root
(``bootstrap.create_app``) builds, after the API; nothing is built at import time.

- ``web.pages``: the blueprint every area's blueprint hangs under: who is signed in, CSRF on every form,
  the templates and static assets (``web/templates``, ``web/static``: our own, nothing fetched elsewhere).
- One blueprint per area: ``web.signin`` (sign in and out, invitations, one's own password), ``web.home``
  (each role's home), ``web.users`` (the administrators' Users page), ``web.agreements`` and
  ``web.enlargements`` (lists with their CSV, one agreement or process: state, history, diff),
  ``web.participation`` (the register on a date, a party's page), ``web.dashboard``, ``web.audit`` (journal,
  verification, export), ``web.calendar`` (one's private calendar feed of deadlines and its address),
  ``web.steps`` ("What you can do now", the step forms and the new agreement and
  enlargement forms, with ``web.forms``; the Jinja global ``steps_panel(kind, process_id)`` renders the
  section for any page).
- What they share: ``web.listing`` (a list's query string, pages, CSV), ``web.processes`` (the state shown,
  the history a page at a time, the diff), ``web.charts`` (SVG charts laid out on the server, drawn by
  ``charts.html``), ``web.formatting`` (dates and times as people read them).
- ``web.navigation``: the header's links and each role's home, from UI.md's table.
- ``web.errors``: error pages (the API keeps its problem+json).

A new area is a module with a ``Blueprint``, registered on ``pages`` below; its views take
``@signed_in(roles)`` from ``web.current``, render a template that extends ``base.html`` and use the macros of
``macros.html``. Forms post a ``csrf_token`` field (the ``csrf()`` macro); pages send a Content-Security-Policy
that allows scripts, styles and images from Accord itself only (no inline script or style attribute).

Jinja globals for every page: ``page_exists(endpoint)`` (a link or a panel shown only once its page is
built, e.g. ``web.steps.new_agreement``), and, for timelines, ``real_world_date``, ``event_details`` and
``page_numbers``. A page of one agreement or process shows ``steps_panel(kind, id)`` when a module defines
that global ("What you can do now").
"""

from __future__ import annotations

from flask import Flask, request

from domain.values import Role
from web import (
    agreements,
    audit,
    calendar,
    dashboard,
    documents,
    enlargements,
    errors,
    home,
    participation,
    signin,
    steps,
    texts,
    users,
)
from web.current import is_page, person, services
from web.formatting import as_date, as_time, field_label, relative, utc_time, words
from web.listing import page_numbers
from web.navigation import a_role, links_for, role_name
from web.pages import csrf, pages
from web.processes import details, real_world_date
from web.sessions import PageSessions

AREAS = (
    signin,
    home,
    users,
    agreements,
    texts,
    enlargements,
    participation,
    dashboard,
    audit,
    steps,
    calendar,
    documents,
)
"""Each area's module, its blueprint registered under ``pages``: one line per area."""

for area in AREAS:
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
    app.jinja_env.filters["as_date"] = as_date
    app.jinja_env.filters["as_time"] = as_time
    app.jinja_env.filters["words"] = words
    app.jinja_env.filters["a_role"] = a_role
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.globals.update(page_exists=lambda endpoint: endpoint in app.view_functions,
                                 page_numbers=page_numbers, real_world_date=real_world_date,
                                 event_details=details, role_values=[role.value for role in Role])
