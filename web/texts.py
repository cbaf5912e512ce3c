"""An agreement's texts compared: the redline page (``/agreements/<id>/texts/compare?from=SHA&to=SHA``),
reached from the "Compare texts" form on the agreement's page. It reads the same service as the API
(``workflows.texts``); a text that cannot be compared (a scan, a text without its file, one too large or too
slow to read) is said in words, with the form to choose others."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import Blueprint, render_template, request

from web.current import person, services, signed_in
from workflows.definitions import READERS
from workflows.texts import AttachedText, TextRefusedError

blp = Blueprint("texts", __name__, url_prefix="/agreements")

SHA256 = re.compile(r"[0-9a-f]{64}")


def text_choices(texts: list[AttachedText]) -> list[tuple[str, str]]:
    """(sha256, how the text reads in a list) of each distinct text, oldest first."""
    seen: dict[str, str] = {}
    for text in texts:
        if text.sha256 not in seen:
            name = text.title + (f" ({text.filename})" if text.filename and text.filename != text.title else "")
            seen[text.sha256] = f"Version {text.version}: {name}" + ("" if text.stored else " – no file kept")
    return list(seen.items())


def default_pair(texts: list[AttachedText]) -> tuple[str, str]:
    """The two latest distinct texts with files, earlier first (what "Compare texts" starts from)."""
    hashes = list(dict.fromkeys(t.sha256 for t in texts if t.stored))
    if len(hashes) < 2:
        return ("", hashes[-1] if hashes else "")
    return hashes[-2], hashes[-1]


@blp.get("/<uuid:agreement_id>/texts/compare")
@signed_in(READERS)
def compare(agreement_id: UUID) -> Any:
    service = services().texts
    agreement = services().agreements.get(agreement_id)
    texts = service.texts_of(agreement_id, person())
    choices = dict(text_choices(texts))
    asked = {k: request.args.get(k, "").strip().lower() for k in ("from", "to")}
    errors = {f"compare-{k}": "Choose one of this agreement's texts." for k, v in asked.items() if v not in choices}
    if not any(asked.values()):
        asked, errors = dict(zip(("from", "to"), default_pair(texts), strict=True)), {}
    comparison, refusal = None, None
    if not errors and all(SHA256.fullmatch(v) for v in asked.values()):
        try:
            comparison = service.compare(agreement_id, asked["from"], asked["to"], person())
        except TextRefusedError as error:
            refusal = error.message
    status = 400 if errors else 422 if refusal else 200
    return render_template("texts_compare.html", agreement=agreement, choices=list(choices.items()), asked=asked,
                           errors=errors, comparison=comparison, refusal=refusal), status
