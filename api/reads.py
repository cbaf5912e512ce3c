"""Helpers for reads served from projections: read-your-writes and RFC 8288 pagination."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request

from api.current import services
from api.errors import Problem
from api.fields import WholeNumber
from api.schemas import InputSchema

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
MAX_POSITION = 2**63 - 1
PAGE_HEADERS = {
    "X-Total-Count": {"description": "how many items there are in all pages", "required": True,
                      "schema": {"type": "integer", "minimum": 0}},
    "Link": {"description": 'RFC 8288 links to the first, last, prev and next pages (rel="...")', "required": True,
             "schema": {"type": "string"}},
    "X-Total-Count-Is-Lower-Bound": {
        "description": '"true" when X-Total-Count is a lower bound: a title search (q) stops counting after 1,000 '
                       'matches or the end of the page; there is then no "last" link', "required": False,
        "schema": {"type": "string", "enum": ["true"]}},
}


class FreshnessSchema(InputSchema):
    min_position = WholeNumber(0, MAX_POSITION, metadata={
        "description": "wait (a few seconds at most) until the view has processed this position (X-Position)"})


def page_field() -> WholeNumber:
    """The page asked for, from 1: the rule of every paged list."""
    return WholeNumber(1, 2**31 - 1, load_default=1, metadata={"description": "the page, from 1"})


def per_page_field() -> WholeNumber:
    """How many items a page holds: the rule of every paged list, the history included (API.md)."""
    return WholeNumber(1, MAX_PER_PAGE, load_default=DEFAULT_PER_PAGE, metadata={
        "description": f"items per page, {DEFAULT_PER_PAGE} unless given: at most {MAX_PER_PAGE}"})


class PageSchema(FreshnessSchema):
    page = page_field()
    per_page = per_page_field()


def wait_for_views(query: dict[str, Any], views: Sequence[str]) -> None:
    """Honour ``min_position``: wait until the views have processed it, up to READ_WAIT_SECONDS, then 503.

    A wait holds a request thread, so it is answered at once (503, with Retry-After) when it cannot end well:
    the position is beyond the log's head (nothing has been written there yet), or WAITING_READERS requests of
    this worker are waiting already (so that slow reads never starve health checks or other users)."""
    position = query.pop("min_position", None)
    if position is None:
        return
    projections = services().projections
    positions = projections.positions()
    if all(positions.get(name, 0) >= position for name in views):
        return
    head = projections.head()
    if position > head:
        raise Problem(503, "Service Unavailable", f"position {position} is beyond the log's head ({head}): "
                      "nothing has been recorded there yet", "position-beyond-head", headers_retry=True)
    waiting = _waiting_readers()
    if not waiting.acquire(blocking=False):
        raise Problem(503, "Service Unavailable", "too many reads are waiting for the views; retry shortly",
                      "too-many-waiting", headers_retry=True)
    try:
        timeout = float(current_app.config["READ_WAIT_SECONDS"])
        caught_up = projections.wait_for(position, views, timeout)
    finally:
        waiting.release()
    if not caught_up:
        raise Problem(503, "Service Unavailable",
                      f"the {', '.join(views)} view has not reached position {position} within {timeout:g} s; "
                      "retry shortly", "view-behind", headers_retry=True)


def _waiting_readers() -> threading.BoundedSemaphore:
    """The slots for reads waiting on the views in this worker (WAITING_READERS of them)."""
    slots = current_app.extensions.get("accord.waiting_readers")
    if slots is None:
        slots = current_app.extensions.setdefault(
            "accord.waiting_readers", threading.BoundedSemaphore(int(current_app.config["WAITING_READERS"])))
    return slots


def page_headers(total: int, page: int, per_page: int, lower_bound: bool = False) -> dict[str, str]:
    """X-Total-Count and Link; when ``total`` is only a lower bound (it is then at least the end of this
    page, and more items follow), no "last" link."""
    last = max(1, -(-total // per_page))
    args = {k: v for k, v in request.args.items() if k not in ("page", "per_page", "min_position")}

    def link(p: int, rel: str) -> str:
        return f'<{request.base_url}?{urlencode({**args, "page": p, "per_page": per_page})}>; rel="{rel}"'

    links = [link(1, "first")] + ([] if lower_bound else [link(last, "last")])
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last or lower_bound:
        links.append(link(page + 1, "next"))
    headers = {"X-Total-Count": str(total), "Link": ", ".join(links)}
    return {**headers, "X-Total-Count-Is-Lower-Bound": "true"} if lower_bound else headers
