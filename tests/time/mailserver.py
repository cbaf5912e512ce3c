"""A real SMTP server for the reminder tests (aiosmtpd), on a port of its own, that can be stopped and started
again on the same port (a mail-server outage) and keeps every message it accepted across restarts."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd's handler: keeps each accepted message (envelope recipients and the parsed message)."""

    def __init__(self) -> None:
        self.accepted: list[tuple[list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.accepted.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


class MailServer:
    """``start()``/``stop()`` a real SMTP server on ``port``; ``messages`` are all it accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Message]:
        with self.recorder.lock:
            return [m for _, m in self.recorder.accepted]

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]
