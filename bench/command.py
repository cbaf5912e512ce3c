"""Command path in process: steps taken through the command service against the library's recorder insert.

Each measure in a fresh store, one operation per transaction, one thread. Baselines, with events of the size
and shape of a real step event:
  recorder insert   the eventsourcing library's own recorder: insert_events([one stored event])
  driver insert     the plain driver (sqlite3 / psycopg): INSERT one comparable row and COMMIT
Accord:
  Accord recorder   Accord's recorder (the same insert with the global hash chain's row), for reference
  take_step         AgreementService.take_step, as the API calls it: load the agreement (aggregate cache on,
                    the production default), check role, stage and expected version, run the domain command
                    (the event's hash), save (event and chain row), with an idempotency key; steps cycle
                    attach_text -> request_legal_review -> complete_legal_review (changes requested) on 8
                    agreements in turn
  take_step, no cache   the same with AGGREGATE_CACHE_MAXSIZE="" (each step loads from the store)
  create            AgreementService.create (a new agreement; the key-derived id is looked up first)

Runs of N operations, the measures interleaved run by run (so load on the machine hits them alike): operations
per second (median, min, max) and the ratio to the recorder insert (the median of the per-run ratios).
Target: take_step >= 0.70 of the recorder insert.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from bench import suite
from bench.stores import DriverStore, backend_version, fresh_store, library_application, open_services
from bench.stories import Stepper, stored_stories
from bench.suite import at_least, figure, paired_ratio, pick, say
from bootstrap.services import Services

GOAL = 0.70
OPS = {"smoke": 20, "quick": 150, "full": 400}
RUNS = {"smoke": 2, "quick": 3, "full": 5}
BASELINE = "recorder insert (library)"
EPILOG = """\
examples:
  .venv/bin/python -m bench.command --quick
  .venv/bin/python -m bench.command --backend postgres --ops 1000 --runs 7 --json var/command.json
  .venv/bin/python -m bench.command --backend sqlite --profile var/command.prof   # then: python -m pstats FILE
"""


def rate(ops: int, operation: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for i in range(ops):
        operation(i)
    return ops / (time.perf_counter() - started)


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    ops, runs = args.ops or pick(args, OPS), args.runs or pick(args, RUNS)
    with fresh_store(backend, "cmdraw", keep=args.keep) as raw_storage, \
            fresh_store(backend, "cmdchain", keep=args.keep) as chain_storage, \
            fresh_store(backend, "cmd", keep=args.keep) as storage, \
            open_services(chain_storage) as chained, open_services(storage) as services:
        library, driver = library_application(raw_storage), DriverStore(raw_storage)
        uncached = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": ""})
        try:
            driver.create_table()
            # real step events (version 2 on) of realistic stories: what a step records, in size and shape
            samples = [e for story in stored_stories(services.app, 60, seed=3) for e in story
                       if e.originator_version > 1][:200]
            stepper = Stepper(services)
            for _ in range(3):  # warm up: connections, caches, statement preparation
                stepper.step()
                stepper.step(uncached.agreements)

            def insert_with(recorder: Any) -> Callable[[int], Any]:
                def insert(i: int) -> Any:
                    s = samples[i % len(samples)]
                    return recorder.insert_events([type(s)(uuid.uuid4(), s.originator_version, s.topic, s.state)])
                return insert

            def driver_insert(i: int) -> int:
                s = samples[i % len(samples)]
                return driver.insert(uuid.uuid4(), s.originator_version, s.topic, s.state)

            measures: dict[str, Callable[[int], Any]] = {
                BASELINE: insert_with(library.recorder),
                "driver insert": driver_insert,
                "Accord recorder insert (+ chain)": insert_with(chained.app.recorder),
                "take_step (cache on)": lambda _i: stepper.step(),
                "take_step (no cache)": lambda _i: stepper.step(uncached.agreements),
                "create": lambda _i: stepper.create(in_turn=False),
            }
            if args.profile:
                profiler = cProfile.Profile()
                profiler.runcall(lambda: [stepper.step() for _ in range(ops)])
                profiler.dump_stats(f"{args.profile}.{backend}")
                say(f"a profile of {ops} steps written to {args.profile}.{backend}")
            rates: dict[str, list[float]] = {name: [] for name in measures}
            for run in range(runs):
                say(f"{backend}: run {run + 1}/{runs}, {ops:,} operations per measure")
                for name, operation in measures.items():
                    rates[name].append(rate(ops, operation))
            stored, rows = library.recorder.max_notification_id() or 0, driver.count()
            if stored < ops * runs or rows < ops * runs:
                raise AssertionError(f"the baselines stored {stored} events and {rows} rows, expected {ops * runs}")
            version = backend_version(services)
        finally:
            uncached.close()
            driver.close()
            library.close()
    rows = []
    for name, values in rates.items():
        ratio = None if name == BASELINE else paired_ratio(values, rates[BASELINE])
        goal, passed = at_least(ratio, GOAL) if name == "take_step (cache on)" else (None, None)
        rows.append(figure(name, "ops/s", values, n=ops, baseline=None if name == BASELINE else "recorder",
                           ratio=ratio, goal=goal, passed=passed))
    size = sum(len(s.state) for s in samples) / len(samples)
    return {"title": "command path in process vs raw recorder insert", "version": version, "rows": rows,
            "notes": [f"one operation per transaction, one thread; step events average {size:,.0f} bytes of "
                      "stored state; ratio = ops/s / recorder insert ops/s, the median of the per-run ratios "
                      "(runs interleaved)"]}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.command", __doc__, EPILOG)
    parser.add_argument("--ops", type=int, help="operations per run of each measure (default 400; --quick 150; "
                                                "--smoke 20)")
    parser.add_argument("--profile", metavar="FILE", help="also write a cProfile of N steps to FILE.<backend>")
    args = parser.parse_args(argv)
    if (args.ops is not None and args.ops < 1) or (args.runs is not None and args.runs < 1):
        parser.error("--ops and --runs must be positive")
    return args


if __name__ == "__main__":
    sys.exit(suite.main("command", parse, measure))
