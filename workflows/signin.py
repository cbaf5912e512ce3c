"""People signing in: passwords, invitations to set one, sessions kept on the server, and the trusted header
of a single-sign-on proxy.

What happens is recorded on each person's ``domain.signin.Account`` (so auditors see it in the journal);
the secrets are kept apart, behind two ports that storage provides and the composition root plugs in:
``Credentials`` (password hashes, invitation links, the key that signs session cookies) and ``Sessions``
(who is signed in, since when, last seen when). Only digests of session ids and invitation links are stored,
so reading those tables gives nobody a way in. Hashing is a third port, ``Passwords`` (Argon2id in
``web.passwords``). The rules (lock-out, timeouts, who may be named by a trusted header) are applied here,
never in SQL.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.access import MAX_USERNAME_LENGTH
from domain.errors import StageError
from domain.signin import (
    INVITATION_VALIDITY,
    LOCK_OUT,
    SESSIONS,
    Account,
    LockOutRule,
    SessionRules,
    check_new_password,
)
from domain.signin import LockedOutError as LockedOutError  # what a refused sign-in may raise, for the pages
from domain.values import Actor, Role
from workflows.access import AccessService
from workflows.application import AccordApplication
from workflows.errors import StorageUnavailableError, WorkflowError

log = logging.getLogger(__name__)
R = TypeVar("R")
WRONG = "wrong username or password"
MAX_SECRET_LENGTH = 200
"""Longer session ids and invitation tokens are refused unread (ours are 43 characters)."""


class SignInRefusedError(WorkflowError):
    """Raised when a username and password, or a trusted header, sign nobody in."""


class InvitationError(WorkflowError):
    """Raised when an invitation link is unknown, already used or expired."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    """How a session id or an invitation token is looked up: its sha256, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Passwords(Protocol):
    """A password hashing scheme (``web.passwords``)."""

    def hash(self, password: str) -> str: ...
    def verify(self, hashed: str, password: str) -> bool: ...
    def needs_rehash(self, hashed: str) -> bool: ...


@dataclass(frozen=True)
class InvitationRecord:
    user: str
    valid_until: datetime
    used: bool


class Credentials(Protocol):
    """Password hashes and invitation links, by user (``storage.credentials``)."""

    def password_hash(self, user: str) -> str | None: ...
    def set_password_hash(self, user: str, hashed: str) -> None: ...
    def forget(self, user: str) -> None: ...
    def add_invitation(self, token_digest: str, user: str, valid_until: datetime) -> None: ...
    def invitation(self, token_digest: str) -> tuple[str, datetime, bool] | None: ...
    def use_invitation(self, token_digest: str, at: datetime) -> bool: ...
    def summary(self) -> dict[str, tuple[bool, datetime | None]]: ...
    def secret(self, name: str) -> str: ...


@dataclass(frozen=True)
class StoredSession:
    user: str
    role: str
    method: str
    started_at: datetime
    last_seen: datetime


class Sessions(Protocol):
    """Signed-in sessions, by the digest of their id (``storage.sessions``)."""

    def start(self, key: str, user: str, role: str, method: str, at: datetime) -> None: ...
    def find(self, key: str) -> tuple[str, str, str, datetime, datetime] | None: ...
    def touch(self, key: str, at: datetime) -> None: ...
    def end(self, key: str) -> bool: ...
    def end_all(self, user: str, keep: str | None = None) -> int: ...
    def clear_expired(self, idle_before: datetime, started_before: datetime) -> int: ...


@dataclass(frozen=True)
class SignedIn:
    """A session just started: its id (for the cookie; shown only now) and who it signs in."""

    session_id: str
    actor: Actor


@dataclass(frozen=True)
class Invitation:
    """A one-time link's secret (shown only now), whom it is for, and until when it can be used."""

    token: str
    user: str
    valid_until: datetime


@dataclass(frozen=True)
class Person:
    """A user as the Users page lists them."""

    name: str
    role: str
    active: bool
    tokens: int
    password_set: bool
    invited_until: datetime | None


def trusted_networks(addresses: str | Iterable[str] | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                                                     ...]:
    """The proxies' addresses or networks, from "10.0.0.5, 10.1.0.0/16" or a list of them."""
    if not addresses:
        return ()
    items = addresses.split(",") if isinstance(addresses, str) else addresses
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


class SignInService:
    """Signs people in and out, keeps their sessions, sets their passwords."""

    def __init__(self, app: AccordApplication, access: AccessService, credentials: Credentials, sessions: Sessions,
                 passwords: Passwords, rules: SessionRules = SESSIONS, lock_out: LockOutRule = LOCK_OUT,
                 trusted_proxies: str | Iterable[str] | None = None, clock: Callable[[], datetime] = utc_now):
        self.app, self.access = app, access
        self.credentials, self.sessions, self.passwords = credentials, sessions, passwords
        self.rules, self.lock_out, self.clock = rules, lock_out, clock
        self.trusted_proxies = trusted_networks(trusted_proxies)
        self._decoy: str | None = None

    # ---- passwords and invitations ----------------------------------------------------------------------

    def set_password(self, by: Actor, name: str, password: str, how: str = "command line",
                     keep_session: str | None = None) -> None:
        """Set a user's password; every session of theirs ends but ``keep_session`` (the one changing it)."""
        role = self._active_role(name)
        check_new_password(name, password)
        self._on_account(name, by, lambda account: account.set_password(by, how))
        self.credentials.set_password_hash(name, self.passwords.hash(password))
        self.sessions.end_all(name, keep=digest(keep_session) if keep_session else None)
        log.info("password of %s (%s) set by %s: %s", name, role.value, by.name, how)

    def change_own_password(self, actor: Actor, current: str, new: str, session_id: str) -> None:
        """A signed-in person's new password, given their current one (a wrong one counts as a failed
        sign-in); their other sessions end."""
        now = self.clock()
        account = self._load(actor.name)
        if account is not None and account.is_locked(now):
            raise account.locked_error()
        hashed = self.credentials.password_hash(actor.name)
        if hashed is None or not self.passwords.verify(hashed, current):
            if hashed is not None and self._on_account(actor.name, actor,
                                                       lambda account: account.fail(actor, now, self.lock_out)):
                raise self._load(actor.name).locked_error()
            raise SignInRefusedError("the current password is not right")
        self.set_password(actor, actor.name, new, how="own", keep_session=session_id)

    def invite(self, by: Actor, name: str) -> Invitation:
        """A one-time link for ``name`` to set a password, valid for 72 hours (replacing earlier ones)."""
        self._active_role(name)
        token = secrets.token_urlsafe(32)
        valid_until = self.clock() + INVITATION_VALIDITY
        self._on_account(name, by, lambda account: account.invite(by, valid_until))
        self.credentials.add_invitation(digest(token), name, valid_until)
        return Invitation(token, name, valid_until)

    def add_user(self, by: Actor, name: str, role: Role) -> Invitation:
        """Add a user who will sign in with a password, and invite them to set it."""
        self._storage(lambda: self.access.add_user(by, name, role))
        return self.invite(by, name)

    def invitation(self, token: str) -> InvitationRecord:
        """The invitation behind a link, if it can still be used."""
        found = self.credentials.invitation(digest(token)) if 0 < len(token) <= MAX_SECRET_LENGTH else None
        if found is None:
            raise InvitationError("this invitation link is not known: ask an administrator for a new one")
        record = InvitationRecord(*found)
        if record.used:
            raise InvitationError("this invitation link was used already: sign in, or ask for a new one")
        if self.clock() >= record.valid_until or self.access.active_role(record.user) is None:
            raise InvitationError("this invitation link has expired: ask an administrator for a new one")
        return record

    def accept_invitation(self, token: str, password: str) -> str:
        """Set the invited person's password through their link, which then stops working; return who."""
        record = self.invitation(token)
        check_new_password(record.user, password)
        if not self.credentials.use_invitation(digest(token), self.clock()):
            raise InvitationError("this invitation link was used already: sign in, or ask for a new one")
        person = Actor(record.user, self._active_role(record.user))
        self.set_password(person, record.user, password, how="invitation")
        return record.user

    # ---- signing in and out ------------------------------------------------------------------------------

    def sign_in(self, name: str, password: str) -> SignedIn:
        """Start a session for a username and password, or refuse (``SignInRefusedError``, or
        ``LockedOutError`` after too many failures: the message says until when)."""
        now = self.clock()
        role = self.access.active_role(name) if 0 < len(name) <= MAX_USERNAME_LENGTH else None
        hashed = self.credentials.password_hash(name) if role is not None else None
        if role is None or hashed is None:
            self.passwords.verify(self._decoy_hash(), password)  # as long as a real check: names stay private
            # the name typed is not logged: people sometimes type their password there
            log.info("sign-in refused: no active user by that name with a password")
            raise SignInRefusedError(WRONG)
        person = Actor(name, role)
        account = self._load(name)
        if account is not None and account.is_locked(now):
            log.warning("sign-in refused: %s is locked out", name)
            raise account.locked_error()
        if not self.passwords.verify(hashed, password):
            locked = self._on_account(name, person, lambda account: account.fail(person, now, self.lock_out))
            log.warning("sign-in failed for %s%s", name, " (now locked out)" if locked else "")
            if locked:
                raise self._load(name).locked_error()
            raise SignInRefusedError(WRONG)
        self._on_account(name, person, lambda account: account.sign_in(person, "password", now))
        if self.passwords.needs_rehash(hashed):
            self.credentials.set_password_hash(name, self.passwords.hash(password))
        return self._start(person, "password", now)

    def trusted_user(self, remote_address: str | None, header_value: str | None) -> str | None:
        """The user a single-sign-on proxy names in its header, if the request came from one of the trusted
        proxies' addresses; None otherwise (a header from anywhere else is ignored)."""
        if not header_value or not header_value.strip() or not remote_address:
            return None
        try:
            address = ipaddress.ip_address(remote_address)
        except ValueError:
            return None
        if not any(address in network for network in self.trusted_proxies):
            return None
        return header_value.strip()

    def sign_in_trusted(self, name: str) -> SignedIn:
        """Start a session for the user a trusted proxy named (no password)."""
        role = self.access.active_role(name) if 0 < len(name) <= MAX_USERNAME_LENGTH else None
        if role is None:
            raise SignInRefusedError(f"Accord has no active user {name}: ask an administrator to add you")
        now = self.clock()
        person = Actor(name, role)
        self._on_account(name, person, lambda account: account.sign_in(person, "trusted header", now))
        return self._start(person, "trusted header", now)

    def session(self, session_id: str | None) -> Actor | None:
        """Who a session id signs in now, or None (unknown, ended, idle too long or open too long)."""
        if not session_id or len(session_id) > MAX_SECRET_LENGTH:
            return None
        key, now = digest(session_id), self.clock()
        found = self.sessions.find(key)
        if found is None:
            return None
        stored = StoredSession(*found)
        if stored.role == Role.SYSTEM.value:  # no person holds it (UserDirectory refuses it): never a session
            return None
        if self.rules.ended(stored.started_at, stored.last_seen, now) is not None:
            self.sessions.end(key)
            return None
        if self.rules.needs_touch(stored.last_seen, now):
            self.sessions.touch(key, now)
        return Actor(stored.user, Role(stored.role))

    def sign_out(self, session_id: str | None) -> None:
        """End a session at once, and record it."""
        if not session_id or len(session_id) > MAX_SECRET_LENGTH:
            return
        key = digest(session_id)
        found = self.sessions.find(key)
        if found is not None and self.sessions.end(key):
            stored = StoredSession(*found)
            person = Actor(stored.user, Role(stored.role))
            self._on_account(stored.user, person, lambda account: account.sign_out(person, "signed out"))

    def revoke(self, by: Actor, name: str) -> int:
        """Revoke a user: their tokens, sessions, password and invitations end at once; return the number of
        tokens revoked."""
        self.sessions.end_all(name)
        self.credentials.forget(name)
        count = self._storage(lambda: self.access.revoke(by, name))
        self.sessions.end_all(name)  # any session started meanwhile
        return count

    # ---- what the pages show -----------------------------------------------------------------------------

    def people(self) -> list[Person]:
        summary = self.credentials.summary()
        now = self.clock()
        people = []
        for user in self.access.users():
            password_set, invited_until = summary.get(user.name, (False, None))
            if invited_until is not None and invited_until <= now:
                invited_until = None
            people.append(Person(user.name, user.role, user.active, user.tokens, password_set, invited_until))
        return people

    def signing_key(self) -> str:
        """The key that signs session cookies, the same for every process on this store."""
        return self.credentials.secret("session-signing")

    # ---- helpers -----------------------------------------------------------------------------------------

    def _start(self, person: Actor, method: str, now: datetime) -> SignedIn:
        session_id = secrets.token_urlsafe(32)
        self.sessions.clear_expired(*self.rules.oldest_alive(now))
        self.sessions.start(digest(session_id), person.name, person.role.value, method, now)
        return SignedIn(session_id, person)

    def _active_role(self, name: str) -> Role:
        role = self.access.active_role(name)
        if role is None:
            raise StageError(f"no active user named {name}", rule="user_exists")
        return role

    def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = self.passwords.hash(secrets.token_urlsafe(16))
        return self._decoy

    def _load(self, name: str) -> Account | None:
        try:
            return self.app.repository.get(Account.create_id(name))
        except AggregateNotFoundError:
            return None

    def _on_account(self, name: str, by: Actor, change: Callable[[Account], R]) -> R:
        """Apply ``change`` to a person's account (opened if need be) and save it, loading it again if another
        process recorded on it meanwhile."""
        attempts = 3
        while True:
            account = self._storage(lambda: self._load(name)) or Account(by=by, user=name)
            result = change(account)
            try:
                self.app.save(account)
                return result
            except IntegrityError:
                attempts -= 1
                if not attempts:
                    raise StorageUnavailableError("the account kept changing meanwhile; try again") from None
            except (OperationalError, InterfaceError) as error:
                raise StorageUnavailableError(f"the event store is unavailable: {error}") from None

    @staticmethod
    def _storage(call: Callable[[], R]) -> R:
        try:
            return call()
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailableError(f"the event store is unavailable: {error}") from None
