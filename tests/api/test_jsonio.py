"""Flask's JSON by orjson (api/jsonio.py): the same values as Flask's own provider, in and out."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from api.jsonio import OrjsonProvider

APP = Flask("jsonio")
OURS, FLASKS = OrjsonProvider(APP), DefaultJSONProvider(APP)


@dataclasses.dataclass
class Point:
    x: int
    label: str


TEXTS = [
    '{"a": 1, "b": [true, false, null], "c": "text"}',
    '{"title": "Accord de coopération – CERN ✓", "n": -0.0}',
    '{"x": 123456789012345678901234567890}',  # beyond 64 bits: orjson would read a float
    '{"x": -9223372036854775809, "y": 9223372036854775807, "z": 18446744073709551616}',
    '{"sha": "1234567890123456789012345678901234567890"}',  # a long run of digits inside a string
    "[NaN, Infinity, -Infinity]",
    '"\\ud800"',  # a lone surrogate
    '{"a": 1, "a": 2}',
    "1.0000000000000002",
    "[1e400, 5e-324]",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_body_reads_as_the_standard_library_reads_it(text: str) -> None:
    for given in (text, text.encode()):
        assert repr(OURS.loads(given)) == repr(FLASKS.loads(given))


@pytest.mark.parametrize("text", ["{", "", "nul", '{"a": }', "[1,]"])
def test_a_malformed_body_is_refused_as_flask_refuses_it(text: str) -> None:
    for provider in (OURS, FLASKS):
        with pytest.raises(ValueError):
            provider.loads(text.encode())


def test_an_answer_holds_the_same_values_with_sorted_keys() -> None:
    values = {
        "b": 1, "a": [1.5, None, True, "é✓"], "id": uuid.UUID(int=7), "on": datetime.date(2024, 1, 2),
        "at": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), "point": Point(1, "z"),
        "amount": decimal.Decimal("1.10"),
    }
    with APP.app_context():
        ours, flasks = OURS.dumps(values, separators=(",", ":")), FLASKS.dumps(values, separators=(",", ":"))
    assert json.loads(ours) == json.loads(flasks)
    assert list(json.loads(ours)) == sorted(values)
    assert '"é✓"' in ours  # UTF-8, not \\u escapes
    assert OURS.dumps({"x": 1}, indent=2) == FLASKS.dumps({"x": 1}, indent=2)  # the readable form: Flask's
    assert OURS.dumps({"big": 2**70}) == FLASKS.dumps({"big": 2**70})  # beyond orjson's integers: Flask's


def test_the_api_answers_through_it(client, auth) -> None:
    created = client.post("/api/v1/agreements", headers=auth("alice"), json={
        "title": "Accord de coopération entre le CERN et la République du Chili ✓",
        "kind": "memorandum_of_understanding", "counterparties": [{"name": "Chili", "kind": "state", "country": "CL"}]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["title"].endswith("Chili ✓")
    assert "Chili ✓".encode() in created.data
