"""Private calendar feeds: each user's deadlines at an address only they know (``/calendar/<token>.ics``),
which they can reset. The token is 32 random bytes (URL-safe), shown when made and kept only as its sha256;
a reset makes the old address unknown; a revoked user's feed is unknown too."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Protocol

from workflows.access import AccessService

TOKEN_BYTES = 32


class FeedTokens(Protocol):
    """Where the feeds' token digests are kept (``storage.calendar_feeds``)."""

    def replace(self, user: str, token_digest: str) -> datetime: ...
    def made_at(self, user: str) -> datetime | None: ...
    def user_of(self, token_digest: str) -> str | None: ...


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeeds:
    """Makes, resets and resolves the addresses of users' calendar feeds."""

    def __init__(self, tokens: FeedTokens, access: AccessService):
        self.tokens = tokens
        self.access = access

    def reset(self, user: str) -> str:
        """A new token for ``user``'s feed (the old one stops working); returned once, kept as its digest."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.tokens.replace(user, digest(token))
        return token

    def made_at(self, user: str) -> datetime | None:
        """When the user's current feed address was made, or None if they have none."""
        return self.tokens.made_at(user)

    def user_of(self, token: str) -> str | None:
        """The active user whose feed ``token`` opens, or None."""
        if not 20 <= len(token) <= 100:
            return None
        user = self.tokens.user_of(digest(token))  # looked up by digest: no timing on the token itself
        if user is None or self.access.active_role(user) is None:
            return None
        return user
