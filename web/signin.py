"""Signing in and out, setting a password through an invitation link, and changing one's own password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from domain.errors import DomainError
from web import sessions
from web.current import person, safe_next, services, signed_in
from web.formatting import sentence
from workflows.signin import LockedOutError, SignInRefusedError

blp = Blueprint("signin", __name__)


def _missing(form: dict[str, str], labels: dict[str, str]) -> dict[str, str]:
    """An error message for each required field left empty, by field name."""
    return {name: f"Enter {label}" for name, label in labels.items() if not form.get(name)}


@blp.get("/sign-in")
def sign_in() -> Any:
    if person() is not None:
        return redirect(safe_next(request.args.get("next")) or url_for("web.home.index"))
    return render_template("sign_in.html", form={"username": request.args.get("username", "")}, errors={},
                           next=safe_next(request.args.get("next")))


@blp.post("/sign-in")
def sign_in_sent() -> Any:
    form = {"username": request.form.get("username", "").strip(), "password": request.form.get("password", "")}
    target = safe_next(request.form.get("next"))
    errors = _missing(form, {"username": "your username", "password": "your password"})
    if not errors:
        try:
            signed = services().signin.sign_in(form["username"], form["password"])
        except LockedOutError as error:
            errors = {"password": error.message}
        except SignInRefusedError as error:
            errors = {"password": sentence(error.message)}
        else:
            sessions.start(signed.session_id)
            return redirect(target or url_for("web.home.index"))
    return render_template("sign_in.html", form={"username": form["username"]}, errors=errors, next=target), 401


@blp.post("/sign-out")
def sign_out() -> Any:
    services().signin.sign_out(session.get(sessions.SESSION_ID))
    sessions.end()
    flash("You have signed out.")
    return redirect(url_for("web.signin.sign_in"))


@blp.get("/invitations/<token>")
def invitation(token: str) -> Any:
    record = services().signin.invitation(token)
    return render_template("invitation.html", user=record.user, valid_until=record.valid_until, errors={})


@blp.post("/invitations/<token>")
def invitation_accepted(token: str) -> Any:
    signin = services().signin
    record = signin.invitation(token)
    password, again = request.form.get("password", ""), request.form.get("confirm", "")
    errors = _missing({"password": password, "confirm": again},
                      {"password": "a new password", "confirm": "the new password again"})
    if not errors and password != again:
        errors = {"confirm": "The two passwords are not the same"}
    if not errors:
        try:
            user = signin.accept_invitation(token, password)
        except DomainError as error:
            errors = {"password": sentence(error.message)}
        else:
            sessions.end()
            flash("Your password is set: sign in with it.")
            return redirect(url_for("web.signin.sign_in", username=user))
    return render_template("invitation.html", user=record.user, valid_until=record.valid_until,
                           errors=errors), 422


@blp.get("/account/password")
@signed_in()
def password() -> Any:
    return render_template("password.html", errors={})


@blp.post("/account/password")
@signed_in()
def password_changed() -> Any:
    current, new, again = (request.form.get(name, "") for name in ("current", "password", "confirm"))
    errors = _missing({"current": current, "password": new, "confirm": again},
                      {"current": "your current password", "password": "a new password",
                       "confirm": "the new password again"})
    if not errors and new != again:
        errors = {"confirm": "The two passwords are not the same"}
    if not errors:
        try:
            services().signin.change_own_password(person(), current, new, session.get(sessions.SESSION_ID))
        except (SignInRefusedError, LockedOutError) as error:
            errors = {"current": sentence(error.message)}
        except DomainError as error:
            errors = {"password": sentence(error.message)}
        else:
            flash("Your password is changed. Your other sessions have ended.")
            return redirect(url_for("web.home.index"))
    return render_template("password.html", errors=errors), 422
