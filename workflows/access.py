"""Users and bearer tokens: issue (shown once), list, revoke, and authenticate. People who sign in with a
password are added here too (without a token); ``workflows.signin`` keeps their passwords and sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from eventsourcing.application import AggregateNotFoundError

from domain.access import DIRECTORY_ID, AccessToken, UserDirectory
from domain.values import Actor, Role
from workflows.application import AccordApplication

TOKEN_PREFIX = "acc_"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    active: bool
    tokens: int
    email: str | None = None


class AccessService:
    """Issues, lists, revokes and checks tokens.

    A token once read is remembered by this process with the version of its aggregate; each later request
    asks the store only whether anything was recorded on that token since (one indexed read of one number,
    no events loaded), so a revocation anywhere is refused at the next request. With ``cache_seconds`` > 0
    even that read is skipped for that long (a revocation then takes that long in other processes).
    """

    def __init__(self, app: AccordApplication, cache_seconds: float = 0.0):
        self.app = app
        self.cache_seconds = cache_seconds
        self._known: dict[str, tuple[float, int, Actor]] = {}

    def _directory(self, by: Actor) -> UserDirectory:
        try:
            return self.app.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return UserDirectory(by=by)

    def issue_token(self, by: Actor, name: str, role: Role, *, new_user: bool = True) -> str:
        """Create a token for a user (creating the user unless ``new_user`` is False); return it once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_sha256(token)
        directory = self._directory(by)
        access = AccessToken(by=by, user=name, role=Role(role), token_sha256=digest)
        directory.issue(by, name, Role(role), access.id, new_user=new_user)
        self.app.save(directory, access)
        return token

    def add_user(self, by: Actor, name: str, role: Role) -> None:
        """Add a user without a token (they sign in with a password: ``workflows.signin``)."""
        directory = self._directory(by)
        directory.add(by, name, Role(role))
        self.app.save(directory)

    def active_role(self, name: str) -> Role | None:
        """The role of an active user, None for an unknown or revoked name."""
        try:
            directory: UserDirectory = self.app.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return None
        return directory.active_role(name)

    def users(self) -> list[UserInfo]:
        try:
            directory: UserDirectory = self.app.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return []
        return [
            UserInfo(name=name, role=u["role"], active=u["active"], tokens=len(u["tokens"]), email=u.get("email"))
            for name, u in sorted(directory.users.items())
        ]

    def users_by_name(self) -> dict[str, UserInfo]:
        return {u.name: u for u in self.users()}

    def set_email(self, by: Actor, name: str, email: str | None) -> None:
        """Set (or, with None, take away) the address a user's reminders go to."""
        directory = self._directory(by)
        directory.set_email(by, name, email)
        self.app.save(directory)

    def email(self, name: str) -> str | None:
        """The address an active user was given, None for one without, or an unknown or revoked user."""
        try:
            directory: UserDirectory = self.app.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return None
        return directory.email(name)

    def revoke(self, by: Actor, name: str) -> int:
        directory = self._directory(by)
        token_ids = directory.revoke(by, name)
        tokens = [self.app.repository.get(t) for t in token_ids]
        for t in tokens:
            t.revoke(by)
        self.app.save(directory, *tokens)
        self._known.clear()  # at once in this process; within cache_seconds in the others
        return len(tokens)

    def authenticate(self, token: str) -> Actor | None:
        """The actor a bearer token stands for, or None for an unknown or revoked token."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = token_sha256(token)
        token_id = AccessToken.create_id(digest)
        known = self._known.get(digest)
        if known is not None:
            until, version, actor = known
            if until > time.monotonic() or self.app.latest_version(token_id) == version:
                return actor  # nothing recorded on the token since it was read: not revoked
        try:
            access: AccessToken = self.app.repository.get(token_id)
        except AggregateNotFoundError:
            return None
        if not hmac.compare_digest(access.token_sha256, digest) or access.revoked:
            self._known.pop(digest, None)
            return None
        if access.role is Role.SYSTEM:  # never issued (UserDirectory refuses it); refused all the same
            return None
        actor = Actor(name=access.user, role=access.role)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[digest] = (time.monotonic() + self.cache_seconds, access.version, actor)
        return actor
