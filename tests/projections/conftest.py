"""A portfolio of thirteen agreements in every stage, built through the command service, then projected."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.drafts import draft
from tests.projections.helpers import ICA, Walk, party

MOU, FRAMEWORK, PROTOCOL = "memorandum_of_understanding", "framework_agreement", "protocol"
CHILE = party("Republic of Chile", "state", "CL")


@dataclass
class Portfolio:
    walks: dict[str, Walk]
    today: date
    mid: datetime
    """A moment between building the agreements and touching four of them again (chile, mongolia, nairobi,
    japan): with ``now = mid + N days``, ``stalled_for_days=N`` names the open agreements not touched since."""

    def id(self, slug: str) -> str:
        return str(self.walks[slug].id)

    def ids(self, *slugs: str) -> set[str]:
        return {self.id(s) for s in slugs}

    def slug_of(self, agreement_id: str) -> str:
        return next(s for s, w in self.walks.items() if str(w.id) == agreement_id)

    def day(self, days: int) -> str:
        return (self.today + timedelta(days=days)).isoformat()


def build_portfolio(service: Any) -> Portfolio:
    today = datetime.now(UTC).date()

    def day(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    w: dict[str, Walk] = {}
    w["chile"] = Walk(
        service, "alice", title="International Co-operation Agreement between CERN and the Republic of Chile",
        kind=ICA, counterparties=[CHILE], expires_on=day(100),
        reason="Chile asked to formalise its institutes' participation.").to_force("2024-12-01")
    w["cms"] = Walk(
        service, "alice", title="Protocol on participation in the CMS experiment", kind=PROTOCOL,
        counterparties=[CHILE], expires_on=day(400), parent_id=str(w["chile"].id),
    ).to_force("2025-02-10").step("carla", "suspend", effective_on="2025-06-01", reason="Funding review.")
    w["mongolia"] = Walk(
        service, "dmitri", title="International Co-operation Agreement between CERN and Mongolia", kind=ICA,
        counterparties=[party("Mongolia", "state", "MN")], expires_on=day(50)).to_negotiation("IR-2024-117")
    w["institute"] = Walk(
        service, "alice", title="Memorandum of Understanding with the Institute for Advanced Detector Studies",
        kind=MOU, counterparties=[party("Institute for Advanced Detector Studies", "institute", "PT")],
        expires_on=day(30),
    ).step("alice", "attach_text", document=draft("MoU v1")).step(
        "alice", "withdraw", reason="The institute joined the consortium MoU instead.")
    w["ess"] = Walk(
        service, "dmitri", title="Framework agreement on accelerator research with the European Spallation Source",
        kind=FRAMEWORK, counterparties=[party("European Spallation Source ERIC", "organisation", "SE")],
        expires_on=day(170)).to_signature().sign("CERN")
    w["nairobi"] = Walk(
        service, "alice", title="MoU with the University of Nairobi (working title)", kind=MOU,
        counterparties=[party("University of Nairobi", "institute", "KE")],
    ).step("carla", "correct", field="title", value="Memorandum of Understanding with the University of Nairobi")
    w["helmholtz"] = Walk(
        service, "alice", title="Collaboration agreement on superconducting magnets",
        kind="collaboration_agreement",
        counterparties=[party("Helmholtz Association", "organisation", "DE"),
                        party("Paul Scherrer Institute", "institute", "CH")],
    ).to_signature().sign("CERN", "Helmholtz Association", "Paul Scherrer Institute")
    w["norway"] = Walk(
        service, "alice", title="International Co-operation Agreement between CERN and the Kingdom of Norway",
        kind=ICA, counterparties=[party("Kingdom of Norway", "state", "NO")], expires_on=day(150),
    ).to_force("2024-12-01").step("carla", "terminate", effective_on="2025-01-31")
    w["open_science"] = Walk(
        service, "dmitri", title="100% Open Science memorandum", kind="other",
        counterparties=[party("Open Science Foundation", "organisation")])
    w["japan"] = Walk(
        service, "alice", title="Accelerator R_D framework with Japan", kind=FRAMEWORK,
        counterparties=[party("Japan", "state", "JP")]).to_negotiation()
    w["spain"] = Walk(
        service, "alice", title="Protocol with the Kingdom of Spain on computing", kind=PROTOCOL,
        counterparties=[party("Kingdom of Spain", "state", "ES")],
    ).step("alice", "attach_text", document=draft("Spain v1")).step(
        "alice", "request_legal_review").step("carla", "complete_legal_review", outcome="changes_requested")
    w["korea"] = Walk(
        service, "alice", title="International Co-operation Agreement between CERN and the Republic of Korea",
        kind=ICA, counterparties=[party("Republic of Korea", "state", "KR")], expires_on=day(20),
    ).to_force("2024-12-01").step("bruno", "renew", expires_on=day(1000))
    w["thailand"] = Walk(
        service, "dmitri", title="Expression of interest of the Kingdom of Thailand", kind=ICA,
        counterparties=[party("Kingdom of Thailand", "state", "TH")], expires_on=day(-10),
    ).to_force("2024-12-01").step("carla", "expire")

    time.sleep(0.01)
    mid = datetime.now(UTC)
    time.sleep(0.01)
    w["chile"].step("alice", "record_milestone", on="2025-03-15", summary="Joint committee met.")
    w["mongolia"].step("dmitri", "record_round", held_on="2025-05-20", summary="Scope agreed.")
    w["nairobi"].step("alice", "attach_text", document=draft("Nairobi v1"))
    w["japan"].step("alice", "record_round", held_on="2025-05-21", summary="First round in Tokyo.")
    return Portfolio(walks=w, today=today, mid=mid)


@pytest.fixture
def portfolio(services) -> Portfolio:
    built = build_portfolio(services.agreements)
    services.projections.catch_up()
    return built
