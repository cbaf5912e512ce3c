"""GET /api/v1/reminders: what auditors and management see of the reminders and their delivery log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.time.deadlines import deadline, put_deadlines


def test_auditors_read_each_reminder_with_its_attempts_and_the_log_in_order(client, services, auth, mail_server):
    d = deadline(in_days=5, officers={"alice": "ir_officer"})
    put_deadlines(services, [d["process_id"]], [d])
    mail_server.stop()
    services.sender.run_once()  # fails: the server is down
    mail_server.start()
    services.sender.run_once(now=lambda: datetime.now(UTC) + timedelta(seconds=1))  # after the back-off

    answer = client.get("/api/v1/reminders?status=delivered", headers=auth("eva"))

    assert answer.status_code == 200 and answer.headers["X-Total-Count"] == "1"
    [reminder] = answer.json
    assert (reminder["username"], reminder["lead_days"], reminder["attempts"]) == ("alice", 7, 2)
    assert [e["outcome"] for e in reminder["deliveries"]] == ["sending", "failed", "sending", "delivered"]
    assert reminder["deliveries"][-1]["address"] == "alice@staff.example"
    assert len({e["message_id"] for e in reminder["deliveries"]}) == 1
    log = client.get("/api/v1/reminders/deliveries?after=0", headers=auth("farid")).json
    assert [e["outcome"] for e in log] == ["superseded", "superseded", "sending", "failed", "sending", "delivered"]
    assert client.get(f"/api/v1/reminders/deliveries?after={log[-2]['seq']}", headers=auth("eva")).json == log[-1:]


def test_officers_may_not_read_them_and_a_bad_filter_is_a_problem(client, auth):
    refused = client.get("/api/v1/reminders", headers=auth("alice"))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    bad = client.get("/api/v1/reminders?status=lost", headers=auth("eva"))
    assert bad.status_code == 422 and "status" in bad.json["errors"]
    assert client.get("/api/v1/reminders?colour=red", headers=auth("eva")).status_code == 422


def test_the_journal_page_shows_the_reminders_counts_and_latest_deliveries(services, tokens, mail_server, storage):
    from bootstrap import create_app
    from tests.time.conftest import time_config
    from tests.web.conftest import OPERATOR, Visitor, password_of

    d = deadline(in_days=5, officers={"alice": "ir_officer"})
    put_deadlines(services, [d["process_id"]], [d])
    services.sender.run_once()
    site = create_app(time_config(storage, mail_server.port))
    site.extensions["accord"].signin.set_password(OPERATOR, "eva", password_of("eva"))
    eva = Visitor(site.test_client())
    assert eva.sign_in("eva").status_code == 302

    page = eva.get("/audit/journal").get_data(as_text=True)
    site.extensions["accord"].close()

    assert "Reminders of deadlines: 1 delivered, 0 waiting" in page
    assert "alice@staff.example" in page and f"{d['id']}:7d:alice" in page
