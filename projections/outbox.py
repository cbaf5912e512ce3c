"""The reminder sender: sends the outbox's reminders that are due, each once, and logs every attempt.

A round (``Sender.run_once``) decides as of a day (``today``) and a time (``now``):

1. a pending reminder whose deadline has passed is settled ``too_late``; of the pending reminders of one
   deadline and one recipient that are due together (after downtime, say), only the nearest is sent, the others
   are settled ``superseded``;
2. each reminder to send is first *claimed*: in one transaction its attempt count goes up by one (only if it
   still is what was read, so two senders never both take it), its next try is put off by the back-off, and a
   ``sending`` entry is appended to the delivery log; then the message goes to the mail server, with a
   Message-ID derived from the reminder's key; then, in one durable transaction, it is settled ``delivered``
   and ``delivered`` is logged;
3. a mail server that cannot be reached (or answers 4xx) logs ``failed``; the reminder stays pending and is
   tried again after its back-off (``retry`` doubled per attempt up to ``retry_max``); the round stops, and
   ``run`` waits for as long before the next. A permanent refusal (5xx) is settled ``refused``.

Where a duplicate can still happen: the server accepted the message and the process died (or the database
went away) before ``delivered`` was committed. The log then shows ``sending`` with no outcome, and the
reminder is sent again after its back-off, with the same Message-ID, which mail clients and many servers
use to drop the copy. The window is the time of one commit after the server's reply.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from projections.db import Cursor, Database
from projections.reminders import DELIVERED, PENDING, utc_now_text

log = logging.getLogger(__name__)

KIND_WORDS = {
    "notice_window_opens": "the notice window opens",
    "notice_window_closes": "the notice window closes",
    "expiry": "it expires",
    "renewal": "it renews",
    "pre_stage_minimum": "the pre-stage's minimum period ends",
    "pre_stage_maximum": "the pre-stage's maximum period ends",
    "review": "its renewal is to be reviewed",
}
PAGES = {"agreement": "agreements", "enlargement": "enlargements", "observer": "observers"}


@dataclass(frozen=True)
class Mail:
    """One message to send."""

    to: str
    subject: str
    body: str
    message_id: str


class MailRefused(Exception):
    """Raised by a transport when the server refuses a message for good (5xx): trying again will not help.
    A transport's own exception says the same with a true ``permanent`` attribute."""

    permanent = True


class Transport(Protocol):
    """A connection to a mail server (``storage.smtp``), opened for one round."""

    def send(self, mail: Mail) -> None:
        """Hand the message to the server; raise ``MailRefused`` (or any error with a true ``permanent``) for a
        permanent refusal, any other error for a server that cannot take it now."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class SenderSettings:
    base_url: str = "http://127.0.0.1:8000"
    mail_domain: str = "accord.invalid"
    """The domain of Message-IDs (that of the sender's address)."""
    retry: float = 60.0
    """Seconds before the first retry; doubled per attempt up to ``retry_max``."""
    retry_max: float = 3600.0


def message_id(key: str, domain: str) -> str:
    """The same Message-ID for every attempt of one reminder."""
    return f"<reminder.{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def compose(row: dict[str, Any], to: str, settings: SenderSettings, today: date) -> Mail:
    """The reminder's message: what is due when, for which agreement or process, and its page."""
    due = date.fromisoformat(row["due_on"])
    days = (due - today).days
    what = KIND_WORDS.get(row["deadline_kind"], row["deadline_kind"].replace("_", " "))
    link = f"{settings.base_url.rstrip('/')}/{PAGES.get(row['process_kind'], row['process_kind'] + 's')}/" \
           f"{row['process_id']}"
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    lines = [f"{row['title']}: {what} on {due.isoformat()} ({when}).", ""]
    if row.get("detail"):
        lines += [str(row["detail"]), ""]
    if row.get("rule"):
        lines += [f"Rule: {row['rule']}", ""]
    lines += [f"Open it in Accord: {link}", "",
              f"You receive this as the {row['role'].replace('_', ' ')} responsible for it: the reminder planned "
              f"{row['lead_days']} days before the date (key {row['key']})."]
    subject = f"Reminder: {row['title']}: {what} on {due.isoformat()}"
    return Mail(to=to, subject=subject[:200], body="\n".join(lines) + "\n",
                message_id=message_id(row["key"], settings.mail_domain))


@dataclass
class Round:
    """What one round did."""

    delivered: int = 0
    failed: int = 0
    settled: int = 0
    """Settled without sending: superseded, too late, no address, refused."""
    server_down: bool = False


class Sender:
    """Sends the outbox's due reminders through ``connect()``'s transport; ``address`` gives a username's mail
    address (None: it has none, the reminder is settled ``no_address``)."""

    def __init__(self, db: Database, connect: Callable[[], Transport], address: Callable[[str], str | None],
                 settings: SenderSettings | None = None):
        self.db = db
        self.connect = connect
        self.address = address
        self.settings = settings or SenderSettings()
        self._stop = threading.Event()

    # ---- one round -------------------------------------------------------------------------------------

    def run_once(self, today: date | None = None, now: Callable[[], datetime] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> Round:
        """Send what is due on ``today`` (default: the UTC date) and whose back-off has passed at ``now()``."""
        now = now or (lambda: datetime.now(UTC))
        today = today or now().date()
        done = Round()
        done.settled += self._settle_too_late(today)
        due = self.db.query("SELECT * FROM reminder_outbox WHERE status = ? AND kind = 'reminder' AND send_on <= ? "
                            "ORDER BY due_on, deadline_id, username, lead_days", (PENDING, today.isoformat()))
        nearest: dict[tuple[str, str], dict[str, Any]] = {}
        for row in map(dict, due):  # ordered by lead_days: the first of each deadline and recipient is the nearest
            key = (row["deadline_id"], row["username"])
            if key in nearest:
                done.settled += self._settle(row, "superseded", detail=f"the {nearest[key]['lead_days']}-day "
                                                                       f"reminder was due at the same time")
            else:
                nearest[key] = row
        at = utc_now_text(now())
        transport: Transport | None = None
        try:
            for row in nearest.values():
                if should_stop() or self._stop.is_set():
                    break
                if row["next_try_at"] > at:
                    continue  # tried lately: waits for its back-off
                to = self.address(row["username"])
                if not to:
                    done.settled += self._settle(row, "no_address", detail=f"no mail address for {row['username']}")
                    continue
                mail = compose(row, to, self.settings, today)
                attempt = self._claim(row, to, mail.message_id, now())
                if attempt is None:
                    continue  # another sender took it, or settled it, meanwhile
                try:
                    if transport is None:
                        transport = self.connect()
                    transport.send(mail)
                except Exception as error:  # noqa: BLE001 - the server is down or busy: back off, try later
                    if getattr(error, "permanent", False):
                        done.settled += self._settle(row, "refused", attempt, to, mail.message_id, str(error))
                        continue
                    self._log(row["key"], attempt, "failed", to, mail.message_id, f"{type(error).__name__}: {error}")
                    done.failed += 1
                    done.server_down = True
                    log.warning("mail server: %s (reminder %s, attempt %d); retrying later", error, row["key"],
                                attempt)
                    break
                self._settle(row, DELIVERED, attempt, to, mail.message_id)
                done.delivered += 1
        finally:
            if transport is not None:
                try:
                    transport.close()
                except Exception:  # noqa: BLE001 - the messages are sent; a failing QUIT changes nothing
                    pass
        return done

    def backoff(self, attempts: int) -> float:
        return min(self.settings.retry_max, self.settings.retry * 2 ** max(0, attempts - 1))

    # ---- the outbox's bookkeeping ------------------------------------------------------------------------

    @contextmanager
    def _durable(self) -> Iterator[Cursor]:
        """A transaction whose commit waits for the disk (the views' commits on PostgreSQL do not)."""
        with self.db.transaction() as cursor:
            if self.db.dialect == "postgres":
                cursor.execute("SET LOCAL synchronous_commit = on")
            yield cursor

    def _claim(self, row: dict[str, Any], to: str, mid: str, at: datetime) -> int | None:
        """Take one attempt at a reminder: None if another sender took or settled it first."""
        attempt = int(row["attempts"]) + 1
        with self._durable() as cursor:
            cursor.execute("UPDATE reminder_outbox SET attempts = ?, next_try_at = ? "
                           "WHERE key = ? AND status = ? AND attempts = ?",
                           (attempt, utc_now_text(at + timedelta(seconds=self.backoff(attempt))), row["key"],
                            PENDING, attempt - 1))
            if cursor.rowcount != 1:
                return None
            _append(cursor, row["key"], attempt, "sending", to, mid, None)
        return attempt

    def _settle(self, row: dict[str, Any], status: str, attempt: int | None = None, to: str | None = None,
                mid: str | None = None, detail: str | None = None) -> int:
        """Settle a reminder and log how; 1 if this call settled it (0: already settled by another sender)."""
        with self._durable() as cursor:
            if status == DELIVERED:  # whatever happened meanwhile, it was sent: say so
                cursor.execute("UPDATE reminder_outbox SET status = ?, settled_at = ? WHERE key = ?",
                               (status, utc_now_text(), row["key"]))
            else:
                cursor.execute("UPDATE reminder_outbox SET status = ?, settled_at = ? WHERE key = ? AND status = ?",
                               (status, utc_now_text(), row["key"], PENDING))
                if cursor.rowcount != 1:
                    return 0
            _append(cursor, row["key"], attempt if attempt is not None else int(row["attempts"]), status, to, mid,
                    detail)
        return 1

    def _settle_too_late(self, today: date) -> int:
        late = self.db.query("SELECT * FROM reminder_outbox WHERE status = ? AND kind = 'reminder' AND due_on < ?",
                             (PENDING, today.isoformat()))
        return sum(self._settle(dict(r), "too_late", detail=f"the deadline ({r['due_on']}) passed before it was sent")
                   for r in late)

    def _log(self, key: str, attempt: int, outcome: str, to: str | None, mid: str | None, detail: str | None) -> None:
        with self._durable() as cursor:
            _append(cursor, key, attempt, outcome, to, mid, detail)

    # ---- the loop ------------------------------------------------------------------------------------------

    def run(self, poll_interval: float = 60.0, today: Callable[[], date | None] = lambda: None) -> None:
        """Send rounds until ``stop()``: every ``poll_interval`` seconds, or after the back-off while the mail
        server is down. Database errors are logged and retried the same way."""
        failures = 0
        while not self._stop.is_set():
            try:
                done = self.run_once(today())
                failures = failures + 1 if done.server_down else 0
            except Exception as error:  # noqa: BLE001 - the database is away: wait and try again
                failures += 1
                log.warning("reminder sender: %s (failure %d); retrying", error, failures)
            self._stop.wait(self.backoff(failures) if failures else poll_interval)

    def stop(self) -> None:
        self._stop.set()


def _append(cursor: Cursor, key: str, attempt: int, outcome: str, to: str | None, mid: str | None,
            detail: str | None) -> None:
    cursor.execute("INSERT INTO reminder_deliveries (key, attempt, at, outcome, address, message_id, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", (key, attempt, utc_now_text(), outcome, to, mid, detail))
