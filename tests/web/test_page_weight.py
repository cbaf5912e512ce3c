"""Fast pages, checked through the Flask client on SQLite and PostgreSQL: every main page's first load (the
page and its stylesheet) is under 300 KB and asks for nothing outside Accord, and no page asks the views once
per row: the queries a page makes do not grow with the rows it shows."""

from __future__ import annotations

import re

import pytest

from tests.drafts import draft
from tests.web import stories
from tests.web.conftest import signed_in

LIMIT = 300_000
CHILE = "International Co-operation Agreement between CERN and the Republic of Chile"

MORE_STATES = ("BT", "BW", "BZ", "CV", "DM", "FJ", "GD", "GY", "KI", "LC", "MV", "NR")
"""Countries (ISO 3166-1 codes in use) no other process here names: one more process for each."""


@pytest.fixture
def demo(services, people):
    found = stories.agreements(services)
    stories.enlargement(services, "Slovenia", "SI", "associate_member_pre_stage", "2016-07-21",
                        in_force_on="2017-07-04")
    services.projections.catch_up()
    return found


def main_pages(demo) -> dict[str, list[str]]:
    chile = demo[CHILE]
    return {
        "farid": ["/", "/agreements", f"/agreements/{chile}", f"/agreements/{chile}?from=1&to=5", "/enlargements",
                  "/participation", "/participation/CL", "/dashboard", "/audit/journal"],
        "alice": ["/"], "bruno": ["/"], "eva": ["/", "/audit/verify"],
    }


def test_every_main_page_loads_under_300_kb_from_accord_alone(visitor, demo):
    for name, paths in main_pages(demo).items():
        browser = signed_in(visitor, name)
        for path in paths:
            page = browser.get(path)
            assert page.status_code == 200, (name, path)
            html = page.get_data(as_text=True)
            assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
            weight = len(page.get_data()) + sum(len(browser.get(a).get_data()) for a in set(assets))
            assert weight < LIMIT, (path, weight)
            assert not re.search(r'(?:src|href|action)="(?:https?:)?//', html), path


def test_no_page_asks_the_views_once_per_row(visitor, services, demo, monkeypatch):
    counted: list[str] = []
    query = type(services.db).query

    def counting(self, *args, **kwargs):
        counted.append(args[0])
        return query(self, *args, **kwargs)

    monkeypatch.setattr(type(services.db), "query", counting)

    def queries_of(browser, path: str) -> int:
        counted.clear()
        assert browser.get(path).status_code == 200, path
        return len(counted)

    pages = main_pages(demo)
    browsers = {name: signed_in(visitor, name) for name in pages}
    before = {(name, path): queries_of(browsers[name], path) for name, paths in pages.items() for path in paths}
    for n in range(12):  # more of every kind of row: agreements (in each list), steps, reviews, processes
        created = services.agreements.create(
            {"title": f"More {n}", "kind": "other", "expires_on": "2027-01-31",
             "counterparties": [{"name": "Republic of Chile", "kind": "state", "country": "CL"}]},
            stories.IR, stories.StepContext()).aggregate
        stories.step(services.agreements, created.id, stories.IR, "attach_text",
                     document=draft(f"More {n} v1"))
        stories.step(services.agreements, created.id, stories.IR, "request_legal_review")
        stories.enlargement(services, f"State {n}", MORE_STATES[n], "associate_member", "2024-01-01")
    services.projections.catch_up()
    after = {(name, path): queries_of(browsers[name], path) for name, paths in pages.items() for path in paths}
    assert after == before
