"""An aggregate remembers the idempotency keys of its latest keyed steps only, so its state stays small."""

from __future__ import annotations

from datetime import date

from domain.lifecycle import REMEMBERED_REQUESTS, remembered_digest
from domain.values import StepContext
from tests.domain.lifecycle import ALICE, in_negotiation


def test_only_the_latest_keys_are_remembered_in_order():
    agreement = in_negotiation()
    steps = REMEMBERED_REQUESTS + 20
    for n in range(steps):
        agreement.record_round(by=ALICE, context=StepContext(idempotency_key=f"k{n}", request_digest="d"),
                               held_on=date(2025, 1, 1), summary=f"round {n}")
    assert len(agreement.requests) == REMEMBERED_REQUESTS
    assert "k0" not in agreement.requests and "k19" not in agreement.requests
    assert list(agreement.requests)[0] == "k20" and list(agreement.requests)[-1] == f"k{steps - 1}"
    assert agreement.requests[f"k{steps - 1}"] == [agreement.version, "d"]


def test_a_key_is_remembered_with_the_first_half_of_its_request_digest():
    agreement = in_negotiation()
    digest = "0123456789abcdef" * 4
    agreement.record_round(by=ALICE, context=StepContext(idempotency_key="k", request_digest=digest),
                           held_on=date(2025, 1, 1), summary="round")
    assert agreement.requests["k"] == [agreement.version, digest[:32]]
    assert remembered_digest(digest) == digest[:32] and remembered_digest(None) is None
