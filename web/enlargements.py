"""The enlargement processes' pages: the list (filters, sort, pages, totals, CSV of exactly what is filtered,
through the same projection query as the API's list) and one process, with its target status, its state at
any version or past moment, its history and the diff of two versions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, render_template, url_for
from marshmallow import fields, validate

from domain.values import ProcessStatus, Stage, Target
from projections import queries
from web import listing, processes
from web.agreements import choices
from web.current import services, signed_in
from workflows.definitions import READERS, values_of

blp = Blueprint("enlargements", __name__, url_prefix="/enlargements")

FILTERS = {
    "stage": fields.String(validate=validate.OneOf(values_of(Stage))),
    "status": fields.String(validate=validate.OneOf(values_of(ProcessStatus))),
    "target": fields.String(validate=validate.OneOf(values_of(Target))),
    "country": fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="Enter a two-letter country code.")),
}
SCHEMA = listing.list_schema(FILTERS, queries.ENLARGEMENT_SORTABLE)
SORTS = [("-updated_at", "Last changed, newest first"), ("updated_at", "Last changed, oldest first"),
         ("state", "State, A to Z"), ("-state", "State, Z to A"), ("-applied_on", "Applied, newest first"),
         ("applied_on", "Applied, oldest first"), ("-effective_on", "In force, newest first"),
         ("stage", "Stage"), ("status", "Status"), ("target", "Target")]
CSV_COLUMNS = ("id", "state", "country", "target", "stage", "status", "version", "applied_on", "effective_on",
               "ended_on", "created_at", "created_by", "updated_at", "last_step", "last_actor")


@blp.get("")
@signed_in(READERS)
def index() -> Any:
    query = listing.read_query(SCHEMA, upper=("country",))
    result = None
    if not query.errors:
        result = queries.list_enlargements(services().db, query.filters, sort=query.sort, page=query.page,
                                           per_page=query.per_page)
    last = listing.last_page(result, query.per_page) if result else 1
    path = url_for("web.enlargements.index")
    return render_template(
        "enlargements.html", query=query, result=result, last=last,
        numbers=listing.page_numbers(query.page, last),
        link=lambda page: listing.href(path, query.form, page=page),
        sort_link=lambda column: listing.href(path, query.form, sort=column, page=None),
        csv=listing.href(url_for("web.enlargements.download"), query.form, page=None, per_page=None),
        stages=choices(values_of(Stage)), statuses=choices(values_of(ProcessStatus)),
        targets=choices(values_of(Target)), sorts=SORTS, per_page_choices=listing.PER_PAGE_CHOICES,
    ), 400 if query.errors else 200


@blp.get("/download.csv")
@signed_in(READERS)
def download() -> Any:
    query = listing.read_query(SCHEMA, upper=("country",))
    if query.errors:
        return index()
    rows = listing.every_row(queries.list_enlargements, services().db, query.filters, query.sort)
    return listing.csv_download(rows, CSV_COLUMNS, "enlargements.csv")


@blp.get("/<uuid:process_id>")
@signed_in(READERS)
def show(process_id: UUID) -> Any:
    service = services().enlargements
    state = processes.shown(service, process_id)
    history = processes.history_page(service, process_id, state.latest_version, processes.requested_page())
    asked = processes.requested_diff(service, process_id, state.latest_version)
    status = 400 if state.errors or asked.errors else 200
    return render_template("enlargement.html", process=state.aggregate, state=state, history=history,
                           diff=asked.diff, diff_form=asked.form, diff_errors=asked.errors, kind="enlargement",
                           pre_stage=service.pre_stage_limits(state.aggregate),
                           history_link=lambda page: url_for("web.enlargements.show", process_id=process_id,
                                                             history_page=page, **state.form)), status
