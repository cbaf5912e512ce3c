"""What the list pages share: reading a list's filters from the query string (the same names and values as
the API's list), the page numbers around the current page, and the CSV download of every row a filter
matches, read page after page through the same projection query as the list itself."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Response, request, stream_with_context
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from projections.db import Database
from projections.queries import Page

PER_PAGE = 50
PER_PAGE_CHOICES = (25, 50, 100, 200)
CSV_BATCH = 500
"""The CSV reads the list this many rows at a time (the API's largest page)."""


def list_schema(filters: Mapping[str, fields.Field], sortable: Sequence[str]) -> Schema:
    """The schema of a list page's query string: its filters, sort, page and rows per page. An empty field of
    the filter form means no filter."""
    return Schema.from_dict({
        **filters,
        "sort": fields.String(load_default="-updated_at", validate=validate.OneOf(
            [f"{d}{c}" for c in sortable for d in ("", "-")])),
        "page": fields.Integer(load_default=1, validate=validate.Range(min=1, max=2**31 - 1)),
        "per_page": fields.Integer(load_default=PER_PAGE, validate=validate.OneOf(PER_PAGE_CHOICES)),
    })(unknown=EXCLUDE)


@dataclass(frozen=True)
class Query:
    """A list page's request, read: the filters given, sort, page, rows per page, and the errors found."""

    filters: dict[str, Any]
    sort: str
    page: int
    per_page: int
    form: dict[str, str]
    errors: dict[str, str]


def read_query(schema: Schema, upper: Sequence[str] = ()) -> Query:
    """The list's request from the query string; a value that is not valid is named in ``errors`` (the page
    shows it beside its field, and lists nothing) and dropped."""
    form = {k: v.strip() for k, v in request.args.items() if v.strip()}
    for name in upper:
        if name in form:
            form[name] = form[name].upper()
    try:
        values, errors = schema.load(form), {}
    except ValidationError as error:
        errors = {name: " ".join(messages) if isinstance(messages, list) else str(messages)
                  for name, messages in error.normalized_messages().items()}
        values = schema.load({k: v for k, v in form.items() if k not in errors})
    sort, page, per_page = values.pop("sort"), values.pop("page"), values.pop("per_page")
    return Query(values, sort, page, per_page, form, errors)


def href(path: str, form: Mapping[str, str], **changes: Any) -> str:
    """``path`` with the list's current query string, some of its values changed (None removes one)."""
    args = {**form, **{k: v for k, v in changes.items()}}
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return f"{path}?{urlencode(args)}" if args else path


def page_numbers(page: int, last: int | None) -> list[int | None]:
    """The pages to link to: first, last, and two on each side of the current one (None marks a gap)."""
    last = last or page + 1
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def last_page(result: Page, per_page: int) -> int | None:
    """The last page's number, or None when the total is a lower bound (a title search counts up to a limit)."""
    return None if result.total_is_lower_bound else max(1, -(-result.total // per_page))


def every_row(list_rows: Callable[..., Page], db: Database, filters: Mapping[str, Any], sort: str) -> Iterator[dict]:
    """Every row the filters match, in the list's order, a page of CSV_BATCH at a time."""
    page = 1
    while True:
        result = list_rows(db, filters, sort=sort, page=page, per_page=CSV_BATCH)
        yield from result.items
        if len(result.items) < CSV_BATCH:
            return
        page += 1


def csv_download(rows: Iterator[Mapping[str, Any]], columns: Sequence[str], filename: str) -> Response:
    """``rows`` as a CSV file (a header line, then a line per row), streamed as it is read."""
    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
            if buffer.tell() > 16384:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
