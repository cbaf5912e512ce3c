"""The dashboard: where all agreements stand, as charts and as numbers (by stage, status and kind), the
agreements stalled (no step for a number of days) and those expiring soon, and the enlargement processes by
stage and target; read from the views through the same query as the API's dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from marshmallow import Schema, ValidationError, fields, validate

from domain.values import AgreementKind, Stage, Status, Target
from projections import queries
from projections.deadlines import deadlines
from web import charts
from web.current import services, signed_in
from workflows.definitions import READERS, values_of

blp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
DAYS = validate.Range(min=0, max=36500)
DashboardQuery = Schema.from_dict({"stalled_days": fields.Integer(load_default=90, validate=DAYS),
                                   "expiring_days": fields.Integer(load_default=180, validate=DAYS)})
LISTED = 20
"""How many stalled and expiring agreements the dashboard lists; the agreements list has them all."""
DEADLINE_DAYS = 90
DEADLINES_LISTED = 50
"""The dashboard lists the deadlines of the next ``DEADLINE_DAYS`` days, the first ``DEADLINES_LISTED`` of them."""


@blp.get("")
@signed_in(READERS)
def index() -> Any:
    name, context = dashboard_page()
    return render_template(name, **context), 400 if context["errors"] else 200


def dashboard_page() -> tuple[str, dict[str, Any]]:
    """The dashboard's template and what it shows (also the management's home)."""
    form = {k: request.args.get(k, "").strip() for k in ("stalled_days", "expiring_days")}
    try:
        query, errors = DashboardQuery().load({k: v for k, v in form.items() if v}), {}
    except ValidationError as error:
        errors = {k: "Enter a number of days from 0 to 36,500." for k in error.normalized_messages()}
        query = DashboardQuery().load({})
    found = queries.dashboard(services().db, query["stalled_days"], query["expiring_days"])
    today = datetime.now(UTC).date()
    coming, coming_total = deadlines(services().db, due_from=today.isoformat(),
                                     due_to=(today + timedelta(days=DEADLINE_DAYS)).isoformat(),
                                     per_page=DEADLINES_LISTED)
    return "dashboard.html", {
        "deadlines": coming, "deadlines_total": coming_total, "deadline_days": DEADLINE_DAYS,
        "data": found, "form": form, "errors": errors, "listed": LISTED, "today": today, **query,
        "expiring_before": today + timedelta(days=query["expiring_days"] + 1),
        "charts": [
            charts.bar_chart("by-stage", "Agreements by stage", found["by_stage"], values_of(Stage)),
            charts.bar_chart("by-status", "Agreements by status", found["by_status"], values_of(Status)),
            charts.bar_chart("by-kind", "Agreements by kind", found["by_kind"], values_of(AgreementKind)),
        ],
        "enlargement_charts": [
            charts.bar_chart("enlargements-by-stage", "Enlargement processes by stage",
                             found["enlargements"]["by_stage"], values_of(Stage)),
            charts.bar_chart("enlargements-by-target", "Enlargement processes by target",
                             found["enlargements"]["by_target"], values_of(Target)),
        ],
    }
