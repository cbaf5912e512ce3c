"""Summarise a profile: the top costs of py-spy's collapsed stacks (``--format raw``) or of a cProfile file.

    .venv/bin/python -m bench.profile var/http.postgres.txt [--top 25] [--match accord]
    .venv/bin/python -m bench.profile var/command.prof.sqlite

For collapsed stacks (one ``frame;frame;...;frame COUNT`` a line, as py-spy record --format raw writes): the
share of samples in which each function is on the stack (inclusive) and at the top (self), the latter being
where the time is spent. ``--match`` keeps the inclusive list to frames whose text contains it (e.g. a
package: workflows, domain, api, eventsourcing, psycopg).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """``function (path/to/file.py:LINE)`` -> ``function (file.py)``: one entry per function, any line."""
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    parts = path.replace("\\", "/").split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{match.group('function')} ({short})"


def collapsed(path: str) -> tuple[Counter[str], Counter[str], int]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(path, errors="replace") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [frame_name(f) for f in stack.split(";") if f.strip()]
            if frames and frames[0].startswith("process "):
                frames = frames[1:]  # py-spy --subprocesses puts the process first
            if frames and frames[0].startswith("thread "):
                frames = frames[1:]
            if not frames:
                continue
            total += n
            for frame in set(frames):
                inclusive[frame] += n
            own[frames[-1]] += n
    return inclusive, own, total


def summarise_collapsed(path: str, top: int, match: str | None) -> str:
    inclusive, own, total = collapsed(path)
    if not total:
        return f"{path}: no samples"
    lines = [f"{path}: {total:,} samples", "", "self (where the time is spent):"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive (on the stack)" + (f", frames matching {match!r}" if match else "") + ":"]
    chosen = [(f, n) for f, n in inclusive.most_common() if not match or match in f][:top]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in chosen]
    return "\n".join(lines)


def summarise_cprofile(path: str, top: int) -> str:
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="py-spy collapsed stacks (--format raw) or a cProfile dump")
    parser.add_argument("--top", type=int, default=25, help="lines per list (default 25)")
    parser.add_argument("--match", help="only inclusive frames containing this text")
    args = parser.parse_args(argv)
    with open(args.file, "rb") as probe:
        head = probe.read(64)
    if head.startswith(b"{") or b"\x00" in head or not head.isascii():  # marshalled cProfile stats
        print(summarise_cprofile(args.file, args.top))
    else:
        print(summarise_collapsed(args.file, args.top, args.match))
    return 0


if __name__ == "__main__":
    sys.exit(main())
