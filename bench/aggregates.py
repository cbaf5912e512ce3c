"""Long-lived aggregates: loading an agreement with 10,000 events against one with 10 (snapshots, cache).

Run ``.venv/bin/python -m bench.aggregates --help`` for what is measured and the goal (issue 5).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.common import (
    IR_OFFICERS,
    LEGAL_OFFICERS,
    Agreements,
    Progress,
    add_suite_arguments,
    at_most,
    backend_version,
    figure,
    fresh_store,
    median,
    open_services,
    pick,
    run_suite_benchmark,
    say,
    show_rows,
)
from bootstrap.services import Services
from domain.lifecycle import RECENT_ENTRIES, REMEMBERED_REQUESTS
from domain.values import ReviewOutcome

GOAL = 2.0
SMALL = 10
LARGE = {"smoke": 300, "quick": 2_000, "full": 10_000}
LOADS = {"smoke": 5, "quick": 20, "full": 40}
RUNS = {"smoke": 2, "quick": 3, "full": 5}
SAVE_EVERY = 50

DESCRIPTION = f"""\
Long-lived aggregates (issue 5, "Long-lived aggregates"), on SQLite and/or PostgreSQL, in a fresh store.

Three agreements are written with the real domain commands (saved {SAVE_EVERY} events per save, snapshots
taken by the application every SNAPSHOT_INTERVAL events, default 100): one of {SMALL} events, one of L
events (default 10,000: a snapshot sits exactly at its last version) and one of L + interval - 1 events (the
worst case: the snapshot plus interval - 1 events to replay). Their story: drafted, cleared, in negotiation,
then round after round of new texts, legal reviews (changes requested) and negotiation rounds, 70% of the
steps with an idempotency key, as the API records them.

Loads through AgreementService.get (as the API's GET and every step do), each measure a run of K loads
(ms per load: median, min and max of the runs, runs interleaved):
  cold      AGGREGATE_CACHE_MAXSIZE="" (no cache): snapshot + later events from the store, or all events
  cached    the production default (cache on): the cached copy, brought up to date from the store
  no snapshots   SNAPSHOT_INTERVAL=0, no cache: every event replayed (what snapshots save), for reference
Goal: a cold load of the large agreement costs <= {GOAL:.0f}x a cold load of the {SMALL}-event one (also
shown for the worst case, where interval - 1 events are replayed after the snapshot). The snapshot's size is
shown, and what takes room in it, attribute by attribute: nothing an aggregate holds should grow with its history.
"""

EPILOG = """\
examples:
  .venv/bin/python -m bench.aggregates --quick
  .venv/bin/python -m bench.aggregates --backend postgres --events 20000 --snapshot-interval 50
"""


def write_agreement(services: Services, events: int, seed: int, progress: Progress | None = None) -> Any:
    """An agreement of exactly ``events`` events through the real commands; returns its id."""
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
    step = 0
    while a.version < events:
        if step < len(script):
            script[step]()
        else:
            cycle[(step - len(script)) % len(cycle)]()
        step += 1
        if len(a.pending_events) >= SAVE_EVERY or a.version == events:
            count = len(a.pending_events)
            services.app.save(a)
            if progress:
                progress.update(count)
    return a.id


def load_ms(service: Any, aggregate_id: Any, loads: int, expected: int) -> float:
    started = time.perf_counter()
    for _ in range(loads):
        aggregate = service.get(aggregate_id)
    seconds = time.perf_counter() - started
    if aggregate.version != expected:
        raise AssertionError(f"loaded version {aggregate.version}, expected {expected}")
    return 1000 * seconds / loads


def stored_snapshot(services: Services, aggregate_id: Any) -> bytes | None:
    """The latest snapshot's stored bytes, as the recorder holds them."""
    snapshots = services.app.snapshots
    if snapshots is None:
        return None
    found = snapshots.recorder.select_events(aggregate_id, desc=True, limit=1)
    return found[0].state if found else None


def snapshot_size(services: Services, aggregate_id: Any) -> int:
    stored = stored_snapshot(services, aggregate_id)
    return len(stored) if stored is not None else 0


def snapshot_breakdown(services: Services, aggregate_id: Any) -> dict[str, int]:
    """Bytes of each attribute's JSON in the latest snapshot's state, largest first (uncompressed)."""
    stored = stored_snapshot(services, aggregate_id)
    mapper = services.app.snapshots.mapper if services.app.snapshots else None
    if stored is None or mapper is None or mapper.cipher or mapper.compressor:
        return {}
    state = json.loads(stored)["state"]
    sizes = {name: len(json.dumps(value, separators=(",", ":"), ensure_ascii=False)) for name, value in state.items()}
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def breakdown_note(label: str, sizes: dict[str, int], shown: int = 4) -> str:
    top = [f"{name} {size / 1024:.1f}" for name, size in list(sizes.items())[:shown]]
    rest = sum(list(sizes.values())[shown:])
    return f"snapshot of the {label} agreement by attribute (KiB of JSON): {', '.join(top)}, " \
           f"{len(sizes) - shown} others {rest / 1024:.1f}"


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    large = args.events or pick(args, LARGE)
    loads = pick(args, LOADS)
    runs = args.runs or pick(args, RUNS)
    interval = args.snapshot_interval
    worst = large + interval - 1 if interval > 0 else large + 99
    with fresh_store(backend, "aggr", keep=args.keep) as storage:
        storage = {**storage, "SNAPSHOT_INTERVAL": str(interval)}
        with open_services(storage) as services:
            ids: dict[str, Any] = {}
            for label, events, seed in (("small", SMALL, 1), ("large", large, 2), ("worst", worst, 3)):
                progress = Progress(f"{backend}: writing an agreement of {events:,} events", events)
                ids[label] = write_agreement(services, events, seed, progress)
                progress.close()
            sizes = {label: snapshot_size(services, ids[label]) for label in ids}
            breakdown = snapshot_breakdown(services, ids["large"])
            version = backend_version(services)
        cold = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": ""})
        cached = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": "1000"})
        unsnapped = Services({**storage, "AGGREGATE_CACHE_MAXSIZE": "", "SNAPSHOT_INTERVAL": "0"})
        try:
            versions = {"small": SMALL, "large": large, "worst": worst}
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
            cold.close()
            cached.close()
            unsnapped.close()
    names = {"small": f"{SMALL} events", "large": f"{large:,} events",
             "worst": f"{worst:,} events (worst case)"}
    rows = []
    for kind in ("cold", "cached", "no snapshots"):
        base = median(times[(kind, "small")])
        for label in ("small", "large", "worst"):
            if (kind, label) not in times:
                continue
            values = times[(kind, label)]
            ratio = None if label == "small" else median(values) / base
            goal, passed = at_most(ratio, GOAL) if kind == "cold" and ratio is not None else (None, None)
            rows.append(figure(f"{kind} load, {names[label]}", "ms", values, n=versions[label],
                               baseline=None if label == "small" else f"{kind} {SMALL}", ratio=ratio, goal=goal,
                               passed=passed))
    for label in ("large", "worst"):
        rows.append(figure(f"snapshot size, {names[label]}", "KiB", [sizes[label] / 1024], n=versions[label]))
    return {"title": f"loading long-lived agreements (snapshot interval {interval})", "version": version,
            "rows": rows, "snapshot_bytes": sizes, "snapshot_breakdown": breakdown, "loads": loads, "runs": runs,
            "notes": [f"ms per load, {loads} loads per run; ratio = ms / ms of the {SMALL}-event agreement loaded "
                      "the same way; the snapshot holds the aggregate's state: the idempotency keys of its latest "
                      f"{REMEMBERED_REQUESTS} keyed steps, its latest {RECENT_ENTRIES} rounds and their count",
                      *([breakdown_note(f"{large:,}-event", breakdown)] if breakdown else [])]}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.aggregates", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_suite_arguments(parser)
    parser.add_argument("--events", type=int, help="events of the large agreement (default 10,000; --quick 2,000; "
                                                   "--smoke 300)")
    parser.add_argument("--snapshot-interval", type=int, default=100,
                        help="SNAPSHOT_INTERVAL of the application (default 100, Accord's default)")
    args = parser.parse_args(argv)
    if (args.events is not None and args.events <= SMALL) or (args.runs is not None and args.runs < 1) \
            or args.snapshot_interval < 0:
        parser.error(f"--events must be above {SMALL}, --runs positive, --snapshot-interval >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    run_suite_benchmark("aggregates", args, measure, show_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
