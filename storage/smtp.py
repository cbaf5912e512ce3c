"""Mail to an SMTP server with the standard library (``smtplib``, ``email``): the transport the reminder sender
(``projections.outbox``) uses, one connection per round of sending."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

TLS_MODES = ("none", "starttls", "tls")
POLICY = policy.SMTP.clone(max_line_length=998)
"""CRLF line ends, and headers folded only beyond RFC 5322's limit: Python folds a subject of more than 78
characters before its first word, which some readers then show with a leading space."""


class Mail(Protocol):
    """A message to send (``projections.outbox.Mail``)."""

    to: str
    subject: str
    body: str
    message_id: str


class MailRefused(Exception):
    """Raised when the server refuses a message for good (5xx): trying again will not help."""

    permanent = True


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes: ``ACCORD_SMTP_HOST``, ``_PORT``, ``_TLS`` (none, starttls or tls), ``_USER``,
    ``_PASSWORD``, and the sender's address ``ACCORD_MAIL_FROM``."""

    host: str
    port: int = 25
    tls: str = "none"
    user: str | None = None
    password: str | None = None
    sender: str = "accord@localhost"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ValueError(f"ACCORD_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {self.tls!r}")

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2] or "localhost"


def message(mail: Mail, sender: str) -> EmailMessage:
    """The message as sent: plain text, UTF-8, with its own Message-ID and the date it was made."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = mail.message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a machine
    msg.set_content(mail.body)
    return msg


class SmtpTransport:
    """One connection to the server, opened when made (an error here: the server is down)."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        s = settings
        if s.tls == "tls":
            self.smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                       context=ssl.create_default_context())
        else:
            self.smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.tls == "starttls":
                self.smtp.starttls(context=ssl.create_default_context())
            if s.user:
                self.smtp.login(s.user, s.password or "")
        except BaseException:
            self.smtp.close()
            raise

    def send(self, mail: Mail) -> None:
        try:
            self.smtp.send_message(message(mail, self.settings.sender))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise MailRefused(f"recipient refused: {error.recipients}") from error
            raise
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600 and not isinstance(error, smtplib.SMTPSenderRefused):
                raise MailRefused(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise

    def close(self) -> None:
        try:
            self.smtp.quit()
        except smtplib.SMTPException:
            self.smtp.close()
