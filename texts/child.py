"""The child process of ``texts.sandbox``: ``python -m texts.child FILE MEDIA_TYPE LIMIT`` prints
``{"paragraphs": [...]}`` or ``{"refused": RULE, "detail": ...}`` as JSON on its standard output.

It caps its own address space first (``MEMORY_BYTES``), so that a document whose reading would need more
ends it (a MemoryError, reported as too large) instead of the machine's memory."""

from __future__ import annotations

import json
import resource
import sys

from texts.extraction import ExtractionRefused, TooLarge, paragraphs

MEMORY_BYTES = 1024 * 1024 * 1024
"""The child's address space: the interpreter, pypdf, and a bounded document's expanded parts."""


def main(path: str, media_type: str, limit: int) -> dict:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    try:
        with open(path, "rb") as source:
            return {"paragraphs": paragraphs(source, media_type, limit)}
    except MemoryError:
        return {"refused": TooLarge.rule, "detail": "the document needed more memory than allowed to be read"}
    except ExtractionRefused as refused:
        return {"refused": refused.rule, "detail": refused.message}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
