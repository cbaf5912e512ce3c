"""The redline of two texts by paragraph: kept, added, removed and changed paragraphs in reading order, with
word marks inside a changed one."""

from __future__ import annotations

from texts.redline import redline, words


def test_identical_texts_are_equal_paragraph_for_paragraph():
    assert redline(["A.", "B."], ["A.", "B."]) == [
        {"op": "equal", "from_index": 1, "to_index": 1, "text": "A."},
        {"op": "equal", "from_index": 2, "to_index": 2, "text": "B."}]


def test_an_added_and_a_removed_paragraph_are_marked_where_they_stand():
    rows = redline(["Article 1.", "Article 2.", "Article 3."], ["Article 1.", "Article 3.", "Article 4."])
    assert [(r["op"], r["text"]) for r in rows] == [
        ("equal", "Article 1."), ("delete", "Article 2."), ("equal", "Article 3."), ("insert", "Article 4.")]
    assert rows[1] == {"op": "delete", "from_index": 2, "text": "Article 2."}
    assert rows[3] == {"op": "insert", "to_index": 3, "text": "Article 4."}


def test_a_changed_paragraph_keeps_both_versions_and_marks_the_words_that_changed():
    [row] = redline(["Each Party bears its own costs."], ["Each Party bears half of the costs."])
    assert row["op"] == "replace"
    assert (row["from_text"], row["text"]) == ("Each Party bears its own costs.", "Each Party bears half of the costs.")
    assert row["words"] == [{"op": "equal", "text": "Each Party bears "}, {"op": "delete", "text": "its own "},
                            {"op": "insert", "text": "half of the "}, {"op": "equal", "text": "costs."}]


def test_a_block_of_unequal_length_pairs_paragraphs_in_order_and_adds_the_rest():
    rows = redline(["x", "the old one"], ["x", "the new one", "brand new"])
    assert [r["op"] for r in rows] == ["equal", "replace", "insert"]


def test_a_different_paragraph_in_the_place_of_another_is_a_removal_and_an_addition_not_a_change():
    rows = redline(["Article 3. Languages: English and French."], ["Article 5. Entry into force on signature."])
    assert [r["op"] for r in rows] == ["delete", "insert"]


def test_word_marks_put_together_read_as_each_version():
    before, after = "The term is five years, renewable once.", "The term is ten years, renewable twice by consent."
    marks = words(before, after)
    assert "".join(m["text"] for m in marks if m["op"] != "insert") == before
    assert "".join(m["text"] for m in marks if m["op"] != "delete") == after


def test_two_empty_texts_have_no_paragraphs_to_show():
    assert redline([], []) == []


def test_a_clause_renumbered_after_an_inserted_one_reads_as_changed_not_removed_and_added():
    before = ["Article 6. Duration: five years, renewed by tacit agreement.",
              "Article 7. Entry into force: on signature."]
    after = ["Article 6. Joint committee: two members per Party, once a year.",
             "Article 7. Duration: five years, renewable by exchange of letters.",
             "Article 8. Entry into force: on signature."]
    rows = redline(before, after)
    assert [(r["op"], r.get("from_index"), r.get("to_index")) for r in rows] == [
        ("insert", None, 1), ("replace", 1, 2), ("replace", 2, 3)]


def test_the_demo_drafts_differ_in_a_few_clauses():
    from bootstrap.seed.drafts import MONGOLIA_DRAFT_1, MONGOLIA_DRAFT_2
    ops = [r["op"] for r in redline(MONGOLIA_DRAFT_1, MONGOLIA_DRAFT_2)]
    assert (ops.count("equal"), ops.count("replace"), ops.count("insert"), ops.count("delete")) == (4, 4, 1, 0)
