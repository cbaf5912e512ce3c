"""The dashboard through the Flask client, on SQLite and PostgreSQL: counts by stage, status and kind as SVG
charts and as numbers, stalled and expiring agreements, and enlargement processes by stage and target."""

from __future__ import annotations

import re

import pytest

from tests.web import stories
from tests.web.conftest import signed_in


@pytest.fixture
def data(services, people):
    found = stories.agreements(services)
    stories.enlargement(services, "Slovenia", "SI", "associate_member_pre_stage", "2016-07-21",
                        in_force_on="2017-07-04")
    services.projections.catch_up()
    return found


def numbers(html: str, chart: str) -> dict[str, int]:
    figure = re.search(rf'<figure class="chart" aria-labelledby="{chart}-caption">(.*?)</figure>', html, re.S)
    assert figure, chart
    return {label: int(n) for label, n in re.findall(
        r'<tr(?: class="table__total")?><th scope="row">([^<]+)</th><td class="number">(\d+)</td></tr>',
        figure.group(1))}


def test_counts_as_charts_and_numbers(visitor, data):
    html = signed_in(visitor, "farid").get("/dashboard").get_data(as_text=True)
    assert numbers(html, "by-stage") == {"Drafting": 1, "Negotiation": 1, "Signature": 1, "Implementation": 2,
                                         "Closed": 1, "Total": 6}
    assert numbers(html, "by-status")["In force"] == 2
    assert numbers(html, "by-kind")["Memorandum of understanding"] == 2
    assert numbers(html, "enlargements-by-target")["Associate member pre stage"] == 1
    assert numbers(html, "enlargements-by-stage")["Implementation"] == 1
    for chart in ("by-stage", "by-status", "by-kind", "enlargements-by-stage", "enlargements-by-target"):
        assert re.search(rf'<svg class="chart__svg" role="img" aria-labelledby="{chart}-title {chart}-desc"', html)
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert '<desc id="by-stage-desc">Drafting: 1; Negotiation: 1; Signature: 1; Implementation: 2; Closed: 1.' in html


def test_stalled_and_expiring_agreements(visitor, data):
    farid = signed_in(visitor, "farid")
    html = farid.get("/dashboard?stalled_days=0&expiring_days=3650").get_data(as_text=True)
    assert re.search(r"Stalled: no step for 0 days <span class=\"hint\">\(5\)", html)  # all open ones
    expiring = re.search(r'id="expiring-title">.*?</section>', html, re.S).group(0)
    assert "Protocol to the Chile ICA" in expiring and "Mongolia" in expiring
    html = farid.get("/dashboard").get_data(as_text=True)
    assert re.search(r"Stalled: no step for 90 days <span class=\"hint\">\(0\)", html)
    refused = farid.get("/dashboard?stalled_days=-1")
    assert refused.status_code == 400 and "Enter a number of days" in refused.get_data(as_text=True)


def test_who_may_see_the_dashboard(visitor, data):
    for name in ("alice", "bruno", "eva", "farid"):
        assert signed_in(visitor, name).get("/dashboard").status_code == 200, name
    assert signed_in(visitor, "gwen").get("/dashboard").status_code == 403


def test_the_dashboard_links_to_every_stalled_agreement_in_the_list(visitor, data, monkeypatch):
    from web import dashboard
    monkeypatch.setattr(dashboard, "LISTED", 2)
    farid = signed_in(visitor, "farid")
    html = farid.get("/dashboard?stalled_days=0").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">All 5 stalled agreements</a>', html).group(1).replace("&amp;", "&")
    listed = farid.get(link).get_data(as_text=True)
    assert "5 agreements match" in listed and "no step for 0 days" in listed
    assert 'type="hidden" name="stalled_for_days" value="0"' in listed, "kept when the form filters again"
    rows = farid.get(link.replace("/agreements?", "/agreements/download.csv?")).get_data(as_text=True)
    assert len(rows.strip().splitlines()) == 1 + 5
    assert "6 agreements" in farid.get(re.search(r'<a href="([^"]+)">Remove this filter', listed).group(1)
                                       .replace("&amp;", "&")).get_data(as_text=True)
