"""Each person's private calendar feed of their deadlines (RFC 5545, made with ``icalendar``), and the page of
their own where they make or reset its address.

The feed (``/calendar/<token>.ics``) needs no session: calendar clients (Outlook, Thunderbird) cannot sign in,
so the unguessable token is the key. Its address is shown once, when made; a reset makes a new one and the old
one answers 404, as does a stranger's or a revoked user's token. Each deadline is an all-day event whose UID is
the deadline's own id, so a client updates an event rather than adding a copy.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, url_for
from icalendar import Calendar, Event

from projections.deadlines import deadlines
from projections.outbox import KIND_WORDS
from web.current import person, services, signed_in

blp = Blueprint("calendar", __name__)
PAGES = {"agreement": ("web.agreements.show", "agreement_id"),
         "enlargement": ("web.enlargements.show", "process_id")}
PER_PAGE = 500


@blp.get("/account/calendar")
@signed_in()
def page() -> Any:
    return render_template("calendar.html", made_at=services().calendar.made_at(person().name), address=None)


@blp.post("/account/calendar")
@signed_in()
def reset() -> Any:
    """A new address for the feed (the old one stops working), shown this once."""
    token = services().calendar.reset(person().name)
    address = url_for("web.calendar.feed", token=token, _external=True)
    return render_template("calendar.html", made_at=services().calendar.made_at(person().name), address=address)


@blp.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    user = services().calendar.user_of(token)
    if user is None:
        abort(404)
    body = feed_of(user, every_deadline_of(user)).to_ical()
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="accord-deadlines.ics"', "Referrer-Policy": "no-referrer"})


def every_deadline_of(user: str) -> list[dict[str, Any]]:
    rows, page_number = [], 1
    while True:
        found, total = deadlines(services().db, officer=user, page=page_number, per_page=PER_PAGE)
        rows += found
        if len(rows) >= total or not found:
            return rows
        page_number += 1


def feed_of(user: str, rows: list[dict[str, Any]]) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Accord//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Accord: deadlines of {user}")
    stamp = datetime.now(UTC).replace(microsecond=0)
    for row in rows:
        calendar.add_component(event_of(row, stamp))
    return calendar


def event_of(row: dict[str, Any], stamp: datetime) -> Event:
    """One deadline as an all-day event, with a link to its agreement or process."""
    due = date.fromisoformat(row["due_on"])
    what = KIND_WORDS.get(row["kind"], row["kind"].replace("_", " "))
    endpoint, argument = PAGES.get(row["process_kind"], PAGES["agreement"])
    link = url_for(endpoint, **{argument: row["process_id"]}, _external=True)
    event = Event()
    event.add("uid", f"{row['id']}@accord")
    event.add("dtstamp", stamp)
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))
    event.add("summary", f"{row['title']}: {what}")
    event.add("description", "\n".join(part for part in (row.get("detail"), f"Rule: {row['rule']}" if row.get("rule")
                                                          else None, link) if part))
    event.add("url", link)
    event.add("transp", "TRANSPARENT")  # a date to act by, not time taken
    event.add("categories", [row["kind"]])
    return event
