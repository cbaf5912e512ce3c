"""Uploading and downloading documents over HTTP in the tests."""

from __future__ import annotations

import io
from typing import Any

DOCUMENTS = "/api/v1/documents"


def upload(client: Any, headers: dict[str, str], data: bytes, filename: str = "draft.pdf", field: str = "file"):
    """POST /api/v1/documents with one file part; returns the response."""
    return client.post(DOCUMENTS, data={field: (io.BytesIO(data), filename)}, headers=headers,
                       content_type="multipart/form-data")


def download(client: Any, headers: dict[str, str], sha256: str, **extra: str):
    return client.get(f"{DOCUMENTS}/{sha256}", headers={**headers, **extra})
