"""The services of one process, wired from storage, workflows and projections; created lazily on first use
(after gunicorn forks, never at import)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

from bootstrap.config import MailSettings, SignInSettings
from domain.dates import date_text
from domain.records import record_of
from projections.agreements import AgreementList
from projections.db import Database
from projections.deadlines import Deadlines, due_processes
from projections.engine import Projections
from projections.enlargements import EnlargementList
from projections.journal import Journal
from projections.outbox import Sender
from projections.register import Register
from projections.reminders import WithReminders, outbox_ddl
from projections.stored_events import stored_record
from storage import archive, audit
from storage.application import StoredApplication
from storage.calendar_feeds import StoredFeedTokens
from storage.credentials import StoredCredentials
from storage.document_texts import StoredTexts
from storage.documents import StoredVault
from storage.log import page_reader
from storage.sessions import StoredSessions
from storage.settings import backend_of
from storage.smtp import SmtpTransport
from storage.sqlite_gate import SoleRunner, gate_for
from storage.stored_mapper import FastMapper
from storage.views import create_all, database_for, title_index_warning
from texts.sandbox import extract
from web.passwords import Argon2Passwords
from workflows.access import AccessService
from workflows.agreements import AgreementService
from workflows.application import AccordApplication
from workflows.calendar import CalendarFeeds
from workflows.clock import Clock, Decision
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

    def verify(self, progress: Callable[[int], None] | None = None, documents: bool = False) -> audit.Verification:
        """The log verified; with ``documents`` (``accord audit verify``), the documents too: each stored one's
        bytes against its sha256 and size, and each one an event binds to stored bytes present (a problem is
        placed at the first event referencing it). The page and the API verify the log alone: re-reading every
        stored document is the command's work, not a request's."""
        if not documents:
            return audit.verify(self.app.recorder, progress=progress)
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
                 sign_in: SignInSettings | None = None, clock_interval: float = 0.0,
                 mail: MailSettings | None = None, max_document_bytes: int = 50 * 1024 * 1024):
        self.storage = storage
        self.max_document_bytes = max_document_bytes
        self.pool_size = pool_size
        self.token_cache_seconds = token_cache_seconds
        self.sign_in = sign_in or SignInSettings()
        self.mail = mail or MailSettings()
        self._lock = threading.Lock()
        self._app: AccordApplication | None = None
        self._runner: threading.Thread | None = None
        self._mailer: threading.Thread | None = None
        self._stopping = threading.Event()
        self.clock_interval = clock_interval
        """Seconds between the embedded runner's clock rounds (0: no clock in this process)."""
        self._clock_thread: threading.Thread | None = None

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
    def clock(self) -> Clock:
        """What time decides (``workflows.clock``), for the processes the deadlines view names."""
        return Clock({"agreement": self.agreements, "enlargement": self.enlargements},
                     lambda today: due_processes(self.db, date_text(today)))

    def run_clock(self, today: date, progress: Callable[[Decision], None] | None = None) -> list[Decision]:
        """One round of the clock as of ``today``: the deadlines view brought up to date first (a process that
        entered into force a moment ago is among the candidates), then every decision due."""
        self.projections.catch_up([Deadlines.name])
        return self.clock.run_once(today, progress)

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
    def calendar(self) -> CalendarFeeds:
        """The addresses of users' private calendar feeds."""
        return CalendarFeeds(StoredFeedTokens(self.db), self.access)

    @cached_property
    def sender(self) -> Sender:
        """The reminder sender: the outbox's due reminders to the mail server (``MailSettings.smtp``)."""
        smtp = self.mail.smtp

        def connect() -> SmtpTransport:
            if smtp is None:
                raise ConnectionError("no mail server: set ACCORD_SMTP_HOST")
            return SmtpTransport(smtp)

        return Sender(self.db, connect, self.reminder_address, self.mail.sender)

    def reminder_address(self, name: str) -> str | None:
        """Where an active user's reminders go: the address an administrator gave them, else NAME@MAIL_DOMAIN
        when that is configured (and NAME is ASCII); None for a revoked or unknown user."""
        if self.access.active_role(name) is None:
            return None
        email = self.access.email(name)
        if email is None and self.mail.domain and name.isascii():
            email = f"{name}@{self.mail.domain}"
        return email

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
                 Register(), Journal(describe_event, describe_topic),
                 WithReminders(Deadlines(), self.mail.reminders)]  # reminders planned with the deadlines
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
        StoredFeedTokens(self.db).create_tables()
        create_all(self.db, outbox_ddl(self.db.dialect))  # also made with the deadlines view, which writes into them
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
                self._start_clock()  # the process that keeps the views current also keeps the time
                self.projections.run()
        except Exception:  # noqa: BLE001 - e.g. a restored backup: log loudly, serve stale reads with lag
            log.exception("the in-process projection runner stopped")
        finally:
            if sole is not None:
                sole.release()

    def start_mailer(self) -> None:
        """Send reminders from a background thread of this process (the embedded deployment)."""
        with self._lock:
            if self._mailer is not None or self.mail.smtp is None:
                return
            self._mailer = threading.Thread(target=self._send, name="accord-mail", daemon=True)
            self._mailer.start()

    def _send(self) -> None:
        sole = SoleRunner(self.storage["SQLITE_DBNAME"] + "-mail") if self.backend == "sqlite" else None
        try:
            while sole is not None and not sole.take():  # another worker's sender sends
                if self._stopping.wait(STANDBY_SECONDS):
                    return
            if not self._stopping.is_set():
                self.sender.run(poll_interval=self.mail.poll_seconds)
        except Exception:  # noqa: BLE001
            log.exception("the in-process reminder sender stopped")
        finally:
            if sole is not None:
                sole.release()

    def _start_clock(self) -> None:
        if self.clock_interval > 0 and self._clock_thread is None:
            self._clock_thread = threading.Thread(target=self._tick, name="accord-clock", daemon=True)
            self._clock_thread.start()

    def _tick(self) -> None:
        """The embedded clock: a round as of today (UTC) now and every ``clock_interval`` seconds until close."""
        while not self._stopping.is_set():
            try:
                for decision in self.run_clock(datetime.now(UTC).date()):
                    log.info("clock: %s %s %s (%s), effective %s", decision.process_kind, decision.process_id,
                             decision.step, decision.rule, decision.effective_on)
            except Exception:  # noqa: BLE001 - storage hiccups: log, try again next round
                log.exception("the in-process clock's round failed; trying again next round")
            self._stopping.wait(self.clock_interval)

    def close(self) -> None:
        self._stopping.set()
        if "projections" in self.__dict__:
            self.projections.stop()
        if "sender" in self.__dict__:
            self.sender.stop()
        for thread in (self._runner, self._mailer, self._clock_thread):
            if thread is not None:
                thread.join(timeout=5)
        self._runner = self._mailer = self._clock_thread = None
        if "db" in self.__dict__:
            self.db.close()
        if self._app is not None:
            self._app.close()
            self._app = None
        for name in ("agreements", "enlargements", "observers", "records", "access", "signin", "texts", "audit",
                     "projections", "calendar", "sender", "db", "clock", "vault", "documents"):
            self.__dict__.pop(name, None)
