"""The Users page (administrators): everyone who may use Accord, adding a user with a role (with an invitation
link to set a password, shown once), a new invitation, revoking a user, and the address a user's reminders go
to."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from domain.errors import DomainError
from domain.values import PERSON_ROLES, Role
from web.current import person, services, signed_in
from web.formatting import sentence
from web.navigation import role_name

blp = Blueprint("users", __name__, url_prefix="/users")
ADMINS = (Role.ADMIN,)
ROLES = [(role.value, role_name(role)) for role in PERSON_ROLES]


def _page(status: int = 200, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          invitation: Any = None) -> Any:
    people = services().signin.people()
    emails = {u.name: u.email for u in services().access.users()}
    page = render_template("users.html", people=people, roles=ROLES, emails=emails,
                           active=[(p.name, p.name) for p in people if p.active],
                           form=form or {"username": "", "role": "", "email_user": "", "email": ""},
                           errors=errors or {}, invitation=invitation)
    return page, status


def _link(invitation: Any) -> str:
    return url_for("web.signin.invitation", token=invitation.token, _external=True)


@blp.get("")
@signed_in(ADMINS)
def index() -> Any:
    return _page()


@blp.post("")
@signed_in(ADMINS)
def add() -> Any:
    form = {"username": request.form.get("username", "").strip(), "role": request.form.get("role", "")}
    errors = {}
    if not form["username"]:
        errors["username"] = "Enter a username"
    if form["role"] not in {value for value, _ in ROLES}:
        errors["role"] = "Choose a role"
    if errors:
        return _page(422, form, errors)
    try:
        invitation = services().signin.add_user(person(), form["username"], Role(form["role"]))
    except DomainError as error:
        return _page(422, form, {error.field if error.field in form else "username": sentence(error.message)})
    return _page(201, invitation={"user": invitation.user, "link": _link(invitation),
                                  "valid_until": invitation.valid_until, "added": True})


@blp.post("/email")
@signed_in(ADMINS)
def set_email() -> Any:
    """The address a user's reminders go to (empty: take it away, reminders then use the configured domain)."""
    form = {"username": "", "role": "", "email_user": request.form.get("email_user", ""),
            "email": request.form.get("email", "").strip()}
    if not form["email_user"]:
        return _page(422, form, {"email_user": "Choose a user"})
    try:
        services().access.set_email(person(), form["email_user"], form["email"] or None)
    except DomainError as error:
        return _page(422, form, {"email" if error.field == "email" else "email_user": sentence(error.message)})
    flash(f"Reminders for {form['email_user']} go to {form['email']}." if form["email"]
          else f"{form['email_user']} has no address of their own now.")
    return redirect(url_for("web.users.index"))


@blp.post("/<name>/invitation")
@signed_in(ADMINS)
def invite(name: str) -> Any:
    invitation = services().signin.invite(person(), name)
    return _page(201, invitation={"user": invitation.user, "link": _link(invitation),
                                  "valid_until": invitation.valid_until, "added": False})


@blp.get("/<name>/revoke")
@signed_in(ADMINS)
def revoke_form(name: str) -> Any:
    return render_template("revoke.html", name=name)


@blp.post("/<name>/revoke")
@signed_in(ADMINS)
def revoke(name: str) -> Any:
    count = services().signin.revoke(person(), name)
    flash(f"Revoked {name}: their sessions have ended, and {count} token{'s' if count != 1 else ''} "
          "no longer work.")
    return redirect(url_for("web.users.index"))
