"""Each reminder delivered once across a mail-server outage, a restart of the sender (a new process after a stop
mid-batch), and where a duplicate can still happen: the server accepted a message and the sender died before it
could record the delivery (the copy then carries the same Message-ID)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from bootstrap import create_app
from storage.smtp import SmtpTransport
from tests.storage.stores import process_env
from tests.time.conftest import time_config
from tests.time.deadlines import deadline, log, outbox, put_deadlines

OFFICERS = {"alice": "ir_officer", "bruno": "legal_officer"}


def eight_reminders_due(services) -> list[str]:
    """Four deadlines in five days, two officers each: eight reminders due today (their 7-day ones)."""
    rows = [deadline(in_days=5, officers=OFFICERS, title=f"Agreement {n}") for n in range(4)]
    put_deadlines(services, [r["process_id"] for r in rows], rows)
    return sorted(r["key"] for r in outbox(services) if r["lead_days"] == 7)


def figures(services, mail_server) -> dict[str, int]:
    entries = log(services)
    ids = Counter(mail_server.message_ids())
    return {"attempts": sum(e["outcome"] == "sending" for e in entries),
            "failed": sum(e["outcome"] == "failed" for e in entries),
            "delivered": sum(e["outcome"] == "delivered" for e in entries),
            "received": sum(ids.values()), "duplicates": sum(n - 1 for n in ids.values())}


def test_every_reminder_is_delivered_once_across_a_mail_server_outage(services, tokens, mail_server):
    keys = eight_reminders_due(services)
    mail_server.stop()
    sender = services.sender
    runner = threading.Thread(target=sender.run, kwargs={"poll_interval": 0.02})
    runner.start()
    try:
        time.sleep(0.6)  # the server is down: the sender tries, fails and backs off (0.05 s doubling to 0.2 s)
        during = figures(services, mail_server)
        mail_server.start()
        deadline_at = time.monotonic() + 10
        while figures(services, mail_server)["delivered"] < len(keys) and time.monotonic() < deadline_at:
            time.sleep(0.05)
        time.sleep(0.2)  # a few more rounds: nothing more may be sent
    finally:
        sender.stop()
        runner.join(5)

    after = figures(services, mail_server)
    print(f"\n[{services.backend}] outage: during {during}; after {after}")
    assert during["delivered"] == 0 and during["failed"] >= 2
    assert during["attempts"] <= 12  # backed off: a few attempts in 0.6 s, not one per 20 ms round
    assert after["delivered"] == after["received"] == len(keys)
    assert after["duplicates"] == 0
    assert {r["key"]: r["status"] for r in outbox(services) if r["lead_days"] == 7} == dict.fromkeys(keys, "delivered")
    delivered = [e["key"] for e in log(services) if e["outcome"] == "delivered"]
    assert sorted(delivered) == keys


def test_a_new_sender_process_after_a_stop_mid_batch_sends_the_rest_and_nothing_twice(storage, services, tokens,
                                                                                       mail_server, tmp_path):
    keys = eight_reminders_due(services)
    first = services.sender.run_once(should_stop=lambda: len(mail_server.messages) >= 3)
    assert first.delivered == 3

    env = process_env(storage, ACCORD_SMTP_HOST="127.0.0.1", ACCORD_SMTP_PORT=str(mail_server.port),
                      ACCORD_MAIL_FROM="accord@registry.example", ACCORD_MAIL_DOMAIN="staff.example")
    run = subprocess.run([sys.executable, "-m", "bootstrap.cli", "mail", "run", "--once"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "delivered 5" in run.stdout
    again = services.sender.run_once()

    assert again.delivered == 0
    result = figures(services, mail_server)
    print(f"\n[{services.backend}] restart: {result}")
    assert result == {"attempts": 8, "failed": 0, "delivered": 8, "received": 8, "duplicates": 0}
    assert sorted(e["key"] for e in log(services) if e["outcome"] == "delivered") == keys


class DiesAfterTheServerAccepts(SmtpTransport):
    """The sender's process dying between the server's acceptance and the delivery's commit."""

    def send(self, mail) -> None:
        super().send(mail)
        raise SystemExit("killed")


def test_a_sender_that_dies_after_the_server_accepted_sends_again_with_the_same_message_id(storage, services, tokens,
                                                                                          mail_server):
    d = deadline(in_days=5, officers={"alice": "ir_officer"})
    put_deadlines(services, [d["process_id"]], [d])
    sender = services.sender
    sender.connect = lambda: DiesAfterTheServerAccepts(services.mail.smtp)
    try:
        sender.run_once()
    except SystemExit:
        pass
    key = next(r["key"] for r in outbox(services) if r["lead_days"] == 7)
    outcomes = lambda: [e["outcome"] for e in log(services) if e["key"] == key]  # noqa: E731
    assert outcomes() == ["sending"]  # accepted, but not recorded as delivered

    restarted = create_app(time_config(storage, mail_server.port)).extensions["accord"]
    time.sleep(0.1)  # the claim's back-off (0.05 s) passes
    assert restarted.sender.run_once().delivered == 1
    restarted.close()

    ids = mail_server.message_ids()
    assert len(ids) == 2 and ids[0] == ids[1]  # the one duplicate, recognisable as such
    assert outcomes() == ["sending", "sending", "delivered"]


def test_accord_mail_run_sends_as_reminders_fall_due_and_stops_cleanly_on_sigterm(storage, services, tokens,
                                                                                  mail_server, tmp_path):
    keys = eight_reminders_due(services)
    env = process_env(storage, ACCORD_SMTP_HOST="127.0.0.1", ACCORD_SMTP_PORT=str(mail_server.port),
                      ACCORD_MAIL_DOMAIN="staff.example", ACCORD_MAIL_RETRY_SECONDS="0.05")
    runner = subprocess.Popen([sys.executable, "-m", "bootstrap.cli", "mail", "run", "--poll", "0.1"], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        waited = time.monotonic() + 20
        while len(mail_server.messages) < len(keys) and time.monotonic() < waited:
            time.sleep(0.05)
        runner.send_signal(signal.SIGTERM)
        _, err = runner.communicate(timeout=20)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 0, err
    assert "reminder sender stopped cleanly" in err
    assert figures(services, mail_server) == {"attempts": 8, "failed": 0, "delivered": 8, "received": 8,
                                              "duplicates": 0}
