"""The redline between two texts, paragraph by paragraph (``difflib.SequenceMatcher``): each paragraph kept
(equal), added (insert), removed (delete), or changed (replace: the two versions, and word by word what was
removed and added inside it)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

WORDS = re.compile(r"\S+\s*|\s+")
"""A word with the space after it: a change of words then reads as one run, not word, space, word."""


def words(before: str, after: str) -> list[dict[str, str]]:
    """The word-level marks inside a changed paragraph: runs of equal, deleted and inserted text."""
    old, new = WORDS.findall(before), WORDS.findall(after)
    marks: list[dict[str, str]] = []

    def mark(op: str, text: str) -> None:
        if not text:
            return
        if marks and marks[-1]["op"] == op:
            marks[-1]["text"] += text
        else:
            marks.append({"op": op, "text": text})

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            mark("equal", "".join(old[i1:i2]))
        else:
            mark("delete", "".join(old[i1:i2]))
            mark("insert", "".join(new[j1:j2]))
    return marks


def redline(before: list[str], after: list[str]) -> list[dict[str, Any]]:
    """Every paragraph of both texts in reading order, each with its ``op`` and its 1-based place in the
    text it comes from (``from_index``, ``to_index``). A changed block pairs paragraphs in order
    (``replace``); what one side has more of is deleted or inserted."""
    rows: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [{"op": "equal", "from_index": i + 1, "to_index": j + 1, "text": before[i]}
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            old, new = before[i1 + k], after[j1 + k]
            rows.append({"op": "replace", "from_index": i1 + k + 1, "to_index": j1 + k + 1,
                         "from_text": old, "text": new, "words": words(old, new)})
        rows += [{"op": "delete", "from_index": i + 1, "text": before[i]} for i in range(i1 + paired, i2)]
        rows += [{"op": "insert", "to_index": j + 1, "text": after[j]} for j in range(j1 + paired, j2)]
    return rows
