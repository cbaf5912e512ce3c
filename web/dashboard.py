"""Placeholder."""

from __future__ import annotations

from flask import Blueprint

blp = Blueprint("dashboard", __name__)
