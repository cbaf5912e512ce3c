"""GET /api/v1/deadlines, an agreement's term in its body, and give_notice refused once the window closed."""

from __future__ import annotations

from domain.agreement import CooperationAgreement
from domain.values import Actor, AgreementKind, Counterparty, PartyKind, Role, StepContext
from tests.api.helpers import AGREEMENTS, PROBLEM, agreement_fields, take_step, version_of
from tests.time.helpers import agreement_in_force, caught_up, tacit
from workflows.definitions import AGREEMENT_V1

DEADLINES = "/api/v1/deadlines"


def test_an_agreement_is_created_with_its_term_and_shows_it(client, auth):
    created = client.post(AGREEMENTS, json=agreement_fields(**tacit()), headers=auth("alice"))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["term"] == {"initial_period_months": 60, "renewal_rule": "tacit", "renewal_period_months": None,
                            "notice_period_months": 6, "notice_deadline": None, "renewals": 0}
    assert body["notice"] is None and body["workflow_version"] == 2

    corrected = take_step(client, auth("bruno"), body["id"], "correct", version_of(created),
                          field="notice_period_months", value="12")
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["term"]["notice_period_months"] == 12


def test_a_term_out_of_range_is_refused(client, auth, services):
    before = services.app.recorder.max_notification_id() or 0
    for bad in ({"initial_period_months": 0}, {"renewal_rule": "sometimes"}, {"notice_period_months": "six"},
                {"renewal_period_months": 1.5}):
        refused = client.post(AGREEMENTS, json=agreement_fields(**bad), headers=auth("alice"))
        assert refused.status_code == 422 and refused.mimetype == PROBLEM, (bad, refused.get_json())
        assert set(refused.get_json()["errors"]) == set(bad)
    assert (services.app.recorder.max_notification_id() or 0) == before


def test_notice_is_refused_once_the_window_has_closed(client, auth, services):
    walk = agreement_in_force(services, **tacit())
    version = walk.outcome.aggregate.version
    before = services.app.recorder.max_notification_id()

    late = take_step(client, auth("bruno"), str(walk.id), "give_notice", version, party="CERN",
                     given_on="2029-07-02", addressed_to="Republic of Chile", reference="CERN/DG/2029-99")

    assert late.status_code == 422 and late.mimetype == PROBLEM
    assert late.get_json()["rule"] == "notice_window_closed"
    assert services.app.recorder.max_notification_id() == before
    in_time = take_step(client, auth("bruno"), str(walk.id), "give_notice", version, party="CERN",
                        given_on="2029-07-01", addressed_to="Republic of Chile", reference="CERN/DG/2029-98")
    assert in_time.status_code == 200, in_time.get_json()
    assert in_time.get_json()["notice"] == {"party": "CERN", "given_on": "2029-07-01",
                                            "addressed_to": "Republic of Chile", "reference": "CERN/DG/2029-98"}
    again = take_step(client, auth("bruno"), str(walk.id), "give_notice", version_of(in_time), party="CERN",
                      given_on="2029-07-01", addressed_to="Republic of Chile")
    assert again.status_code == 422 and again.get_json()["rule"] == "notice_standing"


def test_deadlines_filter_and_page(client, auth, services):
    first = agreement_in_force(services, title="A", **tacit())
    agreement_in_force(services, title="B", effective_on="2026-01-01", initial_period_months=36, renewal_rule="none")
    caught_up(services)

    every = client.get(DEADLINES, headers=auth("farid"))
    assert every.status_code == 200 and every.headers["X-Total-Count"] == "4"
    assert [(d["title"], d["kind"], d["due_on"]) for d in every.get_json()] == [
        ("A", "notice_window_opens", "2025-01-01"), ("B", "expiry", "2029-01-01"),
        ("A", "notice_window_closes", "2029-07-01"), ("A", "renewal", "2030-01-01")]

    paged = client.get(DEADLINES, query_string={"per_page": 1, "page": 2}, headers=auth("eva"))
    assert [d["title"] for d in paged.get_json()] == ["B"] and 'rel="next"' in paged.headers["Link"]
    kinds = client.get(f"{DEADLINES}?kind=expiry&kind=renewal&from=2029-06-01", headers=auth("alice"))
    assert [(d["title"], d["kind"]) for d in kinds.get_json()] == [("A", "renewal")]
    to = client.get(DEADLINES, query_string={"to": "2029-01-01", "process_id": str(first.id)}, headers=auth("alice"))
    assert [d["kind"] for d in to.get_json()] == ["notice_window_opens"]
    mine = client.get(DEADLINES, query_string={"officer": "carla"}, headers=auth("carla"))
    assert mine.get_json() == [] and mine.headers["X-Total-Count"] == "0"
    assert client.get(DEADLINES, query_string={"officer": "dmitri"}, headers=auth("alice")).headers[
        "X-Total-Count"] == "4"


def test_deadlines_refuse_bad_queries_and_non_readers(client, auth):
    for query in ({"kind": "someday"}, {"from": "2029-13-01"}, {"per_page": 0}, {"colour": "red"}):
        refused = client.get(DEADLINES, query_string=query, headers=auth("alice"))
        assert refused.status_code == 422 and refused.mimetype == PROBLEM, (query, refused.get_json())
    backwards = client.get(DEADLINES, query_string={"from": "2030-01-02", "to": "2030-01-01"}, headers=auth("alice"))
    assert backwards.status_code == 400 and backwards.mimetype == PROBLEM
    assert client.get(DEADLINES, headers=auth("gwen")).status_code == 403
    assert client.get(DEADLINES).status_code == 401


def test_version_1_keeps_its_steps_and_its_corrections(client, auth, services):
    assert AGREEMENT_V1.clock == () and AGREEMENT_V1.step("give_notice") is None
    assert AGREEMENT_V1.step("correct").fields[0].choices == ("title", "expires_on", "effective_on", "closed_on")
    old = CooperationAgreement.start(by=Actor("alice", Role.IR_OFFICER), context=StepContext(), title="Older",
                                     kind=AgreementKind.OTHER, workflow_version=1,
                                     counterparties=[Counterparty("Republic of Chile", PartyKind.STATE, "CL")])
    services.app.save(old)

    refused = take_step(client, auth("bruno"), str(old.id), "correct", 1, field="renewal_rule", value="tacit")
    assert refused.status_code == 422 and "field" in refused.get_json()["errors"]
    assert take_step(client, auth("bruno"), str(old.id), "give_notice", 1, party="CERN", given_on="2025-01-01",
                     addressed_to="Republic of Chile").status_code == 404
