"""In the embedded shape the clock is a thread of the web worker that keeps the views current: it decides as
of today (UTC) as soon as that runner starts, then every ACCORD_CLOCK_INTERVAL_SECONDS."""

from __future__ import annotations

import time

from bootstrap import create_app
from tests.time.helpers import agreement_in_force


def test_the_worker_that_keeps_the_views_also_keeps_the_time(storage):
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": True,
                      "CLOCK_INTERVAL_SECONDS": 3600})
    services = app.extensions["accord"]
    try:
        walk = agreement_in_force(services, expires_on="2025-06-30", renewal_rule="none")  # passed already
        app.test_client().get("/health")  # the first request starts the in-process runner, and its clock
        deadline = time.monotonic() + 15
        while services.agreements.get(walk.id).status.value != "expired" and time.monotonic() < deadline:
            time.sleep(0.1)
        agreement = services.agreements.get(walk.id)
        assert (agreement.status.value, agreement.closed_on.isoformat()) == ("expired", "2025-06-30")
        last = list(services.agreements.history(walk.id))[-1]
        assert (last.type, last.actor, last.data["rule"]) == ("expire_at_term", "clock", "no_renewal")
    finally:
        services.close()
