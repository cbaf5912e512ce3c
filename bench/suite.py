"""What every benchmark shares: its options and sizes, its figures (median, min and max of the runs, the ratio
to a baseline, the target and whether it was met), their tables, and running it on each backend.

A benchmark module has ``parse(argv)`` (``parser``'s options and its own) and ``measure(backend, args)``,
which returns ``{"title", "version", "rows": [figure(...)], "notes"}``; ``main`` runs it alone, ``run`` runs
several (``python -m bench all``). Tables go to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

BACKENDS = ("sqlite", "postgres")
UNITS = {"ops/s": "{:,.0f}", "events/s": "{:,.0f}", "req/s": "{:,.0f}", "ms": "{:,.3f}", "MiB": "{:,.1f}",
         "KiB": "{:,.1f}", "MiB/s": "{:,.1f}"}


def say(message: str) -> None:
    """A line of progress on stderr (stdout carries only the results)."""
    print(message, file=sys.stderr, flush=True)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


median = statistics.median


def paired_ratio(values: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of the per-run ratios of two measures taken side by side, run by run (more robust to a
    machine whose load changes during a benchmark than the ratio of the two medians)."""
    return median([v / b for v, b in zip(values, baseline, strict=True)])


def figure(measure: str, unit: str, values: Sequence[float], *, n: int | None = None, baseline: str | None = None,
           ratio: float | None = None, goal: str | None = None, passed: bool | None = None) -> dict[str, Any]:
    """One row of a benchmark's table: the median, min and max of its runs, its ratio to a baseline and, when
    it has a target, the target and whether it was met (``passed``: True, False, or None for no target)."""
    return {"measure": measure, "unit": unit, "n": n, "median": median(values), "min": min(values),
            "max": max(values), "runs": list(values), "baseline": baseline, "ratio": ratio, "goal": goal,
            "pass": passed}


def at_least(ratio: float, limit: float) -> tuple[str, bool]:
    return f">= {limit:.2f}", ratio >= limit


def at_most(ratio: float, limit: float) -> tuple[str, bool]:
    return f"<= {limit:.2f}", ratio <= limit


def fmt(value: float | None, unit: str) -> str:
    return "" if value is None else UNITS.get(unit, "{:,.3f}").format(value)


def verdict(passed: bool | None) -> str:
    return "" if passed is None else "PASS" if passed else "MISS"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, columns two spaces apart, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(c[i].replace(",", "").replace(".", "").isdigit() for c in cells[1:]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True))

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *(line(r) for r in cells[1:])])


def show(backend: str, result: dict[str, Any]) -> None:
    """A benchmark's table on stdout: median of the runs, min, max, ratio to the baseline, target, verdict."""
    print(f"\n== {backend}: {result['title']} ({result['version']}) ==")
    print(table(["measure", "n", "median", "min", "max", "unit", "ratio", "ratio to", "goal", "verdict"],
                [[r["measure"], "" if r["n"] is None else f"{r['n']:,}", fmt(r["median"], r["unit"]),
                  fmt(r["min"], r["unit"]), fmt(r["max"], r["unit"]), r["unit"],
                  "" if r["ratio"] is None else f"{r['ratio']:.2f}", r["baseline"] or "", r["goal"] or "",
                  verdict(r["pass"])] for r in result["rows"]]))
    for note in result.get("notes", ()):
        print(f"  {note}")
    sys.stdout.flush()


def machine() -> dict[str, Any]:
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": cpu, "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "load_before": os.getloadavg()}


# ---- options and sizes ---------------------------------------------------------------------------------


def parser(prog: str, doc: str | None, epilog: str) -> argparse.ArgumentParser:
    """A benchmark's parser, its description the module's docstring, with the options every benchmark takes."""
    found = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc, epilog=epilog,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    found.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both",
                       help="where to run (default both; PostgreSQL: a new schema in the database named by "
                            "ACCORD_BENCH_POSTGRES_DBNAME, default 'test', dropped at the end)")
    sizes = found.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="smaller sizes: about a minute")
    sizes.add_argument("--smoke", action="store_true", help="tiny sizes, seconds: checks that everything runs "
                                                            "(the test suite's smoke run), figures not meaningful")
    found.add_argument("--runs", type=int, help="timed runs of each measure (median, min, max; default by size)")
    found.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    found.add_argument("--keep", action="store_true", help="keep the stores (files, schemas) for inspection")
    return found


def size_of(args: Any) -> str:
    """smoke: seconds (the test suite); quick: a minute or so; full: the figures of record."""
    return "smoke" if getattr(args, "smoke", False) else "quick" if getattr(args, "quick", False) else "full"


def pick(args: Any, by_size: dict[str, Any]) -> Any:
    """The value for this run's size from ``{"smoke": ..., "quick": ..., "full": ...}``."""
    return by_size[size_of(args)]


def backends_of(args: Any) -> tuple[str, ...]:
    return BACKENDS if args.backend == "both" else (args.backend,)


Measure = Callable[[str, argparse.Namespace], dict[str, Any]]


def run(plan: Sequence[tuple[str, Measure, argparse.Namespace]], args: argparse.Namespace) -> int:
    """Run each benchmark of ``plan`` (name, measure, its options) on each backend of ``args`` and print its
    tables; then a summary of every target, met or not (a benchmark that failed to run is a miss), and the
    time taken. The exit status is 1 if one failed, or (``args.strict``) missed a target."""
    document: dict[str, Any] = {"size": size_of(args), "machine": machine(), "arguments": vars(args),
                                "benchmarks": {}}
    started = time.perf_counter()
    for name, measure, options in plan:
        say(f"\n=== {name} ===")
        document["benchmarks"][name] = {}
        for backend in backends_of(args):
            begun = time.perf_counter()
            try:
                result = measure(backend, options)
                show(backend, result)
            except Exception as error:  # noqa: BLE001 - reported in the summary and the exit status
                traceback.print_exc()
                result = {"error": f"{type(error).__name__}: {error}", "rows": []}
            result["seconds"] = time.perf_counter() - begun
            document["benchmarks"][name][backend] = result
    rows: list[dict[str, Any]] = []
    failed = []
    for name, by_backend in document["benchmarks"].items():
        for backend, result in by_backend.items():
            if "error" in result:
                failed.append(f"{name} on {backend}")
                rows.append({"benchmark": name, "backend": backend, "measure": "(failed to run)", "value": "",
                             "ratio": None, "goal": "", "pass": False})
            rows += [{"benchmark": name, "backend": backend, "measure": row["measure"], "ratio": row["ratio"],
                      "value": f"{fmt(row['median'], row['unit'])} {row['unit']}", "goal": row["goal"],
                      "pass": row["pass"]} for row in result["rows"] if row["goal"]]
    document["summary"] = rows
    document["seconds"] = time.perf_counter() - started
    document["machine"]["load_after"] = os.getloadavg()
    print("\n== summary: every target ==")
    print(table(["benchmark", "backend", "measure", "median", "ratio", "goal", "verdict"],
                [[r["benchmark"], r["backend"], r["measure"], r["value"],
                  "" if r["ratio"] is None else f"{r['ratio']:.2f}", r["goal"], verdict(r["pass"])] for r in rows]))
    met = sum(1 for r in rows if r["pass"])
    timings = ", ".join(f"{name} {sum(r['seconds'] for r in by.values()):.0f} s"
                        for name, by in document["benchmarks"].items())
    print(f"{len(rows)} targets: {met} PASS, {len(rows) - met} MISS\n(total {document['seconds']:.0f} s: {timings}; "
          f"load average before {document['machine']['load_before'][0]:.2f}, after "
          f"{document['machine']['load_after'][0]:.2f}, on {os.cpu_count()} CPUs)")
    if failed:
        print(f"FAILED to run: {', '.join(failed)}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(document, out, indent=2, default=str)
            out.write("\n")
        say(f"figures written to {args.json}")
    return 1 if failed or (getattr(args, "strict", False) and met < len(rows)) else 0


def main(name: str, parse: Callable[[Sequence[str] | None], argparse.Namespace], measure: Measure,
         argv: Sequence[str] | None = None) -> int:
    """``python -m bench.NAME``: one benchmark with its own options."""
    args = parse(argv)
    return run([(name, measure, args)], args)
