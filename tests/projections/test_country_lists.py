"""A country's list is read from agreement_countries (kept with every step) when sorted by updated_at, and
filtered through it otherwise: either way it is the full list, in the same order, less the other countries."""

from __future__ import annotations

from random import Random

from projections import queries
from tests.projections.helpers import Writer


def test_a_country_list_is_the_full_list_less_the_other_countries_in_every_order_and_stage(services):
    Writer(services.agreements, Random(5), max_open=30).write(400)
    services.projections.catch_up()
    db = services.db
    rows = {r["id"]: dict(r) for r in db.query("SELECT id, stage, countries FROM agreement_list")}
    counted = {}
    for r in rows.values():
        for country in filter(None, r["countries"].split(",")):
            counted[country] = counted.get(country, 0) + 1
    countries = sorted(counted, key=counted.get)[-3:] + ["ZZ"]  # the commonest three, and none
    assert counted[countries[-2]] > 3, counted  # more than a page
    stages = [None, *sorted({r["stage"] for r in rows.values()})]
    for sort in [f"{d}{c}" for c in queries.AGREEMENT_SORTABLE for d in ("", "-")]:
        everything = [i["id"] for i in queries.list_agreements(db, {}, sort=sort, per_page=500).items]
        assert len(everything) == len(rows)
        for country in countries:
            for stage in stages:
                filters = {"country": country, **({"stage": stage} if stage else {})}
                want = [i for i in everything if country in rows[i]["countries"].split(",")
                        and stage in (None, rows[i]["stage"])]
                pages = [queries.list_agreements(db, filters, sort=sort, page=n, per_page=3) for n in (1, 2, 3)]
                assert [i["id"] for p in pages for i in p.items] == want[:9], (sort, filters)
                assert {p.total for p in pages} == {len(want)}, (sort, filters)


def test_a_country_list_follows_its_agreements_through_their_steps(services):
    writer = Writer(services.agreements, Random(9))
    writer.write(60)
    services.projections.catch_up()
    before = {r["agreement_id"]: dict(r) for r in services.db.query("SELECT * FROM agreement_countries")}
    writer.write(120)
    services.projections.catch_up()
    rows = {r["id"]: dict(r) for r in services.db.query("SELECT * FROM agreement_list")}
    kept = [dict(r) for r in services.db.query("SELECT * FROM agreement_countries")]
    assert sorted((k["country"], k["agreement_id"]) for k in kept) == sorted(
        (c, i) for i, r in rows.items() for c in r["countries"].split(",") if c)
    for k in kept:
        row = rows[k["agreement_id"]]
        assert (k["stage"], k["status"], k["kind"], k["updated_at"]) == (
            row["stage"], row["status"], row["kind"], row["updated_at"]), k
    assert any(before[i]["updated_at"] != rows[i]["updated_at"] for i in before), "steps were taken"
