"""The header's navigation and each role's home, as UI.md's table "Who sees what" gives them.

A link is shown to the roles that may use its page, once the page exists (its endpoint is registered): the
areas are built one after another, and a link never leads nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from domain.values import Role

EVERYONE_BUT_ADMIN = (Role.IR_OFFICER, Role.LEGAL_OFFICER, Role.AUDITOR, Role.MANAGEMENT)


@dataclass(frozen=True)
class Link:
    label: str
    endpoint: str
    roles: tuple[Role, ...]


NAVIGATION = (
    Link("Agreements", "web.agreements.index", EVERYONE_BUT_ADMIN),
    Link("Enlargements", "web.enlargements.index", EVERYONE_BUT_ADMIN),
    Link("Participation", "web.participation.register", EVERYONE_BUT_ADMIN),
    Link("Dashboard", "web.dashboard.index", EVERYONE_BUT_ADMIN),
    Link("Journal", "web.audit.journal", (Role.AUDITOR, Role.MANAGEMENT)),
    Link("Users", "web.users.index", (Role.ADMIN,)),
)
"""UI.md's navigation, in order: label (the link's accessible name), the page's endpoint, who sees it."""

HOMES = {
    Role.IR_OFFICER: "My desk",
    Role.LEGAL_OFFICER: "Legal review queue",
    Role.AUDITOR: "Journal",
    Role.MANAGEMENT: "Dashboard",
    Role.ADMIN: "Users",
}
"""Each role's home page, by its heading."""

ROLE_NAMES = {
    Role.IR_OFFICER: "IR officer",
    Role.LEGAL_OFFICER: "Legal officer",
    Role.AUDITOR: "Auditor",
    Role.MANAGEMENT: "Management",
    Role.ADMIN: "Administrator",
    Role.SYSTEM: "System (the clock)",
}


def links_for(role: Role | None) -> list[tuple[str, str]]:
    """(label, URL) of each link the role sees, among the pages that exist."""
    if role is None:
        return []
    return [(link.label, url_for(link.endpoint)) for link in NAVIGATION
            if role in link.roles and link.endpoint in current_app.view_functions]


def role_name(role: Role | str) -> str:
    return ROLE_NAMES[Role(role)]


def a_role(role: Role | str) -> str:
    """A role with its article, as a sentence reads it: "a legal officer", "an IR officer"."""
    name = role_name(role)
    name = name if name.startswith("IR") else name.lower()
    return ("an " if name[0] in "aeiouAEIOU" else "a ") + name
