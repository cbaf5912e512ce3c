"""Each role's home (UI.md's table): the page a person lands on after signing in, and at ``/``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from domain.values import Role
from web.current import person, signed_in
from web.navigation import HOMES, links_for

blp = Blueprint("home", __name__)


@blp.get("/")
@signed_in()
def index() -> Any:
    actor = person()
    if actor.role is Role.ADMIN:
        return redirect(url_for("web.users.index"))
    return render_template("home.html", heading=HOMES[actor.role], links=links_for(actor.role))
