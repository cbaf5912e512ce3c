"""A revoked token is refused at the next request by every worker of a real gunicorn, the revocation being
made by another process (the CLI), although each worker had already authenticated that token (and remembers
it: workflows/access.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.serving.server import Server, clean_env, gunicorn, prepare_storage, run_cli

pytestmark = pytest.mark.slow

WORKERS, THREADS, CLIENTS = 2, 4, 8
ACCESS_LINE = re.compile(r"^<(\d+)> GET /api/v1/workflows (\d{3})$", re.MULTILINE)


@pytest.fixture
def server(storage: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    tokens = prepare_storage(storage, {"eva": "auditor"})
    # the access log names the worker (pid) that answered each request
    with gunicorn(storage, tmp_path, tokens, WORKERS, THREADS,
                  GUNICORN_CMD_ARGS="--access-logformat '%(p)s %(m)s %(U)s %(s)s'") as running:
        yield running


def answered(server: Server) -> list[tuple[int, int]]:
    """(worker pid, status) of every GET /api/v1/workflows so far, from the access log."""
    log = (server.stderr_path.parent / "gunicorn.out").read_text(errors="replace")
    return [(int(pid), int(status)) for pid, status in ACCESS_LINE.findall(log)]


def until_every_worker_answered(server: Server, status: int, after: int = 0, most: int = 400) -> list[int]:
    """Requests in parallel until each worker has answered one with ``status``; every status sent back."""
    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        while len(statuses) < most:
            statuses += pool.map(lambda _: server.request("GET", "/api/v1/workflows", "eva").status, range(CLIENTS))
            if len({pid for pid, s in answered(server)[after:] if s == status}) == WORKERS:
                break
    return statuses


def test_a_token_revoked_by_another_process_is_refused_at_once_by_every_worker(server: Server,
                                                                              storage: dict[str, str]) -> None:
    before = until_every_worker_answered(server, 200)
    assert set(before) == {200}
    served = answered(server)
    assert len({pid for pid, _ in served}) == WORKERS, "a worker never authenticated the token"

    run_cli(clean_env(storage), "users", "revoke", "eva")

    after = until_every_worker_answered(server, 401, after=len(served))
    assert set(after) == {401}, after
    refused_by = {pid for pid, status in answered(server)[len(served):] if status == 401}
    assert len(refused_by) == WORKERS
    print(f"\ntoken revocation[{server.backend}]: {len(before)} requests authenticated by {WORKERS} workers, "
          f"then revoked by the CLI: the next {len(after)} requests all 401, from every worker")
