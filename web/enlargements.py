"""Placeholder."""

from __future__ import annotations

from flask import Blueprint

blp = Blueprint("enlargements", __name__)
