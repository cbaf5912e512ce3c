"""The rules of signing in, each in a sentence: session timeouts, lock-out, the trusted proxy's header,
usernames and new passwords. Pure rules: no storage, times given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access import check_username
from domain.errors import InvalidValueError
from domain.signin import Account, LockedOutError, SessionRules, check_new_password
from domain.values import Actor, Role
from workflows.signin import SignInService, trusted_networks

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = Actor("alice", Role.IR_OFFICER)
RULES = SessionRules()


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# ---- timeouts ----------------------------------------------------------------------------------------

def test_a_session_lasts_while_requests_come_within_30_minutes_of_each_other():
    assert RULES.ended(T0, T0 + minutes(29), T0 + minutes(58)) is None
    assert RULES.ended(T0, T0, T0 + minutes(29, )) is None


def test_a_session_ends_after_30_minutes_without_a_request():
    assert RULES.ended(T0, T0 + minutes(10), T0 + minutes(40)) == "idle"
    assert RULES.ended(T0, T0, T0 + minutes(30)) == "idle"


def test_a_session_ends_12_hours_after_signing_in_however_busy():
    last = T0 + timedelta(hours=12) - minutes(1)
    assert RULES.ended(T0, last, last + minutes(0.5)) is None
    assert RULES.ended(T0, last, T0 + timedelta(hours=12)) == "absolute"


def test_timeouts_are_configurable():
    short = SessionRules(idle=minutes(5), absolute=timedelta(hours=1))
    assert short.ended(T0, T0, T0 + minutes(5)) == "idle"
    assert short.ended(T0, T0 + minutes(59), T0 + minutes(60)) == "absolute"
    assert short.ended(T0, T0 + minutes(50), T0 + minutes(54)) is None


def test_the_last_request_is_written_down_at_most_once_a_minute():
    assert not RULES.needs_touch(T0, T0 + timedelta(seconds=59))
    assert RULES.needs_touch(T0, T0 + minutes(1))


def test_sessions_older_than_either_limit_can_be_cleared_away():
    idle_before, started_before = RULES.oldest_alive(T0)
    assert (idle_before, started_before) == (T0 - minutes(30), T0 - timedelta(hours=12))


# ---- lock-out ----------------------------------------------------------------------------------------

def account() -> Account:
    return Account(by=ALICE, user="alice")


def test_five_failures_within_15_minutes_lock_password_sign_in_for_15_minutes():
    acc = account()
    for n in range(4):
        assert acc.fail(ALICE, T0 + minutes(3 * n)) is False
    assert acc.fail(ALICE, T0 + minutes(14)) is True
    assert acc.is_locked(T0 + minutes(14))
    assert acc.locked_until == T0 + minutes(29)
    assert acc.is_locked(T0 + minutes(28.9))
    assert not acc.is_locked(T0 + minutes(29))


def test_failures_spread_over_more_than_15_minutes_do_not_lock():
    acc = account()
    for n in range(10):
        assert acc.fail(ALICE, T0 + minutes(4 * n)) is False, f"failure {n + 1}"
    assert not acc.is_locked(T0 + minutes(40))


def test_a_locked_account_refuses_a_password_sign_in_with_a_clear_message_and_records_nothing():
    acc = account()
    for n in range(5):
        acc.fail(ALICE, T0 + minutes(n))
    pending = len(acc.collect_events())
    with pytest.raises(LockedOutError) as refused:
        acc.sign_in(ALICE, "password", T0 + minutes(10))
    assert "locked until 09:19 UTC" in refused.value.message
    with pytest.raises(LockedOutError):
        acc.fail(ALICE, T0 + minutes(11))  # attempts while locked do not count, nor are they recorded
    assert acc.collect_events() == [] and pending == 1 + 5 + 1  # opened, five failures, locked out


def test_after_the_lock_ends_the_count_starts_again():
    acc = account()
    for n in range(5):
        acc.fail(ALICE, T0 + minutes(n))
    after = acc.locked_until
    assert acc.fail(ALICE, after) is False
    acc.sign_in(ALICE, "password", after + minutes(1))


def test_a_successful_sign_in_clears_the_failures_before_it():
    acc = account()
    for n in range(4):
        acc.fail(ALICE, T0 + minutes(n))
    acc.sign_in(ALICE, "password", T0 + minutes(5))
    for n in range(4):
        assert acc.fail(ALICE, T0 + minutes(6 + n)) is False


def test_a_lock_out_leaves_sign_in_through_the_trusted_proxy_alone():
    acc = account()
    for n in range(5):
        acc.fail(ALICE, T0 + minutes(n))
    acc.sign_in(ALICE, "trusted header", T0 + minutes(6))


def test_what_an_account_records_names_no_password_and_no_hash():
    acc = account()
    acc.set_password(ALICE, "invitation")
    acc.fail(ALICE, T0)
    acc.sign_in(ALICE, "password", T0)
    acc.sign_out(ALICE, "signed out")
    for recorded in acc.collect_events():
        fields = set(vars(recorded)) - {"originator_id", "originator_version", "timestamp", "hash", "prev_hash",
                                        "originator_topic", "by"}
        assert fields <= {"user", "how", "at", "method", "why", "until", "valid_until"}, fields


# ---- the trusted proxy's header ----------------------------------------------------------------------

def service(proxies: str) -> SignInService:
    """The rule needs no storage: the service is built without any (none of it is reached)."""
    return SignInService(app=None, access=None, credentials=None, sessions=None, passwords=None,  # type: ignore[arg-type]
                         trusted_proxies=proxies)


def test_the_trusted_header_names_the_user_when_it_comes_from_a_trusted_proxy():
    rule = service("10.0.0.5, 192.168.7.0/24, ::1")
    assert rule.trusted_user("10.0.0.5", "alice") == "alice"
    assert rule.trusted_user("192.168.7.200", " bruno ") == "bruno"
    assert rule.trusted_user("::1", "carla") == "carla"


def test_the_trusted_header_is_ignored_from_any_other_address():
    rule = service("10.0.0.5, 192.168.7.0/24")
    assert rule.trusted_user("10.0.0.6", "alice") is None
    assert rule.trusted_user("192.168.8.1", "alice") is None
    assert rule.trusted_user("127.0.0.1", "alice") is None
    assert rule.trusted_user(None, "alice") is None
    assert rule.trusted_user("not an address", "alice") is None


def test_without_trusted_proxies_the_header_is_never_honoured():
    assert service("").trusted_user("127.0.0.1", "alice") is None


def test_an_empty_header_names_nobody():
    assert service("127.0.0.1").trusted_user("127.0.0.1", "  ") is None
    assert service("127.0.0.1").trusted_user("127.0.0.1", None) is None


def test_proxies_are_given_as_text_or_as_a_list():
    assert trusted_networks(["10.0.0.1", "10.1.0.0/16"]) == trusted_networks("10.0.0.1,10.1.0.0/16")
    with pytest.raises(ValueError):
        trusted_networks("proxy.internal")


# ---- usernames and passwords -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["alice", "a.b-c_d", "Zoë", "李雷", "user2"])
def test_a_username_is_letters_digits_dots_dashes_and_underscores(name):
    check_username(name)


@pytest.mark.parametrize("name", ["", "al ice", "alice@cern", "a/b", "x" * 101, "tab\there", "<script>"])
def test_any_other_username_is_refused(name):
    with pytest.raises(InvalidValueError):
        check_username(name)


def test_a_new_password_has_at_least_10_characters_and_is_not_the_username():
    check_new_password("alice", "ten chars!")
    for refused in ("too short", "Alice", "x" * 257):
        with pytest.raises(InvalidValueError):
            check_new_password("alice", refused)
    with pytest.raises(InvalidValueError):
        check_new_password("alicealice", "AliceAlice")
