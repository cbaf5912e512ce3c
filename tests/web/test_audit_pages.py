"""The auditors' pages through the Flask client, on SQLite and PostgreSQL: the journal (who may read it, its
filters and pages), verification with the digest to save and the check of a saved digest, and the export."""

from __future__ import annotations

import json
import re

import pytest

from tests.web import stories
from tests.web.conftest import head, recorded, signed_in
from web import audit


@pytest.fixture
def demo(services, people):
    return stories.agreements(services)


def positions(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<tr>\s*<th scope="row">(\d+)</th>', html)]


def actors(html: str) -> set[str]:
    return set(re.findall(r'<td class="journal__who">([^<]+)<br>', html))


def test_auditors_and_management_read_the_journal_and_no_one_else(visitor, demo):
    for name in ("eva", "farid"):
        assert signed_in(visitor, name).get("/audit/journal").status_code == 200, name
    for name in ("alice", "bruno", "gwen"):
        assert signed_in(visitor, name).get("/audit/journal").status_code == 403, name


def test_the_journal_is_newest_first_a_page_at_a_time(visitor, services, demo, monkeypatch):
    services.projections.catch_up()
    eva = signed_in(visitor, "eva")
    services.projections.catch_up()
    monkeypatch.setattr(audit, "PER_PAGE", 10)
    first = eva.get("/audit/journal").get_data(as_text=True)
    newest = positions(first)
    assert len(newest) == 10 and newest == sorted(newest, reverse=True)
    assert newest[0] == services.projections.positions()["journal"]
    older_link = re.search(r'<a href="([^"]+)" rel="next">Older entries', first).group(1).replace("&amp;", "&")
    second = eva.get(older_link).get_data(as_text=True)
    older = positions(second)
    assert len(older) == 10 and max(older) < min(newest)
    newer_link = re.search(r'<a href="([^"]+)" rel="prev">Newer entries', second).group(1).replace("&amp;", "&")
    assert positions(eva.get(newer_link).get_data(as_text=True)) == newest


def test_the_journal_filters_by_actor_aggregate_and_time(visitor, services, demo):
    eva = signed_in(visitor, "eva")
    services.projections.catch_up()
    carla = eva.get("/audit/journal?actor=carla").get_data(as_text=True)
    assert actors(carla) == {"carla"} and "Enter into force" in carla
    chile = demo["International Co-operation Agreement between CERN and the Republic of Chile"]
    mine = eva.get(f"/audit/journal?aggregate={chile}").get_data(as_text=True)
    assert len(positions(mine)) == services.agreements.get(chile).version
    assert f'href="/agreements/{chile}#v1"' in mine
    assert positions(eva.get("/audit/journal?recorded_to=2000-01-01").get_data(as_text=True)) == []
    assert len(positions(eva.get("/audit/journal?recorded_from=2000-01-01").get_data(as_text=True))) == 50
    refused = eva.get("/audit/journal?aggregate=chile&recorded_from=soon")
    assert refused.status_code == 400 and 'href="#aggregate"' in refused.get_data(as_text=True)


def test_sign_ins_are_in_the_journal(visitor, services, demo):
    signed_in(visitor, "bruno")
    eva = signed_in(visitor, "eva")
    services.projections.catch_up()
    html = eva.get("/audit/journal?actor=bruno").get_data(as_text=True)
    assert "Account signed in" in html and actors(html) == {"bruno"}


def test_verification_gives_a_digest_and_checks_a_saved_one(visitor, services, demo):
    eva = signed_in(visitor, "eva")
    page = eva.get("/audit/verify").get_data(as_text=True)
    assert "Every event verifies" in page
    position = int(re.search(r'<code id="digest-position">(\d+)</code>', page).group(1))
    digest = re.search(r'<code id="digest-hash" class="hash">([0-9a-f]{64})</code>', page).group(1)
    assert position == head(services)
    before = head(services)
    good = eva.submit("/audit/verify", {"position": str(position), "hash": digest})
    assert good.status_code == 200 and "The saved digest matches" in good.get_data(as_text=True)
    bad = eva.submit("/audit/verify", {"position": str(position), "hash": "0" * 64})
    assert "The saved digest does not match" in bad.get_data(as_text=True)
    wrong = eva.submit("/audit/verify", {"position": "x", "hash": "not a hash"})
    assert wrong.status_code == 400
    assert "Enter the position as a whole number." in wrong.get_data(as_text=True)
    assert "Enter the hash as 64 lowercase hexadecimal digits." in wrong.get_data(as_text=True)
    assert [t for t, _ in recorded(services, before)] == [], "checking records nothing"
    assert signed_in(visitor, "farid").get("/audit/verify").status_code == 403


def test_the_export_is_every_event_for_auditors_only(visitor, services, demo):
    download = signed_in(visitor, "eva").get("/audit/export")
    assert download.status_code == 200 and download.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in download.get_data(as_text=True).splitlines() if line.strip()]
    assert len(lines) >= services.agreements.get(
        demo["International Co-operation Agreement between CERN and the Republic of Chile"]).version
    assert signed_in(visitor, "farid").get("/audit/export").status_code == 403
    assert signed_in(visitor, "alice").get("/audit/export").status_code == 403
