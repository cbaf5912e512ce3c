"""Accord's real processes, for the benchmarks and the serving tests: gunicorn started by the production
command and ``gunicorn.conf.py``, the ``accord`` CLI, ``accord projections run``; and what /proc says of
them (a master's workers, a process's peak memory).

Each process gets an environment cleaned of this process's storage and Accord settings (``clean_env``), so
that a developer's shell never leaks into a measurement or a test. Nothing starts at import time; each
process is stopped by the context manager that started it, workers included.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STORAGE_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "ACCORD_", "WEB_CONCURRENCY",
                    "APPLICATION_RECORDER_TOPIC", "SNAPSHOT_INTERVAL", "AGGREGATE_CACHE", "IS_SNAPSHOTTING")
LOG_SIGNS = ("Traceback", "WORKER TIMEOUT", "database is locked", "PoolTimeout")
"""Lines in gunicorn's log that show a failure the client may not see."""


def clean_env(storage: dict[str, str], **extra: str) -> dict[str, str]:
    """This process's environment without storage or Accord settings of its own, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(STORAGE_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**env, **storage, **extra}


def accord_cli() -> str:
    """The project's ``accord`` console script (next to the running interpreter, or in the project's venv)."""
    for candidate in (Path(sys.executable).with_name("accord"), ROOT / ".venv" / "bin" / "accord"):
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("the accord console script is not installed (pip install -e .)")


def cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``accord ARGS`` run to its end in ``env``; the caller judges its exit status."""
    return subprocess.run([accord_cli(), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def run_cli(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """``accord ARGS``'s output; RuntimeError, with what it printed, if it fails."""
    done = cli(env, *args, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"accord {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    """One GET on a connection of its own: the status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def children_of(pid: int) -> list[int]:
    """The live child processes of a process (a gunicorn master's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue  # the process ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def stop(process: subprocess.Popen, grace: float = 25) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds (gunicorn.conf.py: graceful_timeout = 20)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class Gunicorn:
    """A running gunicorn: its port, master process and folder of logs (gunicorn.out, gunicorn.err)."""

    port: int
    process: subprocess.Popen
    folder: Path

    @property
    def stderr_path(self) -> Path:
        return self.folder / "gunicorn.err"

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def workers(self) -> list[int]:
        return children_of(self.process.pid)

    def problems(self) -> list[str]:
        """The failures its log shows (``LOG_SIGNS``)."""
        log = self.log()
        return [f"gunicorn's log shows {sign!r}" for sign in LOG_SIGNS if sign in log]


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], folder: Path, startup: float = 30) -> Iterator[Gunicorn]:
    """``python -m gunicorn --config gunicorn.conf.py APP`` on a free port, answering ``GET /health``; on exit
    stopped with its workers. ``env`` is complete (see ``clean_env``); ``ACCORD_BIND`` is set here."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    # Files, not pipes: the access log alone would fill a pipe nobody reads and block the workers.
    with open(folder / "gunicorn.out", "wb") as out, open(folder / "gunicorn.err", "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", app],
                                   cwd=ROOT, env={**env, "ACCORD_BIND": f"127.0.0.1:{port}"}, stdout=out, stderr=err)
    server = Gunicorn(port, process, folder)
    try:
        deadline = time.monotonic() + startup
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn ({app}) exited with {process.returncode} while starting:\n"
                                   f"{server.log()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if get(port, "/health", timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn ({app}) did not answer GET /health within {startup:.0f} s:\n"
                                   f"{server.log()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        workers = children_of(process.pid)  # before the master goes: its workers would be re-parented
        stop(process)
        for pid in workers:  # never leave a worker behind (only ours, by pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def projection_runner(env: dict[str, str], folder: Path, poll: float | None = None
                      ) -> Iterator[subprocess.Popen]:
    """``accord projections run`` (with ``--poll``, if given), stopped with SIGTERM on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [accord_cli(), "projections", "run"] + ([] if poll is None else ["--poll", str(poll)])
    with open(folder / "projections.out", "wb") as out, open(folder / "projections.err", "wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
    try:
        yield process
    finally:
        stop(process, grace=20)


def proc_status(pid: int | str, field: str) -> int:
    """A memory figure of /proc/PID/status in bytes (0 if gone), e.g. VmHWM: the process's peak RSS."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def child_max_rss(command: Sequence[str], env: dict[str, str], timeout: float = 1800) -> dict[str, Any]:
    """Run a command to its end: its stdout, wall time and peak RSS (bytes).

    The peak is the child's VmHWM, read from /proc every few milliseconds while it runs: wait4's ru_maxrss is
    not usable, because Linux carries the RSS of the image a process had before exec (a copy of this big
    process) into it.
    """
    started, peak = time.perf_counter(), 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(list(command), cwd=ROOT, env=env, stdout=out, stderr=err)
        while (pid_status := os.waitpid(process.pid, os.WNOHANG))[0] == 0:
            peak = max(peak, proc_status(process.pid, "VmHWM"))
            if time.perf_counter() - started > timeout:
                process.kill()
            time.sleep(0.005)
        process.returncode = os.waitstatus_to_exitcode(pid_status[1])  # reaped here: Popen must not wait again
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stdout[-2000:]}\n{stderr[-4000:]}")
    return {"stdout": stdout, "seconds": seconds, "max_rss": peak}
