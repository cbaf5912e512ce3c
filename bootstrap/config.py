"""Configuration: defaults, then ``ACCORD_*`` environment variables, then the mapping given to
``create_app`` (tests). Storage follows the eventsourcing library's own variables (``storage.settings``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from domain.dates import date_from_text
from domain.signin import SessionRules
from workflows.signin import trusted_networks

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "STORAGE": {},
    "CREATE_TABLES": False,
    "PROJECTIONS_IN_PROCESS": None,  # None: in-process on SQLite (embedded), a separate runner on PostgreSQL
    "READ_WAIT_SECONDS": 5.0,
    "DB_POOL_SIZE": 4,
    "TOKEN_CACHE_SECONDS": 0.0,  # > 0 trades immediate revocation for one store read less per request
    # The pages (web/): Flask's own cookie settings under their names; the cookie is signed with a key kept in
    # the store unless SECRET_KEY gives one. SESSION_COOKIE_SECURE=false only for plain-HTTP demos.
    "SECRET_KEY": None,
    "SESSION_COOKIE_NAME": "accord_session",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_IDLE_MINUTES": 30,  # a signed-in session ends after this long without a request...
    "SESSION_ABSOLUTE_HOURS": 12,  # ...and this long after signing in, whatever
    "TRUSTED_USER_HEADER": None,  # e.g. "X-Remote-User": the SSO proxy's user, honoured only from...
    "TRUSTED_PROXIES": "",  # ...these addresses or networks, comma-separated ("10.0.0.5, 10.1.0.0/16")
    "BASE_URL": "http://127.0.0.1:8000",  # where the pages are, for links the command line prints
    # Real-world dates outside this range are refused as typing errors (rule plausible_date)
    "EARLIEST_DATE": "1945-01-01",
    "DATE_YEARS_AHEAD": 100,
    "WAITING_READERS": 4,  # per worker: min_position reads waiting at once; more answer 503 at once
    "MAX_DOCUMENT_BYTES": 50 * 1024 * 1024,  # an uploaded document's size limit (413 beyond, nothing kept)
}


def plausible_dates(config: Mapping[str, Any]) -> tuple[date, int]:
    """The range of real-world dates the configuration accepts (``EARLIEST_DATE``, ``DATE_YEARS_AHEAD``)."""
    earliest = config["EARLIEST_DATE"]
    try:
        earliest = earliest if isinstance(earliest, date) else date_from_text(str(earliest))
        years = int(config["DATE_YEARS_AHEAD"])
    except ValueError as error:
        raise ValueError(f"ACCORD_EARLIEST_DATE / ACCORD_DATE_YEARS_AHEAD: {error}") from None
    if not 0 <= years <= 1000:
        raise ValueError("ACCORD_DATE_YEARS_AHEAD must be 0 to 1000")
    return earliest, years


@dataclass(frozen=True)
class SignInSettings:
    """What the sign-in service takes from the configuration: how long sessions last, and which addresses are
    the single-sign-on proxies whose user header is trusted."""

    rules: SessionRules = field(default_factory=SessionRules)
    trusted_proxies: str | tuple[str, ...] = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignInSettings:
        """The settings, checked now: a proxy that is not an address or a network stops the start."""
        proxies = config.get("TRUSTED_PROXIES") or ""
        try:
            trusted_networks(proxies)
        except ValueError as error:
            raise ValueError(f"ACCORD_TRUSTED_PROXIES: {error}") from None
        return cls(
            rules=SessionRules(idle=timedelta(minutes=float(config["SESSION_IDLE_MINUTES"])),
                               absolute=timedelta(hours=float(config["SESSION_ABSOLUTE_HOURS"]))),
            trusted_proxies=proxies if isinstance(proxies, str) else tuple(str(p) for p in proxies),
        )
