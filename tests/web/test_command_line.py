"""``accord users set-password``, ``invite`` and ``revoke``, and the demo's passwords, run on the test storage
(SQLite and PostgreSQL), then used in the pages."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bootstrap.cli import main
from tests.web.conftest import Visitor, signed_in_as

ROOT = Path(__file__).resolve().parents[2]
STORAGE_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "ACCORD_")


@pytest.fixture
def accord(storage, monkeypatch) -> Iterator[Callable[..., Result]]:
    """Run ``accord ARGS...`` on the test storage (``input``: its standard input); returns click's Result."""
    for name in list(os.environ):
        if name.startswith(STORAGE_PREFIXES):
            monkeypatch.delenv(name)
    for name, value in storage.items():
        monkeypatch.setenv(name, value)

    def run(*args: str, input: str | None = None, ok: bool = True) -> Result:
        result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    yield run


def test_set_password_reads_standard_input_and_the_person_signs_in(accord, visitor):
    accord("init-db")
    accord("users", "add", "alice", "--role", "ir_officer")
    result = accord("users", "set-password", "alice", input="alice's password from a pipe\n")
    assert "Password set for alice." in result.output
    assert "from a pipe" not in result.output
    alice = visitor()
    assert alice.sign_in("alice", "alice's password from a pipe").status_code == 302
    assert signed_in_as(alice.get("/")) == "alice"


def test_set_password_refuses_a_short_password_or_an_unknown_user(accord):
    accord("init-db")
    accord("users", "add", "alice", "--role", "ir_officer")
    short = accord("users", "set-password", "alice", input="short\n", ok=False)
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    unknown = accord("users", "set-password", "nobody", input="a long enough password\n", ok=False)
    assert unknown.exit_code != 0 and "no active user named nobody" in unknown.output


def test_set_password_asks_twice_on_a_terminal(storage, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(STORAGE_PREFIXES)} | storage
    candidates = (ROOT / ".venv" / "bin" / "accord", Path(sys.executable).with_name("accord"))
    accord_cli = next(str(path) for path in candidates if path.exists())
    subprocess.run([accord_cli, "init-db"], env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([accord_cli, "users", "add", "bruno", "--role", "legal_officer"], env=env, check=True,
                   capture_output=True, cwd=ROOT)
    leader, follower = os.openpty()
    process = subprocess.Popen([accord_cli, "users", "set-password", "bruno"], env=env, cwd=ROOT,
                               stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    seen = b""

    def read_until(text: bytes, timeout: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < deadline, f"no {text!r} in {seen!r}"
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(leader, 1024)
                except OSError:  # the terminal closed: the command ended
                    assert text in seen, f"no {text!r} in {seen!r}"

    try:
        read_until(b"New password for bruno:")
        os.write(leader, b"bruno types it twice\n")
        read_until(b"Repeat for confirmation:")
        os.write(leader, b"bruno types it twice\n")
        read_until(b"Password set for bruno.")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    assert b"bruno types it twice" not in seen, "the terminal does not echo the password"


def test_invite_prints_a_one_time_link_valid_for_72_hours(accord, visitor):
    accord("init-db")
    accord("users", "add", "carla", "--role", "legal_officer")
    result = accord("users", "invite", "carla", "--base-url", "https://accord.example.org/")
    assert "valid until" in result.output
    [link] = re.findall(r"https://accord\.example\.org(/invitations/\S+)", result.output)
    carla = visitor()
    assert carla.get(link).status_code == 200
    carla.submit(link, {"password": "carla's chosen password", "confirm": "carla's chosen password"})
    assert carla.sign_in("carla", "carla's chosen password").status_code == 302
    assert visitor().get(link).status_code == 410


def test_revoke_on_the_command_line_ends_the_person_s_sessions(accord, visitor):
    accord("init-db")
    accord("users", "add", "dmitri", "--role", "ir_officer")
    accord("users", "set-password", "dmitri", input="dmitri's long password\n")
    dmitri = visitor()
    dmitri.sign_in("dmitri", "dmitri's long password")
    assert signed_in_as(dmitri.get("/")) == "dmitri"
    assert "their sessions have ended" in accord("users", "revoke", "dmitri").output
    assert dmitri.get("/").status_code == 302


def test_the_demo_gives_every_user_a_password_printed_with_the_tokens(accord, site):
    accord("init-db")
    output = accord("seed", "demo").output
    tokens = dict(re.findall(r"^\s+(\w+)\s+\w+\s+(acc_\S+)$", output, re.MULTILINE))
    passwords = dict(re.findall(r"^\s+(\w+)\s+\w+\s+password: (\S+)$", output, re.MULTILINE))
    assert set(passwords) == set(tokens) == {"alice", "bruno", "carla", "dmitri", "eva", "farid", "gwen"}
    for name, password in passwords.items():
        person = Visitor(site.test_client())
        assert person.sign_in(name, password).status_code == 302, name
        assert signed_in_as(person.get("/", follow_redirects=True)) == name
