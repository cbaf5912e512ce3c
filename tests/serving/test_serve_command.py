"""``accord serve`` run from any folder serves the store it was pointed at: an SQLite file named relative to
where the command runs (``var/accord.db`` by default) is the file gunicorn opens, although gunicorn itself works
from the project's folder. (PostgreSQL is named by server and schema, not by a path: nothing to resolve.)"""

from __future__ import annotations

import contextlib
import http.client
import subprocess
import time

from bench.harness import accord_cli, clean_env, free_port, get, stop


def test_serve_from_another_folder_opens_the_sqlite_file_named_from_there(tmp_path):
    env = clean_env({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": "var/accord.db"})
    (tmp_path / "var").mkdir()
    def accord(*args: str) -> str:
        return subprocess.run([accord_cli(), *args], cwd=tmp_path, env=env, check=True, capture_output=True,
                              text=True, timeout=120).stdout

    accord("init-db")
    token = accord("users", "add", "eva", "--role", "auditor").strip().splitlines()[-1]
    port = free_port()
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([accord_cli(), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                                  cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, status = time.monotonic() + 30, None
        while time.monotonic() < deadline and status is None:
            with contextlib.suppress(OSError, http.client.HTTPException):
                status = get(port, "/sign-in")[0]
            time.sleep(0.2)
        assert status == 200, (tmp_path / "serve.log").read_text(errors="replace")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
        assert conn.getresponse().status == 200  # the token exists only in the store made in tmp_path
        conn.close()
    finally:
        stop(server)
    assert "no such table" not in (tmp_path / "serve.log").read_text(errors="replace")
