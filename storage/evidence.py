"""Documents in the auditors' evidence: the documents an export's events reference, written beside it, read back
by an import, and checked against their names.

A folder of documents (``accord audit export --with-documents DIR``) holds each referenced document the vault
has as ``DIR/<sha256>`` (its bytes, nothing else) and ``DIR/documents.jsonl``: one line per document, sorted by
sha256, with its record (sha256, size, media type, filename, uploader, upload time). Both are byte-identical
whichever backend they come from. ``tools/verify_export.py`` checks the same folder with the standard library.

A reference is any object of an event's data with a ``title`` and a ``sha256``: a text or a report. One that
also has ``size`` was bound to stored bytes (workflow version 2): its document must be there. One without was
declared by the client (version 1) and is written too when the vault happens to hold those bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from domain.documents import StoredDocument
from storage.documents import StoredVault

INDEX = "documents.jsonl"
READ = 256 * 1024


def references(data: Any) -> Iterator[tuple[str, bool]]:
    """(sha256, bound to stored bytes) of every document an event's data (as exported) references."""
    if isinstance(data, dict):
        if isinstance(data.get("sha256"), str) and "title" in data:
            yield data["sha256"], "size" in data
        for value in data.values():
            if isinstance(value, dict | list):
                yield from references(value)
    elif isinstance(data, list):
        for value in data:
            yield from references(value)


def referenced_in(lines: Iterable[str]) -> dict[str, tuple[int, str, bool]]:
    """sha256 -> (first position, aggregate id, bound) of the documents the export's lines reference."""
    found: dict[str, tuple[int, str, bool]] = {}
    for text in lines:
        if '"sha256"' not in text:
            continue
        line = orjson.loads(text)
        for sha256, bound in references(line.get("data")):
            position, aggregate, was_bound = found.get(sha256, (line["position"], line["aggregate_id"], False))
            found[sha256] = (position, aggregate, was_bound or bound)
    return found


def record_line(record: StoredDocument) -> bytes:
    return orjson.dumps({"sha256": record.sha256, "size": record.size, "media_type": record.media_type,
                         "filename": record.filename, "uploaded_by": record.uploaded_by,
                         "uploaded_at": record.uploaded_at.isoformat(timespec="microseconds")},
                        option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def write_documents(vault: StoredVault, folder: Path, hashes: Iterable[str]) -> tuple[int, list[str]]:
    """Write each of ``hashes`` the vault holds into ``folder``; (documents written, hashes it does not hold)."""
    folder.mkdir(parents=True, exist_ok=True)
    written, missing = 0, []
    with open(folder / INDEX, "wb") as index:
        for sha256 in sorted(set(hashes)):
            record = vault.record(sha256)
            if record is None:
                missing.append(sha256)
                continue
            with open(folder / sha256, "wb") as out:
                for piece in vault.chunks(sha256):
                    out.write(piece)
            index.write(record_line(record))
            written += 1
    return written, missing


def read_documents(vault: StoredVault, folder: Path) -> int:
    """Store every document of an evidence folder (its bytes checked against its record); the number stored.
    Raises ValueError naming a document whose bytes do not match."""
    stored = 0
    index = folder / INDEX
    if not index.exists():
        return 0
    with open(index, "rb") as lines:
        for text in lines:
            if not text.strip():
                continue
            row = orjson.loads(text)
            record = StoredDocument(sha256=row["sha256"], size=int(row["size"]), media_type=row["media_type"],
                                    filename=row["filename"], uploaded_by=row["uploaded_by"],
                                    uploaded_at=datetime.fromisoformat(row["uploaded_at"]))
            with open(folder / record.sha256, "rb") as data:
                stored += vault.put_stored(data, record)
    return stored


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        while piece := data.read(READ):
            digest.update(piece)
    return digest.hexdigest()
