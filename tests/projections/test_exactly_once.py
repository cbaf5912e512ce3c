"""The projection engine applies every event exactly once: under SIGKILL, with two runners at once, after a
rebuild; it refuses a restored store; reads wait for their view (min_position); /ready shows the lag; the CLI
runner stops cleanly on SIGTERM and resumes where it stopped."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections import Counter
from random import Random
from typing import Any

import pytest
from click.testing import CliRunner

from bootstrap import cli
from bootstrap.services import Services
from projections.engine import INDEX_NAME, RestoreDetectedError
from storage.settings import storage_env
from tests.drafts import draft
from tests.projections.helpers import (
    Runner,
    Writer,
    assert_rows_match_aggregates,
    caught_up,
    count_once,
    digests,
    journal_positions,
    log_positions,
    party,
    second_services,
    snapshot,
    snapshots,
    wait_until,
)
from tests.storage.stores import PG, backend_of, use_store

EVENTS = 600
KILLS = 5
WRITE_PAUSE = 0.006
SEED = int(os.environ.get("PROJECTION_TEST_SEED") or Random().randrange(1 << 30))
AGREEMENTS = "/api/v1/agreements"
DASHBOARD = "/api/v1/dashboard"
JOURNAL = "/api/v1/audit/journal"
PROBLEM = "application/problem+json"


def assert_exactly_once(services: Any) -> tuple[int, int, int]:
    """Tracking = head for every view, one journal row per event, rows = a fresh rebuild; (events, dup, miss)."""
    head = services.projections.head()
    assert services.projections.positions() == {name: head for name in services.projections.views}
    log = log_positions(services)
    duplicates, missing = count_once(log, journal_positions(services.db))
    assert (duplicates, missing) == (0, 0)
    assert_rows_match_aggregates(services)
    incremental = snapshots(services)
    for name in services.projections.views:
        assert services.projections.rebuild(name) == len(log)
    rebuilt = snapshots(services)
    for table in incremental:
        assert incremental[table] == rebuilt[table], table
    return len(log), duplicates, missing


def set_tracking(services: Any, view: str, position: int) -> None:
    with services.db.transaction() as cursor:
        cursor.execute("UPDATE accord_tracking SET position = ? WHERE view = ?", (position, view))


# ---- crashes --------------------------------------------------------------------------------------

def test_a_runner_killed_at_random_moments_applies_every_event_exactly_once(services, storage):
    """``accord projections run`` as a real process, SIGKILLed five times while events are written."""
    rng = Random(SEED)
    writer = Writer(services.agreements, rng)
    writer.write(30)
    writing = writer.thread(EVENTS - 30, pause=WRITE_PAUSE)  # spread over the kills
    runners: list[Runner] = []
    kills, behind_at_kill = 0, 0
    try:
        for _ in range(KILLS):
            runner = Runner(storage)
            runners.append(runner)
            assert runner.wait_started(), f"the runner did not start (seed {SEED}):\n{runner.output}"
            time.sleep(rng.uniform(0.05, 0.5))
            assert runner.alive(), f"the runner stopped by itself (seed {SEED}):\n{runner.output}"
            behind_at_kill += not caught_up(services)
            runner.kill()
            kills += 1
        writing.join(timeout=120)
        assert writer.error is None, writer.error
        assert writer.events == EVENTS
        final = Runner(storage)
        runners.append(final)
        assert final.wait_started(), final.output
        assert wait_until(lambda: caught_up(services), 60), services.projections.positions()
        assert final.terminate() == 0, final.output
        assert "stopped cleanly" in final.output
    finally:
        writer.stop.set()
        writing.join(timeout=60)
        for runner in runners:
            runner.kill()
    events, duplicates, missing = assert_exactly_once(services)
    print(f"\nexactly-once[{backend_of(storage)}]: {events} events, {kills} kills, duplicates {duplicates}, "
          f"missing {missing}  (seed {SEED}; {behind_at_kill} kills while the runner was behind the head)")


# ---- two runners ----------------------------------------------------------------------------------

def test_two_runners_for_the_same_views_at_once_never_apply_an_event_twice(services):
    writer = Writer(services.agreements, Random(SEED))
    writer.write(100)
    writing = writer.thread(150, pause=0.005)  # events trickle in: each one a race that either runner can win
    others = [second_services(services) for _ in range(2)]
    engines = [other.projections for other in others]
    for engine in engines:
        engine.batch_size = 7
    applied: list[Counter[str]] = [Counter(), Counter()]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        def tally(view: str, count: int) -> None:
            applied[i][view] += count

        try:
            barrier.wait(timeout=10)
            while writing.is_alive():
                engines[i].catch_up(progress=tally)
            engines[i].catch_up(progress=tally)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        writing.join(timeout=60)
    finally:
        writer.stop.set()
        for other in others:
            other.close()
    assert not errors, errors
    assert writer.error is None, writer.error
    events = len(log_positions(services))
    for view in services.projections.views:
        assert applied[0][view] + applied[1][view] == events, (view, applied)  # each event once, by one runner
    assert all(sum(a.values()) > 0 for a in applied), f"both runners should have done some of the work: {applied}"
    signed = services.db.query("SELECT COALESCE(SUM(parties_signed), 0) AS n FROM agreement_list")[0]["n"]
    assert int(signed) == sum(len(services.agreements.get(w.id).signatures) for w in writer.walks)
    assert_exactly_once(services)
    print(f"\ntwo runners: {events} events, applied {dict(applied[0])} + {dict(applied[1])}")


# ---- rebuild --------------------------------------------------------------------------------------

def build_incrementally(services: Any, writer: Writer) -> None:
    """Writes interleaved with small catch-ups, in batches of five, the views at different positions at times."""
    services.projections.batch_size = 5
    for count, names in ((17, None), (1, ["journal"]), (40, None), (23, ["agreements"]), (60, None), (9, None)):
        writer.write(count)
        services.projections.catch_up(names)
    services.projections.batch_size = 1000


def test_a_rebuild_gives_the_same_rows_as_the_incremental_build(services):
    writer = Writer(services.agreements, Random(SEED))
    build_incrementally(services, writer)
    assert caught_up(services)
    incremental, rows = digests(services), snapshots(services)
    assert all(rows[t] for t in ("agreement_list", "agreement_parties", "journal")), "the views have rows"
    events = len(log_positions(services))
    for name in services.projections.views:
        assert services.projections.rebuild(name) == events
    assert snapshots(services) == rows
    assert digests(services) == incremental
    assert caught_up(services)


def test_accord_projections_rebuild_gives_the_same_rows_and_reports_events_per_second(
        services, storage, monkeypatch):
    writer = Writer(services.agreements, Random(SEED))
    build_incrementally(services, writer)
    incremental = digests(services)
    events = len(log_positions(services))
    use_store(monkeypatch, storage, CREATE_TABLE="n")
    runner = CliRunner()

    result = runner.invoke(cli.main, ["projections", "rebuild"])
    assert result.exit_code == 0, (result.output, result.exception)
    for view in services.projections.views:
        figure = re.search(rf"^{view}: (\d+) events in [\d.]+ s \(([\d,]+|inf) events/s\)$", result.stdout, re.M)
        assert figure, result.stdout
        assert int(figure[1]) == events
        assert view in result.stderr.split("rebuilding ", 1)[1].splitlines()[0]  # the progress bar's label
    assert digests(services) == incremental

    result = runner.invoke(cli.main, ["projections", "rebuild", "journal"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert re.findall(r"^(\w+): \d+ events", result.stdout, re.M) == ["journal"]
    assert digests(services) == incremental

    with services.db.transaction() as cursor:  # the journal as an older version defined it
        cursor.execute("DROP TABLE journal")
        cursor.execute("CREATE TABLE journal (position BIGINT PRIMARY KEY, data TEXT NOT NULL)")
        cursor.execute("UPDATE accord_tracking SET ddl = 'an older definition' WHERE view = 'journal'")
    result = runner.invoke(cli.main, ["projections", "rebuild", "journal"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "view journal: its definition changed" in result.stderr
    assert digests(services) == incremental, "rebuilt with this version's definition"

    declared = {name for view in services.projections.views.values()
                for statement in view.ddl(services.db.dialect) for name in INDEX_NAME.findall(statement)}
    present = {r["name"] for r in services.db.query(
        "SELECT name FROM sqlite_master WHERE type = 'index'" if services.db.dialect == "sqlite" else
        "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()")}
    assert declared and declared <= present, "the indexes dropped for the rebuild are back"

    result = runner.invoke(cli.main, ["projections", "rebuild", "nonsense"])
    assert result.exit_code == 2 and "unknown view nonsense" in result.output

    writer.write(5)
    result = runner.invoke(cli.main, ["projections", "status"])
    assert result.exit_code == 0, (result.output, result.exception)
    shown = {view: (int(p), int(lag)) for view, p, lag in
             re.findall(r"^(\w+)\s+position\s+(\d+)\s+lag\s+(\d+)$", result.stdout, re.M)}
    head = services.projections.head()
    assert shown == {view: (p, head - p) for view, p in services.projections.positions().items()}
    assert all(lag >= 5 for _, lag in shown.values()), shown


# ---- restore guard --------------------------------------------------------------------------------

def test_a_view_ahead_of_the_store_is_refused_until_it_is_rebuilt(services):
    writer = Writer(services.agreements, Random(SEED))
    writer.write(20)
    services.projections.catch_up()
    head = services.projections.head()
    journal_rows = snapshot(services.db, "journal")
    set_tracking(services, "journal", head + 10)  # as if an older backup of the event store were restored

    with pytest.raises(RestoreDetectedError, match="accord projections rebuild journal") as refused:
        services.projections.catch_up()
    assert str(head) in str(refused.value) and str(head + 10) in str(refused.value)
    assert snapshot(services.db, "journal") == journal_rows

    writer.write(3)  # the store moves on, still behind what the journal claims to have processed
    with pytest.raises(RestoreDetectedError, match="accord projections rebuild journal"):
        services.projections.catch_up()
    new_head = services.projections.head()
    assert services.projections.positions() == {
        name: head + 10 if name == "journal" else new_head for name in services.projections.views}
    assert snapshot(services.db, "journal") == journal_rows  # nothing applied, nothing skipped

    assert services.projections.rebuild("journal") == len(log_positions(services))
    assert services.projections.catch_up() == 0
    assert journal_positions(services.db) == log_positions(services)


def test_a_restored_store_that_has_grown_past_the_view_is_still_refused(services):
    writer = Writer(services.agreements, Random(SEED))
    writer.write(20)
    services.projections.catch_up()
    head = services.projections.head()
    set_tracking(services, "journal", head + 3)  # the journal processed 3 events the restored store lost
    writer.write(6)  # new, different events take positions head+1.. again
    with pytest.raises(RestoreDetectedError):
        services.projections.catch_up()


def test_accord_projections_run_exits_2_and_says_how_to_rebuild_when_the_store_is_behind(services, storage):
    Writer(services.agreements, Random(SEED)).write(10)
    services.projections.catch_up()
    set_tracking(services, "journal", services.projections.head() + 10)
    runner = Runner(storage)
    try:
        code = runner.wait(timeout=30)
    finally:
        runner.kill()
    assert code == 2, runner.output
    assert "accord projections rebuild journal" in runner.output


def test_a_runner_started_before_its_database_answers_waits_for_it_then_runs(tmp_path):
    """SQLite stands in for an unreachable database: the runner's file is in a folder that does not exist yet."""
    storage = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "later" / "accord.db")}
    runner = Runner(storage)
    try:
        assert wait_until(lambda: "(failure 1); retrying" in runner.output, 30), runner.output
        assert runner.alive(), runner.output
        (tmp_path / "later").mkdir()
        store = Services(storage_env({}, storage))
        store.create_tables()
        Writer(store.agreements, Random(SEED)).write(5)
        assert runner.wait_started(), runner.output
        assert wait_until(lambda: caught_up(store), 30), runner.output
        code = runner.terminate()
    finally:
        runner.kill()
    store.close()
    assert code == 0, runner.output
    assert "Traceback" not in runner.output


def test_a_runner_whose_database_never_answers_gives_up_after_max_failures(unused_port):
    storage = {**PG, "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_PORT": str(unused_port),
               "POSTGRES_CONNECT_TIMEOUT": "1"}
    runner = Runner(storage, "--max-failures", "2")
    try:
        code = runner.wait(timeout=60)
    finally:
        runner.kill()
    assert code == 1, runner.output
    assert "(failure 1); retrying" in runner.output and "error: cannot continue" in runner.output, runner.output
    assert "Traceback" not in runner.output


@pytest.fixture
def unused_port() -> int:
    """A local TCP port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- read your writes, lag ------------------------------------------------------------------------

def test_min_position_waits_for_the_view_then_answers_and_times_out_with_503(client, auth, services):
    services.projections.catch_up()
    created = client.post(AGREEMENTS, headers=auth("alice"), json={
        "title": "Read-your-writes agreement", "kind": "protocol",
        "counterparties": [party("Mongolia", "state", "MN")]})
    assert created.status_code == 201, created.get_json()
    position, new_id = int(created.headers["X-Position"]), created.get_json()["id"]

    stale = client.get(AGREEMENTS, headers=auth("alice")).get_json()
    assert new_id not in [i["id"] for i in stale], "no runner in this app: the view is behind"

    failures: list[BaseException] = []

    def runner_started_later() -> None:
        try:
            services.projections.catch_up()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    timer = threading.Timer(0.3, runner_started_later)
    started = time.monotonic()
    timer.start()
    response = client.get(AGREEMENTS, query_string={"min_position": position}, headers=auth("alice"))
    waited = time.monotonic() - started
    timer.join()
    assert not failures, failures
    assert response.status_code == 200, response.get_json()
    assert new_id in [i["id"] for i in response.get_json()]
    assert waited >= 0.25, waited  # it waited for the runner started 0.3 s later

    stepped = client.post(f"{AGREEMENTS}/{new_id}/steps/attach_text", headers={**auth("alice"), "If-Match": '"1"'},
                          json={"document": draft("v1")})
    assert stepped.status_code == 200 and int(stepped.headers["X-Position"]) > position
    services.projections.catch_up()
    entries = client.get(JOURNAL, query_string={"min_position": stepped.headers["X-Position"], "after": position},
                         headers=auth("eva")).get_json()
    assert [(e["position"], e["type"]) for e in entries] == [(int(stepped.headers["X-Position"]), "attach_text")]
    assert client.get(DASHBOARD, query_string={"min_position": position},
                      headers=auth("farid")).get_json()["total"] == 1

    behind = int(client.post(f"{AGREEMENTS}/{new_id}/steps/withdraw", headers={**auth("alice"), "If-Match": '"2"'},
                             json={}).headers["X-Position"])  # recorded; no runner takes it to the views
    far = services.projections.head() + 1000
    for url, user in ((AGREEMENTS, "alice"), (DASHBOARD, "farid"), (JOURNAL, "eva")):
        started = time.monotonic()
        response = client.get(url, query_string={"min_position": behind}, headers=auth(user))
        waited = time.monotonic() - started
        assert (response.status_code, response.mimetype) == (503, PROBLEM), url
        body = response.get_json()
        assert body["type"] == "urn:accord:problem:view-behind" and str(behind) in body["detail"], body
        assert response.headers["Retry-After"].isdigit(), url
        assert 0.9 <= waited < 4.0, (url, waited)  # READ_WAIT_SECONDS is 1.0 in the tests
        beyond = client.get(url, query_string={"min_position": far}, headers=auth(user))  # answered at once
        assert (beyond.status_code, beyond.get_json()["type"]) == (503, "urn:accord:problem:position-beyond-head")
        assert str(far) in beyond.get_json()["detail"] and beyond.headers["Retry-After"].isdigit(), url


def test_ready_reports_each_views_lag_before_and_after_catch_up(client, services):
    views = list(services.projections.views)
    assert {"agreements", "journal"} <= set(views)

    def lag_report(**positions: int) -> dict[str, dict[str, int]]:
        return {name: {"position": positions[name], "lag": positions["head"] - positions[name]} for name in views}

    services.projections.catch_up()
    before = client.get("/ready").get_json()
    head = before["head_position"]
    assert before["projections"] == lag_report(head=head, **dict.fromkeys(views, head))

    Writer(services.agreements, Random(SEED)).write(4)
    behind = client.get("/ready")
    assert behind.status_code == 200
    new_head = behind.get_json()["head_position"]
    assert new_head == services.projections.head() >= head + 4
    assert behind.get_json()["projections"] == lag_report(head=new_head, **dict.fromkeys(views, head))

    services.projections.catch_up(["journal"])
    assert client.get("/ready").get_json()["projections"] == lag_report(
        head=new_head, **{**dict.fromkeys(views, head), "journal": new_head})
    services.projections.catch_up()
    assert client.get("/ready").get_json()["projections"] == lag_report(head=new_head, **dict.fromkeys(views, new_head))


# ---- stopping -------------------------------------------------------------------------------------

def test_the_cli_runner_stops_cleanly_on_sigterm_and_resumes_where_it_stopped(services, storage):
    writer = Writer(services.agreements, Random(SEED))
    writer.write(40)
    first = Runner(storage)
    try:
        assert first.wait_started(), first.output
        assert wait_until(lambda: caught_up(services), 30), first.output
        writer.write(15)  # applied while it runs
        assert wait_until(lambda: caught_up(services), 30), first.output
        code = first.terminate()
    finally:
        first.kill()
    assert code == 0, first.output
    assert "stopped cleanly" in first.output
    stopped_at = services.projections.positions()

    writer.write(25)
    time.sleep(0.3)
    assert services.projections.positions() == stopped_at, "nothing runs any more"

    second = Runner(storage)
    try:
        assert second.wait_started(), second.output
        assert wait_until(lambda: caught_up(services), 30), second.output
        code = second.terminate()
    finally:
        second.kill()
    assert code == 0, second.output
    assert_exactly_once(services)


def test_stop_takes_effect_after_the_current_batch(services):
    Writer(services.agreements, Random(SEED)).write(60)
    engine = services.projections
    engine.batch_size = 5
    applied: list[tuple[str, int]] = []

    def stop_after_the_first_batch(view: str, count: int) -> None:
        applied.append((view, count))
        engine.stop()  # what the CLI's SIGTERM handler does

    thread = threading.Thread(target=engine.run, kwargs={"poll_interval": 0.05,
                                                         "progress": stop_after_the_first_batch})
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert applied == [(view, 5) for view in engine.views]  # one batch, applied to every view in one pass


def test_a_stop_that_comes_before_the_runner_starts_ends_it_at_once(services):
    engine = services.projections
    engine.stop()  # a SIGTERM that arrives while the runner's thread is still starting
    thread = threading.Thread(target=engine.run, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    thread.join(timeout=10)
    stopped = not thread.is_alive()
    engine.stop()  # were the stop lost, this one ends the runner the test started
    thread.join(timeout=10)
    assert stopped, "a stop that came before the runner started was lost"


def test_a_settling_catch_up_stops_at_the_first_short_batch_and_leaves_later_events_for_the_next_round(services):
    writer = Writer(services.agreements, Random(SEED))
    writer.write(23)
    engine = services.projections
    batches: list[int] = []

    def write_one_more_after_a_short_batch(view: str, count: int) -> None:
        if view == "agreements":
            batches.append(count)
            if count < 10:
                writer.write(1)  # recorded while the runner works: it waits for the next round

    applied = engine.catch_up(batch_size=10, settle=True, progress=write_one_more_after_a_short_batch)
    assert batches == [10, 10, 3]
    assert applied == 23 * len(engine.views)
    assert set(engine.lag().values()) == {1}
    assert engine.catch_up(batch_size=10) == len(engine.views)  # without settle: up to the head
    assert set(engine.lag().values()) == {0}


def test_a_reader_waiting_for_a_position_wakes_the_runner_before_its_poll_interval(services):
    engine = services.projections
    thread = threading.Thread(target=engine.run, kwargs={"poll_interval": 30})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while engine.lag() and max(engine.lag().values()) > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # the runner is now waiting out its 30 s poll interval
        Writer(services.agreements, Random(SEED)).write(3)
        head = engine.head()
        started = time.monotonic()
        assert engine.wait_for(head, list(engine.views), timeout=10)
        assert time.monotonic() - started < 5, "the reader waited for the runner's poll interval"
    finally:
        engine.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
