"""The clock records what the passing of time decides: once, by the system actor ``clock``, with the rule
that decided it and the deadline's date as the date it takes effect."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from bootstrap import create_app
from domain.errors import DomainError
from domain.values import Actor, Role, StepContext
from tests.projections.enlargement_walk import Process
from tests.time.helpers import agreement_in_force, tacit


def test_an_agreement_renewed_tacitly_without_notice_renews_at_its_expiry(services):
    walk = agreement_in_force(services, **tacit())
    assert services.agreements.get(walk.id).expires_on == date(2030, 1, 1)  # entry into force + 60 months

    assert services.run_clock(date(2030, 1, 1)) == []  # the expiry has not passed yet
    decisions = services.run_clock(date(2030, 1, 2))

    assert [(d.step, d.rule, d.effective_on, d.replayed) for d in decisions] == [
        ("renew_tacitly", "tacit_renewal", date(2030, 1, 1), False)]
    agreement = services.agreements.get(walk.id)
    assert (agreement.status.value, agreement.expires_on, agreement.renewals) == ("in_force", date(2035, 1, 1), 1)
    last = list(services.agreements.history(walk.id))[-1]
    assert (last.type, last.actor, last.role, last.reason) == ("renew_tacitly", "clock", "system",
                                                              "decided by the clock: tacit_renewal")
    assert last.data == {"effective_on": "2030-01-01", "expires_on": "2035-01-01", "rule": "tacit_renewal"}
    assert services.run_clock(date(2030, 6, 1)) == []  # decided once


def test_an_agreement_with_a_notice_expires_at_its_expiry(services):
    walk = agreement_in_force(services, **tacit())
    walk.step("bruno", "give_notice", reference="CERN/DG/2029-17", party="Republic of Chile",
              given_on="2029-07-01", addressed_to="CERN")  # the last day of the window

    decisions = services.run_clock(date(2031, 5, 5))

    assert [(d.step, d.rule, d.effective_on) for d in decisions] == [
        ("expire_at_term", "notice_given", date(2030, 1, 1))]
    agreement = services.agreements.get(walk.id)
    assert (agreement.stage.value, agreement.status.value, agreement.closed_on) == ("closed", "expired",
                                                                                    date(2030, 1, 1))
    assert agreement.notice.reference == "CERN/DG/2029-17"


def test_an_agreement_without_renewal_expires(services):
    walk = agreement_in_force(services, initial_period_months=36, renewal_rule="none")

    decisions = services.run_clock(date(2028, 1, 2))

    assert [(d.step, d.rule, d.effective_on) for d in decisions] == [
        ("expire_at_term", "no_renewal", date(2028, 1, 1))]
    assert services.agreements.get(walk.id).status.value == "expired"


def test_an_agreement_without_a_renewal_rule_is_left_to_people(services):
    walk = agreement_in_force(services, expires_on="2026-01-01")
    assert services.run_clock(date(2027, 1, 1)) == []
    assert services.agreements.get(walk.id).status.value == "in_force"


def test_withdrawing_the_notice_lets_the_agreement_renew(services):
    walk = agreement_in_force(services, **tacit())
    walk.step("alice", "give_notice", party="CERN", given_on="2029-01-15", addressed_to="Republic of Chile")
    walk.step("carla", "withdraw_notice", reason="Chile asked to continue")

    decisions = services.run_clock(date(2030, 1, 2))

    assert [(d.step, d.rule) for d in decisions] == [("renew_tacitly", "tacit_renewal")]
    assert services.agreements.get(walk.id).notice is None


def test_after_downtime_it_catches_up_each_renewal_on_its_own_date(services):
    walk = agreement_in_force(services, **tacit())

    decisions = services.run_clock(date(2039, 6, 1))

    assert [(d.step, d.effective_on) for d in decisions] == [("renew_tacitly", date(2030, 1, 1)),
                                                             ("renew_tacitly", date(2035, 1, 1))]
    renewals = [e.data for e in services.agreements.history(walk.id) if e.type == "renew_tacitly"]
    assert [(r["effective_on"], r["expires_on"]) for r in renewals] == [("2030-01-01", "2035-01-01"),
                                                                       ("2035-01-01", "2040-01-01")]


def test_a_renewal_period_other_than_the_initial_one(services):
    walk = agreement_in_force(services, **tacit(renewal_period_months=12))
    services.run_clock(date(2031, 12, 31))
    assert [e.data["expires_on"] for e in services.agreements.history(walk.id) if e.type == "renew_tacitly"] == [
        "2031-01-01", "2032-01-01"]  # five years, then a year: the second renewal's date has not passed


def test_two_clocks_at_once_record_every_decision_once(services, storage):
    walks = [agreement_in_force(services, title=f"Agreement {n}", **tacit()) for n in range(6)]
    services.projections.catch_up()
    apps = [create_app({"TESTING": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False}) for _ in range(2)]
    results: list[list] = [[], []]
    start = threading.Barrier(2)

    def run(n: int) -> None:
        start.wait()
        results[n] = apps[n].extensions["accord"].run_clock(date(2039, 6, 1))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for app in apps:
        app.extensions["accord"].close()

    for walk in walks:
        renewals = [e.data["effective_on"] for e in services.agreements.history(walk.id) if e.type == "renew_tacitly"]
        assert renewals == ["2030-01-01", "2035-01-01"], walk.id
    recorded = [d for result in results for d in result if not d.replayed]
    assert len(recorded) == 12  # each decision recorded by one clock; the other found it recorded or not due


def test_a_pre_stage_past_its_maximum_is_flagged_once(services):
    process = Process(services.enlargements, "alice", "Republic of Cyprus", "CY", "associate_member_pre_stage",
                      "2012-01-01").to_force("2016-04-01")

    assert services.run_clock(date(2021, 4, 1)) == []
    decisions = services.run_clock(date(2021, 4, 2))

    assert [(d.process_kind, d.step, d.rule, d.effective_on) for d in decisions] == [
        ("enlargement", "flag_pre_stage_limit", "pre_stage_maximum", date(2021, 4, 1))]
    assert services.enlargements.get(process.id).pre_stage_limit_passed_on == date(2021, 4, 1)
    assert services.run_clock(date(2025, 1, 1)) == []


def test_no_person_can_be_the_clock(services):
    admin = Actor("gwen", Role.ADMIN)
    with pytest.raises(DomainError) as refused:
        services.access.issue_token(admin, "operator", Role.SYSTEM)
    assert refused.value.rule == "system_role"
    with pytest.raises(DomainError) as refused:
        services.access.add_user(admin, "Clock", Role.IR_OFFICER)
    assert refused.value.rule == "user_exists"


def test_a_person_cannot_record_what_time_decides(services):
    walk = agreement_in_force(services, **tacit())
    agreement = services.agreements.get(walk.id)
    with pytest.raises(DomainError) as refused:
        agreement.renew_tacitly(Actor("bruno", Role.LEGAL_OFFICER), StepContext(), due_on=date(2030, 1, 1),
                                today=date(2031, 1, 1))
    assert refused.value.rule == "system_actor"
