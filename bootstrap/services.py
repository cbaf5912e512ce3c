"""The services of one process, wired from storage, workflows and projections; created lazily on first use
(after gunicorn forks, never at import)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import Any

from bootstrap.config import SignInSettings
from domain.records import record_of
from projections.agreements import AgreementList
from projections.db import Database
from projections.engine import Projections
from projections.enlargements import EnlargementList
from projections.journal import Journal
from projections.register import Register
from projections.stored_events import stored_record
from storage import archive, audit
from storage.application import StoredApplication
from storage.credentials import StoredCredentials
from storage.document_texts import StoredTexts
from storage.documents import StoredVault
from storage.log import page_reader
from storage.sessions import StoredSessions
from storage.settings import backend_of
from storage.sqlite_gate import SoleRunner, gate_for
from storage.stored_mapper import FastMapper
from storage.views import database_for, title_index_warning
from texts.sandbox import extract
from web.passwords import Argon2Passwords
from workflows.access import AccessService
from workflows.agreements import AgreementService
from workflows.application import AccordApplication
from workflows.definitions import describe_event, describe_topic, step_name
from workflows.documents import DocumentService
from workflows.enlargements import EnlargementService
from workflows.observers import ObserverService
from workflows.recorded import RecordService
from workflows.signin import SignInService
from workflows.texts import TextService

log = logging.getLogger(__name__)

STANDBY_SECONDS = 1.0
"""How often a standing-by in-process runner (SQLite) asks whether the running one has exited."""


class Application(StoredApplication, AccordApplication):
    """The Accord application (workflows.application) on the storage its settings name (storage.application)."""

    name = AccordApplication.name  # the library names tables after it, and would take the class's name


def describe_stored(topic: str, stored: dict[str, Any], decode: Callable[[], Any]) -> tuple[str, str, dict[str, Any]]:
    """(aggregate type, step name, record) of a stored event: read from its stored JSON where that reads
    faithfully (never for an event stored before its class's latest upcast), else from the event ``decode``
    gives."""
    kind, step, version = describe_topic(topic)
    if stored.get("class_version", 1) == version:
        try:
            return kind, step, stored_record(stored)
        except ValueError:  # a value only the decoder reads faithfully
            pass
    event = decode()
    return (*describe_event(event), record_of(event))


class AuditTrail:
    """The stored log as auditors use it: verified, proved against a saved digest, exported and imported; and
    the documents its events reference."""

    def __init__(self, app: Application, vault: StoredVault):
        self.app = app
        self.vault = vault

    def verify(self, progress: Callable[[int], None] | None = None) -> audit.Verification:
        """The log verified, and the documents: each stored one's bytes against its sha256 and size, and each
        one an event binds to stored bytes present (a problem is placed at the first event referencing it)."""
        bound: dict[str, int] = {}
        result = audit.verify(self.app.recorder, progress=progress, documents=bound)
        for sha256, problem in self.vault.problems():
            result.add(bound.get(sha256, 0), None, None, f"document {sha256}: {problem}")
        for sha256, position in bound.items():
            if self.vault.record(sha256) is None:
                result.add(position, None, None, f"document {sha256}, referenced here, is missing from the vault")
        return result

    def prove(self, position: int, digest: str) -> audit.Verification:
        return audit.prove(self.app.recorder, position, digest)

    def export_lines(self) -> Iterator[str]:
        return archive.export_lines(self.app.recorder, self.app.mapper, describe_stored)

    def import_lines(self, lines: Iterable[str], progress: Callable[[int], None] | None = None) -> tuple[int, str]:
        return archive.import_lines(self.app.recorder, lines, progress=progress)


class Services:
    """One Accord application per process, and the services and views built on it."""

    def __init__(self, storage: dict[str, str], pool_size: int = 4, token_cache_seconds: float = 0.0,
                 sign_in: SignInSettings | None = None, max_document_bytes: int = 50 * 1024 * 1024):
        self.storage = storage
        self.max_document_bytes = max_document_bytes
        self.pool_size = pool_size
        self.token_cache_seconds = token_cache_seconds
        self.sign_in = sign_in or SignInSettings()
        self._lock = threading.Lock()
        self._app: AccordApplication | None = None
        self._runner: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def app(self) -> Application:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = Application(env=self.storage)
        return self._app

    @cached_property
    def agreements(self) -> AgreementService:
        return AgreementService(self.app, self.documents)

    @cached_property
    def enlargements(self) -> EnlargementService:
        return EnlargementService(self.app, self.documents)

    @cached_property
    def vault(self) -> StoredVault:
        """The documents, in the event store's database."""
        return StoredVault(self.db)

    @cached_property
    def documents(self) -> DocumentService:
        """Upload, download and binding of documents to steps."""
        return DocumentService(self.vault, self.max_document_bytes)

    @cached_property
    def observers(self) -> ObserverService:
        return ObserverService(self.app)

    @cached_property
    def records(self) -> RecordService:
        """The published record's status periods, imported as recorded facts."""
        return RecordService(self.app)

    @cached_property
    def access(self) -> AccessService:
        return AccessService(self.app, cache_seconds=self.token_cache_seconds)

    @cached_property
    def signin(self) -> SignInService:
        """Passwords, invitations and sessions: kept in tables of their own beside the events."""
        return SignInService(self.app, self.access, StoredCredentials(self.db), StoredSessions(self.db),
                             Argon2Passwords(), rules=self.sign_in.rules,
                             trusted_proxies=self.sign_in.trusted_proxies)

    @cached_property
    def texts(self) -> TextService:
        """Agreements' texts and their comparison; each document's text extracted once, in a child process."""
        return TextService(self.agreements, self.vault, StoredTexts(self.db), extract)

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.app, self.vault)

    @cached_property
    def db(self) -> Database:
        gate = gate_for(self.storage["SQLITE_DBNAME"]) if self.backend == "sqlite" else None
        return database_for(self.storage, pool_size=self.pool_size, writer_gate=gate)

    @cached_property
    def projections(self) -> Projections:
        views = [AgreementList(step_name, self.db.dialect, fts=self.db.fts5_trigram), EnlargementList(step_name),
                 Register(), Journal(describe_event, describe_topic)]
        return Projections(self.db, self.app.recorder, FastMapper(self.app.mapper), views,
                           page_reader(self.app.recorder))

    @property
    def backend(self) -> str:
        return backend_of(self.storage)

    def create_tables(self) -> None:
        _ = self.app  # the library creates the event store's tables unless CREATE_TABLE=n
        self.projections.create_tables()
        StoredCredentials(self.db).create_tables()
        StoredSessions(self.db).create_tables()
        self.vault.create_tables()
        StoredTexts(self.db).create_tables()
        warning = title_index_warning(self.db)
        if warning:
            log.warning("%s", warning)

    def start_runner(self) -> None:
        """Keep the views current from a background thread of this process (the embedded deployment)."""
        with self._lock:
            if self._runner is not None:
                return
            self._runner = threading.Thread(target=self._run, name="accord-projections", daemon=True)
            self._runner.start()

    def _run(self) -> None:
        sole = SoleRunner(self.storage["SQLITE_DBNAME"]) if self.backend == "sqlite" else None
        try:
            while sole is not None and not sole.take():  # another worker's runner keeps the views current
                if self._stopping.wait(STANDBY_SECONDS):
                    return
            if not self._stopping.is_set():
                self.projections.run()
        except Exception:  # noqa: BLE001 - e.g. a restored backup: log loudly, serve stale reads with lag
            log.exception("the in-process projection runner stopped")
        finally:
            if sole is not None:
                sole.release()

    def close(self) -> None:
        self._stopping.set()
        if "projections" in self.__dict__:
            self.projections.stop()
        if self._runner is not None:
            self._runner.join(timeout=5)
            self._runner = None
        if "db" in self.__dict__:
            self.db.close()
        if self._app is not None:
            self._app.close()
            self._app = None
        for name in ("agreements", "enlargements", "observers", "records", "access", "signin", "texts", "audit",
                     "projections", "db", "vault", "documents"):
            self.__dict__.pop(name, None)
