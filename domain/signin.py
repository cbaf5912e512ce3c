"""Signing in: one person's password account, and the rules of sessions and lock-outs.

An ``Account`` records, as events, everything that happens to a person's sign-in: a password set (never the
password or its hash: those live outside the event store, so that no export or journal can show them), an
invitation to set one, sign-ins, failed attempts, lock-outs and sign-outs. Auditors see them in the journal
like any other step. The rules that decide (how many failures lock an account, for how long, when a session
has been idle or open too long) are here, as values; the service in ``workflows.signin`` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.access import NAMESPACE, AccessEvent, T
from domain.chain import Chained
from domain.errors import DomainError, InvalidValueError
from domain.values import Actor

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
"""Long enough for a passphrase; bounded so that hashing one costs what hashing any other does."""
INVITATION_VALIDITY = timedelta(hours=72)
RECENT_FAILURES_KEPT = 20
"""How many of its latest failed attempts an account keeps in its state (the lock-out rule counts fewer)."""


class LockedOutError(DomainError):
    """Raised when a password sign-in is tried on an account locked by too many failures."""

    rule = "locked_out"


def check_new_password(name: str, password: object) -> None:
    """A new password is 10 to 256 characters and is not the username."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValueError(f"a password has at most {MAX_PASSWORD_LENGTH} characters", field="password")
    if password.strip().casefold() == name.casefold():
        raise InvalidValueError("a password may not be the username", field="password")


@dataclass(frozen=True)
class SessionRules:
    """How long a signed-in session lasts: ``idle`` without a request, ``absolute`` in all. Its last request
    is written down at most every ``touch_every`` (so a session may end up to that much later than idle)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(minutes=1)

    def ended(self, started_at: datetime, last_seen: datetime, now: datetime) -> str | None:
        """Why a session is over at ``now`` ("absolute" or "idle"), or None while it lasts."""
        if now - started_at >= self.absolute:
            return "absolute"
        if now - last_seen >= self.idle:
            return "idle"
        return None

    def needs_touch(self, last_seen: datetime, now: datetime) -> bool:
        return now - last_seen >= self.touch_every

    def oldest_alive(self, now: datetime) -> tuple[datetime, datetime]:
        """(last request, start) before which a session is over: everything older can be cleared away."""
        return now - self.idle, now - self.absolute


@dataclass(frozen=True)
class LockOutRule:
    """``failures`` failed password sign-ins within ``window`` lock the account's password sign-in for
    ``lock``. Attempts while locked are refused without looking at the password, and do not count."""

    failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)

    def locks_after(self, earlier_failures: list[datetime], at: datetime) -> bool:
        """Whether a failure at ``at``, after ``earlier_failures``, is the one that locks."""
        recent = [t for t in earlier_failures if at - t < self.window]
        return len(recent) + 1 >= self.failures


LOCK_OUT = LockOutRule()
SESSIONS = SessionRules()


class Account(Chained, Aggregate):
    """One person's sign-in: found from the username alone, opened the first time anything happens to it.

    ``recent_failures`` keeps only the failed attempts since the last sign-in or lock-out (at most as many as
    lock an account), so the state stays small however long the account's history grows.
    """

    TOPIC = T + "Account"

    class Event(AccessEvent):
        TOPIC = T + "Account.Event"

    @staticmethod
    def create_id(user: str) -> UUID:
        return uuid5(NAMESPACE, "account:" + user)

    @event("Opened", topic=T + "Account.Opened")
    def __init__(self, by: Actor, user: str) -> None:
        self.user = user
        self.password_set = False
        self.recent_failures: list[datetime] = []
        self.locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def set_password(self, by: Actor, how: str) -> None:
        """Record that a new password was set (``how``: "command line", "invitation", "own", "demo")."""
        by.check()
        self._password_set(by=by, how=how)

    @event("PasswordSet", topic=T + "Account.PasswordSet")
    def _password_set(self, by: Actor, how: str) -> None:
        self.password_set = True
        self.recent_failures = []
        self.locked_until = None

    def invite(self, by: Actor, valid_until: datetime) -> None:
        by.check()
        self._invited(by=by, valid_until=valid_until)

    @event("Invited", topic=T + "Account.Invited")
    def _invited(self, by: Actor, valid_until: datetime) -> None:
        pass

    def sign_in(self, by: Actor, method: str, at: datetime) -> None:
        """Record a sign-in; by password only while the account is not locked."""
        by.check()
        if method == "password" and self.is_locked(at):
            raise self.locked_error()
        self._signed_in(by=by, method=method, at=at)

    @event("SignedIn", topic=T + "Account.SignedIn")
    def _signed_in(self, by: Actor, method: str, at: datetime) -> None:
        if method == "password":
            self.recent_failures = []

    def fail(self, by: Actor, at: datetime, rule: LockOutRule = LOCK_OUT) -> bool:
        """Record a failed password sign-in, and the lock-out it may bring; True if the account is now locked.
        Refused (nothing recorded) while the account is locked."""
        if self.is_locked(at):
            raise self.locked_error()
        locks = rule.locks_after(self.recent_failures, at)
        self._failed(by=by, at=at)
        if locks:
            self._locked_out(by=by, until=at + rule.lock)
        return locks

    @event("SignInFailed", topic=T + "Account.SignInFailed")
    def _failed(self, by: Actor, at: datetime) -> None:
        self.recent_failures = [*self.recent_failures, at][-RECENT_FAILURES_KEPT:]

    @event("LockedOut", topic=T + "Account.LockedOut")
    def _locked_out(self, by: Actor, until: datetime) -> None:
        self.locked_until = until
        self.recent_failures = []

    def sign_out(self, by: Actor, why: str) -> None:
        """Record the end of a session (``why``: "signed out", "revoked")."""
        by.check()
        self._signed_out(by=by, why=why)

    @event("SignedOut", topic=T + "Account.SignedOut")
    def _signed_out(self, by: Actor, why: str) -> None:
        pass

    def locked_error(self) -> LockedOutError:
        until = self.locked_until.strftime("%H:%M UTC") if self.locked_until else "later"
        return LockedOutError(f"too many failed sign-ins: password sign-in for {self.user} is locked until "
                              f"{until}; try again then, or ask an administrator")
