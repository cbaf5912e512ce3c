"""The title search (``q``): a case-insensitive substring of the title, found through the title index.

Whatever way a search is answered (the trigram index, the index with its page looked up or with the sort
order walked, a scan for fewer than three characters, no index at all), it must list exactly the agreements
whose casefolded title contains the casefolded text, in the order asked for, with their number.
"""

from __future__ import annotations

from typing import Any

import pytest

from projections import queries, titles
from projections.db import like_contains
from storage.views import title_index_warning
from tests.projections.helpers import ICA, Walk, party
from tests.projections.test_agreement_list import get_list, links

TITLES = {
    "detector": "Memorandum on Detector Development with the Institute of Physics",
    "protocol": "Protocol on the detectors of the CMS experiment",
    "strasse": "Vereinbarung mit der Stadt Straßburg",
    "ecole": "Accord avec l'ÉCOLE polytechnique fédérale",
    "greek": "Συμφωνία συνεργασίας με την Ελλάδα",
    "percent": "100% Open Science memorandum",
    "underscore": "Accelerator R_D framework with the Japanese ministry",
    "quote": 'The "Blue Sky" protocol on computing',
    "backslash": "Archive C:\\Accord\\2025 agreement",
    "nairobi": "MoU with the University of Nairobi (working title)",
}
CORRECTED = {"nairobi": "Memorandum of Understanding with the University of Nairobi"}
SEARCHES = [
    "etect", "DETECTOR", "detectors", "Detector Development", "straßburg", "STRASSBURG", "école", "ÉCOLE",
    "ecole", "ΕΛΛΆΔΑ", "συνεργασίας", "100%", "0% o", "r_d", "R_D FRAMEWORK", "r%d", "a_c", "c:\\accord\\",
    '"blue sky"', 'sky"', "working title", "memorandum of understanding", "university of nairobi", "nothing like it",
    "ß", "é", "ic", "r_", "%", "_", "\\", '"', "σ", "of", "Ω",
]
"""Three characters or more use the index; the last eleven are shorter and scan."""
NUL = ["a\x00bc", "\x00\x00\x00", "ure\x00"]
"""Searches with a NUL character scan too (FTS5 would read them only up to it; PostgreSQL text cannot hold
one)."""


@pytest.fixture
def searched(services) -> dict[str, Walk]:
    walks = {slug: Walk(services.agreements, "alice", title=title, kind=ICA,
                        counterparties=[party("Japan", "state", "JP")]) for slug, title in TITLES.items()}
    for slug, title in CORRECTED.items():
        walks[slug].step("carla", "correct", field="title", value=title)
    services.projections.catch_up()
    return walks


def expected(text: str, walks: dict[str, Walk]) -> set[str]:
    """The agreements whose title, as corrected, contains ``text`` ignoring case."""
    return {str(walks[slug].id) for slug in TITLES
            if text.casefold() in CORRECTED.get(slug, TITLES[slug]).casefold()}


def search(services: Any, text: str, **kwargs: Any) -> queries.Page:
    return queries.list_agreements(services.db, {"q": text}, per_page=kwargs.pop("per_page", 500), **kwargs)


def test_the_searches_here_exercise_both_the_index_and_the_scan():
    assert {titles.indexed(text) for text in SEARCHES[:-11]} == {True}
    assert {titles.indexed(text) for text in SEARCHES[-11:]} == {False}
    assert titles.indexed("ßa")  # "ssa" once casefolded
    assert not titles.indexed("a\x00bc")


def test_a_search_lists_exactly_the_titles_containing_the_text_in_any_case(services, searched):
    wrong = []
    for text in SEARCHES:
        page = search(services, text)
        got = {item["id"] for item in page.items}
        if got != expected(text, searched) or page.total != len(got) or page.total_is_lower_bound:
            wrong.append((text, page.total, sorted(got), sorted(expected(text, searched))))
    assert not wrong, wrong


@pytest.mark.parametrize("storage", ["sqlite"], indirect=True)
def test_a_search_with_a_nul_character_answers_as_the_scan_does(services, searched):
    for text in NUL:
        scanned = services.db.query("SELECT id FROM agreement_list WHERE title_key LIKE ? ESCAPE '\\'",
                                    [like_contains(text)])
        assert {i["id"] for i in search(services, text).items} == {r["id"] for r in scanned}, text


def test_a_search_finds_a_word_from_its_middle_beyond_ascii_and_with_like_wildcards_taken_literally(
        services, searched):
    def slugs(text: str) -> set[str]:
        ids = {item["id"] for item in search(services, text).items}
        return {slug for slug, walk in searched.items() if str(walk.id) in ids}

    assert slugs("etect") == {"detector", "protocol"}
    assert slugs("DETECTOR") == {"detector", "protocol"}
    assert slugs("STRASSBURG") == slugs("straßburg") == {"strasse"}
    assert slugs("ÉCOLE") == {"ecole"} and slugs("ecole") == set()  # accents count
    assert slugs("ΕΛΛΆΔΑ") == {"greek"}
    assert slugs("100%") == slugs("%") == {"percent"}
    assert slugs("r_d") == slugs("_") == {"underscore"}
    assert slugs("r%d") == slugs("a_c") == set()  # as wildcards these would match
    assert slugs("c:\\accord\\") == slugs("\\") == {"backslash"}
    assert slugs('"blue sky"') == slugs('"') == {"quote"}


def test_a_corrected_title_is_found_by_its_new_words_and_no_longer_by_its_old_ones(services, searched):
    nairobi = str(searched["nairobi"].id)
    assert [item["id"] for item in search(services, "memorandum of understanding").items] == [nairobi]
    assert search(services, "working title").items == []
    assert search(services, "(working").items == []


@pytest.mark.parametrize("lookup_cost", [0, 10**9], ids=["looked-up", "walked"])
def test_a_page_is_the_same_whether_looked_up_in_the_index_or_found_walking_the_sort_order(
        services, searched, monkeypatch, lookup_cost):
    monkeypatch.setattr(queries, "LOOKUP_COST", {"sqlite": lookup_cost, "postgres": lookup_cost})
    everything = queries.list_agreements(services.db, {}, per_page=500)
    for sort in ("-updated_at", "title", "-created_at"):
        ordered = [item["id"] for item in queries.list_agreements(services.db, {}, sort=sort, per_page=500).items]
        for text in ("etect", "university", "the", "with", "nothing like it"):
            want = [i for i in ordered if i in expected(text, searched)]
            pages = [search(services, text, sort=sort, page=n, per_page=2) for n in range(1, 6)]
            assert [item["id"] for p in pages for item in p.items] == want, (sort, text)
            assert {p.total for p in pages} == {len(want)}, (sort, text)
        combined = queries.list_agreements(services.db, {"q": "with", "country": "JP", "kind": ICA}, sort=sort)
        assert [item["id"] for item in combined.items] == [i for i in ordered if i in expected("with", searched)]
    assert everything.total == len(TITLES)


def test_a_search_stops_counting_at_the_limit_and_says_its_total_is_a_lower_bound(
        client, auth, services, searched, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    want = expected("the", searched)
    assert len(want) == 5
    seen = []
    for page, (total, lower_bound, rels) in enumerate([
            (3, True, {"first", "next"}),  # counted to the limit, and there are more: at least 3
            (4, True, {"first", "prev", "next"}),  # counted to the end of page 2, and there are more
            (5, False, {"first", "last", "prev"})], start=1):  # the end of page 3 is beyond: exact
        response = get_list(client, auth, q="the", per_page=2, page=page)
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == str(total), page
        assert (response.headers.get("X-Total-Count-Is-Lower-Bound") == "true") is lower_bound, page
        assert set(links(response)) == rels, (page, response.headers["Link"])
        seen += [item["id"] for item in response.get_json()]
    assert sorted(seen) == sorted(want)
    response = get_list(client, auth, q="physics", per_page=2)  # one match: exact, whatever the limit
    assert response.headers["X-Total-Count"] == "1" and "X-Total-Count-Is-Lower-Bound" not in response.headers
    assert len(expected("e", searched)) > 3  # a text too short for the index stops counting too
    response = get_list(client, auth, q="e", per_page=2)
    assert response.headers["X-Total-Count"] == "3" and response.headers["X-Total-Count-Is-Lower-Bound"] == "true"


def test_the_title_index_is_there_and_answers_a_search(services, searched):
    assert title_index_warning(services.db) is None
    condition, value = titles.matching(services.db, "detector")
    sql = f"SELECT id FROM {titles.TABLE} WHERE {condition}"
    with services.db.transaction() as cursor:
        if services.db.dialect == "postgres":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be scanned anyway
            cursor.execute("EXPLAIN " + sql, [value])
            plan = "\n".join(row["QUERY PLAN"] for row in cursor.fetchall())
            assert "Bitmap Index Scan on agreement_titles_trgm" in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, [value])
            plan = "\n".join(row["detail"] for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan, plan


@pytest.fixture
def no_trigram(services, monkeypatch) -> None:
    """SQLite without FTS5's trigram tokenizer (as before 3.34), from the next ``create_tables``."""
    monkeypatch.setattr(services.db, "fts5_trigram", False)
    services.__dict__.pop("projections", None)  # the views made again, as a process on that SQLite makes them


def test_without_a_trigram_index_a_search_scans_and_gives_the_same_answers(no_trigram, services, searched, caplog):
    if services.db.dialect == "postgres":  # as if pg_trgm could not be created
        with services.db.transaction() as cursor:
            cursor.execute("DROP INDEX agreement_titles_trgm")
    else:  # the view's definition changes: its tables are made again, and it catches up
        with caplog.at_level("WARNING"):
            services.create_tables()
        assert "has no FTS5 trigram tokenizer" in caplog.text
        services.projections.catch_up()
        table = services.db.query("SELECT sql FROM sqlite_master WHERE name = ?", [titles.TABLE])[0]["sql"]
        assert table.startswith("CREATE TABLE"), table
    assert "the title search scans" in title_index_warning(services.db)
    wrong = [(text, sorted(i["id"] for i in search(services, text).items)) for text in SEARCHES
             if {i["id"] for i in search(services, text).items} != expected(text, searched)]
    assert not wrong, wrong


@pytest.mark.parametrize("storage", ["postgres"], indirect=True)
def test_an_extension_that_cannot_be_created_leaves_the_titles_unindexed_and_the_transaction_going(services):
    missing = titles.ddl("postgres", fts=False)[-1].replace("pg_trgm", "accord_no_such_extension")
    with services.db.transaction() as cursor:
        cursor.execute("DROP INDEX agreement_titles_trgm")
        cursor.execute(missing)  # warns, does not raise
        cursor.execute("SELECT COUNT(*) AS n FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?",
                       ["agreement_titles_trgm"])
        assert cursor.fetchone()["n"] == 0
