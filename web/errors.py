"""Error pages: every error a page meets is shown as a page of the site (status, what happened, where to go
on), never a stack trace. Requests outside the pages (the API, the health checks) keep the handler the API
registered before (problem+json)."""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from flask import Blueprint, Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from domain.errors import DomainError
from web.current import is_page
from web.pages import with_page_headers
from web.sessions import identify
from workflows import errors as wf
from workflows.signin import InvitationError, SignInRefusedError

log = logging.getLogger(__name__)

TITLES = {
    400: "The request could not be read",
    403: "Not for you",
    404: "Page not found",
    405: "Not possible here",
    410: "Link no longer valid",
    413: "Too large",
    422: "Not possible now",
    500: "Something went wrong",
    503: "Accord is unavailable",
}


def error_page(status: int, message: str, title: str | None = None) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title or TITLES.get(status, "Error"),
                           message=message), status


def show_on(pages: Blueprint) -> None:
    """Error pages for every error raised while serving a page (registered once, on the pages' blueprint)."""
    @pages.errorhandler(CSRFError)
    def forged_or_stale_form(error: CSRFError) -> Any:
        log.warning("form refused (CSRF): %s %s: %s", request.method, request.path, error.description)
        return error_page(400, "This form was not sent from Accord's own page, or it was open for too long. "
                               "Nothing was recorded. Go back, reload the page and try again.",
                          "Form refused")

    @pages.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return error_page(error.code or 500, error.description or error.name)

    @pages.errorhandler(SignInRefusedError)
    def refused(error: SignInRefusedError) -> Any:
        return error_page(403, error.message, "Not signed in")

    @pages.errorhandler(InvitationError)
    def invitation_error(error: InvitationError) -> Any:
        return error_page(410, error.message)

    @pages.errorhandler(wf.NotFoundError)
    def not_found(error: wf.NotFoundError) -> Any:
        return error_page(404, error.message)

    @pages.errorhandler(wf.ForbiddenError)
    def forbidden(error: wf.ForbiddenError) -> Any:
        return error_page(403, error.message)

    @pages.errorhandler(DomainError)
    def rule(error: DomainError) -> Any:
        return error_page(422, error.message)

    @pages.errorhandler(wf.StorageUnavailableError)
    def unavailable(error: Exception) -> Any:
        log.warning("storage unavailable: %s", error)
        body, status = error_page(503, "Accord cannot reach its database just now. Nothing was recorded; "
                                       "try again in a minute.")
        return body, status, {"Retry-After": "5"}

    @pages.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        log.exception("unhandled error on a page")
        return error_page(500, "An unexpected error occurred; it has been logged.")


def register(app: Flask) -> None:
    """An error page for a path that matches no route, unless it is the API's (``app``'s handler before)."""
    earlier = app.error_handler_spec[None][None].get(HTTPException)

    @app.errorhandler(HTTPException)
    def page_or_problem(error: HTTPException) -> Any:
        """A path that matches no page (a 404 or 405 outside any blueprint): a page for browsers, the
        earlier handler (the API's problem+json) for everything else."""
        if earlier is not None and not is_page(request.path):
            return earlier(error)
        with suppress(Exception):  # the header shows who is signed in, if that can be known
            identify()
        body, status = error_page(error.code or 500, error.description or error.name)
        return with_page_headers(make_response(body, status))
