"""Long-lived aggregates: loading an agreement of 10,000 events against one of 10 (snapshots, cache).

In a fresh store, the real domain commands write three agreements (snapshots every SNAPSHOT_INTERVAL events,
default 100): of 10 events, of L events (default 10,000: a snapshot at its last version) and of L + interval
- 1 (the worst case: interval - 1 events to replay after the snapshot); drafted, cleared, in negotiation,
then round after round of new texts, legal reviews and negotiation rounds, 70% of the steps keyed.

Runs of K loads through AgreementService.get (as the API's GET and every step), interleaved; ms per load:
  cold           AGGREGATE_CACHE_MAXSIZE="" (no cache): the snapshot and later events, or all events
  cached         the production default: the cached copy, brought up to date from the store
  no snapshots   SNAPSHOT_INTERVAL=0, no cache: every event replayed (what snapshots save)
Target: a cold load of the large agreement costs <= 2x a cold load of the 10-event one (the worst case is
shown too). So are the snapshots' sizes: nothing an aggregate holds should grow with its history.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench import suite
from bench.stores import backend_version, fresh_store, open_services
from bench.stories import IR_OFFICERS, LEGAL_OFFICERS, Agreements
from bench.suite import at_most, figure, median, pick, say
from bootstrap.services import Services
from domain.lifecycle import RECENT_ENTRIES, REMEMBERED_REQUESTS
from domain.values import ReviewOutcome

GOAL = 2.0
SMALL = 10
LARGE = {"smoke": 300, "quick": 2_000, "full": 10_000}
LOADS = {"smoke": 5, "quick": 20, "full": 40}
RUNS = {"smoke": 2, "quick": 3, "full": 5}
SAVE_EVERY = 50
EPILOG = """\
examples:
  .venv/bin/python -m bench.aggregates --quick
  .venv/bin/python -m bench.aggregates --backend postgres --events 20000 --snapshot-interval 50
"""


def write_agreement(services: Services, events: int, seed: int) -> Any:
    """An agreement of exactly ``events`` events through the real commands; its id."""
    maker = Agreements(seed)
    rng = maker.rng
    ir, legal = IR_OFFICERS[0], LEGAL_OFFICERS[0]
    a = maker.start()
    texts = 0

    def attach() -> None:
        nonlocal texts
        texts += 1
        a.attach_text(by=ir, context=maker.context(), document=maker.document("Long-lived", texts))

    script: list[Callable[[], None]] = [
        attach,
        lambda: a.request_legal_review(by=ir, context=maker.context()),
        lambda: a.complete_legal_review(by=legal, context=maker.context(), outcome=ReviewOutcome.CLEARED),
        lambda: a.open_negotiation(by=ir, context=maker.context()),
    ]
    cycle: list[Callable[[], None]] = [
        lambda: a.record_round(by=ir, context=maker.context(), held_on=maker.today,
                               summary=f"Round on articles {rng.randint(1, 9)} to {rng.randint(10, 20)}."),
        attach,
        lambda: a.request_legal_review(by=ir, context=maker.context()),
        lambda: a.complete_legal_review(by=legal, context=maker.context(), outcome=ReviewOutcome.CHANGES_REQUESTED,
                                        comments="See the marked-up text."),
    ]
    say(f"  writing an agreement of {events:,} events")
    step = 0
    while a.version < events:
        (script[step] if step < len(script) else cycle[(step - len(script)) % len(cycle)])()
        step += 1
        if len(a.pending_events) >= SAVE_EVERY or a.version == events:
            services.app.save(a)
    return a.id


def load_ms(service: Any, aggregate_id: Any, loads: int, expected: int) -> float:
    started = time.perf_counter()
    for _ in range(loads):
        aggregate = service.get(aggregate_id)
    seconds = time.perf_counter() - started
    if aggregate.version != expected:
        raise AssertionError(f"loaded version {aggregate.version}, expected {expected}")
    return 1000 * seconds / loads


def snapshot_size(services: Services, aggregate_id: Any) -> int:
    """The size of the latest snapshot as the recorder holds it (0: none)."""
    snapshots = services.app.snapshots
    found = snapshots.recorder.select_events(aggregate_id, desc=True, limit=1) if snapshots else []
    return len(found[0].state) if found else 0


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    large, loads, runs = args.events or pick(args, LARGE), pick(args, LOADS), args.runs or pick(args, RUNS)
    interval = args.snapshot_interval
    versions = {"small": SMALL, "large": large, "worst": large + (interval if interval > 0 else 100) - 1}
    with fresh_store(backend, "aggr", keep=args.keep) as storage:
        storage = {**storage, "SNAPSHOT_INTERVAL": str(interval)}
        with open_services(storage) as services:
            ids = {label: write_agreement(services, events, seed)
                   for seed, (label, events) in enumerate(versions.items(), start=1)}
            sizes = {label: snapshot_size(services, ids[label]) for label in ids}
            version = backend_version(services)
        cold = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": ""})
        cached = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": "1000"})
        unsnapped = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": "", "SNAPSHOT_INTERVAL": "0"})
        try:
            plan = [("cold", cold, label) for label in ids] + [("cached", cached, label) for label in ids] + \
                [("no snapshots", unsnapped, "small"), ("no snapshots", unsnapped, "large")]
            for _kind, services, label in plan:  # warm up: connections, statements, the cache
                load_ms(services.agreements, ids[label], 2, versions[label])
            times: dict[tuple[str, str], list[float]] = {(kind, label): [] for kind, _, label in plan}
            for run in range(runs):
                say(f"{backend}: run {run + 1}/{runs}, {loads} loads per measure")
                for kind, services, label in plan:
                    n = max(1, loads // 10) if kind == "no snapshots" and label == "large" else loads
                    times[(kind, label)].append(load_ms(services.agreements, ids[label], n, versions[label]))
        finally:
            for services in (cold, cached, unsnapped):
                services.close()
    names = {"small": f"{SMALL} events", "large": f"{large:,} events",
             "worst": f"{versions['worst']:,} events (worst case)"}
    rows = []
    for kind, label in times:
        values = times[(kind, label)]
        ratio = None if label == "small" else median(values) / median(times[(kind, "small")])
        goal, passed = at_most(ratio, GOAL) if kind == "cold" and ratio is not None else (None, None)
        rows.append(figure(f"{kind} load, {names[label]}", "ms", values, n=versions[label],
                           baseline=None if label == "small" else f"{kind} {SMALL}", ratio=ratio, goal=goal,
                           passed=passed))
    rows += [figure(f"snapshot size, {names[label]}", "KiB", [sizes[label] / 1024], n=versions[label])
             for label in ("large", "worst")]
    return {"title": f"loading long-lived agreements (snapshot interval {interval})", "version": version,
            "rows": rows, "snapshot_bytes": sizes,
            "notes": [f"ms per load, {loads} loads per run; ratio = ms / ms of the {SMALL}-event agreement loaded "
                      "the same way; the snapshot holds the aggregate's state: the idempotency keys of its latest "
                      f"{REMEMBERED_REQUESTS} keyed steps, its latest {RECENT_ENTRIES} rounds and their count"]}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.aggregates", __doc__, EPILOG)
    parser.add_argument("--events", type=int, help="events of the large agreement (default 10,000; --quick 2,000; "
                                                   "--smoke 300)")
    parser.add_argument("--snapshot-interval", type=int, default=100,
                        help="SNAPSHOT_INTERVAL of the application (default 100, Accord's default)")
    args = parser.parse_args(argv)
    if (args.events is not None and args.events <= SMALL) or (args.runs is not None and args.runs < 1) \
            or args.snapshot_interval < 0:
        parser.error(f"--events must be above {SMALL}, --runs positive, --snapshot-interval >= 0")
    return args


if __name__ == "__main__":
    sys.exit(suite.main("aggregates", parse, measure))
