"""The reminder sender against a real SMTP server: each reminder delivered once, the nearest of those due
together, with a Message-ID of its own that every attempt repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bootstrap import create_app
from domain.values import Actor, Role
from tests.time.conftest import time_config
from tests.time.deadlines import deadline, log, outbox, put_deadlines, today


def test_reminders_due_are_delivered_once_to_the_officers_in_the_configured_roles(services, tokens, mail_server):
    d = deadline(in_days=20, officers={"alice": "ir_officer", "bruno": "legal_officer", "eva": "auditor"})
    assert put_deadlines(services, [d["process_id"]], [d]) == {"planned": 6, "reinstated": 0, "cancelled": 0}
    assert {(r["username"], r["lead_days"], r["send_on"]) for r in outbox(services)} == {
        (u, lead, (today() + timedelta(days=20 - lead)).isoformat())
        for u in ("alice", "bruno") for lead in (90, 30, 7)}

    first = services.sender.run_once()
    again = services.sender.run_once()

    assert (first.delivered, again.delivered) == (2, 0)
    assert sorted(m["To"] for m in mail_server.messages) == ["alice@staff.example", "bruno@staff.example"]
    message = mail_server.messages[0]
    assert message["From"] == "accord@registry.example"
    assert message["Subject"] == f"Reminder: ICA with Mongolia: it expires on {d['due_on']}"
    assert f"https://accord.example/agreements/{d['process_id']}" in message.get_content()
    assert "in 20 days" in message.get_content()
    states = {(r["username"], r["lead_days"]): r["status"] for r in outbox(services)}
    assert states == {("alice", 90): "superseded", ("bruno", 90): "superseded", ("alice", 30): "delivered",
                      ("bruno", 30): "delivered", ("alice", 7): "pending", ("bruno", 7): "pending"}


def test_each_lead_time_is_sent_on_its_day_and_never_again(services, tokens, mail_server):
    d = deadline(in_days=100)
    put_deadlines(services, [d["process_id"]], [d])
    sent_on = {}
    for day in range(0, 101):
        on = today() + timedelta(days=day)
        if services.sender.run_once(on).delivered:
            sent_on[day] = len(mail_server.messages)

    assert sent_on == {10: 2, 70: 4, 93: 6}
    ids = mail_server.message_ids()
    assert len(ids) == len(set(ids)) == 6
    assert [e["outcome"] for e in log(services)].count("delivered") == 6


def test_a_user_s_own_address_is_used_and_one_without_any_is_logged(storage, mail_server):
    app = create_app(time_config(storage, mail_server.port, MAIL_DOMAIN=None))
    services = app.extensions["accord"]
    admin = Actor("gwen", Role.ADMIN)
    services.access.issue_token(admin, "alice", Role.IR_OFFICER)
    services.access.issue_token(admin, "bruno", Role.LEGAL_OFFICER)
    services.access.set_email(admin, "alice", "alice.martin@ministry.example")
    d = deadline(in_days=5)
    put_deadlines(services, [d["process_id"]], [d])

    services.sender.run_once()
    services.close()

    assert [m["To"] for m in mail_server.messages] == ["alice.martin@ministry.example"]
    assert {r["username"]: r["status"] for r in outbox(services) if r["lead_days"] == 7} == {
        "alice": "delivered", "bruno": "no_address"}


def test_a_revoked_user_gets_no_reminder(services, mail_server):
    admin = Actor("gwen", Role.ADMIN)
    services.access.issue_token(admin, "alice", Role.IR_OFFICER)
    services.access.revoke(admin, "alice")
    d = deadline(in_days=5, officers={"alice": "ir_officer"})
    put_deadlines(services, [d["process_id"]], [d])

    services.sender.run_once()

    assert mail_server.messages == []
    assert [r["status"] for r in outbox(services) if r["lead_days"] == 7] == ["no_address"]


def test_a_deadline_already_past_gets_no_reminder_and_one_that_passes_unsent_is_settled_too_late(services, tokens,
                                                                                                  mail_server):
    past, soon = deadline(in_days=-1), deadline(in_days=3)
    assert put_deadlines(services, [past["process_id"], soon["process_id"]], [past, soon])["planned"] == 6

    services.sender.run_once(today() + timedelta(days=4))

    assert mail_server.messages == []
    assert {r["status"] for r in outbox(services)} == {"too_late"}


def test_a_reminder_waiting_for_its_back_off_is_superseded_by_a_nearer_one_and_never_sent_late(services, tokens,
                                                                                                mail_server):
    d = deadline(in_days=35, officers={"alice": "ir_officer"})
    put_deadlines(services, [d["process_id"]], [d])
    mail_server.stop()
    assert services.sender.run_once(today() + timedelta(days=5)).failed == 1  # the 30-day one fails
    mail_server.start()

    services.sender.run_once(today() + timedelta(days=28))  # the 7-day one is due: it alone goes
    services.sender.run_once(today() + timedelta(days=29), now=lambda: datetime.now(UTC) + timedelta(hours=1))

    assert len(mail_server.messages) == 1 and "in 7 days" in mail_server.messages[0].get_content()
    assert {r["lead_days"]: r["status"] for r in outbox(services)} == {90: "superseded", 30: "superseded",
                                                                       7: "delivered"}
