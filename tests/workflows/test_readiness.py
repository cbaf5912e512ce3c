"""Which steps would pass now, and what the others wait for: the domain's own guards, asked through a real store
without recording anything."""

from __future__ import annotations

from datetime import date

from domain.values import Actor, Role, StepContext
from tests.workflows.two_workers import ALICE, TEXT, started
from workflows.definitions import DEFINITIONS
from workflows.readiness import SAMPLES, STEP_WAITS_FOR, WAITS_FOR

BRUNO, CARLA = Actor("bruno", Role.LEGAL_OFFICER), Actor("carla", Role.LEGAL_OFFICER)
EVA = Actor("eva", Role.AUDITOR)
NONE = StepContext()


def answer(services, agreement_id, actor) -> dict[str, tuple[bool, str | None, str | None]]:
    return {s.step.name: (s.would_pass, s.rule, s.waits_for)
            for s in services.agreements.readiness(agreement_id, actor).steps}


def take(services, agreement_id, step, actor, **fields):
    version = services.agreements.get(agreement_id).version
    return services.agreements.take_step(agreement_id, step, fields, actor, version, NONE)


def test_a_new_agreement_offers_attaching_a_text_and_withdrawing_and_says_what_the_rest_waits_for(services):
    agreement_id, _ = started(services)
    head = services.app.recorder.max_notification_id()

    assert answer(services, agreement_id, ALICE) == {
        "attach_text": (True, None, None),
        "request_legal_review": (False, "needs_text", "a text to be attached"),
        "open_negotiation": (False, "needs_cleared_text", "a text cleared by the Legal Service"),
        "withdraw": (True, None, None),
    }
    assert answer(services, agreement_id, EVA) == {}  # a reader who takes no step
    assert services.app.recorder.max_notification_id() == head
    assert services.agreements.get(agreement_id).version == 1


def test_the_person_who_attached_the_text_is_not_offered_its_review_and_another_legal_officer_is(services):
    agreement_id, _ = started(services)
    take(services, agreement_id, "attach_text", BRUNO, **TEXT)
    take(services, agreement_id, "request_legal_review", ALICE)
    head = services.app.recorder.max_notification_id()

    assert answer(services, agreement_id, BRUNO)["complete_legal_review"] == (
        False, "four_eyes", "another legal officer: you attached this text")
    assert answer(services, agreement_id, CARLA)["complete_legal_review"] == (True, None, None)
    assert answer(services, agreement_id, ALICE)["request_legal_review"] == (
        False, "review_pending", "the legal review already requested")
    assert services.app.recorder.max_notification_id() == head


def test_entry_into_force_waits_for_the_signatures_still_missing_and_a_value_only_the_form_can_check(services):
    agreement_id, _ = started(services)
    take(services, agreement_id, "attach_text", ALICE, **TEXT)
    take(services, agreement_id, "request_legal_review", ALICE)
    take(services, agreement_id, "complete_legal_review", BRUNO, outcome="cleared")
    take(services, agreement_id, "open_negotiation", ALICE)
    take(services, agreement_id, "finalise_text", ALICE)
    take(services, agreement_id, "record_signature", ALICE, party="CERN", signatory="DG", signed_on="2025-03-01")

    assert answer(services, agreement_id, CARLA)["enter_into_force"] == (
        False, "all_parties_signed", "the signature of Chile")
    assert answer(services, agreement_id, CARLA)["record_signature"] == (True, None, None)

    take(services, agreement_id, "record_signature", ALICE, party="Chile", signatory="Minister",
         signed_on="2025-03-04")
    steps = answer(services, agreement_id, CARLA)
    assert steps["enter_into_force"] == (True, None, None)  # whether 2025-03-02 is too early is the form's to say
    assert steps["record_signature"] == (False, "signed_once", "nothing more: the signatures are recorded already")
    assert services.agreements.get(agreement_id).effective_on is None


def test_an_officer_sees_what_waits_on_another_role_and_not_what_nobody_could_do_yet(services):
    agreement_id, _ = started(services)
    take(services, agreement_id, "attach_text", ALICE, **TEXT)
    assert [s.name for s in services.agreements.readiness(agreement_id, ALICE).for_others] == []  # no review asked
    take(services, agreement_id, "request_legal_review", ALICE)
    assert [s.name for s in services.agreements.readiness(agreement_id, ALICE).for_others] == [
        "complete_legal_review"]
    take(services, agreement_id, "complete_legal_review", BRUNO, outcome="cleared")
    take(services, agreement_id, "open_negotiation", ALICE)
    take(services, agreement_id, "finalise_text", ALICE)
    take(services, agreement_id, "record_signature", ALICE, party="CERN", signatory="DG", signed_on="2025-03-01")
    assert "enter_into_force" not in [s.name for s in services.agreements.readiness(agreement_id, ALICE).for_others]
    take(services, agreement_id, "record_signature", ALICE, party="Chile", signatory="Minister",
         signed_on="2025-03-04")
    head = services.app.recorder.max_notification_id()

    others = services.agreements.readiness(agreement_id, ALICE).for_others
    assert [(s.name, s.roles) for s in others] == [("enter_into_force", (Role.LEGAL_OFFICER,))]
    assert services.agreements.readiness(agreement_id, CARLA).for_others == ()
    assert services.app.recorder.max_notification_id() == head


def test_an_agreement_in_force_without_an_expiry_cannot_be_renewed_nor_expire(services):
    agreement_id, _ = started(services)
    for step, actor, fields in [("attach_text", ALICE, TEXT), ("request_legal_review", ALICE, {}),
                                ("complete_legal_review", BRUNO, {"outcome": "cleared"}),
                                ("open_negotiation", ALICE, {}), ("finalise_text", ALICE, {}),
                                ("record_signature", ALICE, {"party": "CERN", "signatory": "DG",
                                                             "signed_on": "2025-03-01"}),
                                ("record_signature", ALICE, {"party": "Chile", "signatory": "Minister",
                                                             "signed_on": "2025-03-01"}),
                                ("enter_into_force", BRUNO, {"effective_on": date(2025, 4, 1)})]:
        take(services, agreement_id, step, actor, **fields)

    steps = answer(services, agreement_id, CARLA)
    assert steps["renew"] == (False, "has_expiry", "an expiry date: the agreement has none")
    assert steps["expire"] == (False, "expiry_passed", "an expiry date: the agreement has none")
    assert steps["suspend"] == (True, None, None)
    assert steps["resume"] == (False, "status", "the agreement to be suspended")


def test_every_rule_a_definition_names_has_words_or_concerns_a_value_the_form_checks():
    value_rules = {"party_unknown", "not_before_last_signature", "later_expiry", "dates_in_order",
                   "correctable_field", "changes_something", "not_self", "has_closed_on", "has_date",
                   "document_stored"}
    worded = set(WAITS_FOR) | {rule for _, rule in STEP_WAITS_FOR}
    named = {rule for workflow in DEFINITIONS.values() for step in workflow.steps for rule in step.rules}
    assert named - worded - value_rules == set()


def test_every_field_type_of_every_definition_has_a_value_to_try_a_step_with():
    types = {(f.type, bool(f.choices)) for w in DEFINITIONS.values() for s in w.steps for f in s.fields}
    assert [t for t, choices in types if t not in SAMPLES and t != "date" and not (t == "enum" and choices)] == []
