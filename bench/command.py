"""Command path in process: steps taken through the command service against the raw recorder insert.

Run ``.venv/bin/python -m bench.command --help`` for what is measured and the goal (issue 5).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from bench.common import (
    STEP_CYCLE,
    DriverStore,
    Stepper,
    add_suite_arguments,
    at_least,
    backend_version,
    figure,
    fresh_store,
    library_application,
    open_services,
    paired_ratio,
    pick,
    run_suite_benchmark,
    say,
    show_rows,
    step_events,
    step_fields,
)
from bootstrap.services import Services
from storage.audit import verify
from storage.recorders import CHAIN_TABLE, chain_rows
from workflows.cache import working_copy
from workflows.fields import to_domain
from workflows.idempotency import with_digest

GOAL = 0.70
OPS = {"smoke": 20, "quick": 150, "full": 400}
RUNS = {"smoke": 2, "quick": 3, "full": 5}

DESCRIPTION = f"""\
Command path in process (issue 5, "Command path"), on SQLite and/or PostgreSQL, each measure in a fresh store.

Baselines, one event per transaction, of the size and shape of a real step event:
  recorder insert   the eventsourcing library's own recorder: insert_events([one stored event])
  driver insert     the plain driver (sqlite3 / psycopg): INSERT one comparable row and COMMIT
Accord:
  Accord recorder   Accord's recorder (the same insert plus the global hash chain row), for reference
  take_step         AgreementService.take_step, as the API calls it: load the agreement (aggregate cache on,
                    the production default), check role, stage and expected version, run the domain command
                    (hash of the event), save (event + chain row), with an idempotency key; steps cycle
                    attach_text -> request_legal_review -> complete_legal_review (changes requested) on 8
                    agreements in turn
  take_step, no cache   the same with AGGREGATE_CACHE_MAXSIZE="" (each step loads from the store)
  create            AgreementService.create (a new agreement; the key-derived id is looked up first)
On SQLite, the floor under take_step, for reference (8 agreements of their own each; not a path Accord uses):
  stripped step (sqlite3)   only the work every step must do: a copy of the cached agreement, the request
                    digest, the domain command with its event hash, the event's JSON, the event and its chain
                    row written with raw sqlite3 statements (BEGIN, two INSERTs, COMMIT), a copy back; no
                    library save, no pool, no writer gate, no cache bookkeeping, no checks
  stripped step (recorder)  the same, the event written by Accord's recorder (pool, gate, chain)
  stripped step (save)      the same, saved by the application's save (the library's save around the recorder)
After the runs, the chain of the whole log is verified (the stripped steps append to it too).

Each run does N operations in one thread and gives operations per second; measures are interleaved run by
run (so load on the machine hits them alike); the table shows the median, min and max of the runs and the
ratio to the recorder insert (the median of the per-run ratios). Goal: take_step >= {GOAL:.2f} of the recorder insert.
"""

EPILOG = """\
examples:
  .venv/bin/python -m bench.command --quick
  .venv/bin/python -m bench.command --backend postgres --ops 1000 --runs 7 --json var/command.json
  .venv/bin/python -m bench.command --backend sqlite --profile var/command.prof   # cProfile of take_step
"""


def rate(ops: int, operation: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for i in range(ops):
        operation(i)
    return ops / (time.perf_counter() - started)


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    ops = args.ops or pick(args, OPS)
    runs = args.runs or pick(args, RUNS)
    with fresh_store(backend, "cmdraw", keep=args.keep) as raw_storage, \
            fresh_store(backend, "cmdchain", keep=args.keep) as chain_storage, \
            fresh_store(backend, "cmd", keep=args.keep) as storage, \
            open_services(chain_storage) as chained, open_services(storage) as services:
        library = library_application(raw_storage)
        driver = DriverStore(raw_storage)
        uncached = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": ""})
        stripped: list[StrippedStep] = []
        try:
            driver.create_table()
            samples = step_events(services.app, 200)
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
                "recorder insert (library)": insert_with(library.recorder),
                "driver insert": driver_insert,
                "Accord recorder insert (+ chain)": insert_with(chained.app.recorder),
                "take_step (cache on)": lambda _i: stepper.step(),
                "take_step (no cache)": lambda _i: stepper.step(uncached.agreements),
                "create": lambda _i: stepper.create(in_turn=False),  # the steps stay on their 8 agreements
            }
            if backend == "sqlite":
                for via in StrippedStep.VIA:
                    stripped.append(StrippedStep(services, storage, via))
                    measures[f"stripped step ({via})"] = stripped[-1].step
            if args.profile:
                profile_steps(stepper, ops, f"{args.profile}.{backend}")
            rates: dict[str, list[float]] = {name: [] for name in measures}
            for run in range(runs):
                say(f"{backend}: run {run + 1}/{runs}, {ops:,} operations per measure")
                for name, operation in measures.items():
                    rates[name].append(rate(ops, operation))
            stored = library.recorder.max_notification_id() or 0
            expected = ops * runs
            if stored < expected or driver.count() < expected:
                raise AssertionError(f"the baselines stored {stored} events and {driver.count()} rows, "
                                     f"expected {expected}")
            if backend == "sqlite":
                checked = verify(services.app.recorder)
                if not checked.ok:
                    raise AssertionError(f"the log's chain does not verify after the runs: {checked.problems}")
            version = backend_version(services)
        finally:
            for step in stripped:
                step.close()
            uncached.close()
            driver.close()
            library.close()
    base = "recorder insert (library)"
    rows = []
    for name, values in rates.items():
        ratio = None if name == base else paired_ratio(values, rates[base])
        goal, passed = at_least(ratio, GOAL) if name == "take_step (cache on)" else (None, None)
        rows.append(figure(name, "ops/s", values, n=ops, baseline=None if name == base else "recorder",
                           ratio=ratio, goal=goal, passed=passed))
    mean_state = sum(len(s.state) for s in samples) / len(samples)
    return {"title": "command path in process vs raw recorder insert", "version": version, "rows": rows,
            "ops": ops, "runs": runs,
            "notes": [f"one operation per transaction, one thread; step events average {mean_state:,.0f} bytes "
                      "of stored state; ratio = ops/s / recorder insert ops/s, the median of the per-run ratios "
                      "(runs interleaved)"]}


class StrippedStep:
    """A step with only the work every step must do, for the floor under ``take_step`` (SQLite only).

    It keeps what a step records: the request digest, the domain command (its checks and event hash), the
    event's JSON, the event with its chain row in one transaction, and the two copies that keep a cached
    aggregate safe. It leaves out everything between the domain and SQLite: the library's ``save``, the
    pool, the writer gate, the cache's bookkeeping, the role, stage and version checks (``via="sqlite3"``);
    or it writes through Accord's recorder (``"recorder"``) or the application's ``save`` (``"save"``).
    Not a write path Accord uses: nothing here refuses a conflicting write or a wrong role."""

    VIA = ("sqlite3", "recorder", "save")

    def __init__(self, services: Any, storage: dict[str, str], via: str):
        self.app, self.service, self.via = services.app, services.agreements, via
        self.stepper = Stepper(services)
        self.aggregates = {entry[0]: self.service.get(entry[0]) for entry in self.stepper.agreements}
        self.connection = sqlite3.connect(storage["SQLITE_DBNAME"], isolation_level=None, timeout=5)
        recorder = self.app.recorder
        self.insert_event = (f"INSERT INTO {recorder.events_table_name} "
                             "(originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)")
        self.insert_chain_row = f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?, ?, ?)"
        self.chain_end = f"SELECT position, running_hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1"
        self.tail: tuple[int, str] | None = None

    def step(self, _i: int) -> None:
        stepper = self.stepper
        entry = stepper.agreements[stepper.count % len(stepper.agreements)]
        name, actor = STEP_CYCLE[entry[2]]
        fields = step_fields(name, stepper.count)
        aggregate = working_copy(self.aggregates[entry[0]])
        context = with_digest(stepper.context(), actor, name, fields)
        step_def = self.service.step_definition(self.service.workflow_of(aggregate), name)
        getattr(aggregate, name)(by=actor, context=context, **to_domain(step_def.fields, fields))
        if self.via == "save":
            self.app.save(aggregate)
        else:
            stored = [self.app.mapper.to_stored_event(event) for event in aggregate.collect_events()]
            if self.via == "recorder":
                self.app.recorder.insert_events(stored)
            else:
                self._insert(stored[0])
        self.aggregates[entry[0]] = working_copy(aggregate)
        entry[1], entry[2] = aggregate.version, (entry[2] + 1) % len(STEP_CYCLE)

    def _insert(self, stored: Any) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        try:
            cursor.execute(self.insert_event, (stored.originator_id.hex, stored.originator_version, stored.topic,
                                               stored.state))
            position = cursor.lastrowid
            if self.tail is None or self.tail[0] + 1 != position:  # another writer appended since
                cursor.execute(self.chain_end)
                self.tail = cursor.fetchone()
            [row] = chain_rows(self.tail[1], [position], [stored])
            cursor.execute(self.insert_chain_row, row)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            self.tail = None
            raise
        self.tail = (position, row[2])

    def close(self) -> None:
        self.connection.close()


def profile_steps(stepper: Stepper, ops: int, path: str) -> None:
    """A cProfile of ``ops`` steps (cache on), written to ``path`` and summarised on stderr."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(ops):
        stepper.step()
    profiler.disable()
    profiler.dump_stats(path)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    say(f"profile of {ops} steps written to {path}; top by cumulative time:\n{out.getvalue()}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.command", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_suite_arguments(parser)
    parser.add_argument("--ops", type=int, help="operations per run of each measure (default 400; --quick 150; "
                                                "--smoke 20)")
    parser.add_argument("--profile", metavar="FILE", help="also write a cProfile of the steps to FILE.<backend>")
    args = parser.parse_args(argv)
    if (args.ops is not None and args.ops < 1) or (args.runs is not None and args.runs < 1):
        parser.error("--ops and --runs must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    run_suite_benchmark("command", args, measure, show_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
