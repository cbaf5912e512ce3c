"""Shared by the time tests: agreements in force with a term, taken there through the command service."""

from __future__ import annotations

from typing import Any

from tests.projections.helpers import ICA, Walk, party

CHILE = "Republic of Chile"
SIGNED_ON = "2024-11-20"
"""The day ``Walk.sign`` signs on: entry into force is that day or later."""


def agreement_in_force(services: Any, title: str = "Co-operation with Chile", effective_on: str = "2025-01-01",
                       **term: Any) -> Walk:
    """An agreement created by alice with ``term`` (initial_period_months, renewal_rule, ...), cleared by
    bruno, finalised by dmitri, signed by both parties and put into force by bruno on ``effective_on``."""
    walk = Walk(services.agreements, "alice", title=title, kind=ICA, counterparties=[party(CHILE, country="CL")],
                **term)
    walk.to_signature().sign("CERN", CHILE)
    return walk.step("bruno", "enter_into_force", effective_on=effective_on)


def tacit(**overrides: Any) -> dict[str, Any]:
    """The usual ICA term: five years, renewed tacitly for five unless notice is given six months before."""
    return {"initial_period_months": 60, "renewal_rule": "tacit", "notice_period_months": 6, **overrides}


def caught_up(services: Any) -> None:
    services.projections.catch_up()
