"""A deadline that goes away cancels its pending reminders (a cancellation row; nothing deleted); one that
comes back makes them pending again; one delivered already is never sent twice."""

from __future__ import annotations

from datetime import timedelta

from tests.time.deadlines import deadline, outbox, put_deadlines, today


def test_a_deadline_that_goes_away_cancels_its_pending_reminders_and_sends_nothing(services, tokens, mail_server):
    d = deadline(kind="notice_window_closes", in_days=40)
    pid = d["process_id"]
    put_deadlines(services, [pid], [d])
    services.sender.run_once()  # the 90-day reminder: sent today (the 30 and 7-day ones wait)
    assert len(mail_server.messages) == 2

    assert put_deadlines(services, [pid], []) == {"planned": 0, "reinstated": 0, "cancelled": 4}
    for day in range(0, 41):
        services.sender.run_once(today() + timedelta(days=day))

    assert len(mail_server.messages) == 2
    assert sorted((r["username"], r["lead_days"], r["status"]) for r in outbox(services)) == [
        ("alice", 7, "cancelled"), ("alice", 30, "cancelled"), ("alice", 90, "delivered"),
        ("bruno", 7, "cancelled"), ("bruno", 30, "cancelled"), ("bruno", 90, "delivered")]
    cancellations = outbox(services, "cancellation")
    assert [(c["username"], c["deadline_id"], c["status"]) for c in cancellations] == [
        ("alice", d["id"], "recorded"), ("bruno", d["id"], "recorded")]


def test_a_deadline_that_comes_back_is_reminded_of_again_but_never_twice_for_one_lead_time(services, tokens,
                                                                                           mail_server):
    d = deadline(in_days=25, officers={"alice": "ir_officer"})
    pid = d["process_id"]
    put_deadlines(services, [pid], [d])
    services.sender.run_once()  # the 30-day reminder (the 90-day one superseded)
    put_deadlines(services, [pid], [])
    put_deadlines(services, [pid], [d])  # e.g. a notice withdrawn

    assert {r["lead_days"]: r["status"] for r in outbox(services)} == {90: "superseded", 30: "delivered",
                                                                       7: "pending"}
    assert services.sender.run_once().delivered == 0
    assert services.sender.run_once(today() + timedelta(days=18)).delivered == 1
    assert len(mail_server.messages) == 2


def test_a_moved_deadline_cancels_the_old_date_s_reminders_and_plans_the_new_one_s(services, tokens, mail_server):
    old = deadline(in_days=10, officers={"alice": "ir_officer"})
    new = deadline(in_days=200, officers={"alice": "ir_officer"}, process_id=old["process_id"])
    put_deadlines(services, [old["process_id"]], [old])

    assert put_deadlines(services, [old["process_id"]], [new]) == {"planned": 3, "reinstated": 0, "cancelled": 3}
    assert services.sender.run_once().delivered == 0
    assert {r["status"] for r in outbox(services) if r["deadline_id"] == new["id"]} == {"pending"}
