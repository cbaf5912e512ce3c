"""Reminders planned by the deadlines view itself, from the events: an agreement in force gets reminders of its
notice window and renewal for its officers; a notice given cancels those and plans the expiry's; a rebuild of
the view plans and sends nothing twice."""

from __future__ import annotations

from datetime import date

from tests.time.deadlines import outbox
from tests.time.helpers import agreement_in_force, caught_up, tacit

TODAY = date(2026, 12, 7)
"""The day the planner and the sender decide as of (the view's rows do not depend on it)."""


def on_today(services) -> None:
    services.projections.views["deadlines"].today = lambda: TODAY


def test_an_agreement_in_force_has_its_reminders_planned_with_its_deadlines_and_sent(services, tokens, mail_server):
    on_today(services)
    walk = agreement_in_force(services, **tacit(initial_period_months=30))  # expires 2027-07-01
    caught_up(services)

    planned = outbox(services)
    assert {(r["deadline_kind"], r["due_on"]) for r in planned} == {("notice_window_closes", "2027-01-01"),
                                                                    ("renewal", "2027-07-01")}
    assert {r["username"] for r in planned} == {"alice", "bruno", "dmitri"}
    assert len(planned) == 2 * 3 * 3  # deadlines x officers x lead times (the window's opening is past)
    tracked = services.projections.positions()["deadlines"]
    assert {r["position"] for r in planned} == {tracked}  # written with the view's rows and position

    assert services.sender.run_once(TODAY).delivered == 3  # the window closes in 25 days: the 30-day reminders
    assert sorted(m["To"] for m in mail_server.messages) == ["alice@staff.example", "bruno@staff.example",
                                                             "dmitri@staff.example"]
    assert {m["Subject"] for m in mail_server.messages} == {
        "Reminder: Co-operation with Chile: the notice window closes on 2027-01-01"}
    assert f"https://accord.example/agreements/{walk.id}" in mail_server.messages[0].get_content()


def test_a_notice_cancels_the_renewal_s_reminders_and_plans_the_expiry_s(services, tokens, mail_server):
    on_today(services)
    walk = agreement_in_force(services, **tacit(initial_period_months=30))
    caught_up(services)
    services.sender.run_once(TODAY)

    walk.step("carla", "give_notice", reference="CERN/DG/2026-41", party="CERN", given_on="2026-12-07",
              addressed_to="Republic of Chile")
    caught_up(services)

    status = {}
    for r in outbox(services):
        status.setdefault((r["deadline_kind"], r["status"]), set()).add(r["username"])
    assert status == {("notice_window_closes", "superseded"): {"alice", "bruno", "dmitri"},
                      ("notice_window_closes", "delivered"): {"alice", "bruno", "dmitri"},
                      ("notice_window_closes", "cancelled"): {"alice", "bruno", "dmitri"},
                      ("renewal", "cancelled"): {"alice", "bruno", "dmitri"},
                      ("expiry", "pending"): {"alice", "bruno", "dmitri", "carla"}}
    assert len(outbox(services, "cancellation")) == 6  # two deadlines gone, three recipients each
    assert services.sender.run_once(TODAY).delivered == 0
    assert services.sender.run_once(date(2027, 4, 2)).delivered == 4  # 90 days before the expiry


def test_a_rebuild_of_the_deadlines_view_plans_nothing_twice_and_sends_nothing_again(services, tokens,
                                                                                     mail_server):
    on_today(services)
    agreement_in_force(services, **tacit(initial_period_months=30))
    caught_up(services)
    services.sender.run_once(TODAY)
    before = outbox(services)

    services.projections.rebuild("deadlines")

    assert outbox(services) == before
    assert services.sender.run_once(TODAY).delivered == 0
    assert len(mail_server.messages) == 3


def test_a_renewal_recorded_by_the_clock_cancels_the_old_period_s_reminders_and_plans_the_new_one_s(
        services, tokens, mail_server):
    on_today(services)
    agreement_in_force(services, **tacit(initial_period_months=24))  # renews tacitly on 2027-01-01
    caught_up(services)
    assert services.sender.run_once(TODAY).delivered == 3  # the renewal's 30-day reminders

    services.projections.views["deadlines"].today = lambda: date(2027, 1, 2)
    decisions = services.run_clock(date(2027, 1, 2))  # the day after the expiry
    caught_up(services)

    assert [d.step for d in decisions] == ["renew_tacitly"]
    pending = {(r["deadline_kind"], r["due_on"]) for r in outbox(services) if r["status"] == "pending"}
    assert pending == {("notice_window_closes", "2028-07-01"), ("renewal", "2029-01-01")}
    assert {r["status"] for r in outbox(services) if r["due_on"] == "2027-01-01"} == {"superseded", "delivered",
                                                                                      "cancelled"}
    assert services.sender.run_once(date(2027, 1, 2)).delivered == 0
    assert len(mail_server.messages) == 3
