"""The auditors' pages: the journal (the global log, a page at a time, filtered by actor, aggregate and
recorded time; auditors and management), verification of the whole store with the digest to save and a form
to check a saved digest, and the export download (auditors). Verification reads the stored events themselves."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from marshmallow import Schema, ValidationError, fields, validate

from api.schemas import UtcDateTime
from domain.values import Role
from projections import queries, reminders
from web.current import services, signed_in
from web.processes import as_of_value

blp = Blueprint("audit", __name__, url_prefix="/audit")
JOURNAL_READERS = (Role.AUDITOR, Role.MANAGEMENT)
AUDITORS = (Role.AUDITOR,)
PER_PAGE = 50
LAST = 2**63 - 1
POSITION = validate.Range(min=0, max=LAST)
JournalQuery = Schema.from_dict({
    "actor": fields.String(validate=validate.Length(1, 100)),
    "aggregate": fields.UUID(),
    "recorded_from": UtcDateTime(),
    "recorded_to": UtcDateTime(),
    "after": fields.Integer(validate=POSITION),
    "before": fields.Integer(validate=POSITION),
})
Digest = Schema.from_dict({
    "position": fields.Integer(required=True, validate=validate.Range(min=1, max=LAST),
                               error_messages={"required": "Enter the position of the saved digest.",
                                               "invalid": "Enter the position as a whole number."}),
    "hash": fields.String(required=True, validate=validate.Regexp(
        r"^[0-9a-f]{64}$", error="Enter the hash as 64 lowercase hexadecimal digits."),
        error_messages={"required": "Enter the hash of the saved digest."}),
})
PROCESS_PAGES = {"agreement": ("web.agreements.show", "agreement_id"),
                 "enlargement": ("web.enlargements.show", "process_id")}


def read_journal_query() -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    form = {k: v.strip() for k, v in request.args.items() if k in JournalQuery().fields and v.strip()}
    given = {k: as_of_value(v) if k.startswith("recorded_") else v for k, v in form.items()}
    try:
        return JournalQuery().load(given), form, {}
    except ValidationError as error:
        errors = {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in error.normalized_messages().items()}
        return {}, form, errors


def aggregate_link(entry: dict[str, Any]) -> str | None:
    page = PROCESS_PAGES.get(entry["aggregate_type"])
    return url_for(page[0], **{page[1]: entry["aggregate_id"]}) if page else None


@blp.get("/journal")
@signed_in(JOURNAL_READERS)
def journal() -> Any:
    name, context = journal_page()
    return render_template(name, **context), 400 if context["errors"] else 200


def journal_page(heading: str = "Journal") -> tuple[str, dict[str, Any]]:
    """The journal's template and what it shows (also the auditors' home): the newest page unless ``after``
    or ``before`` names a position to read from."""
    query, form, errors = read_journal_query()
    entries: list[dict[str, Any]] = []
    if not errors:
        filters = {"actor": query.get("actor"), "recorded_from": query.get("recorded_from"),
                   "recorded_to": query.get("recorded_to"),
                   "aggregate_id": str(query["aggregate"]) if "aggregate" in query else None}
        if "after" in query:
            entries = queries.journal(services().db, after=query["after"], limit=PER_PAGE, **filters)
        else:
            entries = queries.journal(services().db, before=query.get("before", LAST), limit=PER_PAGE, **filters)
    filters_form = {k: v for k, v in form.items() if k not in ("after", "before")}
    newer = older = None
    if entries:
        older = url_for("web.audit.journal", **filters_form, before=entries[0]["position"])
        newer = url_for("web.audit.journal", **filters_form, after=entries[-1]["position"])
        if "after" not in query and "before" not in query:
            newer = None  # the newest page
    return "journal.html", {"heading": heading, "entries": list(reversed(entries)), "form": form, "errors": errors,
                            "older": older if len(entries) == PER_PAGE or "after" in query else None,
                            "newer": newer, "link": aggregate_link,
                            "reminders": reminders.summary(services().db),
                            "deliveries": reminders.latest_deliveries(services().db, 5)}


@blp.get("/verify")
@signed_in(AUDITORS)
def verify() -> Any:
    return render_template("verify.html", result=services().audit.verify(), checked=None, form={}, errors={})


@blp.post("/verify")
@signed_in(AUDITORS)
def check_digest() -> Any:
    form = {k: request.form.get(k, "").strip() for k in ("position", "hash")}
    try:
        digest = Digest().load({k: v for k, v in form.items() if v})
    except ValidationError as error:
        errors = {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in error.normalized_messages().items()}
        return render_template("verify.html", result=None, checked=None, form=form, errors=errors), 400
    checked = services().audit.prove(digest["position"], digest["hash"])
    return render_template("verify.html", result=None, checked=checked, form=form, errors={})


@blp.get("/export")
@signed_in(AUDITORS)
def export() -> Any:
    """The whole event store as JSON Lines, streamed (what `accord audit import` loads)."""
    return Response(stream_with_context(services().audit.export_lines()), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": "attachment; filename=accord-export.jsonl"})
