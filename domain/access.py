"""Who may use Accord: users, their single role, and their bearer tokens.

A token is never stored: an ``AccessToken`` aggregate is identified by a uuid5 of the token's sha256, and
records the sha256 itself only to compare it in constant time. The ``UserDirectory`` keeps the list of
users: those given a token, and those added to sign in with a password in a browser (``domain.signin`` keeps
their sign-ins). Both are event-sourced, so granting and revoking access leaves an audit trail like any other
step.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.chain import Chained
from domain.errors import InvalidValueError, StageError
from domain.values import SYSTEM_ACTORS, Actor, Role

T = "accord.access:"
NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.invalid/access")
DIRECTORY_ID = uuid5(NAMESPACE, "user-directory")
MAX_USERNAME_LENGTH = 100
USERNAME_CHARACTERS = frozenset("._-0123456789")
"""Besides letters: ASCII digits (other scripts' digits can pass for letters: ١ for l) and three marks."""
EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL"})
"""Scripts that one name may mix (Japanese writes kanji with kana)."""


def _script(char: str) -> str:
    """The script of a letter, as the first word of its Unicode name (LATIN, CYRILLIC, GREEK, CJK, ...)."""
    script = unicodedata.name(char, "UNKNOWN").split()[0]
    return "EAST ASIAN" if script in EAST_ASIAN else script


def check_username(name: object) -> None:
    """A username is 1 to 100 letters, digits, ".", "-" and "_": letters and digits of one script (so that a
    Cyrillic "а" cannot stand in for a Latin "a" in "аlice"), in their one Unicode form (NFKC: no fullwidth
    or other compatibility forms). Refused otherwise, naming the rule ``username``."""
    if (not isinstance(name, str) or not 0 < len(name) <= MAX_USERNAME_LENGTH
            or unicodedata.normalize("NFKC", name) != name
            or not all(c in USERNAME_CHARACTERS or unicodedata.category(c)[0] == "L" for c in name)
            or len({_script(c) for c in name if c not in USERNAME_CHARACTERS}) > 1):
        raise InvalidValueError(f"a username is 1 to {MAX_USERNAME_LENGTH} letters of one script, ASCII digits, "
                                "'.', '-' or '_'", field="username", rule="username")


MAX_EMAIL_LENGTH = 254
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
"""An address reminders can be sent to: an ASCII local part and a dotted domain name (no display name, no
comments, no internationalised forms: what every SMTP server takes as it is)."""


def check_email(address: object) -> None:
    """Refused unless ``address`` is a plain ``local@domain.example`` address, naming the rule ``email``."""
    if not isinstance(address, str) or len(address) > MAX_EMAIL_LENGTH or not EMAIL.match(address):
        raise InvalidValueError("an email address is local@domain.example (ASCII, no name or comment)",
                                field="email", rule="email")


def username_key(name: str) -> str:
    """What makes two usernames the same person's: equal once case and Unicode compatibility forms are set
    aside (NFKC, then case folding), so that Alice and alice, or a fullwidth ａｌｉｃｅ, are one name."""
    return unicodedata.normalize("NFKC", name).casefold()


class AccessEvent(Aggregate.Event):
    """Access events are chained like every other event (see domain/chain.py)."""

    by: Actor
    prev_hash: str
    hash: str

    def apply(self, aggregate: Any) -> None:
        aggregate.last_hash = self.hash
        super().apply(aggregate)


class AccessToken(Chained, Aggregate):
    """One bearer token of one user, in one role, until revoked."""

    TOPIC = T + "AccessToken"

    class Event(AccessEvent):
        TOPIC = T + "AccessToken.Event"

    @staticmethod
    def create_id(token_sha256: str) -> UUID:
        """One aggregate per token, found again from the token's sha256 alone."""
        return uuid5(NAMESPACE, "token:" + token_sha256)

    @event("Created", topic=T + "AccessToken.Issued")
    def __init__(self, by: Actor, user: str, role: Role, token_sha256: str) -> None:
        self.user = user
        self.role = role
        self.token_sha256 = token_sha256
        self.revoked = False

    def revoke(self, by: Actor) -> None:
        if not self.revoked:
            self._revoked(by=by)

    @event("Revoked", topic=T + "AccessToken.Revoked")
    def _revoked(self, by: Actor) -> None:
        self.revoked = True


class UserDirectory(Chained, Aggregate):
    """The list of users: name, role, tokens, and whether access was revoked."""

    TOPIC = T + "UserDirectory"

    class Event(AccessEvent):
        TOPIC = T + "UserDirectory.Event"

    @staticmethod
    def create_id() -> UUID:
        return DIRECTORY_ID

    @event("Created", topic=T + "UserDirectory.Opened")
    def __init__(self, by: Actor) -> None:
        self.users: dict[str, dict[str, Any]] = {}

    def active_role(self, name: str) -> Role | None:
        user = self.users.get(name)
        return Role(user["role"]) if user and user["active"] else None

    def lookalike(self, name: str) -> str | None:
        """Another user's name (active or revoked) that ``name`` would be taken for (``username_key``)."""
        key = username_key(name)
        return next((known for known in self.users if known != name and username_key(known) == key), None)

    def _check_new_name(self, name: str) -> None:
        check_username(name)
        other = self.lookalike(name)
        if other is not None:
            raise StageError(f"user {name} would be taken for the user {other}: choose another name",
                             rule="user_exists")

    @staticmethod
    def _check_person(name: str, role: Role) -> None:
        """No person holds the system's role, nor the name of a system actor (the clock)."""
        if role is Role.SYSTEM:
            raise InvalidValueError("the system role is the clock's: no person can hold it", field="role",
                                    rule="system_role")
        if isinstance(name, str) and username_key(name) in {username_key(n) for n in SYSTEM_ACTORS}:
            raise StageError(f"{name} is the name of a system actor: choose another name", rule="user_exists")

    def issue(self, by: Actor, name: str, role: Role, token_id: UUID, *, new_user: bool) -> None:
        by.check()
        if not isinstance(name, str):
            check_username(name)
        role = Role(role)
        self._check_person(name, role)
        current = self.active_role(name)
        if new_user and current is not None:
            raise StageError(f"user {name} already exists; revoke it first", rule="user_exists")
        if current is None:
            self._check_new_name(name)
        if current is not None and current is not role:
            raise StageError(f"user {name} acts as {current.value}; one role per user", rule="one_role")
        self._token_issued(by=by, name=name, role=role, token_id=token_id)

    @event("TokenIssued", topic=T + "UserDirectory.TokenIssued")
    def _token_issued(self, by: Actor, name: str, role: Role, token_id: UUID) -> None:
        user = self.users.get(name)
        if user is None or not user["active"]:
            user = self.users[name] = {"role": role.value, "tokens": [], "active": True, "since": None}
        user["tokens"].append(token_id)

    def add(self, by: Actor, name: str, role: Role) -> None:
        """Add a user who signs in with a password (set through an invitation), without a bearer token."""
        by.check()
        self._check_new_name(name)
        role = Role(role)
        self._check_person(name, role)
        if self.active_role(name) is not None:
            raise StageError(f"user {name} already exists; revoke it first", rule="user_exists")
        self._user_added(by=by, name=name, role=role)

    @event("UserAdded", topic=T + "UserDirectory.UserAdded")
    def _user_added(self, by: Actor, name: str, role: Role) -> None:
        self.users[name] = {"role": role.value, "tokens": [], "active": True, "since": None}

    def revoke(self, by: Actor, name: str) -> list[UUID]:
        by.check()
        if self.active_role(name) is None:
            raise StageError(f"no active user named {name}", rule="user_exists")
        tokens = list(self.users[name]["tokens"])
        self._user_revoked(by=by, name=name)
        return tokens

    @event("UserRevoked", topic=T + "UserDirectory.UserRevoked")
    def _user_revoked(self, by: Actor, name: str) -> None:
        self.users[name]["active"] = False

    def set_email(self, by: Actor, name: str, email: str | None) -> None:
        """Give an active user the address their reminders go to (None: take it away)."""
        by.check()
        if self.active_role(name) is None:
            raise StageError(f"no active user named {name}", rule="user_exists")
        if email is not None:
            check_email(email)
        if self.users[name].get("email") != email:
            self._email_set(by=by, name=name, email=email)

    @event("EmailSet", topic=T + "UserDirectory.EmailSet")
    def _email_set(self, by: Actor, name: str, email: str | None) -> None:
        self.users[name]["email"] = email

    def email(self, name: str) -> str | None:
        """The address an active user gave, or None."""
        user = self.users.get(name)
        return user.get("email") if user and user["active"] else None
