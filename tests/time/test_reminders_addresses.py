"""Where reminders go: an address an administrator gives a user (``accord users set-email``, recorded in the
journal like any change to a user), else NAME@ACCORD_MAIL_DOMAIN; and the sender of the embedded deployment, a
thread of a web worker."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from bootstrap import create_app
from bootstrap.cli import main
from domain.errors import InvalidValueError
from domain.values import Actor, Role
from tests.storage.stores import use_store
from tests.time.conftest import time_config
from tests.time.deadlines import deadline, outbox, put_deadlines

ADMIN = Actor("gwen", Role.ADMIN)


def test_an_administrator_sets_and_removes_an_address_on_the_command_line(storage, services, tokens, monkeypatch):
    use_store(monkeypatch, storage)
    runner = CliRunner()

    given = runner.invoke(main, ["users", "set-email", "alice", "alice.martin@ministry.example"])
    listed = runner.invoke(main, ["users", "list"])
    refused = runner.invoke(main, ["users", "set-email", "alice", "Alice <alice@ministry.example>"])
    unknown = runner.invoke(main, ["users", "set-email", "nobody", "n@ministry.example"])

    assert given.exit_code == 0, given.output
    assert "alice.martin@ministry.example" in listed.output
    assert refused.exit_code == 1 and "email address" in refused.output
    assert unknown.exit_code == 1 and "no active user named nobody" in unknown.output
    assert services.reminder_address("alice") == "alice.martin@ministry.example"
    assert runner.invoke(main, ["users", "set-email", "alice", "--remove"]).exit_code == 0
    assert services.reminder_address("alice") == "alice@staff.example"  # the domain's, again
    services.projections.catch_up()
    journal = services.db.query("SELECT type, actor FROM journal ORDER BY position DESC LIMIT 2")
    assert [r["type"] for r in journal] == ["user_directory_email_set"] * 2


@pytest.mark.parametrize("address", ["alice", "alice@", "@ministry.example", "alice@ministry", "a b@c.example",
                                     "alice@ministry.example\r\nBcc: eve@x.example", "ålice@ministry.example",
                                     "a" * 65 + "@ministry.example"])
def test_an_address_that_is_not_plain_is_refused(services, tokens, address):
    with pytest.raises(InvalidValueError) as refused:
        services.access.set_email(ADMIN, "alice", address)
    assert refused.value.rule == "email"


def test_the_embedded_sender_runs_in_a_web_worker_and_delivers(storage, tokens, mail_server):
    app = create_app(time_config(storage, mail_server.port, MAIL_IN_PROCESS=True, MAIL_POLL_SECONDS=0.05))
    services = app.extensions["accord"]
    d = deadline(in_days=5, officers={"alice": "ir_officer", "bruno": "legal_officer"})
    put_deadlines(services, [d["process_id"]], [d])
    try:
        app.test_client().get("/health")  # the first request starts the sender thread
        waited = time.monotonic() + 5
        while {r["status"] for r in outbox(services) if r["lead_days"] == 7} != {"delivered"} \
                and time.monotonic() < waited:
            time.sleep(0.05)
        assert {r["status"] for r in outbox(services) if r["lead_days"] == 7} == {"delivered"}
    finally:
        services.close()
    assert sorted(m["To"] for m in mail_server.messages) == ["alice@staff.example", "bruno@staff.example"]


def test_an_administrator_sets_an_address_on_the_users_page(storage, mail_server):
    from tests.web.conftest import OPERATOR, Visitor, password_of

    site = create_app(time_config(storage, mail_server.port))
    services = site.extensions["accord"]
    for name, role in (("gwen", Role.ADMIN), ("alice", Role.IR_OFFICER)):
        services.signin.add_user(OPERATOR, name, role)
    services.signin.set_password(OPERATOR, "gwen", password_of("gwen"))
    gwen = Visitor(site.test_client())
    assert gwen.sign_in("gwen").status_code == 302
    try:
        refused = gwen.submit("/users/email", {"email_user": "alice", "email": "not an address"}, page="/users")
        given = gwen.submit("/users/email", {"email_user": "alice", "email": "alice@ministry.example"}, page="/users")
        page = gwen.get("/users").get_data(as_text=True)
        assert refused.status_code == 422 and "email address is local@domain.example" in refused.get_data(as_text=True)
        assert given.status_code == 302
        assert "alice@ministry.example" in page
        assert services.access.email("alice") == "alice@ministry.example"
    finally:
        services.close()
