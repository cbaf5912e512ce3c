"""The texts the tests attach: real bytes, stored in the test's own vault before the step that attaches them.

Under workflow version 2 a step's document must be one uploaded to the vault (rule ``document_stored``).
``draft(title)`` is what a test attaches: the title and the sha256 of a small UTF-8 text, the title itself (so
the hash of a title is still its text's hash). ``keep(where, fields)`` stores every draft that ``fields`` name
and the vault lacks, through the vault's own ``put``, as an upload does, so that the step binds to real stored
bytes; the ``app`` fixture (tests/conftest.py) does it before every JSON request its client sends, and the
helpers that take steps through the command services call it themselves.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

from domain.documents import TEXT

KNOWN: dict[str, bytes] = {}
"""sha256 -> bytes of every draft made so far."""


def draft(title: str = "Draft v1") -> dict[str, str]:
    """{title, sha256} of the draft whose text is ``title``."""
    data = title.encode("utf-8")
    sha256 = hashlib.sha256(data).hexdigest()
    KNOWN[sha256] = data
    return {"title": title, "sha256": sha256}


def _hashes(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("sha256"), str):
            yield value["sha256"]
        for item in value.values():
            yield from _hashes(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _hashes(item)
    elif hasattr(value, "sha256") and isinstance(value.sha256, str):  # a domain Document
        yield value.sha256


def vault_of(where: Any) -> Any:
    """The vault of ``Services``, of a command service, or the vault itself."""
    if hasattr(where, "vault"):
        return where.vault
    if getattr(where, "documents", None) is not None:
        return where.documents.vault
    return where


def keep(where: Any, fields: Any) -> None:
    """Store the drafts ``fields`` name that the vault of ``where`` does not hold yet."""
    vault = None
    for sha256 in _hashes(fields):
        if sha256 not in KNOWN:
            continue
        vault = vault or vault_of(where)
        if vault.record(sha256) is None:
            vault.put(io.BytesIO(KNOWN[sha256]), media_type=TEXT, filename="draft.txt", uploaded_by="alice",
                      max_bytes=len(KNOWN[sha256]))
