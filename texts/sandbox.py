"""Text extraction in a child process with a deadline: a document that takes too long to read (or would
eat the worker's memory) is refused without holding a web worker's thread or growing its memory.

The child is a fresh interpreter (``python -m texts.child``), never a fork: gunicorn's workers run threads,
and forking a threaded process is unsafe. The document goes to it as a temporary file written chunk by
chunk, so neither side holds the whole file in memory while it is passed on; its paragraphs come back as
JSON on its standard output. The child caps its own address space (``texts.child``), and is killed when
the deadline passes.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from texts.extraction import MAX_EXPANDED_BYTES, ExtractionRefused, NoText, TimedOut, TooLarge, require_text

TIMEOUT_SECONDS = 10.0
"""How long reading one document's text may take, start of the child process included."""
PACKAGE_PARENT = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)

REFUSALS = {cls.rule: cls for cls in (ExtractionRefused, TooLarge, TimedOut, NoText)}


def extract(chunks: Iterable[bytes], media_type: str | None, *, timeout: float = TIMEOUT_SECONDS,
            limit: int = MAX_EXPANDED_BYTES) -> list[str]:
    """The paragraphs of the document whose bytes ``chunks`` yields; ``ExtractionRefused`` (or one of its
    kinds) when it has no text, is too large once expanded, cannot be read, or takes longer than
    ``timeout`` seconds."""
    require_text(media_type)
    with tempfile.NamedTemporaryFile(prefix="accord-text-") as file:
        for chunk in chunks:
            file.write(chunk)
        file.flush()
        try:
            done = subprocess.run(
                [sys.executable, "-E", "-s", "-m", "texts.child", file.name, media_type or "", str(limit)],
                cwd=PACKAGE_PARENT, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            raise TimedOut(f"reading the document's text took longer than {timeout:g} s") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        if done.returncode < 0 or b"MemoryError" in done.stderr:  # its memory cap, or killed
            raise TooLarge("the document needed more memory than allowed while its text was read") from None
        log.error("text extraction failed (exit %s): %s", done.returncode, done.stderr.decode(errors="replace"))
        raise ExtractionRefused("the document's text could not be read") from None
    if "refused" in answer:
        raise REFUSALS.get(answer["refused"], ExtractionRefused)(answer["detail"])
    return list(answer["paragraphs"])
