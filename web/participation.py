"""The participation register's pages: who participates on a date ("On"), as the system knew it at a time
("Known at"), grouped by status with counts, and the timeline of every state's statuses since 1954 drawn as
SVG; and a party's page: its statuses over time, its agreements and its enlargement processes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, render_template, request
from marshmallow import Schema, ValidationError

from api.schemas import IsoDate, UtcDateTime
from domain.dates import date_text, time_text
from projections import queries
from web import charts
from web.current import services, signed_in
from web.processes import as_of_value
from workflows.definitions import READERS

blp = Blueprint("participation", __name__, url_prefix="/participation")
RegisterQuery = Schema.from_dict({"on": IsoDate(), "known_at": UtcDateTime()})
FIRST_YEAR = 1954
GROUPS = {
    "member": "Member States",
    "associate_member_pre_stage": "Associate Member States in the pre-stage to Membership",
    "associate_member": "Associate Member States",
    "candidate_for_accession": "Candidates for accession",
    "observer": "Observers",
    "cooperation_partner": "Cooperation partners",
}


def read_moment() -> tuple[date, datetime, dict[str, str], dict[str, str]]:
    """The date asked about and the time it is known at (today and now unless given), the form as typed,
    and the errors found."""
    form = {k: request.args.get(k, "").strip() for k in ("on", "known_at")}
    given = {k: v for k, v in form.items() if v}
    if "known_at" in given:
        given["known_at"] = as_of_value(given["known_at"])
    now = datetime.now(UTC)
    try:
        values, errors = RegisterQuery().load(given), {}
    except ValidationError as error:
        errors = {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in error.normalized_messages().items()}
        values = {}
    return values.get("on") or now.date(), values.get("known_at") or now, form, errors


@blp.get("")
@signed_in(READERS)
def register() -> Any:
    on, known_at, form, errors = read_moment()
    db = services().db
    participants = queries.participation(db, date_text(on), time_text(known_at))
    groups = [(capacity, title, [p for p in participants if p["capacity"] == capacity])
              for capacity, title in GROUPS.items()]
    states = [p for p in queries.every_period(db, time_text(known_at)) if p["kind"] == "state"]
    chart = charts.timeline("register-timeline", f"Every state's status since {FIRST_YEAR}", states,
                            today=datetime.now(UTC).date(), first_year=FIRST_YEAR, on=on)
    return render_template("register.html", on=on, known_at=known_at, form=form, errors=errors, groups=groups,
                           count=len(participants), chart=chart,
                           held_by_organisation=queries.held_by_organisation(db, date_text(on), time_text(known_at))
                           ), 400 if errors else 200


@blp.get("/<party>")
@signed_in(READERS)
def party(party: str) -> Any:
    if not 1 <= len(party) <= 300 or "\x00" in party:
        abort(404, description="No such party.")
    _, known_at, form, errors = read_moment()
    db = services().db
    periods = queries.timeline(db, party, time_text(known_at))
    country = party if len(party) == 2 and party.isalpha() and party.isupper() else None
    name = periods[-1]["party"] if periods else party
    filters = {"country": country} if country else {"counterparty": party}
    agreements = queries.list_agreements(db, filters, sort="-updated_at", per_page=100)
    enlargements = queries.list_enlargements(db, {"country": country}, sort="applied_on", per_page=100) \
        if country else None
    if not periods and not agreements.items and not (enlargements and enlargements.items):
        abort(404, description=f"Accord knows of no party {party}.")
    chart = charts.timeline("party-timeline", f"{name}: status over time", periods,
                            today=datetime.now(UTC).date(), first_year=FIRST_YEAR) if periods else None
    return render_template("party.html", party=party, name=name, country=country, periods=periods, chart=chart,
                           agreements=agreements, enlargements=enlargements, known_at=known_at, form=form,
                           errors=errors), 400 if errors else 200
