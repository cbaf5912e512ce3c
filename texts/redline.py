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


SIMILAR = 0.5
"""How much of two paragraphs' words must match for one to read as a change of the other (difflib's ratio)."""


def similar(before: str, after: str) -> bool:
    return SequenceMatcher(None, WORDS.findall(before), WORDS.findall(after), autojunk=False).ratio() >= SIMILAR


def redline(before: list[str], after: list[str]) -> list[dict[str, Any]]:
    """Every paragraph of both texts in reading order, each with its ``op`` and its 1-based place in the
    text it comes from (``from_index``, ``to_index``). A changed block pairs paragraphs in order: a pair
    that is ``similar`` is one paragraph changed (``replace``), any other a deletion and an insertion; what
    one side has more of is deleted or inserted."""
    rows: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [{"op": "equal", "from_index": i + 1, "to_index": j + 1, "text": before[i]}
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        for i, j in aligned(before[i1:i2], after[j1:j2]):
            if i is not None and j is not None:
                old, new = before[i1 + i], after[j1 + j]
                rows.append({"op": "replace", "from_index": i1 + i + 1, "to_index": j1 + j + 1,
                             "from_text": old, "text": new, "words": words(old, new)})
            elif i is not None:
                rows.append({"op": "delete", "from_index": i1 + i + 1, "text": before[i1 + i]})
            else:
                rows.append({"op": "insert", "to_index": j1 + j + 1, "text": after[j1 + j]})  # type: ignore[operator]
    return rows


MAX_ALIGNED = 10_000
"""Above this many pairs of paragraphs in one changed block, they are paired in order instead of aligned."""


def aligned(old: list[str], new: list[str]) -> list[tuple[int | None, int | None]]:
    """The paragraphs of a changed block in reading order, as (old, new) places: a pair where an old
    paragraph reads as a change of a new one, (old, None) removed, (None, new) added. The pairs are those
    keeping the order of both texts with the most similarity in all (a renumbered clause after an inserted
    one is still a change of its earlier self)."""
    if len(old) * len(new) > MAX_ALIGNED:
        pairs = [(k, k) if similar(old[k], new[k]) else None for k in range(min(len(old), len(new)))]
        return _in_order(len(old), len(new), [p for p in pairs if p is not None])
    score = [[0.0] * (len(new) + 1) for _ in range(len(old) + 1)]
    for i in range(len(old) - 1, -1, -1):
        for j in range(len(new) - 1, -1, -1):
            ratio = SequenceMatcher(None, WORDS.findall(old[i]), WORDS.findall(new[j]), autojunk=False).ratio()
            paired = score[i + 1][j + 1] + ratio if ratio >= SIMILAR else -1.0
            score[i][j] = max(paired, score[i + 1][j], score[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < len(old) and j < len(new):
        if score[i][j] == score[i + 1][j]:
            i += 1
        elif score[i][j] == score[i][j + 1]:
            j += 1
        else:
            pairs.append((i, j))
            i, j = i + 1, j + 1
    return _in_order(len(old), len(new), pairs)


def _in_order(old: int, new: int, pairs: list[tuple[int, int]]) -> list[tuple[int | None, int | None]]:
    """Every old and new place in reading order around the given pairs: removals before additions."""
    found: list[tuple[int | None, int | None]] = []
    i = j = 0
    for pi, pj in [*pairs, (old, new)]:
        found += [(k, None) for k in range(i, pi)] + [(None, k) for k in range(j, pj)]
        if pi < old:
            found.append((pi, pj))
        i, j = pi + 1, pj + 1
    return found
