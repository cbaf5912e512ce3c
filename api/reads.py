"""Helpers for reads served from projections: read-your-writes and RFC 8288 pagination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request
from marshmallow import fields, validate

from api.current import services
from api.errors import Problem
from api.schemas import InputSchema

MAX_PER_PAGE = 500
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
    min_position = fields.Integer(validate=validate.Range(min=0, max=MAX_POSITION), metadata={
        "description": "wait (a few seconds at most) until the view has processed this position (X-Position)"})


class PageSchema(FreshnessSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=2**31 - 1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def wait_for_views(query: dict[str, Any], views: Sequence[str]) -> None:
    """Honour ``min_position``: 503 if the views have not caught up within READ_WAIT_SECONDS."""
    position = query.pop("min_position", None)
    if position is None:
        return
    timeout = float(current_app.config["READ_WAIT_SECONDS"])
    if not services().projections.wait_for(position, views, timeout):
        raise Problem(503, "Service Unavailable",
                      f"the {', '.join(views)} view has not reached position {position} within {timeout:g} s; "
                      "retry shortly", "view-behind", headers_retry=True)


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
