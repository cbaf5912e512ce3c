"""The agreements' pages through the Flask client, on SQLite and PostgreSQL: who may see them, the list's
filters, sort, pages and totals, its CSV (exactly the rows the filters match, every page of them), and one
agreement at its latest version, a past version, as of a past time, its history and the diff of two versions."""

from __future__ import annotations

import csv
import html as markup
import io
import re

import pytest

from tests.drafts import draft
from tests.web import stories
from tests.web.conftest import signed_in

CHILE = "International Co-operation Agreement between CERN and the Republic of Chile"
MONGOLIA = "International Co-operation Agreement between CERN and Mongolia"
NAIROBI = "Memorandum of Understanding with the University of Nairobi"


@pytest.fixture
def demo(services, people):
    return stories.agreements(services)


def titles_listed(html: str) -> list[str]:
    return [markup.unescape(t) for t in
            re.findall(r'<th scope="row"><a href="/agreements/[0-9a-f-]{36}">([^<]+)</a>', html)]


def test_every_reader_sees_the_list_and_the_administrator_does_not(visitor, demo):
    for name in ("alice", "bruno", "eva", "farid"):
        page = signed_in(visitor, name).get("/agreements")
        assert page.status_code == 200, name
        assert len(titles_listed(page.get_data(as_text=True))) == 6
    assert signed_in(visitor, "gwen").get("/agreements").status_code == 403
    assert visitor().get("/agreements").status_code == 302  # to the sign-in page


def test_filters_narrow_the_list_and_the_totals_say_how_many_match(visitor, demo):
    alice = signed_in(visitor, "alice")
    html = alice.get("/agreements?stage=negotiation").get_data(as_text=True)
    assert titles_listed(html) == [MONGOLIA]
    assert "1 agreement matches" in html
    html = alice.get("/agreements?country=cl&sort=title").get_data(as_text=True)
    assert titles_listed(html) == [CHILE, "Protocol to the Chile ICA on participation in the CMS experiment"]
    assert 'value="CL"' in html  # the filter is kept, as read
    html = alice.get("/agreements?q=Nairobi").get_data(as_text=True)
    assert titles_listed(html) == [NAIROBI]
    html = alice.get("/agreements?kind=memorandum_of_understanding&status=withdrawn").get_data(as_text=True)
    assert titles_listed(html) == ["Memorandum of Understanding with the Institute for Advanced Detector Studies"]


def test_sort_and_pages(visitor, demo):
    alice = signed_in(visitor, "alice")
    every = titles_listed(alice.get("/agreements?sort=title&per_page=100").get_data(as_text=True))
    assert every == sorted(every)
    assert titles_listed(alice.get("/agreements?sort=-title").get_data(as_text=True)) == every[::-1]
    first = alice.get("/agreements?sort=title&per_page=25").get_data(as_text=True)
    assert "6 agreements" in first and 'aria-label="Pages"' in first
    assert titles_listed(alice.get("/agreements?sort=title&page=2").get_data(as_text=True)) == []


def test_a_filter_that_is_not_valid_is_named_beside_its_field(visitor, demo):
    page = signed_in(visitor, "alice").get("/agreements?stage=dreaming&country=Chile")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and "Enter a two-letter country code." in html
    assert titles_listed(html) == []


def test_the_csv_holds_exactly_what_the_filters_match_on_every_page(visitor, services, demo):
    alice = signed_in(visitor, "alice")
    for query in ("", "?stage=implementation", "?country=CL&sort=title", "?q=agreement", "?status=withdrawn"):
        listed = titles_listed(alice.get(f"/agreements{query}{'&' if query else '?'}per_page=100")
                               .get_data(as_text=True))
        download = alice.get(f"/agreements/download.csv{query}")
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert "attachment" in download.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
        assert [r["title"] for r in rows] == listed, query
    assert signed_in(visitor, "gwen").get("/agreements/download.csv").status_code == 403


def test_the_csv_reads_every_page_of_a_long_list(visitor, services, people, monkeypatch):
    from web import listing
    monkeypatch.setattr(listing, "CSV_BATCH", 2)  # five agreements: three batches
    for n in range(5):
        services.agreements.create({"title": f"Agreement {n}", "kind": "other",
                                    "counterparties": [{"name": "Republic of Chile", "kind": "state",
                                                        "country": "CL"}]},
                                   stories.IR, stories.StepContext())
    services.projections.catch_up()
    rows = list(csv.DictReader(io.StringIO(signed_in(visitor, "farid").get("/agreements/download.csv?sort=title")
                                           .get_data(as_text=True))))
    assert [r["title"] for r in rows] == [f"Agreement {n}" for n in range(5)]


def test_one_agreement_shows_its_stage_parties_texts_signatures_milestones_and_history(visitor, services, demo):
    page = signed_in(visitor, "farid").get(f"/agreements/{demo[CHILE]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<h1>{CHILE}</h1>" in html
    current = re.search(r'<li class="[^"]*stage-line__stage--current"\s+aria-current="step">\s*(\w+)', html)
    assert current and current.group(1) == "Implementation"
    for text in ("In force", "Republic of Chile", "Chile ICA draft v1", "Minister of Science", "2024-11-20",
                 "Joint committee met for the first time.", "Enter into force", "carla", "IR-2024-117"):
        assert text in html, text
    history = list(services.agreements.history(demo[CHILE]))
    assert history[-1].hash in html and history[0].hash in html
    assert html.count('class="timeline__event"') == len(history)
    assert "UTC" in html


def test_the_history_shows_codes_in_words_and_parties_by_name(visitor, services, demo):
    html = signed_in(visitor, "farid").get(f"/agreements/{demo[NAIROBI]}").get_data(as_text=True)
    created = html[html.index('id="v1"'):]
    assert "Memorandum of understanding" in created and "memorandum_of_understanding" not in created
    assert "University of Nairobi (Institute, KE)" in created and "name: " not in created


def test_a_past_version_and_a_past_moment(visitor, services, demo):
    chile = services.agreements.get(demo[CHILE])
    farid = signed_in(visitor, "farid")
    html = farid.get(f"/agreements/{demo[CHILE]}?version=1").get_data(as_text=True)
    assert f"version 1 of {chile.version}" in html
    assert re.search(r'stage-line__stage--current"\s+aria-current="step">\s*Drafting', html)
    history = list(services.agreements.history(demo[CHILE]))
    moment = history[3].recorded_at.isoformat()
    html = farid.get(f"/agreements/{demo[CHILE]}", query_string={"as_of": moment}).get_data(as_text=True)
    assert f"version 4 of {chile.version}" in html
    assert farid.get(f"/agreements/{demo[CHILE]}?version=999").status_code == 400
    assert farid.get(f"/agreements/{demo[CHILE]}?as_of=yesterday").status_code == 400
    before = farid.get(f"/agreements/{demo[CHILE]}?as_of=2000-01-01")
    assert before.status_code == 404 and "did not exist yet" in before.get_data(as_text=True)
    assert farid.get("/agreements/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_diff_between_two_versions(visitor, services, demo):
    farid = signed_in(visitor, "farid")
    html = farid.get(f"/agreements/{demo[CHILE]}?from=1&to=2").get_data(as_text=True)
    assert "What changed from version 1 to version 2" in html
    assert re.search(r"<th scope=\"row\">Current text</th><td><del>–</del></td><td><ins>Chile ICA draft v1", html)
    assert "attach text by alice" in html
    assert farid.get(f"/agreements/{demo[CHILE]}?from=3&to=2").status_code == 400


def test_a_long_history_is_shown_a_page_at_a_time_newest_first(visitor, services, people):
    created = services.agreements.create(
        {"title": "Busy agreement", "kind": "other",
         "counterparties": [{"name": "Republic of Chile", "kind": "state", "country": "CL"}]},
        stories.IR, stories.StepContext()).aggregate
    for n in range(30):
        stories.step(services.agreements, created.id, stories.IR, "attach_text",
                     document=draft(f"Draft {n}"))
    farid = signed_in(visitor, "farid")
    first = farid.get(f"/agreements/{created.id}").get_data(as_text=True)
    assert first.count('class="timeline__event"') == 25 and 'id="v31"' in first and 'id="v7"' in first
    assert 'id="v6"' not in first
    second = farid.get(f"/agreements/{created.id}?history_page=2").get_data(as_text=True)
    assert second.count('class="timeline__event"') == 6 and 'id="v1"' in second


def test_the_list_page_is_small_and_asks_nothing_outside_accord(visitor, demo):
    html = signed_in(visitor, "eva").get("/agreements").get_data(as_text=True)
    assert len(html.encode()) < 300_000
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_pages_show_dates_with_a_hint_and_times_in_utc(visitor, demo):
    html = signed_in(visitor, "eva").get(f"/agreements/{demo[CHILE]}").get_data(as_text=True)
    assert re.search(r'<time datetime="2024-12-01">2024-12-01</time> <span class="hint">\(\d+ \w+ ago\)</span>', html)
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", html)
