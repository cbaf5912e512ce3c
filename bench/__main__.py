"""The benchmark suite: ``python -m bench all`` runs every benchmark on SQLite and PostgreSQL.

Run ``.venv/bin/python -m bench --help`` for the options.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

from bench.common import (
    at_least,
    at_most,
    backends_of,
    figure,
    fmt,
    machine,
    say,
    show_rows,
    size_of,
    table,
    verdict,
)

BENCHMARKS = ("command", "http", "aggregates", "growth", "audit", "projections")
WHAT = {
    "command": "command path in process: AgreementService.take_step vs the recorder's insert_events (>= 0.70)",
    "http": "HTTP write path under gunicorn: Accord vs a bare Flask endpoint, wrk or asyncio (>= 0.70, 0 errors)",
    "aggregates": "loading an agreement of 10,000 events vs one of 10 (<= 2x), snapshots and cache",
    "growth": "a step on 1,000,000 events vs 1,000 (<= 1.5x); replaying 1,000,000 events (< +32 MiB RSS)",
    "audit": "verify and export of 100,000 events vs the raw read (>= 0.30); flat peak memory (10k vs 100k)",
    "projections": "view rebuilds vs the raw read (>= 0.30), their memory; list queries at 1k vs 100k (<= 3x)",
}
# bench.projections has its own options: its sizes for each size of the suite.
PROJECTIONS_ARGS = {
    "smoke": ["--events", "1000", "--agreements", "1000", "--small-agreements", "200", "--runs", "3",
              "--batch-size", "200", "--views", "agreements", "journal"],
    "quick": ["--quick"],
    "full": [],  # its own defaults: 100,000 events, 100,000 agreements, 20 runs per query
}

DESCRIPTION = """\
Accord's benchmark suite (issues 5 and 7): each benchmark measures Accord against a baseline built in the
same run, on the same storage, with the same settings, and prints the ratio and whether its target is met.

  python -m bench all [--quick | --smoke] [--backend sqlite|postgres|both] [--json FILE]
  python -m bench BENCHMARK [its options]     (the same as python -m bench.BENCHMARK; see its --help)

benchmarks:
""" + "\n".join(f"  {name:<12} {WHAT[name]}" for name in BENCHMARKS) + """

Sizes: the default is the full run (the figures of record, about 15 minutes for both backends on 2 cores);
--quick is smaller (a few minutes in all); --smoke is seconds (the test suite runs it: every figure present and
positive; the figures themselves mean little). Tables go to stdout, progress to stderr. At the end, a
summary of every target with PASS or MISS; a miss is reported, never hidden (--strict: exit status 1).
"""

EPILOG = """\
examples:
  .venv/bin/python -m bench all --json bench.json                 # the full run, both backends
  .venv/bin/python -m bench all --quick --backend sqlite
  .venv/bin/python -m bench all --smoke --only command,http
  .venv/bin/python -m bench http --help
"""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("all", *BENCHMARKS), help="all, or one benchmark (then see its --help)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both",
                        help="where to run (default both)")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="smaller sizes: a few minutes in all")
    sizes.add_argument("--smoke", action="store_true", help="tiny sizes: seconds (the test suite's smoke run)")
    parser.add_argument("--json", metavar="FILE", help="write every figure of every benchmark to FILE as JSON")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated benchmarks to run (default: all)")
    parser.add_argument("--skip", metavar="NAMES", help="comma-separated benchmarks to leave out")
    parser.add_argument("--strict", action="store_true", help="exit status 1 if any target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the stores (files, schemas) for inspection")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHMARKS)
    skipped = {n.strip() for n in args.skip.split(",")} if args.skip else set()
    unknown = (set(chosen) | skipped) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; they are {', '.join(BENCHMARKS)}")
    args.benchmarks = [n for n in BENCHMARKS if n in chosen and n not in skipped]
    return args


# ---- bench.projections, which has tables and options of its own ----------------------------------------


def run_projections(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from bench import projections

    options = projections.parse([*PROJECTIONS_ARGS[size_of(args)], "--backend", backend]
                                + (["--keep"] if args.keep else []))
    result: dict[str, Any] = {"arguments": {k: v for k, v in vars(options).items() if not k.startswith("child")}}
    result["rebuild"] = projections.bench_rebuild(backend, options)
    projections.print_rebuild(backend, result["rebuild"])
    result["list"] = projections.bench_list(backend, options)
    projections.print_list(backend, result["list"], False)
    result["rows"] = projection_rows(result, projections)
    result["title"] = "projections: the figures above with a goal"
    result["version"] = result["rebuild"]["version"]
    show_rows(backend, result)
    return result


def projection_rows(result: dict[str, Any], projections: Any) -> list[dict[str, Any]]:
    """The figures of bench.projections as rows of the suite (for the summary and the smoke test)."""
    rows = []
    rebuild = result["rebuild"]
    last = rebuild["points"][-1]
    n = last["events"]
    rows.append(figure(f"raw read @ {n:,}", "events/s", [n / s for s in last["raw"]["runs"]], n=n))
    for view in rebuild["views"]:
        r = last[view]
        goal, passed = at_least(r["ratio"], projections.RATIO_GOAL)
        rows.append(figure(f"rebuild {view} @ {n:,}", "events/s", [n / s for s in r["runs"]], n=n,
                           baseline="raw read", ratio=r["ratio"], goal=goal, passed=passed))
    for view, memory in rebuild.get("memory", {}).items():
        small, large = memory["max_rss"]
        rows.append(figure(f"rebuild {view}: child max RSS @ {n:,}", "MiB", [large / 2**20], n=n,
                           baseline=f"@ {rebuild['points'][0]['events']:,}", ratio=memory["max_rss_ratio"],
                           goal=f"<= {projections.MEMORY_GROWTH_LIMIT:.2f} (py heap and RSS)" if memory["pass"]
                           is not None else None, passed=memory["pass"]))
    listing = result["list"]
    small, large = listing["sizes"]
    for name, ratio in listing["ratios"].items():
        query = listing["stores"][large]["queries"][name]
        goal, passed = at_most(ratio, projections.QUERY_RATIO_GOAL)
        rows.append(figure(f"list query {name} @ {large:,} agreements", "ms", [t * 1000 for t in query["runs"]],
                           n=large, baseline=f"@ {small:,}", ratio=ratio, goal=goal, passed=passed))
    return rows


# ---- the suite ------------------------------------------------------------------------------------------


def run_benchmark(name: str, backend: str, args: argparse.Namespace) -> dict[str, Any]:
    if name == "projections":
        return run_projections(backend, args)
    module = importlib.import_module(f"bench.{name}")
    options = module.parse(["--backend", backend]
                           + (["--quick"] if args.quick else ["--smoke"] if args.smoke else [])
                           + (["--keep"] if args.keep else []))
    result = module.measure(backend, options)
    show_rows(backend, result)
    return result


def summary(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name, by_backend in results.items():
        for backend, result in by_backend.items():
            if "error" in result:
                out.append({"benchmark": name, "backend": backend, "measure": "(failed to run)", "value": "",
                            "ratio": None, "goal": "", "pass": False, "error": result["error"]})
                continue
            for row in result["rows"]:
                if row["goal"]:
                    out.append({"benchmark": name, "backend": backend, "measure": row["measure"],
                                "value": f"{fmt(row['median'], row['unit'])} {row['unit']}", "ratio": row["ratio"],
                                "goal": row["goal"], "pass": row["pass"]})
    return out


def print_summary(rows: list[dict[str, Any]]) -> None:
    print("\n== summary: every target ==")
    print(table(["benchmark", "backend", "measure", "median", "ratio", "goal", "verdict"],
                [[r["benchmark"], r["backend"], r["measure"], r["value"],
                  "" if r["ratio"] is None else f"{r['ratio']:.2f}", r["goal"], verdict(r["pass"])] for r in rows]))
    met = sum(1 for r in rows if r["pass"])
    print(f"{len(rows)} targets: {met} PASS, {len(rows) - met} MISS")


def run_all(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    document: dict[str, Any] = {"suite": "accord bench", "size": size_of(args), "machine": machine(),
                                "arguments": {k: v for k, v in vars(args).items()}, "benchmarks": {}}
    document["machine"]["load_before"] = os.getloadavg()
    failed = []
    for name in args.benchmarks:
        say(f"\n=== {name}: {WHAT[name]} ===")
        document["benchmarks"][name] = {}
        for backend in backends_of(args):
            begun = time.perf_counter()
            try:
                result = run_benchmark(name, backend, args)
            except Exception as error:  # noqa: BLE001 - reported in the summary and the exit status
                traceback.print_exc()
                result = {"error": f"{type(error).__name__}: {error}"}
                failed.append(f"{name} on {backend}")
            result["seconds"] = time.perf_counter() - begun
            document["benchmarks"][name][backend] = result
            sys.stdout.flush()
    document["summary"] = summary(document["benchmarks"])
    document["seconds"] = time.perf_counter() - started
    document["machine"]["load_after"] = os.getloadavg()
    print_summary(document["summary"])
    timings = ", ".join(f"{name} {sum(r['seconds'] for r in by.values()):.0f} s"
                        for name, by in document["benchmarks"].items())
    print(f"(total {document['seconds']:.0f} s: {timings}; load average before "
          f"{document['machine']['load_before'][0]:.2f}, after {document['machine']['load_after'][0]:.2f}, "
          f"on {os.cpu_count()} CPUs)")
    if failed:
        print(f"FAILED to run: {', '.join(failed)}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(document, out, indent=2, default=str)
            out.write("\n")
        say(f"figures written to {args.json}")
    if failed or (args.strict and any(not r["pass"] for r in document["summary"])):
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in BENCHMARKS:  # python -m bench http ... = python -m bench.http ...
        return int(importlib.import_module(f"bench.{argv[0]}").main(argv[1:]) or 0)
    return run_all(parse(argv))


if __name__ == "__main__":
    sys.exit(main())
