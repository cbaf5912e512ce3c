"""A request's digest is recorded with its event and compared with later retries, so its bytes never change:
the SHA-256 of ``json.dumps(asked, sort_keys=True, separators=(",", ":"))``, whoever writes that JSON."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.records import plain
from domain.values import STORED_ENUMS, Actor, Counterparty, Document, PartyKind, ReviewOutcome, Role, StepContext
from workflows.idempotency import request_digest, sorted_json

ALICE = Actor("alice", Role.IR_OFFICER)


def digest_as_first_written(actor: Actor, action: str, fields: dict[str, Any], context: StepContext) -> str:
    """request_digest as it was first written (json.dumps alone)."""
    asked = [actor.name, action, plain(dict(fields)), context.reason, context.reference]
    return hashlib.sha256(json.dumps(asked, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


REQUESTS = [
    (ALICE, "attach_text", {"document": Document(title="Draft v1", sha256="a" * 64)},
     StepContext(reason="First draft.", idempotency_key="k1")),
    (ALICE, "complete_legal_review",
     {"outcome": ReviewOutcome.CHANGES_REQUESTED, "comments": "Voir l'article 3 — révisé ✓"},
     StepContext(reason="Überprüfung", reference="CERN/2025/ü", idempotency_key="k2")),
    (Actor("zoë", Role.IR_OFFICER), "record_round",
     {"held_on": date(2025, 1, 10), "summary": "Runde \U0001F600 \x7f end"}, StepContext(idempotency_key="k3")),
    (ALICE, "create", {"title": "MoU", "kind": "memorandum_of_understanding",
                       "counterparties": [{"name": "Université de Genève", "kind": "institute", "country": "CH"}]},
     StepContext(idempotency_key="k4")),
]
RECORDED = [  # computed by the json.dumps implementation, before orjson wrote any of them
    "fe160d36bc5cb0751cb750361c5f6b839cdaad37367aaf8631d8c5bed194208e",
    "cef46e84dbe6f21d505c05e5381f0fb0203e786d03225ceb49954a5fa7f6f595",
    "f35f7fa124b2469f56ecf734aea166d6f9943a47a706de55cacf5b19a6d8e2d6",
    "95f2c75eafa4f9ad868c0f5723f66fd05f076aaad92535e144fa07c09d4d3282",
]


@pytest.mark.parametrize(("request_", "recorded"), list(zip(REQUESTS, RECORDED, strict=True)))
def test_a_request_has_the_digest_recorded_for_it_before(request_, recorded):
    assert request_digest(*request_) == recorded == digest_as_first_written(*request_)


@pytest.mark.parametrize("value", [
    ["alice", "step", {"b": 1, "a": [True, False, None], "c": {"z": "", "y": "x"}}, None, "ref"],
    {"é": "è", "plain": "ascii"},  # non-ASCII keys and text: escaped by json.dumps
    ["\x7f", "\x00\x1f\n\t\r\b\f\"\\/", "\u2028\u2029", "\U0001F600", "\ud800"],  # DEL, controls, a lone surrogate
    [2**63 - 1, -2**63, 2**64 - 1, 2**64, -2**70],  # orjson stops at 64 bits
    [1.5, 1e16, 1e-7, float("nan"), float("inf"), -0.0],  # floats: written differently by orjson
    ("a", ("b", 1)),  # tuples, as lists
    {1: "integer keys", 2: "written as text by json.dumps"},
])
def test_sorted_json_writes_what_json_dumps_writes(value):
    assert sorted_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def test_sorted_json_refuses_what_json_dumps_refuses():
    from datetime import time

    for value in ([time(12, 0)], {"d": date(2025, 1, 1)}, {("a", "tuple"): 1}, {"k": 1, 2: "mixed keys"}, b"bytes"):
        with pytest.raises(TypeError):
            json.dumps(value, sort_keys=True, separators=(",", ":"))
        with pytest.raises(TypeError):
            sorted_json(value)


def test_sorted_json_writes_what_json_dumps_writes_for_random_values():
    rng = random.Random(5)
    texts = [chr(c) for c in (*range(0x00, 0x250), 0x2028, 0xD800, 0xFEFF, 0x1F600)]

    def value(depth: int = 0) -> Any:
        pick = rng.random()
        if depth > 3 or pick < 0.5:
            return rng.choice([
                lambda: "".join(rng.choice(texts) for _ in range(rng.randrange(6))),
                lambda: rng.choice([0, -1, 7, 2**63, 2**64, -2**63 - 1]),
                lambda: rng.choice([True, False, None]),
                lambda: rng.choice([0.1, 1e16, float("nan")]),
            ])()
        if pick < 0.8:
            return {"".join(rng.choice(texts[:0x100]) for _ in range(rng.randrange(4))): value(depth + 1)
                    for _ in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    for _ in range(20000):
        v = value()
        assert sorted_json(v) == json.dumps(v, sort_keys=True, separators=(",", ":")).encode(), repr(v)



text = st.text(max_size=8)
field_values = st.dictionaries(text, st.recursive(
    st.one_of(st.none(), st.booleans(), text, st.integers(min_value=-(2**70), max_value=2**70), st.dates(),
              *(st.sampled_from(list(enum)) for enum in STORED_ENUMS), st.builds(Document, title=text, sha256=text),
              st.builds(Counterparty, name=text, kind=st.sampled_from(list(PartyKind)), country=st.none() | text)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.dictionaries(text, inner, max_size=3)),
    max_leaves=8), max_size=5)


@settings(max_examples=500, deadline=None)
@given(fields=field_values, reason=st.none() | st.text(max_size=12), name=st.text(min_size=1, max_size=6))
def test_any_request_has_the_digest_first_written_for_it(fields, reason, name):
    actor, context = Actor(name, Role.LEGAL_OFFICER), StepContext(reason=reason, idempotency_key="k")
    assert request_digest(actor, "step", fields, context) == digest_as_first_written(actor, "step", fields, context)
