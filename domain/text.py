"""What text the record accepts, and the one form it keeps it in.

Whatever is recorded is kept for ever and shown to every later reader, so text must be encodable and say what
it seems to say: no lone surrogates (they cannot be written as UTF-8), no control characters, no bidirectional
overrides or isolates (they make a text display differently from its content), no noncharacters, and not
nothing but invisible characters. Accepted text is kept in Unicode NFC, without surrounding white space, so
that one name is stored one way whichever keyboard typed it.

A line (a name, a title, a code) takes no line breaks or tabs; a multi-line text (a summary, a reason) takes
line feeds, carriage returns and tabs.
"""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidValueError

RULE = "text"
"""The rule named when text is refused."""

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
MULTILINE_CONTROLS = "\t\n\r"
INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0\u034f\u2800"
"""Characters that are letters or marks by category but show nothing (Hangul fillers, the combining grapheme
joiner, the blank Braille pattern)."""


def _refusal(value: str, multiline: bool) -> str | None:
    """Why ``value`` cannot be recorded, or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (text that cannot be encoded)"
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in MULTILINE_CONTROLS):
            return f"contains the control character U+{ord(char):04X}"
        if category in ("Zl", "Zp") and not multiline:
            return f"contains the line separator U+{ord(char):04X}"
        if char in BIDI_CONTROLS:
            return f"contains the bidirectional control U+{ord(char):04X}"
        if 0xFDD0 <= ord(char) <= 0xFDEF or ord(char) & 0xFFFE == 0xFFFE:
            return f"contains the noncharacter U+{ord(char):04X}"
    if not any(_visible(c) for c in value):
        return "is empty or holds only invisible characters"
    return None


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] not in "CZ" and not char.isspace() and char not in INVISIBLE_LETTERS


def clean_text(value: str, *, multiline: bool = False, field: str | None = None) -> str:
    """``value`` as the record keeps it (NFC, stripped), or InvalidValueError naming the rule ``text``."""
    why = _refusal(value, multiline)
    if why is not None:
        raise InvalidValueError(f"{field or 'the text'} {why}", field=field, rule=RULE)
    return unicodedata.normalize("NFC", value).strip()


def text_refusal(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be recorded as text (a sentence to show), or None when it can."""
    return _refusal(value, multiline)
