"""Flask's JSON, read and written by orjson where orjson gives the same values.

Every request body is parsed and every answer written as JSON; orjson does both several times faster than
the standard library, which Flask uses. Anything orjson refuses and the standard library accepts (NaN, lone
surrogates) goes to the standard library, and so does a text with a run of 19 digits or more (orjson reads
an integer beyond 64 bits as a float, the standard library as an integer): what is accepted, and what it
means, are the standard library's. Answers keep Flask's sorted keys and its compact form; dates, times and
dataclasses go through Flask's own conversion (``default``); text is written as UTF-8 rather than as ``\\u``
escapes.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

LONG_NUMBER = re.compile(rb"[0-9]{19}")
LONG_NUMBER_TEXT = re.compile(r"[0-9]{19}")
COMPACT = {"separators": (",", ":")}
OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
           | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs or kwargs == COMPACT:
            try:
                return orjson.dumps(obj, default=self.default, option=OPTIONS).decode()
            except (TypeError, orjson.JSONEncodeError):
                pass  # e.g. an integer beyond 64 bits: the standard library writes it
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        long_number = (LONG_NUMBER if isinstance(s, bytes | bytearray) else LONG_NUMBER_TEXT).search(s)
        if not kwargs and long_number is None:
            try:
                return orjson.loads(s)
            except orjson.JSONDecodeError:
                pass  # the standard library accepts it, or raises the error Flask expects
        return super().loads(s, **kwargs)
