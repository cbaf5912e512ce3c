"""``accord clock run`` as an operator runs it: --once, --today, and killed mid-run then run again."""

from __future__ import annotations

import signal
import subprocess
from datetime import date

from tests.projections.helpers import ACCORD, ROOT, runner_env
from tests.time.helpers import agreement_in_force, tacit

AGREEMENTS = 25
"""Each renews twice by 2039-06-01: 50 decisions, many more than the clock records before it is killed."""


def renewals(services, walks) -> dict[str, list[str]]:
    return {str(w.id): [e.data["effective_on"] for e in services.agreements.history(w.id)
                        if e.type == "renew_tacitly"] for w in walks}


def clock(storage, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ACCORD), "clock", "run", *args], cwd=ROOT, env=runner_env(storage),
                          capture_output=True, text=True, timeout=300)


def test_once_as_of_a_given_day(services, storage):
    walk = agreement_in_force(services, **tacit())

    before = clock(storage, "--once", "--today", "2030-01-01")
    after = clock(storage, "--once", "--today", "2030-01-02")
    again = clock(storage, "--once", "--today", "2030-01-02")

    assert before.returncode == after.returncode == again.returncode == 0, after.stderr
    assert "deciding as of 2030-01-01" in before.stdout and "0 decisions recorded" in before.stdout
    assert f"agreement {walk.id} (Co-operation with Chile): renew_tacitly [tacit_renewal] effective 2030-01-01, " \
           "recorded" in after.stdout
    assert "1 decisions recorded, 0 found recorded already" in after.stdout
    assert "0 decisions recorded" in again.stdout
    assert renewals(services, [walk]) == {str(walk.id): ["2030-01-01"]}


def test_a_day_that_is_not_one_is_refused(storage, services):
    refused = clock(storage, "--once", "--today", "2030-02-30")
    assert refused.returncode == 2 and "YYYY-MM-DD" in refused.stderr


def test_a_clock_killed_mid_run_and_run_again_records_every_decision_once(services, storage):
    walks = [agreement_in_force(services, title=f"Agreement {n:02}", **tacit()) for n in range(AGREEMENTS)]
    process = subprocess.Popen([str(ACCORD), "clock", "run", "--once", "--today", "2039-06-01"], cwd=ROOT,
                               env=runner_env(storage), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in process.stdout:
            if ", recorded at version" in line:  # its first decision is committed: kill it now
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.wait(30)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    killed = renewals(services, walks)
    recorded_before = sum(len(r) for r in killed.values())
    assert 1 <= recorded_before < 2 * AGREEMENTS  # killed mid-run

    finished = clock(storage, "--once", "--today", "2039-06-01")

    assert finished.returncode == 0, finished.stderr
    assert f"{2 * AGREEMENTS - recorded_before} decisions recorded" in finished.stdout
    assert all(dates == ["2030-01-01", "2035-01-01"] for dates in renewals(services, walks).values())
    assert date(2040, 1, 1) == services.agreements.get(walks[0].id).expires_on
