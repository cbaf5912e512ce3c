"""The services of this process, as the composition root (``bootstrap.create_app``) plugged them in."""

from __future__ import annotations

from typing import Any

from flask import current_app


def services() -> Any:
    """This process's ``bootstrap.services.Services``: command services, views, audit and access."""
    return current_app.extensions["accord"]
