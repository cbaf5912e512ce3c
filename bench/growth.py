"""Growth: the same step on a small and on a very large store, and the memory of replaying the whole log.

Run ``.venv/bin/python -m bench.growth --help`` for what is measured and the goals (issue 5).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench.common import (
    LogWriter,
    Progress,
    Stepper,
    accord_cli,
    add_suite_arguments,
    at_most,
    backend_version,
    child_max_rss,
    clean_env,
    figure,
    fresh_store,
    grow_log,
    median,
    mib,
    open_services,
    pick,
    proc_status,
    run_suite_benchmark,
    say,
    show_rows,
    story_templates,
    timed,
)
from bootstrap.services import Services

GOAL = 1.5
MEMORY_LIMIT = 32 * 2**20
SMALL = 1_000
LARGE = {"smoke": 5_000, "quick": 50_000, "full": 1_000_000}
OPS = {"smoke": 10, "quick": 40, "full": 60}
RUNS = {"smoke": 2, "quick": 3, "full": 5}
PAGE = 1000

DESCRIPTION = f"""\
Growth (issue 5, "Growth"), on SQLite and/or PostgreSQL, in one fresh store that grows.

1. The store gets 8 agreements for the measured steps, then a realistic log up to {SMALL:,} events (LogWriter:
   the real domain commands, stories interleaved). Then it grows to L events (default 1,000,000; --quick
   50,000) fast: copies of real stored stories (made by the real commands and mapper) under new aggregate
   ids, interleaved, 5,000 events per transaction (SQLite: Accord's own recorder; PostgreSQL: COPY of the
   same rows, events and global chain), keeping their templates' hashes (nothing verifies this store;
   --rehash re-hashes every copy so that it would, at about half the speed).
2. At {SMALL:,} and at L events, a fresh application (production settings: cache on, snapshots every 100)
   takes steps through AgreementService.take_step on the 8 agreements (attach_text -> request_legal_review ->
   complete_legal_review, keyed, with the expected version), and creates agreements: ms per operation, runs
   of N operations (median, min, max). Goal: a step on L events costs <= {GOAL}x a step on {SMALL:,}.
3. At both sizes, a child process replays the whole log (select_notifications in pages of {PAGE:,} and the
   mapper's decoding of every event, as a projection rebuild reads it; --rebuild-view VIEW runs the real
   `accord projections rebuild VIEW` instead or as well): its max RSS (wait4). Goal: the max RSS at L
   exceeds the max RSS at {SMALL:,} by less than {mib(MEMORY_LIMIT)}.
"""

EPILOG = """\
examples:
  .venv/bin/python -m bench.growth --quick
  .venv/bin/python -m bench.growth --backend sqlite --events 2000000
  .venv/bin/python -m bench.growth --backend postgres --rebuild-view journal
"""


def child_replay(storage: dict[str, str]) -> None:
    """In a child process: read and decode every event of the log, print the count."""
    services = Services({**storage, "CREATE_TABLE": "n"})
    try:
        recorder, mapper = services.app.recorder, services.app.mapper
        position = count = 0
        started = time.perf_counter()
        while page := recorder.select_notifications(position, limit=PAGE, inclusive_of_start=False):
            for notification in page:
                mapper.to_domain_event(notification)
            count += len(page)
            position = page[-1].id
        print(json.dumps({"events": count, "seconds": time.perf_counter() - started,
                          "hwm": proc_status("self", "VmHWM")}))
    finally:
        services.close()


def replay_memory(storage: dict[str, str], expected: int, views: Sequence[str]) -> dict[str, Any]:
    """Max RSS of a child replaying the log, and of `accord projections rebuild VIEW` for each view."""
    env = clean_env(storage)
    out: dict[str, Any] = {}
    child = child_max_rss([sys.executable, "-m", "bench.growth", "--child-replay", json.dumps(storage)], env)
    done = json.loads(child["stdout"].strip().splitlines()[-1])
    if done["events"] != expected:
        raise AssertionError(f"the replay read {done['events']} events, expected {expected}")
    out["replay"] = {"max_rss": max(child["max_rss"], done["hwm"]), "seconds": child["seconds"],
                     "events": done["events"], "rate": done["events"] / done["seconds"]}

    for view in views:
        child = child_max_rss([accord_cli(), "projections", "rebuild", view], env)
        out[f"rebuild {view}"] = {"max_rss": child["max_rss"], "seconds": child["seconds"], "events": expected,
                                  "rate": expected / child["seconds"]}
    return out


def time_operations(storage: dict[str, str], ops: int, runs: int, prefix: str, agreements: list[list[Any]]
                    ) -> dict[str, list[float]]:
    """ms per step and per create on a fresh application (production settings), runs of ``ops``."""
    services = Services(storage)
    try:
        stepper = Stepper(services, agreements=0, prefix=prefix)
        stepper.agreements = agreements
        for _ in range(4):  # warm up: connections, statements, cache, snapshots
            stepper.step()
        created = Stepper(services, agreements=0, prefix=prefix + "c")
        created.create()
        out: dict[str, list[float]] = {"step": [], "create": []}
        for _ in range(runs):
            seconds, _ = timed(lambda: [stepper.step() for _ in range(ops)])
            out["step"].append(1000 * seconds / ops)
            seconds, _ = timed(lambda: [created.create() for _ in range(max(1, ops // 4))])
            out["create"].append(1000 * seconds / max(1, ops // 4))
        return out
    finally:
        services.close()


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    large = args.events or pick(args, LARGE)
    ops = args.ops or pick(args, OPS)
    runs = args.runs or pick(args, RUNS)
    points: list[dict[str, Any]] = []
    with fresh_store(backend, "growth", keep=args.keep) as storage, open_services(storage) as services:
        version = backend_version(services)
        stepper = Stepper(services, agreements=8, prefix="setup")
        progress = Progress(f"{backend}: writing a realistic log up to {SMALL:,} events", SMALL)
        LogWriter(services, in_flight=50, per_save=10).write_until(SMALL, progress)
        progress.close()
        templates = story_templates(services.app, 300)
        bulk = None
        write_seconds = 0.0
        for target in (SMALL, large):
            if target > SMALL:
                bulk, seconds = grow_log(services, target, templates, f"{backend}: growing the log to {target:,}",
                                         bulk, rehash=args.rehash)
                write_seconds += seconds
            head = services.app.recorder.max_notification_id() or 0
            say(f"{backend}: at {head:,} events: replay memory, then {runs} runs of {ops} steps")
            memory = replay_memory(storage, head, args.rebuild_view)
            times = time_operations(storage, ops, runs, f"at{target}", stepper.agreements)
            points.append({"events": head, "memory": memory, "times": times})
        events_per_s = (large - SMALL) / write_seconds if write_seconds else 0.0
    small, big = points
    rows = []
    for kind in ("step", "create"):
        base = median(small["times"][kind])
        rows.append(figure(f"{kind} @ {small['events']:,} events", "ms", small["times"][kind], n=small["events"]))
        ratio = median(big["times"][kind]) / base
        goal, passed = at_most(ratio, GOAL) if kind == "step" else (None, None)
        rows.append(figure(f"{kind} @ {big['events']:,} events", "ms", big["times"][kind], n=big["events"],
                           baseline=f"@ {small['events']:,}", ratio=ratio, goal=goal, passed=passed))
    notes = [f"bulk growth {SMALL:,} -> {large:,} events at {events_per_s:,.0f} events/s; steps on 8 agreements "
             f"in turn, {ops} per run"]
    memory_rows = {}
    for name in small["memory"]:
        s, g = small["memory"][name], big["memory"][name]
        growth = g["max_rss"] - s["max_rss"]
        memory_rows[name] = growth
        rows.append(figure(f"{name}: max RSS @ {s['events']:,}", "MiB", [s["max_rss"] / 2**20], n=s["events"]))
        rows.append(figure(f"{name}: max RSS @ {g['events']:,}", "MiB", [g["max_rss"] / 2**20], n=g["events"],
                           baseline=f"@ {s['events']:,}", ratio=g["max_rss"] / s["max_rss"],
                           goal=f"+ < {MEMORY_LIMIT / 2**20:.0f} MiB", passed=growth < MEMORY_LIMIT))
        rows.append(figure(f"{name}: rate @ {g['events']:,}", "events/s", [g["rate"]], n=g["events"]))
        notes.append(f"{name}: max RSS grew by {growth / 2**20:+.1f} MiB from {s['events']:,} to {g['events']:,} "
                     f"events (goal < {MEMORY_LIMIT / 2**20:.0f} MiB); {g['seconds']:.1f} s at {g['events']:,}")
    return {"title": f"growth: {SMALL:,} vs {large:,} events", "version": version, "rows": rows, "points": points,
            "rss_growth": memory_rows, "bulk_events_per_s": events_per_s, "notes": notes}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_suite_arguments(parser)
    parser.add_argument("--events", type=int, help="events of the large store (default 1,000,000; --quick 50,000; "
                                                   "--smoke 5,000)")
    parser.add_argument("--ops", type=int, help="steps per run (default 60; --quick 40; --smoke 10)")
    parser.add_argument("--rebuild-view", action="append", default=[], metavar="VIEW",
                        help="also measure the max RSS of `accord projections rebuild VIEW` (repeatable)")
    parser.add_argument("--rehash", action="store_true", help="re-hash the copied events (a store that verifies)")
    parser.add_argument("--child-replay", metavar="STORAGE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_replay:
        return args
    if (args.events is not None and args.events <= SMALL * 2) or (args.runs is not None and args.runs < 1) \
            or (args.ops is not None and args.ops < 1):
        parser.error(f"--events must be above {2 * SMALL:,}; --runs and --ops positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.child_replay:
        child_replay(json.loads(args.child_replay))
        return 0
    run_suite_benchmark("growth", args, measure, show_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
