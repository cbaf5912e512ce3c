"""The agreements' pages: the list (filters, sort, pages, totals, and a CSV download of exactly what is
filtered, read through the same projection query as the API's list) and one agreement (its state at the
latest, a past version or a past moment, its history as a timeline, and the diff between two versions)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, render_template, url_for
from marshmallow import fields, validate

from api.schemas import IsoDate
from domain.values import AgreementKind, Stage, Status
from projections import queries
from projections.deadlines import deadlines
from web import listing, processes, texts
from web.current import person, services, signed_in
from web.formatting import words
from workflows.definitions import READERS, values_of

blp = Blueprint("agreements", __name__, url_prefix="/agreements")

FILTERS = {
    "stage": fields.String(validate=validate.OneOf(values_of(Stage))),
    "status": fields.String(validate=validate.OneOf(values_of(Status))),
    "kind": fields.String(validate=validate.OneOf(values_of(AgreementKind))),
    "country": fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="Enter a two-letter country code.")),
    "q": fields.String(validate=validate.Length(1, 300)),
    # from the dashboard's links: kept as they are when the form filters again
    "expires_before": IsoDate(),
    "stalled_for_days": fields.Integer(validate=validate.Range(min=0, max=36500)),
}
KEPT = ("expires_before", "stalled_for_days")
SCHEMA = listing.list_schema(FILTERS, queries.AGREEMENT_SORTABLE)
SORTS = [("-updated_at", "Last changed, newest first"), ("updated_at", "Last changed, oldest first"),
         ("title", "Title, A to Z"), ("-title", "Title, Z to A"), ("-created_at", "Created, newest first"),
         ("created_at", "Created, oldest first"), ("expires_on", "Expiry, soonest first"),
         ("stage", "Stage"), ("status", "Status"), ("kind", "Kind")]
CSV_COLUMNS = ("id", "title", "kind", "counterparties", "countries", "stage", "status", "legal_clearance",
               "version", "created_at", "created_by", "updated_at", "last_step", "last_actor", "effective_on",
               "expires_on", "closed_on", "parent_id")


def choices(values: list[str]) -> list[tuple[str, str]]:
    return [(v, words(v)) for v in values]


@blp.get("")
@signed_in(READERS)
def index() -> Any:
    query = listing.read_query(SCHEMA, upper=("country",))
    result = None
    if not query.errors:
        result = queries.list_agreements(services().db, query.filters, sort=query.sort, page=query.page,
                                         per_page=query.per_page)
    last = listing.last_page(result, query.per_page) if result else 1
    path = url_for("web.agreements.index")
    return render_template(
        "agreements.html", query=query, result=result, last=last,
        numbers=listing.page_numbers(query.page, last),
        link=lambda page: listing.href(path, query.form, page=page),
        sort_link=lambda column: listing.href(path, query.form, sort=column, page=None),
        csv=listing.href(url_for("web.agreements.download"), query.form, page=None, per_page=None),
        stages=choices(values_of(Stage)), statuses=choices(values_of(Status)),
        kinds=choices(values_of(AgreementKind)), sorts=SORTS, per_page_choices=listing.PER_PAGE_CHOICES,
        kept=[(k, query.form[k]) for k in KEPT if k in query.form and k not in query.errors],
        without=lambda name: listing.href(path, query.form, **{name: None, "page": None}),
    ), 400 if query.errors else 200


@blp.get("/download.csv")
@signed_in(READERS)
def download() -> Any:
    query = listing.read_query(SCHEMA, upper=("country",))
    if query.errors:
        return index()
    rows = listing.every_row(queries.list_agreements, services().db, query.filters, query.sort)
    return listing.csv_download(rows, CSV_COLUMNS, "agreements.csv")


@blp.get("/<uuid:agreement_id>")
@signed_in(READERS)
def show(agreement_id: UUID) -> Any:
    service = services().agreements
    state = processes.shown(service, agreement_id)
    history = processes.history_page(service, agreement_id, state.latest_version, processes.requested_page())
    asked = processes.requested_diff(service, agreement_id, state.latest_version)
    parent = None
    if state.aggregate.parent_id is not None:
        parent = service.get(state.aggregate.parent_id)
    status = 400 if state.errors or asked.errors else 200
    dates, _ = deadlines(services().db, process_id=str(agreement_id), per_page=20)
    comparable = state.aggregate.current_text is not None and not state.past
    attached = services().texts.texts_of(agreement_id, person()) if comparable else []
    return render_template("agreement.html", agreement=state.aggregate, state=state, history=history, deadlines=dates,
                           text_choices=texts.text_choices(attached), text_pair=texts.default_pair(attached),
                           diff=asked.diff, diff_form=asked.form, diff_errors=asked.errors, parent=parent,
                           kind="agreement",
                           history_link=lambda page: url_for("web.agreements.show", agreement_id=agreement_id,
                                                             history_page=page, **state.form)), status
