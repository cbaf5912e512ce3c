"""Audit: verification and export of the whole log against the raw rate of reading it, and their memory.

A fresh store gets a realistic log written by the real domain commands (up to 2,000 events), then grows with
copies of real stored stories under new ids, re-hashed so that the whole log verifies (each verification
below must find it intact). At S and L events (default 10,000 and 100,000), in this process, runs
interleaved (events/s: median, min, max):
  raw read    select_notifications in pages of 1,000, nothing decoded (the baseline)
  verify      storage.audit.verify: every event's hash, each aggregate's chain, the global chain
  export      storage.archive.export_lines: the JSON Lines of `accord audit export`, every line built
ratio = rate / raw read rate (the median of the per-run ratios). Target: verify and export >= 0.30 of the raw
read at L. Then, in child processes, the real commands `accord audit verify`, `accord audit export FILE` and
the offline verifier `tools/verify_export.py FILE`: their peak RSS. Target: flat, the peak at L exceeds the
peak at S by less than 16 MiB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import suite
from bench.harness import ROOT, accord_cli, child_max_rss, clean_env
from bench.stores import backend_version, fresh_store, open_services
from bench.stories import LogCopier, LogWriter
from bench.suite import at_least, figure, median, paired_ratio, pick, say, timed
from bootstrap.services import describe_stored
from storage.archive import export_lines
from storage.audit import verify

GOAL = 0.30
FLAT_LIMIT = 16 * 2**20
PAGE = 1000
SIZES = {"smoke": (500, 3_000), "quick": (2_000, 20_000), "full": (10_000, 100_000)}
RUNS = {"smoke": 1, "quick": 3, "full": 3}
REAL = 2_000  # events written by the real commands before the copies
EPILOG = """\
examples:
  .venv/bin/python -m bench.audit --quick
  .venv/bin/python -m bench.audit --backend postgres --events 1000000 --small-events 100000 --runs 1
"""


def raw_read(recorder: Any) -> int:
    position = count = 0
    while page := recorder.select_notifications(position, limit=PAGE, inclusive_of_start=False):
        count += len(page)
        position = page[-1].id
    return count


def verified(recorder: Any) -> int:
    result = verify(recorder)
    if not result.ok:
        raise AssertionError(f"the log does not verify: {result.problems[:3]}")
    return result.events_checked


def exported(recorder: Any, mapper: Any) -> int:
    count = size = 0
    for line in export_lines(recorder, mapper, describe_stored):
        count += 1
        size += len(line)
    if size <= count:
        raise AssertionError("the export is empty")
    return count


def measure_point(services: Any, storage: dict[str, str], events: int, runs: int, folder: Path) -> dict[str, Any]:
    recorder, mapper = services.app.recorder, services.app.mapper
    operations = {"raw read": lambda: raw_read(recorder), "verify": lambda: verified(recorder),
                  "export": lambda: exported(recorder, mapper)}
    rates: dict[str, list[float]] = {name: [] for name in operations}
    raw_read(recorder)  # warm up: connections, statements, the page cache
    for run in range(runs):
        say(f"  at {events:,} events: run {run + 1}/{runs} of raw read, verify, export")
        for name, operation in operations.items():
            seconds, count = timed(operation)
            if count != events:
                raise AssertionError(f"{name} saw {count} events, expected {events}")
            rates[name].append(count / seconds)
    env, path = clean_env(storage), folder / f"export-{events}.jsonl"
    say(f"  at {events:,} events: accord audit verify, accord audit export, tools/verify_export.py")
    children = {"accord audit verify": child_max_rss([accord_cli(), "audit", "verify"], env),
                "accord audit export": child_max_rss([accord_cli(), "audit", "export", str(path)], env)}
    with open(path, "rb") as lines:
        if sum(1 for _ in lines) != events:
            raise AssertionError(f"accord audit export wrote a file without {events} lines")
    children["offline verifier"] = child_max_rss([sys.executable, str(ROOT / "tools" / "verify_export.py"),
                                                  str(path)], env)
    path.unlink()
    return {"events": events, "rates": rates, "children": children}


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    small, large = args.small_events or pick(args, SIZES)[0], args.events or pick(args, SIZES)[1]
    runs = args.runs or pick(args, RUNS)
    points = []
    with tempfile.TemporaryDirectory(prefix="accord-bench-audit-") as folder, \
            fresh_store(backend, "audit", keep=args.keep) as storage, open_services(storage) as services:
        version = backend_version(services)
        real = min(REAL, small)
        LogWriter(services, in_flight=max(20, real // 100), per_save=10).write_until(real, f"{backend}: writing")
        copier = LogCopier(services.app)
        for target in (small, large):
            copier.grow_to(target, f"{backend}: growing the log to {target:,}")
            say(f"{backend}: measuring at {target:,} events")
            points.append(measure_point(services, storage, target, runs, Path(folder)))
    rows = []
    for point in points:
        n, rates = point["events"], point["rates"]
        rows.append(figure(f"raw read @ {n:,}", "events/s", rates["raw read"], n=n))
        for name in ("verify", "export"):
            ratio = paired_ratio(rates[name], rates["raw read"])
            goal, passed = at_least(ratio, GOAL) if n == large else (None, None)
            rows.append(figure(f"{name} @ {n:,}", "events/s", rates[name], n=n, baseline="raw read", ratio=ratio,
                               goal=goal, passed=passed))
        rate = n / point["children"]["offline verifier"]["seconds"]
        rows.append(figure(f"offline verifier (file) @ {n:,}", "events/s", [rate], n=n, baseline="raw read",
                           ratio=rate / median(rates["raw read"])))
    notes = ["ratio = events/s / raw read events/s, the median of the per-run ratios (runs interleaved, wall "
             "clock, this process); the children are the real commands, each a fresh process (their rate "
             "includes start-up; offline verifier: ratio to the median raw read)"]
    first, last = points[0], points[-1]
    for name in first["children"]:
        s, g = first["children"][name]["max_rss"], last["children"][name]["max_rss"]
        rows.append(figure(f"{name}: peak RSS @ {first['events']:,}", "MiB", [s / 2**20], n=first["events"]))
        rows.append(figure(f"{name}: peak RSS @ {last['events']:,}", "MiB", [g / 2**20], n=last["events"],
                           baseline=f"@ {first['events']:,}", ratio=g / s,
                           goal=f"+ < {FLAT_LIMIT / 2**20:.0f} MiB", passed=g - s < FLAT_LIMIT))
        notes.append(f"{name}: peak RSS {(g - s) / 2**20:+.1f} MiB from {first['events']:,} to "
                     f"{last['events']:,} events")
    return {"title": f"audit: verify and export vs raw read, {small:,} and {large:,} events", "version": version,
            "rows": rows, "notes": notes}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.audit", __doc__, EPILOG)
    parser.add_argument("--events", type=int, help="events of the large log (default 100,000; --quick 20,000; "
                                                   "--smoke 3,000)")
    parser.add_argument("--small-events", type=int, help="events of the small log (default 10,000; --quick 2,000; "
                                                         "--smoke 500)")
    args = parser.parse_args(argv)
    if not 0 < (args.small_events or pick(args, SIZES)[0]) < (args.events or pick(args, SIZES)[1]) \
            or (args.runs is not None and args.runs < 1):
        parser.error("need 0 < --small-events < --events, and --runs positive")
    return args


if __name__ == "__main__":
    sys.exit(suite.main("audit", parse, measure))
