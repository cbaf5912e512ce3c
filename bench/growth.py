"""Growth: the same step on a small and on a very large store, and the memory of replaying the whole log.

A fresh store gets 8 agreements for the measured steps and a realistic log up to 1,000 events (the real
domain commands, stories interleaved), then grows to L events (default 1,000,000) with copies of real stored
stories under new ids (keeping their templates' hashes: nothing verifies this store; --rehash makes one that
would). At 1,000 and at L events:
  - a fresh application (production settings) takes steps through AgreementService.take_step on the 8
    agreements (keyed, with the expected version) and creates agreements: ms per operation, runs of N.
    Target: a step on L events costs <= 1.5x a step on 1,000;
  - a child process replays the whole log (pages of 1,000, every event decoded, as a rebuild reads it;
    --rebuild-view VIEW: also `accord projections rebuild VIEW`): its peak RSS. Target: + < 32 MiB at L.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench import suite
from bench.harness import accord_cli, child_max_rss, clean_env, proc_status
from bench.stores import backend_version, fresh_store, open_services
from bench.stories import LogCopier, LogWriter, Stepper
from bench.suite import at_most, figure, median, pick, say, timed
from bootstrap.services import Services

GOAL = 1.5
MEMORY_LIMIT = 32 * 2**20
SMALL = 1_000
LARGE = {"smoke": 5_000, "quick": 50_000, "full": 1_000_000}
OPS = {"smoke": 10, "quick": 40, "full": 60}
RUNS = {"smoke": 2, "quick": 3, "full": 5}
PAGE = 1000
EPILOG = """\
examples:
  .venv/bin/python -m bench.growth --quick
  .venv/bin/python -m bench.growth --backend sqlite --events 2000000
  .venv/bin/python -m bench.growth --backend postgres --rebuild-view journal
"""


def child_replay(storage: dict[str, str]) -> None:
    """In a child process: read and decode every event of the log; print the count and the peak RSS."""
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
    """The peak RSS of a child replaying the log, and of `accord projections rebuild VIEW` for each view."""
    env = clean_env(storage)
    child = child_max_rss([sys.executable, "-m", "bench.growth", "--child-replay", json.dumps(storage)], env)
    done = json.loads(child["stdout"].strip().splitlines()[-1])
    if done["events"] != expected:
        raise AssertionError(f"the replay read {done['events']} events, expected {expected}")
    out = {"replay": {"max_rss": max(child["max_rss"], done["hwm"]), "seconds": done["seconds"]}}
    for view in views:
        out[f"rebuild {view}"] = child_max_rss([accord_cli(), "projections", "rebuild", view], env)
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
        creates = max(1, ops // 4)
        out: dict[str, list[float]] = {"step": [], "create": []}
        for _ in range(runs):
            out["step"].append(1000 * timed(lambda: [stepper.step() for _ in range(ops)])[0] / ops)
            out["create"].append(1000 * timed(lambda: [created.create() for _ in range(creates)])[0] / creates)
        return out
    finally:
        services.close()


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    large, ops, runs = args.events or pick(args, LARGE), args.ops or pick(args, OPS), args.runs or pick(args, RUNS)
    points: list[dict[str, Any]] = []
    with fresh_store(backend, "growth", keep=args.keep) as storage, open_services(storage) as services:
        version = backend_version(services)
        stepper = Stepper(services, agreements=8, prefix="setup")
        LogWriter(services, in_flight=50, per_save=10).write_until(SMALL, f"{backend}: writing a realistic log")
        copier = LogCopier(services.app, rehash=args.rehash)
        write_seconds = 0.0
        for target in (SMALL, large):
            if target > SMALL:
                write_seconds += copier.grow_to(target, f"{backend}: growing the log to {target:,}")
            head = services.app.recorder.max_notification_id() or 0
            say(f"{backend}: at {head:,} events: replay memory, then {runs} runs of {ops} steps")
            points.append({"events": head, "memory": replay_memory(storage, head, args.rebuild_view),
                           "times": time_operations(storage, ops, runs, f"at{target}", stepper.agreements)})
    small, big = points
    rows = []
    for kind in ("step", "create"):
        ratio = median(big["times"][kind]) / median(small["times"][kind])
        goal, passed = at_most(ratio, GOAL) if kind == "step" else (None, None)
        rows.append(figure(f"{kind} @ {small['events']:,} events", "ms", small["times"][kind], n=small["events"]))
        rows.append(figure(f"{kind} @ {big['events']:,} events", "ms", big["times"][kind], n=big["events"],
                           baseline=f"@ {small['events']:,}", ratio=ratio, goal=goal, passed=passed))
    notes = [f"bulk growth {SMALL:,} -> {large:,} events at {(large - SMALL) / max(write_seconds, 1e-9):,.0f} "
             f"events/s; steps on 8 agreements in turn, {ops} per run"]
    n, big_n = small["events"], big["events"]
    for name in small["memory"]:
        s, g = small["memory"][name], big["memory"][name]
        growth = g["max_rss"] - s["max_rss"]
        rows.append(figure(f"{name}: max RSS @ {n:,}", "MiB", [s["max_rss"] / 2**20], n=n))
        rows.append(figure(f"{name}: max RSS @ {big_n:,}", "MiB", [g["max_rss"] / 2**20], n=big_n,
                           baseline=f"@ {n:,}", ratio=g["max_rss"] / s["max_rss"],
                           goal=f"+ < {MEMORY_LIMIT / 2**20:.0f} MiB", passed=growth < MEMORY_LIMIT))
        rows.append(figure(f"{name}: rate @ {big_n:,}", "events/s", [big_n / g["seconds"]], n=big_n))
        notes.append(f"{name}: max RSS grew by {growth / 2**20:+.1f} MiB from {n:,} to {big_n:,} events "
                     f"(target < {MEMORY_LIMIT / 2**20:.0f} MiB); {g['seconds']:.1f} s at {big_n:,}")
    return {"title": f"growth: {SMALL:,} vs {large:,} events", "version": version, "rows": rows, "notes": notes}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.growth", __doc__, EPILOG)
    parser.add_argument("--events", type=int, help="events of the large store (default 1,000,000; --quick 50,000; "
                                                   "--smoke 5,000)")
    parser.add_argument("--ops", type=int, help="steps per run (default 60; --quick 40; --smoke 10)")
    parser.add_argument("--rebuild-view", action="append", default=[], metavar="VIEW",
                        help="also measure the peak RSS of `accord projections rebuild VIEW` (repeatable)")
    parser.add_argument("--rehash", action="store_true", help="re-hash the copied events (a store that verifies)")
    parser.add_argument("--child-replay", metavar="STORAGE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.child_replay and ((args.events is not None and args.events <= SMALL * 2) or
                                  any(n is not None and n < 1 for n in (args.runs, args.ops))):
        parser.error(f"--events must be above {2 * SMALL:,}; --runs and --ops positive")
    return args


if __name__ == "__main__":
    if "--child-replay" in sys.argv:
        sys.exit(child_replay(json.loads(parse(sys.argv[1:]).child_replay)))
    sys.exit(suite.main("growth", parse, measure))
