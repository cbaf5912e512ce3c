"""Writing the events' stored JSON: the library's ``JSONTranscoder`` output, byte for byte, for less.

The library encodes with ``json.JSONEncoder`` (compact, UTF-8), which calls back into Python for every value
of a registered type (an enum member, a date, a value object...) and builds a tagged mapping for it. The
``StoredJSONTranscoder`` tags those values in one walk, with one function per type made once (a value
object's fields read directly), and lets orjson write the JSON: the same bytes, with no call back into
Python per value. Where orjson would write something else, or the library would refuse, the library's own
encoder writes (and raises): floats (orjson writes 1e16 where json writes 1e+16, null for NaN), subclasses
of str, int, list, tuple and dict (json writes them as their base type, even when a transcoding is
registered for them), dict keys that are not exactly str, unregistered types, and whatever orjson refuses
(integers beyond 64 bits, lone surrogates, deep nesting). Decoding is the library's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

NATIVE = (str, int, float, list, tuple, dict)
"""What json.JSONEncoder writes itself, subclasses included, without calling the transcodings."""


class _Unlike(Exception):
    """Raised in the walk where orjson would not write what the library writes."""


class StoredJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder with the same registered transcodings; see the module docstring.

    A transcoding with a ``field_names`` attribute promises that its ``encode(obj)`` is
    ``{name: getattr(obj, name) for name in field_names}``: those fields are read without calling it."""

    def __init__(self) -> None:
        super().__init__()
        self._taggers: dict[type, Callable[[Any], Any]] = {}

    def register(self, transcoding: Any) -> None:
        super().register(transcoding)
        self._taggers.clear()

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._tagged(obj))
        except (_Unlike, TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
            return super().encode(obj)

    def _tagged(self, value: Any) -> Any:
        """The value with every value of a registered type as {"_type_": name, "_data_": its encoding}, as the
        library's encoder hook makes it."""
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is dict:
            tagged = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise _Unlike
                item_kind = type(item)
                tagged[key] = (item if item_kind is str or item_kind is int or item_kind is bool or item is None
                               else self._tagged(item))
            return tagged
        if kind is list or kind is tuple:
            return [self._tagged(item) for item in value]
        tagger = self._taggers.get(kind) or self._tagger(kind, value)
        return tagger(value)

    def _tagger(self, kind: type, value: Any) -> Callable[[Any], Any]:
        transcoding = self.types.get(kind)
        if transcoding is None or isinstance(value, NATIVE):
            raise _Unlike
        name, tagged = transcoding.name, self._tagged
        names = getattr(transcoding, "field_names", None)
        if names is not None:
            def tagger(obj: Any) -> Any:
                return {"_type_": name, "_data_": {n: tagged(getattr(obj, n)) for n in names}}
        else:
            encode = transcoding.encode

            def tagger(obj: Any) -> Any:
                return {"_type_": name, "_data_": tagged(encode(obj))}
        self._taggers[kind] = tagger
        return tagger
