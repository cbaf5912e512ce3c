"""The enlargement processes' pages through the Flask client, on SQLite and PostgreSQL: the list's filters,
totals and CSV, and one process with its target status, a past version and the diff."""

from __future__ import annotations

import csv
import html as markup
import io
import re

import pytest

from tests.web import stories
from tests.web.conftest import signed_in


@pytest.fixture
def processes(services, people):
    found = {
        "slovenia": stories.enlargement(services, "Slovenia", "SI", "associate_member_pre_stage", "2016-07-21",
                                        in_force_on="2017-07-04"),
        "chile": stories.enlargement(services, "Chile", "CL", "associate_member", "2024-03-01"),
        "estonia": stories.enlargement(services, "Estonia", "EE", "associate_member_pre_stage", "2020-02-10",
                                       in_force_on="2021-02-01"),
    }
    services.projections.catch_up()
    return found


def listed(html: str) -> list[str]:
    return [markup.unescape(t) for t in
            re.findall(r'<th scope="row"><a href="/enlargements/[0-9a-f-]{36}">([^<]+)</a>', html)]


def test_the_list_filters_sorts_and_counts(visitor, processes):
    bruno = signed_in(visitor, "bruno")
    html = bruno.get("/enlargements?sort=state").get_data(as_text=True)
    assert listed(html) == ["Chile: associate member", "Estonia: associate member pre stage",
                            "Slovenia: associate member pre stage"]
    assert "3 processes" in html
    assert listed(bruno.get("/enlargements?stage=implementation&sort=-state").get_data(as_text=True)) == [
        "Slovenia: associate member pre stage", "Estonia: associate member pre stage"]
    assert listed(bruno.get("/enlargements?country=cl").get_data(as_text=True)) == ["Chile: associate member"]
    assert listed(bruno.get("/enlargements?target=member").get_data(as_text=True)) == []
    assert bruno.get("/enlargements?target=emperor").status_code == 400
    assert signed_in(visitor, "gwen").get("/enlargements").status_code == 403


def test_the_csv_is_what_the_filters_match(visitor, processes):
    farid = signed_in(visitor, "farid")
    for query in ("?sort=state", "?stage=implementation&sort=state", "?country=EE"):
        rows = list(csv.DictReader(io.StringIO(farid.get(f"/enlargements/download.csv{query}")
                                               .get_data(as_text=True))))
        shown = listed(farid.get(f"/enlargements{query}").get_data(as_text=True))
        assert [f"{r['state']}: {r['target'].replace('_', ' ')}" for r in rows] == shown, query


def test_one_process_with_its_target_past_versions_and_diff(visitor, services, processes):
    slovenia = processes["slovenia"]
    eva = signed_in(visitor, "eva")
    html = eva.get(f"/enlargements/{slovenia.id}").get_data(as_text=True)
    assert "<h1>Slovenia: associate member pre stage</h1>" in html
    assert re.search(r'stage-line__stage--current"\s+aria-current="step">\s*Implementation', html)
    for text in ("Target status", "Associate member pre stage", "In force", "2017-07-04", "Slovenia agreement"):
        assert text in html, text
    assert html.count('class="timeline__event"') == slovenia.version
    old = eva.get(f"/enlargements/{slovenia.id}?version=1").get_data(as_text=True)
    assert f"version 1 of {slovenia.version}" in old and "No text attached yet." in old
    diff = eva.get(f"/enlargements/{slovenia.id}?from={slovenia.version - 1}&to={slovenia.version}")
    assert "What changed from version" in diff.get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">Status</th><td><del>Ratified</del></td><td><ins>In force",
                     diff.get_data(as_text=True))


def test_a_process_to_membership_shows_the_pre_stage_s_limits(visitor, processes, services):
    membership = stories.enlargement(services, "Estonia", "EE", "member", "2023-05-01")

    html = signed_in(visitor, "bruno").get(f"/enlargements/{membership.id}").get_data(as_text=True)

    facts = re.sub(r"<[^>]+>", "", html.split("Pre-stage since")[1].split("</dl>")[0])
    assert re.search(r"2021-02-01.*at the earliest \(2 years\)2023-02-01.*at the latest \(5 years\)2026-02-01",
                     facts, re.S), facts
    assert "<dt>Under the workflow</dt><dd>version 2</dd>" in html, "the history names each event's version"
    assert "Pre-stage since" not in signed_in(visitor, "bruno").get(
        f"/enlargements/{processes['chile'].id}").get_data(as_text=True)
