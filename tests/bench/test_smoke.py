"""The benchmark suite's smoke run, so that it cannot rot: ``python -m bench all --smoke`` on each backend.

Every benchmark must run (real servers, stores, child processes) and every figure it prints and writes to
JSON must be present and positive: a benchmark that silently measures nothing fails here. The figures of a
smoke run mean nothing (tiny sizes, a busy CI machine), so no target is checked, only that each target has
a verdict. The HTTP benchmark uses wrk when installed, else its asyncio client.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ("command", "http", "aggregates", "growth", "audit", "projections", "pages", "documents")
HANG_LIMIT = 600  # seconds per backend before the run counts as hung (speed is the benchmarks' business, not a test's)
UNITS = {"ops/s", "req/s", "events/s", "ms", "MiB", "KiB", "MiB/s"}


def bench_env() -> dict[str, str]:
    """This environment, with the tests' PostgreSQL settings passed on to the benchmarks."""
    env = dict(os.environ)
    for key in ("DBNAME", "HOST", "PORT", "USER", "PASSWORD"):
        if f"ACCORD_TEST_POSTGRES_{key}" in env:
            env[f"ACCORD_BENCH_POSTGRES_{key}"] = env[f"ACCORD_TEST_POSTGRES_{key}"]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def printed_number(cell: str) -> float:
    return float(cell.replace(",", ""))


def check_row(row: dict[str, Any], where: str, out: str) -> None:
    assert row["unit"] in UNITS, f"{where}: unknown unit {row['unit']!r}"
    for key in ("median", "min", "max"):
        assert positive(row[key]), f"{where}: {key} is {row[key]!r}"
    assert row["runs"] and all(positive(v) for v in row["runs"]), f"{where}: runs {row['runs']!r}"
    assert row["min"] <= row["median"] <= row["max"], f"{where}: min/median/max out of order"
    if row["ratio"] is not None:
        assert positive(row["ratio"]), f"{where}: ratio {row['ratio']!r}"
        assert row["baseline"], f"{where}: a ratio without its baseline"
    if row["goal"]:
        assert row["pass"] in (True, False), f"{where}: a goal without a verdict"
    # The printed table: a line for this measure, whose median, min and max are positive numbers.
    lines = [line for line in out.splitlines() if line.startswith(row["measure"] + "  ")]
    assert lines, f"{where}: not printed"
    for line in lines:
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) >= 6, f"{where}: printed as {line!r}"
        numbers = cells[2:5] if row["n"] is not None else cells[1:4]
        assert all(printed_number(c) > 0 for c in numbers), f"{where}: printed as {line!r}"
        if row["goal"]:
            assert line.rstrip().endswith(("PASS", "MISS")), f"{where}: printed without a verdict: {line!r}"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_benchmark_runs_and_every_figure_is_positive(backend: str, tmp_path: Path) -> None:
    figures = tmp_path / "bench.json"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bench", "all", "--smoke", "--backend", backend, "--json",
                           str(figures)], cwd=ROOT, env=bench_env(), capture_output=True, text=True,
                          timeout=HANG_LIMIT, check=False)
    seconds = time.monotonic() - started
    print(f"\nbench smoke [{backend}]: {seconds:.0f} s")
    assert done.returncode == 0, f"python -m bench all --smoke failed:\n{done.stdout[-5000:]}\n{done.stderr[-5000:]}"
    document = json.loads(figures.read_text())
    assert document["size"] == "smoke"
    assert set(document["benchmarks"]) == set(BENCHMARKS)
    out = done.stdout
    for name in BENCHMARKS:
        result = document["benchmarks"][name][backend]
        assert "error" not in result, f"{name}: {result.get('error')}"
        assert result["rows"], f"{name}: no figures"
        header = f"== {backend}: {result['title']}"
        assert header in out, f"{name}: its table is not printed ({header!r})"
        section = out[out.index(header):]
        section = section[:section.find("\n== ", 1)] if "\n== " in section[1:] else section
        for row in result["rows"]:
            check_row(row, f"{name}/{backend}/{row['measure']}", section)
    targets = [r for r in document["summary"] if r["backend"] == backend]
    assert {r["benchmark"] for r in targets} == set(BENCHMARKS), "a benchmark without any target"
    assert all(r["pass"] in (True, False) for r in targets)
    assert "== summary: every target ==" in out
    http = document["benchmarks"]["http"][backend]
    for name, server in http["servers"].items():
        assert all(run["requests"] > 0 for run in server["runs"]), f"http: {name} answered nothing"
    assert http["servers"]["Accord"]["runs"][0]["steps"] > 0, "http: Accord took no step"
