"""Projections: view rebuilds against the raw read of the log, their memory, and list queries as stores grow.

1. A fresh store gets N events (default 100,000) of realistic stories made by the real domain commands, up
   to 1,000 agreements in flight, and a few access tokens. At N/10 and at N events: the raw read rate
   (select_notifications in pages of 1,000, nothing decoded; 3 reads) and the rebuild rate of each view
   (Projections.rebuild): target >= 0.30 of the raw read; each rebuild's peak memory (the Python heap,
   tracemalloc, and the peak RSS of a child process that only rebuilds): target N vs N/10 <= 1.5x.
2. Two stores of 1,000 and A agreements (default 100,000; a fifth withdrawn), then R runs (default 20) of
   projections.queries.list_agreements on each, the stores in turn: stage=drafting&country=CL, q=detector
   and the unfiltered first page, sort=-updated_at, 50 a page. Target: the large store costs <= 3x the
   small one (the median of the per-run ratios).
"""

from __future__ import annotations

import argparse
import json
import sys
import tracemalloc
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from bench import suite
from bench.harness import child_max_rss, clean_env, proc_status
from bench.stores import backend_version, fresh_store, open_services, pg_connect
from bench.stories import LogWriter, write_agreement_list
from bench.suite import at_least, at_most, figure, median, pick, say, timed
from bootstrap.services import Services
from projections.queries import list_agreements

RATIO_GOAL = 0.30
MEMORY_GROWTH_LIMIT = 1.5  # peak at the full log / peak at a tenth of it: "does not grow", within noise
QUERY_RATIO_GOAL = 3.0
PAGE = 1000  # notifications per page of the raw read, as the engine's default batch
QUERIES = {"stage+country": {"stage": "drafting", "country": "CL"}, "title search": {"q": "detector"},
           "unfiltered": {}}
EVENTS = {"smoke": 1_000, "quick": 2_000, "full": 100_000}
AGREEMENTS = {"smoke": (200, 1_000), "quick": (1_000, 10_000), "full": (1_000, 100_000)}
RUNS = {"smoke": 3, "quick": 5, "full": 20}
EPILOG = """\
examples:
  .venv/bin/python -m bench.projections --quick
  .venv/bin/python -m bench.projections --backend sqlite --views agreements journal --no-memory
"""


def raw_read(services: Services) -> int:
    """Read the whole log in pages, as the engine does, without decoding anything; the count."""
    recorder = services.app.recorder
    position = count = 0
    while page := recorder.select_notifications(position, limit=PAGE, inclusive_of_start=False):
        count += len(page)
        position = page[-1].id
    return count


def child_rebuild(view: str, storage: dict[str, str], batch_size: int) -> None:
    """In a child process: rebuild one view; print the events applied and the peak RSS."""
    services = Services(storage)
    try:
        services.projections.batch_size = batch_size
        count = services.projections.rebuild(view)
        print(json.dumps({"events": count, "max_rss": proc_status("self", "VmHWM")}))
    finally:
        services.close()


def traced_peak(function: Any) -> int:
    """The peak of Python allocations made while ``function`` runs (bytes)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_log(services: Services, storage: dict[str, str], events: int, views: Sequence[str],
                args: argparse.Namespace) -> dict[str, Any]:
    """Raw read and rebuild of every view over the first ``events`` events of the log."""
    engine = services.projections
    raw = [timed(lambda: raw_read(services)) for _ in range(3)]
    if any(count != events for _, count in raw):
        raise AssertionError(f"a raw read saw {[count for _, count in raw]} events, expected {events}")
    point: dict[str, Any] = {"events": events, "raw": [seconds for seconds, _ in raw]}
    for view in views:
        say(f"  rebuilding {view} over {events:,} events")
        timings = [timed(lambda v=view: engine.rebuild(v)) for _ in range(args.repeat)]
        if any(count != events for _, count in timings):
            raise AssertionError(f"a rebuild of {view} applied {[c for _, c in timings]} events, expected {events}")
        point[view] = {"runs": [seconds for seconds, _ in timings]}
        if not args.no_memory:
            point[view]["heap"] = traced_peak(lambda v=view: engine.rebuild(v))
            child = child_max_rss([sys.executable, "-m", "bench.projections", "--child-rebuild", view,
                                   "--child-storage", json.dumps(storage), "--batch-size", str(args.batch_size)],
                                  clean_env(storage))
            point[view]["rss"] = max(child["max_rss"], json.loads(child["stdout"])["max_rss"])
    if "journal" in views:  # one row per event: the rebuilds saw the whole log
        [row] = engine.db.query("SELECT COUNT(*) AS n FROM journal")
        if int(row["n"]) != events:
            raise AssertionError(f"journal has {row['n']} rows after the rebuild, expected {events}")
    return point


def bench_rebuild(backend: str, args: argparse.Namespace, events: int) -> tuple[str, list[dict[str, Any]], str]:
    in_flight = max(20, min(1000, events // 100))
    with fresh_store(backend, "log", keep=args.keep) as storage, open_services(storage) as services:
        services.projections.batch_size = args.batch_size
        known = list(services.projections.views)
        views = list(args.views or known)
        if unknown := set(views) - set(known):
            raise SystemExit(f"unknown view(s) {' '.join(unknown)}; the views are {' '.join(known)}")
        writer = LogWriter(services, seed=args.seed, in_flight=in_flight, per_save=max(5, in_flight // 5))
        points = []
        for checkpoint in sorted({max(1, events // 10), events}):
            written = timed(lambda c=checkpoint: writer.write_until(c, f"{backend}: writing"))[0]
            say(f"{backend}: measuring at {checkpoint:,} events (written in {written:.1f} s)")
            points.append(measure_log(services, storage, checkpoint, views, args))
        log = f"log: {events:,} events ({writer.agreements:,} agreements, {writer.tokens} tokens issued)"
        version = backend_version(services)
    n, small = points[-1]["events"], points[0]
    raw_rate = n / median(points[-1]["raw"])
    rows = [figure(f"raw read @ {n:,}", "events/s", [n / s for s in points[-1]["raw"]], n=n)]
    comparable = len(points) == 2 and small["events"] >= 2 * args.batch_size  # below, less than two batches
    for view in views:
        r = points[-1][view]
        goal, passed = at_least(n / median(r["runs"]) / raw_rate, RATIO_GOAL)
        rows.append(figure(f"rebuild {view} @ {n:,}", "events/s", [n / s for s in r["runs"]], n=n,
                           baseline="raw read", ratio=n / median(r["runs"]) / raw_rate, goal=goal, passed=passed))
        if args.no_memory or len(points) < 2:
            continue
        heap, rss = r["heap"] / small[view]["heap"], r["rss"] / small[view]["rss"]
        rows.append(figure(f"rebuild {view}: py heap peak @ {n:,}", "MiB", [r["heap"] / 2**20], n=n,
                           baseline=f"@ {small['events']:,}", ratio=heap))
        rows.append(figure(f"rebuild {view}: child max RSS @ {n:,}", "MiB", [r["rss"] / 2**20], n=n,
                           baseline=f"@ {small['events']:,}", ratio=rss,
                           goal=f"<= {MEMORY_GROWTH_LIMIT:.2f} (py heap and RSS)" if comparable else None,
                           passed=max(heap, rss) <= MEMORY_GROWTH_LIMIT if comparable else None))
    return version, rows, log


def bench_list(backend: str, args: argparse.Namespace, sizes: tuple[int, int], runs: int) -> list[dict[str, Any]]:
    with ExitStack() as stack:
        stores = []
        for size in sizes:
            storage = stack.enter_context(fresh_store(backend, f"list{size}", keep=args.keep))
            services = stack.enter_context(open_services(storage))
            write_agreement_list(services, size)
            services.projections.catch_up(["agreements"])
            if services.db.dialect == "postgres":  # as autovacuum would soon after such a load
                with pg_connect() as conn:
                    for name in ("agreement_list", "agreement_parties", "agreement_countries", "agreement_titles"):
                        conn.execute(f'VACUUM ANALYZE "{storage["POSTGRES_SCHEMA"]}".{name}')
            stores.append(services)
        say(f"{backend}: timing list queries on {sizes[0]:,} and {sizes[1]:,} agreements, in turn ({runs} runs)")
        rows = []
        for name, filters in QUERIES.items():
            def call(services: Services, f: dict[str, Any] = filters) -> Any:
                return list_agreements(services.db, f, sort="-updated_at", page=1, per_page=50)

            for services in stores:
                for _ in range(2):  # warm caches and connections
                    call(services)
            times: list[list[float]] = [[], []]
            for _ in range(runs):  # the stores in turn, so that the machine's load weighs on both alike
                for i, services in enumerate(stores):
                    times[i].append(timed(lambda s=services: call(s))[0])
            goal, passed = at_most(ratio := median([b / a for a, b in zip(*times, strict=True)]), QUERY_RATIO_GOAL)
            rows.append(figure(f"list query {name} @ {sizes[1]:,} agreements", "ms", [t * 1000 for t in times[1]],
                               n=sizes[1], baseline=f"@ {sizes[0]:,}", ratio=ratio, goal=goal, passed=passed))
    return rows


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    version, rows, log = bench_rebuild(backend, args, args.events or pick(args, EVENTS))
    sizes = (args.small_agreements or pick(args, AGREEMENTS)[0], args.agreements or pick(args, AGREEMENTS)[1])
    rows += bench_list(backend, args, sizes, args.runs or pick(args, RUNS))
    return {"title": "projections: rebuilds vs raw read, and list queries", "version": version, "rows": rows,
            "notes": [log, "rebuild ratio = events/s / raw read events/s (median of 3 reads), wall clock; list "
                      "query ratio = the median of the per-run ratios of the large store to the small one"]}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.projections", __doc__, EPILOG)
    parser.add_argument("--events", type=int, help="events in the log (default 100,000; --quick 2,000)")
    parser.add_argument("--agreements", type=int, help="agreements in the large list store (default 100,000)")
    parser.add_argument("--small-agreements", type=int, help="agreements in the small list store (default 1,000)")
    parser.add_argument("--repeat", type=int, default=1, help="timed rebuilds of each view (median; default 1)")
    parser.add_argument("--batch-size", type=int, help="the engine's batch outside rebuilds (default 1,000; --smoke "
                                                       "200): memory is compared when the small log holds two")
    parser.add_argument("--views", nargs="+", metavar="VIEW", help="views to rebuild (default: every view; "
                                                                   "--smoke: agreements journal)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory rebuilds")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the event mix (default 1)")
    parser.add_argument("--child-rebuild", metavar="VIEW", help=argparse.SUPPRESS)
    parser.add_argument("--child-storage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.batch_size = args.batch_size or (200 if args.smoke else 1000)
    args.views = args.views or (["agreements", "journal"] if args.smoke else None)
    if any(v is not None and v < 1 for v in (args.events, args.agreements, args.small_agreements, args.runs)) \
            or args.repeat < 1:
        parser.error("counts must be positive")
    return args


if __name__ == "__main__":
    if "--child-rebuild" in sys.argv:
        options = parse(sys.argv[1:])
        sys.exit(child_rebuild(options.child_rebuild, json.loads(options.child_storage), options.batch_size))
    sys.exit(suite.main("projections", parse, measure))
