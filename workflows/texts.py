"""An agreement's texts and the comparison of two of them: which texts it has (the documents its
``attach_text`` steps recorded, oldest first), and the redline between two, by paragraph.

The rules: only readers of the agreement see its texts (anyone else is told there is no such agreement, as
for a download); both texts compared must be texts of that agreement; a text recorded without its file
(history from the published record, or attached before the vault) or a scan has no text to compare. A
document's text is extracted once (``texts.sandbox``, bounded in size and time) and kept (``TextStore``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.values import Actor
from texts.extraction import ExtractionRefused
from texts.redline import redline
from workflows.definitions import READERS
from workflows.errors import NotFoundError, WorkflowError
from workflows.steps import ProcessService


class TextRefusedError(WorkflowError):
    """Raised when two texts cannot be compared; ``rule`` names why (as a problem's ``rule``)."""

    def __init__(self, message: str, rule: str):
        super().__init__(message, rule=rule)
        self.rule = rule


class DocumentSource(Protocol):
    """The vault as comparisons read it (``workflows.documents.Vault`` has these)."""

    def record(self, sha256: str) -> Any | None:
        """The stored document (with its ``media_type``), or None when the vault does not hold it."""

    def chunks(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]: ...


class TextStore(Protocol):
    """Each document's paragraphs, kept once (``storage.document_texts``)."""

    def paragraphs(self, sha256: str) -> list[str] | None: ...
    def keep(self, sha256: str, paragraphs: list[str]) -> None: ...


@dataclass(frozen=True)
class AttachedText:
    """One text of an agreement: the document an ``attach_text`` step recorded, when and by whom."""

    version: int
    title: str
    sha256: str
    media_type: str | None
    filename: str | None
    size: int | None
    attached_at: datetime
    attached_by: str
    stored: bool
    """Whether the vault holds its bytes (history loaded from the record, or attached before the vault,
    names a hash only)."""


@dataclass(frozen=True)
class Comparison:
    before: AttachedText
    after: AttachedText
    paragraphs: list[dict[str, Any]]

    @property
    def counts(self) -> dict[str, int]:
        found = {"equal": 0, "insert": 0, "delete": 0, "replace": 0}
        for row in self.paragraphs:
            found[row["op"]] += 1
        return found


Extract = Callable[[Iterable[bytes], str | None], list[str]]


class TextService:
    """The texts of agreements and their comparison, by the rules above."""

    def __init__(self, agreements: ProcessService, documents: DocumentSource, store: TextStore, extract: Extract):
        self.agreements, self.documents, self.store, self.extract = agreements, documents, store, extract

    def texts_of(self, agreement_id: UUID, actor: Actor) -> list[AttachedText]:
        """The agreement's texts, oldest first (one per ``attach_text`` step)."""
        if actor.role not in READERS:
            raise NotFoundError(f"no agreement with id {agreement_id}")
        found = []
        for entry in self.agreements.history(agreement_id):
            document = entry.data.get("document") if entry.type == "attach_text" else None
            if not isinstance(document, dict) or not document.get("sha256"):
                continue
            record = self.documents.record(document["sha256"])
            kept = {k: getattr(record, k, None) for k in ("media_type", "filename", "size")}
            found.append(AttachedText(
                version=entry.version, title=document.get("title") or "", sha256=document["sha256"],
                **{k: document.get(k) or kept[k] for k in kept},  # as the step recorded them, else the vault
                attached_at=entry.recorded_at, attached_by=entry.actor, stored=record is not None))
        return found

    def compare(self, agreement_id: UUID, before: str, after: str, actor: Actor) -> Comparison:
        """The redline from the text ``before`` to the text ``after`` (sha256 of two texts of the agreement)."""
        texts = {text.sha256: text for text in self.texts_of(agreement_id, actor)}
        for sha256 in (before, after):
            if sha256 not in texts:
                raise TextRefusedError(f"{sha256} is not a text of this agreement", rule="text_of_agreement")
        return Comparison(texts[before], texts[after],
                          redline(self.paragraphs(texts[before]), self.paragraphs(texts[after])))

    def paragraphs(self, text: AttachedText) -> list[str]:
        """A text's paragraphs: as kept, or extracted now (and kept) the first time they are asked for."""
        kept = self.store.paragraphs(text.sha256)
        if kept is not None:
            return kept
        record = self.documents.record(text.sha256) if text.stored else None
        if record is None:
            raise TextRefusedError(f"“{text.title}” was recorded without its file: Accord has no text to compare",
                                   rule="no_text")
        try:
            found = self.extract(self.documents.chunks(text.sha256), record.media_type)
        except ExtractionRefused as refused:
            raise TextRefusedError(f"“{text.title}”: {refused.message}", rule=refused.rule) from None
        self.store.keep(text.sha256, found)
        return found
