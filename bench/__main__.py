"""The benchmark suite: ``python -m bench all`` runs every benchmark on SQLite and PostgreSQL, each against a
baseline built in the same run, on the same storage, with the same settings; ``python -m bench BENCHMARK``
runs one (as ``python -m bench.BENCHMARK``; see its --help).

Sizes: the default is the full run (the figures of record, about 15 minutes for both backends on 2 cores);
--quick is smaller (a few minutes in all); --smoke is seconds (the test suite runs it: every figure present and
positive; the figures themselves mean little). Tables go to stdout, progress to stderr. At the end, a summary
of every target with PASS or MISS; a miss is reported, never hidden (--strict: exit status 1).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bench import suite

BENCHMARKS = ("command", "http", "aggregates", "growth", "audit", "projections", "pages", "documents")
EXAMPLES = """
examples:
  .venv/bin/python -m bench all --json bench.json                 # the full run, both backends
  .venv/bin/python -m bench all --quick --backend sqlite
  .venv/bin/python -m bench all --smoke --only command,http
  .venv/bin/python -m bench http --help
"""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    what = [f"  {name:<12} {importlib.import_module(f'bench.{name}').__doc__.splitlines()[0]}" for name in BENCHMARKS]
    parser = suite.parser("bench", __doc__, "benchmarks:\n" + "\n".join(what) + "\n" + EXAMPLES)
    parser.add_argument("what", choices=("all",), help="all (or a benchmark's name, then see its --help)")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated benchmarks to run (default: all)")
    parser.add_argument("--strict", action="store_true", help="exit status 1 if any target is missed")
    args = parser.parse_args(argv)
    chosen = {n.strip() for n in args.only.split(",")} if args.only else set(BENCHMARKS)
    if unknown := chosen - set(BENCHMARKS):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; they are {', '.join(BENCHMARKS)}")
    args.benchmarks = [n for n in BENCHMARKS if n in chosen]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in BENCHMARKS:  # python -m bench http ... = python -m bench.http ...
        module = importlib.import_module(f"bench.{argv[0]}")
        return suite.main(argv[0], module.parse, module.measure, argv[1:])
    args = parse(argv)
    options = [flag for flag, on in (("--quick", args.quick), ("--smoke", args.smoke), ("--keep", args.keep)) if on]
    options += ["--runs", str(args.runs)] if args.runs else []
    plan = []
    for name in args.benchmarks:
        module = importlib.import_module(f"bench.{name}")
        plan.append((name, module.measure, module.parse(options)))
    return suite.run(plan, args)


if __name__ == "__main__":
    sys.exit(main())
