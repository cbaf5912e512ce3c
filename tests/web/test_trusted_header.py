"""Behind a single-sign-on proxy, on SQLite and PostgreSQL: the proxy's user header signs a person in when the
request comes from a trusted proxy's address, and is ignored from anywhere else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from bootstrap import create_app
from tests.web.conftest import OPERATOR, PEOPLE, head, recorded, signed_in_as

HEADER = "X-Remote-User"
PROXY = {"REMOTE_ADDR": "10.0.0.5"}
ELSEWHERE = {"REMOTE_ADDR": "10.0.0.66"}


@pytest.fixture
def proxied(storage) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
                      "TRUSTED_USER_HEADER": HEADER, "TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/16"})
    for name, role in PEOPLE.items():
        app.extensions["accord"].signin.add_user(OPERATOR, name, role)
    yield app
    app.extensions["accord"].close()


def test_the_header_from_a_trusted_proxy_signs_the_person_in_and_is_recorded(proxied):
    services = proxied.extensions["accord"]
    client = proxied.test_client()
    before = head(services)
    home = client.get("/", headers={HEADER: "bruno"}, environ_base=PROXY)
    assert home.status_code == 200 and signed_in_as(home) == "bruno"
    assert "<h1>Legal review queue</h1>" in home.get_data(as_text=True)
    assert client.get("/", headers={HEADER: "bruno"}, environ_base=PROXY).status_code == 200
    assert recorded(services, before) == [("accord.access:Account.SignedIn", "bruno")], "one sign-in, not one a page"


def test_the_header_from_any_other_address_is_ignored(proxied):
    services = proxied.extensions["accord"]
    before = head(services)
    for address in (ELSEWHERE, {"REMOTE_ADDR": "127.0.0.1"}):
        page = proxied.test_client().get("/", headers={HEADER: "gwen"}, environ_base=address)
        assert page.status_code == 302 and page.headers["Location"] == "/sign-in"
    assert head(services) == before


def test_when_the_proxy_names_someone_else_the_earlier_session_ends(proxied):
    client = proxied.test_client()
    assert signed_in_as(client.get("/", headers={HEADER: "alice"}, environ_base=PROXY)) == "alice"
    assert signed_in_as(client.get("/", headers={HEADER: "eva"}, environ_base=PROXY)) == "eva"


def test_a_name_the_proxy_gives_that_accord_does_not_know_is_refused(proxied):
    page = proxied.test_client().get("/", headers={HEADER: "mallory"}, environ_base={"REMOTE_ADDR": "192.168.3.4"})
    assert page.status_code == 403 and "no active user mallory" in page.get_data(as_text=True)


def test_without_the_setting_the_header_means_nothing(site, people, visitor):
    page = visitor().get("/", headers={HEADER: "gwen"})
    assert page.status_code == 302


def test_a_proxy_that_is_not_an_address_stops_the_start(storage):
    with pytest.raises(ValueError, match="ACCORD_TRUSTED_PROXIES"):
        create_app({"TESTING": True, "STORAGE": storage, "TRUSTED_USER_HEADER": HEADER,
                    "TRUSTED_PROXIES": "proxy.internal"})
