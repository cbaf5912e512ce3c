"""The gunicorn worker Accord runs in: gunicorn's threaded worker, whose own refusals answer problem+json.

gunicorn refuses some requests before the application sees them: a request line longer than
``limit_request_line`` (414), more headers than ``limit_request_fields`` or one longer than
``limit_request_field_size`` (431), bytes that are not HTTP (400), an unsupported transfer coding (501). It
answers those with a small HTML page; this worker answers them as every other error of the service is answered,
an application/problem+json body of the one shape (``api.errors``), so that a client reads every refusal alike.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from api.errors import TITLES, slug_of

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
DETAILS = {
    400: "the request is not well-formed HTTP (its request line, a header or the chunked body)",
    403: "the request is forbidden",
    414: "the request line (method, path and query) is longer than the server reads",
    417: "the Expect header asks for something the server does not do",
    431: "the request has too many headers, or a header longer than the server reads",
    500: "an unexpected error occurred; it has been logged",
    501: "the request uses a transfer coding the server does not support",
}


def problem_bytes(status: int) -> bytes:
    """The whole HTTP response of a refusal by the server itself: status line, headers, problem+json body."""
    body = json.dumps({"type": f"urn:accord:problem:{'internal' if status == 500 else slug_of(status)}",
                       "title": TITLES.get(status, HTTPStatus(status).phrase), "status": status,
                       "detail": DETAILS.get(status, "the server refused the request")}).encode()
    head = (f"HTTP/1.1 {status} {TITLES.get(status, 'Error')}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class _AsProblem:
    """The client's socket, through which gunicorn's own error page is sent as problem+json instead."""

    def __init__(self, sock: Any):
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        status = STATUS_LINE.match(data)
        self._sock.sendall(problem_bytes(int(status.group(1))) if status else data)


class ProblemWorker(ThreadWorker):
    """gunicorn's threaded worker (``gthread``), its refusals answered as problem+json."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, _AsProblem(client), addr, exc)
