"""The participation register's pages through the Flask client, on SQLite and PostgreSQL: who participates
on a date as known at a time, grouped by status with counts; the timeline of every state drawn as accessible
SVG; a party's page with its statuses, agreements and processes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bootstrap.seed.history import load_history
from tests.web import stories
from tests.web.conftest import signed_in


@pytest.fixture
def register(services, people):
    stories.agreements(services)  # Chile's cooperation agreement is in force since 2024-12-01
    before = datetime.now(UTC)
    slovenia = stories.enlargement(services, "Slovenia", "SI", "associate_member_pre_stage", "2016-07-21",
                                   in_force_on="2017-07-04")
    stories.enlargement(services, "Estonia", "EE", "associate_member_pre_stage", "2020-02-10",
                        in_force_on="2021-02-01")
    services.projections.catch_up()
    return {"before_enlargements": before, "slovenia": slovenia}


def group(html: str, capacity: str) -> list[str]:
    found = re.search(rf'<section aria-labelledby="group-{capacity}">(.*?)</section>', html, re.S)
    assert found, capacity
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', found.group(1))


def test_the_register_on_a_date_groups_the_parties_by_status_with_counts(visitor, register):
    html = signed_in(visitor, "bruno").get("/participation?on=2025-06-01").get_data(as_text=True)
    assert group(html, "associate_member_pre_stage") == ["Estonia", "Slovenia"]
    assert group(html, "cooperation_partner") == ["Republic of Chile"]
    assert group(html, "member") == []
    assert "<strong>3</strong> parties" in html
    assert re.search(r'Associate Member States in the pre-stage to Membership <span class="hint">\(2\)', html)
    earlier = signed_in(visitor, "bruno").get("/participation?on=2018-01-01").get_data(as_text=True)
    assert group(earlier, "associate_member_pre_stage") == ["Slovenia"]
    assert group(earlier, "cooperation_partner") == []


def test_as_known_at_a_past_time_the_register_shows_what_was_recorded_then(visitor, register):
    known = (register["before_enlargements"] - timedelta(microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    page = signed_in(visitor, "eva").get("/participation", query_string={"on": "2025-06-01", "known_at": known})
    html = page.get_data(as_text=True)
    assert group(html, "associate_member_pre_stage") == []
    assert group(html, "cooperation_partner") == ["Republic of Chile"]


def test_a_date_that_is_not_valid_is_named_beside_its_field(visitor, register):
    page = signed_in(visitor, "eva").get("/participation?on=2025-02-30&known_at=soon")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#on"' in html and 'href="#known_at"' in html


def test_the_timeline_is_drawn_as_accessible_svg_with_a_text_alternative(visitor, register):
    html = signed_in(visitor, "farid").get("/participation?on=2025-06-01").get_data(as_text=True)
    svg = re.search(r'<svg class="chart__svg" role="img" aria-labelledby="register-timeline-title '
                    r'register-timeline-desc".*?</svg>', html, re.S)
    assert svg, "the timeline is an SVG image named by its title and description"
    assert '<title id="register-timeline-title">Every state&#39;s status since 1954</title>' in svg.group(0)
    assert '<desc id="register-timeline-desc">' in svg.group(0)
    assert svg.group(0).count('class="chart__span capacity--pre-stage"') >= 2
    assert ">1954</text>" in svg.group(0)
    table = html[svg.end():]
    assert re.search(r"<th scope=\"row\">Slovenia</th><td>Associate member pre stage</td><td>2017-07-04</td>", table)
    assert "Republic of Chile: cooperation partner from 2024-12-01" in svg.group(0)  # a state, as a partner


def test_a_partys_page_shows_its_statuses_agreements_and_processes(visitor, register):
    alice = signed_in(visitor, "alice")
    html = alice.get("/participation/SI").get_data(as_text=True)
    assert "<h1>Slovenia" in html
    assert re.search(r"<th scope=\"row\">Associate member pre stage</th><td><time datetime=\"2017-07-04\">", html)
    assert f'href="/enlargements/{register["slovenia"].id}"' in html
    chile = alice.get("/participation/CL").get_data(as_text=True)
    assert "International Co-operation Agreement between CERN and the Republic of Chile" in chile
    assert "Cooperation partner" in chile
    assert alice.get("/participation/ZZ").status_code == 404
    assert signed_in(visitor, "gwen").get("/participation").status_code == 403


def test_an_organisation_is_found_by_its_name_not_its_countrys_code(visitor, services, register):
    ess = "European Spallation Source ERIC"
    html = signed_in(visitor, "alice").get(f"/agreements/{_id_of(services, 'Framework agreement')}").get_data(
        as_text=True)
    assert f'<a href="/participation/{ess.replace(" ", "%20")}">{ess}</a>' in html
    page = signed_in(visitor, "alice").get(f"/participation/{ess}")
    assert page.status_code == 200
    assert "Framework agreement on accelerator R&amp;D" in page.get_data(as_text=True)
    chile = signed_in(visitor, "alice").get("/participation?on=2025-06-01").get_data(as_text=True)
    assert '<a href="/participation/CL">Republic of Chile</a>' in chile


def _id_of(services, title_start: str) -> str:
    [row] = [r for r in services.db.query("SELECT id, title FROM agreement_list") if r["title"].startswith(title_start)]
    return row["id"]


@pytest.fixture
def published_record(services, people):
    """The published participation record, loaded as `accord seed history` loads it."""
    load_history(services.records, say=lambda line: None)
    services.projections.catch_up()


def test_the_register_shows_observers_unknown_starts_and_uncertain_dates_as_the_record_gives_them(
        visitor, published_record):
    html = signed_in(visitor, "farid").get("/participation?on=2020-01-01").get_data(as_text=True)
    assert "Russian Federation" in group(html, "observer")
    belarus = re.search(r">Belarus</a>\s*<span class=\"hint\">([^<]*)</span>", html)
    assert belarus and "since a date the record does not give" in belarus.group(1)
    assert "not certain on this date" in belarus.group(1)
    assert "Romania" in group(html, "member")
    assert "Romania" in group(signed_in(visitor, "farid").get("/participation?on=2012-01-01").get_data(
        as_text=True), "candidate_for_accession")
    suspended = signed_in(visitor, "farid").get("/participation?on=2023-01-01").get_data(as_text=True)
    assert re.search(r">Russian Federation</a>\s*<span class=\"hint\">[^<]*suspended", suspended)
    assert 'class="chart__span capacity--observer' in html
    assert "The Organization's own status elsewhere" in html
    party = signed_in(visitor, "farid").get("/participation/BY")
    assert party.status_code == 200 and re.search(r"<td>unknown <span class=\"hint\">", party.get_data(as_text=True))
