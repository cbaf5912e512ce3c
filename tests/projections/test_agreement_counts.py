"""List totals for equality filters come from a kept count, which must equal counting the rows."""

from __future__ import annotations

from itertools import product
from random import Random

from projections import queries
from tests.projections.helpers import Writer


def test_kept_totals_equal_counted_rows_for_every_equality_filter(services):
    Writer(services.agreements, Random(7)).write(300)
    services.projections.catch_up()
    db = services.db
    rows = [dict(r) for r in db.query("SELECT stage, status, kind, countries FROM agreement_list")]
    assert rows
    stages = {r["stage"] for r in rows} | {None}
    statuses = {r["status"] for r in rows} | {None}
    kinds = {r["kind"] for r in rows} | {None}
    countries = {c for r in rows for c in r["countries"].split(",") if c} | {None, "ZZ"}
    checked = 0
    for stage, status, kind, country in product(stages, statuses, kinds, countries):
        filters = {k: v for k, v in {"stage": stage, "status": status, "kind": kind, "country": country}.items()
                   if v is not None}
        expected = sum(
            1 for r in rows
            if all(r[k] == v for k, v in filters.items() if k != "country")
            and (country is None or country in r["countries"].split(","))
        )
        assert queries.list_agreements(db, filters, per_page=1).total == expected, filters
        checked += 1
    print(f"kept totals: {checked} filter combinations over {len(rows)} agreements, all equal to counted rows")


def test_kept_totals_survive_a_rebuild(services):
    Writer(services.agreements, Random(11)).write(120)
    services.projections.catch_up()
    before = [dict(r) for r in services.db.query(
        "SELECT * FROM agreement_counts WHERE n <> 0 ORDER BY country, stage, status, kind")]
    services.projections.rebuild("agreements")
    after = [dict(r) for r in services.db.query(
        "SELECT * FROM agreement_counts WHERE n <> 0 ORDER BY country, stage, status, kind")]
    assert before == after and before
