"""Each role's home (UI.md's table): the page a person lands on after signing in, and at ``/``. An IR officer's
desk (their open agreements, what waits on others, their latest steps, dates coming up), a legal officer's
review queue (pending reviews, oldest first, each with its text), the journal for auditors, the dashboard for
management, and the Users page for administrators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from domain.dates import date_text
from domain.values import Role
from projections import desk, queries
from projections.deadlines import deadlines
from web.audit import journal_page
from web.current import person, services, signed_in
from web.dashboard import dashboard_page
from web.navigation import HOMES, links_for

blp = Blueprint("home", __name__)
UPCOMING_DAYS = 180
MY_DEADLINES = 20
"""How many of an officer's coming deadlines the desk lists, soonest first (GET /api/v1/deadlines has them all)."""


@blp.get("/")
@signed_in()
def index() -> Any:
    actor = person()
    heading = HOMES[actor.role]
    if actor.role is Role.ADMIN:
        return redirect(url_for("web.users.index"))
    if actor.role is Role.AUDITOR:
        name, context = journal_page(heading)
        return render_template(name, **context)
    if actor.role is Role.MANAGEMENT:
        name, context = dashboard_page()
        return render_template(name, heading=heading, **context)
    db = services().db
    today = datetime.now(UTC).date()
    my_deadlines, my_deadlines_total = deadlines(db, officer=actor.name, due_from=date_text(today),
                                                 per_page=MY_DEADLINES)
    if actor.role is Role.LEGAL_OFFICER:
        reviews = desk.pending_reviews(db)
        return render_template("review_queue.html", heading=heading, reviews=reviews, me=actor.name,
                               my_deadlines=my_deadlines, my_deadlines_total=my_deadlines_total)
    if actor.role is Role.IR_OFFICER:
        mine = desk.open_agreements_of(db, actor.name)
        upcoming = queries.list_agreements(db, {"expires_before": today + timedelta(days=UPCOMING_DAYS + 1)},
                                           sort="expires_on", per_page=10)
        return render_template("desk.html", heading=heading, mine=mine,
                               waiting=[a for a in mine if a["legal_clearance"] == desk.REQUESTED],
                               steps=desk.recent_steps_of(db, actor.name), upcoming=upcoming.items,
                               upcoming_days=UPCOMING_DAYS, today=date_text(today), my_deadlines=my_deadlines,
                               my_deadlines_total=my_deadlines_total)
    return render_template("home.html", heading=heading, links=links_for(actor.role))
