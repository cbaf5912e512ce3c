"""Pages: the server time of the agreement list page and of an agreement's page, as stores and histories grow.

Each page is served by Accord's own ``create_app`` to a signed-in management user through the WSGI stack
(Flask's test client: the server's time alone, no network), the two sizes timed in turn in one run:
  - the agreement list (/agreements, the first page of 50, newest first) on a store of 1,000 agreements and
    on one of A (default 100,000; a fifth withdrawn), the views caught up. Target: <= 3x the small store;
  - an agreement's page (its state, the newest page of its history, the version and diff forms) for an
    agreement of 10 events and one of E (default 3,000) events, in the same store. Target: <= 2x the small.
Each page's size is reported too (the page's first load must stay under 300 KB with its stylesheet).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from bench import suite
from bench.stores import backend_version, fresh_store, open_services, pg_connect
from bench.stories import Agreements, write_agreement_list
from bench.suite import at_most, figure, paired_ratio, pick, say, timed
from bootstrap import create_app
from domain.values import Actor, Role, StepContext

LIST_GOAL, HISTORY_GOAL = 3.0, 2.0
AGREEMENTS = {"smoke": (100, 1_000), "quick": (1_000, 10_000), "full": (1_000, 100_000)}
EVENTS = {"smoke": (10, 300), "quick": (10, 3_000), "full": (10, 3_000)}
RUNS = {"smoke": 3, "quick": 7, "full": 15}
OPERATOR = Actor("bench@cli", Role.ADMIN)
READER, PASSWORD = "manager", "a long password for the benchmark"
EPILOG = """\
examples:
  .venv/bin/python -m bench.pages --quick
  .venv/bin/python -m bench.pages --backend sqlite --agreements 100000 --events 3000
"""


def long_agreement(services: Any, events: int, seed: int) -> str:
    """An agreement of ``events`` events (created, then texts attached one after another): its id."""
    maker = Agreements(seed)
    agreement = maker.start()
    officer = Actor("ines", Role.IR_OFFICER)
    for n in range(events - 1):
        agreement.attach_text(by=officer, context=StepContext(reason=f"draft {n}"),
                              document=maker.document("Long history", n + 1))
    services.app.save(agreement)
    return str(agreement.id)


class SignedIn:
    """A signed-in management user's client of Accord's own application on one store."""

    def __init__(self, storage: dict[str, str]):
        self.app = create_app({"STORAGE": storage, "PROJECTIONS_IN_PROCESS": False, "SESSION_COOKIE_SECURE": False})
        services = self.app.extensions["accord"]
        services.signin.add_user(OPERATOR, READER, Role.MANAGEMENT)
        services.signin.set_password(OPERATOR, READER, PASSWORD)
        self.client = self.app.test_client()
        page = self.client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = self.client.post("/sign-in", data={"username": READER, "password": PASSWORD, "csrf_token": token})
        if answer.status_code != 302:
            raise RuntimeError(f"signing in answered {answer.status_code}")

    def get(self, path: str) -> int:
        """GET ``path``; the page's size in bytes (it must answer 200)."""
        answer = self.client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
        return len(answer.get_data())

    def close(self) -> None:
        self.app.extensions["accord"].close()


def side_by_side(clients: Sequence[tuple[SignedIn, str]], runs: int) -> tuple[list[list[float]], list[int]]:
    """ms of each (client, path), in turn, ``runs`` times, after two warm-up requests each; and the sizes."""
    sizes = [client.get(path) for client, path in clients]
    for client, path in clients:
        client.get(path)
    times: list[list[float]] = [[] for _ in clients]
    for _ in range(runs):
        for i, (client, path) in enumerate(clients):
            times[i].append(timed(lambda c=client, p=path: c.get(p))[0] * 1000)
    return times, sizes


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    small, large = args.small_agreements or pick(args, AGREEMENTS)[0], args.agreements or pick(args, AGREEMENTS)[1]
    short, long = EVENTS["full"][0], args.events or pick(args, EVENTS)[1]
    runs = args.runs or pick(args, RUNS)
    rows, notes, version = [], [], ""
    with ExitStack() as stack:
        clients = []
        for count, label in ((small, "pages_small"), (large, "pages_large")):
            storage = stack.enter_context(fresh_store(backend, label, args.keep))
            services = stack.enter_context(open_services(storage))
            version = backend_version(services)
            say(f"{backend}: {count:,} agreements")
            write_agreement_list(services, count)
            ids = (long_agreement(services, short, 3), long_agreement(services, long, 5)) if count == small else ()
            services.projections.catch_up()
            if services.db.dialect == "postgres":  # as autovacuum would soon after such a load
                with pg_connect() as conn:
                    for name in ("agreement_list", "agreement_counts", "journal"):
                        conn.execute(f'VACUUM ANALYZE "{storage["POSTGRES_SCHEMA"]}".{name}')
            client = SignedIn(storage)
            stack.callback(client.close)
            clients.append((client, ids))
        (first, ids), (second, _) = clients
        say(f"{backend}: the list page on {small:,} and {large:,} agreements, in turn ({runs} runs)")
        times, sizes = side_by_side([(first, "/agreements"), (second, "/agreements")], runs)
        ratio = paired_ratio(times[1], times[0])
        goal, passed = at_most(ratio, LIST_GOAL)
        rows.append(figure(f"list page @ {small:,} agreements", "ms", times[0], n=small))
        rows.append(figure(f"list page @ {large:,} agreements", "ms", times[1], n=large,
                           baseline=f"@ {small:,}", ratio=ratio, goal=goal, passed=passed))
        notes.append(f"list page sizes: {sizes[0] / 1024:.1f} KiB and {sizes[1] / 1024:.1f} KiB")
        say(f"{backend}: an agreement's page with {short:,} and {long:,} events, in turn ({runs} runs)")
        times, sizes = side_by_side([(first, f"/agreements/{ids[0]}"), (first, f"/agreements/{ids[1]}")], runs)
        ratio = paired_ratio(times[1], times[0])
        goal, passed = at_most(ratio, HISTORY_GOAL)
        rows.append(figure(f"agreement page @ {short:,} events", "ms", times[0], n=short))
        rows.append(figure(f"agreement page @ {long:,} events", "ms", times[1], n=long,
                           baseline=f"@ {short:,}", ratio=ratio, goal=goal, passed=passed))
        notes.append(f"agreement page sizes: {sizes[0] / 1024:.1f} KiB and {sizes[1] / 1024:.1f} KiB")
    notes.append("server time: Accord's WSGI application through Flask's test client, signed in; ratio = the "
                 "median of the per-run ratios of the large case to the small one")
    return {"title": "pages: the list and an agreement's page as they grow", "version": version, "rows": rows,
            "notes": notes}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite.parser("bench.pages", __doc__, EPILOG)
    parser.add_argument("--agreements", type=int, help="agreements in the large store (default 100,000)")
    parser.add_argument("--small-agreements", type=int, help="agreements in the small store (default 1,000)")
    parser.add_argument("--events", type=int, help="events of the long agreement (default 3,000)")
    args = parser.parse_args(argv)
    if any(v is not None and v < 1 for v in (args.agreements, args.small_agreements, args.events, args.runs)):
        parser.error("counts must be positive")
    return args


if __name__ == "__main__":
    import sys

    sys.exit(suite.main("pages", parse, measure))
