"""The document vault as the services use it: ``Vault`` is the port storage implements (``storage.documents``),
``DocumentService`` the rules: who may upload (the roles that may attach a text), which bytes are kept (the
kinds ``domain.documents.sniff`` recognises, up to a size), and who may download (whoever may read an
agreement or enlargement that references the document, and those who uploaded it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from domain.documents import DocumentTooLargeError, StoredDocument, clean_filename, sniff
from domain.errors import DomainError
from domain.values import Actor, BoundDocument, Document, Role
from workflows.definitions import DOCUMENT_STORED, READERS
from workflows.errors import ForbiddenError, NotFoundError, WorkflowError

__all__ = ["DocumentService", "DocumentTooLargeError", "UnsupportedDocumentError", "Vault"]

UPLOADERS = (Role.IR_OFFICER, Role.LEGAL_OFFICER)
"""Who may upload: the roles that may take ``attach_text``."""


class UnsupportedDocumentError(WorkflowError):
    """Raised when an upload is none of the kinds of document Accord keeps; nothing of it is kept."""


class Vault(Protocol):
    """Documents stored in the event store's database, named by the sha256 of their bytes, never changed."""

    def put(self, stream: BinaryIO, *, media_type: str, filename: str, uploaded_by: str, max_bytes: int,
            uploaded_at: datetime | None = None) -> tuple[StoredDocument, bool]:
        """Store the bytes of ``stream`` (read to its end), hashing them as they are written, in one
        transaction: (the record, True) when new; (the record already stored, False) when the same bytes
        are there already, in which case nothing more is kept. Raises ``DocumentTooLargeError`` past
        ``max_bytes``, keeping nothing."""

    def record(self, sha256: str) -> StoredDocument | None:
        """The stored document named by ``sha256``, or None."""

    def chunks(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The document's bytes from ``start`` up to ``end`` (exclusive; None: its end), piece by piece."""

    def uploaded_by(self, sha256: str, username: str) -> bool:
        """Whether ``username`` uploaded these bytes (first or again)."""

    def reference(self, sha256: str, aggregate_id: str) -> None:
        """Note that an event of the aggregate references the document (idempotent)."""

    def referenced(self, sha256: str) -> bool:
        """Whether any agreement or enlargement references the document."""


class DocumentService:
    """Upload, download and binding of documents, by the rules above."""

    def __init__(self, vault: Vault, max_bytes: int):
        self.vault = vault
        self.max_bytes = max_bytes

    @staticmethod
    def require_uploader(actor: Actor) -> None:
        if actor.role not in UPLOADERS:
            raise ForbiddenError(f"the role {actor.role.value} may not upload documents", role=actor.role.value)

    def upload(self, actor: Actor, file: BinaryIO, filename: str | None) -> tuple[StoredDocument, bool]:
        """Keep an uploaded file (seekable: its type is read from its content before anything is written)."""
        self.require_uploader(actor)
        media_type = sniff(file)
        if media_type is None:
            raise UnsupportedDocumentError("the file is not a PDF, DOCX, ODT, UTF-8 plain text, PNG or JPEG "
                                           "document (its type is read from its content)")
        return self.vault.put(file, media_type=media_type, filename=clean_filename(filename),
                              uploaded_by=actor.name, max_bytes=self.max_bytes, uploaded_at=datetime.now(UTC))

    def readable(self, actor: Actor, sha256: str) -> StoredDocument:
        """The document, if ``actor`` may download it; NotFoundError otherwise (whether or not it exists)."""
        record = self.vault.record(sha256)
        if record is not None and (self.vault.uploaded_by(sha256, actor.name)
                                   or (actor.role in READERS and self.vault.referenced(sha256))):
            return record
        raise NotFoundError(f"no document {sha256} that you may read")

    def chunks(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        return self.vault.chunks(sha256, start, end)

    def bound(self, value: Any, field: str = "document") -> BoundDocument:
        """A step's document field bound to stored bytes: the title from the request; sha256, size, media type
        and filename from the vault. Refused (rule ``document_stored``) when the vault has no such document."""
        if isinstance(value, Document):
            title, sha256 = value.title, value.sha256
        elif isinstance(value, dict):
            title, sha256 = value.get("title"), value.get("sha256")
        else:
            raise DomainError("a document is {title, sha256}", rule="invalid_value", field=field)
        record = self.vault.record(sha256) if isinstance(sha256, str) else None
        if record is None:
            raise DomainError(f"no uploaded document has the sha256 {sha256}: upload it first "
                              "(POST /api/v1/documents)", rule=DOCUMENT_STORED, field=f"{field}.sha256")
        document = BoundDocument(title=title, sha256=record.sha256, media_type=record.media_type, size=record.size,
                            filename=record.filename)
        document.check()
        return document

    def note_references(self, aggregate_id: Any, documents: list[Document]) -> None:
        """After a step is saved: the documents it references become readable by every reader."""
        for document in documents:
            self.vault.reference(document.sha256, str(aggregate_id))
