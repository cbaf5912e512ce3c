"""Projection speed: rebuild rate of each view against the raw rate of reading the log, and list-query scaling.

Run ``.venv/bin/python -m bench.projections --help`` for what is measured and the goals (issue 4, "Speed").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import (
    BACKENDS,
    LogWriter,
    Progress,
    backend_version,
    fresh_store,
    median,
    mib,
    open_services,
    pg_connect,
    say,
    table,
    timed,
    write_agreement_list,
)
from projections.db import Database
from projections.engine import Change
from projections.queries import list_agreements

ROOT = Path(__file__).resolve().parent.parent
RATIO_GOAL = 0.30
MEMORY_GROWTH_LIMIT = 1.5  # peak at the full log / peak at a tenth of it; "does not grow" within noise
QUERY_RATIO_GOAL = 3.0
PAGE = 1000  # notifications per page of the raw read, as the engine's default batch
QUERIES = {
    "stage+country": {"stage": "drafting", "country": "CL"},
    "title search": {"q": "detector"},
    "unfiltered": {},
}

DESCRIPTION = """\
Benchmark of the projections (issue 4, "Speed"), on SQLite and/or PostgreSQL, each in a fresh store
(SQLite: a temporary file; PostgreSQL: a new schema in the database named by ACCORD_BENCH_POSTGRES_DBNAME,
default "test", dropped at the end).

1. Rebuild vs raw read. Writes N events of a realistic step mix (agreements created and taken through text,
   legal review, negotiation rounds, signatures, entry into force, milestones, suspensions, closures; a few
   access tokens), made by the real domain commands and saved many aggregates per save() call, with the
   steps of ~1,000 agreements in flight interleaved in the log. At N/10 and at N events it measures:
   the raw read rate (select_notifications in pages of 1,000, no decoding; median of 3 reads), the rebuild
   rate of each view (Projections.rebuild), their ratio (goal >= 0.30), and the rebuild's peak memory:
   the Python heap peak (tracemalloc, in this process, a separate untimed rebuild) and the max RSS of a
   child process that only runs the rebuild (its growth over its RSS before the rebuild). Peak memory
   must not grow with the log: the N vs N/10 ratio should stay near 1.
2. List queries. Two stores with 1,000 and A agreements (created; 20% also withdrawn), agreements view caught
   up, then R runs of projections.queries.list_agreements on each store, the two stores in turn run by run,
   for: stage=drafting&country=CL, q=detector (title search), and the unfiltered first page, all
   sort=-updated_at, page 1 of 50. Goal: the large store costs at most 3x the small one (the median of the
   per-run ratios). Each query's COUNT and page statements are also timed
   alone, and their plans kept (printed with --explain) to show where the time goes.

Progress goes to stderr, results to stdout; --json FILE writes every figure.
"""

EPILOG = """\
examples:
  .venv/bin/python -m bench.projections --quick                 # seconds, both backends
  .venv/bin/python -m bench.projections --backend sqlite --json var/bench.json
  .venv/bin/python -m bench.projections --part list --explain --backend postgres
"""


# ---- the rebuild benchmark --------------------------------------------------------------------------


def raw_read(services: Any) -> int:
    """Read the whole log in pages, as the engine does, without decoding anything; return the count."""
    recorder = services.app.recorder
    position, count = 0, 0
    while True:
        page = recorder.select_notifications(position, limit=PAGE, inclusive_of_start=False)
        if not page:
            return count
        count += len(page)
        position = page[-1].id


def read_and_decode(services: Any) -> int:
    """Read the whole log as the engine does (its reader, pages of PAGE) and decode every event with the
    engine's decoder, applying nothing: what a view costs that needs every event decoded."""
    engine = services.projections
    position, count = 0, 0
    while True:
        page = engine.read(position, PAGE, False)
        if not page:
            return count
        decode = engine.mapper.to_domain_event
        for row in page:
            decode(Change(row, decode).stored)
        count += len(page)
        position = page[-1][0]


def rebuild_in_child(storage: dict[str, str], view: str, batch_size: int) -> dict[str, Any]:
    """Rebuild one view in a fresh Python process; its RSS before the rebuild and its max RSS."""
    command = [sys.executable, "-m", "bench.projections", "--child-rebuild", view,
               "--child-storage", json.dumps(storage), "--batch-size", str(batch_size)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child rebuild of {view} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def child_rebuild(view: str, storage: dict[str, str], batch_size: int) -> None:
    from bootstrap.services import Services

    services = Services(storage)
    try:
        engine = services.projections
        engine.batch_size = batch_size
        engine.head()  # open every connection before the baseline
        engine.positions()
        before = _vmrss()
        started = time.perf_counter()
        count = engine.rebuild(view)
        seconds = time.perf_counter() - started
        peak = _vmrss("VmHWM:")  # this process's own peak (ru_maxrss would carry the parent's RSS across exec)
        print(json.dumps({"view": view, "events": count, "seconds": seconds, "rss_before": before,
                          "max_rss": peak, "rss_growth": max(0, peak - before)}))
    finally:
        services.close()


def _vmrss(field: str = "VmRSS:") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def _counting(progress: Progress) -> Callable[[str, int], None]:
    return lambda _view, count: progress.update(count)


def traced_peak(function: Callable[[], Any]) -> int:
    """The peak of Python allocations made while ``function`` runs (bytes)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_log(services: Any, storage: dict[str, str], events: int, views: Sequence[str],
                args: argparse.Namespace) -> dict[str, Any]:
    """Raw read and rebuild of every view over the first ``events`` events of the log."""
    engine = services.projections
    raw_times, raw_cpu = [], []
    for _ in range(3):
        cpu = time.process_time()
        seconds, count = timed(lambda: raw_read(services))
        raw_cpu.append(time.process_time() - cpu)
        if count != events:
            raise AssertionError(f"raw read saw {count} events, expected {events}")
        raw_times.append(seconds)
    raw_seconds = median(raw_times)
    point: dict[str, Any] = {"events": events, "raw": {"seconds": raw_seconds, "rate": events / raw_seconds,
                                                       "runs": raw_times, "cpu_seconds": median(raw_cpu)}}
    cpu = time.process_time()
    seconds, count = timed(lambda: read_and_decode(services))
    point["decode"] = {"seconds": seconds, "rate": count / seconds, "ratio": raw_seconds / seconds,
                       "cpu_seconds": time.process_time() - cpu}
    point["decode"]["cpu_ratio"] = point["raw"]["cpu_seconds"] / max(1e-9, point["decode"]["cpu_seconds"])
    for view in views:
        say(f"  rebuilding {view} over {events:,} events")
        times, cpu_times = [], []
        for _ in range(args.repeat):
            progress = Progress(f"rebuild {view}", events)
            cpu = time.process_time()
            seconds, count = timed(lambda v=view, p=progress: engine.rebuild(v, progress=_counting(p)))
            cpu_times.append(time.process_time() - cpu)
            progress.close()
            if count != events:
                raise AssertionError(f"rebuild of {view} applied {count} events, expected {events}")
            times.append(seconds)
        seconds = median(times)
        rate = events / seconds
        result: dict[str, Any] = {"seconds": seconds, "runs": times, "rate": rate,
                                  "ratio": rate / point["raw"]["rate"], "cpu_seconds": median(cpu_times),
                                  "cpu_ratio": point["raw"]["cpu_seconds"] / max(1e-9, median(cpu_times))}
        result["pass"] = result["ratio"] >= RATIO_GOAL
        if not args.no_memory:
            result["tracemalloc_peak"] = traced_peak(lambda v=view: engine.rebuild(v))
            result["child"] = rebuild_in_child(storage, view, args.batch_size)
        point[view] = result
    if "journal" in views:  # one row per event: a check that the rebuilds saw the whole log
        rows = engine.db.query("SELECT COUNT(*) AS n FROM journal")
        if int(rows[0]["n"]) != events:
            raise AssertionError(f"journal has {rows[0]['n']} rows after the rebuild, expected {events}")
    return point


def bench_rebuild(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    events = args.events
    checkpoints = sorted({max(1, events // 10), events})
    in_flight = max(20, min(1000, events // 100))
    with fresh_store(backend, "log", keep=args.keep) as storage, open_services(storage) as services:
        services.projections.batch_size = args.batch_size
        views = list(args.views or services.projections.views)
        known = list(services.projections.views)
        if set(views) - set(known):
            raise SystemExit(f"unknown view in {' '.join(views)}; the views are {' '.join(known)}")
        writer = LogWriter(services, seed=args.seed, in_flight=in_flight, per_save=max(5, in_flight // 5))
        result: dict[str, Any] = {"version": backend_version(services), "batch_size": args.batch_size,
                                  "views": views,
                                  "page": PAGE, "points": [], "write": []}
        for checkpoint in checkpoints:
            progress = Progress(f"{backend}: writing events up to {checkpoint:,}", checkpoint - writer.written)
            seconds, _ = timed(lambda c=checkpoint, p=progress: writer.write_until(c, p))
            progress.close()
            result["write"].append({"events": checkpoint, "seconds": seconds})
            say(f"{backend}: measuring at {checkpoint:,} events")
            result["points"].append(measure_log(services, storage, checkpoint, views, args))
        result["agreements"] = writer.agreements
        result["tokens"] = writer.tokens
        result["mix"] = {row["topic"].split(":", 1)[1]: int(row["n"]) for row in services.db.query(
            f"SELECT topic, COUNT(*) AS n FROM {services.app.recorder.events_table_name} GROUP BY topic "
            "ORDER BY n DESC")}
    if len(result["points"]) == 2 and not args.no_memory:
        small, large = result["points"]
        result["memory"] = {
            view: {
                "tracemalloc": [small[view]["tracemalloc_peak"], large[view]["tracemalloc_peak"]],
                "tracemalloc_ratio": large[view]["tracemalloc_peak"] / max(1, small[view]["tracemalloc_peak"]),
                "rss_growth": [small[view]["child"]["rss_growth"], large[view]["child"]["rss_growth"]],
                "max_rss": [small[view]["child"]["max_rss"], large[view]["child"]["max_rss"]],
                "max_rss_ratio": large[view]["child"]["max_rss"] / max(1, small[view]["child"]["max_rss"]),
            }
            for view in result["views"]
        }
        comparable = small["events"] >= 2 * args.batch_size  # below that, a rebuild is less than two batches
        for memory in result["memory"].values():
            memory["pass"] = None if not comparable else (
                memory["tracemalloc_ratio"] <= MEMORY_GROWTH_LIMIT and memory["max_rss_ratio"] <= MEMORY_GROWTH_LIMIT)
    return result


def print_rebuild(backend: str, result: dict[str, Any]) -> None:
    print(f"\n== {backend}: rebuild vs raw read ({result['version']}; batch {result['batch_size']}, "
          f"raw pages of {result['page']}) ==")
    write = result["write"][-1]
    print(f"log: {write['events']:,} events ({result['agreements']:,} agreements, {result['tokens']} tokens issued), "
          f"written in {sum(w['seconds'] for w in result['write']):.1f} s")
    rows = []
    for point in result["points"]:
        rows.append(["raw read", f"{point['events']:,}", f"{point['raw']['seconds']:.3f}",
                     f"{point['raw']['rate']:,.0f}", "1.00", "", f"{point['raw']['cpu_seconds']:.3f}", "", "", ""])
        d = point["decode"]
        rows.append(["read+decode only", f"{point['events']:,}", f"{d['seconds']:.3f}", f"{d['rate']:,.0f}",
                     f"{d['ratio']:.2f}", "(all decoded)", f"{d['cpu_seconds']:.3f}", f"{d['cpu_ratio']:.2f}", "", ""])
        for view in result["views"]:
            r = point[view]
            child = r.get("child")
            rows.append([
                f"rebuild {view}", f"{point['events']:,}", f"{r['seconds']:.3f}", f"{r['rate']:,.0f}",
                f"{r['ratio']:.2f}", "PASS" if r["pass"] else "MISS", f"{r['cpu_seconds']:.3f}",
                f"{r['cpu_ratio']:.2f}", mib(r["tracemalloc_peak"]) if "tracemalloc_peak" in r else "-",
                f"{mib(child['max_rss'])} (+{mib(child['rss_growth'])})" if child else "-",
            ])
    print(table(["view", "events", "seconds", "events/s", "ratio", f">= {RATIO_GOAL:.2f}", "cpu s", "cpu ratio",
                 "py heap peak", "child max RSS (growth)"], rows))
    print("(ratio = events/s / raw read events/s, wall clock; cpu = this process's CPU time only, which for "
          "PostgreSQL leaves out the server's work;\n read+decode only = the engine's reader and decoder with every "
          "event decoded and no view: a view that decodes every event cannot beat it; views that read most events' "
          "stored JSON can)")
    if "memory" in result:
        small, large = (p["events"] for p in result["points"])
        print(f"\npeak memory of a rebuild at {small:,} vs {large:,} events (goal: ratio <= {MEMORY_GROWTH_LIMIT})")
        if small < 2 * result["batch_size"]:
            print(f"(note: {small:,} events is under two batches of {result['batch_size']:,}; memory is bounded by "
                  "the batch, so only logs of several batches compare)")
        rows = []
        for view, m in result["memory"].items():
            rows.append([view, mib(m["tracemalloc"][0]), mib(m["tracemalloc"][1]), f"{m['tracemalloc_ratio']:.2f}x",
                         mib(m["max_rss"][0]), mib(m["max_rss"][1]), f"{m['max_rss_ratio']:.2f}x",
                         f"+{mib(m['rss_growth'][0])} / +{mib(m['rss_growth'][1])}",
                         "n/a" if m["pass"] is None else "PASS" if m["pass"] else "MISS"])
        print(table(["view", f"py peak @{small:,}", f"@{large:,}", "ratio", f"max RSS @{small:,}", f"@{large:,}",
                     "ratio", "RSS growth", "goal"], rows))


# ---- the list-query benchmark ------------------------------------------------------------------------


class RecordingDatabase:
    """Passes queries through, keeping the statements (to time them alone and explain them)."""

    def __init__(self, inner: Database):
        self.inner = inner
        self.dialect = inner.dialect
        self.fts5_trigram = inner.fts5_trigram
        self.statements: list[tuple[str, list[Any]]] = []

    def transaction(self):  # type: ignore[override]
        return self.inner.transaction()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self.statements.append((sql, list(params)))
        return self.inner.query(sql, params)


def explain(db: Database, sql: str, params: Sequence[Any]) -> list[str]:
    if db.dialect == "sqlite":
        return [row["detail"] for row in db.query("EXPLAIN QUERY PLAN " + sql, params)]
    return [row["QUERY PLAN"] for row in db.query("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)]


def time_queries(stores: Sequence[Any], runs: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Each query on every store, the stores in turn run by run (so that whatever else the machine does
    weighs on all of them alike): per store, each query's median, and its COUNT and page statements timed
    alone; and per query, the median of the per-run ratios of the last store to the first."""
    out: list[dict[str, Any]] = [{} for _ in stores]
    ratios = {}
    for name, filters in QUERIES.items():
        def call(target: Database, f: dict[str, Any] = filters) -> Any:
            return list_agreements(target, f, sort="-updated_at", page=1, per_page=50)

        for services in stores:
            for _ in range(2):  # warm caches and connections
                call(services.db)
        times: list[list[float]] = [[] for _ in stores]
        for _ in range(runs):
            for i, services in enumerate(stores):
                times[i].append(timed(lambda db=services.db: call(db))[0])
        ratios[name] = median([large / small for small, large in zip(times[0], times[-1], strict=True)])
        for i, services in enumerate(stores):
            db = services.db
            recording = RecordingDatabase(db)
            page = call(recording)
            statements = {}
            for label, (sql, params) in zip(("count", "page"), recording.statements, strict=True):
                alone = [timed(lambda s=sql, p=params, d=db: d.query(s, p))[0] for _ in range(runs)]
                statements[label] = {"sql": sql, "params": params, "median": median(alone),
                                     "plan": explain(db, sql, params)}
            out[i][name] = {"filters": filters, "median": median(times[i]), "runs": times[i], "total": page.total,
                            "items": len(page.items), "statements": statements}
    return out, ratios


def bench_list(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"sizes": [args.small_agreements, args.agreements], "stores": {}}
    with ExitStack() as stack:
        opened = []
        for size in result["sizes"]:
            storage = stack.enter_context(fresh_store(backend, f"list{size}", keep=args.keep))
            services = stack.enter_context(open_services(storage))
            progress = Progress(f"{backend}: creating {size:,} agreements", size)
            write_seconds, events = timed(lambda s=size, p=progress, sv=services: write_agreement_list(
                sv, s, progress=p))
            progress.close()
            progress = Progress(f"{backend}: catching up the agreements view", events)
            catch_up_seconds, _ = timed(lambda p=progress, sv=services: sv.projections.catch_up(
                ["agreements"], progress=_counting(p)))
            progress.close()
            for statement in args.extra_ddl:
                with services.db.transaction() as cursor:
                    cursor.execute(statement)
            if services.db.dialect == "postgres":  # as autovacuum would soon after such a load
                schema = storage["POSTGRES_SCHEMA"]
                with pg_connect() as conn:
                    for table_name in ("agreement_list", "agreement_parties", "agreement_countries",
                                       "agreement_titles"):
                        conn.execute(f'VACUUM ANALYZE "{schema}".{table_name}')
            result["stores"][size] = {"events": events, "write_seconds": write_seconds,
                                      "catch_up_seconds": catch_up_seconds}
            opened.append(services)
        say(f"{backend}: timing list queries on {' and '.join(f'{s:,}' for s in result['sizes'])} agreements, "
            f"in turn ({args.runs} runs each)")
        timings, result["ratios"] = time_queries(opened, args.runs)
        for size, queries in zip(result["sizes"], timings, strict=True):
            result["stores"][size]["queries"] = queries
    return result


def print_list(backend: str, result: dict[str, Any], explain_plans: bool) -> None:
    small, large = result["sizes"]
    print(f"\n== {backend}: list_agreements with {small:,} vs {large:,} agreements "
          f"(sort -updated_at, page 1 of 50; the stores in turn, run by run; ratio: median of per-run ratios) ==")
    rows = []
    for name in QUERIES:
        s, g = (result["stores"][size]["queries"][name] for size in (small, large))
        ratio = result["ratios"][name]
        rows.append([
            name, f"{s['total']:,}", f"{g['total']:,}", f"{s['median'] * 1000:.2f}", f"{g['median'] * 1000:.2f}",
            f"{ratio:.1f}x", "PASS" if ratio <= QUERY_RATIO_GOAL else "MISS",
            f"{s['statements']['count']['median'] * 1000:.2f} / {g['statements']['count']['median'] * 1000:.2f}",
            f"{s['statements']['page']['median'] * 1000:.2f} / {g['statements']['page']['median'] * 1000:.2f}",
        ])
    print(table(["query", f"matches @{small:,}", f"@{large:,}", f"ms @{small:,}", f"ms @{large:,}", "ratio",
                 f"<= {QUERY_RATIO_GOAL:.0f}x", "COUNT ms small/large", "page ms small/large"], rows))
    if explain_plans:
        for name in QUERIES:
            for label, statement in result["stores"][large]["queries"][name]["statements"].items():
                print(f"\n-- {name} / {label} @{large:,}: {statement['sql']}  {statement['params']}")
                for line in statement["plan"]:
                    print(f"   {line}")


# ---- main -------------------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.projections", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, help="events in the log (default 100,000; --quick: 2,000)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both",
                        help="where to run (default both)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run in seconds: 2,000 events, 1,000 vs 10,000 agreements, 5 runs per query")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    parser.add_argument("--part", choices=("all", "rebuild", "list"), default="all",
                        help="run only the rebuild or only the list-query benchmark")
    parser.add_argument("--agreements", type=int,
                        help="agreements in the large list store (default 100,000; --quick: 10,000)")
    parser.add_argument("--small-agreements", type=int, default=1000,
                        help="agreements in the small list store (default 1,000)")
    parser.add_argument("--runs", type=int, help="runs of each list query (median; default 20; --quick: 5)")
    parser.add_argument("--repeat", type=int, default=1, help="timed rebuilds of each view (median; default 1)")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="events per projection batch (the engine's default: 1,000)")
    parser.add_argument("--views", nargs="+", metavar="VIEW",
                        help="views to rebuild (default: every view of the engine, e.g. agreements journal)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory rebuilds")
    parser.add_argument("--extra-ddl", action="append", default=[], metavar="SQL",
                        help="a statement run on each list store before timing (repeatable), to try an index, "
                             "e.g. \"CREATE INDEX x ON agreement_list (stage, updated_at, id)\"")
    parser.add_argument("--explain", action="store_true", help="print the plans of the list queries")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the event mix (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the stores (files, schemas) for inspection")
    parser.add_argument("--child-rebuild", metavar="VIEW", help=argparse.SUPPRESS)
    parser.add_argument("--child-storage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = 2000 if args.quick else 100_000
    if args.runs is None:
        args.runs = 5 if args.quick else 20
    if args.agreements is None:
        args.agreements = 10_000 if args.quick else 100_000
    if args.events < 1 or args.agreements < 1 or args.small_agreements < 1 or args.runs < 1 or args.repeat < 1:
        parser.error("counts must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.child_rebuild:
        child_rebuild(args.child_rebuild, json.loads(args.child_storage), args.batch_size)
        return 0
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results: dict[str, Any] = {
        "arguments": {k: v for k, v in vars(args).items() if not k.startswith("child")},
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "goals": {"rebuild_ratio_min": RATIO_GOAL, "memory_growth_max": MEMORY_GROWTH_LIMIT,
                  "query_ratio_max": QUERY_RATIO_GOAL},
        "backends": {},
    }
    started = time.perf_counter()
    results["machine"]["load_before"] = os.getloadavg()
    for backend in backends:
        out = results["backends"][backend] = {}
        if args.part in ("all", "rebuild"):
            out["rebuild"] = bench_rebuild(backend, args)
            print_rebuild(backend, out["rebuild"])
        if args.part in ("all", "list"):
            out["list"] = bench_list(backend, args)
            print_list(backend, out["list"], args.explain)
        sys.stdout.flush()
    results["seconds"] = time.perf_counter() - started
    results["machine"]["load_after"] = os.getloadavg()
    print(f"\n(total {results['seconds']:.0f} s; load average before {results['machine']['load_before'][0]:.2f}, "
          f"after {results['machine']['load_after'][0]:.2f}, on {os.cpu_count()} CPUs)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
        say(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
